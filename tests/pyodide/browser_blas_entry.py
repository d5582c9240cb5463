"""Runs inside Pyodide (tests/pyodide/test_browser_blas.py): pydl's OpenBLAS route for matrix products.

Loads Pyodide's ``openblas`` package the way a page opts in (``await backend.load_browser_blas()``), then checks
that products through ``cblas_?gemm`` are NumPy's exactly on integer values (every operand layout), that a Dense
layer's and a convolution's gradients pass finite-difference checks through the route, and that a conv2d step
gives the loop's numbers. Leaves everything in ``RESULT``.
"""

import numpy as np

import pydl
from pydl import backend

RESULT = {"numpy": np.__version__, "blas_before_loading": backend.blas_in_use()}
a = np.ones((40, 40), np.float32)
RESULT["product_before_loading_is_numpy"] = bool(np.array_equal(backend.matmul(a, a), a @ a))

RESULT["load_browser_blas"] = await backend.load_browser_blas()  # noqa: F704  (runPythonAsync: top-level await)
RESULT["blas_in_use"] = backend.blas_in_use()
RESULT["library"] = getattr(backend._cblas, "path", None)
RESULT["load_error"] = backend._cblas_error
backend._BLAS_MIN_WORK = 1  # every float product takes the route from here on, however small

calls = []
_real_matmul = backend._cblas.matmul
backend._cblas.matmul = lambda x, y: calls.append((x.shape, y.shape)) or _real_matmul(x, y)


def layouts(m):
    """The same matrix as C-ordered, F-ordered, rows of a wider array, strided and reversed (the last two copied)."""
    rows, cols = m.shape
    wide = np.zeros((rows, cols + 5), m.dtype)
    wide[:, 2:cols + 2] = m
    every_other = np.zeros((rows, 2 * cols), m.dtype)
    every_other[:, ::2] = m
    return {"C": np.ascontiguousarray(m), "F": np.asfortranarray(m), "wide": wide[:, 2:cols + 2],
            "strided": every_other[:, ::2], "reversed": np.ascontiguousarray(m[::-1, ::-1])[::-1, ::-1]}


rng = np.random.default_rng(0)
exact, mismatches = 0, []
for dtype in ("float32", "float64"):
    for shape_a, shape_b in (((96, 70), (70, 50)), ((1, 33), (33, 1)), ((17, 1), (1, 9)), ((128, 784), (784, 10))):
        a0 = rng.integers(-8, 8, shape_a).astype(dtype)
        b0 = rng.integers(-8, 8, shape_b).astype(dtype)
        expected = a0 @ b0  # Pyodide NumPy's own (BLAS-free) product
        for name_a, x in layouts(a0).items():
            for name_b, y in layouts(b0).items():
                before = len(calls)
                out = backend.matmul(x, y)
                ok = (len(calls) == before + 1 and out.dtype == expected.dtype and out.flags.c_contiguous
                      and np.array_equal(out, expected))
                exact += ok
                if not ok:
                    mismatches.append(f"{dtype} {shape_a}@{shape_b} {name_a}@{name_b}")
    v, m = rng.integers(-8, 8, 33).astype(dtype), rng.integers(-8, 8, (33, 12)).astype(dtype)
    for x, y in ((v, m), (m.T, v)):
        if not np.array_equal(backend.matmul(x, y), x @ y):
            mismatches.append(f"{dtype} vector {x.shape}@{y.shape}")
    x, y = rng.standard_normal((96, 70)).astype(dtype), rng.standard_normal((70, 50)).astype(dtype)
    RESULT[f"max_rel_diff_random_{dtype}"] = float(np.abs(backend.matmul(x, y) - x @ y).max() / np.abs(x @ y).max())
RESULT["exact_products"] = exact
RESULT["mismatches"] = mismatches

# Gradients through the route: a Dense layer (float64 for finite differences), then a convolution.
backend.set_floatx("float64")
from pydl.layers import Conv2D, Dense  # noqa: E402

calls.clear()
dense = Dense(12, activation="tanh")
dense.build((None, 10))
x = pydl.tensor(rng.standard_normal((8, 10)), requires_grad=True)
RESULT["dense_gradcheck"] = bool(pydl.gradcheck(lambda x, k, b: dense(x), [x, dense.kernel, dense.bias]))
RESULT["dense_products_through_blas"] = len(calls)

calls.clear()
conv = Conv2D(3, 3, padding="same", activation="tanh")
conv.build((None, 5, 5, 2))
x = pydl.tensor(rng.standard_normal((2, 5, 5, 2)), requires_grad=True)
RESULT["conv_gradcheck"] = bool(pydl.gradcheck(lambda x, k, b: conv(x), [x, conv.kernel, conv.bias]))
RESULT["conv_products_through_blas"] = len(calls)


# A float64 conv step on integer values: the route and NumPy's loop must give the same numbers exactly.
def conv_step():
    xv = pydl.tensor(rng_step.integers(-3, 3, (4, 9, 9, 5)).astype("float64"), requires_grad=True)
    kv = pydl.tensor(rng_step.integers(-3, 3, (3, 3, 5, 6)).astype("float64"), requires_grad=True)
    bv = pydl.tensor(rng_step.integers(-3, 3, (6,)).astype("float64"), requires_grad=True)
    out = pydl.ops.conv.conv2d(xv, kv, bv, padding="same")
    (out * out).sum().backward()
    return [out.data, xv.grad, kv.grad, bv.grad]


rng_step = np.random.default_rng(5)
with_blas = conv_step()
saved = backend._cblas
backend._cblas = None  # (already probed: products now stay with NumPy's loop)
rng_step = np.random.default_rng(5)
without = conv_step()
backend._cblas = saved
RESULT["conv_step_equal"] = all(np.array_equal(p, q) for p, q in zip(with_blas, without))
