"""Callbacks: code that ``fit`` calls at the start and end of training, of every epoch and of every batch.

Subclass :class:`Callback` and override the hooks you need; ``self.model`` is the model being trained. A web page
shows live progress the same way: it passes its own callback whose ``on_batch_end`` / ``on_epoch_end`` draw the
numbers in ``logs`` (``{"loss": ..., "accuracy": ..., "val_loss": ...}``, plain Python floats).

>>> from pydl import callbacks
>>> seen = []
>>> cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(round(logs["loss"], 2)))
>>> cb.on_epoch_end(0, {"loss": 0.25})
>>> seen
[0.25]
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
import sys
import time
import warnings

from pydl.optimizers import _check_count

__all__ = [
    "Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint", "LambdaCallback", "ProgbarLogger",
    "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "HistoryDict",
]


class Callback:
    """Base class with every hook as a no-op (Keras' names and arguments).

    >>> from pydl.callbacks import Callback
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch + 1}: loss {logs['loss']:.3f}")
    >>> PrintLoss().on_epoch_end(0, {"loss": 0.5})
    epoch 1: loss 0.500
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch, logs=None): ...

    def on_epoch_end(self, epoch, logs=None): ...

    def on_batch_begin(self, batch, logs=None): ...

    def on_batch_end(self, batch, logs=None): ...

    # Keras' explicit training names call the same hooks.
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)


