"""The lab as a notebook a learner keeps: cells added and run from the keyboard, kept over a reload, stopped,
downloaded as .ipynb and .py that run natively, opened from .ipynb, errors on the cell's lines, plots inline."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time

import nbformat
import pytest

from tests.e2e.test_lab import run_cell, set_code

pytestmark = pytest.mark.e2e

CELL_TIMEOUT_MS = 60_000


def recorded_requests(browser_page):
    """Every URL the page and its Python worker ask for, from now on."""
    urls = []
    browser_page.context.on("request", lambda request: urls.append(request.url))
    return urls


def button(page, name):
    return page.get_by_role("button", name=name, exact=True)


def cell_keys(page):
    return page.eval_on_selector_all(".lab-cell", "cells => cells.map(c => c.dataset.cell)")


def add_cell(page):
    """Click "Add cell" with no cell focused (it lands last) and return its key."""
    before = cell_keys(page)
    button(page, "Add cell").click()
    page.wait_for_function("n => document.querySelectorAll('.lab-cell').length > n", arg=len(before))
    return next(key for key in cell_keys(page) if key not in before)


def keep_only(page, *keys):
    """Delete every cell but these, with each cell's own Delete button."""
    for key in cell_keys(page):
        if key not in keys:
            page.locator(f"#cell-{key}").get_by_role("button", name="Delete cell").click()
    assert cell_keys(page) == list(keys)


def test_a_typed_cell_runs_with_shift_enter_and_comes_back_after_a_reload(browser_page):
    requests = recorded_requests(browser_page)
    browser_page.open("web/lab/")
    page = browser_page.page
    key = add_cell(page)
    editor = page.locator(f"#code-{key} .cm-content")
    editor.click()
    # Enter after ":" indents the next line; Shift+Tab dedents; Tab indents (it does not leave the editor).
    page.keyboard.type("def double(x):")
    page.keyboard.press("Enter")
    page.keyboard.type("return 2 * x")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("if True:")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("print('double:', double(21))")
    code = page.evaluate("k => pydlLab.code(k)", key)
    assert code == "def double(x):\n    return 2 * x\nif True:\n    print('double:', double(21))", code
    assert page.evaluate("document.activeElement.closest('.cm-editor') !== null")

    cells_before = len(cell_keys(page))
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector(f"#cell-{key}[data-runs='1']", timeout=CELL_TIMEOUT_MS)
    assert page.get_attribute(f"#cell-{key}", "data-state") == "done"
    assert "double: 42" in page.inner_text(f"#output-{key}")
    assert len(cell_keys(page)) == cells_before + 1, "Shift+Enter on the last cell moves on to a new one"
    new_key = cell_keys(page)[-1]
    assert page.evaluate("k => document.activeElement.closest('.lab-cell').dataset.cell", new_key) == new_key

    editor.click()
    page.keyboard.press("Control+Enter")  # runs in place: no new cell, focus stays
    page.wait_for_selector(f"#cell-{key}[data-runs='2']", timeout=CELL_TIMEOUT_MS)
    assert len(cell_keys(page)) == cells_before + 1
    assert page.evaluate("document.activeElement.closest('.lab-cell').dataset.cell") == key

    set_code(page, "tensors", "# my own tensors cell\n")
    page.locator("#cell-digits").get_by_role("button", name="Move cell up").click()
    order = cell_keys(page)
    assert order[:2] == ["digits", "tensors"]
    page.reload()
    page.wait_for_selector("#pydl-status[data-state=ready]", timeout=120_000)
    assert cell_keys(page) == order, "cells, their order and the added ones come back after a reload"
    assert page.evaluate("k => pydlLab.code(k)", key) == code
    assert page.evaluate("pydlLab.code('tensors')") == "# my own tensors cell\n"
    assert "def double" in page.inner_text(f"#code-{key}")  # shown in the editor, not only kept

    page.locator("#cell-tensors").get_by_role("button", name="Reset to the original").click()
    assert "gradients match" in page.evaluate("pydlLab.code('tensors')")
    page.once("dialog", lambda dialog: dialog.accept())
    button(page, "Reset all to the original").click()
    assert cell_keys(page)[:2] == ["tensors", "digits"] and key not in cell_keys(page)
    assert not any("matplotlib" in url for url in requests), "no plot, no matplotlib download"
    browser_page.assert_clean()


