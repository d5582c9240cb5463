"""Loss functions in the Keras 3 style: ``fn(y_true, y_pred)`` returning one loss per sample, plus a thin class each.

A function returns the loss of every sample (reduced over the last axis only: shape ``y_pred.shape[:-1]``); the
classes, ``compile``/``fit``/``evaluate`` reduce those values in ONE place, :func:`reduce_weighted`, with Keras 3's
default ``"sum_over_batch_size"``: the sum of ``loss * sample_weight`` divided by the number of loss values (not by
the sum of the weights). ``y_true`` may be a NumPy array, a list or a Tensor; it never receives a gradient.

Cross-entropies are computed from logits whenever possible: with ``from_logits=True``, or automatically when
``y_pred`` is the direct output of a softmax (categorical) or sigmoid (binary) op. That path is exact for any logit
size and has the gradient ``p - y``. Otherwise probabilities are clipped to ``[1e-7, 1 - 1e-7]`` as Keras does.

>>> import pydl
>>> from pydl import losses
>>> y_pred = pydl.tensor([[0.9, 0.1], [0.2, 0.8]], requires_grad=True)
>>> [round(v, 4) for v in losses.mean_squared_error([[1.0, 0.0], [0.0, 1.0]], y_pred).tolist()]
[0.01, 0.04]
>>> round(losses.MeanSquaredError()([[1.0, 0.0], [0.0, 1.0]], y_pred).item(), 4)
0.025
>>> round(losses.MeanSquaredError()([[1.0, 0.0], [0.0, 1.0]], y_pred, sample_weight=[1.0, 0.5]).item(), 4)
0.015
>>> losses.get("mse") is losses.mean_squared_error
True
"""

from __future__ import annotations

from pydl import backend, registry
from pydl.ops.elementwise import Sigmoid
from pydl.ops.losses import sigmoid_cross_entropy, softmax_cross_entropy, sparse_softmax_cross_entropy
from pydl.ops.reduction import Softmax
from pydl.tensor import Tensor