class CallbackList:
    """Calls a hook on every callback in order; only hooks that some callback overrides are looped over per batch."""

    def __init__(self, callbacks, model, params: dict):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}.")
            cb.set_model(model)
            cb.set_params(params)
        # Per-batch hooks run hundreds of times per epoch; skip the no-op ones.
        self._batch_begin = [cb for cb in self.callbacks if _overrides(cb, "on_batch_begin", "on_train_batch_begin")]
        self._batch_end = [cb for cb in self.callbacks if _overrides(cb, "on_batch_end", "on_train_batch_end")]

    def on_train_begin(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        for cb in self._batch_begin:
            cb.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        for cb in self._batch_end:
            cb.on_train_batch_end(batch, logs)


def _overrides(cb, *names) -> bool:
    return any(getattr(type(cb), n) is not getattr(Callback, n) for n in names)


# Keras 2 logged metrics under their long names ("mean_absolute_error" for "mae") and accuracy as "acc"; Keras 3
# logs the name given to compile. Each group holds the names of one metric.
_SAME_METRIC = (("acc", "accuracy"), ("mae", "mean_absolute_error"), ("mse", "mean_squared_error"),
                ("mape", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"))


def logged_name(key: str, keys) -> str | None:
    """The key among ``keys`` that ``key`` stands for: itself, or the same metric under its other Keras name, with
    the same ``val_``/output prefix (``"val_acc"`` finds ``"val_accuracy"``); None when there is none."""
    keys = set(keys)  # a HistoryDict's own `in` resolves aliases: test plain names
    if key in keys:
        return key
    for group in _SAME_METRIC:
        for name in group:
            if key == name or key.endswith("_" + name):
                prefix = key[:len(key) - len(name)]
                for other in group:
                    if prefix + other in keys:
                        return prefix + other
    return None


def logged(logs: dict, key: str):
    """``logs[key]``, reading a Keras 2 metric name as the name logged (see :func:`logged_name`); None if absent."""
    name = logged_name(key, logs or {})
    return None if name is None else logs[name]


class HistoryDict(dict):
    """``history.history``: a dict of the names logged (the names given to ``compile``, as Keras 3), that also
    answers the names Keras 2 logged: after ``metrics=["accuracy"]``, ``["acc"]`` and ``["val_acc"]``; after
    ``metrics=["mae"]``, ``["mean_absolute_error"]`` and ``["val_mean_absolute_error"]`` (and the other way round).

    Only reading resolves them (``[]``, ``get``, ``in``): iterating, ``keys()``, printing or plotting every key shows
    each metric once, under its logged name.

    >>> from pydl.callbacks import HistoryDict
    >>> h = HistoryDict(loss=[0.5], accuracy=[0.9], val_accuracy=[0.8])
    >>> h["acc"], h["val_acc"], "val_acc" in h, list(h)
    ([0.9], [0.8], True, ['loss', 'accuracy', 'val_accuracy'])
    """

    def __getitem__(self, key):
        name = logged_name(key, self) if isinstance(key, str) else key
        if name is None:
            raise KeyError(f"{key!r} is not in this history; it holds {list(self)}.")
        return dict.__getitem__(self, name)

    def __contains__(self, key) -> bool:
        return logged_name(key, self) is not None if isinstance(key, str) else dict.__contains__(self, key)

    def get(self, key, default=None):
        return self[key] if key in self else default


class History(Callback):
    """Records the epoch-end logs: ``history.history["loss"]`` is a list with one value per epoch.

    ``history.history`` is a :class:`HistoryDict`: it answers Keras 2's metric names too (``"acc"``,
    ``"val_mean_absolute_error"``). ``stop_reason`` holds the message when training stopped early (the loss became
    NaN or infinite, or a generator ran out).

    >>> from pydl.callbacks import History
    >>> h = History(); h.on_train_begin(); h.on_epoch_end(0, {"loss": 1.5}); h.history
    {'loss': [1.5]}
    """

    def __init__(self):
        super().__init__()
        self.history: dict = HistoryDict()
        self.epoch: list = []
        self.stop_reason: str | None = None

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = HistoryDict()
        self.stop_reason = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _improvement_op(mode: str, monitor: str):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}.")
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return mode


def _improved(mode: str, current, reference, min_delta: float) -> bool:
    """Whether ``current`` beats ``reference`` by more than ``min_delta`` in direction ``mode`` ("min"/"max")."""
    if mode == "max":
        return current - min_delta > reference
    return current + min_delta < reference


def _warn_missing(callback, monitor: str, logs) -> None:
    warnings.warn(
        f"{type(callback).__name__} is watching {monitor!r}, which is not in the logs "
        f"(available: {', '.join(sorted(logs or {}))}). Pass validation data for 'val_' keys.",
        RuntimeWarning, stacklevel=3,
    )


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    Args:
        monitor: key of the epoch logs to watch (``"val_loss"``, ``"val_accuracy"``, ``"loss"``, ...).
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement after which training stops.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise).
        restore_best_weights: when stopping, put back the weights of the best epoch.
        baseline: training stops unless the quantity beats this value within ``patience`` epochs.
        verbose: 1 prints a line when stopping.

    >>> from pydl.callbacks import EarlyStopping
    >>> EarlyStopping(monitor="val_accuracy", patience=3).mode
    'max'
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.min_delta, self.baseline = abs(float(min_delta)), baseline
        self.mode = _improvement_op(mode, monitor)
        self.restore_best_weights = bool(restore_best_weights)

    def _better(self, current, reference) -> bool:
        return _improved(self.mode, current, reference, self.min_delta)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = logged(logs, self.monitor)
        if current is None:
            _warn_missing(self, self.monitor, logs)
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # something to restore even if nothing ever improves
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) at the end of every epoch, or only when it improves.

    Args:
        filepath: path or format string with epoch/log keys, e.g. ``"model-{epoch:02d}-{val_loss:.2f}.pydl"``
            (``epoch`` counts from 1, as Keras prints it).
        monitor: log key compared when ``save_best_only``.
        save_best_only: only save when ``monitor`` improves on the best value so far.
        save_weights_only: write ``model.save_weights`` instead of ``model.save``.
        mode: ``"min"``, ``"max"`` or ``"auto"``.

    >>> from pydl.callbacks import ModelCheckpoint
    >>> ModelCheckpoint("best.pydl", monitor="val_accuracy", save_best_only=True).mode
    'max'
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto"):
        super().__init__()
        self.filepath, self.monitor, self.verbose = filepath, monitor, verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.mode = _improvement_op(mode, monitor)
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = str(self.filepath).format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logged(logs, self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: {self.monitor!r} is not in the logs; nothing saved.", RuntimeWarning,
                              stacklevel=2)
                return
            better = current > self.best if self.mode == "max" else current < self.best
            if not better:
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _learning_rate(model) -> float:
    return float(model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiply the optimizer's learning rate by ``factor`` when a monitored quantity stops improving.

    After ``patience`` epochs in a row without an improvement larger than ``min_delta``, the rate becomes
    ``max(rate * factor, min_lr)``; then ``cooldown`` epochs pass before the wait starts counting again. Every
    epoch's logs (and so ``history.history``) get ``"learning_rate"``: the rate that epoch trained with, as Keras 3.

    Args:
        monitor: key of the epoch logs to watch.
        factor: multiplier of the rate, in (0, 1).
        patience: epochs without improvement before the rate is lowered.
        min_delta: smallest change that counts as an improvement.
        cooldown: epochs after a reduction during which no further waiting is counted.
        min_lr: the rate never goes below this.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise).
        verbose: 1 prints a line at each reduction.

    >>> from pydl.callbacks import ReduceLROnPlateau
    >>> ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=1e-5).mode
    'min'
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, min_delta=1e-4, cooldown=0, min_lr=0.0,
                 mode="auto", verbose=0):
        super().__init__()
        if not 0.0 < float(factor) < 1.0:
            raise ValueError(f"ReduceLROnPlateau needs a factor in (0, 1) to lower the rate, got {factor}.")
        if not float(min_lr) >= 0.0:
            raise ValueError(f"min_lr must be >= 0, got {min_lr}.")
        self.monitor, self.factor, self.verbose = monitor, float(factor), verbose
        self.patience, self.cooldown = _check_count("patience", patience), _check_count("cooldown", cooldown)
        self.min_delta, self.min_lr = abs(float(min_delta)), float(min_lr)
        self.mode = _improvement_op(mode, monitor)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter = 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _learning_rate(self.model)
        current = logged(logs, self.monitor)
        if current is None:
            _warn_missing(self, self.monitor, logs)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _improved(self.mode, current, self.best, self.min_delta):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch) -> None:
        old_rate = _learning_rate(self.model)
        if old_rate <= self.min_lr:
            return  # already at the floor; keep waiting in case the floor is raised
        new_rate = max(old_rate * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_rate}.")
        self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch to ``schedule(epoch, current_rate)``.

    ``epoch`` counts from 0; a one-argument ``schedule(epoch)`` is accepted too, as in Keras. The epoch's logs get
    ``"learning_rate"``, the rate it trained with.

    Args:
        schedule: function returning the new rate, a finite number >= 0.
        verbose: 1 prints the rate set at each epoch.

    >>> from pydl.callbacks import LearningRateScheduler
    >>> halve_after_5 = LearningRateScheduler(lambda epoch, lr: lr if epoch < 5 else lr * 0.5)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function (epoch, lr) -> lr, got {type(schedule).__name__}.")
        self.schedule, self.verbose = schedule, verbose
        self._takes_rate = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        current = _learning_rate(self.model)
        rate = self.schedule(epoch, current) if self._takes_rate else self.schedule(epoch)
        if (not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not math.isfinite(rate)
                or rate < 0):
            raise ValueError(f"LearningRateScheduler: schedule returned {rate!r} for epoch {epoch} (counted from 0); "
                             "a learning rate must be a finite number >= 0.")
        self.model.optimizer.learning_rate = float(rate)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model)


