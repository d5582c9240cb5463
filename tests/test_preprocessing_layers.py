"""Keras 3's image preprocessing layers in pydl: parity with Keras 3 on settings that fix the random draw,
identity in inference, seeding, gradients to the input (float64 finite differences), configs, saving, summary."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import pydl
from pydl import layers
from pydl.gradcheck import gradcheck
from pydl.layers.preprocessing import image_resample
from tests.models.keras_reference import keras_in_float64

IMAGES = np.random.default_rng(0).random((2, 7, 9, 3)) * 255  # non-square, so rows and columns cannot be confused


@pytest.fixture(scope="module", autouse=True)
def keras_computing_in_float64():
    with keras_in_float64():
        yield


def _pair(name, **options):
    return getattr(keras.layers, name)(**options), getattr(layers, name)(**options, dtype="float64")


FIXED = [  # a range of one value: the random draw is the same for Keras and pydl
    ("RandomRotation", dict(factor=(0.1, 0.1))),
    ("RandomRotation", dict(factor=(-0.3, -0.3))),
    ("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3))),
    ("RandomZoom", dict(height_factor=(0.3, 0.3), width_factor=(-0.25, -0.25))),
    ("RandomZoom", dict(height_factor=(-0.4, -0.4))),
]


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("name, options", FIXED, ids=[f"{n}{o}" for n, o in FIXED])
def test_geometric_layers_equal_keras(name, options, fill_mode, interpolation):
    theirs, ours = _pair(name, **options, fill_mode=fill_mode, interpolation=interpolation, fill_value=7.0)
    expected = np.asarray(theirs(IMAGES, training=True))
    actual = ours(IMAGES, training=True).numpy()
    assert not np.allclose(actual, IMAGES)
    # Keras builds translation and zoom matrices in float32 whatever floatx is: values up to 255 differ by ~1e-5.
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-4)


def test_contrast_and_rescaling_equal_keras():
    theirs, ours = _pair("RandomContrast", factor=(-0.5, 0.5))  # the range [1.5, 1.5]
    np.testing.assert_allclose(ours(IMAGES, training=True).numpy(), np.asarray(theirs(IMAGES, training=True)),
                               rtol=1e-6, atol=1e-4)  # Keras draws the factor in float32
    for options in (dict(scale=1 / 255), dict(scale=1 / 127.5, offset=-1), dict(scale=[0.5, 1.0, 2.0], offset=0.25)):
        theirs, ours = _pair("Rescaling", **options)
        np.testing.assert_array_equal(ours(IMAGES).numpy(), np.asarray(theirs(IMAGES)))


def test_random_flip_flips_whole_images_as_keras_does():
    x = IMAGES[:1].repeat(16, axis=0)
    for mode, flipped in (("horizontal", x[:, :, ::-1]), ("vertical", x[:, ::-1]),
                          ("horizontal_and_vertical", x[:, ::-1, ::-1])):
        out = layers.RandomFlip(mode, seed=1, dtype="float64")(x, training=True).numpy()
        same = [np.array_equal(o, i) for o, i in zip(out, x)]
        turned = [np.array_equal(o, f) for o, f in zip(out, flipped)]
        assert all(s != t for s, t in zip(same, turned)) and 3 <= sum(turned) <= 13


ALL = [("Rescaling", dict(scale=1 / 255)), ("RandomFlip", dict()), ("RandomRotation", dict(factor=0.2)),
       ("RandomTranslation", dict(height_factor=0.2, width_factor=0.1)), ("RandomZoom", dict(height_factor=0.2)),
       ("RandomContrast", dict(factor=0.3))]


@pytest.mark.parametrize("name, options", ALL[1:], ids=[n for n, _ in ALL[1:]])
def test_random_layers_are_the_identity_in_inference_and_in_predict(name, options):
    layer = getattr(layers, name)(**options, seed=0)
    for training in (None, False):
        np.testing.assert_array_equal(layer(IMAGES, training=training).numpy(), IMAGES.astype(np.float32))
    model = pydl.models.Sequential([layers.Input(IMAGES.shape[1:]), getattr(layers, name)(**options, seed=0)])
    np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES.astype(np.float32))


@pytest.mark.parametrize("name, options", ALL[1:], ids=[n for n, _ in ALL[1:]])
def test_seeded_layers_repeat_and_each_call_draws_again(name, options):
    x = IMAGES.repeat(4, axis=0)
    a = getattr(layers, name)(**options, seed=3)(x, training=True).numpy()
    again = getattr(layers, name)(**options, seed=3)
    np.testing.assert_array_equal(again(x, training=True).numpy(), a)
    assert not np.array_equal(again(x, training=True).numpy(), a)  # the next call draws new transforms
    pydl.seed(11)
    b = getattr(layers, name)(**options)(x, training=True).numpy()
    pydl.seed(11)
    np.testing.assert_array_equal(getattr(layers, name)(**options)(x, training=True).numpy(), b)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resampling_gradient_matches_finite_differences(fill_mode, interpolation):
    rng = np.random.default_rng(5)
    rows = rng.uniform(-3, 8, (2, 4, 5)) + 0.013  # away from the integers, where nearest's choice jumps
    cols = rng.uniform(-3, 8, (2, 4, 5)) + 0.013
    x = pydl.tensor(rng.standard_normal((2, 5, 6, 3)), dtype="float64", requires_grad=True)
    assert gradcheck(lambda t: image_resample(t, rows, cols, fill_mode, 0.5, interpolation), [x])


@pytest.mark.parametrize("name, options", [("RandomRotation", dict(factor=0.2)), ("RandomZoom", dict(height_factor=0.3)),
                                           ("RandomTranslation", dict(height_factor=0.2, width_factor=0.2)),
                                           ("RandomFlip", dict()), ("RandomContrast", dict(factor=0.3,
                                                                                         value_range=(-50, 50))),
                                           ("Rescaling", dict(scale=[0.5, 2.0, -1.0], offset=0.1))])
def test_gradients_flow_to_the_input_in_training(name, options):
    x = pydl.tensor(np.random.default_rng(6).standard_normal((3, 5, 6, 3)), dtype="float64", requires_grad=True)
    seeded = {} if name == "Rescaling" else {"seed": 2}
    # A fresh layer with the same seed per call: every evaluation of the finite differences sees the same draw.
    assert gradcheck(lambda t: getattr(layers, name)(**options, **seeded, dtype="float64")(t, training=True), [x])


@pytest.mark.parametrize("name, options", ALL, ids=[n for n, _ in ALL])
def test_config_round_trip_and_saved_models(tmp_path, name, options):
    layer = getattr(layers, name)(**options, **({} if name == "Rescaling" else {"seed": 4}))
    twin = layers.deserialize(layers.serialize(layer))
    assert type(twin) is type(layer) and twin.get_config() == layer.get_config()
    model = pydl.models.Sequential([layers.Input((7, 9, 3)), layer, layers.Flatten(), layers.Dense(2)])
    model.save(tmp_path / "augmenting.keras")
    loaded = pydl.models.load_model(tmp_path / "augmenting.keras")
    np.testing.assert_array_equal(loaded.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0))


def test_summary_rows_match_keras():
    def rows(print_into):
        return [line.split()[:2] for line in print_into if "(Random" in line or "(Rescaling)" in line]

    ours = pydl.models.Sequential([layers.Input((8, 8, 3)), layers.Rescaling(1 / 255), layers.RandomFlip("horizontal"),
                                   layers.RandomRotation(0.1), layers.RandomZoom(0.2), layers.RandomContrast(0.2),
                                   layers.RandomTranslation(0.1, 0.1)])
    lines = []
    ours.summary(print_fn=lines.append)
    assert [r[1] for r in rows(lines)] == ["(Rescaling)", "(RandomFlip)", "(RandomRotation)", "(RandomZoom)",
                                           "(RandomContrast)", "(RandomTranslation)"]
    assert all("(None, 8, 8, 3)" in line and line.rstrip().endswith(" 0") for line in lines
               if "(Random" in line or "(Rescaling)" in line)


def test_augmentation_inside_a_model_is_active_only_while_fitting():
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(inputs.numpy().copy())
            return inputs

    model = pydl.models.Sequential([layers.Input((7, 9, 3)), layers.RandomRotation(0.25, seed=0), Spy(),
                                    layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(IMAGES.astype(np.float32), np.zeros((2, 1)), epochs=1, batch_size=2, verbose=0)
    assert not np.allclose(seen[-1], IMAGES)
    model.predict(IMAGES, verbose=0)
    np.testing.assert_array_equal(seen[-1], IMAGES.astype(np.float32))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.RandomRotation(1.5), r"RandomRotation: factor must lie in \[-1, 1\]; got 1.5"),
    (lambda: layers.RandomZoom(-1.0), r"RandomZoom: height_factor must lie in \(-1, 1\]"),
    (lambda: layers.RandomTranslation(0.1, "wide"), "width_factor must be a number or a pair of numbers"),
    (lambda: layers.RandomFlip("diagonal"), "RandomFlip: mode must be one of 'horizontal'"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "fill_mode must be one of 'reflect', 'wrap'"),
    (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), "interpolation must be one of 'bilinear'"),
    (lambda: layers.RandomContrast(1.5), r"RandomContrast: factor must lie in \[0, 1\]; got 1.5"),
    (lambda: layers.RandomContrast(0.2, value_range=(1, 0)), "value_range must be \\(low, high\\)"),
    (lambda: layers.Rescaling("half"), "Rescaling: scale must be a number or a list of numbers; got 'half'"),
    (lambda: layers.RandomFlip()(np.zeros((7, 9, 3)), training=True),
     r'Layer "random_flip.*" \(RandomFlip\) takes batches of images .* got 3 axes, shape \(None, 9, 3\)'),
])
def test_bad_settings_and_inputs_are_refused_clearly(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_settings_are_stored_as_json():
    import json

    layer = layers.Rescaling(np.array([0.5, 1.0, 2.0]), offset=np.float64(0.25))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == [0.5, 1.0, 2.0] and config["offset"] == 0.25
    np.testing.assert_array_equal(layers.Rescaling.from_config(config)(IMAGES).numpy(), layer(IMAGES).numpy())
