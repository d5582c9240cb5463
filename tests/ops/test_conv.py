"""conv2d, max_pool2d, avg_pool2d and batch_norm: finite differences (float64) and PyTorch parity (1e-6)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pydl
from pydl.ops.conv import conv2d, conv_output_length, same_padding
from pydl.ops.normalization import batch_norm
from pydl.ops.pooling import avg_pool2d, max_pool2d


def _tensor(rng, *shape, grad=True):
    return pydl.tensor(rng.standard_normal(shape), requires_grad=grad)


def _nchw(t):
    """A torch leaf (N, C, H, W) holding the values of a pydl (N, H, W, C) tensor."""
    return torch.tensor(t.numpy().transpose(0, 3, 1, 2).copy(), requires_grad=True)


def _torch_same_pad(x, window, strides, value=0.0):
    """Pad a NCHW torch tensor the TF "same" way (extra row/column at the bottom/right)."""
    (top, bottom), (left, right) = (same_padding(x.shape[2 + a], window[a], strides[a]) for a in (0, 1))
    return F.pad(x, (left, right, top, bottom), value=value)


def _close(ours, theirs, nchw=True):
    theirs = theirs.detach().numpy()
    if nchw:
        theirs = theirs.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


CONV_CASES = [  # (input shape NHWC, kernel size, C_out, strides, padding)
    ((2, 5, 5, 1), (3, 3), 2, (1, 1), "valid"),
    ((2, 6, 5, 3), (3, 2), 4, (1, 1), "same"),
    ((1, 7, 7, 2), (3, 3), 3, (2, 2), "valid"),
    ((2, 6, 7, 2), (3, 3), 2, (2, 2), "same"),
    ((1, 5, 6, 2), (2, 2), 3, (2, 1), "same"),
    ((1, 4, 4, 2), (1, 1), 2, (1, 1), "valid"),
    ((2, 5, 5, 5), (3, 3), 3, (1, 1), "valid"),  # >= 4 channels: the strided-view im2col path
    ((1, 6, 5, 4), (2, 3), 2, (2, 2), "same"),
]


@pytest.mark.parametrize("shape, window, out_channels, strides, padding", CONV_CASES)
def test_conv2d_gradients_match_finite_differences(shape, window, out_channels, strides, padding):
    rng = np.random.default_rng(0)
    x, k, b = _tensor(rng, *shape), _tensor(rng, *window, shape[3], out_channels), _tensor(rng, out_channels)
    assert pydl.gradcheck(lambda x, k, b: conv2d(x, k, b, strides, padding), [x, k, b])


@pytest.mark.parametrize("shape, window, out_channels, strides, padding", CONV_CASES)
def test_conv2d_matches_torch_forward_and_gradients(shape, window, out_channels, strides, padding):
    rng = np.random.default_rng(1)
    x, k, b = _tensor(rng, *shape), _tensor(rng, *window, shape[3], out_channels), _tensor(rng, out_channels)
    out = conv2d(x, k, b, strides, padding)
    g = rng.standard_normal(out.shape)
    out.backward(g)

    tx = _nchw(x)
    tk = torch.tensor(k.numpy().transpose(3, 2, 0, 1).copy(), requires_grad=True)  # (kh,kw,I,O) -> (O,I,kh,kw)
    tb = torch.tensor(b.numpy(), requires_grad=True)
    padded = _torch_same_pad(tx, window, strides) if padding == "same" else tx
    tout = F.conv2d(padded, tk, tb, stride=strides)
    tout.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))

    _close(out.numpy(), tout)
    _close(x.grad, tx.grad)
    np.testing.assert_allclose(k.grad, tk.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-6, atol=1e-9)


DILATED_CASES = [  # (input shape NHWC, kernel size, C_out, strides, padding, dilation)
    ((2, 9, 8, 2), (3, 3), 3, (1, 1), "valid", (2, 2)),
    ((2, 9, 8, 2), (3, 2), 2, (1, 1), "same", (2, 3)),
    ((1, 11, 9, 3), (3, 3), 2, (2, 2), "same", (3, 2)),
    ((2, 10, 9, 5), (2, 3), 3, (2, 1), "valid", (3, 2)),  # >= 4 channels: the strided-view im2col path
    ((1, 8, 7, 4), (3, 2), 2, (1, 2), "same", (2, 1)),
]


def _dilated_torch_same_pad(x, window, strides, dilation):
    spans = tuple(d * (k - 1) + 1 for k, d in zip(window, dilation))
    return _torch_same_pad(x, spans, strides)


@pytest.mark.parametrize("shape, window, out_channels, strides, padding, dilation", DILATED_CASES)
def test_dilated_conv2d_gradients_match_finite_differences(shape, window, out_channels, strides, padding, dilation):
    rng = np.random.default_rng(0)
    x, k, b = _tensor(rng, *shape), _tensor(rng, *window, shape[3], out_channels), _tensor(rng, out_channels)
    assert pydl.gradcheck(lambda x, k, b: conv2d(x, k, b, strides, padding, dilation), [x, k, b])


@pytest.mark.parametrize("shape, window, out_channels, strides, padding, dilation", DILATED_CASES)
def test_dilated_conv2d_matches_torch_forward_and_gradients(shape, window, out_channels, strides, padding, dilation):
    rng = np.random.default_rng(1)
    x, k, b = _tensor(rng, *shape), _tensor(rng, *window, shape[3], out_channels), _tensor(rng, out_channels)
    out = conv2d(x, k, b, strides, padding, dilation)
    g = rng.standard_normal(out.shape)
    out.backward(g)

    tx = _nchw(x)
    tk = torch.tensor(k.numpy().transpose(3, 2, 0, 1).copy(), requires_grad=True)
    tb = torch.tensor(b.numpy(), requires_grad=True)
    padded = _dilated_torch_same_pad(tx, window, strides, dilation) if padding == "same" else tx
    tout = F.conv2d(padded, tk, tb, stride=strides, dilation=dilation)
    tout.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))

    _close(out.numpy(), tout)
    _close(x.grad, tx.grad)
    np.testing.assert_allclose(k.grad, tk.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_dilation_one_is_the_plain_convolution():
    rng = np.random.default_rng(3)
    x, k = _tensor(rng, 2, 7, 6, 3, grad=False), _tensor(rng, 3, 3, 3, 2, grad=False)
    np.testing.assert_array_equal(conv2d(x, k, dilation=1).numpy(), conv2d(x, k).numpy())


def test_conv2d_rejects_bad_dilation_and_causal_outside_padding_names():
    x, k = pydl.tensor(np.ones((1, 9, 9, 1))), pydl.tensor(np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        conv2d(x, k, dilation=0)
    with pytest.raises(ValueError, match="smaller than the window"):
        conv2d(x, k, dilation=5)  # spans 11 > 9
    with pytest.raises(ValueError, match="padding must be"):
        conv2d(x, k, padding="full")


def test_conv2d_keeps_float32_and_works_without_bias():
    rng = np.random.default_rng(2)
    x = pydl.tensor(rng.standard_normal((2, 6, 6, 3)).astype("float32"), requires_grad=True)
    k = pydl.tensor(rng.standard_normal((3, 3, 3, 4)).astype("float32"), requires_grad=True)
    out = conv2d(x, k)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and k.grad.dtype == np.float32


def test_conv2d_output_lengths_follow_keras():
    assert conv_output_length(28, 3, 1, "valid") == 26
    assert conv_output_length(28, 3, 1, "same") == 28
    assert conv_output_length(28, 3, 2, "same") == 14
    assert conv_output_length(7, 2, 2, "same") == 4
    assert same_padding(6, 3, 2) == (0, 1)  # TF puts the odd row at the bottom
    # Keras' compute_output_shape with dilation: the kernel spans d * (k - 1) + 1; "causal" keeps ceil(L / s)
    assert conv_output_length(28, 3, 1, "valid", dilation=2) == 24
    assert conv_output_length(28, 3, 2, "valid", dilation=3) == 11
    assert conv_output_length(28, 3, 1, "same", dilation=4) == 28
    assert conv_output_length(28, 5, 1, "causal", dilation=4) == 28
    assert conv_output_length(9, 3, 2, "causal", dilation=2) == 5
    assert conv_output_length(4, 3, 1, "valid", dilation=2) == 0


def test_conv2d_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="matching C"):
        conv2d(pydl.tensor(np.ones((1, 5, 5, 2))), pydl.tensor(np.ones((3, 3, 3, 4))))


def _distinct(rng, *shape):
    """Values with no ties (a permutation scaled), so the max of every window is unique."""
    return pydl.tensor(rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0, requires_grad=True)


POOL_CASES = [  # (input shape, pool size, strides, padding)
    ((2, 4, 4, 3), (2, 2), (2, 2), "valid"),
    ((1, 5, 5, 2), (2, 2), (2, 2), "valid"),  # odd size: the last row/column is dropped
    ((1, 5, 5, 2), (2, 2), (2, 2), "same"),
    ((1, 5, 6, 2), (3, 3), (1, 1), "valid"),  # overlapping windows
    ((2, 6, 5, 1), (3, 2), (2, 1), "same"),
]


@pytest.mark.parametrize("op", [max_pool2d, avg_pool2d], ids=["max", "avg"])
@pytest.mark.parametrize("shape, pool, strides, padding", POOL_CASES)
def test_pooling_gradients_match_finite_differences(op, shape, pool, strides, padding):
    x = _distinct(np.random.default_rng(3), *shape)
    assert pydl.gradcheck(lambda x: op(x, pool, strides, padding), [x])


@pytest.mark.parametrize("shape, pool, strides, padding", POOL_CASES)
def test_max_pool_matches_torch(shape, pool, strides, padding):
    x = _distinct(np.random.default_rng(4), *shape)
    out = max_pool2d(x, pool, strides, padding)
    g = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(g)
    tx = _nchw(x)
    padded = _torch_same_pad(tx, pool, strides, value=-np.inf) if padding == "same" else tx
    tout = F.max_pool2d(padded, pool, strides)
    tout.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))
    _close(out.numpy(), tout)
    _close(x.grad, tx.grad)


@pytest.mark.parametrize("shape, pool, strides, padding", POOL_CASES)
def test_avg_pool_matches_torch(shape, pool, strides, padding):
    x = _distinct(np.random.default_rng(6), *shape)
    out = avg_pool2d(x, pool, strides, padding)
    g = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(g)
    tx = _nchw(x)
    if padding == "same":  # TF averages the real cells only: torch's count_include_pad=False with explicit pads
        summed = F.avg_pool2d(_torch_same_pad(tx, pool, strides), pool, strides, divisor_override=1)
        ones = _torch_same_pad(torch.ones_like(tx), pool, strides)
        tout = summed / F.avg_pool2d(ones, pool, strides, divisor_override=1)
    else:
        tout = F.avg_pool2d(tx, pool, strides)
    tout.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))
    _close(out.numpy(), tout)
    _close(x.grad, tx.grad)


def test_max_pool_sends_a_tied_gradient_to_the_first_maximum_only():
    x = pydl.tensor(np.ones((1, 2, 2, 1)), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    assert x.grad.ravel().tolist() == [1.0, 0.0, 0.0, 0.0]
    y = pydl.tensor(np.ones((1, 3, 3, 1)), requires_grad=True)
    max_pool2d(y, 2, 1).sum().backward()  # overlapping path: four windows, each picks its top-left cell
    assert y.grad[:, :, :, 0].tolist() == [[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 5)])
def test_batch_norm_with_batch_statistics_matches_finite_differences_and_torch(shape):
    rng = np.random.default_rng(8)
    x, gamma, beta = _tensor(rng, *shape), _tensor(rng, shape[-1]), _tensor(rng, shape[-1])
    axes = tuple(range(len(shape) - 1))

    def fn(x, gamma, beta):
        return batch_norm(x, gamma, beta, x.data.mean(axis=axes), x.data.var(axis=axes), 1e-3, batch_statistics=True)

    assert pydl.gradcheck(fn, [x, gamma, beta])
    out = fn(x, gamma, beta)
    g = rng.standard_normal(shape)
    out.backward(g)
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tg, tb = torch.tensor(gamma.numpy(), requires_grad=True), torch.tensor(beta.numpy(), requires_grad=True)
    channels_first = tx.movedim(-1, 1)
    tout = F.batch_norm(channels_first, None, None, tg, tb, training=True, eps=1e-3).movedim(1, -1)
    tout.backward(torch.tensor(g))
    for ours, theirs in [(out.numpy(), tout), (x.grad, tx.grad), (gamma.grad, tg.grad), (beta.grad, tb.grad)]:
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-6, atol=1e-9)


def test_batch_norm_with_fixed_statistics_matches_finite_differences():
    rng = np.random.default_rng(9)
    x, gamma, beta = _tensor(rng, 3, 2, 2, 4), _tensor(rng, 4), _tensor(rng, 4)
    mean, var = rng.standard_normal(4), rng.random(4) + 0.5
    assert pydl.gradcheck(lambda x, g, b: batch_norm(x, g, b, mean, var, 1e-3), [x, gamma, beta])
