"""Python side of the shared page plumbing (see web/README.md).

Every page's main.py runs in a PyScript worker, so long computations never freeze the page, and
reaches the page through `pyscript.window` / `pyscript.document`: with cross-origin isolation those
calls are synchronous, so a progress bar updated from inside a synchronous `model.fit` repaints at
once. Values cross the worker boundary as strings (JSON or base64), the one type that always does.
Each call is a round trip to the page (a few ms), so a page that changes many elements at once batches
them with apply() and reads its fields with read().

    from pydl_page import run_page, LineChart, TrainingProgress

    async def main():
        ...            # wire up the page; pydl and numpy are importable here
    await run_page(main)
"""

import asyncio
import base64
import importlib
import inspect
import io
import json
import time
import traceback

from pyscript import document, window

page = window.pydlPage
# Opened from disk (file://), this Python runs on the page's own thread (web/common/disk.js), not in a worker.
ON_PAGE_THREAD = str(page.mode) == "disk"


def yield_to_browser():
    """From inside synchronous code (a fit() in a lab cell), let the page paint and take clicks, when that is needed
    and possible: only on the page's thread (opened from disk), and only where JSPI can suspend this call (a task)."""
    if not ON_PAGE_THREAD:
        return  # in a worker the page never waits for Python
    from pyodide.ffi import can_run_sync, run_sync

    if can_run_sync():
        run_sync(page.nextTask())


async def load_pydl():
    """Load NumPy and the pydl wheel that build.py put in dist/, reporting each step on the page.

    Both come from one loadPackage call, so the two downloads overlap; the wheel's URL is in build-info.json,
    which page.js fetched while the runtime was starting (pydlPage.buildInfo), so no round trip is left between.
    """
    import pyodide_js
    from js import Object
    from pyodide.ffi import create_proxy, to_js

    page.step("numpy", "active")
    page.step("pydl", "active", "downloading…")
    wheel = page.url(json.loads(await _build_info())["pydl_wheel"])
    # NumPy resolves through vendor/pyodide/pyodide-lock.json, whose sha256 entries Pyodide checks; a wheel URL
    # is installed as is (a pure-Python wheel: unpacked into site-packages).
    errors = []
    on_error = create_proxy(errors.append)
    try:
        await pyodide_js.loadPackage(to_js(["numpy", wheel]),
                                     to_js({"errorCallback": on_error}, dict_converter=Object.fromEntries))
    finally:
        on_error.destroy()
    if errors:  # loadPackage reports a failed download instead of raising: say which file, and why
        from pyodide.http import pyfetch

        await _fetch(pyfetch, wheel)  # raises "could not fetch ...: HTTP 404" if the wheel is the one missing
        raise RuntimeError("could not load NumPy and pydl: " + " ".join(errors))
    import numpy

    page.step("numpy", "done", f"NumPy {numpy.__version__}")
    importlib.invalidate_caches()
    import pydl

    page.step("pydl", "done", f"pydl {pydl.__version__}")


async def _build_info():
    """build-info.json's text: fetched by page.js at page start, else (page.js not done yet) fetched here."""
    text = page.buildInfo
    if text:
        return text
    from pyodide.http import pyfetch

    return (await _fetch(pyfetch, page.url("build-info.json"))).decode()


async def _fetch(pyfetch, url):
    response = await pyfetch(url)
    if not response.ok:
        raise RuntimeError(f"could not fetch {url}: HTTP {response.status}. Was the site built with build.py?")
    return await response.bytes()


async def run_page(main, browser_blas=False):
    """Load everything, run the page's async `main()`, then flag the page ready; any failure is shown.

    browser_blas=True: once the page is ready, load OpenBLAS in the background (pydl.backend.load_browser_blas(),
    6.1 MB once) so that later training uses cblas_?gemm; <body data-blas> goes "loading", then "true"/"false".
    """
    global _sending_at_once
    try:
        await load_pydl()
        await main()
        _sending_at_once = False
        _send_listeners()
    except BaseException as error:  # the reason must reach the page, whatever it is
        page.fail(f"{type(error).__name__}: {error}", traceback.format_exc())
        raise
    page.ready()
    if browser_blas:
        _background.add(asyncio.ensure_future(_load_blas_in_background()))


_background = set()  # strong references to background tasks, so that they are not collected half-way


async def _load_blas_in_background():
    import pydl.backend

    document.body.dataset.blas = "loading"
    try:
        in_use = await pydl.backend.load_browser_blas()
    except Exception as error:  # the page works without BLAS, only slower: say so in the console, not as a failure
        window.console.warn(f"pydl: OpenBLAS not loaded ({type(error).__name__}: {error}); products use NumPy")
        in_use = False
    document.body.dataset.blas = "true" if in_use else "false"


def element(element_id):
    found = document.getElementById(element_id)
    if found is None:
        raise LookupError(f"the page has no element with id {element_id!r}")
    return found


