"""Keras 3's image preprocessing layers: ``Rescaling``, and the augmentations ``RandomFlip``, ``RandomRotation``,
``RandomTranslation``, ``RandomZoom`` and ``RandomContrast``.

The random layers change images only in training (``fit``, or ``training=True``); in inference (``predict``,
``evaluate``) they pass them through untouched, so a model can carry its own augmentation. Each draws one random
transform per image from its own generator when given ``seed=``, else from pydl's shared one (``pydl.seed``). The
random parameters are not trained; gradients flow through every layer to its input (the geometric ones are linear
in the pixels they read), as in Keras. Images are ``(batch, height, width, channels)`` (``data_format=
"channels_first"``: channels second).

>>> import pydl
>>> from pydl import layers
>>> augment = pydl.models.Sequential([layers.Input((8, 8, 1)), layers.RandomFlip("horizontal", seed=0),
...                                   layers.RandomRotation(0.1, seed=0), layers.Rescaling(1 / 255)])
>>> x = np.arange(64.0).reshape(1, 8, 8, 1)
>>> bool(np.allclose(augment(x).numpy(), x / 255))  # inference: only the rescaling
True

Two deliberate differences from Keras 3.15: ``RandomContrast(f)`` draws its factor in ``[1 - f, 1 + f]`` as the
Keras documentation (and Keras 2) say, where Keras 3's code draws it in ``[1, 1 + f]``; and the layers take batches
only (4 axes), not single images.
"""

from __future__ import annotations

import math

from pydl import backend
from pydl.autograd import Function
from pydl.backend import np
from pydl.layers.base import Layer
from pydl.preprocessing.affine import FILL_MODES, INTERPOLATIONS, resample, resample_backward
from pydl.random import generator

__all__ = ["Rescaling", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomContrast"]


class ImageResample(Function):
    """Images (N, H, W, C) read at fixed points (Keras 3's pixel edge rules); differentiable in the images only."""

    name = "image_resample"

    def forward(self, images, rows=None, cols=None, fill_mode="reflect", fill_value=0.0, interpolation="bilinear"):
        self.rows, self.cols = self.xp.asarray(rows), self.xp.asarray(cols)
        self.fill_mode, self.interpolation, self.shape = fill_mode, interpolation, images.shape
        return resample(images, self.rows, self.cols, fill_mode, fill_value, interpolation)

    def backward(self, grad):
        return resample_backward(grad, self.shape, self.rows, self.cols, self.fill_mode, self.interpolation)


def image_resample(images, rows, cols, fill_mode="reflect", fill_value=0.0, interpolation="bilinear"):
    """``images`` (a Tensor, N x H x W x C) sampled at ``(rows, cols)`` (arrays, N x H x W)."""
    return ImageResample.apply(images, rows=rows, cols=cols, fill_mode=fill_mode, fill_value=fill_value,
                               interpolation=interpolation)


def _check_factor(layer: str, name: str, factor, low: float, high: float, low_open: bool = False):
    """``factor`` as (lower, upper): a number f is (-f, f), a pair is sorted; each end in [low, high]."""
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        pair = (-abs(float(factor)), abs(float(factor)))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in factor):
        pair = tuple(sorted(float(v) for v in factor))
    else:
        raise ValueError(f"{layer}: {name} must be a number or a pair of numbers; got {factor!r}.")
    if any(v > high or v < low or (low_open and v == low) for v in pair):
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{layer}: {name} must lie in {bounds}; got {factor!r}.")
    return pair


