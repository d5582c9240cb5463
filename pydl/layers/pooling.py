"""Pooling layers (channels-last): MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D."""

from __future__ import annotations

from pydl.layers.base import Layer, _shape_tuple
from pydl.ops.conv import _check_padding, conv_output_length, pair
from pydl.ops.pooling import avg_pool2d, max_pool2d

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "MaxPool2D", "AvgPool2D"]


class _Pooling2D(Layer):
    _op = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else pair(strides)
        self.padding = _check_padding(padding)

    def call(self, inputs, training=None):
        return type(self)._op(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        n, h, w, c = _shape_tuple(input_shape)
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        return (n, conv_output_length(h, ph, sh, self.padding), conv_output_length(w, pw, sw, self.padding), c)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """Maximum over each ``pool_size`` window; ``strides`` defaults to ``pool_size``.

    >>> from pydl.layers import MaxPooling2D
    >>> MaxPooling2D(2).compute_output_shape((None, 11, 11, 64))
    (None, 5, 5, 64)
    """

    _op = staticmethod(max_pool2d)


class AveragePooling2D(_Pooling2D):
    """Mean over each ``pool_size`` window ("same" padding averages the real cells only, as in Keras).

    >>> from pydl.layers import AveragePooling2D
    >>> AveragePooling2D(2, padding="same").compute_output_shape((None, 11, 11, 64))
    (None, 6, 6, 64)
    """

    _op = staticmethod(avg_pool2d)


class GlobalAveragePooling2D(Layer):
    """Mean over height and width: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with ``keepdims=True``.

    >>> from pydl.layers import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D().compute_output_shape((None, 7, 7, 128))
    (None, 128)
    """

    def __init__(self, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def call(self, inputs, training=None):
        return inputs.mean(axis=(1, 2), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        n, _, _, c = _shape_tuple(input_shape)
        return (n, 1, 1, c) if self.keepdims else (n, c)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D  # Keras' aliases
