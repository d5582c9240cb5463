"""The code lab trains a model in the page, shows progress while it trains, and hands over a loadable model."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.e2e.pause import assert_pause_answers, resume_with, status_moves_on

pytestmark = pytest.mark.e2e

TRAINING_TIMEOUT_MS = 240_000


def set_code(page, cell_id, code):
    """Replace a cell's code as if typed (the editor is CodeMirror: a contenteditable, not a textarea)."""
    page.evaluate("([cell, code]) => pydlLab.setCode(cell, code)", [cell_id, code])


def run_cell(page, cell_id, timeout_ms=TRAINING_TIMEOUT_MS):
    """Click Run and wait for that run (not an earlier one) to finish; returns (state, output)."""
    runs = int(page.get_attribute(f"#cell-{cell_id}", "data-runs") or 0)
    page.click(f"#run-{cell_id}")
    page.wait_for_selector(f"#cell-{cell_id}[data-runs='{runs + 1}']", timeout=timeout_ms)
    return page.get_attribute(f"#cell-{cell_id}", "data-state"), page.inner_text(f"#output-{cell_id}")


def test_lab_trains_digits_in_the_page_and_the_download_loads_natively(browser_page, tmp_path):
    browser_page.open("web/lab/")
    page = browser_page.page

    page.click("#run-digits")
    # Progress must show while fit() is still running: the worker keeps the page live.
    page.wait_for_function(
        """() => document.querySelector('#cell-digits').dataset.state === 'running'
                 && /epoch \\d+\\/20/.test(document.querySelector('#progress-text-digits').textContent)""",
        timeout=TRAINING_TIMEOUT_MS)
    page.wait_for_selector("#cell-digits[data-runs='1']", timeout=TRAINING_TIMEOUT_MS)
    output = page.inner_text("#output-digits")
    assert page.get_attribute("#cell-digits", "data-state") == "done", output
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", output).group(1))
    assert accuracy >= 0.93
    assert page.get_attribute("#chart-digits", "data-points") == "20", "one chart point per epoch"
    assert page.inner_text("#progress-text-digits").startswith("epoch 20/20 done")

    assert page.is_disabled("#download-save-load")
    state, output = run_cell(page, "save-load")
    assert state == "done", output
    assert "restored model gives the same predictions: True" in output
    with page.expect_download() as download_info:
        page.click("#download-save-load")
    download = download_info.value
    assert download.suggested_filename == "digits_model.pydl"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    from pydl import datasets, models

    model = models.load_model(saved)
    _, (x_test, y_test) = datasets.load_digits()
    predictions = model.predict(x_test.reshape(len(x_test), 64).astype("float32") / 16.0)
    native_accuracy = float(np.mean(predictions.argmax(axis=1) == y_test))
    assert abs(native_accuracy - accuracy) < 1e-3, "the downloaded model is the one trained in the page"
    browser_page.assert_clean()


def test_a_training_cell_pauses_within_200_ms_and_stop_ends_its_fit_early(browser_page):
    browser_page.open("web/lab/")
    page = browser_page.page
    assert page.is_disabled("#pause-digits") and page.is_disabled("#stop-digits")  # nothing trains yet
    code = page.evaluate("pydlLab.code('digits')")
    assert "epochs=20," in code
    set_code(page, "digits", code.replace("epochs=20,", "epochs=500,"))  # longer than the pauses below need
    page.click("#run-digits")
    page.wait_for_function("!document.getElementById('pause-digits').disabled", timeout=TRAINING_TIMEOUT_MS)

    trains_on = status_moves_on("#progress-text-digits", timeout=60_000)  # a few times a second while fit() runs
    resume = resume_with("#pause-digits", "#cell-digits", value="running")
    assert_pause_answers(page, "lab cell", {"button": "#pause-digits", "target": "#cell-digits"}, resume,
                         between=trains_on)
    page.click("#pause-digits")
    page.wait_for_selector("#cell-digits[data-state=paused]")
    assert page.inner_text("#pause-digits") == "Resume"
    paused_at = page.inner_text("#progress-text-digits")
    page.wait_for_timeout(1000)
    assert page.inner_text("#progress-text-digits") == paused_at  # a paused fit trains nothing
    page.click("#stop-digits")  # stops while paused: the epoch in progress ends, then fit() returns
    page.wait_for_selector("#cell-digits[data-runs='1']", timeout=TRAINING_TIMEOUT_MS)
    output = page.inner_text("#output-digits")
    assert page.get_attribute("#cell-digits", "data-state") == "done", output
    done = re.search(r"^epoch (\d+)/500 done", page.inner_text("#progress-text-digits"))
    assert done and int(done.group(1)) < 500, page.inner_text("#progress-text-digits")
    assert "test accuracy:" in output  # the rest of the cell ran on the model as trained
    assert page.is_disabled("#pause-digits") and page.is_disabled("#stop-digits")
    browser_page.assert_clean()


