"""Fixtures every test gets: a fresh start for the state pydl keeps between calls."""

import os

import pytest

# Keras 3 (a reference the Keras-named APIs are compared with) runs on PyTorch, which the test extra installs;
# set before any test imports keras, since Keras reads it once at import.
os.environ.setdefault("KERAS_BACKEND", "torch")

import pydl
from pydl import backend
from pydl.layers.base import reset_name_counters
from tests.learning import salt_every_seed


def pytest_configure(config):
    if os.environ.get("PYDL_TEST_SEED_SALT"):  # a robustness check run by hand: see tests/learning.py
        salt_every_seed(int(os.environ["PYDL_TEST_SEED_SALT"]))


@pytest.fixture(autouse=True)
def fresh_pydl_state():
    """Layer names restart at "dense", "dense_1", ...; float32 is the default; the generator is seeded.

    Restoring floatx afterwards keeps a test that switches to float64 from changing the tests after it.
    """
    reset_name_counters()
    previous = backend.floatx()
    pydl.seed(0)
    yield
    backend.set_floatx(previous)


@pytest.fixture
def private_build_cache(tmp_path, monkeypatch):
    """A build cache of the test's own, so build tests never read or write the user's downloads."""
    monkeypatch.setenv("PYDL_BUILD_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"
