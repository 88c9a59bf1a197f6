"""A served process freezes what start-up built, so full collections skip it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import base_config, start_process, stop_process


def test_a_served_process_freezes_its_start_up_objects(tmp_path: Path) -> None:
    server = start_process(base_config(), tmp_path)
    try:
        log = server.log()
    finally:
        stop_process(server)
    found = re.search(r"froze (\d+) start-up objects", log)
    assert found is not None, log
    # Imports alone leave far more than this many; zero would mean nothing was frozen.
    assert int(found.group(1)) > 10_000
