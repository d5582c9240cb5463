"""Reductions over axes (sum, mean, prod, var, max, min, logsumexp) and the softmax family."""

from __future__ import annotations

import builtins  # sum, max and min below shadow the builtins on purpose (pydl.sum mirrors numpy.sum)

from pydl.autograd import Function
from pydl.ops.dispatch import records_in_graphs


def _normalize_axis(axis, ndim):
    """``axis`` as a sorted tuple of non-negative ints (``None`` means every axis)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimension(s).")
    return tuple(sorted(a % ndim if ndim else 0 for a in axes))


def _restore_reduced(grad, axes, keepdims):
    """Give a reduced gradient back the size-1 axes it lost, so it broadcasts against the input."""
    if keepdims or not axes:
        return grad
    for a in axes:
        grad = grad.reshape(grad.shape[:a] + (1,) + grad.shape[a:])
    return grad


class Sum(Function):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalize_axis(axis, x.ndim), keepdims
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return self.xp.broadcast_to(_restore_reduced(grad, self.axes, self.keepdims), self.shape)


class Mean(Function):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, _normalize_axis(axis, x.ndim), keepdims
        self.count = 1
        for a in self.axes:
            self.count *= x.shape[a]
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        grad = _restore_reduced(grad, self.axes, self.keepdims) / self.count
        return self.xp.broadcast_to(grad, self.shape)


class Prod(Function):
    """Product over axes. The gradient of each entry is the product of the others, computed from exclusive
    running products on both sides, not as ``out / x``: that would divide by zero where an entry is 0 (and one
    zero entry still gives its neighbours a gradient of 0 but itself the product of the rest)."""

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.axes, self.keepdims = x, _normalize_axis(axis, x.ndim), keepdims
        return x.prod(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        xp, x = self.xp, self.x
        kept = [a for a in range(x.ndim) if a not in self.axes]
        order = kept + list(self.axes)
        moved = x.transpose(order).reshape([x.shape[a] for a in kept] + [-1])
        ones = xp.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(moved, -1)[..., :-1]], axis=-1), axis=-1), -1)
        back = [order.index(axis) for axis in range(x.ndim)]  # the inverse permutation, in Python (CuPy too)
        others = (before * after).reshape([x.shape[a] for a in order]).transpose(back)
        return _restore_reduced(grad, self.axes, self.keepdims) * others


class Max(Function):
    """Maximum over axes; tied maxima share the gradient equally (the average of the subgradients)."""

    def forward(self, x, axis=None, keepdims=False, largest=True):
        self.axes, self.keepdims = _normalize_axis(axis, x.ndim), keepdims
        out = x.max(axis=self.axes, keepdims=True) if largest else x.min(axis=self.axes, keepdims=True)
        self.winners = x == out
        return out if keepdims else out.reshape([n for i, n in enumerate(out.shape) if i not in self.axes])

    def backward(self, grad):
        grad = _restore_reduced(grad, self.axes, self.keepdims)
        share = self.winners / self.winners.sum(axis=self.axes, keepdims=True)
        return grad * share


class Min(Max):
    def forward(self, x, axis=None, keepdims=False):
        return super().forward(x, axis, keepdims, largest=False)


class LogSumExp(Function):
    def forward(self, x, axis=None, keepdims=False):
        xp = self.xp
        self.axes, self.keepdims = _normalize_axis(axis, x.ndim), keepdims
        shift = x.max(axis=self.axes, keepdims=True)
        shifted_exp = xp.exp(x - shift)
        total = shifted_exp.sum(axis=self.axes, keepdims=True)
        self.softmax = shifted_exp / total
        out = xp.log(total) + shift
        return out if keepdims else out.reshape([n for i, n in enumerate(out.shape) if i not in self.axes])

    def backward(self, grad):
        return _restore_reduced(grad, self.axes, self.keepdims) * self.softmax


class Softmax(Function):
    def forward(self, x, axis=-1):
        shifted_exp = self.xp.exp(x - x.max(axis=axis, keepdims=True))  # shift: exp never overflows
        self.axis = axis
        self.out = shifted_exp / shifted_exp.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    name = "log_softmax"

    def forward(self, x, axis=-1):
        shifted = x - x.max(axis=axis, keepdims=True)
        self.axis = axis
        self.out = shifted - self.xp.log(self.xp.exp(shifted).sum(axis=axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return grad - self.xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


@records_in_graphs
def sum(x, axis=None, keepdims=False):  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


@records_in_graphs
def mean(x, axis=None, keepdims=False):
    return Mean.apply(x, axis=axis, keepdims=keepdims)


@records_in_graphs
def prod(x, axis=None, keepdims=False):
    """The product of the entries over ``axis`` (every axis by default), as ``numpy.prod``."""
    return Prod.apply(x, axis=axis, keepdims=keepdims)


@records_in_graphs
def var(x, axis=None, keepdims=False):
    """Population variance (divides by N, as Keras' BatchNormalization does)."""
    centered = x - mean(x, axis=axis, keepdims=True)
    return mean(centered * centered, axis=axis, keepdims=keepdims)


@records_in_graphs
def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims)


@records_in_graphs
def min(x, axis=None, keepdims=False):  # noqa: A001
    return Min.apply(x, axis=axis, keepdims=keepdims)


@records_in_graphs
def logsumexp(x, axis=None, keepdims=False):
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


@records_in_graphs
def softmax(x, axis=-1):
    return Softmax.apply(x, axis=axis)


@records_in_graphs
def log_softmax(x, axis=-1):
    return LogSoftmax.apply(x, axis=axis)
