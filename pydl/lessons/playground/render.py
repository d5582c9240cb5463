"""Heat maps as image data: values on the grid -> RGBA bytes, vectorised over every pixel at once.

The colours are the Playground's: -1 orange, 0 light grey, +1 blue, clamped beyond. Multi-class maps mix each
class's colour with the grey by the network's confidence. Images travel to the page as base64 strings.

>>> rgba = diverging(np.array([[-1.0, 0.0, 1.0]]))
>>> rgba[0].tolist()
[[245, 147, 34, 255], [232, 234, 235, 255], [8, 119, 189, 255]]
"""

from __future__ import annotations

import base64

from pydl.backend import np

__all__ = ["NEGATIVE", "NEUTRAL", "POSITIVE", "CLASS_COLORS", "COLOR_NAMES", "BACKGROUND_WHITE", "diverging",
           "class_mix", "ramp", "scatter", "lighten", "to_base64", "hex_color"]

NEGATIVE = np.array([245, 147, 34], np.float32)  # #f59322
NEUTRAL = np.array([232, 234, 235], np.float32)  # #e8eaeb
POSITIVE = np.array([8, 119, 189], np.float32)  # #0877bd
# Class colours for multi-class data: the first two are the binary pair, so two classes look the same either way.
CLASS_COLORS = np.array([[245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189], [214, 39, 40],
                         [23, 190, 207]], np.float32)
COLOR_NAMES = ("orange", "blue", "green", "purple", "red", "cyan")  # CLASS_COLORS in words, for legends and notes
# The large map under the data points is this much paler than the neuron thumbnails, so that a point drawn in its
# class's full colour stays visible where the network has learned that class (the same colour at full strength).
BACKGROUND_WHITE = 0.5


def hex_color(rgb) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb)


def _with_alpha(rgb: np.ndarray) -> np.ndarray:
    alpha = np.full(rgb.shape[:-1] + (1,), 255, np.float32)
    return np.concatenate([np.rint(rgb), alpha], axis=-1).astype(np.uint8)


def diverging(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """RGBA uint8 of shape ``values.shape + (4,)``: -1 orange, 0 grey, +1 blue (values are clamped to [-1, 1])."""
    v = np.clip(np.nan_to_num(np.asarray(values, np.float32)), -1.0, 1.0)
    if discretize:
        v = np.where(v >= 0, 1.0, -1.0).astype(np.float32)
    t = v[..., None]
    rgb = np.where(t < 0, NEUTRAL + (NEUTRAL - NEGATIVE) * t, NEUTRAL + (POSITIVE - NEUTRAL) * t)
    return _with_alpha(rgb)


def class_mix(probabilities: np.ndarray, discretize: bool = False) -> np.ndarray:
    """RGBA for class probabilities ``(..., k)``: the likeliest class's colour, paler where the network is unsure."""
    p = np.asarray(probabilities, np.float32)
    k = p.shape[-1]
    best = p.argmax(axis=-1)
    if discretize:
        confidence = np.full(best.shape, 0.75, np.float32)
    else:  # 0 when every class is equally likely, 1 when one class has all the probability
        confidence = np.clip((p.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
    rgb = NEUTRAL + (CLASS_COLORS[best % len(CLASS_COLORS)] - NEUTRAL) * confidence[..., None]
    return _with_alpha(rgb)


def ramp(values: np.ndarray, color, discretize: bool = False) -> np.ndarray:
    """RGBA for values in [0, 1] (a class probability): grey at 0 to ``color`` at 1."""
    v = np.clip(np.nan_to_num(np.asarray(values, np.float32)), 0.0, 1.0)
    if discretize:
        v = np.where(v >= 0.5, 1.0, 0.0).astype(np.float32)
    rgb = NEUTRAL + (np.asarray(color, np.float32) - NEUTRAL) * v[..., None]
    return _with_alpha(rgb)


def scatter(points: np.ndarray, rgb: np.ndarray, size: int, domain: float = 6.0, dot: int = 2) -> np.ndarray:
    """RGBA of ``size``² pixels with a ``dot``-pixel square per point (x1 to the right, x2 up) on white."""
    image = np.full((size, size, 3), 255.0, np.float32)
    col = np.clip(((points[:, 0] + domain) / (2 * domain) * size).astype(int), 0, size - dot)
    row = np.clip(((domain - points[:, 1]) / (2 * domain) * size).astype(int), 0, size - dot)
    for dr in range(dot):
        for dc in range(dot):
            image[row + dr, col + dc] = rgb
    return _with_alpha(image)


def lighten(rgba: np.ndarray, amount: float = BACKGROUND_WHITE) -> np.ndarray:
    """``rgba`` mixed with white by ``amount`` (0 unchanged, 1 white), alpha kept.

    >>> lighten(np.array([[245, 147, 34, 255]], np.uint8))[0].tolist()
    [250, 201, 144, 255]
    """
    rgb = np.asarray(rgba, np.float32)[..., :3]
    return _with_alpha(rgb + (255.0 - rgb) * amount)


def to_base64(rgba: np.ndarray) -> str:
    """The raw RGBA bytes, row by row, as base64 text (what the page's ImageData takes)."""
    return base64.b64encode(np.ascontiguousarray(rgba, np.uint8).tobytes()).decode("ascii")
