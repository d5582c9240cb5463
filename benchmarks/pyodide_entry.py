"""Runs inside Pyodide (under Node, via tests/pyodide/run_in_pyodide.mjs): the MLP, convnet and recurrent steps of
cases.py.

Reads ``bench_config.json`` (written by browser.py next to this file) and leaves the timings in ``RESULT``.
With ``"openblas": true`` it first loads Pyodide's OpenBLAS the way a page opts in
(``await pydl.backend.load_browser_blas()``), so pydl's matrix products take the cblas route
(``pydl.backend.matmul``), and checks that route against NumPy's own product inside Pyodide.
"""

import json
import time

config = json.load(open("bench_config.json"))
RESULT = {"config": config}

import numpy as np  # noqa: E402

import cases  # noqa: E402
import harness  # noqa: E402
from pydl import backend  # noqa: E402

if config.get("openblas"):
    t0 = time.perf_counter()
    await backend.load_browser_blas()  # noqa: F704  (top-level await: run with runPythonAsync)
    RESULT["blas_load_s"] = time.perf_counter() - t0


def _cpu_seconds():
    """CPU seconds of the Node process (Pyodide's own process_time is wall time): steady on a busy machine."""
    usage = js.process.cpuUsage()
    return (usage.user + usage.system) / 1e6


clock = time.perf_counter
if config.get("clock") == "cpu":
    try:
        import js

        _cpu_seconds()
        clock = _cpu_seconds
    except Exception:  # not under Node (a browser tab): wall time
        RESULT["clock_fallback"] = "wall"

RESULT["blas_in_use"] = backend.blas_in_use()
RESULT["numpy"] = np.__version__

if RESULT["blas_in_use"]:
    # The route must give NumPy's products: exactly on integer values (order-independent sums), closely otherwise.
    rng = np.random.default_rng(0)
    checks = {}
    for dtype in ("float32", "float64"):
        a, b = rng.integers(-8, 8, (96, 70)).astype(dtype), rng.integers(-8, 8, (70, 50)).astype(dtype)
        exact = all(np.array_equal(backend.matmul(x, y), a @ b)
                    for x in (a, np.asfortranarray(a)) for y in (b, np.asfortranarray(b)))
        a, b = rng.standard_normal((96, 70)).astype(dtype), rng.standard_normal((70, 50)).astype(dtype)
        rel = float(np.abs(backend.matmul(a, b) - a @ b).max() / np.abs(a @ b).max())
        checks[dtype] = {"exact_on_integers": bool(exact), "max_rel_diff_random": rel}
    RESULT["blas_checks"] = checks

if config.get("matmul_sizes"):
    # Where BLAS starts to pay (backend._BLAS_MIN_WORK): plain NumPy loop vs the cblas call on n x n float32 products.
    table = {}
    for n in config["matmul_sizes"]:
        a, b = np.ones((n, n), np.float32), np.ones((n, n), np.float32)
        steps = {"numpy_loop": lambda: a @ b}
        if RESULT["blas_in_use"]:
            steps["blas"] = lambda: backend._cblas.matmul(a, b)
        summary = harness.summarize(harness.measure(steps, repeats=5, sample_s=0.02, warmup=2, clock=clock))
        table[n] = {k: v["median_ms"] for k, v in summary.items()}
    RESULT["matmul"] = table

if config.get("product_shapes"):
    # The products of one convnet step (im2col forward and backward, dense): what BLAS would save there.
    table = {}
    for m, k, n in config["product_shapes"]:
        a, b = np.ones((m, k), np.float32), np.ones((k, n), np.float32)
        steps = {"numpy_loop": lambda: a @ b}
        if RESULT["blas_in_use"]:
            steps["blas"] = lambda: backend.matmul(a, b)
        summary = harness.summarize(harness.measure(steps, repeats=3, sample_s=0.05, warmup=1, clock=clock))
        table[f"{m}x{k}x{n}"] = {key: v["median_ms"] for key, v in summary.items()}
    RESULT["products"] = table

RESULT["cases"] = {}
for name in config["cases"]:
    steps = cases.CASES[name](cases.SIZES[config["size"]][name])
    steps.pop("torch", None)
    samples = harness.measure(steps, repeats=config["repeats"], sample_s=config["sample_s"], warmup=1, clock=clock)
    RESULT["cases"][name] = harness.summarize(samples)
RESULT["skipped"] = dict(cases.SKIPPED)