def _accepts_two_arguments(fn) -> bool:
    """Whether ``fn(epoch, lr)`` is a valid call; True when the signature cannot be read (builtins)."""
    try:
        inspect.signature(fn).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: ``epoch`` (counted from 0) then the log keys in sorted order.

    The header comes from the first epoch's keys (a later missing value is written as ``NA``, as Keras does);
    numbers are written with ``repr`` so they read back exactly. The file stays open during training and is flushed
    after every row, so a run that stops or crashes keeps every finished epoch.

    Args:
        filename: path of the CSV file.
        separator: the one character between fields.
        append: add to an existing file (writing a header only if it is empty or missing) instead of replacing it.

    >>> from pydl.callbacks import CSVLogger
    >>> logger = CSVLogger("training.log", separator=";", append=True)
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator must be a single character, got {separator!r}.")
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self.keys, self.writer, self.file = None, None, None

    def on_train_begin(self, logs=None):
        write_header = not (self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0)
        self.file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.keys, self.write_header = None, write_header
        self.writer = csv.writer(self.file, delimiter=self.separator)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.write_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [logs.get(key, "NA") for key in self.keys])
        self.file.flush()

    def on_train_end(self, logs=None):
        if self.file is not None:
            self.file.close()
        self.file = self.writer = None


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Accepts ``on_train_begin(logs)``, ``on_train_end(logs)``, ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)`` and ``on_batch_end(batch, logs)``.
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end")

    def __init__(self, **hooks):
        super().__init__()
        unknown = sorted(set(hooks) - set(self._HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hook(s) {unknown}; valid: {', '.join(self._HOOKS)}.")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)  # instance attribute shadows the no-op method

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)


class ProgbarLogger(Callback):
    """Prints progress: ``verbose=1`` a bar per epoch (redrawn in a terminal, one final line elsewhere),
    ``verbose=2`` one line per epoch. ``fit`` adds one automatically unless ``verbose=0``.

    >>> from pydl.callbacks import ProgbarLogger
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgbarLogger(verbose=2, stream=out)
    >>> bar.set_params({"epochs": 1, "steps": 4}); bar.on_train_begin(); bar.on_epoch_begin(0)
    >>> bar.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    >>> out.getvalue().split(" - ")[0], out.getvalue().split(" - ")[2:]
    ('Epoch 1/1', ['loss: 0.5000', 'accuracy: 0.7500\\n'])
    """

    def __init__(self, verbose: int = 1, stream=None, width: int = 30):
        super().__init__()
        self.verbose, self.stream, self.width = verbose, stream, width

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def on_train_begin(self, logs=None):
        out = self._out()
        self.interactive = self.verbose == 1 and hasattr(out, "isatty") and out.isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.start, self.last_draw, self.seen = epoch, time.perf_counter(), 0.0, 0
        if self.verbose == 1:
            self._out().write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}\n")

    def on_batch_end(self, batch, logs=None):
        self.seen = batch + 1  # what an epoch of unknown length (a generator without steps) ran so far
        if not getattr(self, "interactive", False):
            return
        now = time.perf_counter()
        if now - self.last_draw < 0.1:  # redrawing every batch would cost more than the batch
            return
        self.last_draw = now
        self._out().write("\r" + self._line(batch + 1, logs))
        self._out().flush()

    def _line(self, done, logs) -> str:
        steps = self.params.get("steps") or done
        filled = int(self.width * done / max(steps, 1))
        bar = "=" * max(filled - 1, 0) + (">" if filled < self.width else "=") + "." * (self.width - filled)
        return f"{done}/{steps} [{bar}] - " + _format_logs(logs)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        steps = self.params.get("steps") or getattr(self, "seen", 0) or 1
        timing = f"{elapsed:.0f}s {1000 * elapsed / steps:.0f}ms/step"
        out = self._out()
        if self.verbose == 1:
            prefix = "\r" if getattr(self, "interactive", False) else ""
            out.write(f"{prefix}{self._line(steps, logs).split(' - ')[0]} - {timing} - {_format_logs(logs)}\n")
        elif self.verbose == 2:
            out.write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')} - {timing} - {_format_logs(logs)}\n")
        out.flush()


def _format_logs(logs) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items() if isinstance(v, (int, float)))
