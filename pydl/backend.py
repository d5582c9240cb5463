"""The array backend: the one module that imports NumPy or CuPy.

Everything else asks this module for ``xp`` (the array module) so the same code runs on the CPU with NumPy and on
an NVIDIA GPU with CuPy. CuPy is optional: where it is missing (Pyodide, most laptops) pydl works on NumPy and only
an explicit request for the GPU raises.

>>> from pydl import backend
>>> backend.get_backend()
'numpy'

**Matrix products in the browser.** Pyodide's NumPy has no BLAS (its matmul is a plain loop, ~70x slower than
native). ``matmul`` (which every op uses instead of ``@``) sends 2-D float32/float64 products through OpenBLAS's
``cblas_?gemm`` (ctypes; no copies for C- or F-ordered operands) once Pyodide's ``openblas`` package is loaded.
A page opts in with one line, at any time (before or after its first product)::

    await pydl.backend.load_browser_blas()   # fetches vendor/pyodide/openblas-0.3.26.zip (6.1 MB) once

It returns ``blas_in_use()``, which says whether the route is on. (OpenBLAS loaded by other means, e.g.
``pyodide_js.loadPackage("openblas")`` or SciPy, which depends on it, is picked up if it is there before pydl's
first large product, or after the next call of ``blas_in_use()``.) Natively nothing changes: NumPy already uses a
BLAS, and ``load_browser_blas()`` returns False.
"""

from __future__ import annotations

import os
import sys

import numpy

np = numpy  # host-side code (datasets, metrics, file I/O) imports NumPy from here: ``from pydl.backend import np``

try:  # CuPy is imported once; its absence is a normal state, not an error
    import cupy  # type: ignore[import-not-found]
except Exception:  # ImportError, or a CuPy build whose CUDA libraries fail to load
    cupy = None

__all__ = [
    "np", "BackendError", "DeviceMismatchError", "set_backend", "get_backend", "xp", "get_array_module",
    "device_of", "to_numpy", "to_device", "on_device_of", "gpu_available", "floatx", "set_floatx", "matmul", "blas_in_use",
    "load_browser_blas",
]

_BACKENDS = ("numpy", "cupy")
_DEVICES = {"cpu": "numpy", "gpu": "cupy", "cuda": "cupy"}
_INSTALL_HINT = (
    "Install CuPy for your CUDA version (for CUDA 12: pip install 'pydl[gpu]' or pip install cupy-cuda12x; "
    "for CUDA 13: pip install cupy-cuda13x) on a machine with an NVIDIA GPU, or use the NumPy backend."
)


class BackendError(RuntimeError):
    """Raised when a backend or device is asked for that this machine cannot provide."""


class DeviceMismatchError(BackendError):
    """Raised when one operation receives arrays that live on different devices."""


