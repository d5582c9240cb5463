"""ImageDataGenerator's ZCA whitening (``zca_whitening``, ``zca_epsilon`` with ``fit``) and ``brightness_range``,
against Keras 3's own (legacy, Pillow-based for brightness) generator, where its results are deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from keras.src.legacy.preprocessing import image as keras_image

from pydl.preprocessing.image import ImageDataGenerator, apply_brightness_shift

pytestmark = pytest.mark.filterwarnings("ignore:This ImageDataGenerator specifies:UserWarning")


def _images(seed, shape=(30, 4, 4, 3)):
    rng = np.random.default_rng(seed)
    base = rng.random(shape[:1] + (1, 1, shape[3])) * 120 + 60  # per-image colour, so pixels correlate
    return (base + rng.normal(0, 25, shape)).astype("float32")


@pytest.mark.parametrize("options", [dict(zca_whitening=True), dict(zca_whitening=True, zca_epsilon=0.1),
                                     dict(zca_whitening=True, rescale=1 / 255, featurewise_center=True)])
def test_the_zca_matrix_and_whitened_batches_equal_keras(options):
    x = _images(0)
    ours, theirs = ImageDataGenerator(**options), keras_image.ImageDataGenerator(**options)
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-6)
    assert ours.zca_whitening_matrix.shape == (48, 48)
    # the same float32 SVD by the same LAPACK (measured: equal bit for bit); whitening a batch at once (pydl) or
    # image by image (Keras) sums the products in other orders: measured 1.2e-7 apart, on values up to 3
    np.testing.assert_allclose(ours.zca_whitening_matrix, theirs.zca_whitening_matrix, rtol=1e-6, atol=1e-9)
    for (mine, _), (keras_batch, _) in zip([next(ours.flow(x, np.arange(30), batch_size=10, shuffle=False))],
                                          [next(theirs.flow(x, np.arange(30), batch_size=10, shuffle=False))]):
        np.testing.assert_allclose(mine, keras_batch, rtol=1e-5, atol=1e-6)


def test_whitened_training_images_are_decorrelated_with_unit_variance():
    x = _images(1, (200, 3, 3, 3)).astype("float64")
    datagen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-9, dtype="float64")
    datagen.fit(x)
    white = datagen.standardize(x.copy()).reshape(200, -1)
    # centred per channel (as Keras), so it is the second moment of the whitened pixels that is the identity
    np.testing.assert_allclose(white.T @ white / 200, np.eye(27), atol=1e-6)
    np.testing.assert_allclose(datagen.zca_whitening_matrix, datagen.zca_whitening_matrix.T, atol=1e-12)  # ZCA


def test_zca_turns_featurewise_std_normalization_off_with_a_warning_as_keras():
    with pytest.warns(UserWarning, match="zca_whitening overrides featurewise_std_normalization"):
        datagen = ImageDataGenerator(zca_whitening=True, featurewise_std_normalization=True)
    assert datagen.featurewise_center and not datagen.featurewise_std_normalization
    datagen.fit(_images(2))
    assert datagen.std is None


def test_zca_on_images_of_another_size_is_refused_by_shape():
    datagen = ImageDataGenerator(zca_whitening=True)
    datagen.fit(_images(3))
    with pytest.raises(ValueError, match=r"fit on images of 48 values; got shape \(2, 5, 5, 3\)"):
        datagen.standardize(np.zeros((2, 5, 5, 3), dtype="float32"))


@pytest.mark.parametrize("brightness", [0.0, 0.3, 0.77, 1.0, 1.6, 3.0])
@pytest.mark.parametrize("kind", ["pixels", "float", "outside 0-255", "grayscale", "rgba"])
def test_brightness_equals_keras_pillow_based_shift(brightness, kind):
    rng = np.random.default_rng(4)
    image = {"pixels": rng.integers(0, 256, (5, 6, 3)).astype("float32"),
             "float": rng.uniform(0, 255, (5, 6, 3)).astype("float32"),
             "outside 0-255": rng.uniform(-40, 300, (5, 6, 3)).astype("float32"),
             "grayscale": rng.uniform(0, 255, (5, 6, 1)).astype("float32"),
             "rgba": rng.integers(0, 256, (5, 6, 4)).astype("float32")}[kind]
    theirs = keras_image.apply_brightness_shift(image.copy(), brightness, False)
    ours = apply_brightness_shift(image.copy(), brightness)
    if kind == "outside 0-255":  # stretched onto 0-255 and back: float32 arithmetic in the same order
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-4)
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_brightness_range_draws_one_factor_per_image_and_apply_transform_equals_keras():
    datagen = ImageDataGenerator(brightness_range=(0.5, 1.5))
    factors = [datagen.get_random_transform((4, 4, 3), seed=s)["brightness"] for s in range(50)]
    assert 0.5 <= min(factors) < 0.7 and 1.3 < max(factors) <= 1.5
    image = np.random.default_rng(5).integers(0, 200, (4, 4, 3)).astype("float32")
    parameters = {"brightness": 1.3, "flip_horizontal": True, "channel_shift_intensity": 10.0}
    np.testing.assert_array_equal(
        datagen.apply_transform(image, parameters),
        keras_image.ImageDataGenerator(brightness_range=(0.5, 1.5)).apply_transform(image, parameters))
    batch = next(datagen.flow(np.stack([image] * 6), batch_size=6, seed=1))
    ratios = batch.reshape(6, -1).sum(axis=1) / image.sum()
    assert len(set(np.round(ratios, 3))) == 6 and 0.45 < ratios.min() and ratios.max() < 1.55
