"""The code lab's Python: runs the notebook's cells in this worker with live output, and converts notebooks.

The notebook itself (cells, editors, toolbar, autosave, Stop) lives on the page's thread in notebook.js; main() hands
it the original cells, `command` (what the page asks Python to do) and the buffer Pyodide watches for interrupts.
Cells share one namespace, like a notebook. Each cell element carries data-state (idle, queued, running, paused,
done, error) and data-runs (finished runs) for people and tests; any fit() a cell calls (Sequential or functional
model) shows a progress bar and a loss chart while it runs, and can be paused or ended: the lab watches every
training loop the cell makes (pydl.models.loop.watching) and adds its callbacks. A cell's fit() is synchronous, so
the worker cannot take a click while it trains: ../common/training_controls.js (on the page's thread) writes the
click into the cell's data-control, and the lab's callback reads it between batches (one DOM read every 50 ms at
most). A cell that imports matplotlib gets it loaded first (once, 6.7 MB); its figures appear under the cell at
each plt.show() and at the cell's end.
"""

import asyncio
import contextlib
import io
import json
import os
import sys
import time
from urllib.parse import urljoin

from pyscript import window

from pydl_page import ON_PAGE_THREAD, apply, element, offer_download, redirect_output, run_page, training_progress

namespace = {"__name__": "__lab__"}


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
            if control == "interrupt":  # Stop from disk (notebook.js): no other Python may take the interrupt
                raise KeyboardInterrupt
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


# Frames of the lab's own code, left out of a cell's traceback: PyScript runs this file as "<exec>".
PLUMBING = ("<exec>", "/main.py", "pydl_page.py")
MATPLOTLIB_IMPORTS = {"matplotlib", "pylab", "mpl_toolkits"}
finished_runs = {}
running = {"key": None}  # the cell whose figures plt.show() shows


async def run_cell(request):
    """Run one cell's code (request: key, name, code, download); returns its state, "done" or "error"."""
    from pydl import notebook

    key, name = request["key"], request["name"]
    output = element(f"output-{key}")
    apply([{"id": f"output-{key}", "text": ""}, {"id": f"chart-{key}", "text": ""}, {"id": f"figures-{key}", "html": ""},
           {"id": f"progress-text-{key}", "text": ""}, {"id": f"cell-{key}", "data": {"state": "running", "control": "run"}}])
    started = time.perf_counter()
    running["key"] = key
    try:
        code = notebook.compile_cell(request["code"], name)
        await load_packages_for(request["code"], key)
        with redirect_output(output), watch_training(key):
            exec(code, namespace)
        state = "done"
    except BaseException as error:  # the cell's own error (KeyboardInterrupt from Stop too), without the lab's frames
        with redirect_output(output):
            print(notebook.format_cell_error(error, name, PLUMBING), file=sys.stderr, end="")
        state = "error"
    show_figures(key)
    ops = [{"id": f"elapsed-{key}", "text": f"{time.perf_counter() - started:.1f} s"}]
    if request.get("download") and os.path.exists(request["download"]):
        ops.append({"id": f"download-{key}", "disabled": False, "attrs": {"title": ""}})
    # Last of all, so a test that sees the count change can click the next button at once.
    finished_runs[key] = finished_runs.get(key, 0) + 1
    apply(ops + [{"id": f"cell-{key}", "data": {"state": state, "runs": str(finished_runs[key])}}])
    return state


async def load_packages_for(source, key):
    """Load matplotlib (from the site, checked against Pyodide's lock) the first time a cell imports it, with the
    non-interactive Agg backend and a plt.show() that puts the figures under the cell."""
    from pyodide.code import find_imports

    if "matplotlib" in sys.modules or not MATPLOTLIB_IMPORTS & set(find_imports(source)):
        return
    import pyodide_js

    element(f"progress-text-{key}").textContent = "loading matplotlib (once, 6.7 MB)…"
    os.environ["MPLBACKEND"] = "agg"
    await pyodide_js.loadPackage("matplotlib")
    with contextlib.redirect_stderr(io.StringIO()):  # "building the font cache": news to no learner, once per load
        import matplotlib.pyplot as pyplot

    pyplot.show = lambda *args, **kwargs: show_figures(running["key"])
    element(f"progress-text-{key}").textContent = ""


def show_figures(key):
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None or key is None:
        return
    from pydl import notebook

    images = "".join(f'<img alt="figure {n}" src="data:image/png;base64,{png}">'
                     for n, png in enumerate(notebook.figure_pngs(pyplot), 1))
    if images:
        element(f"figures-{key}").insertAdjacentHTML("beforeend", images)


async def command(action, payload_json):
    """What the notebook on the page asks of Python; answers a JSON string."""
    from pydl import notebook

    payload = json.loads(payload_json)
    if action == "run":
        return json.dumps({"state": await run_cell(payload)})
    if action == "ipynb":
        return json.dumps({"text": notebook.ipynb_text(payload["cells"])})
    if action == "py":
        return json.dumps({"text": notebook.to_py(payload["cells"])})
    if action == "open":
        try:
            return json.dumps({"cells": notebook.from_ipynb(payload["text"])})
        except notebook.NotebookError as error:
            return json.dumps({"error": str(error)})
    if action == "download":
        with open(payload["file"], "rb") as f:
            offer_download(payload["file"], f.read())
        return "{}"
    raise ValueError(f"the lab has no action {action!r}")


def interrupt_buffer():
    """The Int32Array Pyodide checks between bytecodes: Stop writes 2 into it and the cell gets KeyboardInterrupt.
    In the worker it is shared memory, so the page writes it while this thread is busy. From disk Python runs on the
    page's thread, which takes a click only while a cell's fit() gives it a turn, and then other Python (the OpenBLAS
    download) may run and would take the interrupt: there Stop asks the cell's training callback instead (data-control
    "interrupt"), and this buffer is not given to Pyodide."""
    import js
    import pyodide_js

    if ON_PAGE_THREAD:
        return js.Int32Array.new(1)
    buffer = js.Int32Array.new(js.SharedArrayBuffer.new(4))
    pyodide_js.setInterruptBuffer(buffer)
    return buffer


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
    from pyodide.ffi import create_proxy

    cells, codes = await cells_fetched
    originals = [{**cell, "source": code} for cell, code in zip(cells, codes)]
    window.pydlLab.start(json.dumps(originals), create_proxy(command), interrupt_buffer())


# Training cells use OpenBLAS for matrix products; it loads in the background once the page is ready.
await run_page(main, browser_blas=True)  # noqa: F704  (PyScript runs this file with top-level await)