def gpu_available() -> bool:
    """True when CuPy is importable and sees at least one GPU."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _require_gpu(reason: str) -> None:
    if cupy is None:
        raise BackendError(f"{reason}: CuPy is not installed, so no GPU is available. {_INSTALL_HINT}")
    if not gpu_available():
        raise BackendError(f"{reason}: CuPy is installed but found no usable GPU. {_INSTALL_HINT}")


_current = "numpy"
_floatx = "float32"


def floatx() -> str:
    """The float dtype layers create weights in and cast inputs to (``"float32"`` unless changed)."""
    return _floatx


def set_floatx(dtype: str) -> None:
    """Set the float dtype of new layers: ``"float32"`` (fast, the default) or ``"float64"`` (exact checks)."""
    global _floatx
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown float dtype {dtype!r}; choose 'float16', 'float32' or 'float64'.")
    _floatx = dtype


def set_backend(name: str) -> None:
    """Choose the array module new tensors are created with: ``"numpy"`` (CPU) or ``"cupy"`` (GPU)."""
    global _current
    if name not in _BACKENDS:
        raise ValueError(f"Unknown backend {name!r}; choose one of {', '.join(_BACKENDS)}.")
    if name == "cupy":
        _require_gpu("set_backend('cupy')")
    _current = name


def get_backend() -> str:
    """The name of the backend new tensors are created with."""
    return _current


def xp():
    """The array module of the current backend (``numpy`` or ``cupy``)."""
    return cupy if _current == "cupy" else numpy


def device_of(array) -> str:
    """``"gpu"`` for a CuPy array, ``"cpu"`` for anything else."""
    return "gpu" if cupy is not None and isinstance(array, cupy.ndarray) else "cpu"


def get_array_module(*arrays, op: str | None = None):
    """The array module that owns ``arrays``; raises if they live on different devices.

    ``op`` names the operation in the error, so a mix-up points at the line that caused it.
    """
    if cupy is None:  # fast path: without CuPy everything is NumPy
        return numpy
    devices = {device_of(a) for a in arrays if hasattr(a, "shape")}
    if len(devices) > 1:
        where = f" in {op}" if op else ""
        raise DeviceMismatchError(
            f"Arrays on different devices{where}: one is on the cpu (NumPy) and one on the gpu (CuPy). "
            "Move them to one device first with tensor.to('cpu') or tensor.to('gpu')."
        )
    return cupy if devices == {"gpu"} else numpy


def to_numpy(x):
    """A NumPy array with the values of ``x`` (a NumPy or CuPy array, a Tensor, or anything array-like)."""
    x = getattr(x, "data", x) if hasattr(x, "requires_grad") else x
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy.asnumpy(x)
    return numpy.asarray(x)


def on_device_of(data, like):
    """``data`` on the GPU when ``like`` is a GPU array and ``data`` is host data (a NumPy batch fed to a model
    whose weights live on the GPU, which Keras accepts); anything else, Tensors included, is returned unchanged."""
    if cupy is None or not isinstance(like, cupy.ndarray) or isinstance(data, cupy.ndarray):
        return data
    if data is None or hasattr(data, "requires_grad"):
        return data
    return cupy.asarray(numpy.asarray(data))


def to_device(array, device: str):
    """``array`` moved to ``"cpu"`` or ``"gpu"`` (a no-op when it is already there)."""
    if device not in _DEVICES:
        raise ValueError(f"Unknown device {device!r}; choose 'cpu' or 'gpu'.")
    if _DEVICES[device] == "numpy":
        return to_numpy(array)
    _require_gpu(f"to('{device}')")
    return cupy.asarray(array)


# ----------------------------------------------------------------- matrix products in the browser
#
# Pyodide's NumPy is built without BLAS: its matmul is a plain triple loop, about 70x slower than native NumPy.
# Pyodide ships OpenBLAS as a package of its own (openblas-0.3.26.zip, one 6.1 MB libopenblas.so, shipped by
# build.py in dist/vendor/pyodide/ and downloaded only by pages that ask for it). Once it is loaded, pydl calls its
# cblas_sgemm / cblas_dgemm through ctypes (see the module docstring for how a page switches it on). Natively
# NumPy already uses a BLAS, and nothing here runs.

_IN_PYODIDE = sys.platform == "emscripten"
_LIBOPENBLAS = "/usr/lib/libopenblas.so"  # where Pyodide's loadPackage("openblas") (or "scipy") puts the library
# m*k*n below which NumPy's loop beats the cblas call's fixed cost (~40 us through ctypes). Measured in Pyodide
# under Node (benchmarks/run.py --browser): n x n float32, loop vs cblas, 0.028 vs 0.047 ms at n=32, 0.083 vs
# 0.074 ms at n=48.
_BLAS_MIN_WORK = 40 * 40 * 40
_FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
_cblas = None  # the loaded _Cblas, or None while OpenBLAS is not (yet) loaded
_cblas_error = None  # why loading an existing libopenblas.so failed (then it is not tried again)
_cblas_probed = False  # whether _find_cblas ran (matmul looks only once by itself)

# CBLAS enum values (cblas.h): they are C ints in every ABI.
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


class _Cblas:
    """``cblas_sgemm`` / ``cblas_dgemm`` of one shared library, called through ctypes.

    ``prefix``/``suffix`` and ``int_type`` describe how the library names its symbols and how wide its integer
    arguments are: Pyodide's libopenblas.so has plain names and 32-bit ints; the OpenBLAS inside native NumPy and
    SciPy wheels (used by the tests) has ``scipy_`` prefixes, and NumPy's is ILP64 (``64_`` suffix, 64-bit ints).
    The argument types must match the C signature exactly: WebAssembly traps on a mismatched indirect call.
    """

    def __init__(self, path: str, prefix: str = "", suffix: str = "", int_type=None):
        import ctypes

        self.path = path
        self.library = ctypes.CDLL(path)
        index, enum, pointer = int_type or ctypes.c_int, ctypes.c_int, ctypes.c_void_p
        self.gemm = {}
        for dtype, letter, scalar in ((_FLOAT_DTYPES[0], "s", ctypes.c_float), (_FLOAT_DTYPES[1], "d", ctypes.c_double)):
            function = getattr(self.library, f"{prefix}cblas_{letter}gemm{suffix}")
            function.argtypes = [enum, enum, enum, index, index, index, scalar, pointer, index, pointer, index,
                                 scalar, pointer, index]
            function.restype = None
            self.gemm[dtype] = function

    def matmul(self, a, b):
        """``a @ b`` for 2-D arrays of one float dtype (float32 or float64) with matching inner sizes."""
        m, k = a.shape
        n = b.shape[1]
        a, trans_a, lda = _cblas_operand(a)
        b, trans_b, ldb = _cblas_operand(b)
        out = numpy.empty((m, n), dtype=a.dtype)
        # Row-major C = op(A) @ op(B) with beta = 0 (C is not read, so empty memory is fine).
        self.gemm[a.dtype](_ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb,
                           0.0, out.ctypes.data, max(n, 1))
        return out


def _cblas_operand(m):
    """``(array, transpose flag, leading dimension)`` of a 2-D operand for a row-major cblas call.

    Rows laid out with unit steps (C order, or rows of a wider C array) pass as they are with ``NoTrans`` and the
    row stride as leading dimension; columns with unit steps (F order: a transposed view, as in the backward pass
    of a product) pass as they are with ``Trans``. Anything else (a strided view, negative or zero strides,
    unaligned or overlapping memory) is copied once to C order.
    """
    if m.flags.aligned:
        item = m.itemsize
        rows, cols = m.shape
        row_step, col_step = m.strides
        if cols == 1 or col_step == item:  # each row is contiguous
            if rows == 1:
                return m, _NO_TRANS, max(cols, 1)
            if row_step >= cols * item and row_step % item == 0:
                return m, _NO_TRANS, row_step // item
        if rows == 1 or row_step == item:  # each column is contiguous: the transpose is row-major
            if cols == 1:
                return m, _TRANS, max(rows, 1)
            if col_step >= rows * item and col_step % item == 0:
                return m, _TRANS, col_step // item
    m = numpy.ascontiguousarray(m)
    return m, _NO_TRANS, max(m.shape[1], 1)


def _find_cblas():
    """Look for a loaded OpenBLAS under Pyodide (once more on every call while none was found); returns it or None.

    ``matmul`` calls this only for its first eligible product (a file check costs ~50 us in Pyodide, too much for
    every product); ``blas_in_use()`` and ``load_browser_blas()`` call it again, so OpenBLAS loaded later is found
    by them.
    """
    global _cblas, _cblas_error, _cblas_probed
    _cblas_probed = True
    if _cblas is None and _IN_PYODIDE and _cblas_error is None and os.path.exists(_LIBOPENBLAS):
        try:
            _cblas = _Cblas(_LIBOPENBLAS)
        except Exception as error:  # a broken library: keep NumPy's loop, never fail a product
            _cblas_error = f"{type(error).__name__}: {error}"
    return _cblas


def blas_in_use() -> bool:
    """True when 2-D float matrix products go through OpenBLAS (Pyodide with the ``openblas`` package loaded)."""
    return _find_cblas() is not None


async def load_browser_blas() -> bool:
    """Under Pyodide: load the ``openblas`` package (once) and switch pydl's products to it; returns
    ``blas_in_use()``. Natively a no-op that returns False (NumPy has its own BLAS there)."""
    if not _IN_PYODIDE:
        return False
    if _find_cblas() is None:
        import pyodide_js  # type: ignore[import-not-found]

        await pyodide_js.loadPackage("openblas")
    return blas_in_use()


def matmul(a, b):
    """``a @ b`` for backend arrays; under Pyodide with OpenBLAS loaded, float32/float64 products of 2-D (or 1-D by
    2-D, 2-D by 1-D) arrays of one dtype, of at least ``_BLAS_MIN_WORK`` multiply-adds, use ``cblas_?gemm``.

    Ops call this instead of ``@`` so the browser gets the fast path from one place.
    """
    if (_IN_PYODIDE and a.dtype == b.dtype and a.dtype in _FLOAT_DTYPES and 1 <= a.ndim <= 2 and 1 <= b.ndim <= 2
            and a.ndim + b.ndim > 2):
        a2 = a if a.ndim == 2 else a.reshape(1, -1)
        b2 = b if b.ndim == 2 else b.reshape(-1, 1)
        if a2.shape[1] == b2.shape[0] and a2.shape[0] * a2.shape[1] * b2.shape[1] >= _BLAS_MIN_WORK:
            cblas = _cblas if _cblas is not None or _cblas_probed else _find_cblas()
            if cblas is not None:
                out = cblas.matmul(a2, b2)
                return out if a.ndim == b.ndim else out.reshape(-1)
    return a @ b


_env_backend = os.environ.get("PYDL_BACKEND", "").strip().lower()
if _env_backend:
    set_backend(_env_backend)  # a bad value fails loudly at import: better than silently running on the CPU