def test_stop_ends_an_endless_loop_within_3_s_and_the_next_cell_runs(browser_page):
    browser_page.open("web/lab/")
    page = browser_page.page
    assert button(page, "Stop").is_disabled()
    set_code(page, "tensors", "print('looping')\nwhile True:\n    pass\n")
    page.click("#run-tensors")
    page.wait_for_function("document.getElementById('output-tensors').textContent.includes('looping')")
    page.wait_for_timeout(1000)  # well inside the loop
    assert page.get_attribute("#cell-tensors", "data-state") == "running"
    started = time.monotonic()
    button(page, "Stop").click()
    page.wait_for_selector("#cell-tensors[data-runs='1']", timeout=3000)
    stopped_after = time.monotonic() - started
    assert page.get_attribute("#cell-tensors", "data-state") == "error"
    output = page.inner_text("#output-tensors")
    assert output.rstrip().endswith("KeyboardInterrupt") and 'File "<cell 1>", line 2' in output, output
    print(f"Stop ended the loop after {stopped_after:.2f} s")
    page.wait_for_selector("#lab-stop:disabled", timeout=1000)  # nothing left to stop

    set_code(page, "digits", "print('the lab is still usable')\n")
    state, output = run_cell(page, "digits", CELL_TIMEOUT_MS)
    assert state == "done" and "the lab is still usable" in output
    browser_page.assert_clean()


def run_code_cells_natively(cells, workdir):
    namespace, captured = {"__name__": "__main__"}, io.StringIO()
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(captured):
            for cell in cells:
                if cell.cell_type == "code":
                    exec(compile(cell.source, "<downloaded cell>", "exec"), namespace)
    finally:
        os.chdir(previous)
    return captured.getvalue()


def test_the_downloaded_ipynb_is_valid_and_runs_natively_and_the_py_too(browser_page, tmp_path):
    browser_page.open("web/lab/")
    page = browser_page.page
    keep_only(page, "tensors")
    note = add_cell(page)
    page.locator(f"#cell-{note}").get_by_role("button", name="Make Markdown").click()
    set_code(page, note, "# My notes\n\nThe *sum* below is computed by pydl.")
    page.locator(f"#cell-{note}").get_by_role("button", name="Run").click()
    page.wait_for_selector(f"#cell-{note} .lab-markdown h1")
    code = add_cell(page)
    set_code(page, code, "import pydl\ntotal = pydl.Tensor([1.0, 2.0, 3.5]).sum()\nprint('sum:', float(total.data))")
    button(page, "Run all").click()
    page.wait_for_selector(f"#cell-{code}[data-runs='1']", timeout=CELL_TIMEOUT_MS)
    assert page.get_attribute("#cell-tensors", "data-runs") == "1"

    with page.expect_download() as download_info:
        button(page, "Download .ipynb").click()
    assert download_info.value.suggested_filename == "pydl-lab.ipynb"
    path = tmp_path / "pydl-lab.ipynb"
    download_info.value.save_as(path)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert [c.cell_type for c in notebook.cells] == ["code", "markdown", "code"]
    shown = "".join(o.text for o in notebook.cells[2].outputs if o.output_type == "stream")
    assert shown == "sum: 6.5\n", "the cell's output travels in the notebook"
    native = run_code_cells_natively(notebook.cells, tmp_path)
    assert "gradients match the hand-derived formulas" in native and "sum: 6.5" in native

    with page.expect_download() as download_info:
        button(page, "Download .py").click()
    script = tmp_path / "pydl-lab.py"
    download_info.value.save_as(script)
    assert "# %% [markdown]\n# # My notes" in script.read_text()
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        exec(compile(script.read_text(), str(script), "exec"), {"__name__": "__main__"})
    assert captured.getvalue() == native
    browser_page.assert_clean()


