"""Keras' training API for models: ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` steps.

One loop serves every model: data travel as lists (one array per model input, one target array per output), so a
``Sequential`` model is the case of one input and one output, and a functional :class:`~pydl.models.Model` may have
several of each, with a loss (and metrics) per output summed with ``loss_weights``.

The per-batch path (:meth:`Trainer._train_step`) is kept short on purpose: forward, loss (+ regularization
penalties), backward, one optimizer call and host-side metrics. Everything that only needs checking once (labels
against the loss, array conversion, metric resolution) happens before the batch loop.
"""

from __future__ import annotations

import math
import warnings

from pydl import backend, callbacks as callbacks_module, losses, metrics as metrics_module, optimizers
from pydl import random as pydl_random
from pydl.backend import np
from pydl.autograd import no_grad
from pydl.tensor import Tensor

__all__ = ["Trainer"]


def _as_array(x, name: str):
    """Host or device array for ``x`` (arrays pass through uncopied; lists and Tensors are converted)."""
    if isinstance(x, Tensor):
        return x.data
    if backend.cupy is not None and isinstance(x, backend.cupy.ndarray):
        return x
    array = np.asarray(x)
    if array.dtype == object:
        raise ValueError(f"{name} must be numeric (an array or nested lists of numbers), got dtype object.")
    if array.ndim == 0:
        raise ValueError(f"{name} must have a batch axis; got a scalar.")
    return array


def _mean_logs(sums: dict, count: int) -> dict:
    return {k: v / count for k, v in sums.items()} if count else {k: float("nan") for k in sums}


