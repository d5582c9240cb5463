"""Data sets as NumPy arrays: bundled 8x8 digits, TensorFlow-Playground-style 2-D toys, an MNIST/IDX reader, and
the Keras data sets by their Keras names, read from files a user already has (pydl never downloads):
``imdb``, ``reuters`` (Keras' ``.npz``, read with an allow-list unpickler), ``boston_housing`` and ``cifar10`` (the
official binary version), each with Keras' ``load_data()``.

Everything returns host (NumPy) arrays; move them to a device with the tensor API when training there.

>>> from pydl import datasets
>>> (x_train, y_train), (x_test, y_test) = datasets.load_digits()
>>> x, y = datasets.spiral(200, noise=0.1, seed=0)
"""

from pydl.datasets import boston_housing, cifar10, imdb, reuters
from pydl.datasets.digits import load_digits
from pydl.datasets.mnist import load_mnist, read_idx
from pydl.datasets.toy import (
    CLASSIFICATION, REGRESSION, blobs, circle, gauss, moons, multi_gauss, multi_spiral, plane, spiral, xor,
)

__all__ = [
    "load_digits", "load_mnist", "read_idx", "imdb", "reuters", "boston_housing", "cifar10",
    "CLASSIFICATION", "REGRESSION",
    "circle", "xor", "gauss", "spiral", "moons", "blobs", "multi_spiral", "plane", "multi_gauss",
]
