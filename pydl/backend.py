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

import numpy

np = numpy  # host-side code (datasets, metrics, file I/O) imports NumPy from here: ``from pydl.backend import np``

try:  # CuPy is imported once; its absence is a normal state, not an error
    import cupy  # type: ignore[import-not-found]
except Exception:  # ImportError, or a CuPy build whose CUDA libraries fail to load
    cupy = None

__all__ = [
    "np", "BackendError", "DeviceMismatchError", "set_backend", "get_backend", "xp", "get_array_module",
    "device_of", "to_numpy", "to_device", "gpu_available", "floatx", "set_floatx",
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


_env_backend = os.environ.get("PYDL_BACKEND", "").strip().lower()
if _env_backend:
    set_backend(_env_backend)  # a bad value fails loudly at import: better than silently running on the CPU
