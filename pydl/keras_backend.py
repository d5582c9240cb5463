"""Keras 2's backend module, ``from keras import backend as K``, for the book's code that works on tensors:
``from pydl import keras_backend as K``.

The maths functions (``K.mean``, ``K.square``, ...) take eager Tensors and symbolic tensors (layer outputs) alike:
on symbolic ones they become graph nodes (:mod:`pydl.layers.operation`). ``K.gradients`` and ``K.function`` give
the book's gradient-ascent recipe (5.4, "visualizing what convnets learn") a symbolic graph to run:

>>> import numpy as np
>>> from pydl import Input, layers, keras_backend as K
>>> image = Input(shape=(8, 8, 1))
>>> features = layers.Conv2D(2, 3, name="conv")(image)
>>> loss = K.mean(features[:, :, :, 0])
>>> grads = K.gradients(loss, image)[0]
>>> grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
>>> iterate = K.function([image], [loss, grads])
>>> loss_value, grads_value = iterate([np.zeros((1, 8, 8, 1))])
>>> grads_value.shape
(1, 8, 8, 1)

``K.shape`` is a tensor, as in Keras 2: on a symbolic tensor a graph node whose value is the shape of the data that
flows (batch size included), so the deep-dream scaling ``K.prod(K.cast(K.shape(activation), 'float32'))`` works on a
model whose batch and image sizes are unknown until it runs; ``K.int_shape`` is the tuple known when the graph is built.

NOTE: differences from Keras 2: ``K.gradients`` differentiates with respect to tensors of a graph (inputs and layer
outputs, the book's uses), not weights; ``K.variable`` is a Tensor that requires grad (pydl has no separate variable
type).
"""

from __future__ import annotations

import math

from pydl import backend
from pydl.backend import np
from pydl.layers.base import reset_name_counters
from pydl.layers.gradients import function, gradients, symbolic_or_none as _symbolic_or_none
from pydl.ops import arithmetic, elementwise, reduction, shape as shape_ops
from pydl.random import generator
from pydl.tensor import Tensor

__all__ = [
    "epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format", "clear_session", "int_shape",
    "shape", "ndim", "dtype", "variable", "constant", "placeholder", "zeros", "ones", "random_normal",
    "random_uniform", "eval", "get_value", "set_value", "cast", "mean", "sum", "prod", "max", "min", "var",
    "std", "square", "sqrt", "abs", "exp", "log", "pow", "maximum", "minimum", "clip", "tanh", "sigmoid",
    "relu", "softmax", "concatenate", "reshape", "transpose", "permute_dimensions", "expand_dims", "squeeze",
    "stack", "dot", "batch_flatten", "flatten", "l2_normalize", "gradients", "function",
]

_epsilon = 1e-7


# ----------------------------------------------------------------- configuration
def epsilon() -> float:
    """The fuzz factor Keras adds to avoid dividing by zero (1e-7)."""
    return _epsilon


def set_epsilon(value: float) -> None:
    global _epsilon
    _epsilon = float(value)


floatx, set_floatx = backend.floatx, backend.set_floatx


def image_data_format() -> str:
    """Always "channels_last": pydl's image layers are channels-last only."""
    return "channels_last"


def clear_session() -> None:
    """Start layer names afresh ("dense", "dense_1", ...), as Keras' clear_session does; models already built keep
    working."""
    reset_name_counters()


# ----------------------------------------------------------------- shapes and values
def int_shape(x) -> tuple:
    """The shape as a tuple of ints (None for unknown axes, as the batch axis of a layer output)."""
    symbolic = _symbolic_or_none(x)
    return tuple(symbolic.shape) if symbolic is not None else tuple(np.shape(x))


def shape(x):
    """The shape as a 1-d int64 tensor: on a symbolic tensor a graph node computing the runtime shape, on data the
    shape itself (``K.shape(x)[0]`` is the batch size inside a Lambda's function)."""
    if _symbolic_or_none(x) is None and not isinstance(x, Tensor):
        x = Tensor(np.asarray(x))
    return shape_ops.shape_of(x)


def ndim(x) -> int:
    return len(int_shape(x))


def dtype(x) -> str:
    symbolic = _symbolic_or_none(x)
    return symbolic.dtype if symbolic is not None else str(np.asarray(x).dtype if not isinstance(x, Tensor)
                                                          else x.dtype)


def variable(value, dtype=None, name=None) -> Tensor:
    """A Tensor holding ``value`` (cast to ``dtype``, floatx by default) that requires grad."""
    return Tensor(np.asarray(value), requires_grad=True, dtype=dtype or floatx(), name=name)


def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """A Tensor of ``value`` (broadcast to ``shape`` when given), no gradient."""
    array = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        array = np.broadcast_to(array, tuple(shape)).copy()
    return Tensor(array, name=name)


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    """An ``Input`` with the full ``shape`` (batch axis first), Keras 2's placeholder."""
    from pydl.layers import Input

    if shape is None:
        if ndim is None:
            raise ValueError("placeholder needs shape=(...) (batch axis first) or ndim=.")
        shape = (None,) * int(ndim)
    return Input(batch_shape=tuple(shape), dtype=dtype, name=name)


def zeros(shape, dtype=None, name=None) -> Tensor:
    return Tensor(np.zeros(tuple(shape), dtype=dtype or floatx()), name=name)


