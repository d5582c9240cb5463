"""dropout and recurrent_dropout on SimpleRNN, LSTM and GRU: one mask per sequence, the same at every timestep,
drawn only in training; checked arguments and config; a model still learns the digits with them."""

import math

import numpy as np
import pytest

import pydl
from pydl import layers, models, optimizers
from pydl.datasets import load_digits
from tests.learning import assert_at_least

RECURRENT = [layers.SimpleRNN, layers.LSTM, layers.GRU]


def _x(shape=(16, 6, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _float64_pair(cls, **dropout):
    """A float64 layer with ``dropout`` and a twin without it holding the same weights."""
    with_dropout, plain = cls(5, dtype="float64", **dropout), cls(5, dtype="float64")
    with_dropout(_x()), plain(_x())
    plain.set_weights(with_dropout.get_weights())
    return with_dropout, plain


@pytest.mark.parametrize("argument", ["dropout", "recurrent_dropout"])
@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5, math.nan])
def test_rates_outside_0_1_are_refused_naming_the_layer_and_the_value(argument, value):
    with pytest.raises(ValueError, match=rf'"rnn" \(LSTM\): {argument} must be in \[0, 1\), got {value}'):
        layers.LSTM(4, name="rnn", **{argument: value})


@pytest.mark.parametrize("cls", RECURRENT)
def test_config_round_trip_keeps_the_rates_and_the_seed(cls):
    layer = cls(3, dropout=0.25, recurrent_dropout=0.5, seed=7)
    config = layers.serialize(layer)["config"]
    assert (config["dropout"], config["recurrent_dropout"], config["seed"]) == (0.25, 0.5, 7)
    assert layers.deserialize(layers.serialize(layer)).get_config() == layer.get_config()
    assert (cls(3).dropout, cls(3).recurrent_dropout, cls(3).seed) == (0.0, 0.0, None)  # Keras' defaults


@pytest.mark.parametrize("cls", RECURRENT)
def test_inference_ignores_dropout_and_training_uses_it(cls):
    layer, plain = _float64_pair(cls, dropout=0.5, recurrent_dropout=0.5)
    expected = plain(_x()).numpy()
    for training in (None, False):
        np.testing.assert_array_equal(layer(_x(), training=training).numpy(), expected)
    assert not np.allclose(layer(_x(), training=True).numpy(), expected)


@pytest.mark.parametrize("cls", RECURRENT)
def test_zero_rates_draw_nothing_in_training(cls):
    """dropout=0 is the layer without dropout: not even the random stream (shuffles, other masks) moves."""
    layer, plain = _float64_pair(cls, dropout=0.0, recurrent_dropout=0.0)
    before = pydl.random.get_generator().bit_generator.state
    np.testing.assert_array_equal(layer(_x(), training=True).numpy(), plain(_x()).numpy())
    assert pydl.random.get_generator().bit_generator.state == before


def _identity_rnn(**dropout):
    """A linear SimpleRNN with identity kernels and no bias: h_t = x_t + h_{t-1}, with the masks applied."""
    layer = layers.SimpleRNN(4, activation="linear", use_bias=False, return_sequences=True, dtype="float64",
                             **dropout)
    layer.build((None, None, 4))
    layer.set_weights([np.eye(4), np.eye(4)])
    return layer


def test_the_input_mask_is_the_same_at_every_timestep():
    """With a zero recurrent kernel each output step is its input step times the mask: inputs of ones show it."""
    layer = _identity_rnn(dropout=0.5)
    layer.set_weights([np.eye(4), np.zeros((4, 4))])
    out = layer(np.ones((32, 6, 4)), training=True).numpy()
    assert set(np.unique(out)) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 - 0.5)
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], 6, axis=1))  # the same mask at every step
    assert len({tuple(row) for row in out[:, 0]}) > 1  # but not for every sequence


def test_the_recurrent_mask_is_the_same_at_every_timestep():
    """Input only at step 0, so h_t = (m * 2) ** t for a constant mask m: a unit dropped once stays at 0, a kept one
    doubles at every step. A mask redrawn per step would zero more and more units."""
    layer = _identity_rnn(recurrent_dropout=0.5)
    x = np.zeros((32, 6, 4))
    x[:, 0] = 1.0
    out = layer(x, training=True).numpy()
    kept = out[:, 1] == 2.0
    assert set(np.unique(out[:, 1])) == {0.0, 2.0}
    for t in range(1, 6):
        np.testing.assert_array_equal(out[:, t], np.where(kept, 2.0 ** t, 0.0))


