"""The lab's "What to try" list: each experiment is the digits cell with the one change the text names, run
natively, and it shows what the text says (the cell's own default run is the comparison)."""

from __future__ import annotations

import contextlib
import io

import pytest

from tests.lessons.test_what_to_try import TryList, said
from tests.site import ROOT

CELL = (ROOT / "web" / "lab" / "cells" / "02_digits.py").read_text()


def run_digits_cell(old: str | None = None, new: str | None = None) -> dict:
    """The digits cell's namespace after running it, with ``old`` replaced by ``new`` in its code."""
    code = CELL
    if old is not None:
        assert CELL.count(old) == 1, old
        code = CELL.replace(old, new)
    namespace = {"__name__": "__lab__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "digits cell", "exec"), namespace)
    return {"loss": namespace["history"].history["loss"][-1], "accuracy": namespace["test_accuracy"]}


@pytest.fixture(scope="module")
def default():
    return run_digits_cell()


def test_the_lab_lists_three_experiments():
    assert list(TryList("lab").items) == ["rate-too-high", "rate-too-low", "narrow"]


def test_a_rate_of_one_stays_at_chance(default):
    text = said("lab", "rate-too-high")
    assert "learning_rate=0.01" in text and "learning_rate=1.0" in text and "above 2" in text and "10 %" in text
    run = run_digits_cell("learning_rate=0.01", "learning_rate=1.0")
    # Measured: loss 2.43, accuracy 0.100 (0.005 and 0.961 at 0.01).
    assert run["loss"] > 2.0 and run["accuracy"] < 0.15 < default["accuracy"]


def test_adams_default_rate_is_still_far_from_done_after_20_epochs(default):
    text = said("lab", "rate-too-low")
    assert "learning_rate=0.001" in text and "above 0.05" in text and "over ten times" in text
    run = run_digits_cell("learning_rate=0.01", "learning_rate=0.001")
    # Measured: loss 0.109 against 0.005 at 0.01.
    assert run["loss"] > 0.05 and run["loss"] > 10 * default["loss"]


def test_four_hidden_units_lose_accuracy(default):
    text = said("lab", "narrow")
    assert "Dense(4, ...)" in text and "below 93 %" in text and "96 %" in text
    run = run_digits_cell("layers.Dense(64, activation", "layers.Dense(4, activation")
    # Measured: 0.883 against 0.961 with 64 units.
    assert run["accuracy"] < 0.93 and abs(default["accuracy"] - 0.96) < 0.015  # "about 96 %"
