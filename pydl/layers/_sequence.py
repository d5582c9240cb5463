"""Helpers shared by the layers over sequences (batch, steps, features): recurrent, Conv1D and 1-D pooling, and the
window check of every convolution and pooling layer."""

from __future__ import annotations

from pydl.layers.base import _shape_tuple
from pydl.ops import shape as shape_ops


def check_sequence_shape(layer, input_shape, axes="(batch, timesteps, features)") -> tuple:
    """``input_shape`` as a tuple, if it is 3-D with a known last axis; else an error naming ``layer``."""
    input_shape = _shape_tuple(input_shape)
    if len(input_shape) != 3 or input_shape[-1] is None:
        raise ValueError(f'Layer "{layer.name}" expects 3-D input {axes} with a known last axis, got shape '
                         f"{input_shape}.")
    return input_shape


def single(value, what="strides") -> int:
    """``3`` or ``(3,)`` -> ``3`` (a 1-D layer's window or stride); anything else is an error naming ``what``."""
    if isinstance(value, int):
        return value
    value = tuple(int(v) for v in value)
    if len(value) != 1:
        raise ValueError(f"{what} must be an int or a 1-tuple for a 1-D layer, got {value!r}.")
    return value[0]


# Conv1D and the 1-D poolings run the 2-D ops on a sequence seen as an image one pixel wide: no second convolution.
def sequence_as_image(x):
    """(batch, steps, channels) -> (batch, steps, 1, channels), for the 2-D ops."""
    batch, steps, channels = x.shape
    return shape_ops.reshape(x, (batch, steps, 1, channels))


def image_as_sequence(x):
    """(batch, steps, 1, channels) -> (batch, steps, channels), back from the 2-D ops."""
    batch, steps, _, channels = x.shape
    return shape_ops.reshape(x, (batch, steps, channels))


class FitsWindow:
    """Mixin for the convolution and pooling layers: an input smaller than the window (``padding="valid"``) is an
    error naming the layer and the shapes, on data and already when a graph is built on symbolic tensors (where the
    output shape would otherwise have a 0)."""

    def _build_or_check(self, input_shape) -> None:
        super()._build_or_check(input_shape)  # the rank and channels first, with their own messages
        output_shape = self.compute_output_shape(input_shape)
        if 0 in output_shape[1:-1]:
            kernel = _as_tuple(getattr(self, "kernel_size", None) or self.pool_size)
            dilation = _as_tuple(getattr(self, "dilation_rate", 1))
            window = kernel
            if any(d != 1 for d in dilation):  # what must fit is the span the dilated kernel covers
                spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
                window = f"{spans} (kernel_size {kernel} with dilation_rate {dilation})"
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) got input shape {tuple(input_shape)}, '
                             f'smaller than the window {window} with padding="valid": its output shape would be '
                             f'{tuple(output_shape)}. Use padding="same", a smaller window or larger inputs.')


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)
