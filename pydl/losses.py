"""Loss functions in the Keras 3 style: ``fn(y_true, y_pred)`` returning the mean loss, plus a thin class each.

Every function returns a 0-d Tensor: the loss of each sample (reduced over the last axis) averaged over the batch.
``y_true`` may be a NumPy array, a list or a Tensor; it never receives a gradient.

Cross-entropies are computed from logits whenever possible: with ``from_logits=True``, or automatically when
``y_pred`` is the direct output of a softmax (categorical) or sigmoid (binary) op. That path is exact for any logit
size and has the gradient ``p - y``. Otherwise probabilities are clipped to ``[1e-7, 1 - 1e-7]`` as Keras does.

>>> import pydl
>>> from pydl import losses
>>> y_pred = pydl.tensor([[0.9, 0.1], [0.2, 0.8]], requires_grad=True)
>>> round(losses.mean_squared_error([[1.0, 0.0], [0.0, 1.0]], y_pred).item(), 4)
0.025
>>> losses.get("mse") is losses.mean_squared_error
True
"""

from __future__ import annotations

from pydl import backend, registry
from pydl.ops.losses import sigmoid_cross_entropy, softmax_cross_entropy, sparse_softmax_cross_entropy
from pydl.tensor import Tensor

__all__ = [
    "EPSILON", "Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
    "huber", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mae",
    "get", "serialize",
]

EPSILON = 1e-7  # Keras' backend.epsilon(): how far probabilities are kept from 0 and 1 before taking logs


def _pred(y_pred) -> Tensor:
    return y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)


def _target(y_true, y_pred: Tensor, loss: str) -> Tensor:
    """``y_true`` as a constant tensor with ``y_pred``'s dtype and a shape that matches it exactly.

    A trailing axis of one is added or dropped (labels of shape (n,) against predictions of shape (n, 1)), as Keras
    does; any other mismatch raises, because broadcasting (n,) against (n, 1) would silently build an (n, n) loss.
    """
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    xp = backend.get_array_module(y_pred.data)
    data = xp.asarray(data, dtype=y_pred.dtype)
    if data.shape != y_pred.shape:
        if data.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1 and data.shape == y_pred.shape[:-1]:
            data = data[..., None]
        elif data.ndim == y_pred.ndim + 1 and data.shape[-1] == 1 and data.shape[:-1] == y_pred.shape:
            data = data[..., 0]
        else:
            raise ValueError(
                f"{loss}: y_true has shape {tuple(data.shape)} but y_pred has shape {tuple(y_pred.shape)}; "
                "they must match (one trailing axis of size 1 may differ)."
            )
    return Tensor._wrap(data)


def _check_classes(y_true, y_pred: Tensor, loss: str) -> None:
    """Point at the right loss when the labels do not fit a categorical one (shape checks only, so it is cheap)."""
    shape = tuple(backend.np.shape(y_true.data if isinstance(y_true, Tensor) else y_true))
    classes = y_pred.shape[-1]
    if loss == "categorical_crossentropy":
        if classes > 1 and (len(shape) == y_pred.ndim - 1 or (len(shape) == y_pred.ndim and shape[-1] == 1)):
            raise ValueError(
                f"categorical_crossentropy expects one-hot labels of shape {tuple(y_pred.shape)}, but y_true has "
                f"shape {shape}: these look like integer class labels. Use loss='sparse_categorical_crossentropy', "
                "or one-hot encode them with pydl.preprocessing.to_categorical."
            )
        if shape[-1:] != (classes,):
            raise ValueError(
                f"categorical_crossentropy: y_true has {shape[-1] if shape else 0} classes (shape {shape}) but the "
                f"model outputs {classes} (shape {tuple(y_pred.shape)}); the last layer needs one unit per class."
            )
    elif loss == "sparse_categorical_crossentropy":
        if len(shape) == y_pred.ndim and shape[-1] == classes and classes > 1:
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape {tuple(y_pred.shape[:-1])}, "
                f"but y_true has shape {shape}: these look one-hot encoded. Use loss='categorical_crossentropy' "
                "(or pass the class indices, y.argmax(axis=-1))."
            )
        expected = tuple(y_pred.shape[:-1])
        if shape != expected and shape != expected + (1,):
            raise ValueError(
                f"sparse_categorical_crossentropy: y_true has shape {shape}, expected integer labels of shape "
                f"{expected} for predictions of shape {tuple(y_pred.shape)}."
            )


