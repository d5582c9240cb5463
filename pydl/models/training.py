"""Keras' training API for models: ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` steps.

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
from pydl.tensor import Tensor, no_grad

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


class Trainer:
    """Mixin giving a model ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` methods.

    The model provides ``__call__(x, training)``, ``trainable_weights``, ``weights`` and ``layers``.
    """

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_specs: list = []
        self._metrics = None  # [(name, fn)], resolved on the first batch (needs the output shape)

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics reported during training.

        Args:
            optimizer: name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adagrad"``) or an optimizer instance.
            loss: name (``"mse"``, ``"categorical_crossentropy"``, ...), loss instance or ``fn(y_true, y_pred)``.
            metrics: list of names (``"accuracy"``, ``"mae"``, ...) or functions ``fn(y_true, y_pred) -> float``.
        """
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy' or loss='mse'.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        if isinstance(metrics, (str, dict)) or callable(metrics):
            metrics = [metrics]
        self._metric_specs = list(metrics or [])
        for spec in self._metric_specs:
            metrics_module.get(spec)  # unknown names fail now, not in the middle of fit
        self._metrics = None
        self.compiled = True

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must compile the model before {what}: model.compile(optimizer='adam', "
                               "loss='mse'), for example.")

    def _resolve_metrics(self, output_shape) -> list:
        if self._metrics is None:
            loss_name = losses.name_of(self.loss)
            self._metrics = [metrics_module.resolve(m, loss_name, output_shape) for m in self._metric_specs]
        return self._metrics

    def _compile_config(self):
        if not self.compiled:
            return None
        names = [metrics_module.name_of(metrics_module.get(m)) if not isinstance(m, str) else m
                 for m in self._metric_specs]
        if None in names:
            raise ValueError("custom metric")
        return {"optimizer": optimizers.serialize(self.optimizer), "loss": losses.serialize(self.loss),
                "metrics": names}

    # ----------------------------------------------------------------- one batch
    def _train_step(self, x, y):
        """Forward, loss, backward, update. Returns (loss value, predictions array); no update on a NaN loss."""
        out = self(x, training=True)
        total = self.loss(y, out)
        for layer in self.layers:
            for penalty in layer.losses:
                total = total + penalty
        value = float(total.data)
        if not math.isfinite(value):
            return value, out.data  # keep the last finite weights: the caller stops training
        params = self.trainable_weights
        for p in params:
            p.grad = None
        total.backward()
        self.optimizer._apply([(p.grad, p) for p in params])
        return value, out.data

    def _batch_metrics(self, y, predictions) -> dict:
        metrics = self._metrics if self._metrics is not None else self._resolve_metrics(predictions.shape)
        if not metrics:
            return {}
        host = backend.to_numpy(predictions)
        y = backend.to_numpy(y)
        return {name: float(fn(y, host)) for name, fn in metrics}

    def train_on_batch(self, x, y, return_dict: bool = False):
        """One gradient update on one batch. Returns the loss, or ``[loss, *metrics]`` when metrics are compiled."""
        self._require_compiled("training")
        x, y = _as_array(x, "x"), _as_array(y, "y")
        loss, predictions = self._train_step(x, y)
        return self._result({"loss": loss, **self._batch_metrics(y, predictions)}, return_dict)

    def test_on_batch(self, x, y, return_dict: bool = False):
        """Loss (and metrics) on one batch, without updating the weights or adding regularization penalties."""
        self._require_compiled("evaluation")
        x, y = _as_array(x, "x"), _as_array(y, "y")
        with no_grad():
            out = self(x, training=False)
            loss = float(self.loss(y, out).data)
        return self._result({"loss": loss, **self._batch_metrics(y, out.data)}, return_dict)

    def predict_on_batch(self, x):
        """Predictions for one batch as a NumPy array."""
        with no_grad():
            return backend.to_numpy(self(_as_array(x, "x"), training=False).data)

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
            x, y: inputs and targets (NumPy arrays or nested lists), same number of samples.
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
        x, y = _as_array(x, "x"), _as_array(y, "y")
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}; they must have the same length.")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in [0, 1), got {validation_split}.")
            split = int(len(x) * (1 - validation_split))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                 f"samples out of {len(x)}.")
            x, validation_x, y, validation_y = x[:split], x[split:], y[:split], y[split:]
            validation_data = (validation_x, validation_y)
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) < 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val).")
            validation_data = (_as_array(validation_data[0], "x_val"), _as_array(validation_data[1], "y_val"))
        if len(x) == 0:
            raise ValueError("fit() got no training samples.")
        if seed is not None:
            pydl_random.seed(seed)
        rng = pydl_random.get_generator()
        self._check_targets(x[:1], y[:1])

        samples, steps = len(x), math.ceil(len(x) / batch_size)
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
                xs, ys = x[order], y[order]  # one copy per epoch; batches below are views
            else:
                xs, ys = x, y
            sums, seen = {}, 0
            for batch in range(steps):
                callback_list.on_batch_begin(batch, {"batch": batch, "size": batch_size})
                xb, yb = xs[batch * batch_size:(batch + 1) * batch_size], ys[batch * batch_size:(batch + 1) * batch_size]
                loss, predictions = self._train_step(xb, yb)
                n = len(xb)
                batch_logs = {"loss": loss, **self._batch_metrics(yb, predictions)}
                for key, value in batch_logs.items():
                    sums[key] = sums.get(key, 0.0) + value * n
                seen += n
                callback_list.on_batch_end(batch, _mean_logs(sums, seen))
                if not math.isfinite(loss):
                    self._stop_on_nan(loss, epoch, batch, history)
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

    def _check_targets(self, x, y) -> None:
        """Run the loss once on one sample so label/loss mismatches fail before training, with the loss' message."""
        with no_grad():
            self.loss(y, self(x, training=False))

    # ----------------------------------------------------------------- evaluate / predict
    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, return_dict: bool = False):
        """Loss and metrics over ``(x, y)`` in inference mode (dropout off, no regularization penalties).

        Returns:
            The loss, or ``[loss, *metrics]`` in compile order (a dict with ``return_dict=True``).
        """
        self._require_compiled("evaluate()")
        x, y = _as_array(x, "x"), _as_array(y, "y")
        if len(x) != len(y):
            raise ValueError(f"x has {len(x)} samples but y has {len(y)}; they must have the same length.")
        batch_size = 32 if batch_size is None else int(batch_size)
        sums, seen = {}, 0
        with no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                out = self(xb, training=False)
                logs = {"loss": float(self.loss(yb, out).data), **self._batch_metrics(yb, out.data)}
                for key, value in logs.items():
                    sums[key] = sums.get(key, 0.0) + value * len(xb)
                seen += len(xb)
        logs = _mean_logs(sums, seen)
        if verbose:
            print(f"{seen} samples - " + callbacks_module._format_logs(logs))
        return self._result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose=0):
        """Model outputs for ``x`` as a NumPy array, computed ``batch_size`` samples at a time in inference mode."""
        x = _as_array(x, "x")
        batch_size = 32 if batch_size is None else int(batch_size)
        with no_grad():
            outputs = [backend.to_numpy(self(x[s:s + batch_size], training=False).data)
                       for s in range(0, len(x), batch_size)]
        if not outputs:
            raise ValueError("predict() got no samples.")
        return outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
