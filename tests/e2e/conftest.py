"""Browser fixtures for tests/e2e (helpers are in tests/e2e/pages.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from tests.e2e.pages import CHROMIUM, CHROMIUM_ARGS

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def people(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Each person gets their own browser context: separate cookies and storage."""
    contexts: list[BrowserContext] = []
    yield contexts
    for context in contexts:
        context.close()
