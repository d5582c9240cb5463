"""Numbers in and out: what a person types, checked with messages for people, and numbers shown as people write them.

Every ``check_*`` function of the lessons returns ``(values, None)`` or ``(None, message)``; the message comes from
an :class:`InputError` raised by :func:`parse_number` and names the field first, so a page can flag that field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pydl

# Beyond this size a weight or loss has "run off": the page says so instead of showing inf or NaN.
BLOW_UP = 1e12


def fmt(value, digits: int = 6) -> str:
    """A number as a person would write it: ``2.24`` not ``2.2399999999999998``, ``-24`` not ``-24.0``."""
    value = float(value)
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "infinite"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text in ("-0", "0") else text


def fmt_factor(value, digits: int = 6) -> str:
    """:func:`fmt` with a negative number in parentheses, for products and sums: ``2 \u00d7 (-4)``."""
    text = fmt(value, digits)
    return f"({text})" if text.startswith("-") else text


def _fixed(value: float, decimals: int = 3) -> str:
    """Coordinates with a fixed number of decimals (tiny values read as 0.000, never -0.000)."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class InputError(ValueError):
    """A value typed into the page that cannot be used; the message is shown as it is."""


def parse_number(raw, label: str, minimum: float | None = None, maximum: float | None = None,
                 positive: bool = False, integer: bool = False) -> float:
    """``raw`` (text from an input field, or a number) as a float, or an :class:`InputError` for people."""
    text = str(raw).strip().replace("\u2212", "-")  # a typographic minus sign is still a minus sign
    if text == "":
        raise InputError(f"{label} is empty: type a {'whole ' if integer else ''}number.")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{label}: \u201c{text}\u201d is not a number. {_what_to_type(integer, minimum, maximum)}") from None
    if not math.isfinite(value):
        raise InputError(f"{label} must be a finite number, not {text}.")
    if integer and value != int(value):
        raise InputError(f"{label} must be a whole number, got {fmt(value)}.")
    if positive and value <= 0:
        raise InputError(f"{label} must be greater than 0, got {fmt(value)}.")
    if minimum is not None and value < minimum:
        raise InputError(f"{label} must be at least {fmt(minimum)}, got {fmt(value)}.")
    if maximum is not None and value > maximum:
        raise InputError(f"{label} must be at most {fmt(maximum)}, got {fmt(value)}.")
    return int(value) if integer else value


def _what_to_type(integer: bool, minimum: float | None, maximum: float | None) -> str:
    if not integer:
        return "Type a number such as 0.5."
    if minimum is not None and maximum is not None:
        return f"Type a whole number from {fmt(minimum)} to {fmt(maximum)}."
    return "Type a whole number such as 3."


def _check_rate(raw, label: str = "Learning rate", maximum: float = 10.0) -> float:
    value = parse_number(raw, label, maximum=maximum)
    if value <= 0:
        raise InputError(
            f"{label} must be greater than 0, got {fmt(value)}: a step of -rate \u00d7 slope with a negative rate "
            "would climb uphill, and a rate of 0 would never move."
        )
    return value


@dataclass(frozen=True)
class LogSlider:
    """Maps an integer slider position to a round number on a log scale (and back), for rate sliders."""

    low: float
    high: float
    steps: int = 60

    def value(self, position) -> float:
        position = min(max(int(position), 0), self.steps)
        exact = self.low * (self.high / self.low) ** (position / self.steps)
        return float(f"{exact:.2g}")  # two significant digits: labels a person can read and retype

    def position(self, value: float) -> int:
        value = min(max(float(value), self.low), self.high)
        return round(self.steps * math.log(value / self.low) / math.log(self.high / self.low))


def _scalar(value) -> pydl.Tensor:
    return pydl.tensor(float(value), dtype="float64")

