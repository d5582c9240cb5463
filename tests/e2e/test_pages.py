"""Every page of the built site starts cleanly, offline, and fails visibly when it cannot."""

from __future__ import annotations


import pytest

from tests.e2e.conftest import READY, BrowserPage
from tests.site import ROOT, serving

pytestmark = pytest.mark.e2e

# Every folder under web/ with an index.html is a demo page; common/ and home/ only support pages.
DEMOS = sorted(p.parent.name for p in (ROOT / "web").glob("*/index.html") if p.parent.name not in ("common", "home"))
PAGES = [""] + [f"web/{name}/" for name in DEMOS]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "landing")
def test_page_reaches_ready_offline_without_console_errors(browser_page, path):
    seconds = browser_page.open(path)
    steps = browser_page.page.locator("#pydl-status [data-step][data-state=done]").count()
    assert steps == 3, "runtime, NumPy and pydl should all show as loaded"
    assert seconds < 90
    browser_page.assert_clean()


def test_landing_page_proves_pydl_runs(browser_page):
    browser_page.open("")
    assert "d(x²)/dx at x = 3 is 6" in browser_page.page.inner_text("#home-check")
    browser_page.assert_clean()


def test_landing_page_links_every_demo_and_every_link_exists(browser_page, dist):
    browser_page.page.goto(browser_page.allowed_origin)
    links = browser_page.page.eval_on_selector_all(".demos a", "els => els.map(e => e.getAttribute('href'))")
    linked = {href.strip("/").removeprefix("web/") for href in links}
    assert linked >= set(DEMOS), f"demos missing from the landing page: {set(DEMOS) - linked}"
    missing = sorted(name for name in linked if not (dist / "web" / name / "index.html").exists())
    assert not missing, f"the landing page links pages that do not exist yet: {missing}"


def test_file_url_explains_how_to_serve(browser, dist):
    session = BrowserPage(browser, "file://")
    try:
        session.page.goto((dist / "web" / "lab" / "index.html").as_uri())
        session.page.wait_for_selector("#pydl-status[data-state=file]", timeout=10_000)
        assert "python build.py serve" in session.page.inner_text("#pydl-status")
    finally:
        session.context.close()


def test_a_failure_is_shown_with_its_reason(browser_page):
    # The pydl wheel going missing must surface as a visible error, not an endless spinner.
    browser_page.context.route("**/wheels/*.whl", lambda route: route.fulfill(status=404, body="gone"))
    browser_page.page.goto(browser_page.allowed_origin + "web/lab/")
    browser_page.page.wait_for_selector(READY, timeout=120_000)
    assert browser_page.page.get_attribute("#pydl-status", "data-state") == "error"
    message = browser_page.page.inner_text("#pydl-status .pydl-error")
    assert "HTTP 404" in message and ".whl" in message


def test_static_host_without_isolation_headers_works_through_coi_serviceworker(browser, dist):
    with serving(dist, handler_headers=False) as plain_url:
        session = BrowserPage(browser, plain_url, service_workers="allow")
        try:
            # The first visit registers coi-serviceworker and reloads once; then the page is isolated.
            session.open("web/lab/")
            assert session.page.evaluate("window.crossOriginIsolated")
            assert not session.external_requests
        finally:
            session.context.close()
