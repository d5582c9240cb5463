"""Every page of the built site starts cleanly, offline, and fails visibly when it cannot."""

from __future__ import annotations


import pytest

from tests.e2e.conftest import READY, BrowserPage
from tests.site import ROOT, serving

pytestmark = pytest.mark.e2e

# Every folder under web/ with an index.html is a demo page; common/ and home/ only support pages.
DEMOS = sorted(p.parent.name for p in (ROOT / "web").glob("*/index.html") if p.parent.name not in ("common", "home"))
PAGES = [""] + [f"web/{name}/" for name in DEMOS]


# Everything the page draws after it is ready has arrived: no card still "pending" (convnet), nothing aria-busy
# (convnet, playground) and the playground's network and output drawn.
BUILT = ("() => !document.querySelector('[data-state=pending], [aria-busy=true]')"
         " && (!document.getElementById('pg') || document.getElementById('pg').dataset.drawn === 'true')")

# Elements whose right edge passes the viewport while their parent's does not (the ones that push the page wider),
# skipping any inside a container that scrolls or clips horizontally: those do not widen the page.
OVERFLOWING = """() => {
  const vw = window.innerWidth, out = [];
  const clipped = (el) => { for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };
  for (const el of document.querySelectorAll('body, body *')) {
    const box = el.getBoundingClientRect();
    if (box.right <= vw + 0.5 || (box.width === 0 && box.height === 0) || clipped(el)) continue;
    const parent = el.parentElement.getBoundingClientRect();
    if (el !== document.body && parent.right > vw + 0.5) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + [...el.classList].map((c) => '.' + c).join('');
    out.push(`${name} (${Math.round(box.width)} px wide, right edge at ${Math.round(box.right)} px)`);
  }
  return out;
}"""

VIEWPORTS = {"phone": (390, 844), "laptop": (1024, 768)}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p or "landing")
def test_page_fits_the_viewport_without_horizontal_scrolling(browser_page, path, viewport):
    width, height = VIEWPORTS[viewport]
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    browser_page.open(path)
    page.wait_for_function(BUILT, timeout=60_000)
    page.wait_for_timeout(500)  # charts and the playground's network lay themselves out on the next frames
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    culprits = page.evaluate(OVERFLOWING)
    assert scroll_width <= inner_width, (
        f"{path or 'index.html'} at {width}x{height} scrolls sideways: {scroll_width} px wide for a {inner_width} px "
        f"viewport; overflowing: {culprits or 'none found'}")
    browser_page.assert_clean()


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
