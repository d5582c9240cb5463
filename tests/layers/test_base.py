"""The Layer contract: naming, lazy build, shape checks, dtype, freezing, weights I/O, config round trips."""

import json

import numpy as np
import pytest

import pydl
from pydl import backend, layers
from pydl.layers.base import Layer, reset_name_counters


def test_automatic_names_count_per_class_and_reset():
    assert [layers.Dense(2).name, layers.Dense(2).name, layers.Conv2D(1, 3).name] == ["dense", "dense_1", "conv2d"]
    assert layers.BatchNormalization().name == "batch_normalization"
    assert layers.MaxPooling2D().name == "max_pooling2d"
    reset_name_counters()
    assert layers.Dense(2).name == "dense"


def test_unknown_keyword_argument_lists_the_valid_ones():
    with pytest.raises(TypeError, match="unitz") as info:
        layers.Dense(3, unitz=4)
    assert "units" in str(info.value) and "kernel_initializer" in str(info.value)


def test_build_happens_on_first_call_with_the_batch_axis_as_none():
    layer = layers.Dense(4)
    assert not layer.built and layer.weights == []
    out = layer(np.ones((3, 5)))
    assert layer.built and layer.input_spec_shape == (None, 5) and out.shape == (3, 4)
    assert [w.shape for w in layer.weights] == [(5, 4), (4,)]
    assert [w.name for w in layer.weights] == ["dense/kernel", "dense/bias"]


def test_wrong_input_shape_names_the_layer_and_both_shapes():
    layers.Dense(1)
    layer = layers.Dense(512)
    layer(np.ones((2, 784)))
    with pytest.raises(ValueError, match=r'Layer "dense_1" expects input shape \(None, 784\), but got \(32, 100\)'):
        layer(np.ones((32, 100)))


def test_declared_input_shape_is_checked_on_the_first_call():
    layer = layers.Dense(2, input_shape=(4,))
    with pytest.raises(ValueError, match=r"\(None, 4\), but got \(2, 3\)"):
        layer(np.ones((2, 3)))


def test_dtype_defaults_to_floatx_at_build_and_inputs_are_cast():
    backend.set_floatx("float64")
    layer = layers.Dense(2)
    out = layer(np.ones((1, 3), dtype="float32"))
    assert layer.dtype == "float64" and layer.kernel.dtype == np.float64 and out.dtype == np.float64
    backend.set_floatx("float32")
    assert layer.dtype == "float64"  # fixed at build
    assert layers.Dense(2, dtype="float64")(np.ones((1, 3), dtype="uint8")).dtype == np.float64


def test_freezing_removes_gradients_and_trainable_weights():
    layer = layers.Dense(2)
    x = np.ones((4, 3))
    layer(x).sum().backward()
    assert layer.kernel.grad is not None
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert layer.kernel.grad is None and not layer.kernel.requires_grad
    out = layer(x)
    assert not out.requires_grad  # nothing to differentiate: no gradient reaches the frozen weights
    layer.trainable = True
    assert layer.kernel.requires_grad and len(layer.trainable_weights) == 2


def test_frozen_at_construction():
    layer = layers.Dense(2, trainable=False)
    layer(np.ones((1, 3)))
    assert layer.trainable_weights == [] and not any(w.requires_grad for w in layer.weights)


def test_get_and_set_weights_round_trip():
    layer = layers.Dense(3)
    layer(np.ones((1, 2)))
    values = [np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 3.0])]
    layer.set_weights(values)
    got = layer.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(got, values)) and got[0].dtype == np.float32
    got[0][0, 0] = 99.0  # copies: editing them does not touch the layer
    assert layer.kernel.data[0, 0] == 0.0


@pytest.mark.parametrize("bad", [
    [np.zeros((2, 3))],                              # wrong count
    [np.zeros((2, 3)), np.zeros(4)],                 # wrong bias shape
    [np.zeros((3, 2)), np.zeros(3)],                 # wrong kernel shape
])
def test_set_weights_refuses_and_assigns_nothing(bad):
    layer = layers.Dense(3, name="head")
    layer(np.ones((1, 2)))
    before = layer.get_weights()
    with pytest.raises(ValueError, match='Layer "head"'):
        layer.set_weights(bad)
    assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))


def test_count_params_needs_a_built_layer():
    with pytest.raises(ValueError, match="not built"):
        layers.Dense(3).count_params()


def test_losses_follow_the_current_weights():
    layer = layers.Dense(2, kernel_regularizer=pydl.regularizers.l2(0.5), bias_regularizer="l1")
    layer(np.ones((1, 2)))
    layer.set_weights([np.ones((2, 2)), np.array([1.0, -1.0])])
    assert [round(float(loss), 6) for loss in layer.losses] == [2.0, 0.02]
    layer.set_weights([np.zeros((2, 2)), np.zeros(2)])
    assert [float(loss) for loss in layer.losses] == [0.0, 0.0]


def test_regularization_loss_is_differentiable():
    layer = layers.Dense(2, kernel_regularizer=pydl.regularizers.l2(0.5), dtype="float64")
    layer(np.ones((1, 3)))
    layer.losses[0].backward()
    np.testing.assert_allclose(layer.kernel.grad, layer.kernel.data)  # d(0.5 * sum w^2) = w


def test_base_layer_is_the_identity_and_serialises():
    layer = Layer(name="plain", input_shape=(3,))
    assert layer(np.ones((2, 3))).shape == (2, 3) and layer.compute_output_shape((None, 3)) == (None, 3)
    config = layer.get_config()
    assert config == {"name": "plain", "trainable": True, "dtype": "float32", "batch_input_shape": [None, 3]}
    assert Layer.from_config(config).batch_input_shape == (None, 3)


@pytest.mark.parametrize("make", [
    lambda: layers.Dense(5, activation="relu", use_bias=False, kernel_initializer="he_normal",
                         kernel_regularizer=pydl.regularizers.l1_l2(0.1, 0.2), input_shape=(7,)),
    lambda: layers.Conv2D(8, (3, 2), strides=2, padding="same", activation="tanh", input_shape=(9, 9, 3)),
    lambda: layers.MaxPooling2D(3, strides=1, padding="same"),
    lambda: layers.AveragePooling2D((2, 3)),
    lambda: layers.GlobalAveragePooling2D(keepdims=True),
    lambda: layers.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False),
    lambda: layers.Dropout(0.3, seed=4, noise_shape=(None, 1)),
    lambda: layers.Flatten(trainable=False),
    lambda: layers.Reshape((2, -1)),
    lambda: layers.Activation("softmax", dtype="float64"),
    lambda: layers.Input(shape=(28, 28, 1)),
])
def test_config_round_trips_through_json(make):
    layer = make()
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_get_accepts_instances_names_and_configs():
    dense = layers.Dense(2)
    assert layers.get(dense) is dense
    assert isinstance(layers.get("Flatten"), layers.Flatten)
    with pytest.raises(ValueError, match="Unknown layer class 'Nope'"):
        layers.get("Nope")


def test_weights_of_a_built_clone_have_the_same_shapes():
    layer = layers.Conv2D(4, 3)
    layer(np.ones((1, 5, 5, 2)))
    clone = layers.Conv2D.from_config(layer.get_config())
    clone(np.ones((1, 5, 5, 2)))
    clone.set_weights(layer.get_weights())
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 2))
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())
