"""Forward values and gradients of compositions match PyTorch to 1e-6 in float64."""

import numpy as np
import pytest
import torch

import pydl


def _pair(rng, *shape):
    values = rng.standard_normal(shape)
    return pydl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)


def _assert_same(ours, theirs):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-6, atol=1e-9)


def test_two_layer_mlp_with_softmax_cross_entropy():
    rng = np.random.default_rng(0)
    x_values = rng.standard_normal((8, 5))
    labels = rng.integers(0, 3, 8)
    (w1, tw1), (b1, tb1) = _pair(rng, 5, 7), _pair(rng, 7)
    (w2, tw2), (b2, tb2) = _pair(rng, 7, 3), _pair(rng, 3)

    hidden = (pydl.tensor(x_values) @ w1 + b1).relu()
    log_probs = (hidden @ w2 + b2).log_softmax(axis=1)
    loss = -log_probs[np.arange(8), labels].mean()
    loss.backward()

    t_hidden = torch.relu(torch.tensor(x_values) @ tw1 + tb1)
    t_loss = torch.nn.functional.cross_entropy(t_hidden @ tw2 + tb2, torch.tensor(labels))
    t_loss.backward()

    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-9)
    for ours, theirs in [(w1, tw1), (b1, tb1), (w2, tw2), (b2, tb2)]:
        _assert_same(ours.grad, theirs.grad)


def test_broadcasting_chain():
    rng = np.random.default_rng(1)
    (a, ta), (b, tb), (c, tc) = _pair(rng, 4, 1, 3), _pair(rng, 5, 1), _pair(rng, 3)
    out = ((a * b + c).tanh() / (1.0 + c.exp()) - a.sigmoid() ** 2).sum(axis=1).logsumexp(axis=-1).mean()
    t_out = ((ta * tb + tc).tanh() / (1.0 + tc.exp()) - ta.sigmoid() ** 2).sum(1).logsumexp(-1).mean()
    out.backward()
    t_out.backward()
    _assert_same(out.numpy(), t_out)
    for ours, theirs in [(a, ta), (b, tb), (c, tc)]:
        _assert_same(ours.grad, theirs.grad)


def test_indexing_with_repeats_and_slices():
    rng = np.random.default_rng(2)
    x, tx = _pair(rng, 6, 4)
    rows = np.array([0, 3, 3, 5, 0])
    out = (x[rows, 1:] * x[::2].sum(axis=0)[1:]).max(axis=1).sum() + x[x.numpy() > 0].sum()
    t_rows = torch.tensor(rows)
    t_out = (tx[t_rows, 1:] * tx[::2].sum(0)[1:]).max(1).values.sum() + tx[tx.detach() > 0].sum()
    out.backward()
    t_out.backward()
    _assert_same(out.numpy(), t_out)
    _assert_same(x.grad, tx.grad)


def test_reductions_and_shape_ops():
    rng = np.random.default_rng(3)
    x, tx = _pair(rng, 2, 3, 4)
    y, ty = _pair(rng, 4, 3)
    ours = [
        x.mean(axis=(0, 2)), x.var(axis=1), x.min(axis=-1), x.softmax(axis=1).reshape(6, 4) @ y,
        pydl.concatenate([x, x * 2.0], axis=2).transpose(2, 0, 1).sum(axis=0),
        pydl.stack([x.sum(axis=0), x.max(axis=0)], axis=0).abs().sqrt(), x.expand_dims(0).squeeze(0).log_softmax(axis=0),
    ]
    theirs = [
        tx.mean((0, 2)), tx.var(1, unbiased=False), tx.min(-1).values, tx.softmax(1).reshape(6, 4) @ ty,
        torch.cat([tx, tx * 2.0], 2).permute(2, 0, 1).sum(0),
        torch.stack([tx.sum(0), tx.max(0).values], 0).abs().sqrt(), tx.unsqueeze(0).squeeze(0).log_softmax(0),
    ]
    total = sum((o * (i + 1.0)).sum() for i, o in enumerate(ours))
    t_total = sum((o * (i + 1.0)).sum() for i, o in enumerate(theirs))
    for o, t in zip(ours, theirs):
        _assert_same(o.numpy(), t)
    total.backward()
    t_total.backward()
    _assert_same(x.grad, tx.grad)
    _assert_same(y.grad, ty.grad)


def test_elementwise_family():
    rng = np.random.default_rng(4)
    x, tx = _pair(rng, 10)
    y, ty = _pair(rng, 10)
    out = (pydl.maximum(x, y) + pydl.minimum(x, y) * 0.5 + x.clip(-0.5, 0.5) + pydl.elu(x) + pydl.leaky_relu(y, 0.1)
           + pydl.where(x.numpy() > 0, x, y) + (x * x + 1.0).log() + y ** 3).sum()
    t_out = (torch.maximum(tx, ty) + torch.minimum(tx, ty) * 0.5 + tx.clamp(-0.5, 0.5) + torch.nn.functional.elu(tx)
             + torch.nn.functional.leaky_relu(ty, 0.1) + torch.where(tx > 0, tx, ty) + (tx * tx + 1.0).log() + ty ** 3).sum()
    out.backward()
    t_out.backward()
    assert out.item() == pytest.approx(t_out.item(), rel=1e-9)
    _assert_same(x.grad, tx.grad)
    _assert_same(y.grad, ty.grad)


def test_unstack_matches_unbind():
    rng = np.random.default_rng(5)
    x, tx = _pair(rng, 3, 4, 2)
    weights = rng.standard_normal(4)
    out = sum((part * float(w)).tanh() for part, w in zip(pydl.unstack(x, axis=1), weights)).sum()
    t_out = sum((part * float(w)).tanh() for part, w in zip(torch.unbind(tx, dim=1), weights)).sum()
    out.backward()
    t_out.backward()
    assert out.item() == pytest.approx(t_out.item(), rel=1e-9)
    _assert_same(x.grad, tx.grad)
