import pytest

import pydl
from pydl import backend
from pydl.layers.base import reset_name_counters


@pytest.fixture(autouse=True)
def _fresh_names_and_floatx():
    """Every test starts with "dense", "dense_1", ..., the default float32 and a seeded generator."""
    reset_name_counters()
    previous = backend.floatx()
    pydl.seed(0)
    yield
    backend.set_floatx(previous)
