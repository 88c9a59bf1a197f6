"""`python -m bench.memory_diff BEFORE AFTER MEMBERS`: tracemalloc's growth per member,
by file (and the top lines), from two snapshots of bench/tracemalloc_server.py."""

import sys
import tracemalloc
from collections import Counter


def main() -> None:
    before, after = (tracemalloc.Snapshot.load(p) for p in sys.argv[1:3])
    members = int(sys.argv[3])
    lines = after.compare_to(before, "lineno")
    by_file: Counter[str] = Counter()
    for stat in lines:
        by_file[stat.traceback[0].filename.split("site-packages/")[-1]] += stat.size_diff
    total = sum(s.size_diff for s in lines)
    print(f"total {total / members / 1024:.1f} KiB per member (Python heap, tracemalloc)")
    for name, size in by_file.most_common(12):
        print(f"{size / members / 1024:8.2f} KiB  {name}")
    print()
    for stat in lines[:15]:
        frame = stat.traceback[0]
        print(f"{stat.size_diff / members:8.0f} B  {stat.count_diff / members:5.1f} blocks  "
              f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}")


if __name__ == "__main__":
    main()
