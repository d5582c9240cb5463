"""Keras' training API for models: ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` steps.

One loop serves every model: data travel as lists (one array per model input, one target array per output), so a
``Sequential`` model is the case of one input and one output, and a functional :class:`~pydl.models.Model` may have
several of each, with a loss (and metrics) per output summed with ``loss_weights``.

The per-batch path (:meth:`Trainer._train_step`) is kept short on purpose: forward, loss (+ regularization
penalties), backward, one optimizer call and host-side metrics. Everything that only needs checking once (labels
against the loss, array conversion, sample weights, metric resolution) happens before the batch loop. Losses are
weighted and reduced in one place, :func:`pydl.losses.reduce_weighted` (Keras 3's ``sum_over_batch_size``).
"""

from __future__ import annotations

import math

from pydl import backend, losses
from pydl import metrics as metrics_module
from pydl import random as pydl_random
from pydl.models.batch_sources import ArrayBatches, batch_source, is_batch_source, is_sequence
from pydl.models.compiling import Compiling
from pydl.models.evaluation import Evaluation
from pydl.models.loop import LogMeans, TrainingLoop, validation_epochs
from pydl.models.training_data import (
    as_array,
    check_labels,
    check_sample_weight,
    class_weight_to_sample_weight,
    describe,
    whole_number,
)
from pydl.autograd import no_grad

__all__ = ["Trainer"]