def offer_download(filename, data, mime="application/octet-stream"):
    """Let the user save `data` (bytes) as `filename`."""
    page.download(filename, base64.b64encode(data).decode("ascii"), mime)


def apply(ops):
    """Make many DOM changes in one round trip to the page (each call from the worker costs a few ms).

    ops: a list of {"id" or "sel" (a CSS selector, first match), "text", "html", "value", "hidden", "disabled",
    "attrs": {attribute: value}, "data": {data-* name: value}}; any key may be left out:

        apply([{"id": "count", "text": "3 runs", "data": {"runs": "3"}}, {"sel": "#runs tbody", "html": rows}])
    """
    page.apply(json.dumps(ops))


def message_op(box_id, message):
    """The apply() op that shows `message` in the element box_id, or hides it when the message is empty."""
    return {"id": box_id, "text": message or "", "hidden": not message}


_listeners = []  # listen()'s handlers; the page calls _dispatch(index, event) with an index into this list
_unsent = []  # [selector, event type, index] for the listeners the page has not been given yet
_sending_at_once = True  # until run_page has run main(): every listen() so far goes to the page in one call
_dispatch_proxy = None


def listen(event_type, selector, handler):
    """Call `handler` (sync or async) on each `event_type` event of the elements matching `selector` (CSS), with the
    event if it takes a parameter. PyScript's `when` without its cost at start-up: `when` asks the page for each
    element and adds each listener in a round trip of its own (about 1 s for a page with 20 controls); the
    listeners a page asks for before its main() returns reach the page in one call (page.js listen()), later ones at
    once. A selector that matches nothing is an error that names it. Handlers run as asyncio tasks."""
    takes_event = bool(inspect.signature(handler).parameters)
    _listeners.append(handler if takes_event else lambda event: handler())
    _unsent.append([selector, event_type, len(_listeners) - 1])
    if not _sending_at_once:
        _send_listeners()


def _dispatch(index, event):
    result = _listeners[index](event)
    if inspect.isawaitable(result):
        # A task, on the page's thread too: there a task can suspend synchronous Python (JSPI, yield_to_browser),
        # so that a long synchronous fit() in a lab cell still lets the page paint and answer.
        asyncio.ensure_future(result)


def _send_listeners():
    global _dispatch_proxy
    if not _unsent:
        return
    if _dispatch_proxy is None:
        from pyodide.ffi import create_proxy

        _dispatch_proxy = create_proxy(_dispatch)
    page.listen(json.dumps(_unsent), _dispatch_proxy)
    _unsent.clear()


_handled_clicks = 0


def wire(selector, event, box_id, handler):
    """Call `handler` (sync or async) on each `event` of `selector`, passing the event if its parameter is named `event`.

    Any failure becomes a message in box_id, never a dead page. Handled clicks are counted on <body data-clicks>
    once fully handled, so tests (and curious people) can tell when the page has caught up with them.
    """
    takes_event = "event" in inspect.signature(handler).parameters  # by name: other parameters keep their defaults
    counts = event == "click"

    async def run(event=None):
        global _handled_clicks
        try:
            await settled(handler(event) if takes_event else handler())
        except Exception as error:  # a bug: say so where the learner looks; the page keeps working
            traceback.print_exc()
            apply([message_op(box_id, f"Something went wrong: {type(error).__name__}: {error}")])
        finally:
            if counts:
                _handled_clicks += 1
                apply([{"sel": "body", "data": {"clicks": str(_handled_clicks)}}])

    listen(event, selector, run)


async def settled(result):
    """The value of a sync or async callable's call: ``await settled(handler())`` serves both kinds of handler."""
    return await result if asyncio.iscoroutine(result) else result


def read(*ids, selector=None):
    """Form field values in one round trip, by id: read("rate", "epochs") -> {"rate": "0.1", "epochs": "5"}.

    read(selector="#setup input, #setup select") reads every matching field that has an id (for fields a page
    builds itself). Values are the fields' text, True/False for checkboxes, None for an id the page lacks.
    """
    return json.loads(page.read(json.dumps(list(ids) if selector is None else selector)))