def _check_choice(layer: str, name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{layer}: {name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


def _as_list(value):
    """A setting as get_config stores it: tuples and arrays become lists, NumPy numbers Python ones (JSON)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return [_as_list(v) for v in value] if isinstance(value, (tuple, list)) else value


class _RandomImageLayer(Layer):
    """What the random image layers share: a seeded generator, batches of images only, identity in inference."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        data_format = "channels_last" if data_format is None else data_format
        _check_choice(type(self).__name__, "data_format", data_format, ("channels_last", "channels_first"))
        self.seed, self.data_format = seed, data_format
        self._generator = generator(seed) if seed is not None else None

    @property
    def rng(self):
        return self._generator if self._generator is not None else generator()

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) takes batches of images (batch, height, '
                             f"width, channels); got {len(input_shape)} axes, shape {tuple(input_shape)}. A single "
                             "image needs a batch axis: image[None].")
        super().build(input_shape)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        images = inputs if self.data_format == "channels_last" else inputs.transpose((0, 2, 3, 1))
        out = self._augment(images)
        return out if self.data_format == "channels_last" else out.transpose((0, 3, 1, 2))

    def _augment(self, images):
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class _AffineLayer(_RandomImageLayer):
    """A random affine map per image, resampled with ``fill_mode`` and ``interpolation`` (Keras 3's rules)."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        _check_choice(type(self).__name__, "fill_mode", fill_mode, FILL_MODES)
        _check_choice(type(self).__name__, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def _matrices(self, n: int, height: int, width: int):
        """(n, 6): Keras' [a0, a1, a2, b0, b1, b2]: output (x=col, y=row) reads input (a0 x + a1 y + a2,
        b0 x + b1 y + b2)."""
        raise NotImplementedError

    def _augment(self, images):
        n, height, width, _ = images.shape
        m = self._matrices(n, height, width)[:, :, None, None]
        rows = np.arange(height, dtype=np.float64)[:, None]
        cols = np.arange(width, dtype=np.float64)[None, :]
        src_cols = m[:, 0] * cols + m[:, 1] * rows + m[:, 2]
        src_rows = m[:, 3] * cols + m[:, 4] * rows + m[:, 5]
        return image_resample(images, src_rows, src_cols, self.fill_mode, self.fill_value, self.interpolation)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class Rescaling(Layer):
    """``inputs * scale + offset``, always (training and inference): ``Rescaling(1 / 255)`` maps 0..255 to 0..1,
    ``Rescaling(1 / 127.5, offset=-1)`` to -1..1. ``scale`` and ``offset`` may be one number per channel."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"Rescaling: {name} must be a number or a list of numbers; got {value!r}.") from None
        self.scale, self.offset = _as_list(scale), _as_list(offset)

    def call(self, inputs, training=None):
        xp = backend.get_array_module(inputs.data)
        scale = xp.asarray(np.asarray(self.scale, dtype=inputs.dtype))
        offset = xp.asarray(np.asarray(self.offset, dtype=inputs.dtype))
        return inputs * scale + offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class RandomFlip(_RandomImageLayer):
    """Flip each image with probability 1/2: ``mode`` ``"horizontal"`` (left-right), ``"vertical"`` (up-down) or
    ``"horizontal_and_vertical"`` (both at once, for the images drawn, as Keras 3 does)."""

    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        _check_choice("RandomFlip", "mode", mode, self.MODES)
        self.mode = mode

    def _augment(self, images):
        xp = backend.get_array_module(images.data)
        flip = self.rng.uniform(size=(images.shape[0], 1, 1, 1)) <= 0.5
        keep = xp.asarray((~flip).astype(images.dtype))
        flip = xp.asarray(flip.astype(images.dtype))
        out = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out = out[:, :, ::-1] * flip + out * keep
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out = out[:, ::-1] * flip + out * keep
        return out

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class RandomRotation(_AffineLayer):
    """Rotate each image about its centre by a random fraction of a full turn: ``factor`` f draws in
    ``[-f, f] * 360`` degrees, ``(lower, upper)`` in ``[lower, upper] * 360``; positive turns counter-clockwise."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _as_list(factor)
        self._range = _check_factor("RandomRotation", "factor", factor, -1.0, 1.0)

    def _matrices(self, n, height, width):
        angle = np.deg2rad(self.rng.uniform(self._range[0] * 360.0, self._range[1] * 360.0, size=n))
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        a0, a1, b0, b1 = cos, -sin, sin, cos
        return np.stack([a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomTranslation(_AffineLayer):
    """Shift each image by a random fraction of its height and width: ``height_factor`` f draws in ``[-f, f]`` (a
    pair: in ``[lower, upper]``), each within [-1, 1]; positive moves down (right)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = _as_list(height_factor), _as_list(width_factor)
        self._height = _check_factor("RandomTranslation", "height_factor", height_factor, -1.0, 1.0)
        self._width = _check_factor("RandomTranslation", "width_factor", width_factor, -1.0, 1.0)

    def _matrices(self, n, height, width):
        dy = self.rng.uniform(*self._height, size=n) * height
        dx = self.rng.uniform(*self._width, size=n) * width
        ones, zeros = np.ones(n), np.zeros(n)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomZoom(_AffineLayer):
    """Zoom each image about its centre: the height's zoom is ``1 + d`` for ``d`` drawn in ``[-f, f]`` (or
    ``[lower, upper]``), ``f`` in (-1, 1]; above 1 zooms out (shows more, smaller), as in Keras. Without
    ``width_factor`` the width takes the height's zoom (aspect kept)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = _as_list(height_factor), _as_list(width_factor)
        self._height = _check_factor("RandomZoom", "height_factor", height_factor, -1.0, 1.0, low_open=True)
        self._width = (None if width_factor is None
                       else _check_factor("RandomZoom", "width_factor", width_factor, -1.0, 1.0, low_open=True))

    def _matrices(self, n, height, width):
        zy = 1.0 + self.rng.uniform(*self._height, size=n)
        zx = zy if self._width is None else 1.0 + self.rng.uniform(*self._width, size=n)
        zeros = np.zeros(n)
        return np.stack([zx, zeros, (width - 1) / 2 * (1 - zx), zeros, zy, (height - 1) / 2 * (1 - zy)], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomContrast(_RandomImageLayer):
    """Scale each image's distance from its per-channel mean by a random factor drawn in ``[1 - f, 1 + f]`` (a pair
    ``(lower, upper)``: in ``[1 - lower, 1 + upper]``), then clip to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if not 0 <= factor <= 1:
                raise ValueError(f"RandomContrast: factor must lie in [0, 1]; got {factor!r}.")
            self._range = (float(factor), float(factor))
        else:
            self._range = _check_factor("RandomContrast", "factor", factor, -math.inf, math.inf)
            if self._range[0] > 1 or self._range[1] < 0:
                raise ValueError(f"RandomContrast: factor (lower, upper) needs lower <= 1 and upper >= 0; got "
                                 f"{factor!r}.")
        if not (isinstance(value_range, (tuple, list)) and len(value_range) == 2 and value_range[0] < value_range[1]):
            raise ValueError(f"RandomContrast: value_range must be (low, high) with low < high; got {value_range!r}.")
        self.factor, self.value_range = _as_list(factor), list(value_range)

    def _augment(self, images):
        xp = backend.get_array_module(images.data)
        draw = self.rng.uniform(1.0 - self._range[0], 1.0 + self._range[1], size=(images.shape[0], 1, 1, 1))
        factor = xp.asarray(draw.astype(images.dtype))
        mean = images.mean(axis=(1, 2), keepdims=True)
        return ((images - mean) * factor + mean).clip(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
