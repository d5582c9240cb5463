"""Preparing data for a network: scaling, label encodings, the hold-out and k-fold splits, text (``Tokenizer``,
``pad_sequences``, from :mod:`pydl.preprocessing_text`) and images (:mod:`pydl.preprocessing.image`:
``ImageDataGenerator``, ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``).

Everything here works on host NumPy arrays and runs the same natively and inside Pyodide.

>>> from pydl import preprocessing
>>> x_train, x_test, y_train, y_test = preprocessing.train_test_split(
...     np.arange(20.0).reshape(10, 2), np.arange(10) % 2, test_size=0.2, seed=0)
>>> scaler = preprocessing.Standardizer().fit(x_train)  # statistics from the training data only
>>> x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
"""

from __future__ import annotations

import math

from pydl.backend import np
from pydl.preprocessing import image
from pydl.preprocessing_text import Tokenizer, pad_sequences, text_to_word_sequence
from pydl.random import generator

__all__ = ["Standardizer", "to_categorical", "multi_hot", "train_test_split", "KFold", "iterated_kfold",
           "Tokenizer", "pad_sequences", "text_to_word_sequence", "image"]


def _float_dtype(x) -> np.dtype:
    # Float data keeps its precision; integer data (pixels, counts) becomes float32, the dtype pydl trains in.
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)


class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1, with statistics learnt from the training data only.

    Statistics are taken over the first axis, so each column of a table, or each pixel of a stack of images, gets
    its own. A constant feature is only centred (its divisor is 1), never divided by zero.

    Attributes:
        mean: the per-feature mean, shape ``x.shape[1:]``; None before ``fit``.
        std: the per-feature divisor: the standard deviation, or 1 for constant features; None before ``fit``.

    >>> scaler = Standardizer().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> scaler.transform(np.array([[2.0, 5.0], [5.0, 6.0]]))
    array([[0., 0.],
           [3., 1.]])
    """

    def __init__(self):
        self.mean = None
        self.std = None

    def fit(self, x) -> "Standardizer":
        """Learn the mean and standard deviation of each feature of ``x`` (samples along axis 0); returns self."""
        x = np.asarray(x, dtype=np.float64)  # float64 statistics, whatever the data's dtype
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(f"Standardizer.fit needs at least one sample along axis 0; got shape {x.shape}.")
        self.mean = x.mean(axis=0)
        std = x.std(axis=0)
        # A constant column's std is 0, or a few rounding units of its mean: both mean "constant".
        std[std <= 1e-10 * np.abs(self.mean)] = 1.0
        self.std = std
        return self

    def _check(self, x, method: str):
        if self.mean is None:
            raise RuntimeError(f"Standardizer.{method} called before fit; call fit(x_train) first.")
        x = np.asarray(x)
        if x.shape[1:] != self.mean.shape:
            raise ValueError(f"Standardizer.{method}: fitted on samples of shape {self.mean.shape}, "
                             f"got samples of shape {x.shape[1:]} (array shape {x.shape}).")
        return x

    def transform(self, x):
        """``(x - mean) / std``, in ``x``'s float dtype (float32 for integer input)."""
        x = self._check(x, "transform")
        return ((x - self.mean) / self.std).astype(_float_dtype(x))

    def fit_transform(self, x):
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        """``x * std + mean``: back to the original units (e.g. a regression model's predictions)."""
        x = self._check(x, "inverse_transform")
        return (x * self.std + self.mean).astype(_float_dtype(x))