class LineChart:
    """A uPlot line chart (web/common/charts.js) that grows point by point or is redrawn whole.

        chart = LineChart("chart-id", ["loss", "val_loss"], title="training")
        chart.add(epoch, loss=0.3, val_loss=0.4)         # one more point
        chart.set_data(xs, loss=[...], val_loss=[...])   # all the points at once (None leaves a gap)

    A series is a name, or a style {"label", "color", "width", "dash": [on, off], "points": size or False,
    "line": False (points only)}. Labels that are not Python names are passed as **{"mini-batch": value}.
    height and y_axis_width are in pixels; live_legend=False keeps the legend from following the cursor and
    zoom=False turns off drag-to-zoom.
    """

    def __init__(self, element_id, series, title="", x_label="epoch", y_label="", height=None, y_axis_width=None,
                 live_legend=True, zoom=True):
        series = list(series)
        self.series = [s if isinstance(s, str) else s["label"] for s in series]
        options = {"title": title, "series": series, "xLabel": x_label, "yLabel": y_label, "height": height,
                   "yAxisWidth": y_axis_width, "liveLegend": live_legend, "zoom": zoom}
        self.chart_id = page.charts.create(element_id, json.dumps(options))
        self.x = []
        self.values = {name: [] for name in self.series}

    def add(self, x, **values):
        self.x.append(float(x))
        for name in self.series:
            self.values[name].append(_number_or_none(values.get(name)))
        self._draw()

    def set_data(self, x, **values):
        self.x = [float(v) for v in x]
        self.values = {name: [_number_or_none(v) for v in values[name]] if name in values else [None] * len(self.x)
                       for name in self.series}
        self._draw()

    def _draw(self):
        page.charts.setData(self.chart_id, json.dumps({"x": self.x, **self.values}))


def _number_or_none(value):
    return None if value is None else float(value)


def training_progress(progress_id, text_id, chart_id=None, min_interval=0.1):
    """A pydl Callback that shows fit() progress on the page while fit() runs: model.fit(..., callbacks=[it]).

    progress_id: a `.progress` element holding one <div> (the bar); text_id: where "epoch 3/10 ..." goes;
    chart_id: an element for a per-epoch chart of the logged metrics (optional).
    """
    return _training_progress_class()(progress_id, text_id, chart_id, min_interval)


_progress_class = None


def _training_progress_class():
    # Defined on first use: pydl is only importable once run_page has installed it.
    global _progress_class
    if _progress_class is None:
        from pydl.callbacks import Callback

        _progress_class = type("TrainingProgress", (_TrainingProgressHooks, Callback), {})
    return _progress_class


class _TrainingProgressHooks:
    """The hooks of training_progress()'s callback (mixed into pydl's Callback on first use)."""

    def __init__(self, progress_id, text_id, chart_id=None, min_interval=0.1):
        super().__init__()
        self.bar = element(progress_id).firstElementChild
        self.text = element(text_id)
        self.chart_id = chart_id
        self.chart = None
        self.min_interval = min_interval
        self.epochs = self.steps = None
        self.epoch = 0
        self.last_update = 0.0

    def on_train_begin(self, logs=None):
        params = getattr(self, "params", None) or {}
        self.epochs, self.steps = params.get("epochs"), params.get("steps")
        self.bar.style.width = "0%"

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if now - self.last_update < self.min_interval:
            return  # each update is a round trip to the page; a few per second is plenty
        self.last_update = now
        done = self.epoch + ((batch + 1) / self.steps if self.steps else 0)
        self._show(done, f"epoch {self.epoch + 1}{self._of_epochs()}, batch {batch + 1}", logs)
        yield_to_browser()

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        self._show(epoch + 1, f"epoch {epoch + 1}{self._of_epochs()} done", logs)
        if self.chart_id and logs:
            if self.chart is None:
                self.chart = LineChart(self.chart_id, sorted(logs), title="training", x_label="epoch")
            self.chart.add(epoch + 1, **logs)
        yield_to_browser()

    def _of_epochs(self):
        return f"/{self.epochs}" if self.epochs else ""

    def _show(self, epochs_done, label, logs):
        if self.epochs:
            self.bar.style.width = f"{100 * min(epochs_done / self.epochs, 1):.1f}%"
        metrics = "  ".join(f"{k}={float(v):.4f}" for k, v in (logs or {}).items() if _is_number(v))
        self.text.textContent = f"{label}  {metrics}".strip()


def _is_number(value):
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


class LiveOutput(io.TextIOBase):
    """A text stream that appends to a page element as it is written (stdout of a running cell)."""

    def __init__(self, target, css_class=None):
        self.target = target
        self.css_class = css_class

    def writable(self):
        return True

    def write(self, text):
        if text:
            span = document.createElement("span")
            if self.css_class:
                span.className = self.css_class
            span.textContent = text
            self.target.append(span)
            self.target.scrollTop = self.target.scrollHeight
        return len(text)


def redirect_output(target):
    """Context manager: print() and errors written during the block appear in `target` as they happen."""
    from contextlib import ExitStack, redirect_stderr, redirect_stdout

    stack = ExitStack()
    stack.enter_context(redirect_stdout(LiveOutput(target)))
    stack.enter_context(redirect_stderr(LiveOutput(target, "stderr")))
    return stack


__all__ = ["run_page", "load_pydl", "yield_to_browser", "ON_PAGE_THREAD", "element", "offer_download", "apply", "read",
           "message_op", "listen", "wire", "settled", "SliceRunner", "LineChart", "training_progress", "LiveOutput",
           "redirect_output", "page"]
