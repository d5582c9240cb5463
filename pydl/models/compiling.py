"""``compile`` and what it records: the optimizer, a loss and metrics per output, and their saved form.

:class:`Compiling` is the half of :class:`~pydl.models.training.Trainer` that runs before any data is seen; the
metrics are resolved to their variants (``"accuracy"`` -> sparse, categorical or binary) on the first batch, when
the output shapes are known.
"""

from __future__ import annotations

import math

from pydl import losses, optimizers
from pydl import metrics as metrics_module

__all__ = ["Compiling"]


class Compiling:
    """Mixin: ``compile`` and the compile settings of a model file. The model provides ``output_names`` and
    ``name``; :class:`~pydl.models.training.Trainer` sets the attributes to their uncompiled values."""

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
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics reported during training.

        Args:
            optimizer: name (``"sgd"``, ``"rmsprop"``, ``"adam"``, ``"adagrad"``) or an optimizer instance.
            loss: name (``"mse"``, ``"categorical_crossentropy"``, ...), loss instance or ``fn(y_true, y_pred)``;
                for several outputs one loss for all, a list (one per output) or a dict by output name. None (Keras'
                default): the model trains on the losses its layers add with ``Layer.add_loss`` (the VAE pattern;
                ``fit(x)`` then needs no targets).
            metrics: list of names (``"accuracy"``, ``"mae"``, ...) or functions ``fn(y_true, y_pred) -> float``;
                for several outputs a list with one entry (a metric or a list) per output, or a dict by output name.
            loss_weights: for several outputs, the weight of each output's loss in the total (list or dict; 1 by
                default).
            weighted_metrics: metrics (given like ``metrics``) that ``sample_weight``/``class_weight`` weight, as in
                Keras; plain ``metrics`` ignore the weights. A name also in ``metrics`` is logged as
                ``weighted_<name>``.

        >>> from pydl import layers, models
        >>> inputs = layers.Input(shape=(4,))
        >>> model = models.Model(inputs, [layers.Dense(3, name="label")(inputs), layers.Dense(1, name="size")(inputs)])
        >>> model.compile("adam", loss={"label": "sparse_categorical_crossentropy", "size": "mse"},
        ...               loss_weights={"size": 0.5}, metrics={"label": "accuracy"})
        """
        single = len(self.output_names) == 1
        output_losses = [None if item is None else losses.get(item) for item in self._per_output(loss, "loss")]
        weights = [float(w) for w in self._per_output([1.0] * len(self.output_names) if loss_weights is None
                                                      else loss_weights, "loss_weights", default=1.0)]
        if not all(math.isfinite(w) for w in weights):
            raise ValueError(f"compile(): loss_weights must be finite numbers, got {weights}.")
        metric_specs = self._metric_lists(metrics, "metrics")
        weighted_specs = self._metric_lists(weighted_metrics, "weighted_metrics")
        self.optimizer = optimizers.get(optimizer)
        self.loss = output_losses[0] if single and not isinstance(loss, (list, tuple, dict)) else output_losses
        self._output_losses, self._loss_weights, self._metric_specs = output_losses, weights, metric_specs
        self._weighted_metric_specs = weighted_specs
        self._metrics = None
        self.compiled = True

    def _metric_lists(self, metrics, what: str) -> list:
        """Per output, the list of metrics ``compile`` was given for it (names checked now, not mid-fit)."""
        single = len(self.output_names) == 1
        if isinstance(metrics, (str, dict)) or callable(metrics):
            metrics = metrics if isinstance(metrics, dict) or not single else [metrics]
        if single and not isinstance(metrics, dict):
            specs = [list(metrics or [])]  # one output: the list is that output's metrics
        elif metrics is None:
            specs = [[] for _ in self.output_names]
        elif isinstance(metrics, (list, tuple, dict)):
            specs = [[] if m is None else list(m) if isinstance(m, (list, tuple)) else [m]
                     for m in self._per_output(metrics, what, default=[])]
        else:
            raise ValueError(f'compile(): model "{self.name}" has {len(self.output_names)} outputs, so {what} must '
                             f"be a list with one entry per output or a dict by output name, got {metrics!r}.")
        for spec in (spec for output_specs in specs for spec in output_specs):
            metrics_module.get(spec)
        return specs

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must compile the model before {what}: model.compile(optimizer='adam', "
                               "loss='mse'), for example.")

    def _resolve_metrics(self, output_shapes) -> list:
        if self._metrics is None:
            prefix = len(self.output_names) > 1  # Keras' history keys: "accuracy", or "<output>_accuracy"
            self._metrics, taken = [], set()
            for weighted, all_specs in ((False, self._metric_specs), (True, self._weighted_metric_specs)):
                for index, (output, loss, specs) in enumerate(zip(self.output_names, self._output_losses,
                                                                  all_specs)):
                    for spec in specs:
                        name, fn = metrics_module.resolve(spec, losses.name_of(loss), output_shapes[index])
                        key = f"{output}_{name}" if prefix else name
                        if key in taken:  # Keras' rule: the weighted twin of a plain metric is "weighted_<name>"
                            key = f"{output}_weighted_{name}" if prefix else f"weighted_{name}"
                        taken.add(key)
                        self._metrics.append((key, index, fn, weighted))
        return self._metrics

    def _compile_config(self):
        """The compile settings as JSON for a model file; ValueError for custom (unsaveable) metrics."""
        if not self.compiled:
            return None
        def saved_names(all_specs):
            names = [[metrics_module.name_of(metrics_module.get(m)) if not isinstance(m, str) else m for m in specs]
                     for specs in all_specs]
            if None in (name for specs in names for name in specs):
                raise ValueError("custom metric")
            return names

        names, weighted = saved_names(self._metric_specs), saved_names(self._weighted_metric_specs)
        config = {"optimizer": optimizers.serialize(self.optimizer)}
        if any(weighted):
            config["weighted_metrics"] = weighted[0] if len(self.output_names) == 1 else weighted
        if len(self.output_names) == 1:
            return {**config, "loss": _saved_loss(self._output_losses[0]), "metrics": names[0]}
        return {**config, "loss": [_saved_loss(loss) for loss in self._output_losses], "metrics": names,
                "loss_weights": self._loss_weights}

    def _compile_from_config(self, config: dict) -> None:
        """``compile`` with the settings :meth:`_compile_config` wrote (ValueError/TypeError/KeyError if invalid)."""
        loss = config["loss"]
        loss = [_loaded_loss(item) for item in loss] if isinstance(loss, list) else _loaded_loss(loss)
        self.compile(optimizer=optimizers.get(config["optimizer"]), loss=loss,
                     metrics=config.get("metrics") or None, loss_weights=config.get("loss_weights"),
                     weighted_metrics=config.get("weighted_metrics") or None)


def _saved_loss(loss):
    return None if loss is None else losses.serialize(loss)


def _loaded_loss(saved):
    return None if saved is None else losses.get(saved)
