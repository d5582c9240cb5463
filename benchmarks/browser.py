"""The browser half of the benchmarks: pydl inside Pyodide (under Node) and page loads in headless Chromium.

Both run against the built site in ``dist/`` (``python build.py`` makes it), never against the source tree:

* **Pyodide steps.** ``pyodide_entry.py`` runs the MLP and convnet steps of ``cases.py`` inside Pyodide 0.27.7 through
  ``tests/pyodide/run_in_pyodide.mjs``, twice: with Pyodide's NumPy alone (no BLAS: a plain matmul loop) and
  with Pyodide's OpenBLAS loaded as a page opts in (``await pydl.backend.load_browser_blas()``), which makes
  ``pydl.backend.matmul`` call ``cblas_?gemm``. OpenBLAS comes from ``dist/vendor/pyodide`` (build.py ships it),
  else from ``$PYDL_PYODIDE_PACKAGES`` or the build cache, always checked against the sha256 in
  ``pyodide-lock.json``. Ratios are to the native medians of the same run.
* **Page loads.** Every page (``index.html`` and ``web/*/index.html``) is opened in a fresh browser profile
  (cold: empty HTTP cache) and then again in the same profile (warm), served from 127.0.0.1 with the headers
  ``build.py serve`` sends. Time to ready is from navigation to ``document.body.dataset.ready`` being set (the
  contract of ``web/common/page.js``); bytes are what the server sent for that load (bodies and headers). A page
  that opts into OpenBLAS downloads its zip on top (reported as "+ OpenBLAS" and checked against the size target).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = ROOT / "dist"
RUNNER = ROOT / "tests" / "pyodide" / "run_in_pyodide.mjs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]
BLAS_PACKAGES = ("openblas",)  # what a page opting into BLAS loads on top of numpy (pydl.backend.load_browser_blas)

BROWSER_TARGETS = {"mlp_vs_native": 30.0, "ready_cold_s": 5.0, "page_mb": 25.0}


# --------------------------------------------------------------------------- Pyodide under Node


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_dirs() -> list:
    """Where the OpenBLAS zip may be: the built site, an explicit folder, the build's download cache."""
    dirs = [DIST / "vendor" / "pyodide"]
    if os.environ.get("PYDL_PYODIDE_PACKAGES"):
        dirs.append(Path(os.environ["PYDL_PYODIDE_PACKAGES"]))
    cache = os.environ.get("PYDL_BUILD_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pydl-build"
    dirs.append(Path(cache) / "pyodide-packages")
    return dirs


def blas_files(dist: Path = DIST) -> dict:
    """``{file name: path}`` of the lock's OpenBLAS file, hash-checked; raises LookupError if missing."""
    lock = json.loads((dist / "vendor" / "pyodide" / "pyodide-lock.json").read_text())
    found = {}
    for name in BLAS_PACKAGES:
        entry = lock["packages"][name]
        for folder in _package_dirs():
            path = folder / entry["file_name"]
            if path.exists() and _sha256(path) == entry["sha256"]:
                found[entry["file_name"]] = path
                break
        else:
            raise LookupError(f"{entry['file_name']} (sha256 {entry['sha256'][:12]}...) is in none of "
                              f"{', '.join(map(str, _package_dirs()))}; set PYDL_PYODIDE_PACKAGES to a folder with it")
    return found


def _overlay_dist(dist: Path, extra_files: dict, where: Path) -> Path:
    """A copy of ``dist`` made of symlinks, with ``extra_files`` added to vendor/pyodide (dist is left untouched)."""
    root = where / "dist"
    pyodide_dir = root / "vendor" / "pyodide"
    pyodide_dir.mkdir(parents=True)
    for item in dist.iterdir():
        if item.name != "vendor":
            (root / item.name).symlink_to(item)
    for item in (dist / "vendor").iterdir():
        if item.name != "pyodide":
            (root / "vendor" / item.name).symlink_to(item)
    for item in (dist / "vendor" / "pyodide").iterdir():
        (pyodide_dir / item.name).symlink_to(item)
    for name, path in extra_files.items():
        if not (pyodide_dir / name).exists():
            (pyodide_dir / name).symlink_to(path)
    return root


def run_pyodide(config: dict, dist: Path = DIST, timeout_s: float = 900) -> dict:
    """Run pyodide_entry.py inside Pyodide with ``config``; returns its RESULT (raises RuntimeError on failure)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (Node 20 runs Pyodide for these benchmarks)")
    if not RUNNER.exists():
        raise RuntimeError(f"{RUNNER} is missing")
    if not (dist / "build-info.json").exists():
        raise RuntimeError(f"{dist} is not built; run `python build.py` first")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site = dist
        if config.get("openblas") and not all((dist / "vendor" / "pyodide" / n).exists() for n in blas_files(dist)):
            site = _overlay_dist(dist, blas_files(dist), tmp)
        (tmp / "bench_config.json").write_text(json.dumps(config))
        cmd = [node, str(RUNNER), str(site), str(HERE / "pyodide_entry.py"), str(HERE / "cases.py"),
               str(HERE / "harness.py"), str(tmp / "bench_config.json")]
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            raise RuntimeError(f"Pyodide run failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
        result = json.loads(lines[-1][len("RESULT "):])
        result["wall_s"] = time.perf_counter() - started
        return result


# The matrix products of one step of the convnet case (m, k, n): conv1 and conv2 im2col forward, their kernel
# gradients, conv2's input gradient, and the dense layer.
CONVNET_PRODUCTS = [(43264, 9, 32), (7744, 288, 64), (9, 43264, 32), (288, 7744, 64), (7744, 64, 288),
                    (64, 1600, 10)]


def pyodide_runs(native: dict, quick: bool = False, size: str = "full", log=print, clock: str = "wall") -> dict:
    """Both Pyodide variants, with every contender's ratio to its own native median."""
    config = {"cases": [c for c in ("mlp", "convnet", "lstm", "gru", "simple_rnn") if c in native], "size": size,
              "clock": clock, "repeats": 3 if quick else 5, "sample_s": 0.2, "matmul_sizes": [16, 24, 32, 48, 64, 128, 256]}
    if size == "full" and not quick:
        config["product_shapes"] = CONVNET_PRODUCTS
    out = {}
    for variant, openblas in (("numpy", False), ("numpy+openblas", True)):
        log(f"  Pyodide ({variant}) ...")
        try:
            result = run_pyodide({**config, "openblas": openblas})
        except (RuntimeError, LookupError, subprocess.TimeoutExpired) as error:
            out[variant] = {"error": str(error)}
            log(f"    not measured: {error}")
            continue
        for case, summary in result["cases"].items():
            for name, s in summary.items():
                if name in native.get(case, {}).get("contenders", {}):
                    s["vs_native"] = s["median_ms"] / native[case]["contenders"][name]["median_ms"]
        out[variant] = result
    return out


# --------------------------------------------------------------------------- pages in Chromium


class _Counter:
    """Bytes the server wrote, per request path; reset before each page load."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.bytes, self.requests = 0, {}

    def add(self, path: str, n: int):
        with self.lock:
            self.bytes += n
            self.requests[path] = self.requests.get(path, 0) + n


def _server(dist: Path, counter: _Counter):
    """The handler ``build.py serve`` uses (same headers), counting bytes; port chosen by the OS."""
    import http.server
    from functools import partial

    try:
        sys.path.insert(0, str(ROOT))
        from build import IsolatedHandler as Base  # the production headers: COOP/COEP, no-cache, wasm MIME
    except Exception:
        Base = http.server.SimpleHTTPRequestHandler
    finally:
        sys.path.remove(str(ROOT))

    class CountingWriter:
        def __init__(self, raw, path_of):
            self.raw, self.path_of = raw, path_of

        def write(self, data):
            counter.add(self.path_of(), len(data))
            return self.raw.write(data)

        def __getattr__(self, name):
            return getattr(self.raw, name)

    class Handler(Base):
        def setup(self):
            super().setup()
            self.wfile = CountingWriter(self.wfile, lambda: getattr(self, "path", "?").split("?")[0])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(dist)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pages(dist: Path = DIST) -> list:
    """The site's pages, as paths relative to dist: the landing page and every demo."""
    found = ["index.html"] if (dist / "index.html").exists() else []
    found += sorted(str(p.relative_to(dist)) for p in (dist / "web").glob("*/index.html"))
    return found


_READY = ("() => document.body && (document.body.dataset.ready === 'true' || document.body.dataset.ready === 'false'"
          " || ['ready', 'error', 'file'].includes(document.querySelector('#pydl-status')?.dataset.state))")


def page_loads(dist: Path = DIST, timeout_s: float = 60, log=print, only=None) -> dict:
    """Cold and warm time to ready and bytes served, for every page (or the paths in ``only``)."""
    from playwright.sync_api import sync_playwright

    counter = _Counter()
    server = _server(dist, counter)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results = {}
    try:
        with sync_playwright() as pw:
            for page_path in (only or pages(dist)):
                log(f"  page {page_path} ...")
                # A new profile folder per page: the first load finds an empty disk cache (cold), the second
                # finds what the first stored (warm), as for a returning visitor. (Playwright's new_context() is an
                # incognito profile whose small in-memory cache drops Pyodide's 10 MB wasm, so it never gets warm.)
                with tempfile.TemporaryDirectory() as profile:
                    context = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM,
                                                                    args=CHROMIUM_FLAGS, headless=True)
                    page = context.pages[0] if context.pages else context.new_page()
                    errors = []
                    page.on("pageerror", lambda e: errors.append(str(e)[:300]))
                    row = {}
                    for phase in ("cold", "warm"):
                        if phase == "warm":
                            time.sleep(2)  # the disk cache writes big entries (the 10 MB wasm) after the load
                        counter.reset()
                        t0 = time.perf_counter()
                        try:
                            page.goto(base + page_path, wait_until="commit")
                            page.wait_for_function(_READY, timeout=timeout_s * 1000, polling=50)
                            ready_s = time.perf_counter() - t0
                            state = page.evaluate("() => document.body.dataset.ready ?? "
                                                  "document.querySelector('#pydl-status')?.dataset.state")
                        except Exception as error:  # a page that never gets ready is a result, not a crash
                            ready_s, state = None, f"not ready after {timeout_s} s ({type(error).__name__})"
                        blas_s = None
                        if ready_s is not None and page.evaluate("() => document.body.dataset.blas || ''"):
                            # A page that opts into OpenBLAS loads it in the background after ready: count its
                            # bytes too, and when it is in use.
                            try:
                                page.wait_for_function("() => document.body.dataset.blas !== 'loading'",
                                                       timeout=timeout_s * 1000, polling=50)
                                blas_s = time.perf_counter() - t0
                            except Exception:
                                pass
                        time.sleep(0.5)  # let late requests (favicon, lazy chunks) finish before counting
                        top = sorted(counter.requests.items(), key=lambda kv: -kv[1])[:5]
                        row[phase] = {"ready_s": ready_s, "state": state, "bytes": counter.bytes,
                                      "requests": len(counter.requests), "largest": top, "blas_ready_s": blas_s,
                                      "loads_blas": any("openblas" in path for path in counter.requests)}
                    row["page_errors"] = errors[:5]
                    results[page_path] = row
                    context.close()
    finally:
        server.shutdown()
        server.server_close()
    return results


