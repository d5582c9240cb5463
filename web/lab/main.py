"""The code lab's page glue: editable cells from cells.json, run in this worker with live output.

Cells share one namespace, like a notebook. Each cell element carries data-state (idle, running, done,
error) and data-runs (finished runs) for people and tests; any fit() a cell calls (Sequential or functional model)
shows a progress bar and a loss chart while it runs.
"""

import asyncio
import html
import json
import os
import sys
import time
import traceback
from contextlib import contextmanager
from urllib.parse import urljoin

from pyscript import document, when, window

from pydl_page import training_progress, element, offer_download, redirect_output, run_page

namespace = {"__name__": "__lab__"}


def cell_html(cell):
    cid = cell["id"]
    download = ""
    if cell.get("download"):
        download = (f'<button class="secondary" id="download-{cid}" disabled '
                    f'title="Run this cell first">Download {html.escape(cell["download"])}</button>')
    return f"""
<article class="card lab-cell" id="cell-{cid}" data-cell="{cid}" data-state="idle">
  <h2>{html.escape(cell["title"])}</h2>
  <p class="teaches">{html.escape(cell["teaches"])}</p>
  <textarea id="code-{cid}" spellcheck="false" aria-label="Python code of {html.escape(cell["title"])}"></textarea>
  <div class="lab-actions">
    <button id="run-{cid}" class="run">Run</button> {download}
    <span class="lab-elapsed" id="elapsed-{cid}"></span>
  </div>
  <div class="progress" id="progress-{cid}" hidden><div></div></div>
  <div class="lab-progress-text" id="progress-text-{cid}"></div>
  <div class="chart" id="chart-{cid}"></div>
  <pre class="output" id="output-{cid}"></pre>
</article>"""


@contextmanager
def progress_for_every_fit(cell_id):
    """While a cell runs, every Model.fit (Sequential or functional) also reports to the cell's progress bar
    and chart."""
    element(f"progress-{cell_id}").hidden = True
    try:
        from pydl.models.training import Trainer  # the one training loop behind Sequential and Model
    except ImportError:  # a cell that needs models will say so itself
        yield
        return
    original_fit = Trainer.fit

    def fit_with_progress(self, *args, callbacks=None, **kwargs):
        element(f"progress-{cell_id}").hidden = False
        progress = training_progress(f"progress-{cell_id}", f"progress-text-{cell_id}", f"chart-{cell_id}")
        return original_fit(self, *args, callbacks=[*(callbacks or []), progress], **kwargs)

    Trainer.fit = fit_with_progress
    try:
        yield
    finally:
        Trainer.fit = original_fit


def set_buttons_enabled(enabled):
    for button in document.querySelectorAll("button.run"):
        button.disabled = not enabled


finished_runs = {}


def run_cell(cell):
    cid = cell["id"]
    box, output = element(f"cell-{cid}"), element(f"output-{cid}")
    output.textContent = ""
    element(f"chart-{cid}").textContent = ""
    element(f"progress-text-{cid}").textContent = ""
    box.dataset.state = "running"
    set_buttons_enabled(False)
    started = time.perf_counter()
    source = element(f"code-{cid}").value
    try:
        with redirect_output(output), progress_for_every_fit(cid):
            exec(compile(source, f"<cell {cid}>", "exec"), namespace)
        state = "done"
    except BaseException as error:  # the cell's own error, shown like Python would, without the lab's frames
        show_cell_error(error, cid, output)
        state = "error"
    element(f"elapsed-{cid}").textContent = f"{time.perf_counter() - started:.1f} s"
    if cell.get("download") and os.path.exists(cell["download"]):
        button = element(f"download-{cid}")
        button.disabled = False
        button.title = ""
    set_buttons_enabled(True)
    box.dataset.state = state
    # Last of all, so a test that sees the count change can click the next button at once.
    finished_runs[cid] = finished_runs.get(cid, 0) + 1
    box.dataset.runs = str(finished_runs[cid])


def show_cell_error(error, cid, output):
    frames = traceback.extract_tb(error.__traceback__)
    depth = next((i for i, f in enumerate(frames) if f.filename == f"<cell {cid}>"), 0)
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    lines = lines[:1] + traceback.format_list(frames[depth:]) + lines[-1:]
    with redirect_output(output):
        print("".join(lines), file=sys.stderr, end="")


def download(cell):
    with open(cell["download"], "rb") as f:
        offer_download(cell["download"], f.read())


async def fetch_text(url):
    from pyodide.http import pyfetch

    response = await pyfetch(url)
    if not response.ok:
        raise RuntimeError(f"could not fetch {url}: HTTP {response.status}")
    return await response.string()


async def fetch_cells():
    here = str(window.location.href)
    cells = json.loads(await fetch_text(urljoin(here, "cells.json")))
    codes = await asyncio.gather(*(fetch_text(urljoin(here, cell["file"])) for cell in cells))
    return cells, codes


# Started now, so the cells download while NumPy and pydl load (run_page awaits those first).
cells_fetched = asyncio.ensure_future(fetch_cells())


async def main():
    cells, codes = await cells_fetched
    element("cells").innerHTML = "".join(cell_html(c) for c in cells)
    for cell, code_text in zip(cells, codes):
        code = element(f"code-{cell['id']}")
        code.value = code_text
        code.rows = code_text.count("\n") + 1  # show the whole cell without scrolling
        when("click", f"#run-{cell['id']}")(lambda event, cell=cell: run_cell(cell))
        if cell.get("download"):
            when("click", f"#download-{cell['id']}")(lambda event, cell=cell: download(cell))


# Training cells use OpenBLAS for matrix products; it loads in the background once the page is ready.
await run_page(main, browser_blas=True)  # noqa: F704  (PyScript runs this file with top-level await)
