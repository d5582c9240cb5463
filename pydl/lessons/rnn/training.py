"""Train it: SimpleRNN, LSTM and GRU classifiers race on the digits read row by row (8 steps of 8 pixels).

The data are the convnet lab's digits (the same stratified validation split) with the channel axis dropped, so that
each image is a sequence of rows. Each model trains in slices of its own ``model.training_loop`` (``fit``'s loop, with
the validation digits, through :func:`pydl.lessons.convnet.training_loop`); :class:`Comparison` always advances the
model that is furthest behind, so the validation curves grow together and a page can pause or stop between slices.

>>> values, message = check_training({"units": "16", "epochs": "0", "learning_rate": "0.01"})
>>> values, message
(None, 'Epochs must be at least 1, got 0.')
"""

from __future__ import annotations

from dataclasses import replace

import pydl
from pydl import layers, models, optimizers
from pydl.backend import np
from pydl.lessons.convnet import LabData, WallClock, load_digits_data, progress, train_slice, training_loop
from pydl.lessons.gradient_descent.validation import InputError, parse_number

__all__ = ["MODEL_KINDS", "TRAINING_DEFAULTS", "TRAINING_LIMITS", "check_training", "sequence_data",
           "build_classifier", "chance_accuracy", "Comparison"]

MODEL_KINDS = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}
# Small enough that every model trains an epoch in about a second in the browser.
TRAINING_DEFAULTS = {"units": 16, "epochs": 8, "learning_rate": 0.01, "kinds": tuple(MODEL_KINDS)}
TRAINING_LIMITS = {"units": (1, 64), "epochs": (1, 30), "learning_rate": (1e-4, 1.0)}
BATCH_SIZE = 32

# field key -> label the messages start with (a page flags the field whose label starts the message)
FIELD_LABELS = {"units": "Units", "epochs": "Epochs", "learning_rate": "Learning rate"}


def check_training(raw: dict) -> tuple:
    """``(values, None)`` from the page's fields, or ``(None, message)`` naming the field that is wrong.

    raw: ``units``, ``epochs``, ``learning_rate`` as typed (text), ``kinds``: the model kinds ticked (default all).
    """
    try:
        units = parse_number(raw.get("units", ""), FIELD_LABELS["units"], *TRAINING_LIMITS["units"], integer=True)
        epochs = parse_number(raw.get("epochs", ""), FIELD_LABELS["epochs"], *TRAINING_LIMITS["epochs"], integer=True)
        rate = parse_number(raw.get("learning_rate", ""), FIELD_LABELS["learning_rate"],
                            *TRAINING_LIMITS["learning_rate"])
    except InputError as error:
        return None, str(error)
    kinds = tuple(kind for kind in MODEL_KINDS if kind in raw.get("kinds", MODEL_KINDS))
    if not kinds:
        return None, "Models: tick at least one of SimpleRNN, LSTM and GRU."
    return {"units": units, "epochs": epochs, "learning_rate": rate, "kinds": kinds}, None


def sequence_data(seed: int = 0) -> LabData:
    """The digits as sequences: x arrays (n, 8 rows = timesteps, 8 pixels = features), float32 ink in [0, 1]."""
    images = load_digits_data(8, seed)

    def rows(x):
        return np.ascontiguousarray(x[..., 0])

    return replace(images, name="digits read row by row", x_train=rows(images.x_train), x_val=rows(images.x_val),
                   x_test=rows(images.x_test))


def build_classifier(kind: str, units: int, learning_rate: float, seed: int = 0) -> models.Sequential:
    """``kind`` (a key of :data:`MODEL_KINDS`) with ``units`` units reads the rows; a softmax Dense names the digit."""
    pydl.seed(seed)
    model = models.Sequential([layers.Input((None, 8)), MODEL_KINDS[kind](units, name=kind.lower()),
                               layers.Dense(10, activation="softmax", name="digit")], name=kind)
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def chance_accuracy(data: LabData) -> float:
    """Test accuracy of always answering the most common training digit: what a model must beat to have learned."""
    labels, counts = np.unique(data.y_train, return_counts=True)  # not bincount: it refuses int64 on 32-bit wasm
    most_common = labels[counts.argmax()]
    return float(np.mean(data.y_test == most_common))


