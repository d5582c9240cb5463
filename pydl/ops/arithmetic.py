"""Arithmetic: ``+ - * / ** @`` and negation.

Gradients are returned in the broadcast shape; the autograd core sums them back to each input's shape.
"""

from __future__ import annotations

from pydl import backend
from pydl.autograd import Function
from pydl.ops.dispatch import records_in_graphs


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad if self.needs_input_grad[1] else None


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        return (grad * self.b if need_a else None), (grad * self.a if need_b else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        grad_a = grad / self.b if need_a else None
        grad_b = -grad * self.a / (self.b * self.b) if need_b else None
        return grad_a, grad_b


class Pow(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        need_a, need_b = self.needs_input_grad
        grad_a = grad * self.b * self.a ** (self.b - 1) if need_a else None
        # d(a^b)/db = a^b log(a): defined for a > 0 only, as in every framework.
        grad_b = grad * self.out * self.xp.log(self.a) if need_b else None
        return grad_a, grad_b


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class MatMul(Function):
    """Matrix product with NumPy's rules: 1-D operands are promoted to a row (left) or a column (right)."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands need at least one dimension; use * to multiply by a scalar.")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            raise ValueError(
                f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not line up: the last dimension of the "
                f"first ({a.shape[-1]}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} dimension of "
                f"the second ({b.shape[0 if b.ndim == 1 else -2]})."
            )
        self.a, self.b = a, b
        return backend.matmul(a, b)  # a BLAS in the browser when the page loaded one (see backend.matmul)

    def backward(self, grad):
        a, b, xp = self.a, self.b, self.xp
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (grad * b if need_a else None), (grad * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        grad_a = backend.matmul(g2, xp.swapaxes(b2, -1, -2)) if need_a else None
        grad_b = backend.matmul(xp.swapaxes(a2, -1, -2), g2) if need_b else None
        if a.ndim == 1 and grad_a is not None:
            grad_a = grad_a[..., 0, :]
        if b.ndim == 1 and grad_b is not None:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b


@records_in_graphs
def add(a, b):
    return Add.apply(a, b)


@records_in_graphs
def sub(a, b):
    return Sub.apply(a, b)


@records_in_graphs
def mul(a, b):
    return Mul.apply(a, b)


@records_in_graphs
def div(a, b):
    return Div.apply(a, b)


@records_in_graphs
def pow(a, b):  # noqa: A001  (mirrors the operator's name)
    return Pow.apply(a, b)


@records_in_graphs
def neg(a):
    return Neg.apply(a)


@records_in_graphs
def matmul(a, b):
    return MatMul.apply(a, b)
