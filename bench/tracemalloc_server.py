"""`python -m bench.tracemalloc_server serve ...`: peer-rooms under tracemalloc.

On SIGUSR1 it writes the live allocations grouped by file and line to
`$TRACEMALLOC_OUT.N` (N = 1, 2, ...); compare two with `python -m bench.memory_diff A B
MEMBERS` to see what each joined member holds (docs/performance.md).
"""

import os
import signal
import tracemalloc

from server.cli import main

tracemalloc.start(1)
_taken = [0]


def _dump(*_: object) -> None:
    _taken[0] += 1
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)])
    snapshot.dump(f"{os.environ['TRACEMALLOC_OUT']}.{_taken[0]}")


signal.signal(signal.SIGUSR1, _dump)
raise SystemExit(main())
