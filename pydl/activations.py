"""Activation functions by name, for layers' ``activation=`` argument (Keras names).

The activations are pydl's ops themselves (``activations.relu is pydl.relu``), so a layer's graph shows the op and
the fused cross-entropy finds the softmax or sigmoid it follows. Names follow :mod:`pydl.registry`'s one rule.

>>> import pydl
>>> from pydl import activations
>>> activations.get("relu")(pydl.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
True
>>> activations.serialize(activations.get("softmax"))
'softmax'
"""

from __future__ import annotations

from pydl import registry
from pydl.ops.elementwise import elu, leaky_relu, relu, sigmoid, tanh
from pydl.ops.reduction import softmax

__all__ = ["relu", "sigmoid", "tanh", "softmax", "linear", "elu", "leaky_relu", "get", "serialize"]


def linear(x):
    """The identity (Keras' ``activation=None``)."""
    return x


for _fn in (relu, sigmoid, tanh, softmax, linear, elu, leaky_relu):
    registry.register("activation", _fn)


def get(identifier):
    """The activation function for a name, a callable (returned as is) or None (linear)."""
    return registry.get("activation", identifier)


def serialize(fn) -> str:
    """The name of a stock activation (``relu`` -> ``"relu"``); other callables are refused (not savable)."""
    return registry.serialize("activation", fn)
