"""The convnet lab (web/convnet/), offline in headless Chromium.

One page serves the whole module, in file order: it loads, trains a few epochs, is looked at (filters, feature maps,
confusion matrix, arithmetic, a drawn digit), pauses and resumes, refuses a malformed IDX file, and finally changes its
model controls for the textbook shape check.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import BrowserPage
from tests.e2e.pause import assert_pause_answers

PATH = "web/convnet/"


@pytest.fixture(scope="module")
def lab(browser, site_url):
    session = BrowserPage(browser, site_url)
    session.page.set_default_timeout(90_000)  # a busy machine; each wait still ends as soon as its condition holds
    session.open(PATH)  # ready: the data card is shown and the controls respond
    # The baseline, the model table and the views arrive after ready, each card flipping from "pending" to "ready".
    session.page.wait_for_selector("#lab[data-state=ready], #pydl-status[data-state=error]")
    if session.page.get_attribute("#pydl-status", "data-state") == "error":
        pytest.fail(f"{PATH} failed while preparing: {session.page.inner_text('#pydl-status')}", pytrace=False)
    yield session
    session.context.close()
    session.assert_clean()


def train(page, epochs, timeout_s=240):
    page.fill("#epochs", str(epochs))
    page.click("#train")
    page.wait_for_selector("#train-card[data-state=done]", timeout=timeout_s * 1000)


def attr(page, selector, name):
    return page.get_attribute(selector, name)


def test_page_loads_with_samples_and_baseline(lab):
    page = lab.page
    assert page.get_attribute("#lab", "aria-busy") == "false"
    assert page.locator(".card[data-state=pending]").count() == 0
    assert page.locator("#samples img").count() == 30
    assert page.locator("#baseline-means img").count() == 10
    assert 0.8 < float(attr(page, "#baseline-result", "data-test-accuracy")) < 0.95
    assert "1149 training, 288 validation and 360 test images of 8x8" in page.inner_text("#data-summary")
    assert page.inner_text("#layer-table tbody tr[data-name=conv1] td.shape") == "(None, 8, 8, 16)"
    lab.assert_clean()


def test_a_few_epochs_beat_the_baseline_on_validation(lab):
    page = lab.page
    page.fill("#epochs", "3")
    page.click("#train")
    page.wait_for_selector("#train-card[data-state=training]")
    started = time.monotonic()  # the learner waits from here, the page saying "Training"
    page.wait_for_selector("#train-card[data-state=done]", timeout=240_000)
    waited = time.monotonic() - started
    assert attr(page, "#train-card", "data-epochs") == "3"
    val = float(attr(page, "#train-card", "data-val-accuracy"))
    baseline_val = float(attr(page, "#baseline-result", "data-val-accuracy"))
    assert val > baseline_val, f"validation accuracy {val} after 3 epochs is not above the baseline's {baseline_val}"
    assert float(attr(page, "#train-result", "data-test-accuracy")) > float(
        attr(page, "#baseline-result", "data-test-accuracy"))
    # Both charts have a point per epoch.
    assert page.get_attribute("#chart-loss", "data-points") == "3"
    assert page.get_attribute("#chart-accuracy", "data-points") == "3"
    seconds = float(attr(page, "#train-card", "data-epoch-seconds"))
    print(f"in-browser epoch time of the default model: {seconds:.2f} s (3 epochs: {waited:.1f} s waited)")
    assert seconds < 15
    # The epoch time shown is the time the learner waited (drawing the views included), not the training alone:
    # 3 of them fill most of the test's own wall time from "Training" to done: the rest is the final redraw of the
    # views after the last epoch (about 0.7 s when epochs take 0.9 s) and the test's polling. Timing the training
    # alone, as before, gave 0.2-0.3 of the wall time.
    assert 0.6 * waited <= 3 * seconds <= waited + 0.1
    lab.assert_clean()


def rendered(page, selector):
    return page.eval_on_selector_all(selector, "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")


def test_filters_and_feature_maps_render(lab):
    page = lab.page
    assert page.locator("#filters img").count() == 16 + 32
    assert rendered(page, "#filters img") == 16 + 32
    assert page.locator("#feature-maps img").count() == 1 + 16 + 16 + 32 + 32  # the input, then each layer
    assert rendered(page, "#feature-maps img") == 97
    page.fill("#fm-image", "12")
    page.dispatch_event("#fm-image", "change")
    page.wait_for_function("document.querySelector('#feature-maps h4').textContent.includes('test image 12')")
    page.fill("#fm-image", "9999")
    page.dispatch_event("#fm-image", "change")
    page.wait_for_selector("#fm-message.error")
    assert "from 0 to 359" in page.inner_text("#fm-message")
    lab.assert_clean()


def test_confusion_matrix_sums_to_the_test_set_and_cells_show_their_images(lab):
    page = lab.page
    counts = page.eval_on_selector_all("#confusion button", "bs => bs.map(b => Number(b.textContent))")
    assert len(counts) == 100 and sum(counts) == 360
    assert attr(page, "#confusion", "data-total") == "360"
    cell = next(i for i, n in enumerate(counts) if n and i // 10 != i % 10)  # a misclassified cell
    page.click(f"#confusion button[data-true='{cell // 10}'][data-pred='{cell % 10}']")
    page.wait_for_function(f"document.querySelectorAll('#cell-images img').length === {min(counts[cell], 40)}")
    assert f"of a {cell // 10} misclassified as {cell % 10}" in page.inner_text("#cell-caption")
    lab.assert_clean()


def test_arithmetic_view_matches_the_layer(lab):
    page = lab.page
    assert attr(page, "#arith", "data-matches") == "true"
    assert attr(page, "#arith", "data-pool-matches") == "true"
    page.select_option("#arith-layer", "conv2")
    page.fill("#arith-filter", "7")
    page.dispatch_event("#arith-filter", "change")
    page.wait_for_function("document.querySelector('#arith h4:nth-of-type(1)') && "
                           "document.getElementById('arith').textContent.includes('filter 7')")
    assert attr(page, "#arith", "data-matches") == "true"
    assert "16 input channels" in page.inner_text("#arith")
    page.click("#arith table.pick td[data-row='0'][data-col='3']")  # pick an output position on the map
    page.wait_for_function("document.getElementById('arith-col').value === '3' && "
                           "document.getElementById('arith').textContent.includes('row 0, column 3')")
    assert attr(page, "#arith", "data-matches") == "true"
    layer_value = float(attr(page, "#arith", "data-layer-value"))
    assert float(attr(page, "#arith", "data-value")) == pytest.approx(layer_value, rel=1e-4, abs=1e-5)
    page.fill("#arith-row", "9")
    page.dispatch_event("#arith-row", "change")
    page.wait_for_selector("#arith-message.error")
    assert "must be from 0 to 3, got 9" in page.inner_text("#arith-message")
    lab.assert_clean()


def draw(page, points):
    page.locator("#draw-canvas").scroll_into_view_if_needed()
    box = page.locator("#draw-canvas").bounding_box()
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=6)
    page.mouse.up()


def test_a_drawn_digit_gets_probabilities_summing_to_one(lab):
    page = lab.page
    draw(page, [(0.5, 0.12), (0.52, 0.5), (0.5, 0.88)])  # a "1"
    page.wait_for_selector("#probabilities .bar-row")
    probabilities = page.eval_on_selector_all("#probabilities .bar-row",
                                              "rows => rows.map(r => Number(r.dataset.probability))")
    assert len(probabilities) == 10 and sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    assert float(attr(page, "#probabilities", "data-sum")) == pytest.approx(1.0, abs=1e-4)
    assert page.locator("#draw-input img").count() == 1
    page.click("#draw-clear")
    page.wait_for_function("document.querySelectorAll('#probabilities .bar-row').length === 0")
    lab.assert_clean()


def test_pause_answers_within_200_ms_while_training_and_the_page_stays_live(lab):
    page = lab.page
    page.fill("#epochs", "40")  # more than the pauses below can let finish
    page.click("#train")
    page.wait_for_selector("#train-card[data-state=training]")

    def trains_on(page):  # the status moves on (a few times a second) once training runs again
        text = page.inner_text("#train-status")
        page.wait_for_function("t => document.getElementById('train-status').textContent !== t", arg=text)

    def resume(page):
        page.click("#pause")
        page.wait_for_selector("#train-card[data-state=training]")

    assert_pause_answers(page, "convnet page", {"button": "#pause"}, resume, between=trains_on)
    trains_on(page)
    page.click("#pause")
    page.wait_for_selector("#train-card[data-state=paused]")
    before = attr(page, "#train-card", "data-epochs"), page.inner_text("#train-status")
    page.wait_for_timeout(1500)
    assert (attr(page, "#train-card", "data-epochs"), page.inner_text("#train-status")) == before
    assert page.inner_text("#pause") == "Resume"
    # The page answers while paused: the arithmetic view redraws for a new position.
    page.fill("#arith-row", "1")
    page.dispatch_event("#arith-row", "change")
    page.wait_for_function("document.getElementById('arith').textContent.includes('row 1, column')")
    page.click("#pause")
    page.wait_for_selector("#train-card[data-state=training]")
    train(page, 2)  # a new run replaces the paused one and runs to its end
    assert attr(page, "#train-card", "data-epochs") == "2"
    assert page.get_attribute("#chart-accuracy", "data-points") == "2"
    lab.assert_clean()


def test_malformed_idx_file_shows_a_clear_message(lab):
    page = lab.page
    summary = page.inner_text("#data-summary")
    page.set_input_files("#idx-files", files=[
        {"name": "train-images-idx3-ubyte", "mimeType": "application/octet-stream",
         "buffer": b"\x00\x00\x08\x03garbage"},
        {"name": "train-labels-idx1-ubyte", "mimeType": "application/octet-stream", "buffer": b"PK\x03\x04 a zip"},
    ])
    page.wait_for_selector("#data-card[data-idx=error]")
    message = page.inner_text("#data-message")
    assert "Could not use these files" in message and "train-images-idx3-ubyte: truncated" in message
    assert "error" in page.get_attribute("#data-message", "class")
    assert page.inner_text("#data-summary") == summary  # the digits are still loaded and usable
    assert page.get_attribute("#pydl-status", "data-state") == "ready"
    lab.assert_clean()


def test_model_controls_give_the_textbook_shapes(lab):
    page = lab.page
    page.select_option("#dataset", "28")
    page.wait_for_function("document.getElementById('data-summary').textContent.includes('28x28')")
    page.select_option("#conv-count", "1")
    page.wait_for_function("document.querySelectorAll('#conv-controls tbody tr').length === 1")
    page.fill("#conv-controls .c-filters", "32")
    page.select_option("#conv-controls .c-padding", "valid")  # a change event: the table is rebuilt
    page.wait_for_function("document.querySelector('#layer-table tr[data-name=conv1] td.shape')"
                           ".textContent === '(None, 26, 26, 32)'")
    assert page.inner_text("#layer-table tr[data-name=conv1] td.params") == "320"
    # An impossible stack is refused with a reason, and Train is disabled until it is fixed.
    page.fill("#conv-controls .c-filters", "0")
    page.dispatch_event("#conv-controls .c-filters", "change")
    page.wait_for_selector("#spec-message.error")
    assert "Conv layer 1: filters must be from 1 to 64, got 0." in page.inner_text("#spec-message")
    page.wait_for_function("document.getElementById('train').disabled")  # set by the worker just after the message
    page.fill("#conv-controls .c-filters", "8")
    page.dispatch_event("#conv-controls .c-filters", "change")
    page.wait_for_function("!document.getElementById('train').disabled")
    lab.assert_clean()