def _source(y_pred: Tensor, op: str):
    """The logits behind ``y_pred`` when it is the recorded output of ``op`` (softmax over the last axis, sigmoid)."""
    ctx = y_pred._ctx
    if ctx is None or ctx.name != op:
        return None
    if op == "softmax" and getattr(ctx, "axis", -1) not in (-1, y_pred.ndim - 1):
        return None
    return ctx.parents[0]


def mean_squared_error(y_true, y_pred) -> Tensor:
    """Mean of ``(y_pred - y_true) ** 2``.

    >>> from pydl import losses
    >>> losses.mean_squared_error([[0.0], [2.0]], [[1.0], [1.0]]).item()
    1.0
    """
    y_pred = _pred(y_pred)
    diff = y_pred - _target(y_true, y_pred, "mean_squared_error")
    return (diff * diff).mean()


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """Mean of ``|y_pred - y_true|`` (the L1 loss).

    >>> from pydl import losses
    >>> losses.mean_absolute_error([[0.0], [2.0]], [[1.0], [1.5]]).item()
    0.75
    """
    y_pred = _pred(y_pred)
    return (y_pred - _target(y_true, y_pred, "mean_absolute_error")).abs().mean()


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Quadratic for errors up to ``delta``, linear beyond: ``0.5 e^2`` or ``delta (|e| - delta / 2)``.

    >>> from pydl import losses
    >>> losses.huber([[0.0], [0.0]], [[0.5], [3.0]]).item()
    1.3125
    """
    from pydl.ops.elementwise import where

    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}.")
    y_pred = _pred(y_pred)
    error = y_pred - _target(y_true, y_pred, "huber")
    magnitude = error.abs()
    quadratic = 0.5 * error * error
    linear = delta * magnitude - 0.5 * delta * delta
    return where(magnitude.data <= delta, quadratic, linear).mean()


def binary_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """Binary cross-entropy for targets in [0, 1] (one sigmoid unit per label).

    >>> import pydl
    >>> from pydl import losses
    >>> z = pydl.tensor([[3.0], [-2.0]], requires_grad=True)
    >>> round(losses.binary_crossentropy([[1.0], [0.0]], pydl.sigmoid(z)).item(), 4)
    0.0878
    """
    y_pred = _pred(y_pred)
    shape = backend.np.shape(y_true.data if isinstance(y_true, Tensor) else y_true)
    if y_pred.ndim >= 1 and y_pred.shape[-1] > 1 and len(shape) == y_pred.ndim - 1:
        raise ValueError(
            f"binary_crossentropy: y_true has shape {shape} but the model outputs "
            f"{y_pred.shape[-1]} values per sample. For one class out of {y_pred.shape[-1]} use "
            "loss='sparse_categorical_crossentropy' with a softmax output."
        )
    target = _target(y_true, y_pred, "binary_crossentropy")
    logits = y_pred if from_logits else _source(y_pred, "sigmoid")
    if logits is not None:
        return sigmoid_cross_entropy(logits, target)
    p = y_pred.clip(EPSILON, 1.0 - EPSILON)
    return -(target * p.log() + (1.0 - target) * (1.0 - p).log()).mean()


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """Cross-entropy of one-hot (or soft) labels against class probabilities over the last axis.

    >>> import pydl
    >>> from pydl import losses
    >>> z = pydl.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    >>> round(losses.categorical_crossentropy([[1.0, 0.0, 0.0]], pydl.softmax(z)).item(), 4)
    0.1698
    """
    y_pred = _pred(y_pred)
    _check_classes(y_true, y_pred, "categorical_crossentropy")
    target = _target(y_true, y_pred, "categorical_crossentropy")
    logits = y_pred if from_logits else _source(y_pred, "softmax")
    if logits is not None:
        return softmax_cross_entropy(logits, target)
    # Keras renormalizes so rows sum to one, then clips before the log.
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1.0 - EPSILON)
    return -(target * p.log()).sum(axis=-1).mean()


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """Cross-entropy of integer class labels against class probabilities over the last axis.

    >>> import pydl
    >>> from pydl import losses
    >>> z = pydl.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    >>> round(losses.sparse_categorical_crossentropy([0], pydl.softmax(z)).item(), 4)
    0.1698
    """
    y_pred = _pred(y_pred)
    _check_classes(y_true, y_pred, "sparse_categorical_crossentropy")
    labels = _labels(y_true, y_pred)
    logits = y_pred if from_logits else _source(y_pred, "softmax")
    if logits is not None:
        return sparse_softmax_cross_entropy(logits, labels)
    xp = backend.get_array_module(y_pred.data)
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1.0 - EPSILON)
    flat = p.reshape(-1, p.shape[-1])
    return -flat[xp.arange(flat.shape[0]), labels.reshape(-1)].log().mean()


def _labels(y_true, y_pred: Tensor):
    """Integer labels shaped like ``y_pred.shape[:-1]``, checked to lie in ``[0, classes)``."""
    xp = backend.get_array_module(y_pred.data)
    data = xp.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if data.shape != y_pred.shape[:-1]:
        data = data.reshape(y_pred.shape[:-1])
    if data.dtype.kind not in "iu":
        if data.dtype.kind != "f" or not bool((data == xp.round(data)).all()):
            raise ValueError(
                f"sparse_categorical_crossentropy: labels must be whole class indices, got dtype {data.dtype}."
            )
        data = data.astype(xp.int64)
    classes = y_pred.shape[-1]
    if data.size and (int(data.min()) < 0 or int(data.max()) >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must lie in [0, {classes}) for a model with {classes} outputs, "
            f"but they range from {int(data.min())} to {int(data.max())}."
        )
    return data


class Loss:
    """Base class: a callable ``loss(y_true, y_pred)`` that remembers its options for saving.

    >>> from pydl import losses
    >>> loss = losses.CategoricalCrossentropy(from_logits=True)
    >>> loss.get_config()
    {'name': 'categorical_crossentropy', 'from_logits': True}
    """

    fn = None
    default_name = "loss"

    def __init__(self, name: str | None = None, **options):
        self.name = name or self.default_name
        self.options = options

    def __call__(self, y_true, y_pred) -> Tensor:
        return type(self).fn(y_true, y_pred, **self.options)

    def get_config(self) -> dict:
        return {"name": self.name, **self.options}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(name={self.name!r}{options})"


class MeanSquaredError(Loss):
    """Class form of :func:`mean_squared_error`."""

    fn = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"

    def __init__(self, name: str | None = None):
        super().__init__(name)


class MeanAbsoluteError(Loss):
    """Class form of :func:`mean_absolute_error`."""

    fn = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"

    def __init__(self, name: str | None = None):
        super().__init__(name)


class Huber(Loss):
    """Class form of :func:`huber`; ``delta`` is where the loss turns from quadratic to linear."""

    fn = staticmethod(huber)
    default_name = "huber"

    def __init__(self, delta: float = 1.0, name: str | None = None):
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, got {delta}.")
        super().__init__(name, delta=float(delta))


class BinaryCrossentropy(Loss):
    """Class form of :func:`binary_crossentropy`."""

    fn = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"

    def __init__(self, from_logits: bool = False, name: str | None = None):
        super().__init__(name, from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    """Class form of :func:`categorical_crossentropy`."""

    fn = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"

    def __init__(self, from_logits: bool = False, name: str | None = None):
        super().__init__(name, from_logits=bool(from_logits))


class SparseCategoricalCrossentropy(Loss):
    """Class form of :func:`sparse_categorical_crossentropy`."""

    fn = staticmethod(sparse_categorical_crossentropy)
    default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits: bool = False, name: str | None = None):
        super().__init__(name, from_logits=bool(from_logits))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

for _loss in (mean_squared_error, mean_absolute_error, huber, binary_crossentropy, categorical_crossentropy,
              sparse_categorical_crossentropy, MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy,
              CategoricalCrossentropy, SparseCategoricalCrossentropy):
    registry.register("loss", _loss)
registry.register("loss", mean_squared_error, "mse")
registry.register("loss", mean_absolute_error, "mae")


def get(identifier):
    """A loss from a name (``"mse"``, ``"categorical_crossentropy"``, ``"Huber"``), a config dict or a callable.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    return registry.get("loss", identifier)


def serialize(loss) -> dict | str:
    """A JSON-friendly description of ``loss`` that :func:`get` turns back into the same loss."""
    return registry.serialize("loss", loss)


def name_of(loss) -> str:
    """The canonical name of a built-in loss (``"mse"`` -> ``"mean_squared_error"``), else the callable's name."""
    if isinstance(loss, Loss):
        return type(loss).default_name
    return getattr(loss, "__name__", type(loss).__name__)

