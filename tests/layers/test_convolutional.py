"""Conv2D: Keras' shapes, finite differences and PyTorch parity."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pydl
from pydl import layers
from pydl.ops.conv import same_padding


def test_keras_shapes():
    x = np.zeros((2, 28, 28, 1))
    assert layers.Conv2D(32, 3)(x).shape == (2, 26, 26, 32)
    assert layers.Conv2D(32, 3, padding="same")(x).shape == (2, 28, 28, 32)
    assert layers.Conv2D(32, 3, strides=2, padding="same")(x).shape == (2, 14, 14, 32)
    layer = layers.Conv2D(32, 3)
    layer.build((None, 28, 28, 1))
    assert layer.kernel.shape == (3, 3, 1, 32) and layer.count_params() == 320
    assert layer.compute_output_shape((None, 28, 28, 1)) == (None, 26, 26, 32)


def test_wrong_rank_or_channels_are_named_errors():
    with pytest.raises(ValueError, match='"conv2d" expects 4-D input'):
        layers.Conv2D(2, 3)(np.zeros((2, 28, 28)))
    layer = layers.Conv2D(2, 3)
    layer(np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"\(None, 8, 8, 3\), but got \(1, 8, 8, 1\)"):
        layer(np.zeros((1, 8, 8, 1)))
    with pytest.raises(ValueError, match="padding"):
        layers.Conv2D(2, 3, padding="full")


@pytest.mark.parametrize("strides, padding, activation", [
    (1, "valid", None), (1, "same", "tanh"), (2, "valid", "sigmoid"), (2, "same", None)])
def test_gradients_match_finite_differences(strides, padding, activation):
    layer = layers.Conv2D(3, 3, strides=strides, padding=padding, activation=activation, dtype="float64")
    x = pydl.tensor(np.random.default_rng(0).standard_normal((2, 6, 5, 2)), requires_grad=True)
    layer(x)
    assert pydl.gradcheck(lambda x, k, b: layer(x), [x, layer.kernel, layer.bias])


@pytest.mark.parametrize("strides, padding, dilation", [
    (1, "valid", 1), (1, "same", 1), (2, "valid", 1), (2, "same", 1),
    (1, "valid", 2), (1, "same", (2, 3)), (2, "same", (3, 2)), ((1, 2), "valid", (2, 1))])
def test_matches_torch_conv2d(strides, padding, dilation):
    rng = np.random.default_rng(1)
    layer = layers.Conv2D(4, (3, 2), strides=strides, padding=padding, dilation_rate=dilation, dtype="float64",
                          bias_initializer="random_normal")
    x = pydl.tensor(rng.standard_normal((2, 7, 6, 3)), requires_grad=True)
    out = layer(x)
    g = rng.standard_normal(out.shape)
    out.backward(g)

    conv = torch.nn.Conv2d(3, 4, (3, 2), stride=strides, dilation=dilation).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(layer.kernel.numpy().transpose(3, 2, 0, 1)))  # (kh,kw,I,O) -> (O,I,kh,kw)
        conv.bias.copy_(torch.tensor(layer.bias.numpy()))
    tx = torch.tensor(x.numpy().transpose(0, 3, 1, 2).copy(), requires_grad=True)
    padded = tx
    if padding == "same":
        (dh, dw), (sh, sw) = layer.dilation_rate, layer.strides
        (top, bottom), (left, right) = same_padding(7, 2 * dh + 1, sh), same_padding(6, dw + 1, sw)
        padded = F.pad(tx, (left, right, top, bottom))
    tout = conv(padded)
    tout.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))

    close = dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy().transpose(0, 2, 3, 1), **close)
    np.testing.assert_allclose(x.grad, tx.grad.numpy().transpose(0, 2, 3, 1), **close)
    np.testing.assert_allclose(layer.kernel.grad, conv.weight.grad.numpy().transpose(2, 3, 1, 0), **close)
    np.testing.assert_allclose(layer.bias.grad, conv.bias.grad.numpy(), **close)


def test_dilation_rate_shapes_config_and_errors():
    layer = layers.Conv2D(8, 3, dilation_rate=(2, 3), name="dilated")
    assert layer.compute_output_shape((None, 28, 28, 1)) == (None, 24, 22, 8)  # spans 5 and 7
    assert layer(np.zeros((1, 28, 28, 1))).shape == (1, 24, 22, 8) and layer.count_params() == 80
    assert layers.Conv2D(8, 3, strides=2, padding="same", dilation_rate=2).compute_output_shape(
        (None, 9, 9, 1)) == (None, 5, 5, 8)
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.dilation_rate == (2, 3) and clone.get_config() == layer.get_config()
    assert layers.Conv2D(2, 3).get_config()["dilation_rate"] == [1, 1]
    with pytest.raises(ValueError, match="dilation_rate must be >= 1"):
        layers.Conv2D(2, 3, dilation_rate=0)
    with pytest.raises(ValueError, match=r"smaller than the window \(5, 5\)"):
        layers.Conv2D(2, 3, dilation_rate=2)(np.zeros((1, 4, 6, 1)))


def test_kernel_initializer_uses_conv_fans():
    layer = layers.Conv2D(64, 3, kernel_initializer=pydl.initializers.GlorotUniform(seed=0))
    layer.build((None, 13, 13, 32))
    limit = np.sqrt(6 / (3 * 3 * 32 + 3 * 3 * 64))
    assert np.abs(layer.kernel.numpy()).max() <= limit and np.abs(layer.kernel.numpy()).max() > 0.95 * limit
