"""The 8x8 handwritten digits, shipped with pydl (see DIGITS_SOURCE.md for the source and licence)."""

from __future__ import annotations

import os

from pydl.backend import np

# Next to this module in the installed package, also inside Pyodide, whose site-packages is a real (in-memory) folder.
_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")


def load_digits():
    """Load the 1,797 8x8 handwritten digits, split once into 1,437 training and 360 test images.

    The split is fixed and stratified: every class makes up the same share of both parts, and every call returns the
    same images in the same order. Pixel values are ink counts 0..16; divide by 16 to scale them to [0, 1].

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images uint8 of shape ``(n, 8, 8)``, labels int64 0..9 of shape
        ``(n,)``. Fresh arrays on every call, so changing them in place is safe.

    >>> (x_train, y_train), (x_test, y_test) = load_digits()
    >>> x_train.shape, x_test.shape, int(x_train.max())
    ((1437, 8, 8), (360, 8, 8), 16)
    >>> x = x_train.reshape(len(x_train), 64) / 16.0  # flat float features in [0, 1] for a Dense network
    """
    with np.load(_PATH, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
