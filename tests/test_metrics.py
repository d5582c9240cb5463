"""Metrics on NumPy arrays: the accuracy variants, regression errors, confusion matrix and Keras' choice of accuracy."""

import numpy as np
import pytest

import pydl
from pydl import metrics

PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]])
LABELS = np.array([0, 2, 0, 1])


def test_categorical_and_sparse_accuracy_agree():
    assert metrics.sparse_categorical_accuracy(LABELS, PROBS) == 0.5
    assert metrics.categorical_accuracy(np.eye(3)[LABELS], PROBS) == 0.5
    assert metrics.sparse_categorical_accuracy(LABELS[:, None], PROBS) == 0.5  # (n, 1) labels as Keras allows


def test_binary_accuracy_thresholds():
    assert metrics.binary_accuracy(np.array([[1], [0], [1], [0]]), np.array([[0.6], [0.4], [0.4], [0.9]])) == 0.5
    assert metrics.binary_accuracy(np.array([0, 1]), np.array([[0.6], [0.7]]), threshold=0.65) == 1.0


def test_accuracy_guesses_the_variant_from_shapes():
    assert metrics.accuracy(LABELS, PROBS) == 0.5
    assert metrics.accuracy(np.eye(3)[LABELS], PROBS) == 0.5
    assert metrics.accuracy(np.array([[1], [0]]), np.array([[0.9], [0.1]])) == 1.0


@pytest.mark.parametrize("loss, output_shape, expected", [
    ("binary_crossentropy", (None, 1), metrics.binary_accuracy),
    ("categorical_crossentropy", (None, 10), metrics.categorical_accuracy),
    ("sparse_categorical_crossentropy", (None, 10), metrics.sparse_categorical_accuracy),
    ("mean_squared_error", (None, 1), metrics.binary_accuracy),
])
def test_resolve_accuracy_like_keras(loss, output_shape, expected):
    assert metrics.resolve("accuracy", loss, output_shape) == ("accuracy", expected)


def test_regression_metrics_and_tensors():
    y, p = np.array([[1.0], [2.0]]), pydl.tensor([[1.5], [1.0]])
    assert metrics.mae(y, p) == pytest.approx(0.75)
    assert metrics.mse(np.array([1.0, 2.0]), p) == pytest.approx(0.625)


def test_confusion_matrix_rows_true_columns_predicted():
    cm = metrics.confusion_matrix(LABELS, PROBS, num_classes=3)
    expected = np.zeros((3, 3), int)
    for t, p in zip(LABELS, PROBS.argmax(1)):
        expected[t, p] += 1
    np.testing.assert_array_equal(cm, expected)
    assert cm.sum() == 4 and np.trace(cm) == 2
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(3)[LABELS], PROBS.argmax(1)), expected)
    with pytest.raises(ValueError, match="outside"):
        metrics.confusion_matrix([0, 5], [0, 1], num_classes=3)


def test_get_unknown_metric_lists_names():
    assert metrics.get("acc") is metrics.accuracy
    with pytest.raises(ValueError, match="Valid names: acc, accuracy"):
        metrics.get("precision")