class Comparison:
    """One training loop per model kind in ``values`` (from :func:`check_training`), trained in turns.

    ``loops[kind]`` is that model's :class:`~pydl.models.TrainingLoop`: its numbers are ``fit``'s with the same seed,
    bit for bit, however the turns fall. ``clock`` (a :class:`~pydl.lessons.convnet.WallClock`, started by the first
    :meth:`step`; a page pauses and resumes it) measures the wall time the learner waits; each model is charged the
    time from the start of its slice to the start of the next one, so whatever the page does after a slice
    (drawing, yielding to the browser) counts for the model whose epoch it shows, and the models' times add up to
    the clock's.
    """

    def __init__(self, values: dict, data: LabData, seed: int = 0, clock: WallClock | None = None):
        self.values, self.data = values, data
        self.models = {kind: build_classifier(kind, values["units"], values["learning_rate"], seed)
                       for kind in values["kinds"]}
        self.loops = {kind: training_loop(model, data, values["epochs"], BATCH_SIZE, seed=seed)
                      for kind, model in self.models.items()}
        self.clock = clock or WallClock()
        self.seconds = {kind: 0.0 for kind in self.models}  # wall seconds charged to each model
        self._started = False
        self._current, self._charged = None, 0.0

    def _charge(self) -> None:
        now = self.clock.seconds()
        if self._current is not None:
            self.seconds[self._current] += now - self._charged
        self._charged = now

    @property
    def done(self) -> bool:
        return all(loop.done for loop in self.loops.values())

    @property
    def progress(self) -> float:
        """Fraction of all the models' epochs done, 0 to 1."""
        return sum(progress(loop) for loop in self.loops.values()) / (len(self.loops) * self.values["epochs"])

    def step(self, max_seconds: float = 0.1) -> tuple:
        """Train the model furthest behind for a :func:`~pydl.lessons.convnet.train_slice`: ``(kind, logs)``,
        where logs are the epoch's ``{epoch, loss, accuracy, val_loss, val_accuracy}`` if this slice finished an
        epoch, else None; ``(None, None)`` once all are done."""
        waiting = [kind for kind, loop in self.loops.items() if not loop.done]
        if not waiting:
            return None, None
        kind = min(waiting, key=lambda k: progress(self.loops[k]))
        loop = self.loops[kind]
        if not self._started:
            self._started = True
            self.clock.start()
        self._charge()
        self._current = kind
        if not train_slice(loop, max_seconds):
            return kind, None
        history = loop.history.history
        return kind, {"epoch": loop.epoch, **{key: values[-1] for key, values in history.items()}}

    def validation_curves(self) -> dict:
        """kind -> validation accuracy after each finished epoch."""
        return {kind: list(loop.history.history.get("val_accuracy", [])) for kind, loop in self.loops.items()}

    def results(self) -> dict:
        """kind -> {epochs, params, test_accuracy, seconds_per_epoch} for each model as it is now (held-out test
        digits, never trained on); seconds_per_epoch is the wall time charged to it per epoch (None before one)."""
        self._charge()
        self._current = None  # the books are closed: time until the next step is nobody's
        out = {}
        for kind, loop in self.loops.items():
            _, accuracy = self.models[kind].evaluate(self.data.x_test, self.data.y_test, batch_size=256, verbose=0)
            epochs = loop.epoch
            out[kind] = {"epochs": epochs, "params": self.models[kind].count_params(),
                         "test_accuracy": float(accuracy),
                         "seconds_per_epoch": self.seconds[kind] / epochs if epochs else None}
        return out
