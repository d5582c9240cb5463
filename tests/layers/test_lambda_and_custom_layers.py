"""Lambda layers (shape inference, list inputs, refusal to save code) and custom layers written as in the book
(subclass Layer: build with add_weight, call, compute_output_shape, get_config), in Sequential and functional
models, trained and saved."""

import numpy as np
import pytest

import pydl
from pydl import Input, Model, layers, models
from pydl import keras_backend as K
from tests.learning import assert_at_least

RNG = np.random.default_rng(0)


def test_lambda_infers_its_output_shape_and_computes_the_function():
    x = Input(shape=(6, 4))
    y = layers.Lambda(lambda t: pydl.mean(t[:, ::2], axis=1) * 2.0)(x)
    assert y.shape == (None, 4)
    data = RNG.standard_normal((3, 6, 4)).astype("float32")
    np.testing.assert_array_equal(Model(x, y)(data).numpy(), data[:, ::2].mean(axis=1) * 2.0)


def test_lambda_on_a_list_as_the_vae_sampling_step_with_arguments():
    def sampling(args, scale):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(K.shape(z_mean)[0], 2), seed=0)
        return z_mean + pydl.exp(z_log_var) * epsilon * scale

    inputs = Input(shape=(5,))
    z_mean, z_log_var = layers.Dense(2)(inputs), layers.Dense(2)(inputs)
    z = layers.Lambda(sampling, arguments={"scale": 0.0})([z_mean, z_log_var])
    assert z.shape == (None, 2)
    model = Model(inputs, [z, z_mean])
    out, mean = model(RNG.standard_normal((4, 5)))
    np.testing.assert_array_equal(out.numpy(), mean.numpy())  # scale 0: the noise vanishes


def test_lambda_output_shape_given_as_a_shape_or_a_function():
    x = Input(shape=(3,))
    assert layers.Lambda(lambda t: t * 2, output_shape=(3,))(x).shape == (None, 3)
    assert layers.Lambda(lambda t: t[:, :1], output_shape=lambda s: (s[0], 1))(x).shape == (None, 1)


def test_lambda_keeps_integer_inputs_integer():
    tokens = Input(shape=(4,), dtype="int64")
    doubled = layers.Lambda(lambda t: t * 2)(tokens)
    assert doubled.dtype == "int64"
    assert Model(tokens, doubled)(np.arange(8).reshape(2, 4)).numpy().tolist() == [[0, 2, 4, 6], [8, 10, 12, 14]]


def test_a_model_with_a_lambda_is_refused_on_save_naming_the_function(tmp_path):
    def square_it(t):
        return t * t

    x = Input(shape=(3,))
    model = Model(x, layers.Dense(2)(layers.Lambda(square_it)(x)))
    path = tmp_path / "lambda.pydl"
    with pytest.raises(TypeError, match=r"Lambda layer \"lambda\" holds Python code.*square_it.*Layer subclass"):
        model.save(path)
    assert not path.exists()
    with pytest.raises((TypeError, ValueError), match="never runs code"):
        layers.deserialize({"class_name": "Lambda", "config": {"name": "x"}})
    with pytest.raises(TypeError, match="holds Python code"):
        model.save_weights(tmp_path / "w.pydl")  # pydl's weights file carries the architecture too
    twin = Model(x, layers.Dense(2)(layers.Lambda(square_it)(x)))
    twin.set_weights(model.get_weights())  # the way to move its weights: rebuild the model in code
    np.testing.assert_array_equal(twin(np.ones((1, 3))).numpy(), model(np.ones((1, 3))).numpy())


def test_a_lambda_that_fails_on_its_input_names_itself_and_the_shape():
    with pytest.raises(ValueError, match=r"Lambda layer \"lambda\" \(<lambda>\).*\(None, 3\)"):
        layers.Lambda(lambda t: t @ pydl.tensor(np.ones((4, 2), dtype="float32")))(Input(shape=(3,)))


