"""Bidirectional: Keras' weights and parameter counts, PyTorch's bidirectional RNNs (values and gradients), config,
errors, and reading the digits in both directions."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers, models, optimizers
from pydl.datasets import load_digits
from tests.layers.torch_twins import CLOSE, assert_same_weight_gradients, torch_twin
from tests.learning import assert_at_least

RECURRENT = [layers.SimpleRNN, layers.LSTM, layers.GRU]
TORCH_MERGES = {"concat": lambda f, b: torch.cat([f, b], dim=-1), "sum": lambda f, b: f + b,
                "mul": lambda f, b: f * b, "ave": lambda f, b: (f + b) / 2}


@pytest.mark.parametrize("cls, features, expected", [
    (layers.LSTM, 32, 16640), (layers.GRU, 32, 12672), (layers.SimpleRNN, 32, 4160), (layers.LSTM, 8, 10496),
])
def test_parameter_counts_are_twice_the_wrapped_layers(cls, features, expected):
    layer = layers.Bidirectional(cls(32))
    layer.build((None, None, features))
    assert layer.count_params() == expected


def test_weights_are_the_forward_copy_then_the_backward_copy():
    layer = layers.Bidirectional(layers.LSTM(4, name="lstm"))
    layer(np.zeros((2, 3, 5)))
    assert [w.name for w in layer.weights] == [f"{direction}_lstm/{name}" for direction in ("forward", "backward")
                                               for name in ("kernel", "recurrent_kernel", "bias")]
    assert layer.forward_layer.kernel is layer.weights[0] and layer.backward_layer.bias is layer.weights[5]
    assert not layer.layer.built  # the wrapped layer is only a template, as in Keras
    assert not np.array_equal(layer.weights[0].numpy(), layer.weights[3].numpy())  # each copy drew its own


@pytest.mark.parametrize("merge_mode, return_sequences, expected", [
    ("concat", False, (None, 12)), ("concat", True, (None, 7, 12)), ("sum", True, (None, 7, 6)),
    ("mul", False, (None, 6)), ("ave", True, (None, 7, 6)),
])
def test_output_shapes(merge_mode, return_sequences, expected):
    layer = layers.Bidirectional(layers.GRU(6, return_sequences=return_sequences), merge_mode=merge_mode)
    assert layer.compute_output_shape((None, 7, 3)) == expected
    assert layer(np.zeros((2, 7, 3))).shape == (2,) + expected[1:]
    assert layer(np.zeros((4, 2, 3))).shape[0] == 4  # any number of timesteps later


@pytest.mark.parametrize("merge_mode", sorted(TORCH_MERGES))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cls", RECURRENT)
def test_matches_torch_bidirectional_values_and_gradients(cls, return_sequences, merge_mode):
    """torch's output holds both directions aligned per timestep; without return_sequences Keras keeps the forward
    half's last step and the backward half's first (the backward layer's last step)."""
    rng = np.random.default_rng(0)
    layer = layers.Bidirectional(cls(4, return_sequences=return_sequences, bias_initializer="random_normal",
                                     dtype="float64"), merge_mode=merge_mode)
    x = pydl.tensor(rng.standard_normal((3, 5, 2)), requires_grad=True)
    out = layer(x)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)

    module = torch_twin(layer.forward_layer, layer.backward_layer)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    forward, backward = module(tx)[0].split(4, dim=-1)
    if not return_sequences:
        forward, backward = forward[:, -1], backward[:, 0]
    t_out = TORCH_MERGES[merge_mode](forward, backward)
    t_out.backward(torch.tensor(upstream))

    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **CLOSE)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **CLOSE)
    assert_same_weight_gradients(module, layer.forward_layer, layer.backward_layer)


def test_config_round_trip_holds_the_wrapped_layers_config():
    inner = layers.LSTM(7, return_sequences=True, dropout=0.1, kernel_regularizer="l2", name="seq")
    layer = layers.Bidirectional(inner, merge_mode="ave", name="both_ways")
    config = layer.get_config()
    assert config["layer"] == layers.serialize(inner) and config["merge_mode"] == "ave"
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is layers.Bidirectional and clone.get_config() == config
    assert (clone.forward_layer.name, clone.backward_layer.name) == ("forward_seq", "backward_seq")
    assert clone.forward_layer.get_config() == {**inner.get_config(), "name": "forward_seq"}


def test_save_and_load_give_identical_predictions(tmp_path):
    x = np.random.default_rng(0).integers(0, 30, (6, 9))
    pydl.seed(0)
    model = models.Sequential([
        layers.Embedding(30, 8), layers.Bidirectional(layers.LSTM(4, return_sequences=True, dropout=0.2,
                                                                  recurrent_dropout=0.2)),
        layers.Bidirectional(layers.GRU(3), merge_mode="mul"), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((6, 2)), epochs=2, batch_size=3, verbose=0)
    model.save(tmp_path / "model.pydl")
    loaded = models.load_model(tmp_path / "model.pydl")
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_summary_first_layer_input_shape_and_freezing():
    model = models.Sequential([layers.Bidirectional(layers.LSTM(32, input_shape=(10, 32))), layers.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    row = next(line for line in lines if "(Bidirectional)" in line)
    assert "(None, 64)" in row and row.endswith("16,640")
    frozen = layers.Bidirectional(layers.GRU(3, kernel_regularizer="l2"), trainable=False)
    frozen.build((None, None, 2))
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 6
    assert not any(w.requires_grad for w in frozen.weights) and len(frozen.losses) == 2


def test_wrong_layer_or_merge_mode_is_refused():
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(3))
    with pytest.raises(ValueError, match="merge_mode must be one of 'concat', 'sum', 'mul', 'ave', got 'max'"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")


def _digits(blank_rows_after):
    """The 8x8 digits as 8 rows of 8 pixels in [0, 1], followed by ``blank_rows_after`` rows of zeros."""
    def rows(images):
        images = images.astype("float32") / 16
        return np.concatenate([images, np.zeros((len(images), blank_rows_after, 8), "float32")], axis=1)

    (x_train, y_train), (x_test, y_test) = load_digits()
    return rows(x_train), y_train, rows(x_test), y_test


def _held_out_accuracy(recurrent_layer, data):
    x_train, y_train, x_test, y_test = data
    pydl.seed(0)
    model = models.Sequential([layers.Input(x_train.shape[1:]), recurrent_layer,
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1]


def test_reading_digits_both_ways_matches_or_beats_one_way():
    data = _digits(blank_rows_after=0)
    one_way = _held_out_accuracy(layers.SimpleRNN(16), data)
    both_ways = _held_out_accuracy(layers.Bidirectional(layers.SimpleRNN(16)), data)
    assert_at_least(both_ways, 0.9, "bidirectional: test accuracy")
    assert both_ways >= one_way - 0.01


def test_the_backward_reader_rescues_a_digit_followed_by_blank_rows():
    """16 blank rows after the digit: a forward SimpleRNN must carry the digit through 16 steps and forgets much
    of it; the backward copy reads the blanks first and ends on the digit (why Keras pads text at the front)."""
    data = _digits(blank_rows_after=16)
    one_way = _held_out_accuracy(layers.SimpleRNN(16), data)
    both_ways = _held_out_accuracy(layers.Bidirectional(layers.SimpleRNN(16)), data)
    assert both_ways >= one_way + 0.05
