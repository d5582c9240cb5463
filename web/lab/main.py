"""The code lab's page glue: editable cells from cells.json, run in this worker with live output.

Cells share one namespace, like a notebook. Each cell element carries data-state (idle, running, paused, done,
error) and data-runs (finished runs) for people and tests; any fit() a cell calls (Sequential or functional model)
shows a progress bar and a loss chart while it runs, and can be paused or stopped: the lab watches every training
loop the cell makes (pydl.models.loop.watching) and adds its callbacks. A cell's fit() is synchronous, so the worker
cannot take a click while it trains: ../common/training_controls.js (on the page's thread) writes the click into the
cell's data-control, and the lab's callback reads it between batches (one DOM read every 50 ms at most).
"""

import asyncio
import html
import json
import os
import sys
import time
import traceback
from urllib.parse import urljoin

from pyscript import document, when, window

from pydl_page import ON_PAGE_THREAD, apply, element, offer_download, redirect_output, run_page, training_progress

namespace = {"__name__": "__lab__"}


def cell_html(cell):
    cid = cell["id"]
    download = ""
    if cell.get("download"):
        download = (f'<button class="secondary" id="download-{cid}" disabled '
                    f'title="Run this cell first">Download {html.escape(cell["download"])}</button>')
    return f"""
<article class="card lab-cell" id="cell-{cid}" data-cell="{cid}" data-state="idle" data-controls>
  <h2>{html.escape(cell["title"])}</h2>
  <p class="teaches">{html.escape(cell["teaches"])}</p>
  <textarea id="code-{cid}" spellcheck="false" aria-label="Python code of {html.escape(cell["title"])}"></textarea>
  <div class="lab-actions">
    <button id="run-{cid}" class="run">Run</button>
    <button class="secondary" id="pause-{cid}" data-control="pause" disabled
      title="Pause the training in progress">Pause</button>
    <button class="secondary" id="stop-{cid}" data-control="stop" disabled
      title="End the training now; the cell carries on with the model as trained">Stop training</button> {download}
    <span class="lab-elapsed" id="elapsed-{cid}"></span>
  </div>
  <div class="progress" id="progress-{cid}" hidden><div></div></div>
  <div class="lab-progress-text" id="progress-text-{cid}"></div>
  <div class="chart" id="chart-{cid}"></div>
  <pre class="output" id="output-{cid}"></pre>
</article>"""


CONTROL_INTERVAL = 0.05  # seconds between two reads of a training cell's Pause/Stop state


def can_pause():
    """Whether a synchronous fit() can wait for Resume: in a worker it blocks on Atomics.wait (cross-origin isolated,
    so SharedArrayBuffer exists); on the page's thread (from disk) it needs JSPI to give the page its turns."""
    if ON_PAGE_THREAD:
        from pyodide.ffi import can_run_sync

        return can_run_sync()
    import js  # the worker's own global scope: Atomics.wait blocks this worker, never the page

    return bool(getattr(js, "crossOriginIsolated", False))


def wait_a_little():
    """Block this synchronous fit() about 50 ms while the page stays live (called only where can_pause())."""
    if ON_PAGE_THREAD:
        from pyodide.ffi import run_sync

        run_sync(asyncio.sleep(CONTROL_INTERVAL))
    else:
        from js import Atomics, Int32Array, SharedArrayBuffer

        Atomics.wait(Int32Array.new(SharedArrayBuffer.new(4)), 0, 0, int(CONTROL_INTERVAL * 1000))


def cell_control(cell_id):
    """The callback that lets a cell's Pause and Stop buttons act on the fit() in progress."""
    from pydl.callbacks import Callback

    class CellControl(Callback):
        def __init__(self):
            super().__init__()
            self.box = element(f"cell-{cell_id}")
            self.pausable = can_pause()
            self.checked = 0.0

        def on_train_begin(self, logs=None):
            apply([{"id": f"pause-{cell_id}", "disabled": not self.pausable, "text": "Pause"},
                   {"id": f"stop-{cell_id}", "disabled": not self.pausable}])

        def on_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            if not self.pausable or now - self.checked < CONTROL_INTERVAL:
                return
            self.checked = now
            control = str(self.box.dataset.control or "")
            if control == "pause":
                apply([{"id": f"cell-{cell_id}", "data": {"state": "paused"}}, {"id": f"pause-{cell_id}",
                                                                                 "text": "Resume"}])
                while control == "pause":
                    wait_a_little()
                    control = str(self.box.dataset.control or "")
                apply([{"id": f"cell-{cell_id}", "data": {"state": "running"}}, {"id": f"pause-{cell_id}",
                                                                                  "text": "Pause"}])
            if control == "stop":
                self.model.stop_training = True  # the epoch ends after this batch, then fit() returns

        def on_train_end(self, logs=None):
            apply([{"id": f"pause-{cell_id}", "disabled": True, "text": "Pause"},
                   {"id": f"stop-{cell_id}", "disabled": True}])

    return CellControl()


def watch_training(cell_id):
    """Every fit() of the cell (any model) reports to the cell's progress bar and chart and obeys its Pause/Stop."""
    from pydl.models.loop import watching

    element(f"progress-{cell_id}").hidden = True

    def callbacks():
        element(f"progress-{cell_id}").hidden = False
        return [training_progress(f"progress-{cell_id}", f"progress-text-{cell_id}", f"chart-{cell_id}"),
                cell_control(cell_id)]

    return watching(callbacks)


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
    box.dataset.control = "run"
    set_buttons_enabled(False)
    started = time.perf_counter()
    source = element(f"code-{cid}").value
    try:
        with redirect_output(output), watch_training(cid):
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
