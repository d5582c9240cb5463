"""The part of PyScript's `pyscript` module that pydl's pages use, for a page opened from disk (file://).

There web/common/disk.js runs the page's main.py with Pyodide on the page's own thread, without PyScript (which
needs ES modules, refused from file://), and installs this file as `pyscript`. `document` and `window` are then
the page's own, and `when` is PyScript 0.6.66's `when(event, selector)` for the forms the pages use, so every
main.py runs unchanged from disk and from a server.
"""

import inspect

import js
from pyodide.ffi import create_proxy

document = js.document
window = js.window


def when(event_type, selector, handler=None):
    """Call handler on each `event_type` event of the elements matching `selector` (CSS), as PyScript does:
    with the event if the handler takes a parameter, without it otherwise; an async handler runs as a task."""

    def decorate(func):
        if inspect.signature(func).parameters:
            listener = func
        else:
            def listener(event):
                return func()
        for found in document.querySelectorAll(selector):
            found.addEventListener(event_type, create_proxy(listener))
        return func

    return decorate(handler) if handler else decorate


__all__ = ["document", "window", "when"]