__all__ = [
    "EPSILON", "Loss", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
    "huber", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mae",
    "get", "serialize", "reduce_weighted", "compute", "REDUCTIONS",
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


def _source(y_pred: Tensor, op: type):
    """The logits behind ``y_pred`` when it is the recorded output of the op class ``op`` (Softmax over the last
    axis, Sigmoid). Found by the op's type, so a renamed or user-named op cannot switch the fused path on or off."""
    ctx = y_pred._ctx
    if not isinstance(ctx, op):
        return None
    if op is Softmax and ctx.axis not in (-1, y_pred.ndim - 1):
        return None
    return ctx.parents[0]


def mean_squared_error(y_true, y_pred) -> Tensor:
    """Per sample: the mean of ``(y_pred - y_true) ** 2`` over the last axis.

    >>> from pydl import losses
    >>> losses.mean_squared_error([[0.0, 1.0], [2.0, 2.0]], [[1.0, 1.0], [1.0, 0.0]]).tolist()
    [0.5, 2.5]
    """
    y_pred = _pred(y_pred)
    diff = y_pred - _target(y_true, y_pred, "mean_squared_error")
    return (diff * diff).mean(axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """Per sample: the mean of ``|y_pred - y_true|`` over the last axis (the L1 loss).

    >>> from pydl import losses
    >>> losses.mean_absolute_error([[0.0], [2.0]], [[1.0], [1.5]]).tolist()
    [1.0, 0.5]
    """
    y_pred = _pred(y_pred)
    return (y_pred - _target(y_true, y_pred, "mean_absolute_error")).abs().mean(axis=-1)


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """Per sample, the mean over the last axis of: ``0.5 e^2`` for errors up to ``delta``, ``delta (|e| - delta / 2)``
    beyond.

    >>> from pydl import losses
    >>> losses.huber([[0.0], [0.0]], [[0.5], [3.0]]).tolist()
    [0.125, 2.5]
    """
    from pydl.ops.elementwise import where

    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}.")
    y_pred = _pred(y_pred)
    error = y_pred - _target(y_true, y_pred, "huber")
    magnitude = error.abs()
    quadratic = 0.5 * error * error
    linear = delta * magnitude - 0.5 * delta * delta
    return where(magnitude.data <= delta, quadratic, linear).mean(axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """Per sample: the binary cross-entropy of targets in [0, 1] (one sigmoid unit per label), averaged over the
    last axis.

    >>> import pydl
    >>> from pydl import losses
    >>> z = pydl.tensor([[3.0], [-2.0]], requires_grad=True)
    >>> [round(v, 4) for v in losses.binary_crossentropy([[1.0], [0.0]], pydl.sigmoid(z)).tolist()]
    [0.0486, 0.1269]
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
    logits = y_pred if from_logits else _source(y_pred, Sigmoid)
    if logits is not None:
        return sigmoid_cross_entropy(logits, target).mean(axis=-1)
    p = y_pred.clip(EPSILON, 1.0 - EPSILON)
    return -(target * p.log() + (1.0 - target) * (1.0 - p).log()).mean(axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """Per sample: the cross-entropy of one-hot (or soft) labels against class probabilities over the last axis.

    >>> import pydl
    >>> from pydl import losses
    >>> z = pydl.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    >>> [round(v, 4) for v in losses.categorical_crossentropy([[1.0, 0.0, 0.0]], pydl.softmax(z)).tolist()]
    [0.1698]
    """
    y_pred = _pred(y_pred)
    _check_classes(y_true, y_pred, "categorical_crossentropy")
    target = _target(y_true, y_pred, "categorical_crossentropy")
    logits = y_pred if from_logits else _source(y_pred, Softmax)
    if logits is not None:
        return softmax_cross_entropy(logits, target)
    # Keras renormalizes so rows sum to one, then clips before the log.
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1.0 - EPSILON)
    return -(target * p.log()).sum(axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> Tensor:
    """Per sample: the cross-entropy of integer class labels against class probabilities over the last axis.

    >>> import pydl
    >>> from pydl import losses
    >>> z = pydl.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
    >>> [round(v, 4) for v in losses.sparse_categorical_crossentropy([0], pydl.softmax(z)).tolist()]
    [0.1698]
    """
    y_pred = _pred(y_pred)
    _check_classes(y_true, y_pred, "sparse_categorical_crossentropy")
    labels = _labels(y_true, y_pred)
    logits = y_pred if from_logits else _source(y_pred, Softmax)
    if logits is not None:
        return sparse_softmax_cross_entropy(logits, labels)
    xp = backend.get_array_module(y_pred.data)
    p = (y_pred / y_pred.sum(axis=-1, keepdims=True)).clip(EPSILON, 1.0 - EPSILON)
    flat = p.reshape(-1, p.shape[-1])
    return -flat[xp.arange(flat.shape[0]), labels.reshape(-1)].log().reshape(tuple(y_pred.shape[:-1]))


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


REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _weights_like(sample_weight, values: Tensor):
    """``sample_weight`` as an array of ``values``' dtype, shaped to multiply ``values`` (Keras' rank rules).

    As Keras: equal ranks stay; a trailing axis of one is squeezed or added. Beyond Keras: weights of fewer axes
    than the losses (one weight per sample against a loss per time step) apply to every value of their sample;
    Keras' NumPy-style broadcasting would line them up with the LAST axis instead.
    """
    xp = backend.get_array_module(values.data)
    weight = xp.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight,
                        dtype=values.dtype)
    if weight.ndim == values.ndim + 1 and weight.shape[-1] == 1:
        weight = weight[..., 0]
    elif values.ndim == weight.ndim + 1 and values.shape[-1] == 1 and weight.ndim == 1:
        weight = weight[:, None]
    if 0 < weight.ndim < values.ndim:
        weight = weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
    try:
        xp.broadcast_shapes(weight.shape, values.shape)
    except ValueError:
        raise ValueError(f"sample_weight has shape {tuple(weight.shape)} but the losses have shape "
                         f"{tuple(values.shape)}; give one weight per sample (shape ({values.shape[0]},)) or one per "
                         "loss value.") from None
    return weight


def reduce_weighted(values, sample_weight=None, reduction: str | None = "sum_over_batch_size") -> Tensor:
    """The one reduction of per-sample losses, as Keras 3's ``reduce_weighted_values``.

    ``"sum_over_batch_size"`` (the default) and ``"mean"``: ``sum(values * sample_weight) / values.size``, so a
    weight of 0 drops a sample without raising the others' share; ``"sum"``: the weighted sum;
    ``"mean_with_sample_weight"``: the weighted sum over the sum of the weights (0 when they sum to 0); ``"none"``:
    the weighted values. A 0-d loss (a custom function that reduced already) times the weights is averaged like
    any other, as in Keras.

    >>> import pydl
    >>> from pydl import losses
    >>> per_sample = pydl.tensor([1.0, 2.0, 3.0, 4.0])
    >>> losses.reduce_weighted(per_sample, [1.0, 1.0, 0.0, 0.5]).item()
    1.25
    >>> losses.reduce_weighted(per_sample, [1.0, 1.0, 0.0, 0.5], reduction="mean_with_sample_weight").item()
    2.0
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"Unknown reduction {reduction!r}; expected one of {list(REDUCTIONS)}.")
    values = _pred(values)
    weight = None
    if sample_weight is not None:
        weight = _weights_like(sample_weight, values)
        values = values * Tensor._wrap(weight)
    if reduction in ("none", None) or values.shape == (0,):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and weight is not None:
        divisor = float(weight.sum())
        return values.sum() / divisor if divisor else values.sum() * 0.0
    return values.mean()  # sum / number of values, in one op (NumPy's mean is that sum divided by the count)


