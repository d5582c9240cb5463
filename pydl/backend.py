"""The array backend: the one module that imports NumPy or CuPy.

Everything else asks this module for ``xp`` (the array module) so the same code runs on the CPU with NumPy and on
an NVIDIA GPU with CuPy. CuPy is optional: where it is missing (Pyodide, most laptops) pydl works on NumPy and only
an explicit request for the GPU raises.

>>> from pydl import backend
>>> backend.get_backend()
'numpy'
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
    "device_of", "to_numpy", "to_device", "gpu_available", "floatx", "set_floatx", "matmul", "blas_in_use",
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
# Pyodide's NumPy is built without BLAS: its matmul is a plain triple loop, about 68x slower than native NumPy.
# Pyodide does ship OpenBLAS, inside its SciPy package (about 20 MB, so only pages that need the speed load it).
# When SciPy is importable under Pyodide, 2-D float products go through scipy.linalg.blas.?gemm instead
# (measured 2.6x to 3x faster). Natively NumPy already uses a BLAS, and nothing here changes.

_IN_PYODIDE = sys.platform == "emscripten"
_blas = None  # scipy.linalg.blas once looked up; False where it is not available
_BLAS_MIN_WORK = 32 * 32 * 32  # m*k*n below which the plain loop wins over the call's fixed cost (measured)


def _pyodide_blas():
    """``scipy.linalg.blas`` under Pyodide when the page loaded SciPy, else False (looked up once)."""
    global _blas
    if _blas is None:
        _blas = False
        if _IN_PYODIDE:
            try:  # only pages that list scipy in their packages have it; the rest keep NumPy's loop
                from scipy.linalg import blas
            except Exception:  # ImportError, or a broken SciPy: fall back to NumPy, never fail a product
                blas = False
            _blas = blas
    return _blas


def blas_in_use() -> bool:
    """True when 2-D float matrix products go through SciPy's BLAS (Pyodide with SciPy loaded)."""
    return _IN_PYODIDE and bool(_pyodide_blas())


def _gemm_operand(m):
    """``(array, trans)`` with ``array`` Fortran-ordered and ``op(array) == m.T``: BLAS wants column-major
    data, and a C-ordered matrix is exactly the column-major storage of its transpose (no copy)."""
    if m.flags.c_contiguous:
        return m.T, 0
    if m.flags.f_contiguous:  # a transposed view, as in the backward pass of a matrix product
        return m, 1
    return numpy.ascontiguousarray(m).T, 0


def _blas_matmul(blas, a, b):
    gemm = blas.sgemm if a.dtype == numpy.float32 else blas.dgemm
    # C = A @ B is computed as C.T = B.T @ A.T in column-major order; its Fortran-ordered result, transposed,
    # is C in C order. So neither inputs nor the output are copied.
    bt, trans_b = _gemm_operand(b)
    at, trans_a = _gemm_operand(a)
    return gemm(1.0, bt, at, trans_a=trans_b, trans_b=trans_a).T


def matmul(a, b):
    """``a @ b`` for backend arrays; under Pyodide with SciPy loaded, 2-D float32/float64 products use BLAS.

    Ops call this instead of ``@`` so the browser gets the fast path from one place.
    """
    if (_IN_PYODIDE and a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype
            and a.dtype in (numpy.float32, numpy.float64)
            and a.shape[0] * a.shape[1] * b.shape[1] >= _BLAS_MIN_WORK):
        blas = _pyodide_blas()
        if blas:
            return _blas_matmul(blas, a, b)
    return a @ b


_env_backend = os.environ.get("PYDL_BACKEND", "").strip().lower()
if _env_backend:
    set_backend(_env_backend)  # a bad value fails loudly at import: better than silently running on the CPU
