"""Layer.add_loss and compile(loss=None): added losses join the training loss as in Keras 3 (the same weights after
several steps, float64), start afresh at every forward pass, count in evaluate, and a model trains on them alone."""

import numpy as np
import pytest

import pydl
from pydl import layers, models
from tests.models.keras_reference import keras_in_float64

RATE = 0.05


class ActivityPenalty(layers.Layer):
    """Adds ``factor * sum(x ** 2)`` of what passes through: the add_loss example of Keras' own documentation."""

    def __init__(self, factor=0.01, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs, training=None):
        self.add_loss(self.factor * (inputs * inputs).sum())
        return inputs


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3))
    return x, x @ np.array([[1.0], [-1.0], [2.0]])


def _pydl_model(loss="mse", factor=0.01):
    pydl.backend.set_floatx("float64")
    pydl.seed(0)
    model = models.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), ActivityPenalty(factor),
                               layers.Dense(1)])
    model.compile(optimizer=pydl.optimizers.SGD(learning_rate=RATE), loss=loss)
    return model


def test_added_losses_train_as_in_keras_3():
    with keras_in_float64() as keras:
        _train_alongside_keras(keras)


def _train_alongside_keras(keras):
    x, y = _data()
    ours = _pydl_model()

    class KerasActivityPenalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * keras.ops.sum(inputs * inputs))
            return inputs

    theirs = keras.Sequential([keras.Input((3,), dtype="float64"),
                               keras.layers.Dense(4, activation="tanh", dtype="float64"),
                               KerasActivityPenalty(dtype="float64"), keras.layers.Dense(1, dtype="float64")])
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=RATE), loss="mse")
    theirs.set_weights(ours.get_weights())
    for step in range(4):
        window = slice(4 * step, 4 * step + 4)
        loss = ours.train_on_batch(x[window], y[window])
        keras_loss = float(theirs.train_on_batch(x[window], y[window]))
        assert loss == pytest.approx(keras_loss, rel=1e-6)  # Keras reports the loss through a float32 tracker
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-12, atol=1e-14)


def test_added_losses_start_afresh_at_every_pass_and_count_in_evaluate():
    x, y = _data()
    model = _pydl_model()
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    assert len(model.losses) == 1  # this pass's penalty only, not one per pass so far
    hidden = np.tanh(x @ model.layers[0].get_weights()[0] + model.layers[0].get_weights()[1])
    prediction = model.predict(x)
    expected = np.mean((prediction - y) ** 2) + 0.01 * np.sum(hidden ** 2)
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-12)
    assert float(model.losses[0].data) == pytest.approx(0.01 * np.sum(hidden ** 2), rel=1e-12)


def test_a_model_compiled_with_loss_none_trains_on_its_added_losses_alone():
    x, _ = _data()
    model = _pydl_model(loss=None, factor=0.5)
    before = model.evaluate(x, verbose=0)
    history = model.fit(x, None, epochs=5, batch_size=4, validation_data=(x, None), verbose=0)
    assert sorted(history.history) == ["loss", "val_loss"]
    # the penalty sums over a batch, so evaluate in the batches of 4 that validation used
    assert history.history["val_loss"][-1] == model.evaluate(x, batch_size=4, verbose=0)
    after = model.evaluate(x, verbose=0)
    assert after < 0.5 * before, (before, after)  # the only loss is the penalty: it shrinks
    model.fit(x, epochs=1, verbose=0)  # y left out altogether, as the book's VAE does
    expected = model.evaluate(x, batch_size=16, verbose=0)
    assert model.train_on_batch(x) == pytest.approx(expected, rel=1e-12)


def test_missing_losses_and_targets_are_refused_by_name():
    x, y = _data()
    plain = models.Sequential([layers.Dense(1, input_shape=(3,))])
    plain.compile("sgd", loss=None)
    with pytest.raises(ValueError, match='Model "sequential.*" has no loss to compute: it was compiled with loss=None'):
        plain.fit(x, epochs=1, verbose=0)
    needs = models.Sequential([layers.Dense(1, input_shape=(3,))])
    needs.compile("sgd", loss="mse")
    with pytest.raises(ValueError, match="fit\\(\\) needs targets y: the model was compiled with a loss"):
        needs.fit(x, verbose=0)
    measured = _pydl_model(loss=None)
    measured.compile("sgd", loss=None, metrics=["mae"])
    with pytest.raises(ValueError, match="no targets y, but the model was compiled with metrics"):
        measured.fit(x, verbose=0)
    measured.fit(x, y, epochs=1, verbose=0)  # with targets, the metrics have something to compare
    with pytest.raises(TypeError, match='Layer "dense.*": add_loss\\(\\) takes a Tensor'):
        layers.Dense(1).add_loss(0.5)


def test_a_model_compiled_with_loss_none_saves_and_loads(tmp_path):
    x, _ = _data()
    model = _pydl_model(loss=None)
    model.fit(x, epochs=1, verbose=0)
    model.save(tmp_path / "penalty.pydl")
    loaded = models.load_model(tmp_path / "penalty.pydl")  # a Layer subclass registers itself
    assert loaded.loss is None
    assert loaded.evaluate(x, verbose=0) == model.evaluate(x, verbose=0)
