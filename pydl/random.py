"""The random generator behind initializers, dropout, shuffling and toy data.

``pydl.seed(n)`` replaces it with a freshly seeded one, so a whole run repeats exactly. Code that wants its own
stream passes ``seed=`` and gets an independent generator from :func:`generator`.
"""

from __future__ import annotations

from pydl.backend import np

__all__ = ["seed", "generator", "get_generator"]

_generator = np.random.default_rng()


def seed(value: int) -> None:
    """Make every later random draw in pydl reproducible: same seed, same numbers."""
    global _generator
    _generator = np.random.default_rng(value)


def get_generator() -> np.random.Generator:
    """The shared generator that ``pydl.seed`` resets."""
    return _generator


def generator(seed: int | None = None) -> np.random.Generator:
    """A generator seeded with ``seed``, or the shared one when ``seed`` is None."""
    return _generator if seed is None else np.random.default_rng(seed)
