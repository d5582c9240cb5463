"""pydl.preprocessing.image: ImageDataGenerator's geometry against Keras 3's own (legacy, SciPy-based) generator,
its iterators, and flow_from_directory over PNG/JPEG files the tests write."""

from __future__ import annotations

import numpy as np
import pytest
from keras.src.legacy.preprocessing import image as keras_image  # Keras 2's generator, kept by Keras 3 (uses SciPy)
from PIL import Image

from pydl.preprocessing import image as pimg
from pydl.preprocessing.image import ImageDataGenerator, apply_affine_transform

pytestmark = pytest.mark.filterwarnings("ignore:Please import `affine_transform`:DeprecationWarning")

SQUARE = np.random.default_rng(0).random((9, 9, 3))
PARAMETERS = [dict(theta=30), dict(tx=2.5, ty=-1.25), dict(shear=20), dict(zx=0.7, zy=1.3), dict(theta=90),
              dict(theta=-50, tx=1, ty=2, shear=10, zx=1.2, zy=0.8), dict(tx=3, ty=-2)]


@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("parameters", PARAMETERS, ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_apply_affine_transform_equals_keras_on_square_images(parameters, fill_mode, order):
    ours = apply_affine_transform(SQUARE, **parameters, fill_mode=fill_mode, cval=0.5, order=order)
    theirs = keras_image.apply_affine_transform(SQUARE, **parameters, row_axis=0, col_axis=1, channel_axis=2,
                                                fill_mode=fill_mode, cval=0.5, order=order)
    assert not np.allclose(ours, SQUARE)  # each case moves pixels
    # float64 on both sides; the last bits differ only by the order of the coordinate sums (SciPy's C loop).
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_apply_transform_with_flips_and_channel_shift_equals_keras_channels_first_too():
    parameters = {"theta": 15.0, "tx": 1.0, "ty": -2.0, "shear": 5.0, "zx": 1.1, "zy": 0.9, "flip_horizontal": True,
                  "flip_vertical": True, "channel_shift_intensity": 0.2}
    for data_format in ("channels_last", "channels_first"):
        x = SQUARE if data_format == "channels_last" else SQUARE.transpose(2, 0, 1)
        ours = ImageDataGenerator(fill_mode="reflect", data_format=data_format).apply_transform(x, parameters)
        theirs = keras_image.ImageDataGenerator(fill_mode="reflect", data_format=data_format).apply_transform(
            x, {**parameters, "brightness": None})
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_non_square_images_turn_about_their_centre_and_height_shift_moves_rows():
    x = np.random.default_rng(1).random((5, 8, 1))
    # Half a turn about the centre is both flips (Keras 3's legacy code turns a non-square image off-centre).
    np.testing.assert_allclose(apply_affine_transform(x, theta=180), x[::-1, ::-1], atol=1e-12)
    spot = np.zeros((7, 7, 1))
    spot[3, 3] = 1.0
    datagen = ImageDataGenerator(height_shift_range=[2], fill_mode="constant")
    moved = datagen.apply_transform(spot, datagen.get_random_transform(spot.shape, seed=0))
    (row, col), = np.argwhere(moved[..., 0] == 1.0)
    assert col == 3 and row in (1, 5)  # up or down by 2, never sideways


def test_flow_without_random_transforms_equals_keras_batch_for_batch():
    x = np.random.default_rng(2).integers(0, 256, (10, 6, 6, 3)).astype("float32")
    y = np.arange(10)
    ours = ImageDataGenerator(rescale=1 / 255, samplewise_center=True).flow(x, y, batch_size=4, shuffle=False)
    theirs = keras_image.ImageDataGenerator(rescale=1 / 255, samplewise_center=True).flow(x, y, batch_size=4,
                                                                                           shuffle=False)
    assert len(ours) == len(theirs) == 3
    for _ in range(5):  # past the end of an epoch: the 2-image batch, then round again
        (ox, oy), (kx, ky) = next(ours), next(theirs)
        np.testing.assert_array_equal(oy, ky)
        np.testing.assert_allclose(ox, kx, rtol=1e-6)  # float32 batches on both sides


def test_featurewise_statistics_from_fit_equal_keras():
    x = np.random.default_rng(3).random((12, 5, 5, 3)).astype("float32") * 255
    options = dict(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255)
    ours, theirs = ImageDataGenerator(**options), keras_image.ImageDataGenerator(**options)
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-6)
    np.testing.assert_allclose(ours.std, theirs.std, rtol=1e-6)
    np.testing.assert_allclose(next(ours.flow(x, shuffle=False)), next(theirs.flow(x, shuffle=False)), rtol=1e-5,
                               atol=1e-6)


