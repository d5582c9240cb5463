"""Where the batches of ``fit``/``evaluate``/``predict`` come from: arrays, a Python generator, or a Sequence.

Every loop over batches (the :class:`~pydl.models.TrainingLoop`, ``evaluate``, ``predict``) asks a source for batch
after batch, so arrays and generators share one path. A source has ``steps`` (batches per epoch, None when a generator
runs until it is exhausted), ``samples`` and ``batch_size`` (None when the data decide), ``begin_epoch(rng)``,
``next_batch(index) -> (xs, ys, weights)`` (None once it has run out) and ``end_epoch()``.

A generator or Sequence batch is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` as in Keras: only a tuple
is unpacked (a list is the inputs of a model with several). Each batch is checked before it is used (structure,
number and shapes of the arrays against the first batch, labels against the loss) and a refusal names the batch;
the first batch is drawn and checked when the source is made, so a generator of the wrong kind fails before any
update. A later bad batch stops training at that batch, after the updates of the batches before it (the data only
exist as they are drawn).
"""

from __future__ import annotations

import inspect
import math

from pydl.models.training_data import (
    as_array,
    class_weight_to_sample_weight,
    describe,
)
from pydl.tensor import Tensor

__all__ = ["ArrayBatches", "GeneratorBatches", "SequenceBatches", "is_batch_source"]

_ARRAY_LIKE = (list, tuple, dict, str, bytes, bytearray, memoryview, range, Tensor)


