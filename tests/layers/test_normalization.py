"""BatchNormalization: batch statistics in training, moving averages at inference, Keras' defaults."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers


def _x(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return pydl.tensor(rng.standard_normal(shape) * 3 + 1, requires_grad=True)


def test_weights_and_defaults_follow_keras():
    bn = layers.BatchNormalization()
    bn(np.zeros((2, 4)))
    assert (bn.momentum, bn.epsilon) == (0.99, 1e-3)
    assert [w.name for w in bn.trainable_weights] == ["batch_normalization/gamma", "batch_normalization/beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["batch_normalization/moving_mean",
                                                          "batch_normalization/moving_variance"]
    assert bn.count_params() == 16
    assert [w.numpy().tolist() for w in bn.weights] == [[1.0] * 4, [0.0] * 4, [0.0] * 4, [1.0] * 4]


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_finite_differences(shape, training):
    bn = layers.BatchNormalization(dtype="float64", gamma_initializer="random_normal",
                                   beta_initializer="random_normal")
    x = _x(*shape)
    bn(x)
    bn.moving_variance.data[...] = 2.0
    bn.momentum = 1.0  # keep the moving averages fixed while finite differences call the layer many times
    assert pydl.gradcheck(lambda x, g, b: bn(x, training=training), [x, bn.gamma, bn.beta])


@pytest.mark.parametrize("shape", [(8, 3), (4, 5, 3, 2)])
def test_matches_torch_in_training_and_inference(shape):
    bn = layers.BatchNormalization(momentum=0.9, dtype="float64")
    x = _x(*shape, seed=1)
    tbn = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(shape[-1], eps=1e-3, momentum=0.1)
    tbn = tbn.double()
    tx = torch.tensor(np.moveaxis(x.numpy(), -1, 1).copy(), requires_grad=True)
    g = np.random.default_rng(2).standard_normal(shape)

    out = bn(x, training=True)
    out.backward(g)
    tout = tbn(tx)
    tout.backward(torch.tensor(np.moveaxis(g, -1, 1).copy()))
    close = dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(out.numpy(), np.moveaxis(tout.detach().numpy(), 1, -1), **close)
    np.testing.assert_allclose(x.grad, np.moveaxis(tx.grad.numpy(), 1, -1), **close)
    np.testing.assert_allclose(bn.gamma.grad, tbn.weight.grad.numpy(), **close)
    np.testing.assert_allclose(bn.beta.grad, tbn.bias.grad.numpy(), **close)
    np.testing.assert_allclose(bn.moving_mean.numpy(), tbn.running_mean.numpy(), **close)
    # torch's running variance uses the unbiased batch variance; Keras (and pydl) the biased one.
    count = x.size // shape[-1]
    biased = 0.9 * 1.0 + 0.1 * (tbn.running_var.numpy() - 0.9) / 0.1 * (count - 1) / count
    np.testing.assert_allclose(bn.moving_variance.numpy(), biased, **close)

    tbn.eval()
    with torch.no_grad():
        tbn.running_var.copy_(torch.tensor(bn.moving_variance.numpy()))
    x2 = _x(*shape, seed=3)
    np.testing.assert_allclose(bn(x2).numpy(), np.moveaxis(tbn(torch.tensor(np.moveaxis(x2.numpy(), -1, 1).copy()))
                                                            .detach().numpy(), 1, -1), **close)


def test_moving_averages_update_only_in_training():
    bn = layers.BatchNormalization()
    x = np.full((4, 2), 5.0)
    bn(x)
    bn(x, training=False)
    assert bn.moving_mean.numpy().tolist() == [0.0, 0.0]
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), [0.05, 0.05], rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.99, 0.99], rtol=1e-6)
    assert not bn.moving_mean.requires_grad


def test_inference_uses_moving_statistics():
    bn = layers.BatchNormalization(dtype="float64")
    bn(np.zeros((1, 2)))
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]), np.array([1.0, -1.0]), np.array([4.0, 1.0])])
    out = bn(np.array([[3.0, 1.0]])).numpy()
    np.testing.assert_allclose(out, [[2.0 * 2.0 / np.sqrt(4.001) + 0.5, 2.0 / np.sqrt(1.001)]])


def test_frozen_batch_norm_runs_in_inference_mode_like_keras():
    bn = layers.BatchNormalization(trainable=False, dtype="float64")
    x = _x(4, 2)
    out = bn(x, training=True)
    np.testing.assert_allclose(out.numpy(), x.numpy() / np.sqrt(1.001))  # moving mean 0, moving variance 1
    out.sum().backward()
    assert bn.gamma.grad is None and bn.trainable_weights == [] and x.grad is not None
    assert bn.moving_mean.numpy().tolist() == [0.0, 0.0]


@pytest.mark.parametrize("options", [{"momentum": float("nan")}, {"momentum": 1.5}, {"epsilon": float("inf")},
                                     {"epsilon": float("nan")}, {"epsilon": -1e-3}])
def test_non_finite_or_out_of_range_momentum_and_epsilon_are_refused(options):
    with pytest.raises(ValueError, match=r'Layer "batch_normalization\w*": momentum must be a finite number in '
                                         r"\[0, 1\] and epsilon a finite number >= 0, got momentum="):
        layers.BatchNormalization(**options)
