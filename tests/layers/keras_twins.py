"""Keras 3 (on its PyTorch backend) as the numerical reference for Keras-named layers: the same layer in float64,
with pydl's weights, gives the output and the gradients of ``sum(output * upstream)`` with respect to the input and
every trainable weight."""

import numpy as np
import torch

import pydl

CLOSE = dict(rtol=1e-10, atol=1e-12)  # float64 on both sides; only the summation order differs


def keras_results(keras_layer, x, upstream, weights=(), training=False):
    """(output, input gradient, weight gradients) of ``keras_layer`` (built here, then given ``weights``)."""
    keras_layer(torch.tensor(x))  # builds it
    if weights:
        keras_layer.set_weights(list(weights))
    inputs = torch.tensor(x, requires_grad=True)
    out = keras_layer(inputs, training=training)
    (out * torch.tensor(upstream)).sum().backward()
    grads = [w.value.grad.numpy() for w in keras_layer.trainable_weights]
    return out.detach().numpy(), inputs.grad.numpy(), grads


def pydl_results(layer, x, upstream, training=False):
    """The same three for a pydl layer (float64)."""
    inputs = pydl.tensor(x, requires_grad=True)
    out = layer(inputs, training=training)
    (out * pydl.tensor(upstream)).sum().backward()
    return out.numpy(), inputs.grad, [w.grad for w in layer.trainable_weights]


def assert_matches_keras(layer, keras_layer, x, seed=0, training=False):
    """pydl ``layer`` and ``keras_layer`` agree on output and gradients for input ``x``."""
    pydl_out = layer(pydl.tensor(x))
    upstream = np.random.default_rng(seed).standard_normal(pydl_out.shape)
    out, grad_x, grads = pydl_results(layer, x, upstream, training)
    k_out, k_grad_x, k_grads = keras_results(keras_layer, x, upstream, layer.get_weights(), training)
    np.testing.assert_allclose(out, k_out, **CLOSE)
    np.testing.assert_allclose(grad_x, k_grad_x, **CLOSE)
    assert len(grads) == len(k_grads)
    for mine, theirs in zip(grads, k_grads):
        np.testing.assert_allclose(mine, theirs, **CLOSE)
