"""``Conv2DTranspose``: the learned upsampling of generators and decoders (the book's GAN, 8.5).

>>> from pydl.layers import Conv2DTranspose
>>> layer = Conv2DTranspose(32, 4, strides=2, padding="same")
>>> layer.compute_output_shape((None, 16, 16, 256))
(None, 32, 32, 32)
>>> layer.build((None, 16, 16, 256)); layer.count_params()
131104
"""

from __future__ import annotations

from pydl.layers.convolutional import _check_image_shape
from pydl.layers.core import KernelLayer
from pydl.ops.conv import _check_padding, check_dilation, pair
from pydl.ops.conv_transpose import conv_transpose2d, conv_transpose_layout

__all__ = ["Conv2DTranspose"]


class Conv2DTranspose(KernelLayer):
    """Transposed 2-D convolution over (N, H, W, C) input with a (kh, kw, filters, C) kernel (Keras' layout).

    Each input pixel adds a (kh, kw) patch, scaled by the kernel, to the output; patches start ``strides`` apart,
    so ``strides=2`` doubles the height and width with ``padding="same"``.

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw).
        padding: "valid" (output ``(H - 1) * s + max(k, s)``) or "same" (output ``H * s``).
        output_padding: None, an int or a pair (each below its stride): extra rows/columns at the end, for an output
            of ``(H - 1) * s + k + output_padding`` ("valid") or ``(H - 1) * s + k % 2 + output_padding`` ("same"),
            Keras 3's sizes.
        dilation_rate: only 1 is supported (dilated transposed convolutions are not implemented).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer: as for
            ``Conv2D``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"Conv2DTranspose needs a positive number of filters, got {filters!r}.")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Conv2DTranspose supports data_format='channels_last' only, got {data_format!r}.")
        if check_dilation(dilation_rate) != (1, 1):
            raise ValueError(f"Conv2DTranspose dilation_rate={dilation_rate!r} is not implemented in pydl; use 1.")
        self.filters = int(filters)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.strides = pair(strides, "strides")
        self.padding = _check_padding(padding)
        self.output_padding = None if output_padding is None else pair(output_padding, "output_padding")
        if self.output_padding is not None and any(p >= s or p < 0 for p, s in zip(self.output_padding,
                                                                                  self.strides)):
            raise ValueError(f"Conv2DTranspose output_padding {self.output_padding} must be >= 0 and smaller than "
                             f"the strides {self.strides}.")

    def _layouts(self, h, w) -> list:
        extra = self.output_padding or (None, None)
        return [conv_transpose_layout(size, k, s, self.padding, p) if size is not None else (None, None)
                for size, k, s, p in zip((h, w), self.kernel_size, self.strides, extra)]

    def build(self, input_shape):
        input_shape = _check_image_shape(self, input_shape)
        self.add_kernel_and_bias(self.kernel_size + (self.filters, input_shape[-1]))
        self.bias = (self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)
                     if self.use_bias else None)
        super().build(input_shape)

    def add_kernel_and_bias(self, kernel_shape):
        # the bias follows the filters, axis 2 of this kernel, so build adds it itself
        self.kernel = self.add_weight("kernel", tuple(kernel_shape), self.kernel_initializer, self.kernel_regularizer)

    def call(self, inputs, training=None):
        (crop_h, out_h), (crop_w, out_w) = self._layouts(*inputs.shape[1:3])
        return self.activation(conv_transpose2d(inputs, self.kernel, self.bias, self.strides, (crop_h, crop_w),
                                                (out_h, out_w)))

    def compute_output_shape(self, input_shape):
        n, h, w, _ = _check_image_shape(self, input_shape)
        (_, out_h), (_, out_w) = self._layouts(h, w)
        return n, out_h, out_w, self.filters

    def get_config(self):
        output_padding = None if self.output_padding is None else list(self.output_padding)
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "output_padding": output_padding,
                "data_format": "channels_last", "dilation_rate": [1, 1]}
