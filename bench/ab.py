"""`python -m bench.ab --before DIR [--rounds 3] [--part fanout|cluster]`: the compare's
fan-out part (or its three-process part) for peer-rooms, alternating between another
checkout (`--before`, e.g. `git worktree add /tmp/before <commit>`) and this one, round
after round, so both meet the same machine. With `--kinds peer-rooms peer-rooms-uvloop`
instead of `--before` it alternates two kinds of this checkout. One line per run, then
the median of each side. A change worth less than the spread of its own rounds is noise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.processes import ROOT

# Run in a fresh interpreter per round, from the checkout measured (its bench/ and
# server/ are the ones imported).
_ROUND = """
import asyncio, json, sys, tempfile
from pathlib import Path
from bench.compare import cluster, fanout
async def main(kind, part):
    with tempfile.TemporaryDirectory() as d:
        part_of = fanout if part == "fanout" else cluster
        print(json.dumps(await part_of(kind, Path(d), 10.0), default=str))
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _round(tree: Path, kind: str, part: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _ROUND, kind, part], cwd=tree,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{tree} {kind}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _figures(part: str, result: dict[str, Any]) -> dict[str, float]:
    if part == "cluster":
        return {"us": result["cpu_us"], "loss %": 100 * result["loss"], "p99": result["p99"]}
    return {f"{key} {rate}": result[rate][field]
            for rate in ("10000", "30000")
            for key, field in (("us", "cpu_us"), ("p99", "p99"))}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="another checkout of peer-rooms")
    parser.add_argument("--kinds", nargs=2, default=None, metavar="KIND",
                        help="two kinds of this checkout instead (peer-rooms-uvloop ...)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part", choices=("fanout", "cluster"), default="fanout")
    args = parser.parse_args()
    if (args.before is None) == (args.kinds is None):
        parser.error("give --before DIR or --kinds A B")
    sides = ({"before": (args.before.resolve(), "peer-rooms"), "after": (ROOT, "peer-rooms")}
             if args.before else {kind: (ROOT, kind) for kind in args.kinds})
    seen: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    for number in range(args.rounds):
        for name, (tree, kind) in sides.items():
            figures = _figures(args.part, _round(tree, kind, args.part))
            seen[name].append(figures)
            shown = ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
            print(f"round {number + 1} {name}: {shown}", flush=True)
    for name, rounds in seen.items():
        medians = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(f"median {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in medians.items()))


if __name__ == "__main__":
    main()
