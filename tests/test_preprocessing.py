import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pydl.backend import np
from pydl.preprocessing import KFold, Standardizer, iterated_kfold, multi_hot, to_categorical, train_test_split

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


# ---- Standardizer ------------------------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 5)), elements=finite))
def test_standardised_training_data_has_mean_0_and_std_1_or_0(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero, no invalid values
        z = Standardizer().fit_transform(x)
    assert np.allclose(z.mean(axis=0), 0, atol=1e-7)
    assert np.all(np.isclose(z.std(axis=0), 1, atol=1e-6) | np.isclose(z.std(axis=0), 0, atol=1e-6))


def test_test_data_uses_the_training_statistics():
    scaler = Standardizer().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))  # means 1, 20; stds 1, 10
    assert np.array_equal(scaler.mean, [1.0, 20.0]) and np.array_equal(scaler.std, [1.0, 10.0])
    assert np.allclose(scaler.transform(np.array([[4.0, 0.0]])), [[3.0, -2.0]])


@pytest.mark.parametrize("value", [0.0, 0.1, -7.3, 1e6])
def test_constant_columns_are_centred_not_divided(value):
    x = np.column_stack([np.full(7, value), np.arange(7.0)])
    scaler = Standardizer().fit(x)
    z = scaler.transform(x)
    assert scaler.std[0] == 1.0 and np.all(np.isfinite(z))
    assert np.allclose(z[:, 0], 0, atol=1e-12)  # the mean itself carries a rounding unit of ``value``
    assert np.allclose(scaler.inverse_transform(z), x)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 4)), elements=finite))
def test_inverse_transform_undoes_transform(x):
    scaler = Standardizer().fit(x)
    assert np.allclose(scaler.inverse_transform(scaler.transform(x)), x, atol=1e-6)


def test_dtypes_and_per_pixel_statistics():
    images = np.random.default_rng(0).integers(0, 17, (50, 8, 8), dtype=np.uint8)
    scaler = Standardizer().fit(images)
    assert scaler.mean.shape == (8, 8)
    assert scaler.transform(images).dtype == np.float32  # integers become pydl's training dtype
    assert scaler.transform(images.astype(np.float64)).dtype == np.float64
    assert scaler.transform(images.astype(np.float32)).dtype == np.float32


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="before fit"):
        Standardizer().transform(np.ones((2, 2)))
    scaler = Standardizer().fit(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(4,\), got samples of shape \(5,\)"):
        scaler.transform(np.ones((2, 5)))
    with pytest.raises(ValueError, match="at least one sample"):
        Standardizer().fit(np.ones((0, 3)))


# ---- to_categorical / multi_hot ----------------------------------------------------------------------------------

@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.integers(0, 9)))
def test_to_categorical_is_undone_by_argmax(y):
    one_hot = to_categorical(y, 10)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]  # to_categorical drops a trailing axis of 1 first, as Keras does
    assert one_hot.shape == y.shape + (10,) and one_hot.dtype == np.float32
    assert np.array_equal(one_hot.argmax(axis=-1), y) and np.all(one_hot.sum(axis=-1) == 1)


def test_to_categorical_details():
    assert to_categorical([1, 0]).shape == (2, 2)  # num_classes inferred as max + 1
    assert to_categorical(np.array([[2], [0]]), 4).shape == (2, 4)  # Keras drops a trailing axis of 1
    assert np.array_equal(to_categorical([2.0, 0.0], 3), [[0, 0, 1], [1, 0, 0]])  # whole-number floats are fine
    assert to_categorical(np.array([], np.int64), 3).shape == (0, 3)
    assert to_categorical([1, 0], 2, dtype="float64").dtype == np.float64


@pytest.mark.parametrize("y, num_classes, message", [
    ([0, 3, 1], 3, r"label 3 at index 1 is outside 0\.\.2 \(num_classes=3\)"),
    ([0, -1], None, r"label -1 at index 1 is outside 0\.\.0 \(num_classes=1\)"),
    ([[0, 1], [5, 0]], 4, r"label 5 at index \(1, 0\) is outside 0\.\.3 \(num_classes=4\)"),
    ([0.0, 1.5], 3, "whole-number class labels; got 1.5"),
    (["a"], 3, "integer class labels; got dtype <U1"),
    ([], None, "cannot infer num_classes"),
])
def test_to_categorical_errors(y, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(y, num_classes)


def test_multi_hot():
    out = multi_hot([[3, 1, 3], [], np.array([0])], dim=5)
    assert out.dtype == np.float32
    assert np.array_equal(out, [[0, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"sequence 1 holds index 9, outside 0\.\.4 \(dim=5\)"):
        multi_hot([[1], [2, 9]], dim=5)


# ---- train_test_split --------------------------------------------------------------------------------------------

def test_split_keeps_rows_together_and_partitions_them():
    x, y = np.arange(50).reshape(25, 2), np.arange(25)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, seed=1)
    assert len(x_test) == 5 and len(x_train) == 20
    assert np.array_equal(x_train[:, 0] // 2, y_train) and np.array_equal(x_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(25))


def test_split_sizes_seed_and_order():
    n = np.arange(10)
    assert len(train_test_split(n, test_size=0.25)[1]) == 3  # fractions round up, as in scikit-learn
    assert len(train_test_split(n, test_size=4)[1]) == 4
    a, b = train_test_split(n, seed=5), train_test_split(n, seed=5)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    train, test = train_test_split(n, test_size=3, shuffle=False)
    assert train.tolist() == list(range(7)) and test.tolist() == [7, 8, 9]


def test_split_lists_stay_lists():
    sequences = [[1, 2], [3], [], [4, 5, 6]]  # ragged, like IMDB reviews
    train, test = train_test_split(sequences, test_size=1, seed=0)
    assert isinstance(train, list) and len(train) == 3 and test[0] in sequences


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 40), min_size=2, max_size=6), test_size=st.floats(0.1, 0.5),
       seed=st.integers(0, 1000))
