"""Checks of what ``fit``/``evaluate`` are given, done once before any batch: arrays, sample and class weights.

Everything here only reads its inputs: a refusal leaves the model exactly as it was.
"""

from __future__ import annotations

import math
import numbers

from pydl import backend
from pydl.backend import np
from pydl.tensor import Tensor


def as_array(x, name: str):
    """Host or device array for ``x`` (arrays pass through uncopied; lists and Tensors are converted)."""
    if isinstance(x, Tensor):
        return x.data
    if backend.cupy is not None and isinstance(x, backend.cupy.ndarray):
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric (an array or nested lists of numbers), got dtype {array.dtype}"
                         + (f" (for example {array.flat[0]!r})" if array.size else "")
                         + ". Convert text to numbers first (e.g. pydl.preprocessing_text.Tokenizer).")
    if array.ndim == 0:
        raise ValueError(f"{name} must have a batch axis; got a scalar.")
    return array


def describe(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    return f"one {type(value).__name__}" + (f" of shape {tuple(value.shape)}" if hasattr(value, "shape") else "")


def check_sample_weight(weight, samples: int, name: str):
    """``weight`` as a float array of ``samples`` rows, each weight finite and >= 0."""
    array = as_array(weight, name)
    if len(array) != samples:
        raise ValueError(f"{name} has {len(array)} weights but there are {samples} samples; give one per sample.")
    host = backend.to_numpy(array)
    bad = np.flatnonzero(~(np.isfinite(host) & (host >= 0)).reshape(len(host), -1).all(axis=1))
    if bad.size:
        raise ValueError(f"{name} must be finite and >= 0 (a negative weight would train the model to make that "
                         f"sample worse); sample {int(bad[0])} has {host[bad[0]].tolist()}.")
    return array.astype(np.float64) if array.dtype.kind != "f" else array


def class_weight_to_sample_weight(class_weight, y):
    """Keras' ``class_weight``: each sample gets the weight of its class (1 for a class the dict leaves out).

    The class of a sample is its integer label, the argmax of a one-hot (or probability) row, or the rounded value
    of a single column (binary labels).
    """
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}.")
    table = {}
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) and not (
                isinstance(key, numbers.Real) and float(key).is_integer()):
            raise ValueError(f"class_weight keys must be class indices (whole numbers), got {key!r}.")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not (
                math.isfinite(weight) and weight >= 0):
            raise ValueError(f"class_weight[{key!r}] must be a finite number >= 0, got {weight!r}.")
        table[int(key)] = float(weight)
    labels = backend.to_numpy(y)
    if labels.ndim > 1:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    classes = np.round(labels.astype(np.float64)).astype(np.int64)
    if classes.ndim > 1:
        raise ValueError(f"class_weight needs one class per sample, but the labels have shape {tuple(y.shape)}; "
                         "give sample_weight instead.")
    return np.array([table.get(int(c), 1.0) for c in classes], dtype=np.float64)


def whole_number(value, name: str, minimum: int) -> int:
    """``value`` as an int, refused unless it is a whole number >= ``minimum`` (2.0 is 2; 2.5, True and "2" are not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or \
            float(value) != int(value) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)


def _first_bad(host, bad) -> tuple:
    """(sample index, its first offending value) of the first sample where the element mask ``bad`` is set."""
    rows = np.flatnonzero(bad.reshape(len(host), -1).any(axis=1))
    if not rows.size:
        return None
    sample = int(rows[0])
    offending = host[sample].reshape(-1)[bad[sample].reshape(-1)][0] if host.ndim > 1 else host[sample]
    return sample, offending.item()


def check_labels(y, loss_name: str, classes: int, name: str) -> None:
    """Every target of ``y`` fits the loss, checked at once before any update: finite everywhere; for
    ``sparse_categorical_crossentropy`` whole class indices in ``[0, classes)``; for ``binary_crossentropy`` values in
    [0, 1]; for ``categorical_crossentropy`` no negative entries. The error names the first bad sample."""
    host = backend.to_numpy(y)
    if not host.size:
        return
    values = host.astype(np.float64) if host.dtype.kind == "b" else host
    problems = [(~np.isfinite(values), "is not a finite number")] if values.dtype.kind == "f" else []
    if loss_name == "sparse_categorical_crossentropy":
        with np.errstate(invalid="ignore"):
            problems += [(np.isfinite(values) & (values != np.round(values)), "is not a whole class index"),
                         (values < 0, f"is negative; class indices lie in [0, {classes})"),
                         (values >= classes, (f"is not below {classes}, the number of classes the model outputs "
                                              f"(labels lie in [0, {classes}); the last layer needs one unit per "
                                              "class)"))]
    elif loss_name == "binary_crossentropy":
        with np.errstate(invalid="ignore"):
            problems.append(((values < 0) | (values > 1), "is outside [0, 1], the range of binary targets"))
    elif loss_name == "categorical_crossentropy":
        with np.errstate(invalid="ignore"):
            problems.append((values < 0, "is negative; one-hot or probability targets are >= 0"))
    found = [(hit, reason) for hit, reason in ((_first_bad(host, bad), reason) for bad, reason in problems) if hit]
    if found:
        (sample, value), reason = min(found, key=lambda item: item[0][0])
        raise ValueError(f"{loss_name}: {name} sample {sample} has the target {value!r}, which {reason}. No sample "
                         "was trained on; fix the labels (or the loss) and fit again.")
