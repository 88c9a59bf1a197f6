"""`python -m bench.uvloop_server serve ...`: peer-rooms on uvloop, to measure it
(`python -m bench.compare --only peer-rooms peer-rooms-uvloop`). Not adopted: see
docs/performance.md."""

import uvloop

from server.cli import main

uvloop.install()
raise SystemExit(main())