# --------------------------------------------------------------------------- all of it


def run_all(native: dict, quick: bool = False, size: str = "full", log=print, clock: str = "wall",
            with_pages: bool = True) -> dict:
    out = {"pyodide": pyodide_runs(native, quick, size, log, clock)}
    if not with_pages:
        out["targets"] = browser_targets(out)
        return out
    try:
        out["pages"] = page_loads(log=log)
    except Exception as error:  # Playwright or Chromium missing: say so, keep the rest
        out["pages"] = {"error": f"{type(error).__name__}: {error}"}
        log(f"    pages not measured: {out['pages']['error']}")
    try:  # what a page that opts into OpenBLAS downloads on top of what it loads now
        out["blas_opt_in_bytes"] = sum(path.stat().st_size for path in blas_files().values())
    except (LookupError, OSError, KeyError) as error:
        log(f"    OpenBLAS opt-in size not known: {error}")
    out["targets"] = browser_targets(out)
    return out


def browser_targets(out: dict) -> list:
    checked = []
    limit = BROWSER_TARGETS["mlp_vs_native"]
    for variant, result in out["pyodide"].items():
        # The target holds for the route a training page takes (OpenBLAS, opted into after ready); Pyodide's
        # NumPy alone (a plain matmul loop) is listed for reference, met: None ("info").
        judged = result.get("blas_in_use", False)
        for name, s in result.get("cases", {}).get("mlp", {}).items():
            if name.startswith("pydl") and "vs_native" in s:
                checked.append({"target": f"Browser MLP step ({name}, Pyodide {variant}) <= {limit:g}x native",
                                "ratio": s["vs_native"], "limit": limit,
                                "met": s["vs_native"] <= limit if judged else None})
    for page, row in out.get("pages", {}).items():
        if not isinstance(row, dict) or "cold" not in row:
            continue
        ready = row["cold"]["ready_s"]
        limit = BROWSER_TARGETS["ready_cold_s"]
        checked.append({"target": f"{page}: ready <= {limit:g} s cold", "ratio": ready if ready is not None else float("inf"),
                        "limit": limit, "met": ready is not None and ready <= limit, "unit": "s"})
        mb = row["cold"]["bytes"] / 1e6
        limit = BROWSER_TARGETS["page_mb"]
        checked.append({"target": f"{page}: <= {limit:g} MB transferred", "ratio": mb, "limit": limit,
                        "met": mb <= limit, "unit": "MB"})
        if "blas_opt_in_bytes" in out and not row["cold"].get("loads_blas"):
            mb += out["blas_opt_in_bytes"] / 1e6
            checked.append({"target": f"{page} + OpenBLAS opt-in: <= {limit:g} MB transferred", "ratio": mb,
                            "limit": limit, "met": mb <= limit, "unit": "MB"})
    return checked


