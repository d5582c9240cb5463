"""MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pydl
from pydl import layers


def _distinct(*shape, seed=0):
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) / 10.0
    return pydl.tensor(values, requires_grad=True)


@pytest.mark.parametrize("cls, pool, strides, padding, expected", [
    (layers.MaxPooling2D, 2, None, "valid", (None, 13, 13, 32)),
    (layers.MaxPooling2D, 2, None, "same", (None, 13, 13, 32)),
    (layers.MaxPooling2D, 3, 2, "valid", (None, 12, 12, 32)),
    (layers.AveragePooling2D, 2, None, "valid", (None, 13, 13, 32)),
    (layers.AveragePooling2D, 4, None, "same", (None, 7, 7, 32)),
])
def test_output_shapes(cls, pool, strides, padding, expected):
    layer = cls(pool, strides=strides, padding=padding)
    assert layer.compute_output_shape((None, 26, 26, 32)) == expected
    assert layer(np.zeros((2, 26, 26, 32))).shape == (2,) + expected[1:]


@pytest.mark.parametrize("cls", [layers.MaxPooling2D, layers.AveragePooling2D])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_gradients_match_finite_differences(cls, padding):
    layer = cls(2, padding=padding, dtype="float64")
    x = _distinct(2, 5, 5, 3)
    assert pydl.gradcheck(layer, [x])


@pytest.mark.parametrize("cls, torch_fn", [(layers.MaxPooling2D, F.max_pool2d), (layers.AveragePooling2D, F.avg_pool2d)])
def test_matches_torch(cls, torch_fn):
    x = _distinct(2, 6, 7, 3, seed=1)
    out = cls((2, 3), strides=(2, 1), dtype="float64")(x)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(g)
    tx = torch.tensor(x.numpy().transpose(0, 3, 1, 2).copy(), requires_grad=True)
    tout = torch_fn(tx, (2, 3), (2, 1))
    tout.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(x.grad, tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-6, atol=1e-9)


def test_global_average_pooling():
    x = _distinct(2, 3, 4, 5)
    layer = layers.GlobalAveragePooling2D(dtype="float64")
    np.testing.assert_allclose(layer(x).numpy(), x.numpy().mean(axis=(1, 2)))
    assert layers.GlobalAveragePooling2D(keepdims=True)(np.zeros((2, 3, 4, 5))).shape == (2, 1, 1, 5)
    assert pydl.gradcheck(layer, [x])


def test_pooling_layers_have_no_weights():
    layer = layers.MaxPooling2D()
    layer(np.zeros((1, 4, 4, 1)))
    assert layer.weights == [] and layer.count_params() == 0
