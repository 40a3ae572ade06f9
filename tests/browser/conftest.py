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


LAPTOP = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def new_context(playwright_chromium):
    """Return a factory of browser contexts in Indonesian, Jakarta time.

    ``new_context(kind)``: ``"tablet"`` (a Galaxy Tab S4) or ``"laptop"`` (1366 x 768);
    ``errors`` collects the pages' JavaScript errors, ``requests`` every requested URL.
    """
    p, chromium = playwright_chromium

    def make(kind: str, *, errors: list[str] | None = None, requests: list[str] | None = None,
             timeout: int = 15000, downloads: bool = False):
        if kind == "tablet":
            profile = dict(p.devices["Galaxy Tab S4"])
            profile.pop("default_browser_type", None)
        else:
            profile = LAPTOP
        context = chromium.new_context(**profile, locale="id-ID", timezone_id="Asia/Jakarta",
                                       accept_downloads=downloads)
        context.set_default_timeout(timeout)
        if errors is not None:
            context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
        if requests is not None:
            context.on("request", lambda request: requests.append(request.url))
        return context

    return make


def login(page, base: str, username: str, password: str, landing: str = "/**") -> None:
    """Log in through the login form and wait for the page it lands on."""
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(base + landing)


@pytest.fixture(name="login")
def login_fixture():
    """Return :func:`login` (log in through the form)."""
    return login
