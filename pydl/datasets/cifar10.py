"""CIFAR-10 from its official binary version, as ``keras.datasets.cifar10`` returns it: 50,000 training and 10,000
test colour images of 32x32 pixels in 10 classes (:data:`CLASSES`).

The binary version (the ``cifar-10-batches-bin`` folder) holds ``data_batch_1.bin`` .. ``data_batch_5.bin`` and
``test_batch.bin``; each is a run of 3073-byte records: one label byte (0..9), then 1024 red, 1024 green and 1024
blue bytes, each a 32x32 image in row order. pydl ships and downloads none of it. A file that is not whole records,
holds more than 10,000 (the official count), or has a label over 9 is refused, naming the file and the record.

Example, with the folder in place (tests/datasets/test_boston_cifar.py runs the same call on small files)::

    from pydl.datasets import cifar10
    (x_train, y_train), (x_test, y_test) = cifar10.load_data("~/data/cifar-10-batches-bin")
    x_train.shape, y_train.shape   # ((50000, 32, 32, 3), (50000, 1)), uint8
"""

from __future__ import annotations

import os

from pydl.backend import np
from pydl.datasets.npz import find_data_file

__all__ = ["CLASSES", "RECORD_BYTES", "load_batch", "load_data"]

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SIDE = 32
RECORD_BYTES = 1 + 3 * SIDE * SIDE  # 3073
MAX_RECORDS = 10000  # every official batch file holds exactly this many
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"


def _bytes_of(source) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "CIFAR-10 batch"
    name = os.path.expanduser(os.fspath(source))
    size = os.stat(name).st_size
    if size > MAX_RECORDS * RECORD_BYTES:
        raise ValueError(f"{name}: {size:,} bytes, more than the {MAX_RECORDS:,} records of {RECORD_BYTES} bytes "
                         "(one label byte, 32x32x3 pixel bytes) a CIFAR-10 batch file holds.")
    with open(name, "rb") as file:
        return file.read(MAX_RECORDS * RECORD_BYTES + 1), name


def load_batch(source):
    """One batch file (a path, or its bytes from a browser file picker): images uint8 of shape (n, 32, 32, 3) and
    labels uint8 of shape (n,).

    Raises:
        ValueError: the data is not whole 3073-byte records, has more than 10,000, or a label is over 9.
    """
    data, name = _bytes_of(source)
    records, left_over = divmod(len(data), RECORD_BYTES)
    if left_over or not records or records > MAX_RECORDS:
        why = f"the last record is cut after {left_over} bytes: truncated" if left_over else "not a batch file"
        raise ValueError(f"{name}: {len(data):,} bytes is not 1 to {MAX_RECORDS:,} whole records of {RECORD_BYTES} "
                         f"bytes (one label byte, then 32x32 red, green and blue bytes); {why}.")
    table = np.frombuffer(data, dtype=np.uint8).reshape(records, RECORD_BYTES)
    labels = table[:, 0].copy()
    bad = np.flatnonzero(labels >= len(CLASSES))
    if len(bad):
        raise ValueError(f"{name}: record {bad[0]} has label {labels[bad[0]]}; CIFAR-10's labels are 0..9 (is this "
                         "the binary version? the Python version's files are pickles and are not read).")
    images = table[:, 1:].reshape(records, 3, SIDE, SIDE).transpose(0, 2, 3, 1).copy()
    return images, labels


def load_data(path="cifar-10-batches-bin"):
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them (channels last): x uint8 (n, 32, 32, 3), y
    uint8 (n, 1), from the binary version's folder (looked up in ``~/.keras/datasets/`` when not found as given)."""
    folder = find_data_file(path, "cifar10.load_data", "the CIFAR-10 binary version's folder (cifar-10-batches-bin, "
                            "with data_batch_1.bin .. data_batch_5.bin and test_batch.bin)")
    missing = [f for f in TRAIN_FILES + (TEST_FILE,) if not os.path.isfile(os.path.join(folder, f))]
    if missing:
        raise FileNotFoundError(f"cifar10.load_data: {folder!r} lacks {', '.join(missing)}; the binary version's "
                                "folder holds data_batch_1.bin .. data_batch_5.bin and test_batch.bin.")
    train = [load_batch(os.path.join(folder, f)) for f in TRAIN_FILES]
    x_test, y_test = load_batch(os.path.join(folder, TEST_FILE))
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train]).reshape(-1, 1)
    return (x_train, y_train), (x_test, y_test.reshape(-1, 1))