def is_sequence(x) -> bool:
    """A ``keras.utils.Sequence``-like object: indexable batches with a length, and not data itself."""
    return (not isinstance(x, _ARRAY_LIKE) and not hasattr(x, "shape") and not hasattr(x, "__array__")
            and hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def is_batch_source(x) -> bool:
    """Whether ``x`` yields batches (a generator, any iterator, or a Sequence) rather than holding samples."""
    if inspect.isgeneratorfunction(x):
        raise ValueError(f"x is the generator function {x.__name__}(), not a generator: call it, as in "
                         f"fit({x.__name__}(...)).")
    return is_sequence(x) or (not isinstance(x, _ARRAY_LIKE) and hasattr(x, "__next__"))


class ArrayBatches:
    """Mini-batches of arrays already in memory, reshuffled at every epoch when ``shuffle`` is set."""

    def __init__(self, xs: list, ys: list, weights: list, batch_size: int, shuffle: bool = False):
        self._arrays = [*xs, *ys, *(w for w in weights if w is not None)]
        self._split = (len(xs), len(xs) + len(ys))
        self._has_weight = [w is not None for w in weights]
        self.samples, self.batch_size, self._shuffle = len(xs[0]), batch_size, shuffle
        self.steps = math.ceil(self.samples / batch_size)
        self._epoch_arrays = self._arrays

    def begin_epoch(self, rng, transform=None) -> None:
        """Shuffle (and first, with ``transform``, the loop's ``epoch_transform``, augment) the epoch's arrays."""
        arrays = self._arrays if transform is None else self._transformed_inputs(transform, rng) + self._arrays[
            self._split[0]:]
        if self._shuffle:
            order = rng.permutation(self.samples)
            self._epoch_arrays = [a[order] for a in arrays]  # one copy per epoch; batches are views of it
        else:
            self._epoch_arrays = arrays

    def _transformed_inputs(self, transform, rng) -> list:
        count = self._split[0]
        inputs = self._arrays[:count]
        given = transform(inputs[0] if count == 1 else list(inputs), rng)
        out = [given] if count == 1 else list(given) if isinstance(given, (list, tuple)) else None
        if out is None or len(out) != count:
            raise ValueError(f"TrainingLoop.epoch_transform must return {count} input arrays (a list), got "
                             f"{type(given).__name__}.")
        for before, after in zip(inputs, out):
            if getattr(after, "shape", None) is None or len(after) != len(before):
                raise ValueError(f"TrainingLoop.epoch_transform must keep the {len(before)} samples of each input, "
                                 f"got {getattr(after, 'shape', type(after).__name__)} for input of shape "
                                 f"{before.shape}.")
        return out

    def next_batch(self, index: int):
        if index >= self.steps:
            return None
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        parts = [a[window] for a in self._epoch_arrays]
        extra = iter(parts[self._split[1]:])
        return (parts[:self._split[0]], parts[self._split[0]:self._split[1]],
                [next(extra) if has else None for has in self._has_weight])

    def end_epoch(self) -> None:
        self._epoch_arrays = self._arrays


class BatchChecker:
    """Turns one drawn batch into checked lists of arrays for ``model``; the first batch fixes the structure.

    ``purpose`` is ``"fit"`` (targets needed unless the model was compiled with ``loss=None``), ``"evaluate"`` or
    ``"predict"`` (only the inputs are read); ``what`` names the source in errors (``"the generator given to fit()"``).
    """

    def __init__(self, model, purpose: str, what: str, class_weight=None):
        self.model, self.purpose, self.what, self.class_weight = model, purpose, what, class_weight
        self._shapes = None  # per array, its shape past the batch axis in the first batch
        self._has_targets = self._has_weights = None
        self._classes = None  # per output, its class count, known once the model ran on the first batch

    def __call__(self, item, index: int):
        where = f"batch {index} from {self.what}"
        x, y, weight = self._unpack(item, where)
        model = self.model
        xs = [as_array(a, f"{where}: x") for a in model._flatten(x, model.input_names, "input")]
        ys = [] if y is None else [as_array(a, f"{where}: y") for a in model._flatten(y, model.output_names, "output")]
        if self._has_targets is None:
            self._has_targets, self._has_weights = y is not None, weight is not None
        elif (y is not None, weight is not None) != (self._has_targets, self._has_weights):
            now, first = self._structure(y is not None, weight is not None), self._structure(self._has_targets,
                                                                                              self._has_weights)
            raise ValueError(f"{where} is a {now} but the first batch was a {first}; every batch must have the same "
                             "structure.")
        self._check_shapes(xs + ys, where)
        weights = model._sample_weights(weight, len(xs[0]), prefix=f"{where}: ") if weight is not None else \
            [None] * len(model.output_names)
        if self.class_weight is not None and ys:
            weights = [class_weight_to_sample_weight(self.class_weight, ys[0])]
        if self.purpose == "predict":
            return xs, ys, weights
        if self._classes is None:  # the first batch: the model runs once on one sample, so the losses can check
            try:
                self._classes = model._check_targets([a[:1] for a in xs], ys, prefix=f"{where}: ")
            except ValueError as error:
                message = str(error)
                raise ValueError(message if message.startswith(where) else f"{where}: {message}") from None
        else:
            model._check_labels(ys, self._classes, prefix=f"{where}: ")
        return xs, ys, weights

    @staticmethod
    def _structure(has_targets, has_weights) -> str:
        return "(x, y, sample_weight) tuple" if has_weights else "(x, y) tuple" if has_targets else "batch of inputs"

    def _unpack(self, item, where: str):
        """``(x, y, sample_weight)`` of a drawn batch, by Keras' rule (only a tuple is unpacked)."""
        if isinstance(item, tuple):
            if not 1 <= len(item) <= 3:
                raise ValueError(f"{where} is a tuple of {len(item)}; a batch is x, (x, y) or (x, y, sample_weight).")
            x, y, weight = (*item, None, None)[:3]
        else:
            x, y, weight = item, None, None
        if self.purpose == "predict":
            return x, None, None
        if y is None and self.model._needs_targets():
            raise ValueError(f"{where} is {describe(item)}, not a tuple (x, y) or (x, y, sample_weight): the model "
                             "was compiled with a loss, so every batch needs its targets. Yield (inputs, targets).")
        return x, y, weight

    def _check_shapes(self, arrays: list, where: str) -> None:
        shapes = [tuple(a.shape[1:]) for a in arrays]
        counts = [len(a) for a in arrays]
        if len(set(counts)) > 1:
            raise ValueError(f"{where} holds arrays of {counts} samples; x and y of a batch must have the same length.")
        if not counts[0]:
            raise ValueError(f"{where} holds no samples.")
        if self._shapes is None:
            self._shapes = shapes
            return
        for position, (shape, first) in enumerate(zip(shapes, self._shapes)):
            if shape != first:
                kind = "x" if position < len(self.model.input_names) else "y"
                raise ValueError(f"{where}: {kind} has samples of shape {shape}, but the first batch had {first}; "
                                 "every batch must hold samples of one shape (only the batch size may change).")


class GeneratorBatches:
    """Batches drawn from a Python generator (or any iterator), ``steps`` per epoch or until it is exhausted.

    One iterator serves every epoch, as Keras 2's ``fit_generator``: an endless generator (the book's) needs
    ``steps_per_epoch``; a finite one without it ends the epoch when it runs out, and the next epoch finds nothing.
    """

    batch_size = samples = None

    def __init__(self, generator, steps, check: BatchChecker):
        self._iterator, self.steps, self._check = generator, steps, check
        self.exhausted, self._drawn = False, 0
        try:
            first = next(self._iterator)
        except StopIteration:
            raise ValueError(f"{check.what} yielded no batch at all.") from None
        self._first = check(first, 0)

    def begin_epoch(self, rng, transform=None) -> None:
        _no_transform(transform)

    def next_batch(self, index: int):
        if (self.steps is not None and index >= self.steps) or self.exhausted:
            return None
        if self._first is not None:
            batch, self._first = self._first, None
        else:
            try:
                item = next(self._iterator)
            except StopIteration:
                self.exhausted = True
                return None
            batch = self._check(item, self._drawn)
        self._drawn += 1
        return batch

    def end_epoch(self) -> None:
        pass


class SequenceBatches:
    """Batches ``sequence[i]`` of a ``keras.utils.Sequence``-like object: ``len(sequence)`` per epoch (or the first
    ``steps``), in a reshuffled order each epoch when ``shuffle`` is set, then ``sequence.on_epoch_end()``."""

    batch_size = samples = None
    exhausted = False

    def __init__(self, sequence, steps, shuffle: bool, check: BatchChecker):
        self._sequence, self._shuffle, self._check = sequence, shuffle, check
        length = len(sequence)
        if not length:
            raise ValueError(f"{check.what} has no batches (its len() is 0).")
        self.steps = length if steps is None else steps
        if self.steps > length:
            raise ValueError(f"{check.what} has {length} batches, fewer than the {self.steps} steps asked for; give "
                             f"at most {length} steps (or leave them out to use every batch).")
        check(sequence[0], 0)  # the structure now, before training starts
        self._order = list(range(length))

    def begin_epoch(self, rng, transform=None) -> None:
        _no_transform(transform)
        length = len(self._order)
        self._order = [int(i) for i in rng.permutation(length)] if self._shuffle and rng is not None else \
            list(range(length))

    def next_batch(self, index: int):
        if index >= self.steps:
            return None
        return self._check(self._sequence[self._order[index]], self._order[index])

    def end_epoch(self) -> None:
        on_epoch_end = getattr(self._sequence, "on_epoch_end", None)
        if callable(on_epoch_end):
            on_epoch_end()


def _no_transform(transform) -> None:
    if transform is not None:
        raise ValueError("TrainingLoop.epoch_transform applies to arrays; a generator or Sequence augments its own "
                         "batches (in __getitem__ or on_epoch_end).")


def batch_source(model, x, steps, purpose: str, what: str, shuffle: bool = False, class_weight=None):
    """A :class:`GeneratorBatches` or :class:`SequenceBatches` over ``x`` (``steps`` already checked)."""
    check = BatchChecker(model, purpose, what, class_weight)
    if is_sequence(x):
        return SequenceBatches(x, steps, shuffle, check)
    return GeneratorBatches(x, steps, check)
