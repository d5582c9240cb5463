"""Why memory fades: how much the last state feels each earlier input, measured with autograd.

For sequences of several digits read row by row one after another, the final state ``h_T`` of a 16-unit layer is
summed and ``backward()`` gives its gradient with respect to every timestep's input; the bar of step ``t`` is the
length of that gradient (over the step's 8 pixels), averaged over the sequences.

Backpropagation through time multiplies one factor per step. A SimpleRNN's factor is ``tanh'(.) U``: its size is
set by the recurrent weights, so the gradient of early steps shrinks geometrically (vanishes) when they are a little
small and grows (explodes) when they are a little large. An LSTM's carry ``c`` passes from step to step multiplied
only by its forget gate, ``sigmoid(forget bias + ...)``: a number below 1 that training can push towards 1, where the
carry, and its gradient, travel on almost unchanged. The two knobs of :func:`fading` are exactly these: the scale of
the SimpleRNN's recurrent weights and the LSTM's forget-gate bias (Keras starts them at x1, orthogonal, and at 1).

>>> result = fading(digits=4, recurrent_scale=1.0, forget_bias=1.0)
>>> [len(result[kind]["gradients"]) for kind in ("SimpleRNN", "LSTM")]
[32, 32]
"""

from __future__ import annotations

import math

import pydl
from pydl import layers
from pydl.backend import np
from pydl.datasets import load_digits
from pydl.lessons.gradient_descent.validation import InputError, fmt, parse_number

__all__ = ["FADING_DEFAULTS", "FADING_LIMITS", "DIGIT_CHOICES", "UNITS", "long_sequences", "simple_rnn_scaled",
           "lstm_with_forget_bias", "gradient_per_step", "readable", "compare_to_last", "bar_heights", "check_fading",
           "fading"]

UNITS = 16
SEQUENCES = 32     # gradients are averaged over this many sequences, so one odd digit does not decide the picture
DIGIT_CHOICES = (1, 2, 4, 6, 8)   # digits per sequence: 8 to 64 timesteps
FADING_DEFAULTS = {"digits": 4, "recurrent_scale": 1.0, "forget_bias": 1.0}
FADING_LIMITS = {"recurrent_scale": (0.5, 2.0), "forget_bias": (-2.0, 8.0)}
DECADES = 8  # the bars' log scale spans this many powers of ten below the largest gradient of the row


def long_sequences(digits: int = 4, count: int = SEQUENCES, seed: int = 0) -> np.ndarray:
    """``count`` sequences of ``digits`` random training digits read row by row one after another:
    float64 (count, 8 * digits, 8), ink in [0, 1]. Every step has real input, as in a text or a signal."""
    (x_train, _), _ = load_digits()
    picks = np.random.default_rng(seed).integers(0, len(x_train), (count, digits))
    return (x_train[picks].astype(np.float64) / 16).reshape(count, 8 * digits, 8)


def simple_rnn_scaled(recurrent_scale: float = 1.0, units: int = UNITS, seed: int = 0) -> layers.SimpleRNN:
    """A fresh float64 SimpleRNN for 8 features whose recurrent weights U are multiplied by ``recurrent_scale``."""
    pydl.seed(seed)
    layer = layers.SimpleRNN(units, dtype="float64")
    layer.build((None, None, 8))
    kernel, recurrent, bias = layer.get_weights()
    layer.set_weights([kernel, recurrent * recurrent_scale, bias])
    return layer


def lstm_with_forget_bias(forget_bias: float = 1.0, units: int = UNITS, seed: int = 0) -> layers.LSTM:
    """A fresh float64 LSTM for 8 features whose forget-gate bias (Keras' second block of ``units``) is
    ``forget_bias`` (Keras starts it at 1)."""
    pydl.seed(seed)
    layer = layers.LSTM(units, dtype="float64")
    layer.build((None, None, 8))
    kernel, recurrent, bias = layer.get_weights()
    bias[units:2 * units] = forget_bias
    layer.set_weights([kernel, recurrent, bias])
    return layer


def gradient_per_step(layer, sequences) -> np.ndarray:
    """(timesteps,) mean over ``sequences`` of the length of d(sum of the final state) / d(input at step t)."""
    inputs = pydl.tensor(np.asarray(sequences, dtype=np.float64), requires_grad=True)
    layer(inputs).sum().backward()
    return np.sqrt((inputs.grad ** 2).sum(axis=2)).mean(axis=0)


SUPERSCRIPTS = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")


