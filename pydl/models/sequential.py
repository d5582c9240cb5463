"""The :class:`Sequential` model: a stack of layers, each feeding the next.

Architecture, weights and configuration live here; ``compile``/``fit``/``evaluate``/``predict`` come from
:class:`pydl.models.training.Trainer` and ``save``/``load_weights`` from :mod:`pydl.models.saving`.
"""

from __future__ import annotations

from pydl import backend
from pydl import layers as layers_module
from pydl.backend import np
from pydl.layers.base import Layer, _unique_name
from pydl.models import saving
from pydl.models.training import Trainer
from pydl.tensor import Tensor, no_grad

__all__ = ["Sequential"]


class Sequential(Trainer):
    """A linear stack of layers, built from the first layer's ``input_shape``, an ``Input`` layer, or on first call.

    Args:
        layers: optional list of layers, added in order.
        name: model name (default ``"sequential"``, ``"sequential_1"``, ...).

    >>> from pydl import models, layers
    >>> model = models.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"),
    ...                            layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    407050
    >>> model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    """

    def __init__(self, layers=None, name: str | None = None):
        super().__init__()
        self.name = name or _unique_name("sequential")
        self.layers: list = []
        self._input_shape = None  # with the batch axis: (None, 784)
        self._output_shapes: list = []
        self.built = False
        for layer in layers or ():
            self.add(layer)

    # ----------------------------------------------------------------- architecture
    def add(self, layer: Layer) -> None:
        """Append ``layer``; the model is (re)built right away when its input shape is known."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a pydl layer, got {type(layer).__name__}.")
        if isinstance(layer, layers_module.Input):
            if self.layers:
                raise ValueError("An Input layer must come first in a Sequential model.")
            self._input_shape = tuple(layer.shape)
            return
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f'A layer named "{layer.name}" is already in model "{self.name}"; layer names must '
                             "be unique (pass name=... to the layer).")
        if not self.layers and self._input_shape is None and layer.batch_input_shape is not None:
            self._input_shape = (None,) + tuple(layer.batch_input_shape[1:])
        elif self.layers and layer.batch_input_shape is not None:
            # Keras ignores input_shape on any layer but the first (the study notes pass it to a second
            # Dense); the layer's own check would otherwise reject the previous layer's output.
            layer.batch_input_shape = None
        self.layers.append(layer)
        if self._input_shape is not None and None not in self._input_shape[1:]:
            try:
                self.build(self._input_shape)
            except Exception:
                self.layers.pop()  # a layer that does not fit leaves the model as it was
                raise
        else:
            self.built = False

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError("pop() on a Sequential model without layers.")
        layer = self.layers.pop()
        self._output_shapes = self._output_shapes[: len(self.layers)]
        return layer

    def build(self, input_shape=None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (batch axis included, e.g. ``(None, 784)``).

        One sample of zeros flows through the stack, so every layer builds and checks its input on the way.
        """
        shape = tuple(input_shape if input_shape is not None else self._input_shape or ())
        if not shape:
            raise ValueError(f'Model "{self.name}" has no input shape; pass input_shape=... to the first layer, '
                             "start with layers.Input(shape), or call build((None, ...)).")
        shape = (None,) + tuple(int(d) for d in shape[1:])
        self._input_shape = shape
        with no_grad():
            self._run(np.zeros((1,) + shape[1:], dtype=self._input_dtype()), training=False, record=True)
        self.built = True

    def _input_dtype(self):
        return np.dtype(self.layers[0].dtype if self.layers else backend.floatx())

    def _run(self, x, training, record=False):
        shapes = [] if record else None
        for layer in self.layers:
            x = layer(x, training=training)
            if record:
                shapes.append((None,) + tuple(x.shape[1:]))
        if record:
            self._output_shapes = shapes
        return x

    def call(self, inputs, training=None) -> Tensor:
        """Run the layers in order on ``inputs`` (a Tensor is returned, part of the graph when recording)."""
        if not self.layers:
            raise ValueError(f'Model "{self.name}" has no layers; add some with model.add(...).')
        if not self.built:
            shape = (None,) + tuple(np.shape(inputs.data if isinstance(inputs, Tensor) else inputs)[1:])
            if self._input_shape is not None and len(self._input_shape) != len(shape):
                raise ValueError(f'Model "{self.name}" expects inputs of shape {self._input_shape}, got {shape}.')
            out = self._run(inputs, training, record=True)
            self._input_shape, self.built = shape, True
            return out
        return self._run(inputs, training)

    def __call__(self, inputs, training=None) -> Tensor:
        return self.call(inputs, training=training)

    @property
    def input_shape(self):
        return self._input_shape

    @property
    def output_shape(self):
        self._require_built("output_shape")
        return self._output_shapes[-1]

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f'Model "{self.name}" is not built yet, so {what} is unknown. Give the first layer '
                "input_shape=..., start with layers.Input(shape), call model.build((None, ...)) or fit it on data."
            )

    # ----------------------------------------------------------------- weights
    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def trainable(self) -> bool:
        return all(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self.layers:
            layer.trainable = value

    @property
    def losses(self) -> list:
        """Regularization penalties of every layer (Tensors computed from the current weights)."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def get_weights(self) -> list:
        """Copies of every weight as NumPy arrays, layer by layer."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Assign NumPy arrays to every weight; nothing changes unless the count and every shape match."""
        weights = list(weights)
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f'Model "{self.name}" has {len(own)} weight arrays but set_weights got {len(weights)}.')
        for w, value in zip(own, weights):
            if tuple(np.shape(value)) != tuple(w.shape):
                raise ValueError(f'Weight "{w.name}" has shape {tuple(w.shape)} but set_weights got '
                                 f"{tuple(np.shape(value))}. Nothing was assigned.")
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.set_weights(weights[start:start + count])
            start += count

    def count_params(self) -> int:
        self._require_built("the number of parameters")
        return sum(layer.count_params() for layer in self.layers)

    # ----------------------------------------------------------------- description
    def summary(self, print_fn=None, line_length: int = 80) -> None:
        """Print a table of layers (name and type), output shapes and parameter counts, as Keras does."""
        self._require_built("the summary")
        print_fn = print_fn or print
        widths = (int(line_length * 0.45), int(line_length * 0.30))
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer, shape in zip(self.layers, self._output_shapes):
            rows.append((f"{layer.name} ({type(layer).__name__})", str(shape), f"{layer.count_params():,}"))
        trainable = sum(w.size for w in self.trainable_weights)
        frozen = sum(w.size for w in self.non_trainable_weights)
        nbytes = sum(w.data.nbytes for w in self.weights)

        def row(cells):
            return cells[0].ljust(widths[0]) + cells[1].ljust(widths[1]) + cells[2].rjust(line_length - sum(widths))

        lines = [f'Model: "{self.name}"', "_" * line_length, row(rows[0]), "=" * line_length]
        for i, cells in enumerate(rows[1:]):
            lines.append(row(cells))
            lines.append("_" * line_length if i < len(rows) - 2 else "=" * line_length)
        if len(rows) == 1:
            lines.append("=" * line_length)
        lines += [f"Total params: {trainable + frozen:,} ({_size(nbytes)})",
                  f"Trainable params: {trainable:,}", f"Non-trainable params: {frozen:,}", "_" * line_length]
        for line in lines:
            print_fn(line)

    def get_config(self) -> dict:
        """``{"name", "layers", "build_input_shape"}``; :meth:`from_config` makes the same (untrained) model."""
        return {
            "name": self.name,
            "layers": [layers_module.serialize(layer) for layer in self.layers],
            "build_input_shape": None if self._input_shape is None else list(self._input_shape),
        }

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        model = cls(name=config.get("name"))
        shape = config.get("build_input_shape")
        for layer_config in config.get("layers", []):
            model.add(layers_module.deserialize(layer_config))
        if shape is not None and not model.built and model.layers:
            model.build(tuple(shape))
        return model

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r}, layers={len(self.layers)}, built={self.built}>"

    # ----------------------------------------------------------------- saving
    def save(self, filepath) -> None:
        """Write architecture, compile settings, weights and optimizer state to ONE zip file (``config.json``,
        ``weights.npz`` and, once the optimizer has state, ``optimizer.npz``), so training can resume exactly.

        ``filepath`` may be a path or a writable binary file object; see :func:`pydl.models.load_model`.
        """
        saving.save_model(self, filepath)

    def to_bytes(self) -> bytes:
        """The saved model as bytes (for a browser download); :func:`pydl.models.from_bytes` reads them back."""
        return saving.model_to_bytes(self)

    def save_weights(self, filepath) -> None:
        """Same file format as :meth:`save`; :meth:`load_weights` only takes the weights back."""
        saving.save_model(self, filepath)

    def load_weights(self, filepath) -> None:
        """Read weights saved by :meth:`save`/:meth:`save_weights`; validated completely before any is assigned."""
        saving.load_weights_into(self, filepath)


def _size(nbytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}" if unit != "B" else f"{nbytes} B"
        nbytes /= 1024
