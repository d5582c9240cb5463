"""Layers that move, repeat or cut values without learning anything: ``UpSampling1D/2D``, ``ZeroPadding2D``,
``Cropping2D``, ``Permute`` and ``RepeatVector`` (Keras 3's reshaping layers; ``Flatten`` and ``Reshape`` live in
:mod:`pydl.layers.core`).

Repeats are broadcasts against ones (one multiply, whose gradient the autograd core sums back over the repeats),
crops are slices and paddings :func:`pydl.ops.shape.pad`, so every gradient comes from tested primitives.

>>> from pydl.layers import Cropping2D, UpSampling2D, ZeroPadding2D
>>> UpSampling2D(2).compute_output_shape((None, 7, 7, 32))
(None, 14, 14, 32)
>>> ZeroPadding2D(((1, 2), (3, 4))).compute_output_shape((None, 7, 7, 3))
(None, 10, 14, 3)
>>> Cropping2D(((2, 2), (4, 4))).compute_output_shape((None, 28, 28, 3))
(None, 24, 20, 3)
"""

from __future__ import annotations

from pydl import backend
from pydl.layers.base import Layer, _shape_tuple
from pydl.ops import shape as shape_ops

__all__ = ["UpSampling1D", "UpSampling2D", "ZeroPadding2D", "Cropping2D", "Permute", "RepeatVector"]


def _check_rank(layer, input_shape, rank: int, axes: str) -> tuple:
    input_shape = _shape_tuple(input_shape)
    if len(input_shape) != rank:
        raise ValueError(f'Layer "{layer.name}" ({type(layer).__name__}) expects {rank}-D input {axes}, got shape '
                         f"{input_shape}.")
    return input_shape


def _repeat_each(x, counts: tuple):
    """Every entry of ``x`` repeated ``counts[i]`` times along axis ``i`` (``numpy.repeat`` on each axis)."""
    spread, ones = [], []
    for size, count in zip(x.shape, counts):
        spread += [size, 1]
        ones += [1, count]
    xp = backend.get_array_module(x.data)
    repeated = shape_ops.reshape(x, tuple(spread)) * xp.ones(tuple(ones), dtype=x.dtype)
    return shape_ops.reshape(repeated, tuple(size * count for size, count in zip(x.shape, counts)))


