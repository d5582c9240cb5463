"""Convolution layers (channels-last, Keras' layout): Conv1D over sequences, Conv2D over images, and the depthwise
separable pair DepthwiseConv2D / SeparableConv2D."""

from __future__ import annotations

from pydl import activations, initializers, regularizers
from pydl.layers.base import Layer, _shape_tuple
from pydl.layers._sequence import FitsWindow, check_sequence_shape, image_as_sequence, sequence_as_image, single
from pydl.layers.core import KernelLayer
from pydl.ops import shape as shape_ops
from pydl.ops.conv import _check_padding, check_dilation, conv2d, conv_output_length, depthwise_conv2d, pair

__all__ = ["Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D"]


class Conv1D(FitsWindow, KernelLayer):
    """1-D convolution over (batch, steps, channels) with a (kernel_size, channels, filters) kernel: each output
    step looks at ``kernel_size`` neighbouring input steps, so the layer finds local patterns wherever they occur.

    Args:
        filters: number of output channels.
        kernel_size: length of the window (an int).
        strides: step between windows.
        padding: "valid" (no padding), "same" (output length ``ceil(steps / strides)``) or "causal": the start is
            padded with ``dilation_rate * (kernel_size - 1)`` zeros, so output step ``t`` sees only input steps
            ``<= t`` (``<= t * strides``), as sequence models need; the length is that of "same".
        dilation_rate: spacing of the kernel taps: with ``d`` a kernel of ``k`` taps spans ``d * (k - 1) + 1``
            steps, so stacks of causal layers with rates 1, 2, 4, ... see exponentially far back (WaveNet).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as for
            ``Conv2D``.

    >>> from pydl.layers import Conv1D
    >>> layer = Conv1D(32, 7, activation="relu")
    >>> layer.compute_output_shape((None, 500, 128))
    (None, 494, 32)
    >>> layer.build((None, 500, 128)); layer.count_params()
    28704
    >>> Conv1D(32, 3, dilation_rate=4).compute_output_shape((None, 500, 128))  # spans 4 * 2 + 1 = 9 steps
    (None, 492, 32)
    >>> Conv1D(32, 3, padding="causal", dilation_rate=4).compute_output_shape((None, 500, 128))
    (None, 500, 32)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"Conv1D needs a positive number of filters, got {filters!r}.")
        self.filters = int(filters)
        self.kernel_size = single(kernel_size, "kernel_size")
        self.strides = single(strides)
        self.padding = _check_padding(padding, ("valid", "same", "causal"))
        self.dilation_rate = check_dilation(single(dilation_rate, "dilation_rate"))[0]

    def build(self, input_shape):
        input_shape = check_sequence_shape(self, input_shape, "(batch, steps, channels)")
        self.add_kernel_and_bias((self.kernel_size, input_shape[-1], self.filters))
        super().build(input_shape)
        self.input_spec_shape = (None, None, input_shape[-1])  # any sequence length; the channels are fixed

    def call(self, inputs, training=None):
        kernel = shape_ops.expand_dims(self.kernel, 1)  # (k, C, filters) -> (k, 1, C, filters)
        # "causal" reaches conv2d as it is: there it pads the top of H, which holds the steps.
        out = conv2d(sequence_as_image(inputs), kernel, self.bias, (self.strides, 1), self.padding,
                     (self.dilation_rate, 1))
        return self.activation(image_as_sequence(out))

    def compute_output_shape(self, input_shape):
        batch, steps, _ = _shape_tuple(input_shape)
        return (batch, conv_output_length(steps, self.kernel_size, self.strides, self.padding, self.dilation_rate),
                self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": [self.kernel_size],
                "strides": [self.strides], "padding": self.padding, "dilation_rate": [self.dilation_rate]}


class Conv2D(FitsWindow, KernelLayer):
    """2-D convolution over (N, H, W, C) input with a (kh, kw, C_in, filters) kernel, then an activation.

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw).
        padding: "valid" (no padding) or "same" (output size ``ceil(size / stride)``).
        dilation_rate: int or (dh, dw): spacing of the kernel taps; a (kh, kw) kernel spans
            ``(dh * (kh - 1) + 1, dw * (kw - 1) + 1)`` pixels.
        activation: name or callable; None means linear.
        use_bias: whether to add one bias per filter.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as for ``Dense``.

    >>> from pydl.layers import Conv2D
    >>> Conv2D(32, 3).compute_output_shape((None, 28, 28, 1))
    (None, 26, 26, 32)
    >>> Conv2D(32, 3, strides=2, padding="same").compute_output_shape((None, 28, 28, 1))
    (None, 14, 14, 32)
    >>> Conv2D(32, 3, dilation_rate=2).compute_output_shape((None, 28, 28, 1))
    (None, 24, 24, 32)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"Conv2D needs a positive number of filters, got {filters!r}.")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = _check_padding(padding)
        self.dilation_rate = check_dilation(dilation_rate)

    def build(self, input_shape):
        input_shape = _check_image_shape(self, input_shape)
        self.add_kernel_and_bias(self.kernel_size + (input_shape[-1], self.filters))
        super().build(input_shape)

    def call(self, inputs, training=None):
        return self.activation(conv2d(inputs, self.kernel, self.bias, self.strides, self.padding,
                                      self.dilation_rate))

    def compute_output_shape(self, input_shape):
        return _image_output_shape(input_shape, self.kernel_size, self.strides, self.padding, self.filters,
                                   self.dilation_rate)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "dilation_rate": list(self.dilation_rate)}


