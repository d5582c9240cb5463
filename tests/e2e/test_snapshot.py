"""A served page's second visit starts Python from this browser's snapshot (web/common/pyodide_start.mjs), and
a snapshot that does not restore is replaced, not a broken page."""

from __future__ import annotations

import time

import pytest

from pydl.lessons import gradient_descent as gd

PAGE = "web/gradient-descent/"
RUNTIME = "#pydl-status [data-step=runtime]"
SNAPSHOTS = """async () => {
  const cache = await caches.open('pydl-interpreter-snapshot');
  const sizes = [];
  for (const request of await cache.keys()) sizes.push((await (await cache.match(request)).arrayBuffer()).byteLength);
  return sizes;
}"""
# Two ways a saved snapshot can be unusable: damaged bytes, or a whole snapshot from another Pyodide build (its
# build id, bytes 16-47 of the header, changed), which only Pyodide itself can tell.
SPOIL = """async (how) => {
  const cache = await caches.open('pydl-interpreter-snapshot');
  const [request] = await cache.keys();
  let bytes = new Uint8Array(4096).fill(7);
  if (how === 'other build') {
    bytes = new Uint8Array(await (await cache.match(request)).arrayBuffer());
    bytes.fill(0x61, 16, 48);
  }
  await cache.put(request, new Response(bytes));
  return bytes.byteLength;
}"""
pytestmark = pytest.mark.e2e


def saved_snapshots(page, timeout_s: float = 30) -> list:
    """The sizes of the saved snapshots, once there is one (the worker writes it while the page goes on starting)."""
    deadline = time.monotonic() + timeout_s
    while not (sizes := page.evaluate(SNAPSHOTS)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return sizes


def first_update_works(page) -> None:
    """One press of Step shows the prediction pydl computes natively."""
    page.click("#ow-step")
    page.wait_for_selector("#ow-stages tr[data-key=prediction][data-shown=true]", timeout=20_000)
    expected = next(s["text"] for s in gd.OneWeight(3, 10, 2, 0.01).stages() if s["key"] == "prediction")
    assert page.get_attribute("#ow-stages tr[data-key=prediction]", "data-value") == expected


def test_second_visit_restores_python_from_the_snapshot_and_the_page_works(browser_page):
    page = browser_page.page
    browser_page.open(PAGE)
    assert "started afresh" in page.inner_text(RUNTIME)
    first_update_works(page)
    sizes = saved_snapshots(page)
    assert len(sizes) == 1 and sizes[0] > 10_000_000, sizes  # Python's whole memory, about 21 MB

    browser_page.open(PAGE)
    assert "restored from this browser's snapshot" in page.inner_text(RUNTIME)
    first_update_works(page)
    # The lab starts by fetching its cells with pyodide.http.pyfetch: JavaScript's fetch works in a restored Python.
    browser_page.open("web/lab/")
    assert "restored from this browser's snapshot" in page.inner_text(RUNTIME)
    assert page.locator(".lab-cell").count() > 5
    browser_page.assert_clean()


@pytest.mark.parametrize("how", ["damaged", "other build"])
def test_a_snapshot_that_does_not_restore_is_replaced_and_the_page_still_starts(browser_page, how):
    page = browser_page.page
    browser_page.open(PAGE)
    assert saved_snapshots(page)
    size = page.evaluate(SPOIL, how)
    assert page.evaluate(SNAPSHOTS) == [size]

    warnings = []
    page.on("console", lambda m: m.type == "warning" and "did not restore" in m.text and warnings.append(m.text))
    browser_page.open(PAGE)
    assert "started afresh" in page.inner_text(RUNTIME)
    assert warnings, "the failed restore should be said in the console"
    first_update_works(page)
    sizes = saved_snapshots(page)
    assert len(sizes) == 1 and sizes[0] > 10_000_000, sizes
    browser_page.assert_clean()
