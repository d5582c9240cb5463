import gzip
import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pydl.backend import np
from pydl.datasets import load_mnist, read_idx

CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}


def idx_bytes(array, gz=False):
    """The IDX encoding of ``array``, written independently of the reader under test."""
    array = np.asarray(array)
    head = struct.pack(">BBBB", 0, 0, CODES[array.dtype.name], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = head + array.astype(array.dtype.newbyteorder(">")).tobytes()
    return gzip.compress(data) if gz else data


def write_mnist(folder, n_train=6, n_test=4, gz=(False, True, False, True), names=None, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for (stem, array), zipped in zip(arrays.items(), gz):
        name = (names or {}).get(stem, stem) + (".gz" if zipped else "")
        (folder / name).write_bytes(idx_bytes(array, zipped))
    return arrays


# ---- read_idx ----------------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(array=hnp.arrays(st.sampled_from(sorted(CODES)), hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                        elements={"allow_nan": False}),
       gz=st.booleans())
def test_round_trip_every_type_and_shape(array, gz):
    out = read_idx(idx_bytes(array, gz))
    assert out.dtype == array.dtype and out.dtype.isnative and out.shape == array.shape
    assert np.array_equal(out, array)
    out[...] = 0  # writable, not a view of read-only bytes


@pytest.mark.parametrize("gz", [False, True])
def test_every_kind_of_source(tmp_path, gz):
    array = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    data = idx_bytes(array, gz)
    path = tmp_path / "a.idx"  # gzip is recognised by content, whatever the name
    path.write_bytes(data)
    with open(path, "rb") as f:
        from_file = read_idx(f)
    sources = [path, str(path), data, bytearray(data), memoryview(data), io.BytesIO(data)]
    for out in [read_idx(s) for s in sources] + [from_file]:
        assert np.array_equal(out, array)


def test_magic_number_not_idx():
    with pytest.raises(ValueError, match=r"not an IDX file: magic number 0x89504E47 does not start with two zero"):
        read_idx(b"\x89PNG\r\n\x1a\n" + bytes(100))


def test_unknown_type_code():
    with pytest.raises(ValueError, match=r"magic number 0x00000701 has data type code 0x07; the known codes are 0x08"):
        read_idx(struct.pack(">BBBBI", 0, 0, 0x07, 1, 1) + b"\0")


def test_zero_dimensions():
    with pytest.raises(ValueError, match="says 0 dimensions"):
        read_idx(struct.pack(">BBBB", 0, 0, 0x08, 0))


def test_shorter_than_the_magic_number():
    with pytest.raises(ValueError, match="not an IDX file: 2 bytes is too short"):
        read_idx(b"\0\0")


def test_truncated_header():
    with pytest.raises(ValueError, match=r"truncated: the magic number says 3 dimensions, so the header is 16 bytes, "
                                         r"but the file has only 12 bytes"):
        read_idx(struct.pack(">BBBBII", 0, 0, 0x08, 3, 5, 28))


def test_truncated_images():
    data = idx_bytes(np.zeros((3, 28, 28), np.uint8))[:16 + 100]
    with pytest.raises(ValueError, match=r"truncated: header says 3 items of 28x28 uint8 \(=2352 bytes\) but file has "
                                         r"100 bytes after its 16-byte header"):
        read_idx(data)


def test_truncated_labels_of_a_wider_type():
    data = idx_bytes(np.zeros(10, np.int32))[:-1]
    with pytest.raises(ValueError, match=r"truncated: header says 10 items int32 \(=40 bytes\) but file has 39 bytes"):
        read_idx(data)


def test_bytes_left_over():
    with pytest.raises(ValueError, match="not an IDX file: .* 3 bytes are left over"):
        read_idx(idx_bytes(np.zeros(4, np.uint8)) + b"abc")


def test_corrupt_gzip():
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(idx_bytes(np.zeros((5, 28, 28), np.uint8), gz=True)[:40])


def test_file_name_in_the_message(tmp_path):
    path = tmp_path / "labels.idx"
    path.write_bytes(b"hello, world")
    with pytest.raises(ValueError, match=r"labels\.idx: not an IDX file"):
        read_idx(path)


def test_text_mode_and_wrong_types(tmp_path):
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(np.zeros(2, np.uint8)))
    with open(path) as f, pytest.raises(TypeError, match="mode 'rb'"):
        read_idx(f)
    with pytest.raises(TypeError, match="path, bytes or a binary file object; got int"):
        read_idx(42)


# ---- load_mnist --------------------------------------------------------------------------------------------------

def test_load_mnist_mixed_gzip(tmp_path):
    arrays = write_mnist(tmp_path)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (6, 28, 28) and x_train.dtype == np.uint8
    assert y_train.dtype == np.int64 and y_test.shape == (4,)
    assert np.array_equal(x_train, arrays["train-images-idx3-ubyte"])
    assert np.array_equal(y_train, arrays["train-labels-idx1-ubyte"])
    assert np.array_equal(x_test, arrays["t10k-images-idx3-ubyte"])
    assert np.array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])


def test_load_mnist_dotted_names(tmp_path):
    write_mnist(tmp_path, names={s: s.replace("-idx", ".idx") for s in ["train-images-idx3-ubyte",
                "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]})
    (x_train, _), _ = load_mnist(str(tmp_path))
    assert len(x_train) == 6


def test_load_mnist_missing_file_is_named(tmp_path):
    write_mnist(tmp_path, gz=(False,) * 4)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"No t10k-labels-idx1-ubyte \(or t10k-labels-idx1-ubyte.gz\)"):
        load_mnist(tmp_path)


def test_load_mnist_not_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_counts_must_match(tmp_path):
    write_mnist(tmp_path, gz=(False,) * 4)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(ValueError, match="has 6 images but .* has 5 labels"):
        load_mnist(tmp_path)


def test_load_mnist_checks_ranks(tmp_path):
    write_mnist(tmp_path, gz=(False,) * 4)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros((4, 1), np.uint8)))
    with pytest.raises(ValueError, match=r"expected labels of shape \(n,\); got shape \(4, 1\)"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((4, 784), np.uint8)))
    with pytest.raises(ValueError, match=r"expected uint8 images of shape \(n, rows, cols\); got uint8 of shape"):
        load_mnist(tmp_path)
