"""Activation functions by name, for layers' ``activation=`` argument (Keras names).

>>> import pydl
>>> from pydl import activations
>>> activations.get("relu")(pydl.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
True
>>> activations.serialize(activations.get("softmax"))
'softmax'
"""

from __future__ import annotations

from pydl.ops import elementwise, reduction

__all__ = ["relu", "sigmoid", "tanh", "softmax", "linear", "elu", "leaky_relu", "get", "serialize"]


def relu(x):
    """``max(x, 0)``."""
    return elementwise.relu(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``, computed without overflow."""
    return elementwise.sigmoid(x)


def tanh(x):
    return elementwise.tanh(x)


def softmax(x, axis=-1):
    """Probabilities over the last axis (shifted by the maximum, so it never overflows)."""
    return reduction.softmax(x, axis)


def linear(x):
    """The identity (Keras' ``activation=None``)."""
    return x


def elu(x, alpha=1.0):
    """``x`` for positive ``x``, ``alpha * (exp(x) - 1)`` otherwise."""
    return elementwise.elu(x, alpha)


def leaky_relu(x, alpha=0.2):
    """``x`` for positive ``x``, ``alpha * x`` otherwise (Keras 3's default slope 0.2)."""
    return elementwise.leaky_relu(x, alpha)


_BY_NAME = {
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "linear": linear, "elu": elu,
    "leaky_relu": leaky_relu,
}


def get(identifier):
    """The activation function for a name, a callable (returned as is) or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError(
                f"Unknown activation {identifier!r}. Valid names: {', '.join(sorted(_BY_NAME))}."
            ) from None
    if callable(identifier):
        return identifier
    raise ValueError(f"Cannot interpret {identifier!r} as an activation; pass a name or a callable.")


def serialize(fn) -> str:
    """The name of a stock activation (``relu`` -> ``"relu"``); other callables are refused (not savable)."""
    for name, stock in _BY_NAME.items():
        if fn is stock:
            return name
    name = getattr(fn, "__name__", None)
    if name in _BY_NAME:  # e.g. pydl.relu (the op) rather than activations.relu
        return name
    raise ValueError(f"Cannot serialize activation {fn!r}: only the stock activations ({', '.join(_BY_NAME)}) "
                     "can be saved by name.")