def test_flow_is_seeded_shuffles_every_epoch_and_augments_every_batch_afresh():
    x = np.random.default_rng(4).random((8, 10, 10, 1)).astype("float32")
    datagen = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, zoom_range=0.2, horizontal_flip=True)
    first, again = datagen.flow(x, np.arange(8), batch_size=8, seed=5), datagen.flow(x, np.arange(8), batch_size=8,
                                                                                   seed=5)
    a, b = next(first), next(again)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    second = next(first)
    assert sorted(second[1].tolist()) == list(range(8)) and not np.array_equal(second[1], a[1])
    order = np.argsort(a[1]), np.argsort(second[1])
    assert not np.allclose(a[0][order[0]], second[0][order[1]])  # the same images, transformed anew


def test_sequence_protocol_and_sample_weights():
    x, y, w = np.zeros((5, 4, 4, 3)), np.arange(5), np.linspace(0.1, 0.5, 5)
    flow = ImageDataGenerator().flow(x, y, batch_size=2, shuffle=False, sample_weight=w)
    assert len(flow) == 3
    bx, by, bw = flow[2]
    assert bx.shape == (1, 4, 4, 3) and by.tolist() == [4] and bw.tolist() == [0.5]
    with pytest.raises(IndexError, match="batch 3 asked for, but an epoch has 3 batches"):
        flow[3]


def test_validation_split_subsets():
    datagen = ImageDataGenerator(validation_split=0.25)
    x, y = np.zeros((8, 2, 2, 1)), np.arange(8)
    assert next(datagen.flow(x, y, batch_size=8, shuffle=False, subset="validation"))[1].tolist() == [0, 1]
    assert next(datagen.flow(x, y, batch_size=8, shuffle=False, subset="training"))[1].tolist() == list(range(2, 8))


@pytest.mark.parametrize("call, message", [
    (lambda: ImageDataGenerator(fill_mode="mirror"), "fill_mode must be one of 'nearest', 'constant'"),
    (lambda: ImageDataGenerator(zoom_range="big"), "zoom_range must be a number or a pair"),
    (lambda: ImageDataGenerator(zca_whitening=True).standardize(np.zeros((2, 2, 1))), "call datagen.fit"),
    (lambda: ImageDataGenerator(brightness_range=0.5), r"brightness_range must be a pair .* got 0\.5"),
    (lambda: ImageDataGenerator(brightness_range=(0.5, -1)), "non-negative"),
    (lambda: ImageDataGenerator(interpolation_order=3), "interpolation_order must be 0"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5))), r"x must have 4 axes .* got shape \(4, 5, 5\)"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), np.arange(3)), "got x.shape .* of length 3"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), batch_size=0), "batch_size must be a positive"),
    (lambda: ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), subset="validation"), "needs ImageDataGenerator"),
    (lambda: ImageDataGenerator(featurewise_center=True).standardize(np.zeros((2, 2, 1))), "call datagen.fit"),
])
def test_bad_arguments_are_refused_clearly(call, message):
    with pytest.raises((ValueError, RuntimeError, NotImplementedError), match=message):
        call()


# ---------------------------------------------------------------- flow_from_directory


