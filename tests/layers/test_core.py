"""Input, Dense, Activation, Dropout, Flatten, Reshape."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers


def _float64(layer, *shape, seed=0):
    """Build ``layer`` in float64 and return a float64 input (away from relu's kink) that requires grad."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x = pydl.tensor(np.where(np.abs(x) < 0.1, 0.5, x), requires_grad=True)
    layer(x)
    return x


def test_input_carries_the_shape():
    placeholder = layers.Input(shape=(784,))
    assert placeholder.shape == (None, 784) and placeholder.compute_output_shape() == (None, 784)
    assert placeholder.name == "input_layer" and placeholder.count_params() == 0
    assert placeholder(np.ones((2, 784))).shape == (2, 784)
    with pytest.raises(ValueError, match=r"expects input shape \(None, 784\), but got \(2, 3\)"):
        placeholder(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape="):
        layers.Input()


def test_dense_has_keras_parameter_count_and_output_shape():
    layer = layers.Dense(512, activation="relu")
    layer.build((None, 784))
    assert layer.count_params() == 401_920 and layer.compute_output_shape((None, 784)) == (None, 512)
    assert layers.Dense(3).compute_output_shape((None, 5, 7)) == (None, 5, 3)


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu"])
def test_dense_gradients_match_finite_differences(activation):
    layer = layers.Dense(3, activation=activation, dtype="float64")
    x = _float64(layer, 4, 5)
    assert pydl.gradcheck(lambda x, k, b: layer(x), [x, layer.kernel, layer.bias])


def test_dense_matches_torch_linear():
    layer = layers.Dense(4, activation="tanh", dtype="float64")
    x = _float64(layer, 6, 3, seed=1)
    out = layer(x)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(g)
    linear = torch.nn.Linear(3, 4).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(layer.kernel.numpy().T))
        linear.bias.copy_(torch.tensor(layer.bias.numpy()))
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tout = torch.tanh(linear(tx))
    tout.backward(torch.tensor(g))
    close = dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), **close)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **close)
    np.testing.assert_allclose(layer.kernel.grad, linear.weight.grad.numpy().T, **close)
    np.testing.assert_allclose(layer.bias.grad, linear.bias.grad.numpy(), **close)


def test_dense_on_3d_input_and_without_bias():
    layer = layers.Dense(2, use_bias=False, dtype="float64")
    x = _float64(layer, 2, 3, 4)
    assert layer.weights == [layer.kernel] and layer(x).shape == (2, 3, 2)
    assert pydl.gradcheck(lambda x, k: layer(x), [x, layer.kernel])


def test_activation_layer_by_name_and_callable():
    x = pydl.tensor([[-2.0, 0.5]])
    assert layers.Activation("relu")(x).tolist() == [[0.0, 0.5]]
    assert layers.Activation(lambda t: t * 2)(x).tolist() == [[-4.0, 1.0]]
    with pytest.raises(ValueError, match="Valid names"):
        layers.Activation("swishy")


def test_dropout_is_inverted_seeded_and_the_identity_at_inference():
    x = np.ones((200, 50))
    layer = layers.Dropout(0.25, seed=3)
    assert np.array_equal(layer(x).numpy(), x) and np.array_equal(layer(x, training=False).numpy(), x)
    out = layer(x, training=True).numpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02 and abs(out.mean() - 1.0) < 0.03  # expectation preserved
    again = layers.Dropout(0.25, seed=3)(x, training=True).numpy()
    assert np.array_equal(out, again)
    pydl.seed(7)
    first = layers.Dropout(0.5)(x, training=True).numpy()
    pydl.seed(7)
    assert np.array_equal(first, layers.Dropout(0.5)(x, training=True).numpy())


def test_dropout_gradient_uses_the_same_mask():
    x = pydl.tensor(np.ones((4, 6)), requires_grad=True)
    out = layers.Dropout(0.5, seed=1, dtype="float64")(x, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.numpy())  # d(x * mask / 0.5)/dx = mask / 0.5 = out for x = 1


def test_dropout_noise_shape_broadcasts_and_rate_is_checked():
    out = layers.Dropout(0.5, noise_shape=(None, 1), seed=0)(np.ones((8, 5)), training=True).numpy()
    assert all(len(set(row)) == 1 for row in out)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        layers.Dropout(1.0)


def test_flatten_and_reshape():
    x = pydl.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Flatten().compute_output_shape((None, 5, 5, 64)) == (None, 1600)
    reshape = layers.Reshape((4, -1))
    assert reshape(x).shape == (2, 4, 3) and reshape.compute_output_shape((None, 3, 4)) == (None, 4, 3)
    assert layers.Reshape((28, 28, 1)).compute_output_shape((None, 784)) == (None, 28, 28, 1)
    layers.Flatten()(x).sum().backward()
    assert x.grad.shape == (2, 3, 4)
