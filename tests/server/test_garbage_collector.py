"""A served process freezes what start-up built, so full collections skip it, and
spaces its full collections out."""

from __future__ import annotations

import re
from pathlib import Path

from moderation.crisis import crisis_phrasebook
from server.config.settings import Settings
from server.ops.garbage_collector import FULL_PASS_AFTER, warm_up_screening
from tests.helpers import base_config, start_process, stop_process


def test_a_served_process_freezes_its_start_up_objects(tmp_path: Path) -> None:
    server = start_process(base_config(), tmp_path)
    try:
        log = server.log()
    finally:
        stop_process(server)
    found = re.search(r"froze (\d+) start-up objects.*after (\d+) of the middle", log)
    assert found is not None, log
    # Imports alone leave far more than this many; zero would mean nothing was frozen.
    assert int(found.group(1)) > 10_000
    assert int(found.group(2)) == FULL_PASS_AFTER > 10  # CPython's default is 10


def test_the_warm_up_builds_the_phrasebook_the_server_screens_with() -> None:
    # Built on first use, it would be ~14,000 objects every full collection walks.
    extra = ("warm-up test phrase",)
    crisis_phrasebook.cache_clear()
    warm_up_screening(Settings(secret_key="k" * 32, crisis_phrases=extra))
    built = crisis_phrasebook.cache_info()
    assert built.currsize == 1
    crisis_phrasebook(extra)  # what a send asks for: the one already built
    assert crisis_phrasebook.cache_info().hits == built.hits + 1