def _describe(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    return f"one {type(value).__name__}" + (f" of shape {tuple(value.shape)}" if hasattr(value, "shape") else "")


class Trainer:
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
        self._metrics = None  # [(log name, output index, fn)], resolved on the first batch (needs output shapes)

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
                         f"order or a dict by name, but got {_describe(data)}.")

    def _arrays(self, x, y=None, prefix: str = ""):
        """Inputs (and targets) as lists of arrays with one sample count, checked once before any batch."""
        xs = [_as_array(a, f"{prefix}x") for a in self._flatten(x, self.input_names, "input")]
        if y is None:
            return xs
        ys = [_as_array(a, f"{prefix}y") for a in self._flatten(y, self.output_names, "output")]
        labels = ([f"{prefix}x"] if len(xs) == 1 else [f"{prefix}x[{n!r}]" for n in self.input_names]) + \
                 ([f"{prefix}y"] if len(ys) == 1 else [f"{prefix}y[{n!r}]" for n in self.output_names])
        counts = [len(a) for a in xs + ys]
        if len(set(counts)) > 1:
            different = next(i for i, c in enumerate(counts) if c != counts[0])
            raise ValueError(f"{labels[0]} has {counts[0]} samples but {labels[different]} has {counts[different]}; "
                             "they must have the same length.")
        return xs, ys

    def _pack(self, arrays: list, names: list):
        """One array for a single input/output, else the list (what ``evaluate`` and friends accept)."""
        return arrays[0] if len(names) == 1 else arrays

    def _per_output(self, value, what: str, default=None) -> list:
        """``value`` for each output: the same for all, a list with one entry per output, or a dict by output name."""
        names = self.output_names
        if isinstance(value, dict):
            unknown = sorted(map(str, set(value) - set(names)))
            missing = [n for n in names if n not in value]
            if unknown or (missing and default is None):
                raise ValueError(f'compile(): {what} must name the outputs of model "{self.name}" ({names}); '
                                 f"unknown: {unknown}, missing: {missing}.")
            return [value.get(n, default) for n in names]
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f'compile(): {what} has {len(value)} entries but model "{self.name}" has '
                                 f"{len(names)} outputs ({names}); give one per output or a dict by name.")
            return list(value)
        return [value] * len(names)

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None) -> None:
        """Choose the optimizer, the loss and the metrics reported during training.

        Args:
            optimizer: name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adagrad"``) or an optimizer instance.
            loss: name (``"mse"``, ``"categorical_crossentropy"``, ...), loss instance or ``fn(y_true, y_pred)``;
                for several outputs one loss for all, a list (one per output) or a dict by output name.
            metrics: list of names (``"accuracy"``, ``"mae"``, ...) or functions ``fn(y_true, y_pred) -> float``;
                for several outputs a list with one entry (a metric or a list) per output, or a dict by output name.
            loss_weights: for several outputs, the weight of each output's loss in the total (list or dict; 1 by
                default).

        >>> from pydl import layers, models
        >>> inputs = layers.Input(shape=(4,))
        >>> model = models.Model(inputs, [layers.Dense(3, name="label")(inputs), layers.Dense(1, name="size")(inputs)])
        >>> model.compile("adam", loss={"label": "sparse_categorical_crossentropy", "size": "mse"},
        ...               loss_weights={"size": 0.5}, metrics={"label": "accuracy"})
        """
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy' or loss='mse'.")
        single = len(self.output_names) == 1
        output_losses = [losses.get(item) for item in self._per_output(loss, "loss")]
        weights = [float(w) for w in self._per_output([1.0] * len(self.output_names) if loss_weights is None
                                                      else loss_weights, "loss_weights", default=1.0)]
        if not all(math.isfinite(w) for w in weights):
            raise ValueError(f"compile(): loss_weights must be finite numbers, got {weights}.")
        if isinstance(metrics, (str, dict)) or callable(metrics):
            metrics = metrics if isinstance(metrics, dict) or not single else [metrics]
        if single and not isinstance(metrics, dict):
            metric_specs = [list(metrics or [])]  # one output: the list is that output's metrics
        elif metrics is None:
            metric_specs = [[] for _ in self.output_names]
        elif isinstance(metrics, (list, tuple, dict)):
            metric_specs = [[] if m is None else list(m) if isinstance(m, (list, tuple)) else [m]
                            for m in self._per_output(metrics, "metrics", default=[])]
        else:
            raise ValueError(f'compile(): model "{self.name}" has {len(self.output_names)} outputs, so metrics must '
                             f"be a list with one entry per output or a dict by output name, got {metrics!r}.")
        for spec in (spec for specs in metric_specs for spec in specs):
            metrics_module.get(spec)  # unknown names fail now, not in the middle of fit
        self.optimizer = optimizers.get(optimizer)
        self.loss = output_losses[0] if single and not isinstance(loss, (list, tuple, dict)) else output_losses
        self._output_losses, self._loss_weights, self._metric_specs = output_losses, weights, metric_specs
        self._metrics = None
        self.compiled = True

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must compile the model before {what}: model.compile(optimizer='adam', "
                               "loss='mse'), for example.")

    def _resolve_metrics(self, output_shapes) -> list:
        if self._metrics is None:
            prefix = len(self.output_names) > 1  # Keras' history keys: "accuracy", or "<output>_accuracy"
            self._metrics = []
            for index, (output, loss, specs) in enumerate(zip(self.output_names, self._output_losses,
                                                              self._metric_specs)):
                for spec in specs:
                    name, fn = metrics_module.resolve(spec, losses.name_of(loss), output_shapes[index])
                    self._metrics.append((f"{output}_{name}" if prefix else name, index, fn))
        return self._metrics

    def _compile_config(self):
        """The compile settings as JSON for a model file; ValueError for custom (unsaveable) metrics."""
        if not self.compiled:
            return None
        names = [[metrics_module.name_of(metrics_module.get(m)) if not isinstance(m, str) else m for m in specs]
                 for specs in self._metric_specs]
        if None in (name for specs in names for name in specs):
            raise ValueError("custom metric")
        config = {"optimizer": optimizers.serialize(self.optimizer)}
        if len(self.output_names) == 1:
            return {**config, "loss": losses.serialize(self._output_losses[0]), "metrics": names[0]}
        return {**config, "loss": [losses.serialize(loss) for loss in self._output_losses], "metrics": names,
                "loss_weights": self._loss_weights}

    def _compile_from_config(self, config: dict) -> None:
        """``compile`` with the settings :meth:`_compile_config` wrote (ValueError/TypeError/KeyError if invalid)."""
        loss = config["loss"]
        loss = [losses.get(item) for item in loss] if isinstance(loss, list) else losses.get(loss)
        self.compile(optimizer=optimizers.get(config["optimizer"]), loss=loss,
                     metrics=config.get("metrics") or None, loss_weights=config.get("loss_weights"))

    # ----------------------------------------------------------------- one batch
    def _weighted_loss(self, ys: list, outs: list):
        """The total of the output losses (weighted) and, with several outputs, each one for the logs."""
        total, per_output = None, {}
        for name, loss, weight, y, out in zip(self.output_names, self._output_losses, self._loss_weights, ys, outs):
            value = loss(y, out)
            if len(outs) > 1:
                per_output[f"{name}_loss"] = value
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, per_output

    def _train_step(self, xs: list, ys: list):
        """Forward, loss, backward, update. Returns (loss logs, prediction arrays); no update on a NaN loss."""
        outs = self._forward(xs, training=True)
        total, per_output = self._weighted_loss(ys, outs)
        for layer in self.layers:
            for penalty in layer.losses:
                total = total + penalty
        logs = {"loss": float(total.data), **{k: float(v.data) for k, v in per_output.items()}}
        predictions = [out.data for out in outs]
        if not math.isfinite(logs["loss"]):
            return logs, predictions  # keep the last finite weights: the caller stops training
        params = self._weights_in_training  # fixed by the model at the first step after compile (Keras' rule)
        for p in params:
            p.grad = None
        total.backward()
        self.optimizer._apply([(p.grad, p) for p in params])
        return logs, predictions

    def _test_step(self, xs: list, ys: list) -> dict:
        """Loss (without regularization penalties) and metrics on one batch, in inference mode."""
        with no_grad():
            outs = self._forward(xs, training=False)
            total, per_output = self._weighted_loss(ys, outs)
            logs = {"loss": float(total.data), **{k: float(v.data) for k, v in per_output.items()}}
        return {**logs, **self._batch_metrics(ys, [out.data for out in outs])}

    def _batch_metrics(self, ys: list, predictions: list) -> dict:
        metrics = self._metrics if self._metrics is not None else self._resolve_metrics(
            [p.shape for p in predictions])
        if not metrics:
            return {}
        used = {index for _, index, _ in metrics}
        host = {i: (backend.to_numpy(ys[i]), backend.to_numpy(predictions[i])) for i in used}
        return {name: float(fn(*host[index])) for name, index, fn in metrics}

    def train_on_batch(self, x, y, return_dict: bool = False):
        """One gradient update on one batch. Returns the loss, or ``[loss, *metrics]`` when metrics are compiled."""
        self._require_compiled("training")
        xs, ys = self._arrays(x, y)
        logs, predictions = self._train_step(xs, ys)
        return self._result({**logs, **self._batch_metrics(ys, predictions)}, return_dict)

    def test_on_batch(self, x, y, return_dict: bool = False):
        """Loss (and metrics) on one batch, without updating the weights or adding regularization penalties."""
        self._require_compiled("evaluation")
        return self._result(self._test_step(*self._arrays(x, y)), return_dict)

    def predict_on_batch(self, x):
        """Predictions for one batch as a NumPy array (a list or dict of them for several outputs)."""
        with no_grad():
            outs = self._forward(self._arrays(x), training=False)
        return self._pack_outputs([backend.to_numpy(out.data) for out in outs])

    @staticmethod
    def _result(logs: dict, return_dict: bool):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ----------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, seed=None):
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches; returns a :class:`~pydl.callbacks.History`.

        Args:
            x, y: inputs and targets (NumPy arrays or nested lists), same number of samples; for a model with
                several inputs (outputs), a list in model order or a dict by input (output) name.
            batch_size: samples per gradient update (default 32).
            epochs: number of passes over the data.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: list of :class:`~pydl.callbacks.Callback` (a web page passes its own to show progress).
            validation_split: fraction of the data, taken from the END before shuffling (as Keras), held out and
                evaluated after each epoch as ``val_loss`` / ``val_<metric>``.
            validation_data: ``(x_val, y_val)``; overrides ``validation_split``.
            shuffle: reshuffle the training samples before every epoch.
            initial_epoch: epoch to start counting from (to resume training).
            seed: reseed pydl's shared generator first (shuffling, dropout, lazily built weights), so the run
                repeats exactly.

        Training stops early (with a warning and ``history.stop_reason``) if the loss becomes NaN or infinite.
        """
        self._require_compiled("fit()")
        if x is None or y is None:
            raise ValueError("fit() needs both x and y.")
        xs, ys = self._arrays(x, y)
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in [0, 1), got {validation_split}.")
            split = int(len(xs[0]) * (1 - validation_split))
            if split == 0 or split == len(xs[0]):
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                 f"samples out of {len(xs[0])}.")
            validation_data = (self._pack([a[split:] for a in xs], self.input_names),
                               self._pack([a[split:] for a in ys], self.output_names))
            xs, ys = [a[:split] for a in xs], [a[:split] for a in ys]
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) < 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val).")
            validation_xs, validation_ys = self._arrays(validation_data[0], validation_data[1], prefix="validation ")
            validation_data = (self._pack(validation_xs, self.input_names),
                               self._pack(validation_ys, self.output_names))
        samples = len(xs[0])
        if samples == 0:
            raise ValueError("fit() got no training samples.")
        if seed is not None:
            pydl_random.seed(seed)
        rng = pydl_random.get_generator()
        self._check_targets([a[:1] for a in xs], [a[:1] for a in ys])

        steps = math.ceil(samples / batch_size)
        history = callbacks_module.History()
        chain = list(callbacks or [])
        if verbose:
            chain.append(callbacks_module.ProgbarLogger(verbose=verbose))
        chain.append(history)
        params = {"epochs": epochs, "steps": steps, "samples": samples, "batch_size": batch_size, "verbose": verbose}
        callback_list = callbacks_module.CallbackList(chain, self, params)
        self.history = history
        self.stop_training = False

        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            if shuffle:
                order = rng.permutation(samples)
                epoch_xs, epoch_ys = [a[order] for a in xs], [a[order] for a in ys]  # one copy per epoch
            else:
                epoch_xs, epoch_ys = xs, ys
            sums, seen = {}, 0
            for batch in range(steps):
                callback_list.on_batch_begin(batch, {"batch": batch, "size": batch_size})
                window = slice(batch * batch_size, (batch + 1) * batch_size)  # batches are views
                xb, yb = [a[window] for a in epoch_xs], [a[window] for a in epoch_ys]
                logs, predictions = self._train_step(xb, yb)
                n = len(xb[0])
                for key, value in {**logs, **self._batch_metrics(yb, predictions)}.items():
                    sums[key] = sums.get(key, 0.0) + value * n
                seen += n
                callback_list.on_batch_end(batch, _mean_logs(sums, seen))
                if not math.isfinite(logs["loss"]):
                    self._stop_on_nan(logs["loss"], epoch, batch, history)
                    break
                if self.stop_training:
                    break
            epoch_logs = _mean_logs(sums, seen)
            if validation_data is not None and history.stop_reason is None:
                val = self.evaluate(*validation_data, batch_size=batch_size, verbose=0, return_dict=True)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return history

    def _stop_on_nan(self, loss, epoch, batch, history) -> None:
        kind = "NaN" if math.isnan(loss) else "infinite"
        message = (
            f"Loss became {kind} at epoch {epoch + 1}, batch {batch + 1}; training stopped (that batch's update "
            "was not applied). Lower the learning rate, scale the inputs (e.g. pydl.preprocessing.Standardizer), "
            "or check the data for NaN/inf values."
        )
        history.stop_reason = message
        self.stop_training = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _check_targets(self, xs: list, ys: list) -> None:
        """Run each loss once on one sample so label/loss mismatches fail before training, with the loss' message."""
        with no_grad():
            outs = self._forward(xs, training=False)
            for name, loss, y, out in zip(self.output_names, self._output_losses, ys, outs):
                try:
                    loss(y, out)
                except ValueError as error:
                    if len(outs) == 1:
                        raise
                    raise ValueError(f'Output "{name}": {error}') from None

    # ----------------------------------------------------------------- evaluate / predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, return_dict: bool = False):
        """Loss and metrics over ``(x, y)`` in inference mode (dropout off, no regularization penalties).

        Returns:
            The loss, or ``[loss, *output losses, *metrics]`` in compile order (a dict with ``return_dict=True``).
        """
        self._require_compiled("evaluate()")
        xs, ys = self._arrays(x, y)
        batch_size = 32 if batch_size is None else int(batch_size)
        sums, seen = {}, 0
        for start in range(0, len(xs[0]), batch_size):
            window = slice(start, start + batch_size)
            xb, yb = [a[window] for a in xs], [a[window] for a in ys]
            n = len(xb[0])
            for key, value in self._test_step(xb, yb).items():
                sums[key] = sums.get(key, 0.0) + value * n
            seen += n
        logs = _mean_logs(sums, seen)
        if verbose:
            print(f"{seen} samples - " + callbacks_module._format_logs(logs))
        return self._result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose=0):
        """Model outputs for ``x`` as a NumPy array (a list or dict of them for several outputs), computed
        ``batch_size`` samples at a time in inference mode."""
        xs = self._arrays(x)
        batch_size = 32 if batch_size is None else int(batch_size)
        batches = []
        with no_grad():
            for start in range(0, len(xs[0]), batch_size):
                outs = self._forward([a[start:start + batch_size] for a in xs], training=False)
                batches.append([backend.to_numpy(out.data) for out in outs])
        if not batches:
            raise ValueError("predict() got no samples.")
        return self._pack_outputs([parts[0] if len(parts) == 1 else np.concatenate(parts)
                                   for parts in zip(*batches)])
