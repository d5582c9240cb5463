"""The :class:`Sequential` model: a stack of layers, each feeding the next.

The stack and its configuration live here; weights, summary and saving come from
:class:`pydl.models.base.BaseModel`, and ``compile``/``fit``/``evaluate``/``predict`` from its training loop, which
sees a Sequential model as the case of one input and one output.
"""

from __future__ import annotations

from pydl import backend
from pydl import layers as layers_module
from pydl.backend import np
from pydl.layers.base import Layer, _unique_name
from pydl.layers.symbolic import symbolic_inputs
from pydl.models.base import BaseModel
from pydl.tensor import Tensor, no_grad

__all__ = ["Sequential"]


class Sequential(BaseModel):
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
        if self._input_shape is not None:
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
        shape = (None,) + tuple(None if d is None else int(d) for d in shape[1:])
        self._input_shape = shape
        if None in shape[1:]:
            # Unknown sizes (an Embedding without input_length): build from shapes alone, as Keras does, so
            # summary() works before any data; the layers accept any length later.
            self._output_shapes = []
            for layer in self.layers:
                layer._build_or_check(shape)
                shape = layer.compute_output_shape(shape)
                self._output_shapes.append(shape)
            self.built = True
            return
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
        """Run the layers in order on ``inputs`` (a Tensor is returned, part of the graph when recording; on an
        ``Input`` the layers' calls join that functional graph)."""
        if not self.layers:
            raise ValueError(f'Model "{self.name}" has no layers; add some with model.add(...).')
        if not self.built:
            symbolic = symbolic_inputs(inputs) if not isinstance(inputs, Tensor) else None
            if isinstance(symbolic, list):
                raise ValueError(f'Model "{self.name}" (Sequential) takes one input, got a list of {len(symbolic)}.')
            data_shape = symbolic.shape if symbolic is not None else np.shape(
                inputs.data if isinstance(inputs, Tensor) else inputs)
            shape = (None,) + tuple(data_shape[1:])
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

    # ----------------------------------------------------------------- what the training loop needs
    @property
    def input_names(self) -> list:
        return ["input"]

    @property
    def output_names(self) -> list:
        return [self.layers[-1].name] if self.layers else ["output"]

    def _forward(self, inputs: list, training=None) -> list:
        return [self(inputs[0], training=training)]

    def _pack_outputs(self, outputs: list):
        return outputs[0]

    def _summary_rows(self) -> list:
        return [("Layer (type)", "Output Shape", "Param #")] + [
            (f"{layer.name} ({type(layer).__name__})", str(shape), f"{layer.count_params():,}")
            for layer, shape in zip(self.layers, self._output_shapes)]

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
