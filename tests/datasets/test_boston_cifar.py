"""boston_housing.load_data against Keras 3's, and cifar10.load_data on small files of the official binary
version (label byte + 1024 red, 1024 green, 1024 blue bytes per record), written independently of the reader."""

from __future__ import annotations

import keras.src.datasets.boston_housing as keras_boston
import numpy as np
import pytest

from pydl.datasets import boston_housing, cifar10


@pytest.mark.parametrize("options", [dict(), dict(test_split=0.3, seed=5), dict(test_split=0.0)])
def test_boston_housing_equals_keras(tmp_path, monkeypatch, options):
    rng = np.random.default_rng(0)
    path = tmp_path / "boston_housing.npz"
    np.savez(path, x=rng.random((25, 13)) * 100, y=rng.random(25) * 50)
    monkeypatch.setattr(keras_boston, "get_file", lambda *args, **kwargs: str(path))  # Keras would download
    for ours, theirs in zip(boston_housing.load_data(path=path, **options), keras_boston.load_data(**options)):
        for a, b in zip(ours, theirs):
            assert a.dtype == b.dtype == np.float64
            np.testing.assert_array_equal(a, b)


def test_boston_housing_refuses_other_content(tmp_path):
    np.savez(tmp_path / "b.npz", x=np.zeros((4, 13)), z=np.zeros(4))
    with pytest.raises(ValueError, match="has arrays x and y; this one has x, z"):
        boston_housing.load_data(path=tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", x=np.zeros((4, 13)), y=np.zeros(3))
    with pytest.raises(ValueError, match=r"got x float64 \(4, 13\) and y float64 \(3,\)"):
        boston_housing.load_data(path=tmp_path / "c.npz")


def batch_bytes(images, labels) -> bytes:
    """The binary version's records, from (n, 32, 32, 3) images: each label byte, then the red plane, green, blue."""
    planes = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return b"".join(bytes([label]) + plane.tobytes() for label, plane in zip(labels, planes))


def write_cifar(folder, n=4, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir()
    written = {}
    for name in cifar10.TRAIN_FILES + (cifar10.TEST_FILE,):
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (folder / name).write_bytes(batch_bytes(images, labels))
        written[name] = (images, labels)
    (folder / "batches.meta.txt").write_text("\n".join(cifar10.CLASSES) + "\n")
    return written


def test_cifar10_reads_the_binary_version_as_keras_returns_it(tmp_path):
    written = write_cifar(tmp_path / "cifar-10-batches-bin")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(tmp_path / "cifar-10-batches-bin")
    assert x_train.shape == (20, 32, 32, 3) and y_train.shape == (20, 1) and x_test.shape == (4, 32, 32, 3)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, np.concatenate([written[f][0] for f in cifar10.TRAIN_FILES]))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([written[f][1] for f in cifar10.TRAIN_FILES]))
    np.testing.assert_array_equal(x_test, written[cifar10.TEST_FILE][0])
    np.testing.assert_array_equal(y_test[:, 0], written[cifar10.TEST_FILE][1])


def test_the_channels_are_red_green_blue_planes():
    record = bytes([3]) + bytes([200]) * 1024 + bytes([100]) * 1024 + bytes([7]) * 1024
    images, labels = cifar10.load_batch(record)
    assert labels.tolist() == [3] and images[0, 0, 0].tolist() == [200, 100, 7] and images[0, 31, 31].tolist() == [
        200, 100, 7]
    assert cifar10.CLASSES[labels[0]] == "cat"


def test_truncated_or_corrupt_batches_are_refused_naming_the_file_and_record(tmp_path):
    written = write_cifar(tmp_path / "bin")
    path = tmp_path / "bin" / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"data_batch_3.bin: 12,192 bytes is not 1 to 10,000 whole records of 3073 "
                                         r"bytes .* the last record is cut after 2973 bytes: truncated"):
        cifar10.load_data(tmp_path / "bin")
    images, labels = written["data_batch_3.bin"]
    path.write_bytes(batch_bytes(images, [1, 2, 200, 3]))
    with pytest.raises(ValueError, match="data_batch_3.bin: record 2 has label 200; CIFAR-10's labels are 0..9"):
        cifar10.load_data(tmp_path / "bin")
    with pytest.raises(ValueError, match="0 bytes is not 1 to 10,000 whole records"):
        cifar10.load_batch(b"")
    (tmp_path / "bin" / "test_batch.bin").unlink()
    with pytest.raises(FileNotFoundError, match="lacks test_batch.bin"):
        cifar10.load_data(tmp_path / "bin")


def test_an_oversized_batch_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    with open(path, "wb") as file:  # sparse: 10,001 records' worth of bytes, none written
        file.truncate(10001 * cifar10.RECORD_BYTES)
    with pytest.raises(ValueError, match=r"30,733,073 bytes, more than the 10,000 records of 3073 bytes"):
        cifar10.load_batch(path)


def test_a_missing_folder_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"cifar10.load_data: no 'cifar-10-batches-bin' here or in .*"
                                                r"pydl never downloads data: put the CIFAR-10 binary version's folder"):
        cifar10.load_data()
