"""Resizing stacks of images with a matrix product per axis: bilinear (pixel centres aligned, as most image
libraries do) for upscaling, area averaging for shrinking. NumPy only; no loop runs over pixels.

>>> resize(np.eye(2), 4).shape
(4, 4)
>>> float(resize(np.ones((3, 6, 6)), (2, 3), "area").max())
1.0
"""

from __future__ import annotations

from pydl.backend import np

__all__ = ["resize", "RESIZE_METHODS"]


def _bilinear_matrix(n_in: int, n_out: int):
    """(n_out, n_in) weights of bilinear resampling with pixel centres aligned (as most image libraries do)."""
    src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    low = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = src - low
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), low] += 1 - frac
    m[np.arange(n_out), high] += frac
    return m


def _area_matrix(n_in: int, n_out: int):
    """(n_out, n_in) weights of area averaging: each output pixel is the mean of the input it covers."""
    edges = np.arange(n_out + 1) * n_in / n_out
    left, right = np.arange(n_in), np.arange(n_in) + 1
    overlap = np.clip(np.minimum(edges[1:, None], right) - np.maximum(edges[:-1, None], left), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize(images, size, method="bilinear"):
    """Resize a stack of images (n, h, w) or one (h, w) to ``size`` x ``size`` (``size`` may be (h, w)).

    ``"bilinear"`` suits upscaling (smooth strokes); ``"area"`` suits shrinking (no pixel is skipped).
    """
    images = np.asarray(images, dtype=np.float64)
    out_h, out_w = (size, size) if isinstance(size, int) else size
    if method not in RESIZE_METHODS:
        raise ValueError(f"resize: method must be one of {sorted(RESIZE_METHODS)}; got {method!r}.")
    make = RESIZE_METHODS[method]
    rows, cols = make(images.shape[-2], out_h), make(images.shape[-1], out_w)
    return rows @ images @ cols.T


RESIZE_METHODS = {"bilinear": _bilinear_matrix, "area": _area_matrix}
