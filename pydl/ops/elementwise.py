"""Elementwise functions: exp, log, sqrt, abs, tanh, sigmoid, relu and friends, clip, maximum, where."""

from __future__ import annotations

from pydl.autograd import Function
from pydl.ops.dispatch import records_in_graphs


class Exp(Function):
    def forward(self, x):
        self.out = self.xp.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    def forward(self, x):
        self.x = x
        return self.xp.log(x)

    def backward(self, grad):
        return grad / self.x


class Sqrt(Function):
    def forward(self, x):
        self.out = self.xp.sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, grad):
        return grad * self.xp.sign(self.x)


class Tanh(Function):
    def forward(self, x):
        self.out = self.xp.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class Sigmoid(Function):
    def forward(self, x):
        # 0.5 * (1 + tanh(x / 2)) equals 1 / (1 + exp(-x)) but never overflows for large negative x.
        self.out = 0.5 * self.xp.tanh(0.5 * x) + 0.5
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


class ReLU(Function):
    name = "relu"

    def forward(self, x):
        self.positive = x > 0
        return self.xp.maximum(x, 0)  # not x * mask, which turns negatives into -0.0

    def backward(self, grad):
        return grad * self.positive


class LeakyReLU(Function):
    name = "leaky_relu"

    def forward(self, x, alpha=0.2):
        self.slope = self.xp.where(x > 0, 1, alpha).astype(x.dtype)
        return x * self.slope

    def backward(self, grad):
        return grad * self.slope


class ELU(Function):
    name = "elu"

    def forward(self, x, alpha=1.0):
        self.x, self.alpha = x, alpha
        self.negative_part = alpha * (self.xp.exp(self.xp.minimum(x, 0)) - 1)
        return self.xp.where(x > 0, x, self.negative_part)

    def backward(self, grad):
        return grad * self.xp.where(self.x > 0, 1, self.negative_part + self.alpha)


class Clip(Function):
    def forward(self, x, low=None, high=None):
        self.inside = self.xp.ones(x.shape, dtype=bool)
        if low is not None:
            self.inside &= x >= low
        if high is not None:
            self.inside &= x <= high
        return self.xp.clip(x, low, high)

    def backward(self, grad):
        return grad * self.inside


class Maximum(Function):
    def forward(self, a, b):
        # Ties send the gradient to the first argument, like a subgradient choice.
        self.a_wins = a >= b
        return self.xp.maximum(a, b)

    def backward(self, grad):
        return grad * self.a_wins, grad * ~self.a_wins


class Minimum(Function):
    def forward(self, a, b):
        self.a_wins = a <= b
        return self.xp.minimum(a, b)

    def backward(self, grad):
        return grad * self.a_wins, grad * ~self.a_wins


class Where(Function):
    def forward(self, a, b, condition=None):
        self.condition = condition
        return self.xp.where(condition, a, b)

    def backward(self, grad):
        return grad * self.condition, grad * ~self.condition


@records_in_graphs
def exp(x):
    return Exp.apply(x)


@records_in_graphs
def log(x):
    return Log.apply(x)


@records_in_graphs
def sqrt(x):
    return Sqrt.apply(x)


@records_in_graphs
def abs(x):  # noqa: A001
    return Abs.apply(x)


@records_in_graphs
def tanh(x):
    return Tanh.apply(x)


@records_in_graphs
def sigmoid(x):
    return Sigmoid.apply(x)


@records_in_graphs
def relu(x):
    return ReLU.apply(x)


@records_in_graphs
def leaky_relu(x, alpha=0.2):
    return LeakyReLU.apply(x, alpha=alpha)


@records_in_graphs
def elu(x, alpha=1.0):
    return ELU.apply(x, alpha=alpha)


@records_in_graphs
def clip(x, min=None, max=None):  # noqa: A002
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max.")
    return Clip.apply(x, low=min, high=max)


@records_in_graphs
def maximum(a, b):
    return Maximum.apply(a, b)


@records_in_graphs
def minimum(a, b):
    return Minimum.apply(a, b)


@records_in_graphs
def where(condition, a, b):
    """Pick ``a`` where ``condition`` holds and ``b`` elsewhere; the gradient follows the same choice."""
    from pydl import backend
    from pydl.tensor import Tensor

    mask = condition.data if isinstance(condition, Tensor) else condition
    like = a if isinstance(a, Tensor) else b
    if isinstance(like, Tensor):
        mask = backend.get_array_module(like.data).asarray(mask, dtype=bool)
    return Where.apply(a, b, condition=mask)