def write_classes(folder, per_class=3, size=(12, 10)):
    """cats/ as PNG (bright), dogs/ as JPEG (dark), plus a text file that must be ignored."""
    rng = np.random.default_rng(6)
    for name, low, ext in (("cats", 150, "png"), ("dogs", 0, "jpg")):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(low, low + 100, (size[1], size[0], 3)).astype(np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{name}.{i}.{ext}")
    (folder / "cats" / "notes.txt").write_text("not an image")


def test_flow_from_directory_reads_classes_resizes_and_labels(tmp_path, capsys):
    write_classes(tmp_path)
    flow = ImageDataGenerator(rescale=1 / 255).flow_from_directory(tmp_path, target_size=(8, 6), batch_size=4,
                                                                    class_mode="binary", shuffle=False)
    assert capsys.readouterr().out.strip() == "Found 6 images belonging to 2 classes."
    assert flow.class_indices == {"cats": 0, "dogs": 1} and flow.classes.tolist() == [0, 0, 0, 1, 1, 1]
    assert flow.filenames[0] == "cats/cats.0.png" and flow.filenames[-1] == "dogs/dogs.2.jpg"
    bx, by = next(flow)
    assert bx.shape == (4, 8, 6, 3) and bx.dtype == np.float32 and by.tolist() == [0, 0, 0, 1]
    expected = np.asarray(Image.open(tmp_path / "cats" / "cats.0.png").resize((6, 8), Image.NEAREST)) / 255
    np.testing.assert_allclose(bx[0], expected, rtol=1e-6)
    assert bx[:3].mean() > 0.55 > bx[3].mean()


@pytest.mark.parametrize("class_mode, check", [
    ("categorical", lambda y: y.tolist() == [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]]),
    ("sparse", lambda y: y.tolist() == [0, 0, 0, 1, 1, 1]),
])
def test_class_modes(tmp_path, class_mode, check):
    write_classes(tmp_path)
    _, y = next(ImageDataGenerator().flow_from_directory(tmp_path, target_size=(4, 4), batch_size=6,
                                                         class_mode=class_mode, shuffle=False))
    assert check(y)


def test_class_mode_none_and_input_and_grayscale(tmp_path):
    write_classes(tmp_path)
    datagen = ImageDataGenerator()
    only_x = next(datagen.flow_from_directory(tmp_path, target_size=(4, 4), class_mode=None, color_mode="grayscale"))
    assert isinstance(only_x, np.ndarray) and only_x.shape == (6, 4, 4, 1)
    x, target = next(datagen.flow_from_directory(tmp_path, target_size=(4, 4), class_mode="input"))
    np.testing.assert_array_equal(x, target)


def test_directory_errors_name_the_problem(tmp_path):
    write_classes(tmp_path)
    (tmp_path / "birds").mkdir()
    datagen = ImageDataGenerator()
    with pytest.raises(ValueError, match=r'class_mode="binary" needs exactly 2 class folders; .* has 3'):
        datagen.flow_from_directory(tmp_path, class_mode="binary")
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        datagen.flow_from_directory(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no sub-folder 'fish'"):
        datagen.flow_from_directory(tmp_path, classes=["cats", "fish"])
    (tmp_path / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    flow = datagen.flow_from_directory(tmp_path, classes=["cats"], target_size=(4, 4), batch_size=8, shuffle=False)
    with pytest.raises(ValueError, match="broken.png"):
        next(flow)


def test_directory_validation_split_takes_the_start_of_each_class(tmp_path):
    write_classes(tmp_path, per_class=4)
    datagen = ImageDataGenerator(validation_split=0.5)
    validation = datagen.flow_from_directory(tmp_path, target_size=(4, 4), subset="validation", shuffle=False)
    training = datagen.flow_from_directory(tmp_path, target_size=(4, 4), subset="training", shuffle=False)
    assert validation.filenames == ["cats/cats.0.png", "cats/cats.1.png", "dogs/dogs.0.jpg", "dogs/dogs.1.jpg"]
    assert training.samples == 4 and set(training.filenames).isdisjoint(validation.filenames)


def test_the_module_exports_the_keras_names():
    for name in ("ImageDataGenerator", "load_img", "img_to_array", "array_to_img", "save_img", "apply_affine_transform"):
        assert callable(getattr(pimg, name))