def _bilinear_matrix(size: int, factor: int, dtype):
    """(size * factor, size) weights of linear interpolation with half-pixel centres (PyTorch's
    ``align_corners=False``, what Keras 3 resizes with): output ``i`` reads input ``(i + 0.5) / factor - 0.5``,
    clamped to the edges."""
    xp = backend.np
    source = xp.clip((xp.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    low = xp.floor(source).astype(int)
    high = xp.minimum(low + 1, size - 1)
    weights = xp.zeros((size * factor, size))
    rows = xp.arange(size * factor)
    xp.add.at(weights, (rows, low), 1 - (source - low))
    xp.add.at(weights, (rows, high), source - low)
    return weights.astype(dtype)


def _bilinear(x, factors):
    """(N, H, W, C) -> (N, H*fh, W*fw, C): one matrix product per axis, so the gradient is matmul's."""
    xp = backend.get_array_module(x.data)
    rows = xp.asarray(_bilinear_matrix(x.shape[1], factors[0], x.dtype))
    cols = xp.asarray(_bilinear_matrix(x.shape[2], factors[1], x.dtype))
    channels_first = shape_ops.transpose(x, (0, 3, 1, 2))  # (N, C, H, W): interpolate the last two axes
    resized = rows @ channels_first @ cols.T
    return shape_ops.transpose(resized, (0, 2, 3, 1))


def _times(size, factor):
    return None if size is None else size * factor


class UpSampling1D(Layer):
    """Repeats each step ``size`` times: (batch, steps, features) -> (batch, steps * size, features)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        if self.size < 1:
            raise ValueError(f"UpSampling1D size must be a positive int, got {size!r}.")

    def build(self, input_shape):
        super().build(_check_rank(self, input_shape, 3, "(batch, steps, features)"))

    def call(self, inputs, training=None):
        return _repeat_each(inputs, (1, self.size, 1))

    def compute_output_shape(self, input_shape):
        batch, steps, features = _shape_tuple(input_shape)
        return batch, _times(steps, self.size), features

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarges each image ``size`` times along height and width, channels last.

    Args:
        size: int or (rows, cols).
        interpolation: "nearest" (Keras' default: each pixel repeated) or "bilinear" (linear in both directions,
            half-pixel centres, as Keras 3). NOTE: Keras' "bicubic", "lanczos3", ... are not implemented.
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"UpSampling2D supports data_format='channels_last' only, got {data_format!r}.")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D interpolation={interpolation!r} is not implemented in pydl; use "
                             "'nearest' or 'bilinear'.")
        self.size = tuple(int(s) for s in ((size, size) if isinstance(size, int) else size))
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"UpSampling2D size must be a positive int or a pair of them, got {size!r}.")
        self.interpolation = interpolation

    def build(self, input_shape):
        super().build(_check_rank(self, input_shape, 4, "(batch, height, width, channels)"))

    def call(self, inputs, training=None):
        if self.interpolation == "bilinear":
            return _bilinear(inputs, self.size)
        return _repeat_each(inputs, (1,) + self.size + (1,))

    def compute_output_shape(self, input_shape):
        batch, h, w, c = _shape_tuple(input_shape)
        return batch, _times(h, self.size[0]), _times(w, self.size[1]), c

    def get_config(self):
        return {**super().get_config(), "size": list(self.size), "data_format": "channels_last",
                "interpolation": self.interpolation}


def _pairs(value, what: str, layer: str) -> tuple:
    """``1`` -> ((1, 1), (1, 1)); ``(1, 2)`` -> ((1, 1), (2, 2)); ``((1, 2), (3, 4))`` stays (Keras' forms)."""
    try:
        if isinstance(value, int):
            pairs = ((value, value), (value, value))
        elif all(isinstance(v, int) for v in value):
            (rows, cols) = value
            pairs = ((rows, rows), (cols, cols))
        else:
            pairs = tuple(tuple(int(v) for v in pair) for pair in value)
            if len(pairs) != 2 or any(len(pair) != 2 for pair in pairs):
                raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"{layer} {what} must be an int, (rows, cols) or ((top, bottom), (left, right)), got "
                         f"{value!r}.") from None
    if min(min(pair) for pair in pairs) < 0:
        raise ValueError(f"{layer} {what} must not be negative, got {value!r}.")
    return pairs


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image (channels last).

    Args:
        padding: int (all four sides), (rows, cols) (symmetric) or ((top, bottom), (left, right)).
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"ZeroPadding2D supports data_format='channels_last' only, got {data_format!r}.")
        self.padding = _pairs(padding, "padding", "ZeroPadding2D")

    def build(self, input_shape):
        super().build(_check_rank(self, input_shape, 4, "(batch, height, width, channels)"))

    def call(self, inputs, training=None):
        return shape_ops.pad(inputs, ((0, 0),) + self.padding + ((0, 0),))

    def compute_output_shape(self, input_shape):
        batch, h, w, c = _shape_tuple(input_shape)
        (top, bottom), (left, right) = self.padding
        return batch, None if h is None else h + top + bottom, None if w is None else w + left + right, c

    def get_config(self):
        return {**super().get_config(), "padding": [list(pair) for pair in self.padding],
                "data_format": "channels_last"}


class Cropping2D(Layer):
    """Cuts rows and columns off each image's borders (channels last).

    Args:
        cropping: int (all four sides), (rows, cols) (symmetric) or ((top, bottom), (left, right)).
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Cropping2D supports data_format='channels_last' only, got {data_format!r}.")
        self.cropping = _pairs(cropping, "cropping", "Cropping2D")

    def build(self, input_shape):
        input_shape = _check_rank(self, input_shape, 4, "(batch, height, width, channels)")
        self.compute_output_shape(input_shape)  # raises when nothing would be left
        super().build(input_shape)

    def call(self, inputs, training=None):
        (top, bottom), (left, right) = self.cropping
        _, h, w, _ = inputs.shape
        return inputs[:, top:h - bottom, left:w - right, :]

    def compute_output_shape(self, input_shape):
        batch, h, w, c = _shape_tuple(input_shape)
        sizes = []
        for size, (before, after), axis in zip((h, w), self.cropping, ("height", "width")):
            if size is not None and before + after >= size:
                raise ValueError(f'Layer "{self.name}" (Cropping2D) crops {before + after} of the {size} {axis} '
                                 f"entries of input shape {(batch, h, w, c)}, leaving none; crop less.")
            sizes.append(None if size is None else size - before - after)
        return (batch, *sizes, c)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(pair) for pair in self.cropping],
                "data_format": "channels_last"}


class Permute(Layer):
    """Reorders the axes of each sample: ``Permute((2, 1))`` swaps the two axes after the batch axis.

    Args:
        dims: a permutation of 1..rank-1 (the batch axis 0 stays first).
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute dims must be a permutation of 1..{len(self.dims)} (axis 0 is the batch), "
                             f"got {tuple(dims)}.")

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f'Layer "{self.name}" (Permute) has dims {self.dims} for {len(self.dims)} axes after '
                             f"the batch, but got input shape {input_shape}.")
        super().build(input_shape)

    def call(self, inputs, training=None):
        return shape_ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeats each input vector ``n`` times: (batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)
        if self.n < 1:
            raise ValueError(f"RepeatVector n must be a positive int, got {n!r}.")

    def build(self, input_shape):
        super().build(_check_rank(self, input_shape, 2, "(batch, features)"))

    def call(self, inputs, training=None):
        batch, features = inputs.shape
        return _repeat_each(shape_ops.reshape(inputs, (batch, 1, features)), (1, self.n, 1))

    def compute_output_shape(self, input_shape):
        batch, features = _shape_tuple(input_shape)
        return batch, self.n, features

    def get_config(self):
        return {**super().get_config(), "n": self.n}
