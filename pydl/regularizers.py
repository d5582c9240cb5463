"""Weight regularizers: callables ``weight Tensor -> scalar Tensor`` added to the training loss (Keras semantics).

>>> import pydl
>>> from pydl import regularizers
>>> w = pydl.tensor([1.0, -2.0])
>>> round(float(regularizers.l2(0.01)(w)), 6)  # 0.01 * (1 + 4)
0.05
>>> round(float(regularizers.l1_l2(l1=0.1, l2=0.01)(w)), 6)  # 0.1 * 3 + 0.01 * 5
0.35
"""

from __future__ import annotations

import math

from pydl import registry

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]


def _check_factor(name: str, value) -> float:
    """``value`` as a finite float >= 0 (as Keras 3 checks penalty factors), else a ValueError naming it."""
    try:
        factor = float(value)
    except OverflowError:  # an int beyond float's range
        factor = math.inf
    except (TypeError, ValueError):
        raise ValueError(f"The regularization factor {name} must be a number, got {name}={value!r}.") from None
    if not math.isfinite(factor) or factor < 0:
        raise ValueError(f"The regularization factor {name} must be a finite number >= 0, got {name}={factor}.")
    return factor


class Regularizer:
    """Base class: ``__call__(weight)`` returns a scalar Tensor penalty; ``get_config`` its arguments."""

    def __call__(self, weight):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1(Regularizer):
    """Penalty ``l1 * sum(|w|)``."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("l1", l1)

    def __call__(self, weight):
        return self.l1 * weight.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """Penalty ``l2 * sum(w ** 2)`` (no factor 1/2, as in Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("l2", l2)

    def __call__(self, weight):
        return self.l2 * (weight * weight).sum()

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Penalty ``l1 * sum(|w|) + l2 * sum(w ** 2)``; both factors default to 0 like Keras."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _check_factor("l1", l1), _check_factor("l2", l2)

    def __call__(self, weight):
        penalty = None
        if self.l1:
            penalty = self.l1 * weight.abs().sum()
        if self.l2 or penalty is None:
            term = self.l2 * (weight * weight).sum()
            penalty = term if penalty is None else penalty + term
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


def l1(l1=0.01):  # noqa: E741 (Keras' name)
    return L1(l1)


def l2(l2=0.01):
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


for _cls in (L1, L2, L1L2):
    registry.register("regularizer", _cls)


def get(identifier):
    """A regularizer from None, a name (``"l2"`` = ``L2()``, ``"L1L2"``), a config dict, an instance or a callable.

    As in Keras 3, a name gives the class's defaults: ``"l1l2"`` is ``L1L2()``, whose factors are both 0.
    """
    return registry.get("regularizer", identifier)


def serialize(regularizer):
    """``{"class_name", "config"}`` for pydl regularizers, None for None."""
    return registry.serialize("regularizer", regularizer)
