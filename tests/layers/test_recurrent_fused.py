"""The fused LSTM/GRU ops (pydl.ops.recurrent) against the layers' step-by-step definition (their ``step``).

Both paths must give the same outputs and the same gradients for the input and every weight, with and without
bias and dropout; finite differences check both paths separately (tests/gradcheck_cases.py).
"""

import numpy as np
import pytest

import pydl
from pydl import layers
from pydl.ops.recurrent import GRUSequence, LSTMSequence

CONFIGS = [
    dict(),
    dict(return_sequences=True),
    dict(use_bias=False),
    dict(dropout=0.3, recurrent_dropout=0.4, seed=3),
    dict(return_sequences=True, recurrent_dropout=0.5, seed=1),
]


def _run(cls, config, dtype, x, weights, fused: bool):
    layer = cls(5, dtype=dtype, **config)
    layer.build((None,) + x.shape[1:])
    layer.set_weights(weights)
    if not fused:
        layer._fused_sequence = lambda projected, recurrent_mask: None
    inputs = pydl.tensor(x.astype(dtype), requires_grad=True)
    out = layer(inputs, training=True)
    (out * pydl.tensor(np.linspace(-1, 1, out.size).reshape(out.shape).astype(dtype))).sum().backward()
    return out.numpy(), inputs.grad, [w.grad for w in layer.trainable_weights]


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(c) or "default")
@pytest.mark.parametrize("dtype,tolerance", [("float64", 1e-12), ("float32", 2e-5)])
def test_fused_op_equals_the_step_by_step_definition(cls, config, dtype, tolerance):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 7, 3))
    probe = cls(5, **config)
    probe.build((None, 7, 3))
    weights = [rng.normal(scale=0.6, size=w.shape).astype(dtype) for w in probe.get_weights()]
    fused = _run(cls, config, dtype, x, weights, fused=True)
    reference = _run(cls, config, dtype, x, weights, fused=False)
    # Same operations in the same order, so float64 agrees to rounding; float32's sums of products over the
    # timesteps are grouped differently (one product over all steps for the kernel's gradient).
    np.testing.assert_allclose(fused[0], reference[0], rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(fused[1], reference[1], rtol=tolerance, atol=tolerance)
    for got, want in zip(fused[2], reference[2]):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


def _op_names(out) -> set:
    """The names of the ops in the graph behind ``out``."""
    from pydl.autograd import topological_order

    return {t._ctx.name for t in topological_order(out) if t._ctx is not None}


@pytest.mark.parametrize("cls,config,fused", [
    (layers.LSTM, {}, "lstm_sequence"), (layers.GRU, {}, "gru_sequence"),
    (layers.LSTM, {"activation": "relu"}, None), (layers.GRU, {"reset_after": False}, None),
])
def test_stock_activations_take_the_fused_path_and_others_the_definition(cls, config, fused):
    names = _op_names(cls(2, **config)(pydl.tensor(np.ones((1, 3, 2)), requires_grad=True)))
    if fused:
        assert fused in names and "sigmoid" not in names
    else:
        assert not {"lstm_sequence", "gru_sequence"} & names and "matmul" in names


def test_a_one_step_sequence_leaves_its_input_untouched():
    """The LSTM op computes its gates in a copy of the input's share: with one timestep (or a batch of one) the
    transposed array is already contiguous, and writing into it would change the caller's array."""
    projected = pydl.tensor(np.random.default_rng(1).normal(size=(1, 1, 8)))
    before = projected.numpy().copy()
    LSTMSequence.apply(projected, pydl.tensor(np.eye(2, 8)))
    np.testing.assert_array_equal(projected.numpy(), before)
