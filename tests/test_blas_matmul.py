"""backend.matmul: the OpenBLAS (ctypes cblas) route used in the browser gives NumPy's products.

The route is taken only under Pyodide once its ``openblas`` package is loaded (tests/pyodide/test_browser_blas.py
checks it there). Here the same wrapper, ``backend._Cblas``, is pointed at the OpenBLAS that native SciPy and NumPy
wheels ship (``scipy_``-prefixed symbols; SciPy's with 32-bit ints like Pyodide's, NumPy's ILP64 with 64-bit ints)
and forced on, so its argument logic (row-major, transpose flags, leading dimensions, copies) is checked natively.
"""

import ctypes
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import pydl
from pydl import backend


def test_native_matmul_is_numpy():
    a, b = np.arange(12.0).reshape(3, 4), np.arange(8.0).reshape(4, 2)
    assert not backend.blas_in_use()
    np.testing.assert_array_equal(backend.matmul(a, b), a @ b)


def _run_without_event_loop(coroutine):
    """The value of a coroutine that never suspends. Not asyncio.run: Playwright's sync API keeps an event loop
    running in this thread once the browser tests have started."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    raise AssertionError("the coroutine suspended; natively it must return at once")


def test_load_browser_blas_is_a_no_op_natively():
    assert _run_without_event_loop(backend.load_browser_blas()) is False
    assert not backend.blas_in_use()


def _native_openblas_libraries():
    """``{name: (path, prefix, suffix, int type)}`` of the OpenBLAS copies native wheels ship, where present."""
    found = {}
    for package, pattern, suffix, int_type in (("scipy", "libscipy_openblas-*.so", "", ctypes.c_int),
                                               ("numpy", "libscipy_openblas64_*.so", "64_", ctypes.c_int64)):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.origin:
            continue
        libs = Path(spec.origin).parent.parent / f"{package}.libs"
        for path in sorted(libs.glob(pattern)):
            found[f"{package}-{'ilp64' if suffix else 'lp64'}"] = (str(path), "scipy_", suffix, int_type)
            break
    return found


LIBRARIES = _native_openblas_libraries()


@pytest.fixture(params=sorted(LIBRARIES) or ["none"])
def forced_blas(request, monkeypatch):
    if request.param not in LIBRARIES:
        pytest.skip("no native OpenBLAS with cblas symbols found (SciPy or NumPy wheel from PyPI)")
    path, prefix, suffix, int_type = LIBRARIES[request.param]
    try:
        cblas = backend._Cblas(path, prefix=prefix, suffix=suffix, int_type=int_type)
    except (OSError, AttributeError) as error:
        pytest.skip(f"{path}: {error}")
    monkeypatch.setattr(backend, "_IN_PYODIDE", True)
    monkeypatch.setattr(backend, "_cblas", cblas)
    monkeypatch.setattr(backend, "_BLAS_MIN_WORK", 1)
    assert backend.blas_in_use()
    return cblas


def _layouts(m):
    """The same matrix in every memory layout the route must handle."""
    rows, cols = m.shape
    wide = np.zeros((rows, 2 * cols + 3), m.dtype)
    wide[:, 1:cols + 1] = m
    tall = np.zeros((2 * rows + 3, cols), m.dtype)
    tall[2:rows + 2] = m
    every_other = np.zeros((rows, 2 * cols), m.dtype)
    every_other[:, ::2] = m
    return {
        "C": np.ascontiguousarray(m),
        "F": np.asfortranarray(m),
        "rows of a wider array": wide[:, 1:cols + 1],  # unit column step, row stride > cols: no copy
        "transposed rows of a taller array": np.ascontiguousarray(tall.T).T[2:rows + 2],  # F-like, ld > rows
        "strided": every_other[:, ::2],  # no unit step: copied
        "reversed": np.ascontiguousarray(m[::-1, ::-1])[::-1, ::-1],  # negative strides: copied
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [((5, 7), (7, 3)), ((1, 9), (9, 1)), ((9, 1), (1, 6)), ((64, 33), (33, 40))])
def test_cblas_route_is_exact_on_integer_values(forced_blas, dtype, shapes):
    # Small integers are exact in floating point and so are their sums, whatever order BLAS adds them in:
    # the products must be bit-for-bit NumPy's, for every memory layout of either operand.
    rng = np.random.default_rng(0)
    a0 = rng.integers(-8, 8, shapes[0]).astype(dtype)
    b0 = rng.integers(-8, 8, shapes[1]).astype(dtype)
    for name_a, a in _layouts(a0).items():
        for name_b, b in _layouts(b0).items():
            out = backend.matmul(a, b)
            assert out.dtype == np.dtype(dtype) and out.flags.c_contiguous and out.shape == (a0 @ b0).shape
            np.testing.assert_array_equal(out, a0 @ b0, err_msg=f"{name_a} @ {name_b}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cblas_route_handles_vector_operands_like_numpy(forced_blas, dtype):
    rng = np.random.default_rng(3)
    m, v, w = (rng.integers(-8, 8, shape).astype(dtype) for shape in ((6, 4), (6,), (4,)))
    for left, right in ((v, m), (m, w), (v[::-1], m), (m, np.repeat(w, 2)[::2])):
        out = backend.matmul(left, right)
        assert out.shape == (left @ right).shape
        np.testing.assert_array_equal(out, left @ right)
    assert backend.matmul(w, w) == w @ w  # 1-D by 1-D (a scalar) stays with NumPy


def test_c_and_f_ordered_operands_are_not_copied():
    m = np.ones((6, 4), np.float32)
    wide = np.ones((6, 10), np.float32)[:, 2:6]
    for array, trans, ld in ((m, backend._NO_TRANS, 4), (m.T, backend._TRANS, 4), (wide, backend._NO_TRANS, 10),
                             (wide.T, backend._TRANS, 10), (m[:1], backend._NO_TRANS, 4), (m[:, :1], backend._NO_TRANS, 4)):
        passed, got_trans, got_ld = backend._cblas_operand(array)
        assert passed is array and (got_trans, got_ld) == (trans, ld), (array.shape, array.strides)
    for array in (np.ones((6, 8), np.float32)[:, ::2], np.broadcast_to(np.ones(4, np.float32), (6, 4)), m[::-1]):
        passed, trans, ld = backend._cblas_operand(array)
        assert passed is not array and passed.flags.c_contiguous and (trans, ld) == (backend._NO_TRANS, 4)
        np.testing.assert_array_equal(passed, array)


@pytest.mark.parametrize("dtype, rtol", [("float32", 2e-6), ("float64", 1e-14)])
def test_cblas_route_matches_numpy_on_random_values(forced_blas, dtype, rtol):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((128, 784)).astype(dtype), rng.standard_normal((784, 64)).astype(dtype)
    expected = (a.astype(np.float64) @ b.astype(np.float64))
    for x, y in ((a, b), (np.asfortranarray(a), b), (a, np.asfortranarray(b))):
        np.testing.assert_allclose(backend.matmul(x, y), expected, rtol=rtol, atol=rtol * np.abs(expected).max())


def test_cblas_route_leaves_other_products_to_numpy(forced_blas, monkeypatch):
    calls = []
    real = forced_blas.matmul
    monkeypatch.setattr(forced_blas, "matmul", lambda a, b: calls.append(1) or real(a, b))
    backend.matmul(np.ones((2, 3, 4)), np.ones((4, 5)))  # batched
    backend.matmul(np.ones((3, 4), "float32"), np.ones((4, 5), "float64"))  # mixed dtypes
    backend.matmul(np.ones((3, 4), "int64"), np.ones((4, 5), "int64"))  # integers
    backend.matmul(np.ones((3, 4), "float16"), np.ones((4, 5), "float16"))  # half precision
    backend.matmul(np.ones((3, 0)), np.ones((0, 5)))  # empty: no work
    with pytest.raises(ValueError):  # mismatched shapes: NumPy's own error
        backend.matmul(np.ones((3, 4)), np.ones((5, 2)))
    monkeypatch.setattr(backend, "_BLAS_MIN_WORK", 3 * 4 * 5 + 1)
    backend.matmul(np.ones((3, 4)), np.ones((4, 5)))  # too small to pay
    assert calls == []
    monkeypatch.setattr(backend, "_BLAS_MIN_WORK", 3 * 4 * 5)
    backend.matmul(np.ones((3, 4)), np.ones((4, 5)))
    assert calls == [1]


def test_gradients_through_cblas_route_equal_numpy_route(forced_blas, monkeypatch):
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


def test_conv2d_goes_through_the_route_and_keeps_its_gradients(forced_blas, monkeypatch):
    rng = np.random.default_rng(4)
    x0 = rng.integers(-3, 3, (2, 7, 7, 3)).astype("float64")  # 3 channels: the few-channel (F-ordered) im2col
    k0 = rng.integers(-3, 3, (3, 3, 3, 4)).astype("float64")
    b0 = rng.integers(-3, 3, (4,)).astype("float64")
    calls = []
    real = forced_blas.matmul
    monkeypatch.setattr(forced_blas, "matmul", lambda a, b: calls.append((a.shape, b.shape)) or real(a, b))

    def run():
        x, k, b = (pydl.tensor(v, requires_grad=True) for v in (x0, k0, b0))
        out = pydl.ops.conv.conv2d(x, k, b, padding="same")
        (out * out).sum().backward()
        return out.data, x.grad, k.grad, b.grad

    with_blas = run()
    assert len(calls) == 4  # forward, kernel gradient, bias gradient, input gradient
    monkeypatch.setattr(backend, "_IN_PYODIDE", False)
    for got, expected in zip(with_blas, run()):
        np.testing.assert_array_equal(got, expected)


def test_without_the_library_products_stay_with_numpy_and_the_file_is_checked_once(tmp_path, monkeypatch):
    checks = []
    real_exists = backend.os.path.exists
    monkeypatch.setattr(backend.os.path, "exists", lambda p: checks.append(p) or real_exists(p))
    monkeypatch.setattr(backend, "_IN_PYODIDE", True)
    monkeypatch.setattr(backend, "_LIBOPENBLAS", str(tmp_path / "libopenblas.so"))
    monkeypatch.setattr(backend, "_cblas", None)
    monkeypatch.setattr(backend, "_cblas_probed", False)
    monkeypatch.setattr(backend, "_cblas_error", None)
    a, b = np.ones((64, 64), np.float32), np.ones((64, 64), np.float32)
    for _ in range(3):
        np.testing.assert_array_equal(backend.matmul(a, b), a @ b)
    assert len(checks) == 1, "a product must not look for the file every time (it costs ~50 us in Pyodide)"
    assert not backend.blas_in_use() and len(checks) == 2  # blas_in_use looks again


def test_a_library_that_fails_to_load_never_fails_a_product(tmp_path, monkeypatch):
    broken = tmp_path / "libopenblas.so"
    broken.write_bytes(b"not a shared library")
    monkeypatch.setattr(backend, "_IN_PYODIDE", True)
    monkeypatch.setattr(backend, "_LIBOPENBLAS", str(broken))
    monkeypatch.setattr(backend, "_cblas", None)
    monkeypatch.setattr(backend, "_cblas_probed", False)
    monkeypatch.setattr(backend, "_cblas_error", None)
    a = np.ones((40, 40))
    np.testing.assert_array_equal(backend.matmul(a, a), a @ a)
    assert not backend.blas_in_use()
    assert backend._cblas_error and "OSError" in backend._cblas_error
