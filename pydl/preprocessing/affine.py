"""Resampling a batch of images through affine maps, in NumPy (or CuPy): what rotation, shift, shear and zoom share.

An affine map takes each *output* pixel (row, col) to the *input* point it reads, ``(src_row, src_col)``; the value
there is interpolated from the neighbouring pixels (bilinear, or the nearest one). Points outside the image are
filled by ``fill_mode``:

* ``"nearest"``: ``a a a | a b c d | d d d``, the edge pixel repeated;
* ``"reflect"``: ``c b a | a b c d | d c b``, mirrored about the edge of the last pixel;
* ``"wrap"``: ``b c d | a b c d | a b c``, the opposite edge;
* ``"constant"``: ``k k k | a b c d | k k k``, the value ``fill_value``.

Two edge conventions exist, and both are Keras': the Keras 3 preprocessing layers (``keras.ops.image``) apply the
mode to each neighbour pixel an interpolation reads (``edges="pixel"``); Keras 2's ``ImageDataGenerator`` (SciPy's
``ndimage.affine_transform``) applies it to the point itself (``edges="point"``), which differs for two modes:
``"constant"`` fills every point outside ``[0, size - 1]`` (no blending with the edge pixel), and ``"wrap"`` has
period ``size - 1`` (SciPy's wrap: the first and last pixel overlap).

>>> import numpy as np
>>> image = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 4, 1)      # one image of 1 x 4 pixels
>>> rows, cols = np.zeros((1, 1, 4)), np.arange(4.0)[None, None] - 1.5  # read 1.5 pixels to the left
>>> resample(image, rows, cols, "constant", 0.0)[0, 0, :, 0].tolist()  # Keras 3 layers: blends with the edge
[0.0, 0.5, 1.5, 2.5]
>>> resample(image, rows, cols, "constant", 0.0, edges="point")[0, 0, :, 0].tolist()  # ImageDataGenerator
[0.0, 0.0, 1.5, 2.5]
>>> resample(image, rows, cols, "reflect", 0.0)[0, 0, :, 0].tolist()
[1.5, 1.0, 1.5, 2.5]
"""

from __future__ import annotations

from pydl import backend

