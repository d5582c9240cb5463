"""Recurrent networks (web/rnn/): everything the page computes, importable and tested natively.

* :mod:`.reading`: a four-unit SimpleRNN reads an 8x8 digit row by row; every number of
  ``h_t = tanh(x_t W + h_{t-1} U + b)`` at every step, computed by hand from the layer's weights.
* :mod:`.training`: SimpleRNN, LSTM and GRU classifiers trained in turns on the digits as sequences of rows.
* :mod:`.fading`: the gradient of the last state with respect to each step's input (autograd), for a SimpleRNN and
  an LSTM on long sequences, with the two knobs that decide whether it vanishes.

Fields typed by a person are checked by ``check_*`` functions returning ``(values, None)`` or ``(None, message)``.
"""

from pydl.lessons.rnn.fading import (
    DIGIT_CHOICES, FADING_DEFAULTS, FADING_LIMITS, bar_heights, check_fading, compare_to_last, fading,
    gradient_per_step, long_sequences, lstm_with_forget_bias, readable, simple_rnn_scaled,
)
from pydl.lessons.rnn.reading import (
    INK_LEVELS, ROWS, UNITS, ReadingLesson, ReadingStep, check_digit, digit_samples, make_reader, next_ink, number,
)
from pydl.lessons.rnn.training import (
    FIELD_LABELS, MODEL_KINDS, TRAINING_DEFAULTS, TRAINING_LIMITS, Comparison, build_classifier, chance_accuracy,
    check_training, sequence_data,
)

__all__ = [
    "DIGIT_CHOICES", "FADING_DEFAULTS", "FADING_LIMITS", "bar_heights", "check_fading", "compare_to_last", "fading",
    "gradient_per_step", "long_sequences", "lstm_with_forget_bias", "readable", "simple_rnn_scaled",
    "INK_LEVELS", "ROWS", "UNITS", "ReadingLesson", "ReadingStep", "check_digit", "digit_samples", "make_reader",
    "next_ink", "number",
    "FIELD_LABELS", "MODEL_KINDS", "TRAINING_DEFAULTS", "TRAINING_LIMITS", "Comparison", "build_classifier",
    "chance_accuracy", "check_training", "sequence_data",
]
