"""One step at a time: a four-unit SimpleRNN reads an 8x8 digit row by row, and every number of every step is kept.

Each step computes ``h_t = tanh(x_t W + h_{t-1} U + b)``: ``x_t`` is row ``t`` of the digit (8 pixels of ink in
[0, 1]), ``W`` the layer's ``kernel`` (8 x 4), ``U`` its ``recurrent_kernel`` (4 x 4) and ``b`` its bias. The
lesson does this sum by hand with NumPy from the layer's own weights, and tests check that the states it gets are
the ones :class:`pydl.layers.SimpleRNN` returns with ``return_sequences=True``.

>>> lesson = ReadingLesson(make_reader(), digit_samples()[0])
>>> len(lesson.steps), lesson.steps[0].state.shape
(8, (4,))
"""

from __future__ import annotations

from dataclasses import dataclass

import pydl
from pydl import initializers, layers
from pydl.backend import np
from pydl.datasets import load_digits
from pydl.lessons.gradient_descent.validation import fmt, fmt_factor

__all__ = ["UNITS", "ROWS", "INK_LEVELS", "make_reader", "digit_samples", "next_ink", "check_digit", "ReadingStep",
           "ReadingLesson", "number"]

UNITS = 4  # few enough that every number of a step fits on the page
ROWS = 8   # an 8x8 digit: 8 timesteps of 8 features
INK_LEVELS = (0.0, 0.5, 1.0)  # what a click on a pixel of the drawing grid cycles through


def number(value) -> str:
    """How the page writes one number of the arithmetic: three significant digits."""
    return fmt(value, 3)


def make_reader(units: int = UNITS, seed: int = 0) -> layers.SimpleRNN:
    """The page's SimpleRNN: float64, every step's state returned, built for rows of 8 pixels.

    A fresh Keras layer starts its bias at 0, which would make the ``+ b`` of every step add nothing; a small random
    bias keeps that term visible. The weights are otherwise those of a layer before training.
    """
    pydl.seed(seed)
    layer = layers.SimpleRNN(units, return_sequences=True, dtype="float64", name="reader",
                             bias_initializer=initializers.RandomNormal(stddev=0.3))
    layer.build((None, None, ROWS))
    return layer


def digit_samples() -> list:
    """The first test digit of each class 0-9, as float64 (8, 8) ink in [0, 1] (the data stores 0-16)."""
    (_, _), (x_test, y_test) = load_digits()
    return [x_test[np.flatnonzero(y_test == d)[0]].astype(np.float64) / 16 for d in range(10)]


def next_ink(value: float) -> float:
    """The ink a click gives a pixel: the next of :data:`INK_LEVELS` above ``value``, after full ink back to 0."""
    return next((level for level in INK_LEVELS if level > value + 1e-9), INK_LEVELS[0])


def check_digit(digit) -> np.ndarray:
    """``digit`` as a float64 (8, 8) array of ink in [0, 1], or a ValueError saying what is wrong."""
    array = np.asarray(digit, dtype=np.float64)
    if array.shape != (ROWS, ROWS):
        raise ValueError(f"A digit here is {ROWS}x{ROWS} pixels; got an array of shape {array.shape}.")
    if not np.all((array >= 0) & (array <= 1)):  # NaN fails too
        raise ValueError("Pixel ink must be between 0 and 1.")
    return array


@dataclass(frozen=True)
class ReadingStep:
    """Every quantity of one step, as (units,) float64 arrays except ``row`` (the 8 pixels of ``x_t``)."""

    t: int                # 0-based timestep (the page says "step t + 1")
    row: np.ndarray       # x_t
    previous: np.ndarray  # h_{t-1} (zeros before the first step)
    from_input: np.ndarray      # x_t W
    from_previous: np.ndarray   # h_{t-1} U
    bias: np.ndarray            # b
    total: np.ndarray           # x_t W + h_{t-1} U + b
    state: np.ndarray           # h_t = tanh(total)


class ReadingLesson:
    """The steps of ``layer`` (a built SimpleRNN) reading ``digit`` row by row, computed by hand from its weights."""

    def __init__(self, layer: layers.SimpleRNN, digit):
        self.layer = layer
        self.digit = check_digit(digit)
        self.kernel, self.recurrent_kernel, self.bias = layer.get_weights()
        self.steps = self._read()

    def _read(self) -> list:
        state = np.zeros(self.layer.units)
        steps = []
        for t, row in enumerate(self.digit):
            from_input, from_previous = row @ self.kernel, state @ self.recurrent_kernel
            total = from_input + from_previous + self.bias
            steps.append(ReadingStep(t, row, state, from_input, from_previous, self.bias, total, np.tanh(total)))
            state = steps[-1].state
        return steps

    def layer_states(self) -> np.ndarray:
        """The layer's own output for this digit, (8 steps, units): what the hand computation must equal."""
        return self.layer(self.digit[None]).numpy()[0]

    def rows(self, t: int) -> list:
        """Step ``t`` as table rows ``(key, label, [text per unit])``, in the order the sum is made."""
        step = self.steps[t]
        return [(key, label, [number(v) for v in getattr(step, key)]) for key, label in (
            ("previous", "h\u209c\u208b\u2081 (previous state)"), ("from_input", "x\u209c W"),
            ("from_previous", "h\u209c\u208b\u2081 U"), ("bias", "b"),
            ("total", "x\u209c W + h\u209c\u208b\u2081 U + b"), ("state", "h\u209c = tanh(\u2026)"))]

    def expansion(self, t: int, unit: int) -> dict:
        """The sums behind unit ``unit``'s numbers at step ``t``, written out term by term.

        Pixels without ink add nothing to ``x_t W`` and are left out of its sum (as are zero states).
        """
        step = self.steps[t]

        def dot(values, column, empty):
            terms = [f"{number(v)}\u00d7{fmt_factor(w, 3)}" for v, w in zip(values, column) if v != 0]
            return " + ".join(terms) if terms else empty

        return {
            "from_input": f"{dot(step.row, self.kernel[:, unit], '0 (no ink in this row)')} = "
                          f"{number(step.from_input[unit])}",
            "from_previous": f"{dot(step.previous, self.recurrent_kernel[:, unit], '0 (no previous state yet)')} = "
                             f"{number(step.from_previous[unit])}",
            "total": f"{number(step.from_input[unit])} + {fmt_factor(step.from_previous[unit], 3)} + "
                     f"{fmt_factor(step.bias[unit], 3)} = {number(step.total[unit])}",
            "state": f"tanh({number(step.total[unit])}) = {number(step.state[unit])}",
        }

    def states(self, shown: int) -> np.ndarray:
        """The states of the first ``shown`` steps, (shown, units): the heatmap's filled rows."""
        return np.array([step.state for step in self.steps[:shown]]).reshape(shown, self.layer.units)
