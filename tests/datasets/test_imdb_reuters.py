"""imdb and reuters load_data / get_word_index against Keras 3's own loaders, on small files of Keras' format."""

from __future__ import annotations

import json

import keras.src.datasets.imdb as keras_imdb
import keras.src.datasets.reuters as keras_reuters
import numpy as np
import pytest

from pydl.datasets import imdb, reuters


def ragged(rng, n, vocabulary=30):
    """n lists of word indices of lengths 1..9 (ragged, as the real files are), written as an object array."""
    array = np.empty(n, dtype=object)
    array[:] = [rng.integers(1, vocabulary, rng.integers(1, 10)).tolist() for _ in range(n)]
    return array


@pytest.fixture()
def imdb_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "imdb.npz"
    np.savez(path, x_train=ragged(rng, 40), y_train=rng.integers(0, 2, 40), x_test=ragged(rng, 30),
             y_test=rng.integers(0, 2, 30))
    return path


@pytest.fixture()
def reuters_file(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "reuters.npz"
    np.savez(path, x=ragged(rng, 50), y=rng.integers(0, 46, 50))
    return path


def as_lists(x):
    return [list(map(int, sequence)) for sequence in x]


OPTIONS = [dict(), dict(num_words=12), dict(num_words=12, skip_top=5), dict(maxlen=6), dict(seed=7),
           dict(start_char=None, index_from=0), dict(oov_char=None, num_words=10), dict(index_from=5, start_char=4)]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_imdb_equals_keras(imdb_file, monkeypatch, options):
    monkeypatch.setattr(keras_imdb, "get_file", lambda *args, **kwargs: str(imdb_file))  # Keras would download
    ours, theirs = imdb.load_data(path=imdb_file, **options), keras_imdb.load_data(**options)
    for (x, y), (kx, ky) in zip(ours, theirs):
        assert x.dtype == object and x.ndim == 1
        assert as_lists(x) == as_lists(kx)
        np.testing.assert_array_equal(y, ky)


@pytest.mark.parametrize("options", OPTIONS + [dict(test_split=0.5)],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_reuters_equals_keras(reuters_file, monkeypatch, options):
    monkeypatch.setattr(keras_reuters, "get_file", lambda *args, **kwargs: str(reuters_file))
    ours, theirs = reuters.load_data(path=reuters_file, **options), keras_reuters.load_data(**options)
    for (x, y), (kx, ky) in zip(ours, theirs):
        assert as_lists(x) == as_lists(kx)
        np.testing.assert_array_equal(y, ky)


def npy_of_object_array(array, protocol=3, rename=b""):
    """A .npy member of an object array as NumPy 1 wrote it: header, then a protocol-3 pickle (text GLOBALs, no
    frames), with ``rename`` (old, new) applied to the pickle's module names."""
    import io
    import pickle

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False, "shape": array.shape})
    data = pickle.dumps(array, protocol=protocol)
    if rename:
        assert rename[0] in data
        data = data.replace(*rename)
    return buffer.getvalue() + data


def test_files_written_by_numpy_1_are_read_too(tmp_path, imdb_file):
    # NumPy 1 pickles name numpy.core.multiarray._reconstruct (Keras' real files are that old).
    import zipfile

    old = tmp_path / "old.npz"
    with zipfile.ZipFile(imdb_file) as source, zipfile.ZipFile(old, "w") as target:
        for name in ("x_train", "y_train", "x_test", "y_test"):
            array = np.load(source.open(f"{name}.npy"), allow_pickle=True)  # our own test file: trusted
            target.writestr(f"{name}.npy", npy_of_object_array(array, rename=(
                b"numpy._core.multiarray", b"numpy.core.multiarray")) if array.dtype == object else
                source.read(f"{name}.npy"))
    assert as_lists(imdb.load_data(path=old)[0][0]) == as_lists(imdb.load_data(path=imdb_file)[0][0])


def test_files_are_found_in_the_keras_folder_and_a_missing_one_says_where_to_put_it(tmp_path, monkeypatch,
                                                                                    imdb_file):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "..")
    with pytest.raises(FileNotFoundError, match=r"imdb.load_data: no 'imdb.npz' here or in '.*home/.keras/datasets'"
                                                r"\. pydl never downloads data"):
        imdb.load_data()
    (tmp_path / "home" / ".keras" / "datasets").mkdir(parents=True)
    imdb_file.rename(tmp_path / "home" / ".keras" / "datasets" / "imdb.npz")
    assert len(imdb.load_data()[0][0]) == 40


def test_get_word_index_reads_the_users_json_and_refuses_other_shapes(tmp_path):
    path = tmp_path / "imdb_word_index.json"
    path.write_text(json.dumps({"the": 1, "and": 2, "film": 19}))
    assert imdb.get_word_index(path) == {"the": 1, "and": 2, "film": 19}
    assert reuters.get_word_index(path) == {"the": 1, "and": 2, "film": 19}
    path.write_text(json.dumps(["the", "and"]))
    with pytest.raises(ValueError, match="expected a JSON object of word -> integer index"):
        imdb.get_word_index(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        imdb.get_word_index(path)


def test_files_of_the_wrong_content_are_refused_clearly(tmp_path):
    np.savez(tmp_path / "a.npz", x_train=np.array(["text"] * 3, dtype=object), y_train=np.zeros(3, int),
             x_test=ragged(np.random.default_rng(2), 3), y_test=np.zeros(3, int))
    with pytest.raises(ValueError, match="x_train: sequence 0 is str, not a list of word indices"):
        imdb.load_data(path=tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", x=ragged(np.random.default_rng(3), 4), y=np.zeros(3, int))
    with pytest.raises(ValueError, match=r"one integer label per sequence \(4\); got labels of shape \(3,\)"):
        reuters.load_data(path=tmp_path / "b.npz")
    with pytest.raises(ValueError, match="no x, y array; Keras' the Reuters newswires .* has x and y"):
        reuters.load_data(path=tmp_path / "a.npz")
    (tmp_path / "c.npz").write_bytes(b"PK not a zip")
    with pytest.raises(ValueError, match=r"c.npz: not an .npz file"):
        imdb.load_data(path=tmp_path / "c.npz")


def test_bad_arguments_are_refused_clearly(reuters_file):
    with pytest.raises(ValueError, match="no sequence is shorter than maxlen=1; increase maxlen"):
        reuters.load_data(path=reuters_file, maxlen=1)
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\); got 1.5"):
        reuters.load_data(path=reuters_file, test_split=1.5)
    with pytest.raises(ValueError, match="num_words must be a positive integer or None; got -3"):
        reuters.load_data(path=reuters_file, num_words=-3)