class Antirectifier(layers.Layer):
    """The Keras example's custom layer: concatenate(relu(x - mean), relu(mean - x)), normalised, after a
    learned scale (a weight made in build), with its shape rule and config."""

    def __init__(self, initial_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_scale = initial_scale

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")
        super().build(input_shape)

    def call(self, inputs, training=None):
        centred = (inputs - pydl.mean(inputs, axis=1, keepdims=True)) * self.scale * self.initial_scale
        both = pydl.concatenate([pydl.relu(centred), pydl.relu(-centred)], axis=1)
        return both / pydl.sqrt(pydl.sum(both * both, axis=1, keepdims=True) + 1e-7)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] * 2)

    def get_config(self):
        return {**super().get_config(), "initial_scale": self.initial_scale}


def _blobs(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0, 0.0, 1.0], [0.0, 2.0, 0.0, -1.0], [0.0, 0.0, 2.0, 0.5]])
    return centres[labels] + rng.normal(0, 0.7, (n, 4)), labels


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_a_custom_layer_trains_in_sequential_and_functional_models_and_saves(kind, tmp_path):
    pydl.backend.set_floatx("float64")
    if kind == "sequential":
        model = models.Sequential([Input((4,)), Antirectifier(name="anti"), layers.Dense(3, activation="softmax")])
    else:
        inputs = Input((4,))
        model = Model(inputs, layers.Dense(3, activation="softmax")(Antirectifier(name="anti")(inputs)))
    assert model.get_layer("anti").output_shape == (None, 8)
    assert model.get_layer("anti").count_params() == 4
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _blobs(600, 1)
    x_test, y_test = _blobs(300, 2)
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    # chance is 0.33; the nearest-centre rule scores about 0.9 on these blobs
    assert_at_least(accuracy, 0.80, f"held-out accuracy of a {kind} model with a custom layer")
    assert not np.allclose(model.get_layer("anti").scale.numpy(), 1.0)  # the custom weight trained
    model.save(tmp_path / "custom.pydl")
    restored = models.load_model(tmp_path / "custom.pydl")
    np.testing.assert_array_equal(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    assert type(restored.get_layer("anti")) is Antirectifier


class Doubler(layers.Layer):
    """A custom layer without compute_output_shape, as the book's often are: identity shape (Keras 2's rule)."""

    def call(self, inputs, training=None):
        return inputs * 2.0


def test_a_custom_layer_without_a_shape_rule_keeps_the_shape():
    x = Input(shape=(3, 2))
    assert Doubler()(x).shape == (None, 3, 2)
    lines = []
    Model(x, Doubler()(x)).summary(print_fn=lines.append)
    assert any(line.startswith("doubler_1 (Doubler)") for line in lines)


class PairGap(layers.Layer):
    """A book-style layer of the learner's own on a list, with ``call(self, inputs)`` and no training argument."""

    def call(self, inputs):
        a, b = inputs
        self.add_loss(((a - b) ** 2).mean())
        return a - b


def test_a_layer_of_ones_own_takes_a_list_and_a_call_without_training_in_graphs_and_on_data():
    a, b = layers.Input((3,)), layers.Input((3,))
    gap = PairGap()
    out = gap([a, b])
    assert out.shape == (None, 3)  # found by running call (the identity default would read two outputs)
    assert gap.losses == []  # the probe runs left no loss behind
    model = models.Model([a, b], layers.Dense(1)(out))
    model.compile(optimizer="sgd", loss="mse")
    x1, x2 = np.ones((4, 3)), np.zeros((4, 3))
    history = model.fit([x1, x2], np.zeros((4, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    np.testing.assert_allclose(PairGap()([x1, x2]).numpy(), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"expects input shapes \[\(None, 3\), \(None, 3\)\]"):
        gap([np.ones((4, 2)), np.ones((4, 2))])


def test_pydl_single_input_layers_still_refuse_a_list_with_a_pointer_to_merging():
    with pytest.raises(ValueError, match="takes one input, but was called on a list of 2.*concatenate"):
        layers.Dense(2)([layers.Input((3,)), layers.Input((3,))])