def to_categorical(y, num_classes: int | None = None, dtype="float32"):
    """One-hot encode integer class labels.

    Args:
        y: integer labels 0..num_classes-1, any shape; a trailing axis of size 1 is dropped, as in Keras.
        num_classes: the number of classes; inferred as ``max(y) + 1`` when None.
        dtype: dtype of the result.

    Returns:
        An array of shape ``y.shape + (num_classes,)``.

    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.dtype.kind == "f":
        fractional = y != np.round(y)
        if fractional.any():
            bad = y[fractional].flat[0]
            raise ValueError(f"to_categorical needs whole-number class labels; got {bad}.")
    elif y.dtype.kind not in "biu":
        raise ValueError(f"to_categorical needs integer class labels; got dtype {y.dtype}.")
    labels = y.astype(np.int64)
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("to_categorical cannot infer num_classes from empty labels; pass num_classes.")
        num_classes = int(labels.max()) + 1
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        where = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"to_categorical: label {labels[where]} at index {where if len(where) > 1 else where[0]} is outside "
            f"0..{num_classes - 1} (num_classes={num_classes}); pass a larger num_classes or fix the labels."
        )
    return np.eye(num_classes, dtype=dtype)[labels]


def multi_hot(sequences, dim: int, dtype="float32"):
    """Encode each sequence of word indices as a ``dim``-long vector with 1 at the indices it contains.

    The bag-of-words vectorisation used for the IMDB reviews in *Deep Learning with Python*; order and repeats are
    lost.

    >>> multi_hot([[0, 3], [], [1, 1]], dim=4)
    array([[1., 0., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 0.]], dtype=float32)
    """
    out = np.zeros((len(sequences), dim), dtype=dtype)
    for row, sequence in enumerate(sequences):
        indices = np.asarray(sequence, dtype=np.int64).ravel()
        outside = (indices < 0) | (indices >= dim)
        if outside.any():
            raise ValueError(f"multi_hot: sequence {row} holds index {indices[outside][0]}, outside 0..{dim - 1} "
                             f"(dim={dim}); pass a larger dim or drop rare words first.")
        out[row, indices] = 1
    return out


def _test_count(n: int, test_size) -> int:
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise ValueError(f"test_size must be a fraction between 0 and 1 or a whole number of samples; "
                         f"got {test_size!r}.")
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} of {n} samples leaves {n_test} for testing and {n - n_test} "
                         "for training; both need at least one.")
    return n_test


def _stratified_test(labels, n_test: int, rng):
    """Test indices holding each class in its overall share, rounded by largest remainder to total ``n_test``."""
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = counts * n_test / len(labels)
    quota = np.floor(exact).astype(np.int64)
    quota[np.argsort(quota - exact, kind="stable")[: n_test - quota.sum()]] += 1
    return np.concatenate([rng.permutation(np.flatnonzero(inverse == c))[:q] for c, q in enumerate(quota)])


def _take(array, indices):
    # Lists (e.g. IMDB's ragged word sequences) stay lists; anything with a shape is indexed as an array.
    return array[indices] if hasattr(array, "shape") else [array[i] for i in indices]


def train_test_split(*arrays, test_size=0.2, shuffle: bool = True, seed=None, stratify=None):
    """Split arrays of equal length into a training part and a test part, the same rows for each array.

    Args:
        *arrays: arrays (or lists) with the samples along the first axis.
        test_size: the test share, a fraction in (0, 1) (rounded up) or a number of samples.
        shuffle: shuffle before splitting; without it the test part is the last rows.
        seed: an int for a reproducible split, a NumPy Generator, or None (pydl's global generator).
        stratify: class labels; the test part then holds each class in its overall share. Needs ``shuffle=True``.

    Returns:
        A list ``[a_train, a_test, b_train, b_test, ...]``.

    >>> x_train, x_test, y_train, y_test = train_test_split(np.arange(10), np.arange(10) % 2, test_size=0.2, seed=0)
    >>> len(x_train), len(x_test), sorted(y_test.tolist())
    (8, 2, [0, 1])
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array.")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ValueError(f"train_test_split needs arrays of one length (samples along axis 0); got lengths {lengths}.")
    n = lengths[0]
    n_test = _test_count(n, test_size)
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify needs shuffle=True: an unshuffled split cannot balance the classes.")
        labels = np.asarray(stratify)
        if labels.shape != (n,):
            raise ValueError(f"stratify needs one class label per sample, shape ({n},); got shape {labels.shape}. "
                             "For one-hot labels pass y.argmax(axis=1).")
        rng = generator(seed)
        test = rng.permutation(_stratified_test(labels, n_test, rng))
        mask = np.ones(n, dtype=bool)
        mask[test] = False
        train = rng.permutation(np.flatnonzero(mask))
    else:
        order = generator(seed).permutation(n) if shuffle else np.arange(n)
        train, test = order[: n - n_test], order[n - n_test:]
    return [part for a in arrays for part in (_take(a, train), _take(a, test))]


class KFold:
    """K-fold cross-validation: each of ``n_splits`` equal folds is the validation set once.

    Args:
        n_splits: the number of folds, at least 2.
        shuffle: shuffle the samples before cutting the folds (do it when the data is sorted, e.g. by class).
        seed: with ``shuffle``, an int gives the same folds on every ``split``; None draws new folds each time.

    >>> [val.tolist() for _, val in KFold(3).split(6)]
    [[0, 1], [2, 3], [4, 5]]
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, seed=None):
        if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
            raise ValueError(f"KFold needs n_splits of at least 2; got {n_splits!r}.")
        if seed is not None and not shuffle:
            raise ValueError("KFold: seed only matters with shuffle=True; pass shuffle=True or drop the seed.")
        self.n_splits, self.shuffle, self.seed = int(n_splits), shuffle, seed

    def split(self, n_or_x):
        """The ``(train_idx, val_idx)`` pairs, one per fold, as a generator; ``n_or_x`` is a count or the data.

        The first ``n % n_splits`` folds get one sample more; ``train_idx`` is sorted.
        """
        n = int(n_or_x) if isinstance(n_or_x, (int, np.integer)) else len(n_or_x)
        if self.n_splits > n:  # checked here, not on first next(), so the error points at the call
            raise ValueError(f"KFold: cannot cut {n} samples into {self.n_splits} folds; use at most {n} folds.")
        order = generator(self.seed).permutation(n) if self.shuffle else np.arange(n)
        return self._folds(order)

    def _folds(self, order):
        n = len(order)
        stops = np.cumsum(n // self.n_splits + (np.arange(self.n_splits) < n % self.n_splits))
        for start, stop in zip(np.concatenate([[0], stops[:-1]]), stops):
            mask = np.ones(n, dtype=bool)
            mask[order[start:stop]] = False
            yield np.flatnonzero(mask), order[start:stop]


def iterated_kfold(n_or_x, n_splits: int = 5, repeats: int = 3, seed=None):
    """Iterated k-fold with shuffling: k-fold ``repeats`` times, reshuffled each time (``repeats * n_splits`` folds).

    For small data sets, where one k-fold run's score still varies with how the folds happen to fall: average the
    score over all folds. Costs ``repeats * n_splits`` trainings.

    >>> folds = list(iterated_kfold(10, n_splits=5, repeats=2, seed=0))
    >>> len(folds), [len(val) for _, val in folds[:5]]
    (10, [2, 2, 2, 2, 2])
    """
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"iterated_kfold needs repeats of at least 1; got {repeats!r}.")
    rng = generator(seed)  # one generator for all repeats, so each repeat shuffles differently
    kfold = KFold(n_splits, shuffle=True, seed=rng)
    runs = [kfold.split(n_or_x) for _ in range(repeats)]  # each split() shuffles now and checks n now
    return (fold for run in runs for fold in run)
