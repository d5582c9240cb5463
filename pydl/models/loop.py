"""The training loop as an object you can step: :class:`TrainingLoop`, what ``fit`` runs to the end.

A web page cannot block for a whole ``fit``: it has to draw, and Pause/Stop must answer between batches. So the
loop keeps its place (epoch, batch, the epoch's shuffled order and running log averages) between calls, and
``loop.step(max_seconds=0.05)`` trains for a slice of time and returns. Stepping in slices of any size gives the
same numbers, bit for bit, as ``fit`` with the same seed: both run the same batches in the same order with the
same generator, and nothing the loop does depends on where a slice ended.

>>> import numpy as np
>>> import pydl
>>> from pydl import layers, models
>>> pydl.seed(0)
>>> model = models.Sequential([layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", loss="mse")
>>> x = np.arange(40.0).reshape(20, 2) / 40; y = x.sum(axis=1, keepdims=True)
>>> loop = model.training_loop(x, y, batch_size=5, epochs=3, verbose=0, seed=1)
>>> loop.step(max_batches=6)
6
>>> loop.epoch, loop.batch, loop.done
(1, 2, False)
>>> loop.step()  # the rest: 2 batches of epoch 2, then 4 of epoch 3
6
>>> loop.done, len(loop.history.history["loss"])
(True, 3)
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
import warnings

from pydl import callbacks as callbacks_module
from pydl import random as pydl_random

__all__ = ["TrainingLoop", "watching"]

_watchers: list = []  # the make_callbacks of each watching() block in progress, outermost first


@contextlib.contextmanager
def watching(make_callbacks):
    """While the block runs, every :class:`TrainingLoop` made (so every ``fit``) also gets ``make_callbacks()``'s
    callbacks (a list, made afresh for each loop, placed after the loop's own).

    For a page that runs code it did not write and shows its training: the code lab's cells call plain
    ``model.fit``, and the lab watches them for its progress bar and its Pause/Stop buttons.

    >>> import numpy as np
    >>> from pydl import callbacks, layers, models
    >>> model = models.Sequential([layers.Dense(1, input_shape=(2,))]); model.compile("sgd", loss="mse")
    >>> ends = []
    >>> with watching(lambda: [callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(epoch))]):
    ...     _ = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0)
    >>> ends
    [0, 1]
    """
    _watchers.append(make_callbacks)
    try:
        yield
    finally:
        _watchers.remove(make_callbacks)


class LogMeans:
    """Running means of the epoch's logs, each value weighted by its batch size (Keras' epoch averages)."""

    def __init__(self):
        self.sums: dict = {}
        self.counts: dict = {}

    def add(self, logs: dict, count) -> None:
        for key, value in logs.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * count
            self.counts[key] = self.counts.get(key, 0) + count

    def add_total(self, key: str, total, count) -> None:
        """A weighted metric's sum of weighted values and sum of weights (a zero total weight reads as 0)."""
        self.sums[key] = self.sums.get(key, 0.0) + total
        self.counts[key] = self.counts.get(key, 0.0) + count

    def means(self) -> dict:
        return {key: total / self.counts[key] if self.counts[key] else 0.0 for key, total in self.sums.items()}


def _positive(value, name: str, kind):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (kind is int and value != int(value)):
        raise ValueError(f"TrainingLoop.step(): {name} must be a positive {'whole number' if kind is int else 'number'}"
                         f" or None, got {value!r}.")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"TrainingLoop.step(): {name} must be positive and finite (or None), got {value!r}.")
    return kind(value)


def validation_epochs(validation_freq):
    """``fit``'s ``validation_freq`` as ``fn(epoch index) -> bool``, checked now: Keras 3's rule, an int ``n`` for
    every ``n``-th epoch and a list for those epochs, epochs counted from 1 (a tuple or set too, as Keras 2 took and
    Keras 3's docstring still says, where its code takes a list only)."""
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"fit(): validation_freq must be a positive int (validate every n-th epoch) or a list "
                             f"of epochs, got {validation_freq!r}.")
        return lambda epoch: (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set, frozenset)) and all(
            isinstance(e, int) and not isinstance(e, bool) and e >= 1 for e in validation_freq):
        epochs = frozenset(validation_freq)
        return lambda epoch: epoch + 1 in epochs
    raise ValueError(f"fit(): validation_freq must be a positive int (validate every n-th epoch) or a list of "
                     f"epochs counted from 1, got {validation_freq!r}.")