def format_report(out: dict) -> str:
    lines = ["\nbrowser: Pyodide 0.27.7 under Node (ms/step; x = times the native median of this run)"]
    for variant, result in out["pyodide"].items():
        if "error" in result:
            lines.append(f"  {variant}: not measured ({result['error'][:300]})")
            continue
        extra = f", OpenBLAS loaded in {result['blas_load_s']:.1f} s" if "blas_load_s" in result else ""
        lines.append(f"  {variant} (BLAS route in use: {result['blas_in_use']}{extra})")
        for case, summary in result["cases"].items():
            for name, s in summary.items():
                rel = f"{s['vs_native']:.1f}x native" if "vs_native" in s else ""
                lines.append(f"    {case:<8} {name:<18}{s['median_ms']:>10.1f}  {rel}")
        if result.get("blas_checks"):
            lines.append(f"    BLAS route vs NumPy inside Pyodide: {result['blas_checks']}")
        if result.get("products"):
            lines.append("    convnet-step products (m x k x n), ms: " + "  ".join(
                f"{shape}: " + "/".join(f"{k}={v:.1f}" for k, v in row.items()) for shape, row in result["products"].items()))
        if result.get("matmul"):
            lines.append("    n x n float32 matmul, ms: " + "  ".join(
                f"{n}: " + "/".join(f"{k}={v:.3f}" for k, v in row.items()) for n, row in result["matmul"].items()))
    page_rows = out.get("pages", {})
    lines.append("\nbrowser: headless Chromium, pages from dist/ on 127.0.0.1 (time to ready, bytes served)")
    if "error" in page_rows:
        lines.append(f"  not measured: {page_rows['error']}")
    for page, row in page_rows.items():
        if not isinstance(row, dict) or "cold" not in row:
            continue
        cells = []
        for phase in ("cold", "warm"):
            r = row[phase]
            t = f"{r['ready_s']:.2f} s" if r["ready_s"] is not None else "never"
            cells.append(f"{phase} {t} {r['bytes'] / 1e6:6.2f} MB ({r['requests']} req, {r['state']})")
        if row["cold"].get("loads_blas"):
            blas = row["cold"].get("blas_ready_s")
            cells.append("OpenBLAS loaded after ready" + (f", in use at {blas:.2f} s" if blas else ""))
        elif "blas_opt_in_bytes" in out:
            cells.append(f"+ OpenBLAS {(row['cold']['bytes'] + out['blas_opt_in_bytes']) / 1e6:.2f} MB cold")
        lines.append(f"  {page:<32} " + " | ".join(cells))
    if "blas_opt_in_bytes" in out:
        lines.append(f"  (a page that opts into OpenBLAS also downloads {out['blas_opt_in_bytes'] / 1e6:.2f} MB, once)")
    return "\n".join(lines)