def compute(loss, y_true, y_pred, sample_weight=None) -> Tensor:
    """The reduced, weighted loss of anything ``compile`` accepts: a :class:`Loss` (with its own reduction) or a
    function ``fn(y_true, y_pred)`` returning per-sample values (reduced with Keras' default)."""
    if isinstance(loss, Loss):
        return loss(y_true, y_pred, sample_weight=sample_weight)
    return reduce_weighted(loss(y_true, y_pred), sample_weight)


class Loss:
    """Base class: a callable ``loss(y_true, y_pred, sample_weight=None)`` returning the reduced loss, that
    remembers its options for saving.

    Args:
        reduction: how the per-sample losses become one number (see :func:`reduce_weighted`); Keras' default
            ``"sum_over_batch_size"``.
        name: the name a model file stores.

    >>> from pydl import losses
    >>> loss = losses.CategoricalCrossentropy(from_logits=True)
    >>> loss.get_config()
    {'name': 'categorical_crossentropy', 'reduction': 'sum_over_batch_size', 'from_logits': True}
    """

    fn = None
    default_name = "loss"

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size", **options):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; expected one of "
                             f"{list(REDUCTIONS)}.")
        self.name = name or self.default_name
        self.reduction = reduction
        self.options = options

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        return reduce_weighted(self.call(y_true, y_pred), sample_weight, self.reduction)

    def call(self, y_true, y_pred) -> Tensor:
        """The per-sample losses (what a subclass overrides, as in Keras)."""
        return type(self).fn(y_true, y_pred, **self.options)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, **self.options}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}(name={self.name!r}, reduction={self.reduction!r}{options})"


class MeanSquaredError(Loss):
    """Class form of :func:`mean_squared_error`."""

    fn = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None):
        super().__init__(name, reduction)


class MeanAbsoluteError(Loss):
    """Class form of :func:`mean_absolute_error`."""

    fn = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None):
        super().__init__(name, reduction)


class Huber(Loss):
    """Class form of :func:`huber`; ``delta`` is where the loss turns from quadratic to linear."""

    fn = staticmethod(huber)
    default_name = "huber"

    def __init__(self, delta: float = 1.0, reduction: str | None = "sum_over_batch_size", name: str | None = None):
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, got {delta}.")
        super().__init__(name, reduction, delta=float(delta))


class BinaryCrossentropy(Loss):
    """Class form of :func:`binary_crossentropy`."""

    fn = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"

    def __init__(self, from_logits: bool = False, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None):
        super().__init__(name, reduction, from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    """Class form of :func:`categorical_crossentropy`."""

    fn = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"

    def __init__(self, from_logits: bool = False, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None):
        super().__init__(name, reduction, from_logits=bool(from_logits))


class SparseCategoricalCrossentropy(Loss):
    """Class form of :func:`sparse_categorical_crossentropy`."""

    fn = staticmethod(sparse_categorical_crossentropy)
    default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits: bool = False, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None):
        super().__init__(name, reduction, from_logits=bool(from_logits))


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

