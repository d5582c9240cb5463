"""Pooling layers (channels-last): max and average pooling over sequences (1-D) and images (2-D), and global
pooling that reduces all steps or pixels to one value per channel."""

from __future__ import annotations

from pydl.layers.base import Layer, _shape_tuple
from pydl.layers._sequence import FitsWindow, check_sequence_shape, image_as_sequence, sequence_as_image, single
from pydl.ops.conv import _check_padding, conv_output_length, pair
from pydl.ops.pooling import avg_pool2d, max_pool2d

__all__ = [
    "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling1D", "MaxPooling2D",
    "AveragePooling2D", "GlobalAveragePooling2D", "MaxPool1D", "AvgPool1D", "MaxPool2D", "AvgPool2D",
]


class _Pooling1D(FitsWindow, Layer):
    """Runs the 2-D pooling op on the sequence seen as an image one pixel wide (see ``sequence_as_image``)."""

    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = single(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else single(strides)
        self.padding = _check_padding(padding)

    def build(self, input_shape):
        input_shape = check_sequence_shape(self, input_shape, "(batch, steps, channels)")
        super().build(input_shape)
        self.input_spec_shape = (None, None, input_shape[-1])  # any sequence length

    def call(self, inputs, training=None):
        pooled = type(self)._op(sequence_as_image(inputs), (self.pool_size, 1), (self.strides, 1), self.padding)
        return image_as_sequence(pooled)

    def compute_output_shape(self, input_shape):
        batch, steps, channels = _shape_tuple(input_shape)
        return (batch, conv_output_length(steps, self.pool_size, self.strides, self.padding), channels)

    def get_config(self):
        return {**super().get_config(), "pool_size": [self.pool_size], "strides": [self.strides],
                "padding": self.padding}


class MaxPooling1D(_Pooling1D):
    """Maximum over each window of ``pool_size`` steps; ``strides`` defaults to ``pool_size``.

    >>> from pydl.layers import MaxPooling1D
    >>> MaxPooling1D(5).compute_output_shape((None, 494, 32))
    (None, 98, 32)
    """

    _op = staticmethod(max_pool2d)


class AveragePooling1D(_Pooling1D):
    """Mean over each window of ``pool_size`` steps; ``strides`` defaults to ``pool_size``.

    >>> from pydl.layers import AveragePooling1D
    >>> AveragePooling1D(2, padding="same").compute_output_shape((None, 7, 4))
    (None, 4, 4)
    """

    _op = staticmethod(avg_pool2d)


class _Pooling2D(FitsWindow, Layer):
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


class _GlobalPooling(Layer):
    """Reduces the ``spatial_axes`` steps (1-D) or rows and columns (2-D) with ``reduction`` ("mean" or "max"):
    (N, ..., C) -> (N, C), or keeping the reduced axes with size 1 when ``keepdims=True``."""

    spatial_axes, reduction = 2, "mean"

    def __init__(self, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        if len(input_shape) != self.spatial_axes + 2:
            raise ValueError(f'Layer "{self.name}" expects {self.spatial_axes + 2}-D input (batch, '
                             f"{'steps' if self.spatial_axes == 1 else 'height, width'}, channels), got shape "
                             f"{input_shape}.")
        super().build(input_shape)
        self.input_spec_shape = (None,) * (self.spatial_axes + 1) + input_shape[-1:]  # any length or size

    def call(self, inputs, training=None):
        axes = tuple(range(1, self.spatial_axes + 1))
        return getattr(inputs, self.reduction)(axis=axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        n, c = input_shape[0], input_shape[-1]
        return (n,) + (1,) * self.spatial_axes + (c,) if self.keepdims else (n, c)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the steps: (N, steps, C) -> (N, C). Each channel reports its strongest response anywhere.

    >>> from pydl.layers import GlobalMaxPooling1D
    >>> GlobalMaxPooling1D().compute_output_shape((None, 98, 32))
    (None, 32)
    """

    spatial_axes, reduction = 1, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps: (N, steps, C) -> (N, C), e.g. the average word vector of a sentence.

    >>> from pydl.layers import GlobalAveragePooling1D
    >>> GlobalAveragePooling1D().compute_output_shape((None, 20, 16))
    (None, 16)
    """

    spatial_axes, reduction = 1, "mean"


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with ``keepdims=True``.

    >>> from pydl.layers import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D().compute_output_shape((None, 7, 7, 128))
    (None, 128)
    """


MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D  # Keras' aliases
MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
