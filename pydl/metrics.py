"""Metrics: host-side functions ``fn(y_true, y_pred)`` on NumPy arrays returning a Python float.

Metrics are only reported, never differentiated, so they work on plain arrays (Tensors are accepted too) and cost a
few microseconds per batch. ``"accuracy"`` in ``model.compile(metrics=["accuracy"])`` picks the binary, categorical
or sparse variant from the loss and the output shape, as Keras does.

>>> import numpy as np
>>> from pydl import metrics
>>> metrics.categorical_accuracy(np.eye(3), np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.5, 0.2, 0.3]]))
0.6666666666666666
>>> metrics.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], num_classes=3)
array([[1, 0, 0],
       [0, 0, 1],
       [0, 0, 2]])
"""

from __future__ import annotations

from pydl import backend, registry
from pydl.backend import np

__all__ = [
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mean_squared_error",
    "mean_absolute_error", "mse", "mae", "confusion_matrix", "get", "resolve",
]


def _host(x):
    return backend.to_numpy(x.data if hasattr(x, "requires_grad") else x)


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> float:
    """Fraction of outputs on the right side of ``threshold`` (labels are 0 or 1).

    >>> from pydl import metrics
    >>> metrics.binary_accuracy([[1], [0], [1]], [[0.9], [0.2], [0.3]])
    0.6666666666666666
    """
    y_true, y_pred = _host(y_true), _host(y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return float(((y_pred > threshold) == (y_true > 0.5)).mean())


def categorical_accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose largest predicted class is the one-hot label's class."""
    y_true, y_pred = _host(y_true), _host(y_pred)
    return float((y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).mean())


def sparse_categorical_accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose largest predicted class equals the integer label.

    >>> from pydl import metrics
    >>> metrics.sparse_categorical_accuracy([2, 0], [[0.1, 0.2, 0.7], [0.1, 0.8, 0.1]])
    0.5
    """
    y_true, y_pred = _host(y_true), _host(y_pred)
    predicted = y_pred.argmax(axis=-1)
    return float((y_true.reshape(predicted.shape) == predicted).mean())


def accuracy(y_true, y_pred) -> float:
    """Accuracy with the variant guessed from the shapes: one output unit -> binary, integer labels -> sparse,
    one-hot labels -> categorical.

    >>> from pydl import metrics
    >>> metrics.accuracy([1, 2], [[0.1, 0.9, 0.0], [0.2, 0.1, 0.7]])
    1.0
    """
    y_true, y_pred = _host(y_true), _host(y_pred)
    return _ACCURACY[_accuracy_kind(y_true.shape, y_pred.shape)](y_true, y_pred)


def _accuracy_kind(true_shape, pred_shape, loss_name: str | None = None) -> str:
    if loss_name == "binary_crossentropy" or (pred_shape and pred_shape[-1] == 1):
        return "binary"
    if loss_name == "sparse_categorical_crossentropy":
        return "sparse"
    if loss_name == "categorical_crossentropy":
        return "categorical"
    if true_shape is not None and (len(true_shape) == len(pred_shape) - 1 or (true_shape and true_shape[-1] == 1)):
        return "sparse"
    return "categorical"


def mean_squared_error(y_true, y_pred) -> float:
    """Mean of the squared differences."""
    y_true, y_pred = _host(y_true), _host(y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return float(np.mean((y_pred - y_true) ** 2))


def mean_absolute_error(y_true, y_pred) -> float:
    """Mean of the absolute differences."""
    y_true, y_pred = _host(y_true), _host(y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    return float(np.mean(np.abs(y_pred - y_true)))


mse = mean_squared_error
mae = mean_absolute_error


def confusion_matrix(y_true, y_pred, num_classes: int | None = None):
    """Counts of (true class, predicted class) pairs: row ``i``, column ``j`` counts samples of class ``i``
    predicted as ``j``.

    Labels may be integers, or one-hot rows / class scores (their argmax is taken).

    Args:
        y_true: true labels, shape (n,) or one-hot (n, classes).
        y_pred: predicted labels (n,) or scores (n, classes).
        num_classes: size of the matrix; defaults to the largest label + 1.

    Returns:
        An int64 array of shape (num_classes, num_classes).
    """
    y_true, y_pred = _host(y_true), _host(y_pred)
    if y_true.ndim > 1 and y_true.shape[-1] > 1:
        y_true = y_true.argmax(axis=-1)
    if y_pred.ndim > 1 and y_pred.shape[-1] > 1:
        y_pred = y_pred.argmax(axis=-1)
    y_true, y_pred = y_true.reshape(-1).astype(np.int64), y_pred.reshape(-1).astype(np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: {y_true.size} true labels but {y_pred.size} predictions.")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} has labels outside [0, {num_classes}).")
    # intp, not int64: bincount refuses int64 on 32-bit NumPy (Pyodide's wasm32).
    pairs = (y_true * num_classes + y_pred).astype(np.intp)
    counts = np.bincount(pairs, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


_ACCURACY = {
    "binary": binary_accuracy, "categorical": categorical_accuracy, "sparse": sparse_categorical_accuracy,
}
for _metric in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mean_squared_error,
                mean_absolute_error):
    registry.register("metric", _metric)
registry.register("metric", accuracy, "acc")
registry.register("metric", mean_squared_error, "mse")
registry.register("metric", mean_absolute_error, "mae")


def get(identifier):
    """A metric function from its name (``"accuracy"``, ``"mae"``, ...) or a callable ``fn(y_true, y_pred)``."""
    return registry.get("metric", identifier)


def resolve(identifier, loss_name: str | None, output_shape) -> tuple:
    """``(name, fn)`` for a metric given to ``compile``: ``"accuracy"`` becomes the variant the loss calls for.

    The reported name stays what the user wrote (``"accuracy"``, ``"acc"``), as in Keras' history keys.
    """
    fn = get(identifier)
    if isinstance(identifier, str):
        name = identifier
        if fn is accuracy:
            fn = _ACCURACY[_accuracy_kind(None, tuple(output_shape or ()), loss_name)]
    else:
        name = getattr(identifier, "__name__", type(identifier).__name__)
    return name, fn


def name_of(fn) -> str | None:
    """The registry name of a built-in metric function (for saving the compile config), else None."""
    return registry.name_of("metric", fn)