def readable(value: float) -> str:
    """A positive factor as a person reads it: 3.5, 410, 190,000, 2.6 \u00d7 10\u00b9\u2070 (two significant digits)."""
    if value < 10:
        return fmt(value, 2)
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10 ** exponent, 1)
    if mantissa >= 10:  # 9.96 rounds up to the next power of ten
        mantissa, exponent = 1.0, exponent + 1
    if exponent < 6:
        return f"{round(mantissa * 10 ** exponent):,}"
    return f"{fmt(mantissa, 2)} \u00d7 10{str(exponent).translate(SUPERSCRIPTS)}"


def compare_to_last(gradients) -> str:
    """The first step's gradient against the last step's, in words, with the mean factor of one step back:
    "the first step's gradient is 1/410 of the last step's: each step back multiplies it by 0.82 on average"."""
    gradients = np.asarray(gradients, dtype=np.float64)
    ratio = float(gradients[0] / gradients[-1])
    if ratio >= 1:
        size = f"{readable(ratio)} times"
    else:
        divisor = readable(1 / ratio)
        size = f"1/({divisor}) of" if "\u00d7" in divisor else f"1/{divisor} of"  # 1/(2.6 x 10^10), not 1/2.6 x ...
    text = f"the first step's gradient is {size} the last step's"
    if len(gradients) > 1:
        per_step = ratio ** (1 / (len(gradients) - 1))  # the geometric mean of the factors of the steps between
        text += f": each step back multiplies it by {fmt(per_step, 3)} on average"
    return text


def bar_heights(gradients, log: bool = False, decades: int = DECADES) -> list:
    """Bar heights in % of the largest gradient's bar (100).

    Linear bars show a vanishing gradient as bars that shrink to nothing; on a log scale (``log=True``: 0 is
    ``decades`` powers of ten below the largest) a geometric decay becomes a straight slope, and even a factor of
    1e-9 keeps a visible bar.
    """
    gradients = np.asarray(gradients, dtype=np.float64)
    top = float(gradients.max())
    if top <= 0:
        return [0.0] * len(gradients)
    if not log:
        return [100 * float(v) / top for v in gradients]
    return [max(0.0, 100 * (1 + math.log10(v / top) / decades)) if v > 0 else 0.0 for v in gradients]


def check_fading(raw: dict) -> tuple:
    """``(values, None)`` from the card's controls, or ``(None, message)``: ``digits`` one of
    :data:`DIGIT_CHOICES`, ``recurrent_scale`` and ``forget_bias`` within :data:`FADING_LIMITS`."""
    try:
        digits = parse_number(raw.get("digits", ""), "Digits per sequence", integer=True)
        if digits not in DIGIT_CHOICES:
            raise InputError(f"Digits per sequence must be one of {', '.join(map(str, DIGIT_CHOICES))}, "
                             f"got {digits}.")
        scale = parse_number(raw.get("recurrent_scale", ""), "SimpleRNN weight scale",
                             *FADING_LIMITS["recurrent_scale"])
        bias = parse_number(raw.get("forget_bias", ""), "LSTM forget-gate bias", *FADING_LIMITS["forget_bias"])
    except InputError as error:
        return None, str(error)
    return {"digits": digits, "recurrent_scale": scale, "forget_bias": bias}, None


def fading(digits: int = 4, recurrent_scale: float = 1.0, forget_bias: float = 1.0, seed: int = 0) -> dict:
    """Everything the card shows, per kind ("SimpleRNN", "LSTM"): ``gradients`` (one per timestep),
    ``heights`` and ``log_heights`` (its bars, linear and on a log scale, in %) and ``sentence``; plus ``steps`` and
    ``forget_gate`` (the gate's value when the rest of its sum is 0, sigmoid(bias): the share of the carry kept per
    step)."""
    sequences = long_sequences(digits, seed=seed)
    gradients = {"SimpleRNN": gradient_per_step(simple_rnn_scaled(recurrent_scale, seed=seed), sequences),
                 "LSTM": gradient_per_step(lstm_with_forget_bias(forget_bias, seed=seed), sequences)}
    out = {"steps": sequences.shape[1], "forget_gate": 1 / (1 + math.exp(-forget_bias))}
    for kind, grads in gradients.items():
        out[kind] = {"gradients": grads.tolist(), "heights": bar_heights(grads),
                     "log_heights": bar_heights(grads, log=True), "sentence": f"{kind}: {compare_to_last(grads)}."}
    return out
