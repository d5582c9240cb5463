"""The layers added for the book (issue 16): each matches Keras 3 in float64 on its output and on the gradients of
its input and weights, shows a summary row like Keras', and survives get_config/from_config and save/load."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers, models
from tests.layers.keras_twins import CLOSE, assert_matches_keras
from tests.learning import assert_below
from tests.models.keras_reference import keras_in_float64

@pytest.fixture
def keras():
    """Keras 3 in float64 for the test, its floatx restored afterwards."""
    with keras_in_float64() as keras_module:
        yield keras_module


F64 = dict(dtype="float64")
RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((2, 5, 6, 3))
SEQUENCES = RNG.standard_normal((2, 4, 3))
VECTORS = RNG.standard_normal((3, 5))

# (pydl layer, Keras layer, input): the Keras side is built from the same arguments
PAIRS = [
    ("ReLU", lambda k: (layers.ReLU(**F64), k.layers.ReLU(**F64)), VECTORS),
    ("ReLU max_value slope threshold", lambda k: (
        layers.ReLU(max_value=1.2, negative_slope=0.1, threshold=0.3, **F64),
        k.layers.ReLU(max_value=1.2, negative_slope=0.1, threshold=0.3, **F64)), VECTORS),
    ("ReLU max_value 6", lambda k: (layers.ReLU(max_value=6.0, **F64), k.layers.ReLU(max_value=6.0, **F64)),
     VECTORS * 5),
    ("LeakyReLU", lambda k: (layers.LeakyReLU(**F64), k.layers.LeakyReLU(**F64)), VECTORS),
    ("LeakyReLU 0.2", lambda k: (layers.LeakyReLU(0.2, **F64), k.layers.LeakyReLU(0.2, **F64)), IMAGES),
    ("PReLU", lambda k: (layers.PReLU(alpha_initializer="random_normal", **F64),
                         k.layers.PReLU(**F64)), IMAGES),
    ("PReLU shared axes", lambda k: (layers.PReLU(alpha_initializer="random_normal", shared_axes=[1, 2], **F64),
                                     k.layers.PReLU(shared_axes=[1, 2], **F64)), IMAGES),
    ("ELU", lambda k: (layers.ELU(**F64), k.layers.ELU(**F64)), VECTORS),
    ("ELU alpha", lambda k: (layers.ELU(alpha=0.5, **F64), k.layers.ELU(alpha=0.5, **F64)), VECTORS),
    ("Softmax", lambda k: (layers.Softmax(**F64), k.layers.Softmax(**F64)), VECTORS),
    ("Softmax axes", lambda k: (layers.Softmax(axis=[1, 2], **F64), k.layers.Softmax(axis=[1, 2], **F64)),
     IMAGES),
    ("UpSampling1D", lambda k: (layers.UpSampling1D(3, **F64), k.layers.UpSampling1D(3, **F64)), SEQUENCES),
    ("UpSampling2D", lambda k: (layers.UpSampling2D((2, 3), **F64), k.layers.UpSampling2D((2, 3), **F64)),
     IMAGES),
    ("UpSampling2D bilinear", lambda k: (layers.UpSampling2D((2, 3), interpolation="bilinear", **F64),
                                         k.layers.UpSampling2D((2, 3), interpolation="bilinear", **F64)), IMAGES),
    ("ZeroPadding2D", lambda k: (layers.ZeroPadding2D(((1, 2), (0, 3)), **F64),
                                 k.layers.ZeroPadding2D(((1, 2), (0, 3)), **F64)), IMAGES),
    ("ZeroPadding2D int", lambda k: (layers.ZeroPadding2D(2, **F64), k.layers.ZeroPadding2D(2, **F64)), IMAGES),
    ("Cropping2D", lambda k: (layers.Cropping2D(((1, 2), (2, 1)), **F64),
                              k.layers.Cropping2D(((1, 2), (2, 1)), **F64)), IMAGES),
    ("Cropping2D pair", lambda k: (layers.Cropping2D((1, 2), **F64), k.layers.Cropping2D((1, 2), **F64)), IMAGES),
    ("Permute", lambda k: (layers.Permute((3, 1, 2), **F64), k.layers.Permute((3, 1, 2), **F64)), IMAGES),
    ("RepeatVector", lambda k: (layers.RepeatVector(4, **F64), k.layers.RepeatVector(4, **F64)), VECTORS),
    ("TimeDistributed Conv2D", lambda k: (
        layers.TimeDistributed(layers.Conv2D(2, 2, **F64), **F64),
        k.layers.TimeDistributed(k.layers.Conv2D(2, 2, **F64), **F64)), RNG.standard_normal((2, 3, 4, 4, 2))),
]
for padding in ("valid", "same"):
    for kernel, strides, output_padding in ((3, 2, None), (4, 2, None), (2, 2, None), (3, 1, None), (1, 3, None),
                                            ((3, 2), (2, 3), None), (3, 2, 1), (4, 3, 2), (2, 2, 1)):
        PAIRS.append((f"Conv2DTranspose {padding} k{kernel} s{strides} op{output_padding}",
                      lambda k, a=(4, kernel), o=dict(strides=strides, padding=padding,
                                                      output_padding=output_padding): (
                          layers.Conv2DTranspose(*a, **o, **F64), k.layers.Conv2DTranspose(*a, **o, **F64)), IMAGES))


@pytest.mark.filterwarnings("ignore::UserWarning")  # Keras warns about backend inconsistencies of output_padding
@pytest.mark.parametrize("make, x", [(make, x) for _, make, x in PAIRS], ids=[name for name, _, _ in PAIRS])
def test_matches_keras_forward_and_gradients(make, x, keras):
    layer, keras_layer = make(keras)
    assert_matches_keras(layer, keras_layer, x)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == tuple(keras_layer.compute_output_shape(
        (None,) + x.shape[1:]))


def test_conv2d_transpose_matches_torch_conv_transpose2d():
    """torch.nn.functional.conv_transpose2d with the kernel in torch's (C_in, filters, kh, kw) layout. Keras'
    "same" with kernel 3 and stride 2 keeps the first 2H rows of the full result; torch's padding=1 would start one
    row later, so torch runs without padding and is cropped."""
    layer = layers.Conv2DTranspose(4, 3, strides=2, padding="same", **F64)
    out = layer(pydl.tensor(IMAGES)).numpy()
    kernel = torch.tensor(layer.kernel.numpy()).permute(3, 2, 0, 1)
    full = torch.nn.functional.conv_transpose2d(torch.tensor(IMAGES).permute(0, 3, 1, 2), kernel,
                                                torch.tensor(layer.bias.numpy()), stride=2).permute(0, 2, 3, 1)
    np.testing.assert_allclose(out, full.numpy()[:, :10, :12], **CLOSE)
    assert out.shape == (2, 10, 12, 4)
    valid = layers.Conv2DTranspose(4, 3, strides=2, padding="valid", **F64)
    valid.build((None, 5, 6, 3))
    valid.set_weights(layer.get_weights())
    np.testing.assert_allclose(valid(pydl.tensor(IMAGES)).numpy(), full.numpy(), **CLOSE)


def test_time_distributed_dense_is_the_dense_layer_on_every_step_and_matches_keras(keras):
    layer = layers.TimeDistributed(layers.Dense(2, activation="tanh", **F64), **F64)
    out = layer(pydl.tensor(SEQUENCES)).numpy()
    for step in range(SEQUENCES.shape[1]):  # exact: the same Dense on one step's batch
        np.testing.assert_allclose(out[:, step], layer.layer(pydl.tensor(SEQUENCES[:, step])).numpy(), **CLOSE)
    keras_layer = keras.layers.TimeDistributed(keras.layers.Dense(2, activation="tanh"))
    keras_layer(torch.tensor(SEQUENCES))
    keras_layer.set_weights(layer.get_weights())
    # 1e-6, not float64's 1e-10: Keras 3.15's ops.matmul computes float64 operands in float32 (its result_type
    # maps 64-bit dtypes to 32-bit, JAX's default), so its Dense is only float32-exact
    np.testing.assert_allclose(out, keras_layer(torch.tensor(SEQUENCES)).detach().numpy(), rtol=1e-6, atol=1e-7)


def test_gaussian_noise_only_in_training_and_repeats_with_its_seed():
    x = pydl.tensor(np.zeros((200, 50)))
    layer = layers.GaussianNoise(0.5, seed=3, **F64)
    np.testing.assert_array_equal(layer(x).numpy(), 0.0)
    noise = layer(x, training=True).numpy()
    assert abs(noise.std() - 0.5) < 0.02 and abs(noise.mean()) < 0.02
    again = layers.GaussianNoise(0.5, seed=3, **F64)(x, training=True).numpy()
    np.testing.assert_array_equal(noise, again)
    assert not np.array_equal(noise, layer(x, training=True).numpy())  # the stream moves on


SUMMARY_MODEL_LAYERS = lambda: [  # noqa: E731
    layers.Input((4, 4, 3)), layers.Conv2DTranspose(8, 3, strides=2, padding="same"), layers.LeakyReLU(0.2),
    layers.PReLU(shared_axes=[1, 2]), layers.ZeroPadding2D(1), layers.Cropping2D(2), layers.UpSampling2D(2),
    layers.Permute((2, 1, 3)), layers.Reshape((144, 8)), layers.TimeDistributed(layers.Dense(5)),
    layers.UpSampling1D(2), layers.GaussianNoise(0.1), layers.ELU(), layers.ReLU(), layers.Softmax(),
]


def test_summary_rows_match_keras_output_shapes_and_params(keras):
    model = models.Sequential(SUMMARY_MODEL_LAYERS())
    keras_model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2DTranspose(8, 3, strides=2,
                                                                                          padding="same"),
                                    keras.layers.LeakyReLU(0.2), keras.layers.PReLU(shared_axes=[1, 2]),
                                    keras.layers.ZeroPadding2D(1), keras.layers.Cropping2D(2),
                                    keras.layers.UpSampling2D(2), keras.layers.Permute((2, 1, 3)),
                                    keras.layers.Reshape((144, 8)), keras.layers.TimeDistributed(keras.layers.Dense(5)),
                                    keras.layers.UpSampling1D(2), keras.layers.GaussianNoise(0.1),
                                    keras.layers.ELU(), keras.layers.ReLU(), keras.layers.Softmax()])
    mine = [(type(layer).__name__, layer.output_shape, layer.count_params()) for layer in model.layers]
    theirs = [(type(layer).__name__, tuple(layer.output.shape), layer.count_params()) for layer in keras_model.layers]
    assert mine == theirs
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith("conv2d_transpose (Conv2DTranspose)") and "(None, 8, 8, 8)" in line
               and line.rstrip().endswith("224") for line in lines)
    assert any(line.startswith("p_re_lu (PReLU)") and line.rstrip().endswith("8") for line in lines)


def test_config_round_trip_and_save_load_give_the_same_outputs(tmp_path):
    model = models.Sequential(SUMMARY_MODEL_LAYERS())
    for layer in model.layers:
        config = layers.serialize(layer)
        assert layers.deserialize(config).get_config() == layer.get_config(), type(layer).__name__
    x = RNG.standard_normal((2, 4, 4, 3)).astype("float32")
    model.save(tmp_path / "m.pydl")
    restored = models.load_model(tmp_path / "m.pydl")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in restored.layers] == [type(layer).__name__ for layer in model.layers]


def test_keras2_names_alpha_and_convolution2dtranspose():
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    assert type(layers.deserialize({"class_name": "Convolution2DTranspose", "config": {"filters": 2,
                                                                                   "kernel_size": 3}})) \
        is layers.Conv2DTranspose


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), r"output_padding \(2, 2\).*strides \(2, 2\)"),
    (lambda: layers.Conv2DTranspose(4, 3, dilation_rate=2), "dilation_rate"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), "bicubic"),
    (lambda: layers.Permute((1, 1)), "permutation"),
    (lambda: layers.RepeatVector(0), "positive"),
    (lambda: layers.ZeroPadding2D(((1, 2, 3), (1, 1))), "ZeroPadding2D padding"),
    (lambda: layers.ReLU(max_value=-1), "max_value"),
    (lambda: layers.GaussianNoise(-0.1), "stddev"),
    (lambda: layers.TimeDistributed("dense"), "wraps a layer"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("layer, shape, message", [
    (lambda: layers.Cropping2D(3), (None, 6, 8, 3), r"crops 6 of the 6 height.*\(None, 6, 8, 3\)"),
    (lambda: layers.Permute((2, 1)), (None, 4, 4, 3), r"Permute.*\(2, 1\).*\(None, 4, 4, 3\)"),
    (lambda: layers.RepeatVector(2), (None, 4, 3), r"2-D input.*\(None, 4, 3\)"),
    (lambda: layers.TimeDistributed(layers.Dense(2)), (None, 4), r"rank 3 or more.*\(None, 4\)"),
    (lambda: layers.Conv2DTranspose(2, 3), (None, 4, 3), r"4-D input.*\(None, 4, 3\)"),
    (lambda: layers.PReLU(), (None, None, 3), r"PReLU.*\(None, None, 3\).*shared_axes"),
])
def test_bad_input_shapes_name_the_layer_and_the_shape(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer()(layers.Input(batch_shape=shape))


def test_conv2d_transpose_learns_to_upsample_in_a_model():
    """A generator-style stack trains: the loss of fitting a fixed upsampling target falls by 10x."""
    pydl.backend.set_floatx("float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4, 4, 2))
    y = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)[..., :1] * 0.5  # nearest upsampling of channel 0
    model = models.Sequential([layers.Input((4, 4, 2)), layers.Conv2DTranspose(1, 2, strides=2, padding="same")])
    model.compile(optimizer=pydl.optimizers.Adam(learning_rate=0.05), loss="mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=60, batch_size=16, verbose=0)
    assert_below(model.evaluate(x, y, verbose=0), first / 10, "Conv2DTranspose upsampling loss vs a tenth of the first")
