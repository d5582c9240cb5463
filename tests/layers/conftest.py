import pytest

from pydl import backend
from pydl.layers.base import reset_name_counters


@pytest.fixture(autouse=True)
def _fresh_names_and_floatx():
    """Every test starts with "dense", "dense_1", ... and the default float32."""
    reset_name_counters()
    previous = backend.floatx()
    yield
    backend.set_floatx(previous)
