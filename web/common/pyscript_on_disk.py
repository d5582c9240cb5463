"""The part of PyScript's `pyscript` module that pydl's pages use, for a page opened from disk (file://).

There web/common/disk.js runs the page's main.py with Pyodide on the page's own thread, without PyScript (which
needs ES modules, refused from file://), and installs this file as `pyscript`. `document` and `window` are then
the page's own, so every main.py runs unchanged from disk and from a server. (Pages add event listeners with
pydl_page.listen, which works the same in both, not with PyScript's `when`.)
"""

import js

document = js.document
window = js.window

__all__ = ["document", "window"]
