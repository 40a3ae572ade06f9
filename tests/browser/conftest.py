"""Debian's Chromium, driven by Playwright, shared by the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No background traffic: the machines have no network beyond the test server.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def playwright_chromium():
    """Launch Debian's Chromium once for the module; yield Playwright (for devices) and it."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/setup --test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield p, browser
        browser.close()


@pytest.fixture(scope="module")
def browser(playwright_chromium):
    """Return the module's Chromium."""
    return playwright_chromium[1]
