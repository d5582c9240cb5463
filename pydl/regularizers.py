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

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]


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
        self.l1 = float(l1)

    def __call__(self, weight):
        return self.l1 * weight.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """Penalty ``l2 * sum(w ** 2)`` (no factor 1/2, as in Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = float(l2)

    def __call__(self, weight):
        return self.l2 * (weight * weight).sum()

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Penalty ``l1 * sum(|w|) + l2 * sum(w ** 2)``; both factors default to 0 like Keras."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

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


_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
_BY_CLASS = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from None, a name (``"l2"`` = ``L2(0.01)``), a config dict, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls = _BY_CLASS.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown regularizer config {identifier!r}; valid classes: L1, L2, L1L2.")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown regularizer {identifier!r}; valid names: l1, l2, l1_l2.")
        return cls(l1=0.01, l2=0.01) if cls is L1L2 else cls()
    if callable(identifier):
        return identifier
    raise ValueError(f"Cannot interpret {identifier!r} as a regularizer.")


def serialize(regularizer):
    """``{"class_name", "config"}`` for pydl regularizers, None for None."""
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    raise ValueError(f"Cannot serialize regularizer {regularizer!r}: only pydl regularizers can be saved.")
