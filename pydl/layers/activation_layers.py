"""Activation functions as layers, with Keras 3's arguments: ``ReLU``, ``LeakyReLU``, ``PReLU`` (a learned
slope), ``ELU`` and ``Softmax``. (``Activation("relu")`` takes any activation by name; these add options.)

>>> import pydl
>>> from pydl.layers import LeakyReLU, ReLU
>>> LeakyReLU(negative_slope=0.5)(pydl.tensor([[-2.0, 3.0]])).tolist()
[[-1.0, 3.0]]
>>> ReLU(max_value=2.0)(pydl.tensor([[-2.0, 3.0]])).tolist()
[[0.0, 2.0]]
"""

from __future__ import annotations

import warnings

from pydl import initializers, regularizers
from pydl.layers.base import Layer, _shape_tuple
from pydl.ops import elementwise, reduction
from pydl.tensor import Tensor

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]


def _slope_from_alpha(layer_name: str, negative_slope, kwargs: dict):
    """Keras 2 called LeakyReLU's slope ``alpha``; Keras 3 still takes it, with a warning, and so does pydl."""
    if "alpha" in kwargs:
        warnings.warn(f"{layer_name}: the argument `alpha` is deprecated (Keras 3); use `negative_slope`.",
                      DeprecationWarning, stacklevel=3)
        return kwargs.pop("alpha")
    return negative_slope


class ReLU(Layer):
    """``max_value`` if ``x >= max_value``, ``x`` if ``threshold <= x < max_value``, else
    ``negative_slope * (x - threshold)``, as Keras 3 computes it.

    Args:
        max_value: None (no cap) or a non-negative cap.
        negative_slope: slope below the threshold (>= 0).
        threshold: where the function switches from the slope to the identity.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for what, value in (("max_value", max_value), ("negative_slope", negative_slope), ("threshold", threshold)):
            if value is not None and float(value) < 0:
                raise ValueError(f"ReLU {what} must be >= 0 (or None for max_value), got {value!r}.")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, inputs, training=None):
        x, slope, threshold = inputs, self.negative_slope, self.threshold
        # Keras 3's ReLU.static_call, term by term, so values at the threshold and the cap agree exactly
        negative_part = elementwise.relu(threshold - x) if slope != 0 else None
        if threshold != 0:
            x = x * Tensor((x.data > threshold).astype(x.dtype))  # a Tensor: a CuPy mask must not meet it bare
        else:
            x = elementwise.relu(x)
        if self.max_value is not None:
            x = elementwise.clip(x, 0.0, self.max_value)
        return x if negative_part is None else x - slope * negative_part

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below: the GAN discriminator's activation in the book.

    Args:
        negative_slope: slope for negative inputs (Keras 3's default 0.3); ``alpha=`` (Keras 2's name) also works.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        negative_slope = _slope_from_alpha("LeakyReLU", negative_slope, kwargs)
        super().__init__(**kwargs)
        if float(negative_slope) < 0:
            raise ValueError(f"LeakyReLU negative_slope must be >= 0, got {negative_slope!r}.")
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=None):
        return elementwise.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU with a learned slope per input unit: ``relu(x) - alpha * relu(-x)``.

    Args:
        alpha_initializer, alpha_regularizer: for the slopes (zeros by default: it starts as a ReLU).
        shared_axes: axes (1 = first after the batch) along which one slope is shared, e.g. ``[1, 2]`` for one
            slope per channel of an image.
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise ValueError("PReLU alpha_constraint is not supported by pydl (weight constraints are not "
                             "implemented); leave it None.")
        self.alpha_initializer = initializers.get(alpha_initializer, default="zeros")
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(a) for a in ([shared_axes] if isinstance(shared_axes, int) else shared_axes)]

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f'Layer "{self.name}" (PReLU): shared_axes {self.shared_axes} must be axes 1 to '
                                 f"{len(input_shape) - 1} of input shape {input_shape}.")
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(f'Layer "{self.name}" (PReLU) needs every unshared axis known, got input shape '
                             f"{input_shape}; share the unknown axes with shared_axes=[...].")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer, self.alpha_regularizer)
        super().build(input_shape)

    def call(self, inputs, training=None):
        return elementwise.relu(inputs) - self.alpha * elementwise.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer), "alpha_constraint": None,
                "shared_axes": self.shared_axes}


class ELU(Layer):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs, training=None):
        return elementwise.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax along ``axis`` (an int or a list of ints), e.g. over the classes of a score tensor.

    NOTE: Keras' ``mask`` argument (masked positions get no probability) is not supported: pydl layers take no
    masks.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs, training=None):
        if isinstance(self.axis, int):
            return reduction.softmax(inputs, self.axis)
        # several axes: exp(x - logsumexp over them), Keras 3's formula
        return (inputs - reduction.logsumexp(inputs, tuple(self.axis), keepdims=True)).exp()

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