def _record_recurrent_masks(layer):
    """Replace ``layer.step`` by a spy keeping, at each step after the first, recurrent_input / previous output.

    The layer runs its step-by-step definition (its fused op, checked equal to it in test_recurrent_fused.py, has
    no steps to spy on)."""
    ratios, step = [], layer.step
    layer._fused_sequence = lambda projected, recurrent_mask: None

    def spy(projected_input, states, recurrent_input):
        previous = states[0].numpy()
        if previous.any():
            ratios.append(recurrent_input.numpy() / previous)
        return step(projected_input, states, recurrent_input)

    layer.step = spy
    return ratios


@pytest.mark.parametrize("cls", RECURRENT)
def test_every_layer_drops_the_same_units_at_every_step(cls):
    layer = cls(6, dropout=0.5, recurrent_dropout=0.4, dtype="float64", bias_initializer="random_normal")
    x = pydl.tensor(_x((8, 5, 4)), requires_grad=True)
    ratios = _record_recurrent_masks(layer)
    layer(x, training=True).sum().backward()
    # Inputs: a dropped feature of a sequence gets no gradient at any step, a kept one at every step.
    reached = x.grad != 0
    assert np.array_equal(reached, np.repeat(reached[:, :1], 5, axis=1)) and 0 < reached.mean() < 1
    # Fed-back state: one mask of 0 and 1 / (1 - 0.4) for all steps.
    assert len(ratios) == 4
    assert np.allclose(np.unique(ratios[0].round(9)), [0.0, 1 / 0.6])
    for ratio in ratios[1:]:
        np.testing.assert_allclose(ratio, ratios[0])


@pytest.mark.parametrize("cls", RECURRENT)
def test_masks_change_between_calls_and_repeat_with_a_seed(cls):
    layer = cls(5, dropout=0.3, recurrent_dropout=0.3)
    first, second = (layer(_x(), training=True).numpy() for _ in range(2))
    assert not np.array_equal(first, second)
    pydl.seed(4)
    again = layer(_x(), training=True).numpy()
    pydl.seed(4)
    np.testing.assert_array_equal(layer(_x(), training=True).numpy(), again)
    seeded = [cls(5, dropout=0.3, recurrent_dropout=0.3, seed=9) for _ in range(2)]
    seeded[0](_x()), seeded[1](_x())
    seeded[1].set_weights(seeded[0].get_weights())
    np.testing.assert_array_equal(*(layer(_x(), training=True).numpy() for layer in seeded))


def _one_epoch_weights(rate, seed):
    """The LSTM's weights after one unshuffled epoch from the same start, with dropout masks from ``seed``."""
    x, y = _x((64, 6, 4)).astype("float32"), np.arange(64) % 2
    pydl.seed(0)
    model = models.Sequential([layers.Input((6, 4)), layers.LSTM(5, dropout=rate, recurrent_dropout=rate),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0, seed=seed)
    return model.layers[0].get_weights(), model, x


def test_fit_draws_masks_while_predict_and_evaluate_are_deterministic():
    dropped = [_one_epoch_weights(0.4, seed)[0] for seed in (1, 2)]
    assert not np.array_equal(dropped[0][0], dropped[1][0])  # the masks, drawn from the seed, changed training
    plain = [_one_epoch_weights(0.0, seed)[0] for seed in (1, 2)]
    np.testing.assert_array_equal(plain[0][0], plain[1][0])  # no dropout: nothing random in an unshuffled fit
    _, model, x = _one_epoch_weights(0.4, 1)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    y = np.arange(64) % 2
    assert model.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_learns_digits_read_row_by_row_with_dropout(cls):
    """Each 8x8 digit is 8 timesteps of 8 pixels; the 360 held-out images are never trained on."""
    (x_train, y_train), (x_test, y_test) = load_digits()
    x_train, x_test = x_train.astype("float32") / 16, x_test.astype("float32") / 16
    pydl.seed(0)
    model = models.Sequential([layers.Input((8, 8)), cls(32, dropout=0.2, recurrent_dropout=0.2),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=12, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert_at_least(accuracy, 0.85, "recurrent dropout: test accuracy")