class Trainer(Compiling, Evaluation):
    """Mixin giving a model ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods.

    The model provides ``input_names`` and ``output_names`` (lists), ``_forward(inputs: list, training) -> list of
    Tensors`` (one per output), ``_pack_outputs(list)`` (the user-facing structure), ``layers``, ``name`` and
    ``trainable_weights``.
    """

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._output_losses: list = []  # one loss function per output
        self._loss_weights: list = []
        self._metric_specs: list = []  # per output: the metrics as given to compile
        self._weighted_metric_specs: list = []  # per output: the weighted_metrics as given to compile
        self._metrics = None  # [(log name, output index, fn, weighted)], resolved on the first batch (output shapes)

    # ----------------------------------------------------------------- data structures
    def _flatten(self, data, names: list, what: str) -> list:
        """``data`` (one item, a list in ``names`` order or a dict keyed by ``names``) as a list in ``names`` order."""
        if isinstance(data, dict):
            missing, unknown = [n for n in names if n not in data], sorted(map(str, set(data) - set(names)))
            if missing or unknown:
                raise ValueError(f'Model "{self.name}" has {what}s {names}, but the dict given has no {missing} '
                                 f"and unknown keys {unknown}.")
            return [data[n] for n in names]
        if len(names) == 1:
            return [data]  # a list here is one input written as nested lists, as it always was
        if isinstance(data, (list, tuple)) and len(data) == len(names):
            return list(data)
        raise ValueError(f'Model "{self.name}" expects {len(names)} {what}s ({", ".join(names)}), as a list in that '
                         f"order or a dict by name, but got {describe(data)}.")

    def _arrays(self, x, y=None, prefix: str = ""):
        """Inputs (and targets) as lists of arrays with one sample count, checked once before any batch."""
        xs = [as_array(a, f"{prefix}x") for a in self._flatten(x, self.input_names, "input")]
        if y is None:
            return xs
        ys = [as_array(a, f"{prefix}y") for a in self._flatten(y, self.output_names, "output")]
        labels = ([f"{prefix}x"] if len(xs) == 1 else [f"{prefix}x[{n!r}]" for n in self.input_names]) + \
                 ([f"{prefix}y"] if len(ys) == 1 else [f"{prefix}y[{n!r}]" for n in self.output_names])
        counts = [len(a) for a in xs + ys]
        if len(set(counts)) > 1:
            different = next(i for i, c in enumerate(counts) if c != counts[0])
            raise ValueError(f"{labels[0]} has {counts[0]} samples but {labels[different]} has {counts[different]}; "
                             "they must have the same length.")
        return xs, ys

    def _sample_weights(self, sample_weight, samples: int, prefix: str = "") -> list:
        """One checked weight array (or None) per output: one array for all outputs, or a list/dict per output."""
        count = len(self.output_names)
        if sample_weight is None:
            return [None] * count
        if count > 1 and isinstance(sample_weight, (list, tuple, dict)):
            given = self._flatten(sample_weight, self.output_names, "sample_weight")
        else:
            given = [sample_weight] * count
        names = [f"{prefix}sample_weight" + ("" if count == 1 else f"[{name!r}]") for name in self.output_names]
        return [None if w is None else check_sample_weight(w, samples, name) for w, name in zip(given, names)]

    def _pack(self, arrays: list, names: list):
        """One array for a single input/output, else the list (what ``evaluate`` and friends accept)."""
        return arrays[0] if len(names) == 1 else arrays

    # ----------------------------------------------------------------- one batch
    def _weighted_loss(self, ys: list, outs: list, weights: list, penalties: bool):
        """The total of the output losses (times ``loss_weights``), plus the losses layers added in this forward
        pass (``Layer.add_loss``) and, with ``penalties``, the regularization penalties; and, with several outputs,
        each output's loss for the logs. Each output's loss is its per-sample losses weighted by ``weights`` and
        reduced by the loss' reduction; an added loss that is not a scalar is summed, as in Keras 3."""
        total, per_output = None, {}
        for name, loss, weight, y, out, sample_weight in zip(self.output_names, self._output_losses,
                                                             self._loss_weights, ys, outs, weights):
            if loss is None:
                continue
            y, sample_weight = (backend.on_device_of(a, out.data) for a in (y, sample_weight))
            value = losses.compute(loss, y, out, sample_weight)
            if len(outs) > 1:
                per_output[f"{name}_loss"] = value
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        for extra in self.losses if penalties else _added_losses(self):
            extra = extra if extra.ndim == 0 else extra.sum()
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(f'Model "{self.name}" has no loss to compute: it was compiled with loss=None and no '
                             "layer called add_loss() in this forward pass. Give compile() a loss, or add one in a "
                             "layer's call with self.add_loss(tensor).")
        return total, per_output

    def _forward_clean(self, xs: list, training: bool) -> list:
        """``_forward`` after forgetting the losses layers added in the previous pass (Keras clears them at each
        outermost call), so that each pass counts only its own."""
        _clear_added_losses(self)
        return self._forward(xs, training=training)

    def _train_step(self, xs: list, ys: list, weights: list):
        """Forward, loss, backward, update. Returns (loss logs, prediction arrays); no update on a NaN loss."""
        outs = self._forward_clean(xs, training=True)
        total, per_output = self._weighted_loss(ys, outs, weights, penalties=True)
        logs = {"loss": float(total.data), **{k: float(v.data) for k, v in per_output.items()}}
        predictions = [out.data for out in outs]
        if not math.isfinite(logs["loss"]):
            return logs, predictions  # keep the last finite weights: the caller stops training
        params = self._weights_in_training  # fixed by the model's compile (Keras 2's rule)
        for p in params:
            p.grad = None
        total.backward()
        self.optimizer._apply([(p.grad, p) for p in params])
        return logs, predictions

    def _test_step(self, xs: list, ys: list, weights: list, means: LogMeans, count) -> None:
        """Loss (without regularization penalties; with the losses layers add) and metrics on one batch, in
        inference mode, into ``means``."""
        with no_grad():
            outs = self._forward_clean(xs, training=False)
            total, per_output = self._weighted_loss(ys, outs, weights, penalties=False)
            means.add({"loss": float(total.data), **{k: float(v.data) for k, v in per_output.items()}}, count)
        if ys:
            self._add_metrics(means, ys, [out.data for out in outs], weights, count)

    def _add_metrics(self, means: LogMeans, ys: list, predictions: list, weights: list, count) -> None:
        """The batch's metrics into ``means``: plain ones counted ``count`` times, weighted ones by their weights."""
        metrics = self._metrics if self._metrics is not None else self._resolve_metrics(
            [p.shape for p in predictions])
        if not metrics:
            return
        used = {index for _, index, _, _ in metrics}
        host = {i: (backend.to_numpy(ys[i]), backend.to_numpy(predictions[i])) for i in used}
        for name, index, fn, weighted in metrics:
            if weighted and weights[index] is not None:
                means.add_total(name, *metrics_module.weighted_sums(fn, *host[index], weights[index]))
            else:
                means.add({name: metrics_module.value(fn, *host[index])}, count)

    def _training_weights(self, sample_weight, class_weight, ys: list, samples: int, prefix: str = "") -> list:
        """Per output, the weight of each sample (or None): ``sample_weight``, or ``class_weight`` turned into it."""
        if class_weight is None:
            return self._sample_weights(sample_weight, samples, prefix)
        if sample_weight is not None:
            raise ValueError("You cannot give class_weight and sample_weight at the same time (as in Keras): fold "
                             "the class weights into sample_weight.")
        if len(self.output_names) > 1:
            raise ValueError(f'class_weight is only supported for models with a single output; model "{self.name}" '
                             f"has {len(self.output_names)} ({self.output_names}). Give sample_weight per output.")
        return [class_weight_to_sample_weight(class_weight, ys[0])]

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict: bool = False):
        """One gradient update on one batch. Returns the loss, or ``[loss, *metrics]`` when metrics are compiled."""
        self._require_compiled("training")
        xs, ys = self._data_arrays(x, y, "", "train_on_batch()")
        weights = self._training_weights(sample_weight, class_weight, ys, len(xs[0]))
        logs, predictions = self._train_step(xs, ys, weights)
        means = LogMeans()
        means.add(logs, 1)
        self._add_metrics(means, ys, predictions, weights, 1)
        return self._result(means.means(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) on one batch, without updating the weights or adding regularization penalties."""
        self._require_compiled("evaluation")
        xs, ys = self._data_arrays(x, y, "", "test_on_batch()")
        means = LogMeans()
        self._test_step(xs, ys, self._sample_weights(sample_weight, len(xs[0])), means, 1)
        return self._result(means.means(), return_dict)

    def predict_on_batch(self, x):
        """Predictions for one batch as a NumPy array (a list or dict of them for several outputs)."""
        with no_grad():
            outs = self._forward_clean(self._arrays(x), training=False)
        return self._pack_outputs([backend.to_numpy(out.data) for out in outs])

    @staticmethod
    def _result(logs: dict, return_dict: bool):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ----------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_freq=1, seed=None):
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches; returns a :class:`~pydl.callbacks.History`.

        Args:
            x, y: inputs and targets (NumPy arrays or nested lists), same number of samples; for a model with
                several inputs (outputs), a list in model order or a dict by input (output) name. ``x`` may instead
                be a Python generator (any iterator) or a :class:`pydl.utils.Sequence` yielding ``(x, y)`` or
                ``(x, y, sample_weight)`` batches (then no ``y``, ``batch_size``, ``sample_weight`` or
                ``validation_split``). With ``compile(loss=None)`` (losses from ``Layer.add_loss``), ``y`` may be
                left out.
            batch_size: samples per gradient update (default 32).
            epochs: number of passes over the data.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: list of :class:`~pydl.callbacks.Callback` (a web page passes its own to show progress).
            validation_split: fraction of the data, taken from the END before shuffling (as Keras), held out and
                evaluated after each epoch as ``val_loss`` / ``val_<metric>``; ``sample_weight`` is split with it.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, val_sample_weight)``, or a generator or
                Sequence of such batches; overrides ``validation_split``.
            shuffle: reshuffle the training samples before every epoch (a Sequence's batch order; a generator's
                order is its own).
            class_weight: ``{class index: weight}`` (single-output models): each training sample's loss is
                multiplied by its class' weight (1 for classes left out), as Keras; not with ``sample_weight``.
            sample_weight: one weight per training sample (finite, >= 0), multiplying its loss: the batch loss is
                ``sum(loss * weight) / batch size`` (Keras' ``sum_over_batch_size``). With several outputs, one
                array for all or a list/dict with one per output. Metrics in ``compile(weighted_metrics=...)`` are
                weighted too; plain ``metrics`` are not.
            initial_epoch: epoch to start counting from (to resume training).
            steps_per_epoch: batches drawn from a generator or Sequence per epoch (an endless generator needs it;
                without it an epoch is ``len(sequence)`` batches, or a generator until it is exhausted).
            validation_steps: batches drawn from a validation generator or Sequence at each epoch's end (without
                it, all of a Sequence, or a generator until it is exhausted).
            validation_freq: validate only after some epochs, as Keras 3: an int ``n`` validates after every
                ``n``-th epoch (epochs counted from 1, ``initial_epoch`` included), a list, tuple or set after those
                epochs; ``history.history["val_loss"]`` then has one entry per validated epoch.
            seed: reseed pydl's shared generator first (shuffling, dropout, lazily built weights), so the run
                repeats exactly.

        Training stops early (with a warning and ``history.stop_reason``) if the loss becomes NaN or infinite.
        ``fit`` is exactly ``model.training_loop(...)`` stepped to the end (see :class:`~pydl.models.TrainingLoop`).
        Unlike Keras, negative or non-finite sample or class weights are refused (they can only be mistakes).
        """
        loop = self.training_loop(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
                                  validation_split=validation_split, validation_data=validation_data,
                                  shuffle=shuffle, class_weight=class_weight, sample_weight=sample_weight,
                                  initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                                  validation_steps=validation_steps, validation_freq=validation_freq, seed=seed)
        loop.step()
        return loop.history

    def training_loop(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
                      validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
                      sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
                      validation_freq=1, seed=None) -> TrainingLoop:
        """A :class:`~pydl.models.TrainingLoop` over ``(x, y)``: ``fit`` that you step (``loop.step(max_seconds=
        0.05)``) instead of running to the end. Takes ``fit``'s arguments and checks them all now (nothing changes
        if one is refused; a generator's first batch is drawn and checked now); training (and ``on_train_begin``)
        starts at the first ``step``.
        """
        self._require_compiled("fit()")
        epochs = whole_number(epochs, "fit(): epochs", 0)
        initial_epoch = whole_number(initial_epoch, "fit(): initial_epoch", 0)
        if initial_epoch > epochs:
            raise ValueError(f"fit(): initial_epoch={initial_epoch} is after the last epoch (epochs={epochs}): epochs "
                             "is the index to stop at, so resuming at epoch 5 for 3 more is initial_epoch=5, epochs=8.")
        steps_per_epoch, validation_steps = (None if steps is None else whole_number(steps, f"fit(): {name}", 1)
                                             for steps, name in ((steps_per_epoch, "steps_per_epoch"),
                                                                 (validation_steps, "validation_steps")))
        validates = validation_epochs(validation_freq)
        if seed is not None:
            pydl_random.seed(seed)
        if is_batch_source(x):
            source = self._generator_source(x, y, batch_size, validation_split, sample_weight, steps_per_epoch,
                                            shuffle, class_weight)
            batch_size = None
        else:
            if steps_per_epoch is not None:
                raise ValueError("fit(): steps_per_epoch is for a generator or Sequence; with arrays an epoch is "
                                 "every sample, batch_size at a time.")
            source = None
        validation = self._validation(validation_data, validation_steps, batch_size)
        if source is None:
            source, split_validation = self._array_source(x, y, batch_size, validation_split, validation_data,
                                                          sample_weight, class_weight, shuffle)
            validation = validation or split_validation
        return TrainingLoop(self, source, epochs=epochs, verbose=verbose, callbacks=callbacks,
                            validation=validation, initial_epoch=initial_epoch, validates=validates)

    def _generator_source(self, x, y, batch_size, validation_split, sample_weight, steps, shuffle, class_weight):
        given = [name for name, value in (("y", y), ("batch_size", batch_size), ("sample_weight", sample_weight),
                                          ("validation_split", validation_split or None)) if value is not None]
        if given:
            raise ValueError(f"fit(): x is a {type(x).__name__}, which yields whole batches, so {', '.join(given)} "
                             "cannot be given too: the batches carry their targets, size and sample weights "
                             "(yield (x, y) or (x, y, sample_weight)); pass validation_data for validation.")
        if class_weight is not None and len(self.output_names) > 1:
            self._training_weights(None, class_weight, [], 0)  # the single-output error
        what = f"the {'Sequence' if is_sequence(x) else 'generator'} given to fit()"
        return batch_source(self, x, steps, "fit", what, shuffle=shuffle, class_weight=class_weight)

    def _validation(self, validation_data, steps, batch_size):
        """``fit``'s validation as a function returning the logs (None without validation data)."""
        if validation_data is None:
            if steps is not None:
                raise ValueError("fit(): validation_steps was given but there is no validation_data.")
            return None
        if is_batch_source(validation_data):
            what = f"the validation {'Sequence' if is_sequence(validation_data) else 'generator'} given to fit()"
            source = batch_source(self, validation_data, steps, "evaluate", what)
            return lambda: self._evaluate_source(source, steps)
        if steps is not None:
            raise ValueError("fit(): validation_steps is for a validation generator or Sequence; validation arrays "
                             "are evaluated whole.")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                             f"val_sample_weight), or a generator of them, got {describe(validation_data)}.")
        xs, ys = self._data_arrays(validation_data[0], validation_data[1], "validation ")
        weight = validation_data[2] if len(validation_data) == 3 else None
        self._sample_weights(weight, len(xs[0]), prefix="validation ")
        self._check_targets([a[:1] for a in xs], ys, prefix="validation ")
        return self._evaluation_of(xs, ys, weight, batch_size)

    def _evaluation_of(self, xs: list, ys: list, weight, batch_size):
        """``evaluate`` of these arrays as the validation function (Keras' fit calls evaluate too)."""
        x, y = self._pack(xs, self.input_names), self._pack(ys, self.output_names) if ys else None
        return lambda: self.evaluate(x, y, batch_size=batch_size, verbose=0, sample_weight=weight, return_dict=True)

    def _array_source(self, x, y, batch_size, validation_split, validation_data, sample_weight, class_weight,
                      shuffle):
        """The training batches of arrays, and the validation function of ``validation_split`` (or None)."""
        if x is None:
            raise ValueError("fit() needs training data x.")
        xs, ys = self._data_arrays(x, y, "")
        samples = len(xs[0])
        batch_size = 32 if batch_size is None else whole_number(batch_size, "fit(): batch_size", 1)
        if samples == 0:
            raise ValueError("fit() got no training samples.")
        split = None
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in [0, 1), got {validation_split}.")
            split = int(samples * (1 - validation_split))
            if split == 0 or split == samples:
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                 f"samples out of {samples}.")
        self._check_targets([a[:1] for a in xs], ys)  # with a split, ys holds the validation part too
        weights = self._training_weights(sample_weight, class_weight, ys, samples)
        validation = None
        if split is not None:
            validation = self._evaluation_of([a[split:] for a in xs], [a[split:] for a in ys], None if sample_weight
                                             is None else self._pack([None if w is None else w[split:]
                                                                      for w in weights], self.output_names),
                                             batch_size)
            xs, ys = [a[:split] for a in xs], [a[:split] for a in ys]
            weights = [None if w is None else w[:split] for w in weights]
        return ArrayBatches(xs, ys, weights, batch_size, shuffle), validation

    def _data_arrays(self, x, y, prefix: str, what: str = "fit()"):
        """``_arrays(x, y)``; ``y`` may be None only for a model compiled with ``loss=None`` (then ``ys`` is [])."""
        if y is not None:
            return self._arrays(x, y, prefix=prefix)
        if self._needs_targets():
            raise ValueError(f"{what} needs {prefix}targets y: the model was compiled with a loss. (Only a model "
                             "compiled with loss=None, whose losses come from add_loss, trains on x alone.)")
        if any(self._metric_specs) or any(self._weighted_metric_specs):
            raise ValueError(f"{what} was given no {prefix}targets y, but the model was compiled with metrics, which "
                             "compare predictions with targets; give y or compile without metrics.")
        return self._arrays(x), []

    def _train_batch(self, xs: list, ys: list, weights: list, means: LogMeans) -> float:
        """One update inside a :class:`TrainingLoop`; adds the batch's logs to ``means``, returns its loss."""
        logs, predictions = self._train_step(xs, ys, weights)
        n = len(xs[0])
        means.add(logs, n)
        self._add_metrics(means, ys, predictions, weights, n)
        return logs["loss"]

    def _needs_targets(self) -> bool:
        """Whether training needs targets: False only for ``compile(loss=None)`` (the losses come from add_loss)."""
        return any(loss is not None for loss in self._output_losses)

    def _check_targets(self, first_sample: list, ys: list, prefix: str = "") -> list:
        """Before any update: each loss runs once on one sample (label/loss mismatches fail with the loss' message)
        and every target of ``ys`` is checked against its loss and the output's class count
        (:func:`~pydl.models.training_data.check_labels`), naming the first bad sample. Returns the class count of
        each output, for checking more targets with :meth:`_check_labels`."""
        with no_grad():
            outs = self._forward_clean(first_sample, training=False)
        classes = [out.shape[-1] if out.ndim else 1 for out in outs]
        self._check_labels(ys, classes, prefix)
        several = len(outs) > 1
        for index, (name, loss, out) in enumerate(zip(self.output_names, self._output_losses, outs)):
            if loss is None or not ys:
                continue
            try:
                with no_grad():
                    losses.compute(loss, ys[index][:1], out)
            except ValueError as error:
                if not several:
                    raise
                raise ValueError(f'Output "{name}": {error}') from None
        return classes

    def _check_labels(self, ys: list, classes: list, prefix: str = "") -> None:
        """Every target of ``ys`` fits its output's loss (see :func:`~pydl.models.training_data.check_labels`)."""
        several = len(self.output_names) > 1
        for index, (name, loss, target) in enumerate(zip(self.output_names, self._output_losses, ys)):
            if loss is not None:
                check_labels(target, losses.name_of(loss), classes[index],
                             f"{prefix}y" + (f"[{name!r}]" if several else ""))


def _added_losses(model) -> list:
    """The losses the layers of ``model`` (and of the models inside it) added in the last forward pass."""
    return [loss for layer in model.layers
            for loss in (_added_losses(layer) if getattr(layer, "holds_layers", False) else layer._added_losses)]


def _clear_added_losses(model) -> None:
    for layer in model.layers:
        if getattr(layer, "holds_layers", False):
            _clear_added_losses(layer)
        else:
            layer._added_losses.clear()
