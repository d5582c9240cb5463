"""Feature extraction, Keras style: ``layer.output`` / ``model.input`` of a built model make a second model of its
intermediate activations, ``Model(inputs=model.input, outputs=[layer.output for layer in model.layers[:k]])``, on
the same layer objects and weights. Activations of a trained digits convnet equal running its layers by hand; a
weight changed in the original shows in the activation model; shared or unconnected layers say what to do."""

import numpy as np
import pytest

import pydl
from pydl import Input, layers, models, optimizers
from pydl.datasets import load_digits
from pydl.models import Model
from tests.learning import assert_at_least


@pytest.fixture(scope="module")
def digit_images():
    (x_train, y_train), (x_test, y_test) = load_digits()
    as_images = lambda x: x[..., None].astype(np.float32) / 16  # (n, 8, 8, 1) in [0, 1]
    return (as_images(x_train), y_train), (as_images(x_test), y_test)


def _convnet():
    return models.Sequential([
        layers.Conv2D(16, 3, activation="relu", input_shape=(8, 8, 1)),  # 6x6x16
        layers.MaxPooling2D(2),  # 3x3x16
        layers.Conv2D(32, 2, activation="relu"),  # 2x2x32
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def trained_convnet(digit_images):
    (x, y), (x_test, y_test) = digit_images
    pydl.seed(0)
    model = _convnet()
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=32, verbose=0, seed=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    # The activations below are those of a convnet that learned something.
    assert_at_least(accuracy, 0.9, "convnet for feature extraction: test accuracy")
    return model


def _forward_by_hand(layer_stack, x) -> list:
    """Each layer's output on ``x``, calling the layers one after the other on data."""
    activations = []
    for layer in layer_stack:
        x = layer(x).numpy()
        activations.append(x)
    return activations


def test_activations_of_a_trained_convnet_equal_its_layers_run_by_hand(trained_convnet, digit_images):
    _, (x_test, _) = digit_images
    model = trained_convnet
    layer_outputs = [layer.output for layer in model.layers[:4]]
    activation_model = Model(inputs=model.input, outputs=layer_outputs)

    assert activation_model.layers[1:] == model.layers[:4]  # the same layer objects after the input placeholder
    assert activation_model.count_params() == sum(layer.count_params() for layer in model.layers[:4])
    activations = activation_model.predict(x_test)
    assert [a.shape for a in activations] == [(360, 6, 6, 16), (360, 3, 3, 16), (360, 2, 2, 32), (360, 128)]
    for extracted, by_hand in zip(activations, _forward_by_hand(model.layers[:4], x_test)):
        np.testing.assert_allclose(extracted, by_hand, rtol=1e-5, atol=1e-6)
    assert (activations[0] == 0).any() and (activations[0] > 0).any()  # relu maps, neither blank nor linear
    # the whole graph, input to output, is the model itself
    np.testing.assert_array_equal(Model(model.input, model.output).predict(x_test), model.predict(x_test))


def test_the_activation_model_shares_the_weights_of_the_original(trained_convnet, digit_images):
    _, (x_test, _) = digit_images
    model = models.Sequential.from_config(trained_convnet.get_config())
    model.set_weights(trained_convnet.get_weights())
    first_conv = model.layers[0]
    activation_model = Model(inputs=model.input, outputs=[first_conv.output, model.layers[2].output])
    before = activation_model.predict(x_test[:16])

    first_conv.kernel.data[..., 0] *= -1  # flip the first filter in the original model only
    after = activation_model.predict(x_test[:16])
    assert not np.array_equal(before[0][..., 0], after[0][..., 0])
    np.testing.assert_array_equal(before[0][..., 1:], after[0][..., 1:])  # the other filters are untouched
    for extracted, by_hand in zip(after, _forward_by_hand(model.layers[:3], x_test[:16])[::2]):
        np.testing.assert_allclose(extracted, by_hand, rtol=1e-5, atol=1e-6)

    activation_model.set_weights([np.zeros_like(w) for w in activation_model.get_weights()])
    assert not first_conv.kernel.data.any()  # and the other way round: one set of weights


def test_a_sequential_model_built_lazily_by_fit_exposes_its_graph(digit_images):
    (x, y), (x_test, _) = digit_images
    x, x_test = x.reshape(-1, 64), x_test.reshape(-1, 64)
    model = models.Sequential([layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    with pytest.raises(ValueError, match='"sequential" is not built yet, so its input tensor is unknown'):
        model.input
    with pytest.raises(AttributeError, match='"dense" has never been called on a symbolic tensor'):
        model.layers[0].output
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.fit(x[:256], y[:256], epochs=1, batch_size=32, verbose=0, seed=0)

    assert model.input.shape == (None, 64) and model.inputs == [model.input]
    assert model.output is model.layers[-1].output and model.outputs == [model.output]
    assert model.layers[0].input is model.input and model.layers[1].input is model.layers[0].output
    assert (model.layers[0].input_shape, model.layers[0].output_shape) == ((None, 64), (None, 32))
    hidden = Model(model.input, model.layers[0].output).predict(x_test)
    np.testing.assert_allclose(hidden, model.layers[0](x_test).numpy(), rtol=1e-5, atol=1e-6)


def test_adding_and_popping_layers_keeps_one_graph_call_per_layer():
    inputs = Input(shape=(4,), name="features")
    model = models.Sequential([inputs, layers.Dense(3, name="first")])
    model.add(layers.Dense(2, name="second"))  # each add rebuilds the model: its earlier graph is replaced
    assert model.input is inputs.output  # the Input it was given, as Keras' model.input
    assert [len(layer._inbound_nodes) for layer in model.layers] == [1, 1]
    assert model.layers[1].input is model.layers[0].output and model.output is model.layers[1].output

    second = model.pop()
    assert model.output is model.layers[0].output
    with pytest.raises(AttributeError, match='"second" has never been called on a symbolic tensor'):
        second.output  # popping undoes the call, so the layer can join another model unshared
    model.build((None, 4))
    assert len(model.layers[0]._inbound_nodes) == 1


def test_feature_extraction_from_a_functional_model_with_several_outputs(digit_images):
    _, (x_test, _) = digit_images
    x_test = x_test.reshape(-1, 64)
    image = Input(shape=(64,), name="image")
    features = layers.Dense(16, activation="relu", name="features")(image)
    digit = layers.Dense(10, activation="softmax", name="digit")(features)
    ink = layers.Dense(1, name="ink")(features)
    model = Model({"pixels": image}, {"digit": digit, "ink": ink})
    assert model.input == {"pixels": image.output} and model.output == {"digit": digit, "ink": ink}
    assert model.get_layer("features").output is features and model.get_layer("digit").input is features

    extractor = Model(inputs=model.input, outputs=[model.get_layer(name).output for name in ("features", "ink")])
    found_features, found_ink = extractor.predict({"pixels": x_test})
    assert found_features.shape == (360, 16) and found_ink.shape == (360, 1)
    by_hand = model.get_layer("features")(x_test)
    np.testing.assert_allclose(found_features, by_hand.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(found_ink, model.get_layer("ink")(by_hand).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(found_ink, model.predict(x_test)["ink"])  # same layers, same batches


def test_a_shared_layer_asks_which_call_with_get_output_at():
    shared = layers.Dense(4, name="shared")
    left, right = Input(shape=(3,), name="left"), Input(shape=(3,), name="right")
    left_code, right_code = shared(left), shared(right)
    with pytest.raises(AttributeError, match=r'"shared" has been called 2 times .* Use layer.get_output_at\(i\)'):
        shared.output
    with pytest.raises(AttributeError, match=r"Use layer.get_input_at\(i\)"):
        shared.input
    assert shared.get_output_at(0) is left_code and shared.get_output_at(1) is right_code
    assert shared.get_input_at(1) is right.output
    assert shared.output_shape == (None, 4)  # both calls agree on it
    with pytest.raises(ValueError, match='"shared" has been called 2 time.* no call 2'):
        shared.get_output_at(2)
    model = Model([left, right], layers.subtract([left_code, right_code]))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert model.input == [left.output, right.output]
    code = Model(right, shared.get_output_at(1)).predict(x + 1)  # the second call reads "right"
    np.testing.assert_allclose(code, shared(x + 1).numpy(), rtol=1e-5, atol=1e-6)

    sequences = layers.Dense(2, name="per_step")
    sequences(Input(shape=(None, 3))), sequences(Input(shape=(5, 3)))
    with pytest.raises(AttributeError, match=r"different output shapes \[\(None, None, 2\), \(None, 5, 2\)\]"):
        sequences.output_shape

    # a model called inside another graph is ONE call of the model (Keras 3): its layers are not called again,
    # so their outputs stay unambiguous, and the model itself answers get_output_at
    encoder = models.Sequential([layers.Dense(2, input_shape=(3,), name="encode")])
    Model(left, encoder(left)), Model(right, encoder(right))
    assert encoder.layers[0].output is encoder.output
    assert encoder.get_output_at(0).node.inputs == [left.output]
    assert encoder.get_output_at(1).node.inputs == [right.output]


def test_misplaced_layers_are_refused_with_a_reason():
    dense = layers.Dense(3, name="dense_on_data")
    dense(np.ones((2, 4), dtype=np.float32))  # built on data: no graph
    with pytest.raises(AttributeError, match='"dense_on_data" has never been called on a symbolic tensor'):
        dense.output
    assert not hasattr(dense, "input")
    inputs = Input(shape=(4,))
    hidden = dense(inputs)
    with pytest.raises(TypeError, match=r'Got the layer "dense_on_data" where a tensor was expected.*dense_on_data'
                                        r"\.output"):
        layers.Dense(2)(dense)
    with pytest.raises(TypeError, match="where a tensor was expected"):
        Model(inputs, dense)
    assert Model(inputs, dense.output).output is hidden
    assert inputs.input is inputs.output and inputs.output_shape == (None, 4)  # an Input is its own tensor