def _check_image_shape(layer, input_shape) -> tuple:
    """``input_shape`` as a tuple if it is (batch, height, width, channels) with known channels, else a ValueError."""
    input_shape = _shape_tuple(input_shape)
    if len(input_shape) != 4 or input_shape[-1] is None:
        raise ValueError(f'Layer "{layer.name}" expects 4-D input (batch, height, width, channels) with known '
                         f"channels, got shape {input_shape}.")
    return input_shape


def _image_output_shape(input_shape, kernel_size, strides, padding, channels, dilation=(1, 1)) -> tuple:
    n, h, w, _ = _shape_tuple(input_shape)
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, strides, dilation
    return n, conv_output_length(h, kh, sh, padding, dh), conv_output_length(w, kw, sw, padding, dw), channels


class DepthwiseConv2D(FitsWindow, Layer):
    """Depthwise 2-D convolution: every input channel is filtered on its own by ``depth_multiplier`` (kh, kw)
    filters, so the output has ``channels * depth_multiplier`` channels and no channel mixing. Weights:
    ``depthwise_kernel`` (kh, kw, channels, depth_multiplier) and ``bias`` (channels * depth_multiplier,).

    Args:
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw).
        padding: "valid" or "same".
        depth_multiplier: filters per input channel.
        activation: name or callable; None means linear.
        use_bias: whether to add one bias per output channel.
        depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer: as for ``Conv2D``'s kernel
            and bias.

    >>> from pydl.layers import DepthwiseConv2D
    >>> layer = DepthwiseConv2D(3, depth_multiplier=2)
    >>> layer.compute_output_shape((None, 28, 28, 32))
    (None, 26, 26, 64)
    >>> layer.build((None, 28, 28, 32)); layer.count_params()  # 32*9*2 + 64
    640
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if int(depth_multiplier) <= 0:
            raise ValueError(f"{type(self).__name__} needs a positive depth_multiplier, got {depth_multiplier!r}.")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = _check_padding(padding)
        self.depth_multiplier = int(depth_multiplier)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer, default="glorot_uniform")
        self.bias_initializer = initializers.get(bias_initializer, default="zeros")
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        input_shape = _check_image_shape(self, input_shape)
        self.depthwise_kernel = self.add_weight("depthwise_kernel", self.kernel_size + (
            input_shape[-1], self.depth_multiplier), self.depthwise_initializer, self.depthwise_regularizer)
        self.add_output_weights(input_shape[-1] * self.depth_multiplier)
        super().build(input_shape)

    def add_output_weights(self, depthwise_channels: int) -> None:
        """The weights after the depthwise kernel (Keras' order): here the bias, one per output channel."""
        self.bias = self.add_bias(depthwise_channels)

    def add_bias(self, channels: int):
        return (self.add_weight("bias", (channels,), self.bias_initializer, self.bias_regularizer)
                if self.use_bias else None)

    def call(self, inputs, training=None):
        return self.activation(depthwise_conv2d(inputs, self.depthwise_kernel, self.bias, self.strides,
                                                self.padding))

    def compute_output_shape(self, input_shape):
        channels = _shape_tuple(input_shape)[-1]
        return _image_output_shape(input_shape, self.kernel_size, self.strides, self.padding,
                                   None if channels is None else channels * self.depth_multiplier)

    def get_config(self):
        return {**super().get_config(), "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "depth_multiplier": self.depth_multiplier,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}


class SeparableConv2D(DepthwiseConv2D):
    """Depthwise separable 2-D convolution: a :class:`DepthwiseConv2D` (no bias) followed by a 1x1 convolution
    that mixes its ``channels * depth_multiplier`` outputs into ``filters`` channels, then bias and activation.

    It sees the same (kh, kw) windows as ``Conv2D(filters, kernel_size)`` with far fewer weights:
    ``channels*kh*kw*depth_multiplier + channels*depth_multiplier*filters + filters`` instead of
    ``channels*kh*kw*filters + filters``. Weights: ``depthwise_kernel`` (kh, kw, channels, depth_multiplier),
    ``pointwise_kernel`` (1, 1, channels * depth_multiplier, filters) and ``bias`` (filters,).

    Args:
        filters: number of output channels.
        kernel_size, strides, padding, depth_multiplier, activation, use_bias: as for ``DepthwiseConv2D``.
        depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
            pointwise_regularizer, bias_regularizer: one per weight.

    >>> from pydl.layers import SeparableConv2D
    >>> layer = SeparableConv2D(64, 3)
    >>> layer.build((None, 32, 32, 32)); layer.count_params()  # 32*9 + 32*64 + 64 (Conv2D(64, 3): 18,496)
    2400
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"SeparableConv2D needs a positive number of filters, got {filters!r}.")
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer, default="glorot_uniform")
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def add_output_weights(self, depthwise_channels: int) -> None:
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1, 1, depthwise_channels, self.filters),
                                                self.pointwise_initializer, self.pointwise_regularizer)
        self.bias = self.add_bias(self.filters)

    def call(self, inputs, training=None):
        depthwise = depthwise_conv2d(inputs, self.depthwise_kernel, None, self.strides, self.padding)
        return self.activation(conv2d(depthwise, self.pointwise_kernel, self.bias))

    def compute_output_shape(self, input_shape):
        return _image_output_shape(input_shape, self.kernel_size, self.strides, self.padding, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer)}
