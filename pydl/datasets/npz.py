"""Reading the ``.npz`` files Keras stores its datasets in, without trusting them, and finding a user's data file.

IMDB and Reuters hold ragged lists of word indices, which NumPy can only store as pickled object arrays; and
unpickling runs whatever the file asks for (``np.load(allow_pickle=True)`` on a tampered file can call
``os.system``). :func:`load_npz` reads them with an allow-list unpickler, as PyTorch's ``weights_only`` loader does:
the only globals it hands out are the three NumPy needs to rebuild an array (``numpy.ndarray``, ``numpy.dtype``,
``multiarray._reconstruct``); anything else is refused before it is called. Sizes are checked before memory is
spent: the inflated members of a file at most :data:`MAX_NPZ_BYTES` together (read in steps, so a zip bomb costs
what the limit allows), and every array's declared shape against the bytes (or the list) that really hold it.

>>> import io, pickle
>>> class Attack:
...     def __reduce__(self):
...         return (eval, ("1 + 1",))
>>> restricted_loads(pickle.dumps(Attack()))
Traceback (most recent call last):
    ...
_pickle.UnpicklingError: refused to unpickle builtins.eval: only lists, numbers and NumPy arrays may be in a dataset file (it may be corrupt or malicious).
"""

from __future__ import annotations

import io
import math
import os
import pickle
import struct
import zipfile

from pydl.backend import np

__all__ = ["MAX_NPZ_BYTES", "load_npz", "restricted_loads", "find_data_file"]

MAX_NPZ_BYTES = 1 << 28  # 256 MiB inflated: Keras' IMDB file inflates to ~1/10 of that
_CHUNK = 1 << 20

_multiarray = getattr(np, "_core", None)
_multiarray = (_multiarray if _multiarray is not None else np.core).multiarray


class _CheckedArray(np.ndarray):
    """What ``numpy.ndarray`` unpickles to here: its state (shape, dtype, data) is checked before NumPy allocates."""

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) != 5:
            raise pickle.UnpicklingError(f"an array's pickled state is not NumPy's (version, shape, dtype, order, "
                                         f"data); got {type(state).__name__}.")
        _, shape, dtype, _, data = state
        if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise pickle.UnpicklingError(f"an array's pickled shape is {shape!r}, not a tuple of sizes.")
        if not isinstance(dtype, np.dtype):
            raise pickle.UnpicklingError(f"an array's pickled dtype is a {type(dtype).__name__}, not a NumPy dtype.")
        count = math.prod(shape)
        if dtype.hasobject:
            if not isinstance(data, list) or len(data) != count:
                held = f"a list of {len(data)}" if isinstance(data, list) else f"a {type(data).__name__}"
                raise pickle.UnpicklingError(f"an object array of shape {shape} ({count:,} items) holds {held}.")
        elif not isinstance(data, (bytes, bytearray)) or len(data) != count * dtype.itemsize:
            held = f"{len(data):,} bytes" if isinstance(data, (bytes, bytearray)) else f"a {type(data).__name__}"
            raise pickle.UnpicklingError(f"an array of shape {shape} {dtype} needs {count * dtype.itemsize:,} bytes; "
                                         f"its pickle holds {held}.")
        super().__setstate__(state)


_ALLOWED = {
    ("numpy", "ndarray"): _CheckedArray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _multiarray._reconstruct,  # files written by NumPy 1
    ("numpy._core.multiarray", "_reconstruct"): _multiarray._reconstruct,  # and by NumPy 2
}


class _AllowListUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"refused to unpickle {module}.{name}: only lists, numbers and NumPy arrays "
                                         "may be in a dataset file (it may be corrupt or malicious).")
        return found

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refused a persistent id: a dataset file holds only lists, numbers and arrays.")


def _plain(value):
    """``value`` with every _CheckedArray (the top one, and those inside object arrays) back to a plain ndarray."""
    if isinstance(value, _CheckedArray):
        value = value.view(np.ndarray)
        if value.dtype.hasobject:
            flat = value.reshape(-1)
            for i, item in enumerate(flat):
                if isinstance(item, _CheckedArray):
                    flat[i] = _plain(item)
    return value


