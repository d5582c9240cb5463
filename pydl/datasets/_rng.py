"""Where the data helpers get their random numbers: an explicit seed, or pydl's global generator."""

from __future__ import annotations

import importlib

from pydl.backend import np


def make_rng(seed=None):
    """A NumPy ``Generator`` for ``seed``: an int (reproducible), a ``Generator`` (used as is), or None.

    With ``seed=None`` the draw comes from pydl's global generator (``pydl.random.get_rng()``) when that module exists,
    so one ``pydl.random`` seed makes a whole script reproducible; otherwise from fresh OS entropy.

    >>> int(make_rng(0).integers(10)) == int(make_rng(0).integers(10))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        return np.random.default_rng(seed)
    try:
        pydl_random = importlib.import_module("pydl.random")
    except ModuleNotFoundError as err:
        if err.name != "pydl.random":  # pydl.random exists but is broken: that must not pass silently
            raise
        return np.random.default_rng()
    get_rng = getattr(pydl_random, "get_rng", None)
    return get_rng() if get_rng is not None else np.random.default_rng()
