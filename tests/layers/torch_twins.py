"""PyTorch twins of pydl's recurrent layers: a float64 torch.nn.RNN/LSTM/GRU holding the same weights, and the check
that the weight gradients agree once mapped back to Keras' layout (transposed, gates reordered)."""

import numpy as np
import torch

from pydl import layers

CLOSE = dict(rtol=1e-6, atol=1e-9)
_TORCH_CLASS = {layers.SimpleRNN: torch.nn.RNN, layers.LSTM: torch.nn.LSTM, layers.GRU: torch.nn.GRU}


def _gate_order(layer):
    """Columns of a Keras kernel in torch's gate order: GRU's z, r, h become r, z, n; RNN and LSTM (i, f, c, o)
    agree."""
    units = layer.units
    if isinstance(layer, layers.GRU):
        return np.r_[units:2 * units, 0:units, 2 * units:3 * units]
    return np.arange(layer.kernel.shape[1])


def _biases(layer):
    """(input bias, recurrent bias): a GRU's two rows; otherwise Keras' one bias and a zero recurrent one."""
    if isinstance(layer, layers.GRU):
        return tuple(layer.bias.numpy())
    return layer.bias.numpy(), np.zeros(layer.kernel.shape[1])


def _suffixes(count):
    return ("_l0", "_l0_reverse")[:count]


def torch_twin(*directions):
    """A float64 torch module with the weights of one layer, or of a forward and a backward copy (then
    ``bidirectional=True``, the second copy in torch's ``*_reverse`` weights)."""
    first = directions[0]
    module = _TORCH_CLASS[type(first)](first.kernel.shape[0], first.units, batch_first=True,
                                       bidirectional=len(directions) == 2).double()
    with torch.no_grad():
        for suffix, layer in zip(_suffixes(len(directions)), directions):
            order = _gate_order(layer)
            input_bias, recurrent_bias = _biases(layer)
            for name, values in (("weight_ih", layer.kernel.numpy().T), ("weight_hh", layer.recurrent_kernel.numpy().T),
                                 ("bias_ih", input_bias), ("bias_hh", recurrent_bias)):
                getattr(module, name + suffix).copy_(torch.tensor(values[order]))
    return module


def _keras_layout(layer, torch_grad):
    back = np.argsort(_gate_order(layer))
    grad = torch_grad.numpy()
    return grad[back] if grad.ndim == 1 else grad[back].T


def assert_same_weight_gradients(module, *directions):
    """Each direction's kernel, recurrent kernel and bias gradients equal the twin's (mapped to Keras' layout)."""
    for suffix, layer in zip(_suffixes(len(directions)), directions):
        grad = lambda name: _keras_layout(layer, getattr(module, name + suffix).grad)  # noqa: E731
        np.testing.assert_allclose(layer.kernel.grad, grad("weight_ih"), **CLOSE)
        np.testing.assert_allclose(layer.recurrent_kernel.grad, grad("weight_hh"), **CLOSE)
        if isinstance(layer, layers.GRU):
            np.testing.assert_allclose(layer.bias.grad[0], grad("bias_ih"), **CLOSE)
            np.testing.assert_allclose(layer.bias.grad[1], grad("bias_hh"), **CLOSE)
        else:
            np.testing.assert_allclose(layer.bias.grad, grad("bias_ih"), **CLOSE)
