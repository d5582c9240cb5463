"""pydl.preprocessing.resizing: bilinear and area resizing as matrix products."""

import numpy as np
import pytest

from pydl.preprocessing.resizing import resize


def test_resize_keeps_constant_images_constant_and_shrinks_by_averaging():
    ones = np.ones((3, 8, 8))
    np.testing.assert_allclose(resize(ones, 28), 1.0)
    np.testing.assert_allclose(resize(ones, 5, "area"), 1.0)
    checker = np.kron(np.eye(2), np.ones((2, 2)))  # 4x4: two 2x2 blocks of ones on the diagonal
    np.testing.assert_allclose(resize(checker, 2, "area"), np.eye(2))
    # Bilinear with pixel centres aligned: upscaling 2x puts output pixel 1 a quarter of the way from input 0 to 1.
    np.testing.assert_allclose(resize(np.array([[0.0, 4.0]]), (1, 4)), [[0.0, 1.0, 3.0, 4.0]], rtol=0, atol=1e-15)


def test_an_unknown_method_is_named():
    with pytest.raises(ValueError, match="'area', 'bilinear'.*'cubic'"):
        resize(np.ones((2, 2)), 4, "cubic")
