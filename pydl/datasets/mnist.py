"""MNIST from IDX files the user downloaded: pydl ships no MNIST and never downloads at run time.

The IDX format (used by MNIST, Fashion-MNIST, KMNIST, EMNIST) is a 4-byte magic number ``0x00 0x00 <type> <ndim>``,
then ``ndim`` big-endian uint32 sizes, then the values in C order, big-endian.
"""

from __future__ import annotations

import contextlib
import gzip
import io
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


_CHUNK = 1 << 20        # read in 1 MiB steps, so a file that is shorter than its header says costs what it holds
_LEFT_OVER_COUNTED = 1 << 20  # bytes past the values counted for the message; a gzip bomb is not inflated to the end


class _Rejoined(io.RawIOBase):
    """A stream whose first bytes were read to sniff gzip's magic, with those bytes put back in front."""

    def __init__(self, head: bytes, rest):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@contextlib.contextmanager
def _idx_stream(source):
    """A binary stream over the IDX bytes of ``source`` (inflated as it is read when gzipped), and a name for messages.

    Nothing is read whole: a small gzip can declare gigabytes, so read_idx takes from the stream only what the IDX
    header says the values need (plus one byte to see whether more follows).
    """
    with contextlib.ExitStack() as stack:
        if isinstance(source, (bytes, bytearray, memoryview)):
            raw, name = io.BytesIO(source), "IDX data"
        elif hasattr(source, "read"):
            raw, name = source, str(getattr(source, "name", "IDX file"))
        elif isinstance(source, (str, os.PathLike)):
            name = os.fspath(source)
            raw = stack.enter_context(open(name, "rb"))
        else:
            raise TypeError(f"read_idx takes a path, bytes or a binary file object; got {type(source).__name__}.")
        head = raw.read(2)
        if isinstance(head, str):
            raise TypeError(f"{name} was opened in text mode; open it with mode 'rb' so read_idx gets bytes.")
        stream = io.BufferedReader(_Rejoined(head, raw), _CHUNK)
        if head == b"\x1f\x8b":  # gzip's magic: trust the content, not the file name
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
        try:
            yield stream, name
        except (OSError, EOFError, zlib.error) as err:
            if not isinstance(stream, gzip.GzipFile):
                raise
            raise ValueError(f"{name}: corrupt or truncated gzip data ({err}).") from None


def _read_up_to(stream, size: int) -> bytearray:
    """At most ``size`` bytes of ``stream``, in chunks: memory grows with what the stream holds, not with ``size``."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(_CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def _values(stream, name: str, shape: tuple, type_name: str, dtype: str, header: int):
    count = math.prod(shape)
    need = count * np.dtype(dtype).itemsize
    items = f"{shape[0]} items" + (f" of {'x'.join(map(str, shape[1:]))}" if len(shape) > 1 else "")
    try:
        data = _read_up_to(stream, need + 1)
    except MemoryError:
        raise MemoryError(f"{name}: the header says {items} {type_name} (={need} bytes), more than this process can "
                          f"allocate; free memory or read a smaller file.") from None
    have = len(data)
    if have > need:
        left_over = have - need + len(_read_up_to(stream, _LEFT_OVER_COUNTED))
        counted = f"{left_over} bytes are" if left_over <= _LEFT_OVER_COUNTED else f"more than {_LEFT_OVER_COUNTED} bytes are"
        raise ValueError(f"{name}: not an IDX file: header says {items} {type_name} (={need} bytes) but file has more "
                         f"after its {header}-byte header; {counted} left over.")
    if have < need:
        raise ValueError(f"{name}: truncated: header says {items} {type_name} (={need} bytes) but file has {have} "
                         f"bytes after its {header}-byte header.")
    values = np.frombuffer(data, dtype=dtype, count=count).reshape(shape)  # writable: it shares the bytearray
    if not values.dtype.isnative:
        values = values.byteswap(inplace=True).view(values.dtype.newbyteorder("="))
    return values


def read_idx(source):
    """Read one IDX file (gzipped or not) into a NumPy array.

    Args:
        source: a path, the file's bytes (e.g. from a browser file picker), or a file object opened in binary mode.

    Returns:
        An array with the file's shape and dtype, in native byte order and writable.

    Raises:
        ValueError: the data is not IDX, or is truncated, or has bytes left over after the values.
        MemoryError: a valid header declares more values than this process can hold (said with the sizes).

    >>> import struct
    >>> read_idx(struct.pack(">BBBBI", 0, 0, 0x08, 1, 3) + bytes([7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    """
    with _idx_stream(source) as (stream, name):
        magic_bytes = _read_up_to(stream, 4)
        if len(magic_bytes) < 4:
            raise ValueError(f"{name}: not an IDX file: {len(magic_bytes)} bytes is too short for the 4-byte magic "
                             f"number.")
        magic, code, ndim = int.from_bytes(magic_bytes, "big"), magic_bytes[2], magic_bytes[3]
        hint = "MNIST images start 0x00000803, labels 0x00000801"
        if magic_bytes[0] or magic_bytes[1]:
            raise ValueError(f"{name}: not an IDX file: magic number 0x{magic:08X} does not start with two zero bytes "
                             f"({hint}).")
        if code not in _TYPES:
            raise ValueError(f"{name}: not an IDX file: magic number 0x{magic:08X} has data type code 0x{code:02X}; "
                             f"the known codes are {_KNOWN}.")
        if ndim == 0:
            raise ValueError(f"{name}: not an IDX file: magic number 0x{magic:08X} says 0 dimensions ({hint}).")
        header = 4 + 4 * ndim
        sizes = _read_up_to(stream, 4 * ndim)
        if len(sizes) < 4 * ndim:
            raise ValueError(f"{name}: truncated: the magic number says {ndim} dimensions, so the header is {header} "
                             f"bytes, but the file has only {4 + len(sizes)} bytes.")
        shape = tuple(int.from_bytes(sizes[4 * i:4 + 4 * i], "big") for i in range(ndim))
        return _values(stream, name, shape, *_TYPES[code], header)


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