__all__ = ["FILL_MODES", "INTERPOLATIONS", "resample", "taps", "output_grid"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _fix_index(xp, index, size: int, fill_mode: str):
    """Integer pixel indices outside ``[0, size)`` brought inside by ``fill_mode`` (constant: clipped, and marked)."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":  # half-sample symmetric: -1 -> 0, -2 -> 1, size -> size - 1
        period = 2 * size
        folded = index % period
        return xp.where(folded >= size, period - 1 - folded, folded)
    return xp.clip(index, 0, size - 1)  # nearest; constant is clipped too, its invalid taps are masked


def _point_edges(xp, coord, size: int, fill_mode: str):
    """SciPy's point-level boundary rule: where the point itself goes before the pixel rule applies."""
    if fill_mode == "wrap" and size > 1:
        outside = (coord < 0) | (coord > size - 1)
        return xp.where(outside, coord % (size - 1), coord), None
    if fill_mode == "constant":
        return coord, (coord >= 0) & (coord <= size - 1)
    if fill_mode == "reflect":  # the point mirrored about -0.5 and size - 0.5 (the pixel rule rounds differently)
        folded = (coord + 0.5) % (2 * size)
        return xp.where(folded >= size, 2 * size - folded, folded) - 0.5, None
    return coord, None  # nearest: clipping the point or its neighbours is the same


def taps(coord, size: int, fill_mode: str, interpolation: str, edges: str = "pixel"):
    """The pixels an interpolation along one axis reads for each point of ``coord``, and their weights.

    Returns a list of ``(index, weight, valid)``: integer indices inside ``[0, size)``, float weights (None for
    1), and for ``fill_mode="constant"`` a boolean mask of the taps that fall on the image (None otherwise).
    """
    xp = backend.get_array_module(coord)
    point_valid = None
    if edges == "point":
        coord, point_valid = _point_edges(xp, coord, size, fill_mode)
        if fill_mode in ("constant", "reflect", "wrap"):
            fill_mode = "nearest"  # the points were brought inside (or marked); their neighbours only need clipping
    if interpolation == "nearest":
        # Keras 3 rounds half to even (torch.round, as NumPy's round); SciPy rounds half up.
        nearest = xp.round(coord) if edges == "pixel" else xp.floor(coord + 0.5)
        nodes = [(nearest.astype(xp.intp), None)]
    else:
        lower = xp.floor(coord)
        upper_weight = coord - lower
        lower = lower.astype(xp.intp)
        nodes = [(lower, 1 - upper_weight), (lower + 1, upper_weight)]
    out = []
    for index, weight in nodes:
        valid = point_valid
        if fill_mode == "constant":
            valid = (index >= 0) & (index < size)
        out.append((_fix_index(xp, index, size, fill_mode), weight, valid))
    return out


def output_grid(xp, height: int, width: int, dtype):
    """Row and column indices of every output pixel, each of shape (height, width)."""
    rows = xp.arange(height, dtype=dtype)[:, None] * xp.ones((1, width), dtype=dtype)
    cols = xp.ones((height, 1), dtype=dtype) * xp.arange(width, dtype=dtype)[None, :]
    return rows, cols


def resample(images, rows, cols, fill_mode: str, fill_value, interpolation: str = "bilinear",
             edges: str = "pixel"):
    """``images`` (N, H, W, C) read at the points ``(rows, cols)`` (each (N, H', W')); returns (N, H', W', C).

    The sum runs over the row taps, then the column taps, in the order Keras 3 adds them, so results agree with
    ``keras.ops.image.affine_transform`` to rounding.
    """
    xp = backend.get_array_module(images)
    n, height, width, _ = images.shape
    batch = xp.arange(n).reshape(n, 1, 1)
    out = None
    for r_index, r_weight, r_valid in taps(rows, height, fill_mode, interpolation, edges):
        for c_index, c_weight, c_valid in taps(cols, width, fill_mode, interpolation, edges):
            value = images[batch, r_index, c_index]
            valid = r_valid if c_valid is None else (c_valid if r_valid is None else r_valid & c_valid)
            if valid is not None:
                value = xp.where(valid[..., None], value, xp.asarray(fill_value, dtype=images.dtype))
            weight = _product(r_weight, c_weight)
            if weight is not None:
                value = value * weight[..., None].astype(images.dtype)
            out = value if out is None else out + value
    return out


def resample_backward(grad, shape, rows, cols, fill_mode: str, interpolation: str = "bilinear"):
    """The gradient of :func:`resample` (pixel edges) with respect to its images: each output's gradient added to
    the pixels it read, times their weights. ``shape`` is the images' (N, H, W, C)."""
    xp = backend.get_array_module(grad)
    n, height, width, channels = shape
    size = n * height * width * channels
    out = xp.zeros(size, dtype=xp.float64)
    batch = xp.arange(n).reshape(n, 1, 1)
    channel = xp.arange(channels)
    for r_index, r_weight, r_valid in taps(rows, height, fill_mode, interpolation):
        for c_index, c_weight, c_valid in taps(cols, width, fill_mode, interpolation):
            contribution = grad
            weight = _product(r_weight, c_weight)
            if weight is not None:
                contribution = contribution * weight[..., None].astype(grad.dtype)
            valid = r_valid if c_valid is None else (c_valid if r_valid is None else r_valid & c_valid)
            if valid is not None:
                contribution = contribution * valid[..., None]
            # Pixels read twice add up: a weighted bincount over flat indices (NumPy and CuPy both have it).
            pixel = (batch * height + r_index) * width + c_index
            flat = (pixel[..., None] * channels + channel).ravel()  # intp: what bincount takes on wasm32 too
            out += xp.bincount(flat, weights=contribution.ravel(), minlength=size)
    return out.reshape(shape).astype(grad.dtype)


def _product(a, b):
    if a is None:
        return b
    return a if b is None else a * b
