import hashlib
import os
import re
import subprocess
import sys

from pydl.backend import np
from pydl.datasets import load_digits

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE_NOTE = os.path.join(ROOT, "pydl", "datasets", "DIGITS_SOURCE.md")


def test_shapes_dtypes_and_value_range():
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    for x in (x_train, x_test):
        assert x.min() == 0 and x.max() == 16


def test_every_class_in_both_parts_in_its_overall_share():
    (_, y_train), (_, y_test) = load_digits()
    train_counts, test_counts = np.bincount(y_train, minlength=10), np.bincount(y_test, minlength=10)
    assert len(train_counts) == len(test_counts) == 10
    assert train_counts.sum() + test_counts.sum() == 1797
    expected = (train_counts + test_counts) * 360 / 1797
    assert np.all(np.abs(test_counts - expected) < 1)  # stratified: off by rounding only


def test_same_data_every_call_and_fresh_arrays():
    (x1, y1), (t1, u1) = load_digits()
    x1[:] = 0  # a caller scaling in place must not change the next load
    (x2, y2), (t2, u2) = load_digits()
    assert x2.max() == 16
    (x3, _), _ = load_digits()
    assert np.array_equal(x2, x3) and np.array_equal(y1, y2) and np.array_equal(t1, t2) and np.array_equal(u1, u2)


def test_arrays_match_the_hashes_recorded_in_the_source_note():
    with open(SOURCE_NOTE, encoding="utf-8") as f:
        recorded = dict(re.findall(r"^\| (\w+) \| `([0-9a-f]{64})` \|$", f.read(), flags=re.M))
    (x_train, y_train), (x_test, y_test) = load_digits()
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    assert set(recorded) == set(arrays)
    for name, array in arrays.items():
        assert hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest() == recorded[name], name


def test_labels_belong_to_their_images():
    # A nearest-centroid classifier scores about 0.9 on these digits; shuffled labels would score about 0.1.
    (x_train, y_train), (x_test, y_test) = load_digits()
    flat_train, flat_test = x_train.reshape(-1, 64) / 16.0, x_test.reshape(-1, 64) / 16.0
    centroids = np.stack([flat_train[y_train == c].mean(axis=0) for c in range(10)])
    distances = ((flat_test[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    assert (distances.argmin(axis=1) == y_test).mean() > 0.85


def test_loading_needs_neither_scikit_learn_nor_the_build_script():
    code = ("import sys, pydl.datasets as d; d.load_digits(); "
            "print(sorted(m for m in sys.modules if m.startswith(('sklearn', 'pydl.datasets._make'))))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env=env).stdout
    assert out.strip() == "[]"
