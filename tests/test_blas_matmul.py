"""backend.matmul: the BLAS route used in the browser gives NumPy's products.

The route is taken only under Pyodide with SciPy loaded; here it is forced on with the native SciPy, which
runs the same ``scipy.linalg.blas`` calls.
"""

import numpy as np
import pytest

import pydl
from pydl import backend


def test_native_matmul_is_numpy():
    a, b = np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(4, 2)
    assert not backend.blas_in_use()
    np.testing.assert_array_equal(backend.matmul(a, b), a @ b)


@pytest.fixture
def forced_blas(monkeypatch):
    blas = pytest.importorskip("scipy.linalg.blas")
    monkeypatch.setattr(backend, "_IN_PYODIDE", True)
    monkeypatch.setattr(backend, "_blas", blas)
    monkeypatch.setattr(backend, "_BLAS_MIN_WORK", 1)
    assert backend.blas_in_use()
    return blas


def _layouts(m):
    """The same matrix as C-ordered, Fortran-ordered (a transposed view) and non-contiguous (a strided view)."""
    wide = np.zeros((m.shape[0], 2 * m.shape[1]), m.dtype)
    wide[:, ::2] = m
    return {"C": np.ascontiguousarray(m), "F": np.asfortranarray(m), "strided": wide[:, ::2]}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [((5, 7), (7, 3)), ((1, 9), (9, 1)), ((64, 33), (33, 40))])
def test_blas_route_is_exact_on_integer_values(forced_blas, dtype, shapes):
    # Small integers are exact in floating point and so are their sums, whatever order BLAS adds them in:
    # the products must be bit-for-bit NumPy's, for every memory layout of either operand.
    rng = np.random.default_rng(0)
    a0 = rng.integers(-8, 8, shapes[0]).astype(dtype)
    b0 = rng.integers(-8, 8, shapes[1]).astype(dtype)
    for a in _layouts(a0).values():
        for b in _layouts(b0).values():
            out = backend.matmul(a, b)
            assert out.dtype == np.dtype(dtype) and out.flags.c_contiguous
            np.testing.assert_array_equal(out, a0 @ b0)


@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-6), ("float64", 1e-14)])
def test_blas_route_matches_numpy_on_random_values(forced_blas, dtype, rtol):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((128, 784)).astype(dtype), rng.standard_normal((784, 64)).astype(dtype)
    expected = (a.astype(np.float64) @ b.astype(np.float64))
    np.testing.assert_allclose(backend.matmul(a, b), expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def test_blas_route_leaves_other_products_to_numpy(forced_blas, monkeypatch):
    calls = []
    monkeypatch.setattr(backend, "_blas_matmul", lambda blas, a, b: calls.append(1) or a @ b)
    backend.matmul(np.ones((2, 3, 4)), np.ones((4, 5)))  # batched
    backend.matmul(np.ones((3, 4), "float32"), np.ones((4, 5), "float64"))  # mixed dtypes
    backend.matmul(np.ones((3, 4), "int64"), np.ones((4, 5), "int64"))  # integers
    assert calls == []
    backend.matmul(np.ones((3, 4)), np.ones((4, 5)))
    assert calls == [1]


def test_gradients_through_blas_route_equal_numpy_route(forced_blas, monkeypatch):
    rng = np.random.default_rng(2)
    x0, w0 = rng.integers(-4, 4, (16, 12)).astype("float64"), rng.integers(-4, 4, (12, 5)).astype("float64")

    def grads():
        x, w = pydl.tensor(x0, requires_grad=True), pydl.tensor(w0, requires_grad=True)
        ((x @ w) * (x @ w)).sum().backward()
        return x.grad, w.grad

    with_blas = grads()
    monkeypatch.setattr(backend, "_IN_PYODIDE", False)
    without = grads()
    for g1, g2 in zip(with_blas, without):
        np.testing.assert_array_equal(g1, g2)
