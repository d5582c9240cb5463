"""SimpleRNN, LSTM and GRU: Keras' weights and parameter counts, PyTorch parity (values and gradients), errors, and
learning the digits read row by row."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers, models, optimizers
from pydl.datasets import load_digits
from tests.layers.torch_twins import CLOSE, assert_same_weight_gradients, torch_twin
from tests.learning import assert_at_least

RECURRENT = [layers.SimpleRNN, layers.LSTM, layers.GRU]


@pytest.mark.parametrize("cls, features, expected", [
    (layers.SimpleRNN, 32, 2080), (layers.LSTM, 32, 8320), (layers.GRU, 32, 6336), (layers.SimpleRNN, 8, 1312),
    (layers.LSTM, 8, 5248), (layers.GRU, 8, 4032),
])
def test_parameter_counts_match_keras(cls, features, expected):
    layer = cls(32)
    layer.build((None, None, features))
    assert layer.count_params() == expected


def test_gru_without_reset_after_has_keras_2_layout():
    layer = layers.GRU(32, reset_after=False)
    layer.build((None, None, 32))
    assert layer.bias.shape == (96,) and layer.count_params() == 6240


@pytest.mark.parametrize("cls, gates", [(layers.SimpleRNN, 1), (layers.LSTM, 4), (layers.GRU, 3)])
def test_weight_layout_and_default_initializers(cls, gates):
    pydl.seed(0)
    layer = cls(16)
    layer.build((None, 10, 5))
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert layer.kernel.shape == (5, gates * 16) and layer.recurrent_kernel.shape == (16, gates * 16)
    limit = np.sqrt(6 / (5 + gates * 16))  # glorot_uniform over the fused kernel, as in Keras
    assert 0.9 * limit < np.abs(layer.kernel.numpy()).max() <= limit
    recurrent = layer.recurrent_kernel.numpy().astype(np.float64)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(16), atol=1e-5)  # orthogonal rows


def test_lstm_forget_gate_bias_starts_at_one():
    layer = layers.LSTM(4)
    layer.build((None, None, 3))
    assert layer.bias.numpy().tolist() == [0.0] * 4 + [1.0] * 4 + [0.0] * 8
    plain = layers.LSTM(4, unit_forget_bias=False)
    plain.build((None, None, 3))
    assert not plain.bias.numpy().any()


@pytest.mark.parametrize("cls", RECURRENT)
def test_output_shapes_and_any_number_of_timesteps(cls):
    last, every = cls(6), cls(6, return_sequences=True)
    assert last(np.zeros((2, 7, 3))).shape == (2, 6) and every(np.zeros((2, 7, 3))).shape == (2, 7, 6)
    assert last(np.zeros((4, 2, 3))).shape == (4, 6)  # built for 7 steps, any length works later
    assert last.compute_output_shape((None, 7, 3)) == (None, 6)
    assert every.compute_output_shape((None, None, 3)) == (None, None, 6)


@pytest.mark.parametrize("cls", RECURRENT)
def test_wrong_input_rank_or_feature_count_names_the_layer_and_shapes(cls):
    layer = cls(4, name="rnn")
    with pytest.raises(ValueError, match=r'"rnn" expects 3-D input \(batch, timesteps, features\).*\(None, 8\)'):
        layer(np.zeros((2, 8)))
    layer(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r'"rnn" expects input shape \(None, None, 3\), but got \(2, 5, 4\)'):
        layer(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="without timesteps"):
        layer(np.zeros((2, 0, 3)))


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("cls", RECURRENT)
def test_matches_torch_values_and_gradients(cls, return_sequences):
    rng = np.random.default_rng(0)
    layer = cls(5, return_sequences=return_sequences, dtype="float64", bias_initializer="random_normal")
    x = pydl.tensor(rng.standard_normal((3, 6, 4)), requires_grad=True)
    out = layer(x)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)

    module = torch_twin(layer)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    t_out = module(tx)[0]
    t_out = t_out if return_sequences else t_out[:, -1]
    t_out.backward(torch.tensor(upstream))

    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **CLOSE)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **CLOSE)
    assert_same_weight_gradients(module, layer)


def test_gru_without_reset_after_follows_keras_2_formula():
    """reset_after=False has no torch twin; check one step against the formula written out in NumPy."""
    rng = np.random.default_rng(1)
    layer = layers.GRU(3, reset_after=False, dtype="float64", bias_initializer="random_normal")
    x = rng.standard_normal((2, 1, 4))
    out = layer(x).numpy()
    kernel, recurrent, bias = layer.get_weights()
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    x_z, x_r, x_h = np.split(x[:, 0] @ kernel + bias, 3, axis=1)
    h = np.zeros((2, 3))
    z, r = sigmoid(x_z + h @ recurrent[:, :3]), sigmoid(x_r + h @ recurrent[:, 3:6])
    expected = z * h + (1 - z) * np.tanh(x_h + (r * h) @ recurrent[:, 6:])
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("cls", RECURRENT)
def test_config_round_trip(cls):
    layer = cls(7, return_sequences=True, use_bias=False, kernel_regularizer="l2", name="seq")
    config = layer.get_config()
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is cls and clone.get_config() == config
    assert config["recurrent_initializer"] == {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}}


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_learns_digits_read_row_by_row(cls):
    """Each 8x8 digit is a sequence of 8 rows of 8 pixels; the held-out 360 images are never trained on."""
    (x_train, y_train), (x_test, y_test) = load_digits()
    x_train, x_test = x_train.astype("float32") / 16, x_test.astype("float32") / 16
    pydl.seed(0)
    model = models.Sequential([layers.Input((8, 8)), cls(32), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert_at_least(accuracy, 0.9, f"{cls.__name__}: test accuracy")