def test_open_ipynb_loads_a_jupyter_notebook_and_refuses_a_malformed_one(browser_page, tmp_path):
    browser_page.open("web/lab/")
    page = browser_page.page
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"nbformat": 4, "cells": [{"cell_type": "widget"}]}')
    before = cell_keys(page)
    assert button(page, "Open .ipynb").is_enabled()  # it opens the file picker, whose input a test sets directly
    page.set_input_files("#lab-open-file", str(broken))
    page.wait_for_selector("#lab-message[data-kind=error]")
    assert "Could not open broken.ipynb: cell 1 is not a code, markdown or raw cell" in page.inner_text("#lab-message")
    assert cell_keys(page) == before, "a refused file changes nothing"

    written = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# From Jupyter\n\n<img src=x onerror=alert(1)> stays text"),
        nbformat.v4.new_code_cell("answer = 6 * 7\nprint('answer', answer)",
                                  outputs=[nbformat.v4.new_output("stream", name="stdout", text="answer 42\n")]),
    ])
    path = tmp_path / "jupyter.ipynb"
    path.write_text(nbformat.writes(written))
    page.set_input_files("#lab-open-file", str(path))
    page.wait_for_selector("#lab-message[data-kind=info]")
    assert cell_keys(page) == ["c1", "c2"]
    assert page.inner_text("#cell-c1 .lab-markdown h1") == "From Jupyter"
    assert page.locator("#cell-c1 .lab-markdown img").count() == 0  # raw HTML is shown, never run
    assert page.inner_text("#output-c2") == "answer 42\n", "the notebook's saved output is shown"
    state, output = run_cell(page, "c2", CELL_TIMEOUT_MS)
    assert state == "done" and output == "answer 42\n"
    browser_page.assert_clean()


def test_errors_name_the_cells_line_and_leave_out_the_labs_frames(browser_page):
    browser_page.open("web/lab/")
    page = browser_page.page
    set_code(page, "tensors", "x = 1\ny = (2 +\nz = 3\n")
    state, output = run_cell(page, "tensors", CELL_TIMEOUT_MS)
    assert state == "error"
    assert 'File "<cell 1>", line 2' in output and "y = (2 +" in output and "^" in output, output
    assert "<exec>" not in output and "run_cell" not in output, output

    set_code(page, "digits", (
        "import numpy as np\nfrom pydl import layers, models\n"
        "model = models.Sequential([layers.Input((4,)), layers.Dense(3)])\n"
        "model.compile(optimizer='sgd', loss='mse')\n"
        "model.fit(np.zeros((8, 4), 'float32'), np.zeros((8, 5), 'float32'), epochs=1, verbose=0)\n"))
    state, output = run_cell(page, "digits", CELL_TIMEOUT_MS)
    assert state == "error"
    lines = output.splitlines()
    assert lines[0] == "Traceback (most recent call last):" and lines[1].startswith('  File "<cell 2>", line 5'), output
    assert "site-packages/pydl/" in output, "the library's frames follow the cell's"
    assert "<exec>" not in output and "pydl_page" not in output and "main.py" not in output, output
    browser_page.assert_clean()


def test_a_plot_of_the_training_history_appears_inline(browser_page):
    browser_page.page.set_viewport_size({"width": 390, "height": 844})
    requests = recorded_requests(browser_page)
    browser_page.open("web/lab/")
    page = browser_page.page
    set_code(page, "tensors", (
        "import numpy as np\nimport matplotlib.pyplot as plt\nfrom pydl import layers, models\n"
        "x = np.linspace(-1, 1, 64, dtype='float32').reshape(-1, 1)\n"
        "model = models.Sequential([layers.Input((1,)), layers.Dense(8, activation='tanh'), layers.Dense(1)])\n"
        "model.compile(optimizer='adam', loss='mse')\n"
        "history = model.fit(x, x ** 2, epochs=5, verbose=0)\n"
        "plt.plot(history.history['loss'], label='loss')\nplt.xlabel('epoch')\nplt.legend()\nplt.show()\n"
        "plt.figure()\nplt.plot([3, 1, 2])\nprint('plotted')\n"))
    state, output = run_cell(page, "tensors", 180_000)
    assert state == "done" and "plotted" in output, output
    sizes = page.eval_on_selector_all("#figures-tensors img", "imgs => imgs.map(i => [i.naturalWidth, i.complete])")
    assert len(sizes) == 2 and all(width > 100 and complete for width, complete in sizes), sizes  # show(), cell end
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"sideways scroll at 390 px: {width}"
    assert any("matplotlib-3.8.4" in url for url in requests)
    browser_page.assert_clean()
