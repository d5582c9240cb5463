"""The convnet lab (web/convnet/), offline in headless Chromium.

One page serves the whole module, in file order: it loads, shows what the untrained model's filters respond to and
where it looks (native numbers), trains a few epochs, is looked at (filters, feature maps, confusion matrix,
arithmetic, a drawn digit), fits a phone, downloads its model, is told its learning rate is too high, stops,
pauses and resumes, compares the ways to reuse a trained network, refuses malformed IDX files, and finally changes
its model controls for the textbook shape check.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile

import numpy as np
import pytest

from tests.e2e.conftest import BrowserPage
from tests.e2e.pause import assert_pause_answers, resume_with, status_moves_on
from tests.e2e.test_pages import OVERFLOWING

PATH = "web/convnet/"


@pytest.fixture(scope="module")
def lab(browser, site_url):
    session = BrowserPage(browser, site_url)
    session.page.set_default_timeout(90_000)  # a busy machine; each wait still ends as soon as its condition holds
    # Ready: the data card is shown and the controls respond. How fast is test_pages.py's and benchmarks/' concern;
    # this wait only has to end, also on a machine shared by many jobs (147 s to ready seen at a load of 28 on 2 cores).
    session.open(PATH, timeout_s=400)
    # The baseline, the model table and the views arrive after ready, each card flipping from "pending" to "ready".
    session.page.wait_for_selector("#lab[data-state=ready], #pydl-status[data-state=error]")
    if session.page.get_attribute("#pydl-status", "data-state") == "error":
        pytest.fail(f"{PATH} failed while preparing: {session.page.inner_text('#pydl-status')}", pytrace=False)
    yield session
    session.context.close()
    session.assert_clean()


def train(page, epochs, timeout_s=240):
    page.fill("#epochs", str(epochs))
    # The card may still say "done" from the last run until the worker takes the click: clear it first, so that
    # "done" below is this run's (the page sets "training" at once, then "done").
    page.evaluate("document.getElementById('train-card').dataset.state = 'clicked'")
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


def test_untrained_cards_show_the_native_numbers(lab):
    """Cards 8 and 9 over the page's untrained model, which is the native build_model(DEFAULT_SPEC): the same
    numbers (float32 in both; rel 1e-4 leaves room for another BLAS's summation order)."""
    from pydl.lessons.convnet import DEFAULT_SPEC, build_model, load_digits_data
    from pydl.lessons.convnet.inside import filter_ascent, where_it_looks

    page = lab.page
    data = load_digits_data(8)
    model = build_model(DEFAULT_SPEC, data.input_shape)
    assert "Not trained yet" in page.inner_text("#train-status")
    assert page.get_attribute("#chart-loss", "data-points") in (None, "0")
    # The untrained matrix: every empty cell is a grey "0" (none blank on white).
    empty = page.eval_on_selector_all("#confusion td", "tds => tds.filter(td => td.textContent === '0')"
                                                       ".map(td => td.className)")
    assert empty and set(empty) == {"zero"}
    assert "(untrained: random weights)" in page.inner_text("#confusion")

    page.select_option("#ascent-layer", "conv2")
    page.fill("#ascent-filter", "5")
    page.click("#ascent-run")
    page.wait_for_selector("#ascent-card[data-state=running]")
    page.wait_for_selector("#ascent-card[data-state=done]")
    native = filter_ascent(model, "conv2", 5)
    assert attr(page, "#ascent-card", "data-step") == str(len(native["frames"]) - 1)
    assert float(attr(page, "#ascent-card", "data-activation")) == pytest.approx(native["activations"][-1], rel=1e-4)
    assert rendered(page, "#ascent-image") == 1
    page.fill("#ascent-filter", "32")
    page.click("#ascent-run")
    page.wait_for_selector("#ascent-message.error")
    assert "Filter of conv2 must be from 0 to 31, got 32." in page.inner_text("#ascent-message")

    looks = where_it_looks(model, data.x_test[0])
    assert attr(page, "#looks", "data-class-index") == str(looks["class_index"])
    assert float(attr(page, "#looks", "data-ink")) == pytest.approx(looks["ink"], rel=1e-4, abs=1e-6)
    assert rendered(page, "#looks img") == 3
    page.fill("#looks-image", "5")
    page.dispatch_event("#looks-image", "change")
    page.wait_for_function("document.getElementById('looks').textContent.includes('test image 5')")
    looks = where_it_looks(model, data.x_test[5])
    assert attr(page, "#looks", "data-class-index") == str(looks["class_index"])
    assert float(attr(page, "#looks", "data-ink")) == pytest.approx(looks["ink"], rel=1e-4, abs=1e-6)
    lab.assert_clean()


def test_the_augmentation_preview_is_large_and_names_its_steps(lab):
    page = lab.page
    page.check("#augment")
    page.wait_for_function("document.querySelectorAll('#augment-preview img').length === 8")
    widths = page.eval_on_selector_all("#augment-preview img", "imgs => imgs.map(i => i.getBoundingClientRect().width)")
    assert min(widths) >= 64
    steps = page.locator("#augment-steps li").all_inner_texts()
    assert len(steps) == 2 and "RandomTranslation" in steps[0] and "RandomRotation" in steps[1]
    page.uncheck("#augment")
    page.wait_for_selector("#augment-box", state="hidden")
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
    # alone, as before, gave 0.2-0.3 of the wall time. The test's clock starts when it notices "Training", up to a
    # poll later than the page's (8.89 s of epochs against 8.77 s waited was seen), hence the second's slack above.
    assert 0.6 * waited <= 3 * seconds <= waited + 1.0
    assert attr(page, "#train-result", "data-state") == "done"
    assert attr(page, "#train-result", "data-advice") == "learning"  # no advice shown: the rate works
    assert page.locator("#train-result .advice").count() == 0
    assert "after 3 epochs" in page.inner_text("#train-result")
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


def test_the_page_fits_a_phone_after_training_without_scrolling_in_a_box(lab):
    page = lab.page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        # The charts take their width when a run creates them (charts.js has no resize handler): train one epoch
        # at phone width, as a phone would, so that every part is drawn there.
        train(page, 1)
        overflow = page.evaluate("""() => ['#layer-table', '#conv-controls', '#confusion table', '#transfer-table']
            .map(sel => document.querySelector(sel)).filter(el => el && el.offsetParent !== null)
            .map(el => [el.id || el.parentElement.id, el.getBoundingClientRect().right,
                        el.closest('.card').getBoundingClientRect().right, el.parentElement.scrollWidth,
                        el.parentElement.clientWidth])""")
        assert len(overflow) >= 3
        for name, right, card_right, scroll, client in overflow:
            assert right <= card_right + 0.5 and scroll <= client, (name, right, card_right, scroll, client)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(OVERFLOWING)
    finally:
        page.set_viewport_size({"width": 1100, "height": 900})
    lab.assert_clean()


def test_step_5_refuses_a_fractional_row(lab):
    page = lab.page
    page.fill("#arith-row", "1")  # first no message (an earlier test left one), so the next one is new
    page.dispatch_event("#arith-row", "change")
    page.wait_for_function("!document.getElementById('arith-message').classList.contains('error')")
    page.fill("#arith-row", "2.5")
    page.dispatch_event("#arith-row", "change")
    page.wait_for_selector("#arith-message.error")
    assert "Row of conv2's 4×4 output must be a whole number, got '2.5'." in page.inner_text("#arith-message")
    page.fill("#arith-row", "1")
    page.dispatch_event("#arith-row", "change")
    page.wait_for_function("!document.getElementById('arith-message').classList.contains('error')")
    lab.assert_clean()


def test_the_model_downloads_in_three_forms(lab):
    from pydl.models import load_model

    page = lab.page
    with page.expect_download() as download:
        page.click("#download-pydl")
    model = load_model(io.BytesIO(download.value.path().read_bytes()))
    assert [layer.name for layer in model.layers][:2] == ["conv1", "pool1"]
    for button, name in (("#download-pytorch", "convnet_pytorch.zip"), ("#download-keras", "convnet_keras.zip")):
        with page.expect_download() as download:
            page.click(button)
        assert download.value.suggested_filename == name
        archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
        assert sorted(archive.namelist()) == ["model.py", "weights.npz"]
        assert "def build" in archive.read("model.py").decode()
    page.wait_for_function("document.getElementById('download-box').dataset.last === 'convnet_keras.zip'")
    assert "after 1 epoch" in page.inner_text("#download-message")
    lab.assert_clean()


def test_a_rate_of_one_is_called_too_high_and_stop_ends_a_run(lab):
    page = lab.page
    page.fill("#learning-rate", "1")
    train(page, 2)
    # Which of the two verdicts that blame the rate depends on where Adam's wild first steps land (float32 in
    # another BLAS); both are tested natively on made-up and real losses (tests/lessons/test_training_advice.py).
    assert attr(page, "#train-result", "data-advice") in ("stuck", "overshot")
    assert "The learning rate is too high" in page.inner_text("#train-result .advice")
    page.fill("#learning-rate", "0.01")
    page.dispatch_event("#learning-rate", "change")
    # Pause after an epoch shows the result so far, marked paused; resuming takes it away (it would go stale).
    page.fill("#epochs", "40")
    page.evaluate("document.getElementById('train-card').dataset.epochs = ''")  # the last run's count is no sign
    page.click("#train")
    page.wait_for_function("+document.getElementById('train-card').dataset.epochs >= 1", timeout=120_000)
    page.click("#pause")
    page.wait_for_selector("#train-result[data-state=paused]", timeout=120_000)
    assert "(paused)" in page.inner_text("#train-result")
    page.click("#pause")
    page.wait_for_selector("#train-card[data-state=training]")
    page.wait_for_function("document.getElementById('train-result').textContent === ''")
    page.click("#stop")
    page.wait_for_selector("#train-card[data-state=stopped]", timeout=120_000)
    assert "Stopped after" in page.inner_text("#train-status") and "of 40 epochs" in page.inner_text("#train-status")
    assert attr(page, "#train-result", "data-state") == "stopped"
    assert page.is_disabled("#stop") and page.is_disabled("#pause")
    assert page.inner_text("#train") == "Train again"
    lab.assert_clean()


def test_reuse_a_trained_network_gives_the_library_s_numbers(lab):
    from pydl.applications.digits_transfer import compare

    page = lab.page
    page.select_option("#transfer-images", "5")
    page.select_option("#transfer-steps", "50")
    page.click("#transfer-run")
    page.wait_for_selector("#transfer-card[data-state=training]")
    page.wait_for_selector("#transfer-card[data-state=done]", timeout=300_000)
    native = compare(per_class=5, seed=0, steps=50)
    shown = {way: float(page.get_attribute(f"#transfer-table tr[data-way={way}]", "data-accuracy")) for way in native}
    # 150-300 float32 steps in another BLAS can round a few of the 179 test images the other way: 5 images.
    assert shown == pytest.approx(native, abs=5 / 179)
    assert page.locator("#transfer-table tbody tr").count() == 3
    assert "Done: 3 of 3 ways" in page.inner_text("#transfer-status")
    lab.assert_clean()


def test_pause_answers_within_200_ms_while_training_and_the_page_stays_live(lab):
    page = lab.page
    page.fill("#epochs", "40")  # more than the pauses below can let finish
    page.click("#train")
    page.wait_for_selector("#train-card[data-state=training]")

    trains_on = status_moves_on("#train-status")  # a few times a second once training runs again
    resume = resume_with("#pause", "#train-card")
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
    resume(page)
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
    # Good images with labels 20-29: the labels file is named, not the images file.
    page.set_input_files("#idx-files", files=[
        {"name": "my-images.idx3", "mimeType": "application/octet-stream", "buffer": idx(np.zeros((30, 28, 28)))},
        {"name": "my-labels.idx1", "mimeType": "application/octet-stream", "buffer": idx(np.arange(30) % 10 + 20)},
    ])
    page.wait_for_function("document.getElementById('data-message').textContent.includes('my-labels.idx1')")
    assert "my-labels.idx1: labels must be digits 0..9; this file's range from 20 to 29" in page.inner_text(
        "#data-message")
    lab.assert_clean()


def idx(array) -> bytes:
    """An IDX file of uint8 values (MNIST's format: magic 0x0000 08 <dims>, big-endian sizes, then the bytes)."""
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def test_model_controls_give_the_textbook_shapes(lab):
    page = lab.page
    page.select_option("#dataset", "28")
    page.wait_for_function("document.getElementById('data-summary').textContent.includes('28x28')")
    # A new untrained model: the last run's charts, bar and result go with it (the summary comes first: wait).
    page.wait_for_function("document.getElementById('train-status').textContent.includes('Not trained yet') && "
                           "document.getElementById('chart-loss').dataset.points === '0' && "
                           "document.getElementById('chart-accuracy').dataset.points === '0'")
    assert page.get_attribute("#train-progress > div", "style").replace(" ", "").rstrip(";") == "width:0%"
    assert page.inner_text("#train-result") == ""
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


def test_cifar_files_train_in_colour(lab):
    from tests.lessons.test_convnet_colour import batch_bytes

    page = lab.page
    page.set_input_files("#cifar-files", files=[
        {"name": "data_batch_1.bin", "mimeType": "application/octet-stream",
         "buffer": batch_bytes(np.arange(120) % 10, 0)},
        {"name": "test_batch.bin", "mimeType": "application/octet-stream", "buffer": batch_bytes(np.arange(40) % 10, 1)},
    ])
    page.wait_for_function("document.getElementById('data-summary').textContent.includes('32x32')")
    assert page.input_value("#dataset") == "cifar"
    assert "CIFAR-10 files: 96 training, 24 validation and 40 test images" in page.inner_text("#data-summary")
    assert "airplane" in page.inner_text("#samples")
    train(page, 1)
    heading = page.inner_text("#filters .layer-row:first-child h4")
    assert "×3 (" in heading and "colour each pixel responds to" in heading
    assert page.eval_on_selector("#samples img", "i => i.naturalWidth") == 32
    draw(page, [(0.5, 0.12), (0.52, 0.5), (0.5, 0.88)])
    page.wait_for_function("document.getElementById('draw-message').textContent.includes('Drawing is for digits')")
    lab.assert_clean()
