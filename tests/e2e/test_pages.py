"""Every page of the built site starts cleanly, offline, and fails visibly when it cannot."""

from __future__ import annotations


import pytest

from tests.e2e.conftest import READY, BrowserPage, measurements
from tests.site import ROOT, serving

pytestmark = pytest.mark.e2e

# Every folder under web/ whose index.html runs Python (a `<script type="py">`) is a demo page, which must become
# ready with the runtime, NumPy and pydl loaded; a folder whose page has no Python (the glossary) is a static page,
# held to every rule here but that one. common/ and home/ only support pages.
def _runs_python(index) -> bool:
    return '<script type="py"' in index.read_text()


_FOLDERS = [p for p in sorted((ROOT / "web").glob("*/index.html")) if p.parent.name not in ("common", "home")]
DEMOS = [p.parent.name for p in _FOLDERS if _runs_python(p)]
STATIC_PAGES = [f"web/{p.parent.name}/" for p in _FOLDERS if not _runs_python(p)]
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


def open_page(browser_page, path):
    """Open a demo page and wait for it to be ready, or a static page and wait for its load event."""
    if path in STATIC_PAGES:
        browser_page.page.goto(browser_page.allowed_origin + path)
        assert browser_page.page.get_attribute("body", "data-ready") == "true"
    else:
        browser_page.open(path)


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("path", PAGES + STATIC_PAGES, ids=lambda p: p or "landing")
def test_page_fits_the_viewport_without_horizontal_scrolling(browser_page, path, viewport):
    width, height = VIEWPORTS[viewport]
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": height})
    open_page(browser_page, path)
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


# Installed before the landing page loads: when the first contentful paint happened, and every resource the page
# itself fetched (start, end, bytes). The worker's fetches (Pyodide, the wheels) are not listed, but a worker exists
# only after vendor/pyscript/core.js, which is.
NOTE_PAINT_AND_RESOURCES = """window.noted = { paint: null };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.name === 'first-contentful-paint') window.noted.paint = entry.startTime;
}).observe({ type: 'paint', buffered: true });"""
RESOURCES = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')].map((r) =>
  ({ url: r.name, start: r.startTime, end: r.responseEnd, bytes: r.transferSize }))"""


def test_landing_page_is_shown_before_python_starts_and_warms_it_after(browser_page):
    page = browser_page.page
    page.add_init_script(NOTE_PAINT_AND_RESOURCES)
    seconds = browser_page.open("")
    paint_ms = page.evaluate("window.noted.paint")
    loaded_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    resources = page.evaluate(RESOURCES)
    runtime = [r for r in resources if "/vendor/" in r["url"] or "/wheels/" in r["url"] or r["url"].endswith(".py")]
    early = [r["url"] for r in runtime if r["start"] < max(paint_ms, loaded_ms)]
    assert paint_ms is not None and runtime and not early, (
        f"first paint at {paint_ms} ms, load at {loaded_ms} ms; runtime files fetched before: {early}")
    pictures = [r for r in resources if "/web/home/pictures/" in r["url"]]
    assert len(pictures) == len(DEMOS) and all(r["end"] <= loaded_ms for r in pictures)
    before_paint = sum(r["bytes"] for r in resources if r["end"] <= paint_ms)
    # Warmed: the page ends ready, having run pydl once in the worker (the runtime is now in the browser's cache).
    assert "d(x²)/dx at x = 3 is 6" in page.inner_text("#home-check")
    measurements["landing page"] = (f"first paint at {paint_ms / 1000:.2f} s after {before_paint / 1024:.0f} KB; "
                                    f"pictures loaded at {loaded_ms / 1000:.2f} s; Python warm (ready) at {seconds:.1f} s")
    browser_page.assert_clean()


def test_landing_page_links_every_page_in_course_order_and_every_link_exists(browser_page, dist):
    browser_page.page.goto(browser_page.allowed_origin)
    links = browser_page.page.eval_on_selector_all(".demos a", "els => els.map(e => e.getAttribute('href'))")
    linked = [href.strip("/").removeprefix("web/") for href in links]
    assert set(linked) >= set(DEMOS), f"demos missing from the landing page: {set(DEMOS) - set(linked)}"
    missing = sorted(name for name in linked if not (dist / "web" / name / "index.html").exists())
    assert not missing, f"the landing page links pages that do not exist yet: {missing}"
    # The order Deep Learning with Python teaches them in (chapters 2, 2, 3-4, 5, 6, 8; the lab serves them all).
    assert linked == ["gradient-descent", "backprop", "playground", "convnet", "rnn", "generative", "lab"]
    chapters = browser_page.page.eval_on_selector_all(".demos .chapter", "els => els.map(e => e.textContent)")
    assert chapters == ["Book chapter 2", "Book chapter 2", "Book chapters 3 and 4", "Book chapter 5", "Book chapter 6",
                        "Book chapter 8", "Every chapter of the book"]
    assert browser_page.page.get_attribute("header nav a", "href") == "web/glossary/"


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
