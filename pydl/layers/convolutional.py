"""Convolution layers (channels-last, Keras' layout): Conv1D over sequences, Conv2D over images."""

from __future__ import annotations

from pydl.layers.base import _shape_tuple
from pydl.layers._sequence import check_sequence_shape, image_as_sequence, sequence_as_image, single
from pydl.layers.core import KernelLayer
from pydl.ops import shape as shape_ops
from pydl.ops.conv import _check_padding, conv2d, conv_output_length, pair

__all__ = ["Conv1D", "Conv2D"]



class Conv1D(KernelLayer):
    """1-D convolution over (batch, steps, channels) with a (kernel_size, channels, filters) kernel: each output
    step looks at ``kernel_size`` neighbouring input steps, so the layer finds local patterns wherever they occur.

    Args:
        filters: number of output channels.
        kernel_size: length of the window (an int).
        strides: step between windows.
        padding: "valid" (no padding) or "same" (output length ``ceil(steps / strides)``).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as for
            ``Conv2D``.

    >>> from pydl.layers import Conv1D
    >>> layer = Conv1D(32, 7, activation="relu")
    >>> layer.compute_output_shape((None, 500, 128))
    (None, 494, 32)
    >>> layer.build((None, 500, 128)); layer.count_params()
    28704
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"Conv1D needs a positive number of filters, got {filters!r}.")
        self.filters = int(filters)
        self.kernel_size = single(kernel_size, "kernel_size")
        self.strides = single(strides)
        self.padding = _check_padding(padding)

    def build(self, input_shape):
        input_shape = check_sequence_shape(self, input_shape, "(batch, steps, channels)")
        self.add_kernel_and_bias((self.kernel_size, input_shape[-1], self.filters))
        super().build(input_shape)
        self.input_spec_shape = (None, None, input_shape[-1])  # any sequence length; the channels are fixed

    def call(self, inputs, training=None):
        kernel = shape_ops.expand_dims(self.kernel, 1)  # (k, C, filters) -> (k, 1, C, filters)
        out = conv2d(sequence_as_image(inputs), kernel, self.bias, (self.strides, 1), self.padding)
        return self.activation(image_as_sequence(out))

    def compute_output_shape(self, input_shape):
        batch, steps, _ = _shape_tuple(input_shape)
        return (batch, conv_output_length(steps, self.kernel_size, self.strides, self.padding), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": [self.kernel_size],
                "strides": [self.strides], "padding": self.padding}


class Conv2D(KernelLayer):
    """2-D convolution over (N, H, W, C) input with a (kh, kw, C_in, filters) kernel, then an activation.

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw).
        padding: "valid" (no padding) or "same" (output size ``ceil(size / stride)``).
        activation: name or callable; None means linear.
        use_bias: whether to add one bias per filter.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as for ``Dense``.

    >>> from pydl.layers import Conv2D
    >>> Conv2D(32, 3).compute_output_shape((None, 28, 28, 1))
    (None, 26, 26, 32)
    >>> Conv2D(32, 3, strides=2, padding="same").compute_output_shape((None, 28, 28, 1))
    (None, 14, 14, 32)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"Conv2D needs a positive number of filters, got {filters!r}.")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = _check_padding(padding)

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f'Layer "{self.name}" expects 4-D input (batch, height, width, channels) with known '
                             f"channels, got shape {input_shape}.")
        self.add_kernel_and_bias(self.kernel_size + (input_shape[-1], self.filters))
        super().build(input_shape)

    def call(self, inputs, training=None):
        return self.activation(conv2d(inputs, self.kernel, self.bias, self.strides, self.padding))

    def compute_output_shape(self, input_shape):
        n, h, w, _ = _shape_tuple(input_shape)
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        return (n, conv_output_length(h, kh, sh, self.padding), conv_output_length(w, kw, sw, self.padding),
                self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding}
