"""The built site for the browser (tests/e2e) and Pyodide (tests/pyodide) tests.

`built_dist()` runs `python build.py` once per test session and returns dist/; `serving(dist)` serves it
with build.py's own server (same headers as `python build.py serve`) on a free port.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"
_build_result: dict = {}


def load_build_module():
    """build.py as a module (it is a script at the top level, not part of an installed package)."""
    spec = importlib.util.spec_from_file_location("pydl_build_script", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def built_dist() -> Path:
    """Build dist/ once per session with the real command line; a failed build fails the test (never skips)."""
    if "dist" not in _build_result:
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(ROOT / "build.py")], cwd=ROOT, capture_output=True, text=True)
        _build_result["seconds"] = time.monotonic() - started
        _build_result["output"] = result.stdout + result.stderr
        _build_result["dist"] = ROOT / "dist" if result.returncode == 0 else None
    if _build_result["dist"] is None:
        pytest.fail(f"python build.py failed:\n{_build_result['output'][-4000:]}", pytrace=False)
    return _build_result["dist"]


def build_seconds() -> float | None:
    return _build_result.get("seconds")


@contextlib.contextmanager
def serving(directory: Path, handler_headers: bool = True):
    """Serve directory on 127.0.0.1:<free port> in a thread; yields the base URL (ending in "/").

    handler_headers=False serves it like a static host that cannot set headers (plain http.server).
    """
    build = load_build_module()
    if handler_headers:
        server = build.make_server(directory, 0, quiet=True)
    else:
        import functools
        import http.server

        class PlainHandler(http.server.SimpleHTTPRequestHandler):
            extensions_map = build.IsolatedHandler.extensions_map

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(PlainHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def unzipped_site(dist: Path, folder: Path) -> Path:
    """Unzip dist/pydl-site.zip into folder, as a learner who downloads it does; returns the site folder in it.

    The copy lives wherever the caller puts it (a fresh temporary folder), so nothing may depend on the build path.
    """
    import zipfile

    with zipfile.ZipFile(dist / "pydl-site.zip") as archive:
        archive.extractall(folder)
    site = folder / "pydl-site"
    if not (site / "index.html").exists():
        pytest.fail(f"{dist / 'pydl-site.zip'} has no pydl-site/index.html", pytrace=False)
    return site


def require(condition: bool, message: str) -> None:
    """A missing prerequisite: fail loudly in CI (CI=true), skip with the fix elsewhere."""
    if condition:
        return
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def find_node() -> str:
    node = shutil.which("node")
    require(node is not None, "Node.js 18+ is needed to run pydl inside Pyodide: install it (apt-get install nodejs).")
    return node