class TrainingLoop:
    """``fit`` as an object: epochs of shuffled mini-batches with callbacks, validation and the NaN stop.

    Made by :meth:`Model.training_loop` (it takes ``fit``'s arguments and checks them all before returning);
    ``fit`` is ``model.training_loop(...).step()``.

    Attributes:
        epoch: the epoch the next batch belongs to (counted from 0, starting at ``initial_epoch``); once the loop is
            done, one past the last epoch that ran.
        batch: the index of the next batch within ``epoch`` (0 at an epoch's start).
        done: True once training has ended (all epochs ran, a callback or :meth:`stop` stopped it, or the loss
            became NaN/infinite); ``on_train_end`` has then been called, exactly once.
        history: the :class:`~pydl.callbacks.History` filled at each epoch's end (also ``model.history``).
        logs: the current epoch's running averages, as the last ``on_batch_end`` saw them (``{}`` before one).
        epoch_transform: None, or ``fn(x, rng) -> x`` for per-epoch data augmentation: at each epoch's start (before
            ``on_epoch_begin`` and the shuffle) the training inputs are ``fn(original inputs, the loop's
            generator)``, so every epoch sees fresh copies drawn from the one seeded generator and a run repeats
            exactly. ``x`` is what the model takes (one array, or a list for several inputs); the result must keep
            that structure and the number of samples. Targets and sample weights are not transformed. Set it before
            the first :meth:`step` (or between epochs).

    The callbacks see what ``fit`` gives them: ``on_train_begin`` once, at the first :meth:`step` (or
    :meth:`stop`); ``on_epoch_begin``/``on_epoch_end`` around each epoch; ``on_batch_begin``/``on_batch_end``
    around each batch; ``on_train_end`` once, when the loop becomes done.
    """

    def __init__(self, model, source, *, epochs: int, verbose, callbacks, validation, initial_epoch: int,
                 validates=None):
        """Use :meth:`Model.training_loop`: it checks the arguments and makes the batch ``source`` (arrays, a
        generator or a Sequence, see :mod:`pydl.models.batch_sources`); ``validation`` is None or a function
        returning the validation logs, run after the epochs ``validates(epoch index)`` accepts (every epoch when
        None)."""
        self.model = model
        self._source = source
        self._epochs = epochs
        self._validation = validation
        self._validates = validates or (lambda epoch: True)
        self._steps = source.steps  # None: a generator that runs until it is exhausted
        self._rng = pydl_random.get_generator()
        self.history = callbacks_module.History()
        chain = list(callbacks or []) + [callback for make in list(_watchers) for callback in make()]
        if verbose:
            chain.append(callbacks_module.ProgbarLogger(verbose=verbose))
        chain.append(self.history)
        params = {"epochs": epochs, "steps": self._steps, "samples": source.samples, "batch_size": source.batch_size,
                  "verbose": verbose}
        self._callbacks = callbacks_module.CallbackList(chain, model, params)
        self.epoch, self.batch, self.done = initial_epoch, 0, False
        self.logs: dict = {}
        self._started = self._stepping = False
        self._means = None
        self.epoch_transform = None

    @property
    def steps(self):
        """Batches per epoch (None for a generator given no ``steps_per_epoch``: its epoch ends when it runs out)."""
        return self._steps

    def step(self, max_batches=None, max_seconds=None) -> int:
        """Train until ``max_batches`` batches ran, or ``max_seconds`` passed, or training is done.

        Both limits are checked after each batch (so a call with a limit runs at least one batch, and an epoch's
        validation runs inside the call whose batch ended the epoch). With neither limit, it trains to the end.

        Returns:
            The number of batches this call ran (0 once :attr:`done`).
        """
        max_batches = _positive(max_batches, "max_batches", int)
        max_seconds = _positive(max_seconds, "max_seconds", float)
        if self.done:
            return 0
        start = time.perf_counter()
        self._begin_training()
        ran, self._stepping = 0, True
        try:
            while not self.done:
                if self.batch == 0 and not self._begin_epoch():
                    break
                finite = self._run_batch()
                if finite is None:  # the source ran out before the epoch's last step
                    if self.batch == 0:
                        self._ran_out()
                    else:
                        self._end_epoch(validate=True)
                    continue
                ran += 1
                if not finite:
                    self._end_epoch(validate=False)
                elif self.batch == self._steps or self.model.stop_training:
                    self._end_epoch(validate=True)
                if (max_batches is not None and ran >= max_batches) or (
                        max_seconds is not None and time.perf_counter() - start >= max_seconds):
                    break
        finally:
            self._stepping = False
        return ran

    def stop(self) -> None:
        """End training now: an epoch in progress ends at the last batch that ran (its averages so far, then
        validation and ``on_epoch_end``, as when a callback sets ``model.stop_training``); then ``on_train_end``.

        Called from a callback while :meth:`step` runs, it acts like ``model.stop_training = True``: the epoch ends
        after the batch in progress."""
        if self.done:
            return
        self._begin_training()
        self.model.stop_training = True
        if self._stepping:
            return
        if self.batch > 0:
            self._end_epoch(validate=True)
        else:
            self._finish()

    # ----------------------------------------------------------------- the pieces of fit's loop
    def _begin_training(self) -> None:
        if self._started:
            return
        self._started = True
        self.model.history = self.history
        self.model.stop_training = False
        self._callbacks.on_train_begin()
        if self.epoch >= self._epochs:
            self._finish()

    def _begin_epoch(self) -> bool:
        """Start an epoch; False (training ends, with a warning as in Keras) when a generator has run out."""
        if getattr(self._source, "exhausted", False):
            self._ran_out()
            return False
        self._source.begin_epoch(self._rng, self.epoch_transform)  # first: a transform that fails starts nothing
        self._callbacks.on_epoch_begin(self.epoch)
        self._means, self.logs = LogMeans(), {}
        return True

    def _run_batch(self):
        """One update; False when its loss was NaN/infinite (then it was not applied and training stops), None
        when the source had no batch left for this epoch."""
        batch = self.batch
        parts = self._source.next_batch(batch)
        if parts is None:
            return None
        xb, yb, wb = parts
        self._callbacks.on_batch_begin(batch, {"batch": batch, "size": len(xb[0])})
        loss = self.model._train_batch(xb, yb, wb, self._means)
        self.batch += 1
        self.logs = self._means.means()
        self._callbacks.on_batch_end(batch, self.logs)
        if math.isfinite(loss):
            return True
        self._stop_on_nan(loss, batch)
        return False

    def _end_epoch(self, validate: bool) -> None:
        epoch_logs = self._means.means()
        self._source.end_epoch()
        if validate and self._validation is not None and self._validates(self.epoch):
            epoch_logs.update({f"val_{k}": v for k, v in self._validation().items()})
        self._callbacks.on_epoch_end(self.epoch, epoch_logs)
        self.epoch, self.batch = self.epoch + 1, 0
        if self.model.stop_training or self.epoch >= self._epochs:
            self._finish()

    def _ran_out(self) -> None:
        message = (f"The generator ran out of batches at the start of epoch {self.epoch + 1}; training stopped. "
                   "Give an endless generator (and steps_per_epoch) or one with at least steps_per_epoch * epochs "
                   "batches.")
        self.history.stop_reason = message
        warnings.warn(message, UserWarning, stacklevel=5)
        self._finish()

    def _finish(self) -> None:
        self.done = True
        self._callbacks.on_train_end()

    def _stop_on_nan(self, loss, batch) -> None:
        kind = "NaN" if math.isnan(loss) else "infinite"
        message = (
            f"Loss became {kind} at epoch {self.epoch + 1}, batch {batch + 1}; training stopped (that batch's update "
            "was not applied). Lower the learning rate, scale the inputs (e.g. pydl.preprocessing.Standardizer), "
            "or check the data for NaN/inf values."
        )
        self.history.stop_reason = message
        self.model.stop_training = True
        warnings.warn(message, RuntimeWarning, stacklevel=4)