def restricted_loads(data: bytes):
    """Unpickle ``data`` allowing only NumPy array reconstruction (and the pickle primitives: lists, tuples,
    numbers, strings); anything else is an UnpicklingError naming what the data asked for."""
    return _plain(_AllowListUnpickler(io.BytesIO(data)).load())


def _read_member(archive, info, name: str, budget: list) -> bytes:
    """The inflated bytes of one member, read in steps and at most what the budget (a one-item list) has left."""
    if info.file_size > budget[0]:
        raise ValueError(f"{name}: member {info.filename} declares {info.file_size:,} bytes, over the "
                         f"{budget[0]:,} bytes left of the {MAX_NPZ_BYTES:,}-byte limit for a dataset file.")
    data = bytearray()
    with archive.open(info) as member:
        while True:
            chunk = member.read(min(_CHUNK, info.file_size + 1 - len(data)))
            if not chunk:
                break
            data += chunk
            if len(data) > info.file_size:
                raise ValueError(f"{name}: member {info.filename} inflates past the {info.file_size:,} bytes it "
                                 "declares; the file is corrupt or malicious.")
    budget[0] -= len(data)
    return bytes(data)


def _read_npy(data: bytes, where: str):
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(stream)
    except (ValueError, EOFError, SyntaxError) as error:
        raise ValueError(f"{where}: not a NumPy .npy array ({error}).") from None
    body = data[stream.tell():]
    if dtype.hasobject:
        try:
            array = restricted_loads(body)
        except pickle.UnpicklingError as error:
            raise ValueError(f"{where}: {error}") from None
        except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError, struct.error) as error:
            raise ValueError(f"{where}: a corrupt pickled array ({type(error).__name__}: {error}).") from None
        if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
            got = f"shape {array.shape}" if isinstance(array, np.ndarray) else f"a {type(array).__name__}"
            raise ValueError(f"{where}: the header says an array of shape {tuple(shape)}; the pickle holds {got}.")
        return array
    need = math.prod(shape) * dtype.itemsize
    if len(body) != need:
        raise ValueError(f"{where}: the header says {tuple(shape)} {dtype} (={need:,} bytes) but {len(body):,} bytes "
                         "follow it; the file is truncated or corrupt.")
    array = np.frombuffer(body, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array.copy()  # writable, and independent of the file's bytes


def load_npz(path, what: str = "dataset") -> dict:
    """Every ``.npy`` member of the ``.npz`` file at ``path``, as ``{name: array}``, read as described above.

    Raises:
        ValueError: naming the file and member, for anything over the limits, refused, truncated or corrupt.
    """
    name = os.fspath(path)
    budget = [MAX_NPZ_BYTES]
    try:
        archive = zipfile.ZipFile(name)
    except zipfile.BadZipFile as error:
        raise ValueError(f"{name}: not an .npz file, as Keras stores the {what} ({error}).") from None
    arrays = {}
    with archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            try:
                data = _read_member(archive, info, name, budget)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise ValueError(f"{name}: member {info.filename} is corrupt ({error}).") from None
            arrays[info.filename[:-len(".npy")]] = _read_npy(data, f"{name}: {info.filename}")
    return arrays


def find_data_file(path, loader: str, what: str) -> str:
    """``path`` as given when it exists, else under ``~/.keras/datasets/`` (where Keras keeps what it downloads);
    FileNotFoundError saying where to put the file otherwise. pydl never downloads."""
    given = os.path.expanduser(os.fspath(path))
    keras_copy = os.path.join(os.path.expanduser("~"), ".keras", "datasets", given)
    for candidate in (given, keras_copy):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(
        f"{loader}: no {given!r} here or in {os.path.dirname(keras_copy)!r}. pydl never downloads data: put {what} "
        f"there (the file Keras itself downloads and keeps in ~/.keras/datasets/ will do), or pass its path as "
        "path=...")