def test_lab_lstm_cell_reads_digits_row_by_row_in_the_page(browser_page):
    browser_page.open("web/lab/")
    page = browser_page.page
    # Run on the route a reader gets once the page has settled (OpenBLAS loads just after ready).
    page.wait_for_selector("body:not([data-blas='loading'])", timeout=60_000)
    state, output = run_cell(page, "lstm")
    assert state == "done", output
    accuracy = float(re.search(r"LSTM test accuracy: ([0-9.]+)", output).group(1))
    assert accuracy >= 0.85, output
    # the comparison ran to its last line
    assert re.search(r"SimpleRNN test accuracy: [0-9.]+", output) and re.search(r"for [+-][0-9.]+ accuracy", output)
    assert page.inner_text("#progress-text-lstm").startswith("epoch 10/10 done"), "the lab's progress showed"
    print(f"LSTM cell in the page: {page.inner_text('#elapsed-lstm')}")  # speed is for benchmarks/, not asserted
    browser_page.assert_clean()


def test_lab_text_cells_learn_words_and_generate_characters_in_the_page(browser_page):
    browser_page.open("web/lab/")
    page = browser_page.page
    page.wait_for_selector("body:not([data-blas='loading'])", timeout=60_000)
    state, output = run_cell(page, "words")
    assert state == "done", output
    accuracy, baseline = map(float, re.search(
        r"held-out accuracy: ([0-9.]+) \(majority baseline: ([0-9.]+)\)", output).groups())
    assert accuracy > baseline, output
    assert re.search(r"words pointing towards good: \w+", output), output
    words_time = page.inner_text("#elapsed-words")

    state, output = run_cell(page, "generate")
    assert state == "done", output
    samples = re.findall(r"^temperature ([0-9.]+): little hen, (.+)$", output, re.M)
    assert [float(t) for t, _ in samples] == [0.2, 0.5, 1.0, 1.5], output
    assert all(len(sample) >= 60 for _, sample in samples), output  # printed lines may lose trailing spaces
    print(f"words cell in the page: {words_time}; generate cell: {page.inner_text('#elapsed-generate')}; "
          + re.search(r"next-character accuracy.*", output).group(0))
    browser_page.assert_clean()


def test_cells_run_edited_code_and_show_errors_in_the_page(browser_page):
    browser_page.open("web/lab/")
    page = browser_page.page
    state, output = run_cell(page, "tensors", 60_000)
    assert state == "done" and "gradients match the hand-derived formulas" in output

    set_code(page, "tensors", "print('before')\nnumbers = [1, 2]\nnumbers[5]\n")
    state, output = run_cell(page, "tensors", 60_000)
    assert state == "error"
    assert "before" in output and "IndexError: list index out of range" in output and 'line 3' in output
    assert page.inner_text("#elapsed-tensors").endswith(" s")
    browser_page.assert_clean()


def test_a_request_from_the_python_worker_to_another_origin_is_caught(browser_page):
    # Proves the no-external-request net also covers the worker, where the pages' Python runs.
    browser_page.open("web/lab/")
    page = browser_page.page
    set_code(page, "tensors", "import js\njs.fetch('http://example.invalid/leak')\n")
    run_cell(page, "tensors", 60_000)
    page.wait_for_timeout(500)
    assert "http://example.invalid/leak" in browser_page.external_requests
    browser_page.external_requests.clear()
