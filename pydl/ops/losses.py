"""Fused, numerically stable cross-entropies computed from logits.

Softmax followed by ``log`` loses everything below ~1e-38 (float32) and needs clipping; computing the loss from the
logits with the log-sum-exp shift never overflows and gives the textbook gradient ``p - y`` in one step. These are
the ops :mod:`pydl.losses` uses when ``from_logits=True`` or when ``y_pred`` came straight out of a softmax/sigmoid.

Each returns the mean over every axis but the class axis (Keras' ``sum_over_batch_size`` reduction).

>>> import pydl
>>> from pydl.ops.losses import softmax_cross_entropy
>>> z = pydl.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> loss = softmax_cross_entropy(z, pydl.tensor([[1.0, 0.0, 0.0]]))
>>> round(loss.item(), 4)
0.1698
"""

from __future__ import annotations

from pydl.autograd import Function
from pydl.tensor import Tensor


def _log_softmax(xp, z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


class SoftmaxCrossEntropy(Function):
    """``mean(-sum(y * log_softmax(z), axis=-1))`` with gradient ``(softmax(z) - y) / rows`` for row-sum-1 ``y``."""

    name = "softmax_cross_entropy"

    def forward(self, z, y):
        self.log_p = _log_softmax(self.xp, z)
        self.y = y
        self.rows = z.size // z.shape[-1]
        return -(y * self.log_p).sum() / self.rows

    def backward(self, grad):
        scale = grad / self.rows
        grad_z = grad_y = None
        if self.needs_input_grad[0]:
            # d/dz of -sum(y log_softmax(z)) = softmax(z) * sum(y) - y; sum(y) is 1 for one-hot or soft labels,
            # but computing it keeps the gradient exact for unnormalized targets too.
            grad_z = (self.xp.exp(self.log_p) * self.y.sum(axis=-1, keepdims=True) - self.y) * scale
        if self.needs_input_grad[1]:
            grad_y = -self.log_p * scale
        return grad_z, grad_y


class SparseSoftmaxCrossEntropy(Function):
    """Softmax cross-entropy against integer class labels (``labels.shape == z.shape[:-1]``)."""

    name = "sparse_softmax_cross_entropy"

    def forward(self, z, labels=None):
        xp = self.xp
        flat = z.reshape(-1, z.shape[-1])
        self.shape, self.labels = z.shape, labels.reshape(-1)
        self.log_p = _log_softmax(xp, flat)
        self.rows = flat.shape[0]
        picked = self.log_p[xp.arange(self.rows), self.labels]
        return -picked.sum() / self.rows

    def backward(self, grad):
        xp = self.xp
        grad_z = xp.exp(self.log_p)
        grad_z[xp.arange(self.rows), self.labels] -= 1
        grad_z *= grad / self.rows
        return grad_z.reshape(self.shape)


class SigmoidCrossEntropy(Function):
    """Binary cross-entropy from logits: ``mean(max(z, 0) - z y + log(1 + exp(-|z|)))``, gradient ``sigmoid(z) - y``."""

    name = "sigmoid_cross_entropy"

    def forward(self, z, y):
        xp = self.xp
        self.z, self.y = z, y
        return (xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))).mean()

    def backward(self, grad):
        xp = self.xp
        scale = grad / self.z.size
        grad_z = grad_y = None
        if self.needs_input_grad[0]:
            grad_z = ((0.5 * xp.tanh(0.5 * self.z) + 0.5) - self.y) * scale
        if self.needs_input_grad[1]:
            grad_y = -self.z * scale
        return grad_z, grad_y


def softmax_cross_entropy(logits, targets):
    """Mean categorical cross-entropy of one-hot (or soft) ``targets`` against ``softmax(logits)``."""
    return SoftmaxCrossEntropy.apply(logits, targets)


def sparse_softmax_cross_entropy(logits, labels):
    """Mean categorical cross-entropy of integer ``labels`` against ``softmax(logits)``."""
    if isinstance(labels, Tensor):  # an option, not an input: integer labels have no gradient
        labels = labels.data
    return SparseSoftmaxCrossEntropy.apply(logits, labels=labels)


def sigmoid_cross_entropy(logits, targets):
    """Mean binary cross-entropy of ``targets`` in [0, 1] against ``sigmoid(logits)`` (same shapes)."""
    return SigmoidCrossEntropy.apply(logits, targets)