def test_stratified_split_holds_each_class_in_its_share(counts, test_size, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    y_train, y_test = train_test_split(y, test_size=test_size, seed=seed, stratify=y)
    n_test = int(np.ceil(test_size * n))
    assert len(y_test) == n_test and len(y_train) == n - n_test
    assert np.all(np.abs(np.bincount(y_test, minlength=len(counts)) - np.array(counts) * n_test / n) < 1)


@pytest.mark.parametrize("kwargs, message", [
    ({"test_size": 0.0}, "fraction between 0 and 1"),
    ({"test_size": 1.5}, "fraction between 0 and 1"),
    ({"test_size": 10}, "leaves 10 for testing and 0 for training"),
    ({"test_size": True}, "fraction between 0 and 1"),
    ({"shuffle": False, "stratify": np.zeros(10)}, "stratify needs shuffle=True"),
    ({"stratify": np.zeros(9)}, r"one class label per sample, shape \(10,\); got shape \(9,\)"),
    ({"stratify": np.zeros((10, 3))}, r"got shape \(10, 3\). For one-hot labels pass y.argmax"),
])
def test_split_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_test_split(np.arange(10), **kwargs)


def test_split_needs_equal_lengths():
    with pytest.raises(ValueError, match=r"got lengths \[10, 9\]"):
        train_test_split(np.arange(10), np.arange(9))
    with pytest.raises(ValueError, match="at least one array"):
        train_test_split()


# ---- KFold / iterated_kfold --------------------------------------------------------------------------------------

def assert_partitions(folds, n):
    vals = [val for _, val in folds]
    assert sorted(np.concatenate(vals).tolist()) == list(range(n))  # every sample validates exactly once
    for train, val in folds:
        assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))


@given(n=st.integers(2, 60), k=st.integers(2, 10))
def test_kfold_partitions_into_near_equal_folds(n, k):
    k = min(k, n)
    folds = list(KFold(k).split(n))
    assert len(folds) == k
    assert_partitions(folds, n)
    assert [len(val) for _, val in folds] == [n // k + (i < n % k) for i in range(k)]


def test_kfold_unshuffled_folds_are_contiguous_and_shuffled_ones_follow_the_seed():
    assert [val.tolist() for _, val in KFold(2).split(np.zeros((4, 3)))] == [[0, 1], [2, 3]]
    a = [val.tolist() for _, val in KFold(3, shuffle=True, seed=4).split(30)]
    kfold = KFold(3, shuffle=True, seed=4)
    assert a == [val.tolist() for _, val in kfold.split(30)] == [val.tolist() for _, val in kfold.split(30)]
    assert a != [val.tolist() for _, val in KFold(3).split(30)]
    assert list(KFold(3, shuffle=True).split(30))[0][1].tolist() != list(KFold(3, shuffle=True).split(30))[0][1].tolist()


def test_kfold_errors_at_the_call():
    with pytest.raises(ValueError, match="n_splits of at least 2"):
        KFold(1)
    with pytest.raises(ValueError, match="seed only matters with shuffle=True"):
        KFold(3, seed=0)
    with pytest.raises(ValueError, match="cannot cut 3 samples into 5 folds"):
        KFold(5).split(3)  # raised before iterating


def test_iterated_kfold_reshuffles_each_repeat():
    folds = list(iterated_kfold(20, n_splits=4, repeats=3, seed=0))
    assert len(folds) == 12
    runs = [folds[i:i + 4] for i in range(0, 12, 4)]
    for run in runs:
        assert_partitions(run, 20)
    assert runs[0][0][1].tolist() != runs[1][0][1].tolist()
    again = list(iterated_kfold(np.zeros((20, 2)), n_splits=4, repeats=3, seed=0))
    assert all(np.array_equal(v1, v2) for (_, v1), (_, v2) in zip(folds, again))
    with pytest.raises(ValueError, match="repeats of at least 1"):
        iterated_kfold(20, repeats=0)
    with pytest.raises(ValueError, match="cannot cut 3 samples"):
        iterated_kfold(3, n_splits=4)
