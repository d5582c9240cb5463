"""The Boston housing prices as ``keras.datasets.boston_housing`` gives them, from the ``boston_housing.npz`` a
user has: 506 districts, 13 features each (crime rate, rooms per dwelling, ...), and the median home value in
thousands of dollars. Read without pickle (:mod:`pydl.datasets.npz`); nothing is downloaded.

Example, with the file in place (tests/datasets/test_boston_cifar.py runs the same call on a small file)::

    from pydl.datasets import boston_housing
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    x_train.shape, x_test.shape   # ((404, 13), (102, 13))
"""

from __future__ import annotations

from pydl.backend import np
from pydl.datasets.npz import find_data_file, load_npz

__all__ = ["load_data"]


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: the districts shuffled as Keras shuffles them (same seed, same
    order), the first ``1 - test_split`` for training. float64 arrays, x of shape (n, 13), y of shape (n,)."""
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1); got {test_split!r}.")
    found = find_data_file(path, "boston_housing.load_data", "the Boston housing data (boston_housing.npz, x and y)")
    arrays = load_npz(found, "Boston housing data")
    x, y = arrays.get("x"), arrays.get("y")
    if x is None or y is None:
        raise ValueError(f"{found}: Keras' Boston housing file has arrays x and y; this one has "
                         f"{', '.join(sorted(arrays)) or 'none'}.")
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y) or x.dtype.kind != "f" or y.dtype.kind != "f":
        raise ValueError(f"{found}: expected float x of shape (n, features) and float y of shape (n,); got x "
                         f"{x.dtype} {x.shape} and y {y.dtype} {y.shape}.")
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