def ones(shape, dtype=None, name=None) -> Tensor:
    return Tensor(np.ones(tuple(shape), dtype=dtype or floatx()), name=name)


def _check_known(shape, what: str) -> tuple:
    if isinstance(shape, Tensor):  # K.shape(x) itself, or a slice of it
        shape = shape.numpy().tolist()
    shape = tuple(int(d.item()) if isinstance(d, Tensor) else d for d in shape)
    if any(d is None or _symbolic_or_none(d) is not None for d in shape):
        raise ValueError(f"{what}: the shape {shape} is not known; random values need a known shape "
                         "(inside a Lambda's function the batch size is known: K.shape(x)[0]).")
    return tuple(int(d) for d in shape)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Normal values of ``shape`` from pydl's shared generator (``pydl.seed``), or one seeded with ``seed``."""
    values = generator(seed).normal(mean, stddev, _check_known(shape, "random_normal"))
    return Tensor(values.astype(dtype or floatx()))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    values = generator(seed).uniform(minval, maxval, _check_known(shape, "random_uniform"))
    return Tensor(values.astype(dtype or floatx()))


def eval(x):  # noqa: A001  (Keras' name)
    """The values of a Tensor as a NumPy array (a symbolic tensor has none: use K.function)."""
    if _symbolic_or_none(x) is not None:
        raise TypeError(f"K.eval({x!r}): a symbolic tensor has no values until data flows; use "
                        "K.function([inputs], [outputs]) and call it on arrays.")
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


get_value = eval


def set_value(x: Tensor, value) -> None:
    """Write ``value`` into the Tensor ``x`` in place (same shape)."""
    value = np.asarray(value)
    if tuple(value.shape) != tuple(x.shape):
        raise ValueError(f"set_value: the tensor has shape {tuple(x.shape)}, the value {tuple(value.shape)}.")
    x.data[...] = backend.on_device_of(value, x.data)


def cast(x, dtype):
    """``x`` as ``dtype``: a Tensor, or a graph node on a symbolic tensor."""
    if _symbolic_or_none(x) is None and not isinstance(x, Tensor):
        return Tensor(np.asarray(x, dtype=dtype))
    return shape_ops.cast(x, dtype)


# ----------------------------------------------------------------- maths (eager or symbolic)
def mean(x, axis=None, keepdims=False):
    return reduction.mean(x, _axis(axis), keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return reduction.sum(x, _axis(axis), keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return reduction.max(x, _axis(axis), keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return reduction.min(x, _axis(axis), keepdims)


def prod(x, axis=None, keepdims=False):
    return reduction.prod(x, _axis(axis), keepdims)


def var(x, axis=None, keepdims=False):
    return reduction.var(x, _axis(axis), keepdims)


def std(x, axis=None, keepdims=False):
    return elementwise.sqrt(reduction.var(x, _axis(axis), keepdims))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def square(x):
    return arithmetic.mul(x, x)


def sqrt(x):
    return elementwise.sqrt(x)


def abs(x):  # noqa: A001
    return elementwise.abs(x)


def exp(x):
    return elementwise.exp(x)


def log(x):
    return elementwise.log(x)


def pow(x, a):  # noqa: A001
    return arithmetic.pow(x, a)


def maximum(x, y):
    return elementwise.maximum(x, y)


def minimum(x, y):
    return elementwise.minimum(x, y)


def clip(x, min_value, max_value):
    return elementwise.clip(x, min_value, max_value)


def tanh(x):
    return elementwise.tanh(x)


def sigmoid(x):
    return elementwise.sigmoid(x)


def relu(x, alpha=0.0, max_value=None):
    out = elementwise.relu(x) if alpha == 0 else elementwise.leaky_relu(x, alpha)
    return out if max_value is None else elementwise.minimum(out, max_value)


def softmax(x, axis=-1):
    return reduction.softmax(x, axis)


def concatenate(tensors, axis=-1):
    return shape_ops.concatenate(list(tensors), axis=axis)


def reshape(x, shape):
    return shape_ops.reshape(x, tuple(shape))


def transpose(x):
    return shape_ops.transpose(x, None)


def permute_dimensions(x, pattern):
    return shape_ops.transpose(x, tuple(pattern))


def expand_dims(x, axis=-1):
    return shape_ops.expand_dims(x, axis)


def squeeze(x, axis):
    return shape_ops.squeeze(x, axis)


def stack(tensors, axis=0):
    return shape_ops.stack(list(tensors), axis=axis)


def dot(x, y):
    """Matrix product (Keras 2's ``K.dot`` on tensors of rank 1 or 2; batched operands follow ``matmul``)."""
    return arithmetic.matmul(x, y)


def batch_flatten(x):
    """(batch, ...) -> (batch, product of the rest)."""
    rest = int_shape(x)[1:]
    if None in rest:
        raise ValueError(f"batch_flatten needs every axis but the batch known, got shape {int_shape(x)}.")
    return shape_ops.reshape(x, (-1, math.prod(rest)))


def flatten(x):
    return shape_ops.reshape(x, (-1,))


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))``, Keras' formula."""
    return x / elementwise.sqrt(elementwise.maximum(reduction.sum(x * x, axis, True), 1e-12))
