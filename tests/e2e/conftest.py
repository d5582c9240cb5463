"""Fixtures for driving the built site in headless Chromium.

Every request to an origin other than the local server is aborted and recorded, and any console error
or uncaught page error is recorded; `BrowserPage.assert_clean()` (called by the tests, and again at
teardown) fails the test if either happened.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.site import built_dist, build_seconds, require, serving

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
READY = "#pydl-status[data-state=ready], #pydl-status[data-state=error]"
page_timings: dict[str, float] = {}
measurements: dict[str, str] = {}  # other numbers a test measured, printed with the timings (never asserted)



def chromium_executable(playwright) -> str:
    explicit = os.environ.get("PYDL_CHROMIUM")
    if explicit:
        if not Path(explicit).exists():
            pytest.fail(f"PYDL_CHROMIUM={explicit} does not exist", pytrace=False)
        return explicit
    for candidate in ("/usr/bin/chromium", playwright.chromium.executable_path):
        if candidate and Path(candidate).exists():
            return candidate
    require(False, "No Chromium for the browser tests: `apt-get install chromium` (Debian), set PYDL_CHROMIUM, "
                   "or `playwright install chromium`.")


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright is not installed: pip install -e '.[test]' (or bash tests/run.sh).")
    with sync_playwright() as playwright:
        executable = chromium_executable(playwright)
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def dist() -> Path:
    return built_dist()


@pytest.fixture(scope="session")
def site_url(dist):
    with serving(dist) as url:
        yield url


class BrowserPage:
    """A fresh browser context and page that record what must not happen."""

    def __init__(self, browser, allowed_origin: str, service_workers: str = "block"):
        # Service workers are blocked unless a test needs one: requests a worker makes itself would
        # bypass the request interception below.
        self.context = browser.new_context(accept_downloads=True, service_workers=service_workers,
                                           viewport={"width": 1100, "height": 900})
        self.allowed_origin = allowed_origin
        self.external_requests: list[str] = []
        self.console_errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))
        self.page.on("request", self._record_request)

    def _is_local(self, url: str) -> bool:
        return url.startswith((self.allowed_origin, "blob:", "data:"))

    def _route(self, route):
        if self._is_local(route.request.url):
            route.continue_()
        else:
            self.external_requests.append(route.request.url)
            route.abort()

    def _record_request(self, request):
        # A second net: requests the router never saw (e.g. from workers) are still recorded.
        if not self._is_local(request.url) and request.url not in self.external_requests:
            self.external_requests.append(request.url)

    def open(self, path: str, timeout_s: float = 120) -> float:
        """Load a page and wait for its ready state; returns seconds to ready. An error state fails the test."""
        import time

        started = time.monotonic()
        self.page.goto(self.allowed_origin + path)
        self.page.wait_for_selector(READY, timeout=timeout_s * 1000)
        seconds = time.monotonic() - started
        state = self.page.get_attribute("#pydl-status", "data-state")
        if state != "ready":
            pytest.fail(f"{path} failed to start: {self.page.inner_text('#pydl-status')}", pytrace=False)
        page_timings[path or "index.html"] = seconds
        return seconds

    def assert_clean(self):
        assert not self.external_requests, f"requests left the local server: {self.external_requests}"
        assert not self.console_errors, "console errors:\n" + "\n".join(self.console_errors)


@pytest.fixture
def browser_page(browser, site_url):
    session = BrowserPage(browser, site_url)
    yield session
    session.context.close()
    assert not session.external_requests, f"requests left the local server: {session.external_requests}"


def pytest_terminal_summary(terminalreporter):
    if page_timings:
        terminalreporter.write_sep("-", "site build and page time-to-ready")
        if build_seconds() is not None:
            terminalreporter.write_line(f"python build.py: {build_seconds():.1f} s")
        for path, seconds in page_timings.items():
            terminalreporter.write_line(f"{path or '/'}: ready in {seconds:.1f} s")
    for name, value in measurements.items():
        terminalreporter.write_line(f"{name}: {value}")
