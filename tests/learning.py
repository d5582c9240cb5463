"""Assertions about how well something learned, with the margin each run leaves recorded.

A learned number depends on rounding, and rounding depends on the BLAS kernel the CPU picks (OpenBLAS chooses
by CPU) and on the thread count. A bar that a run clears by a hair on one machine fails on the next, so every
learning assertion goes through here: set PYDL_MARGIN_LOG=path and each call appends one JSON line (test, what,
measured, bar, margin) there. `python -m tests.learning path...` prints the smallest margin of every assertion
across the logs of several runs (for instance one per OPENBLAS_CORETYPE).

Margins: for a score with an absolute bar (accuracy >= 0.9), measured minus bar; for a quantity that must fall
under a bar (loss < 0.1 * first loss), the share of the bar left: (bar - measured) / bar.
"""

from __future__ import annotations

import json
import os
import sys

ACCURACY_MARGIN = 0.02  # what every accuracy bar must keep on every kernel: 2 percentage points


def _record(what: str, measured: float, bar: float, margin: float) -> None:
    log = os.environ.get("PYDL_MARGIN_LOG")
    if log:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
        entry = {"test": test, "what": what, "measured": float(measured), "bar": float(bar), "margin": float(margin)}
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


def assert_at_least(measured: float, bar: float, what: str) -> None:
    """measured >= bar, for scores such as accuracy (margin in the score's own units)."""
    _record(what, measured, bar, measured - bar)
    assert measured >= bar, f"{what}: {measured:.4f} is under the bar {bar}"


def assert_below(measured: float, bar: float, what: str) -> None:
    """measured < bar, for losses and errors (margin as the share of the bar left over)."""
    _record(what, measured, bar, (bar - measured) / abs(bar) if bar else float("inf"))
    assert measured < bar, f"{what}: {measured:.6g} is not under the bar {bar:.6g}"


def smallest_margins(paths: list[str]) -> dict[tuple[str, str], dict]:
    worst: dict[tuple[str, str], dict] = {}
    for path in paths:
        with open(path, encoding="utf-8") as log:
            for line in log:
                entry = json.loads(line)
                key = (entry["test"], entry["what"])
                if key not in worst or entry["margin"] < worst[key]["margin"]:
                    worst[key] = entry | {"log": os.path.basename(path)}
    return worst


if __name__ == "__main__":
    for (test, what), entry in sorted(smallest_margins(sys.argv[1:]).items(), key=lambda item: item[1]["margin"]):
        print(f"{entry['margin']:+.4f}  measured {entry['measured']:.4f} bar {entry['bar']:.4f}  {test} :: {what}  [{entry['log']}]")


def salt_every_seed(salt: int) -> None:
    """Make every seeded NumPy generator draw another stream (PYDL_TEST_SEED_SALT=k, set only by hand).

    A learning test that passes for one seed may pass by luck; rerunning the suite with a few salts shows that the
    bar holds for other initial weights, shuffles and data draws too. Same seed, same salt: same numbers, so tests
    that compare two seeded runs still hold.
    """
    import numpy

    unsalted = numpy.random.default_rng

    def salted(seed=None):
        if isinstance(seed, (int, numpy.integer)):
            return unsalted([salt, int(seed)])
        if isinstance(seed, (list, tuple)) and all(isinstance(part, (int, numpy.integer)) for part in seed):
            return unsalted([salt, *map(int, seed)])
        return unsalted(seed)

    numpy.random.default_rng = salted
