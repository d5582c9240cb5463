"""MNIST from IDX files the user downloaded: pydl ships no MNIST and never downloads at run time.

The IDX format (used by MNIST, Fashion-MNIST, KMNIST, EMNIST) is a 4-byte magic number ``0x00 0x00 <type> <ndim>``,
then ``ndim`` big-endian uint32 sizes, then the values in C order, big-endian.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib

from pydl.backend import np

# type code -> (name for messages, big-endian dtype)
_TYPES = {
    0x08: ("uint8", ">u1"), 0x09: ("int8", ">i1"), 0x0B: ("int16", ">i2"),
    0x0C: ("int32", ">i4"), 0x0D: ("float32", ">f4"), 0x0E: ("float64", ">f8"),
}
_KNOWN = ", ".join(f"0x{code:02X} ({name})" for code, (name, _) in _TYPES.items())
_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _raw_bytes(source) -> tuple[bytes, str]:
    """The bytes of ``source`` (a path, bytes-like, or binary file object) and a name for error messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), "IDX data"
    elif hasattr(source, "read"):
        data, name = source.read(), str(getattr(source, "name", "IDX file"))
        if isinstance(data, str):
            raise TypeError(f"{name} was opened in text mode; open it with mode 'rb' so read_idx gets bytes.")
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        with open(name, "rb") as f:
            data = f.read()
    else:
        raise TypeError(f"read_idx takes a path, bytes or a binary file object; got {type(source).__name__}.")
    if data[:2] == b"\x1f\x8b":  # gzip's magic: trust the content, not the file name
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{name}: corrupt or truncated gzip data ({err}).") from err
    return data, name


def read_idx(source):
    """Read one IDX file (gzipped or not) into a NumPy array.

    Args:
        source: a path, the file's bytes (e.g. from a browser file picker), or a file object opened in binary mode.

    Returns:
        An array with the file's shape and dtype, in native byte order and writable.

    Raises:
        ValueError: the data is not IDX, or is truncated, or has bytes left over after the values.

    >>> import struct
    >>> read_idx(struct.pack(">BBBBI", 0, 0, 0x08, 1, 3) + bytes([7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    data, name = _raw_bytes(source)
    if len(data) < 4:
        raise ValueError(f"{name}: not an IDX file: {len(data)} bytes is too short for the 4-byte magic number.")
    magic, code, ndim = int.from_bytes(data[:4], "big"), data[2], data[3]
    hint = "MNIST images start 0x00000803, labels 0x00000801"
    if data[0] or data[1]:
        raise ValueError(f"{name}: not an IDX file: magic number 0x{magic:08X} does not start with two zero bytes "
                         f"({hint}).")
    if code not in _TYPES:
        raise ValueError(f"{name}: not an IDX file: magic number 0x{magic:08X} has data type code 0x{code:02X}; "
                         f"the known codes are {_KNOWN}.")
    if ndim == 0:
        raise ValueError(f"{name}: not an IDX file: magic number 0x{magic:08X} says 0 dimensions ({hint}).")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated: the magic number says {ndim} dimensions, so the header is {header} "
                         f"bytes, but the file has only {len(data)} bytes.")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    type_name, dtype = _TYPES[code]
    count = math.prod(shape)
    need, have = count * np.dtype(dtype).itemsize, len(data) - header
    if need != have:
        items = f"{shape[0]} items" + (f" of {'x'.join(map(str, shape[1:]))}" if ndim > 1 else "")
        what = f"header says {items} {type_name} (={need} bytes) but file has {have} bytes after its {header}-byte header"
        if have < need:
            raise ValueError(f"{name}: truncated: {what}.")
        raise ValueError(f"{name}: not an IDX file: {what}; {have - need} bytes are left over.")
    values = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return values.astype(values.dtype.newbyteorder("="))  # a writable copy in the machine's byte order


def _find(folder: str, stem: str) -> str:
    # Files seen in the wild: the original names, gzipped or not, and a variant with '.' before 'idx'.
    dotted = stem.replace("-idx", ".idx")
    for candidate in (stem, stem + ".gz", dotted, dotted + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"No {stem} (or {stem}.gz) in {folder!r}. load_mnist reads the four MNIST IDX files from a folder you "
        f"downloaded them to ({', '.join(_FILES)}, gzipped or not); pydl never downloads them itself."
    )


def _pair(folder: str, images_stem: str, labels_stem: str):
    images_path, labels_path = _find(folder, images_stem), _find(folder, labels_stem)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{images_path}: expected uint8 images of shape (n, rows, cols); "
                         f"got {images.dtype} of shape {images.shape}.")
    if labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected labels of shape (n,); got shape {labels.shape}.")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels.")
    return images, labels.astype(np.int64)


def load_mnist(path):
    """Load MNIST (or Fashion-MNIST, which uses the same file names) from a folder of IDX files.

    Args:
        path: the folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``
            and ``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images uint8 of shape ``(n, 28, 28)`` with values 0..255 (divide by
        255 to scale), labels int64 of shape ``(n,)``.

    Raises:
        FileNotFoundError: the folder or one of the files is missing.
        ValueError: a file is not valid IDX, or images and labels do not match.

    Example, with the four files in ``~/data/mnist`` (the test suite runs the same call on files it writes)::

        (x_train, y_train), (x_test, y_test) = load_mnist("~/data/mnist")
        x_train.shape, y_test.shape   # ((60000, 28, 28), (10000,))
    """
    folder = os.path.expanduser(os.fspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load_mnist: {folder!r} is not a folder; pass the folder holding the MNIST IDX files.")
    return _pair(folder, *_FILES[:2]), _pair(folder, *_FILES[2:])
