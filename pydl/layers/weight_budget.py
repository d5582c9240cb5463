"""A budget on the weights layers create, so a model built from an untrusted file allocates no more than it lists.

Every weight of every layer is made by ``Layer.add_weight``, which asks :func:`charge` first. Outside
:func:`parameters_at_most` (and in other threads or tasks: the budget is a context variable) it costs one lookup.
"""

from __future__ import annotations

import contextlib
import contextvars
import math

__all__ = ["parameters_at_most", "charge"]

_budget = contextvars.ContextVar("pydl_weight_budget", default=None)


class _Budget:
    def __init__(self, allowed: int):
        self.allowed, self.used = allowed, 0


@contextlib.contextmanager
def parameters_at_most(allowed: int):
    """Within this block, layers of this thread (or task) may create at most ``allowed`` numbers of weights in all;
    the weight past that raises ValueError before it is allocated."""
    token = _budget.set(_Budget(allowed))
    try:
        yield
    finally:
        _budget.reset(token)


def charge(layer, name: str, shape: tuple) -> None:
    """Count a weight of ``shape`` against the budget in force, if any; ValueError past it (nothing allocated)."""
    budget = _budget.get()
    if budget is None or None in shape:
        return  # no budget in force; or not a weight's shape, which the initializer refuses by name
    size = math.prod(shape)
    if budget.used + size > budget.allowed:
        raise ValueError(f'layer "{layer.name}" would create weight {name!r} of shape {tuple(shape)}, past the '
                         f"{budget.allowed:,} numbers the file lists for the whole model; nothing larger is built.")
    budget.used += size
