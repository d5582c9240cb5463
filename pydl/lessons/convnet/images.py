"""Arrays as pictures: scaling to bytes, colour maps, tiling, and a tiny PNG encoder (standard library only).

Pages show small images (8x8 digits, 3x3 kernels, feature maps) as ``<img src="data:image/png;base64,...">`` scaled
up with ``image-rendering: pixelated``, so every pixel the model sees is one visible square.

>>> from pydl.backend import np
>>> png_bytes(np.zeros((2, 3), dtype=np.uint8))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import base64
import struct
import zlib

from pydl.backend import np

__all__ = ["to_uint8", "ink", "diverging", "heat", "tile", "png_bytes", "png_data_url"]

# Anchor colours of the activation map (dark blue -> teal -> yellow), a viridis look-alike.
_HEAT = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)


def to_uint8(values, vmin=None, vmax=None):
    """``values`` mapped linearly from ``[vmin, vmax]`` (default: their own range) to bytes 0..255."""
    values = np.asarray(values, dtype=np.float64)
    lo = float(values.min()) if vmin is None else float(vmin)
    hi = float(values.max()) if vmax is None else float(vmax)
    if hi <= lo:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round(np.clip((values - lo) / (hi - lo), 0.0, 1.0) * 255).astype(np.uint8)


def ink(values, vmax=1.0):
    """Grey-level image of ink amounts in ``[0, vmax]``: dark ink on white paper, shape (..., H, W) uint8."""
    return 255 - to_uint8(values, 0.0, vmax)


def diverging(values, scale=None):
    """RGB image (..., H, W, 3): negative blue, zero white, positive red; ``scale`` is the value of full colour
    (default ``max |values|``), so filters of one layer share one scale when given the layer's maximum."""
    values = np.asarray(values, dtype=np.float64)
    scale = float(np.abs(values).max()) if scale is None else float(scale)
    t = np.clip(values / scale, -1.0, 1.0) if scale > 0 else np.zeros_like(values)
    pos, neg = np.clip(t, 0, 1), np.clip(-t, 0, 1)
    # Toward red (220, 38, 38) for positive, toward blue (37, 99, 235) for negative.
    r = 255 - neg * (255 - 37) - pos * (255 - 220)
    g = 255 - neg * (255 - 99) - pos * (255 - 38)
    b = 255 - neg * (255 - 235) - pos * (255 - 38)
    return np.round(np.stack([r, g, b], axis=-1)).astype(np.uint8)


def heat(values, vmax=None):
    """RGB image (..., H, W, 3) of non-negative activations on a viridis-like map; ``vmax`` is the brightest value."""
    values = np.asarray(values, dtype=np.float64)
    vmax = float(values.max()) if vmax is None else float(vmax)
    t = np.clip(values / vmax, 0.0, 1.0) if vmax > 0 else np.zeros_like(values)
    position = t * (len(_HEAT) - 1)
    low = np.minimum(np.floor(position).astype(np.int64), len(_HEAT) - 2)
    frac = (position - low)[..., None]
    return np.round(_HEAT[low] * (1 - frac) + _HEAT[low + 1] * frac).astype(np.uint8)


def tile(images, columns=None, gap=1, fill=255):
    """Lay out ``images`` (n, h, w) or (n, h, w, 3) in a grid ``columns`` wide with ``gap`` pixels of ``fill``."""
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    columns = max(1, int(np.ceil(np.sqrt(n)))) if columns is None else max(1, min(int(columns), n))
    rows = -(-n // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap) + images.shape[3:], fill, dtype=images.dtype)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = images[i]
    return out


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(image) -> bytes:
    """PNG file of a uint8 image: (H, W) grey or (H, W, 3) RGB."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim == 2:
        color = 0
    elif image.ndim == 3 and image.shape[2] == 3:
        color = 2
    else:
        raise ValueError(f"png_bytes expects an (H, W) or (H, W, 3) uint8 image, got shape {image.shape}.")
    h, w = image.shape[:2]
    rows = image.reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), dtype=np.uint8), rows], axis=1).tobytes()  # filter byte 0 per row
    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6))
            + _chunk(b"IEND", b""))


def png_data_url(image) -> str:
    """``data:image/png;base64,...`` of :func:`png_bytes`, ready for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
