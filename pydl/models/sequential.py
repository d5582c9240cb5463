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
from pydl.layers.symbolic import forget_call, symbolic_inputs
from pydl.models.base import BaseModel
from pydl.autograd import no_grad
from pydl.tensor import Tensor

__all__ = ["Sequential"]


class Sequential(BaseModel):
    """A linear stack of layers, built from the first layer's ``input_shape``, an ``Input`` layer, or on first call.

    Once built, its layers have also been called on an ``Input`` (as in Keras), so ``model.input``, ``model.output``
    and each layer's ``output`` exist: ``Model(model.input, [layer.output for layer in model.layers[:2]])`` is a
    model of intermediate activations sharing these layers and weights.

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
        self._given_input = None  # the Input layer it was given, if any: its model.input
        self._graph_input = None  # the symbolic graph of its last build: model.input, and each layer's output
        self._graph_outputs: list = []
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
            self._given_input = layer
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
        if len(self._graph_outputs) > len(self.layers):
            forget_call(self._graph_outputs.pop().node)  # the layer may join another model, unshared
        return layer

    def build(self, input_shape=None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (batch axis included, e.g. ``(None, 784)``) and
        call the layers on an ``Input`` of that shape, which gives ``model.input``, ``model.output`` and each layer's
        ``output``.

        With every size known, one sample of zeros flows through the stack first, so every layer checks on real
        numbers that it fits its input. Unknown sizes (an Embedding without input_length) build from shapes alone,
        as Keras does, so summary() works before any data and the layers accept any length later.
        """
        shape = tuple(input_shape if input_shape is not None else self._input_shape or ())
        if not shape:
            raise ValueError(f'Model "{self.name}" has no input shape; pass input_shape=... to the first layer, '
                             "start with layers.Input(shape), or call build((None, ...)).")
        shape = (None,) + tuple(None if d is None else int(d) for d in shape[1:])
        self._input_shape = shape
        if None not in shape[1:]:
            with no_grad():
                self._run(np.zeros((1,) + shape[1:], dtype=self._input_dtype()), training=False)
        self._record_graph()
        self._output_shapes = [tensor.shape for tensor in self._graph_outputs]
        self.built = True

    def _record_graph(self) -> None:
        """Call the layers on an Input of the model's input shape, replacing the graph of an earlier build (which
        would otherwise make every layer look shared)."""
        for tensor in self._graph_outputs:
            forget_call(tensor.node)
        self._graph_outputs = []
        tensor = self._graph_input = self._input_placeholder().output
        for layer in self.layers:
            tensor = layer(tensor)
            self._graph_outputs.append(tensor)

    def _input_placeholder(self):
        """The Input layer the model was given when it fits the input shape, else a new one named like Keras 2's."""
        given = self._given_input
        if given is not None and tuple(given.shape) == self._input_shape:
            return given
        name = f"{self.layers[0].name if self.layers else self.name}_input"
        return layers_module.Input(batch_shape=self._input_shape, dtype=self._input_dtype(), name=name)

    def _input_dtype(self):
        return np.dtype(self.layers[0].dtype if self.layers else backend.floatx())

    def _run(self, x, training):
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def call(self, inputs, training=None) -> Tensor:
        """Run the layers in order on ``inputs`` (a Tensor is returned, part of the graph when recording; on an
        ``Input`` the layers' calls join that functional graph)."""
        if not self.layers:
            raise ValueError(f'Model "{self.name}" has no layers; add some with model.add(...).')
        if not self.built:
            self.build(self._shape_of(inputs))
        return self._run(inputs, training)

    def _shape_of(self, inputs) -> tuple:
        """The input shape (batch axis None) of the first data or symbolic tensor the model is called on."""
        symbolic = symbolic_inputs(inputs) if not isinstance(inputs, Tensor) else None
        if isinstance(symbolic, list):
            raise ValueError(f'Model "{self.name}" (Sequential) takes one input, got a list of {len(symbolic)}.')
        data_shape = symbolic.shape if symbolic is not None else np.shape(
            inputs.data if isinstance(inputs, Tensor) else inputs)
        shape = (None,) + tuple(data_shape[1:])
        if self._input_shape is not None and len(self._input_shape) != len(shape):
            raise ValueError(f'Model "{self.name}" expects inputs of shape {self._input_shape}, got {shape}.')
        return shape

    def __call__(self, inputs, training=None) -> Tensor:
        return self.call(inputs, training=training)

    @property
    def input(self):
        """The Input placeholder its layers were called on when it was built (Keras' ``model.input``)."""
        self._require_built("its input tensor")
        return self._graph_input

    @property
    def output(self):
        """The last layer's output in the graph of its build (Keras' ``model.output``)."""
        self._require_built("its output tensor")
        if not self._graph_outputs:
            raise ValueError(f'Model "{self.name}" has no layers, so it has no output; add some with model.add(...).')
        return self._graph_outputs[-1]

    @property
    def inputs(self) -> list:
        return [self.input]

    @property
    def outputs(self) -> list:
        return [self.output]

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
