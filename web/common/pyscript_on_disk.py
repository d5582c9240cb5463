"""The part of PyScript's `pyscript` module that pydl's pages use, for a page opened from disk (file://).

There web/common/disk.js runs the page's main.py with Pyodide on the page's own thread, without PyScript (which
needs ES modules, refused from file://), and installs this file as `pyscript`. `document` and `window` are then
the page's own, and `when` is PyScript 0.6.66's `when(event, selector)` for the forms the pages use, so every
main.py runs unchanged from disk and from a server.
"""

import asyncio
import inspect

import js
from pyodide.ffi import create_proxy

document = js.document
window = js.window


def when(event_type, selector, handler=None):
    """Call handler on each `event_type` event of the elements matching `selector` (CSS), as PyScript does:
    with the event if the handler takes a parameter, without it otherwise.

    Every handler, sync or async, runs as an asyncio task: a task can suspend synchronous Python (JSPI, through
    pydl_page.yield_to_browser) so that a long synchronous fit() in a lab cell still lets this page paint and
    answer. (No page handler calls event.preventDefault(), which a task would call too late.)
    """

    def decorate(func):
        takes_event = bool(inspect.signature(func).parameters)

        async def run(event):
            result = func(event) if takes_event else func()
            if inspect.isawaitable(result):
                await result

        def listener(event):
            asyncio.ensure_future(run(event))

        for found in document.querySelectorAll(selector):
            found.addEventListener(event_type, create_proxy(listener))
        return func

    return decorate(handler) if handler else decorate


__all__ = ["document", "window", "when"]
