"""The :class:`Sequential` model: a stack of layers, each feeding the next.

It is a thin front over the functional graph it records when it is built (its layers called in turn on an
``Input``, as in Keras 3): calls, summary and ``model.input``/``model.output`` all go through that one
:class:`~pydl.models.Model`; what is its own is the stack (``add``, ``pop``) and its config, a list of layers.
Weights, freezing and saving come from :class:`pydl.models.base.BaseModel`, and ``compile``/``fit``/``evaluate``/
``predict`` from its training loop, which sees a Sequential model as the case of one input and one output.
A layer of the stack may itself be a model (a frozen convolutional base, for instance).
"""

from __future__ import annotations

from pydl import backend
from pydl import layers as layers_module
from pydl.backend import np
from pydl.layers.base import Layer, _unique_name
from pydl.layers.symbolic import forget_call
from pydl.models.base import BaseModel
from pydl.models.functional import Model
from pydl.tensor import Tensor

__all__ = ["Sequential"]


class Sequential(BaseModel):
    """A linear stack of layers, built from the first layer's ``input_shape``, an ``Input`` layer, or on first call.

    Once built, its layers have also been called on an ``Input`` (as in Keras), so ``model.input``, ``model.output``
    and each layer's ``output`` exist: ``Model(model.input, [layer.output for layer in model.layers[:2]])`` is a
    model of intermediate activations sharing these layers and weights.

    Args:
        layers: optional list of layers (models included), added in order.
        name: model name (default ``"sequential"``, ``"sequential_1"``, ...).
        trainable: False freezes every layer it holds.

    >>> from pydl import models, layers
    >>> model = models.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"),
    ...                            layers.Dense(10, activation="softmax")])
    >>> model.count_params()
    407050
    >>> model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    """

    _shows_connections = False

    def __init__(self, layers=None, name: str | None = None, trainable: bool = True):
        super().__init__(name or _unique_name("sequential"), trainable)
        self.layers: list = []
        self._input_shape = None  # with the batch axis: (None, 784)
        self._given_input = None  # the Input layer it was given, if any: its model.input
        self._functional = None  # the graph of its last build, which every call runs
        for layer in layers or ():
            self.add(layer)
        if not trainable:
            self.trainable = False  # freezes the layers given, as setting it later would

    # ----------------------------------------------------------------- architecture
    def add(self, layer: Layer) -> None:
        """Append ``layer`` (a model is a layer too); the model is (re)built right away when its input shape is
        known."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a pydl layer or model, got {type(layer).__name__}.")
        if isinstance(layer, layers_module.Input):
            if self.layers:
                raise ValueError("An Input layer must come first in a Sequential model.")
            self._input_shape = tuple(layer.shape)
            self._given_input = layer
            return
        if layer is self:
            raise ValueError(f'Model "{self.name}" cannot be added to itself.')
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f'A layer named "{layer.name}" is already in model "{self.name}"; layer names must '
                             "be unique (pass name=... to the layer).")
        if isinstance(layer, BaseModel):
            if len(layer.input_names) != 1 or len(layer.output_names) != 1:
                raise ValueError(f'Model "{layer.name}" has {len(layer.input_names)} inputs and '
                                 f"{len(layer.output_names)} outputs; a layer of a Sequential stack needs one of each "
                                 "(use the functional API for the others).")
            if not self.layers and self._input_shape is None and layer.built:
                self._input_shape = tuple(layer.inputs[0].shape)  # Keras: an inner model's input is the stack's
        elif not self.layers and self._input_shape is None and layer.batch_input_shape is not None:
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
                self._forget_graph()
                if self.layers:
                    self._make_graph()
                elif self._given_input is None:
                    self._input_shape = None  # it came from the refused layer
                self.built = bool(self.layers)
                raise
        else:
            self.built = False

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise ValueError("pop() on a Sequential model without layers.")
        layer = self.layers.pop()
        if self._functional is not None:
            self._forget_graph()  # the layer may join another model, unshared
            if self.layers:
                self._make_graph()
        self.built = self._functional is not None  # an empty stack has no graph to run or describe
        return layer

    def build(self, input_shape=None) -> None:
        """Create every layer's weights for inputs of ``input_shape`` (batch axis included, e.g. ``(None, 784)``) and
        call the layers on an ``Input`` of that shape, which gives ``model.input``, ``model.output`` and each layer's
        ``output``: the graph every call of the model runs.

        As in Keras 3 this works on shapes alone (no data flows), so a stack holding a big convolutional base
        builds at once; each layer checks on the way that it fits the shape it gets. Unknown sizes (an Embedding
        without input_length) stay None, so summary() works before any data and the layers accept any length later.
        """
        shape = tuple(input_shape if input_shape is not None else self._input_shape or ())
        if not shape:
            raise ValueError(f'Model "{self.name}" has no input shape; pass input_shape=... to the first layer, '
                             "start with layers.Input(shape), or call build((None, ...)).")
        if not self.layers:
            raise ValueError(f'Model "{self.name}" has no layers; add some with model.add(...).')
        self._input_shape = (None,) + tuple(None if d is None else int(d) for d in shape[1:])
        self._weights_in_training = None  # new layers, new weights: the next step chooses again
        self._make_graph()
        self.built = True

    def _make_graph(self) -> None:
        """Call the layers on an Input of the model's input shape, replacing the graph of an earlier build (which
        would otherwise make every layer look shared); a layer that does not fit leaves no half graph behind."""
        self._forget_graph()
        placeholder = self._input_placeholder().output
        tensor, outputs = placeholder, []
        try:
            for layer in self.layers:
                tensor = layer(tensor)
                if isinstance(tensor, (list, dict)):
                    raise ValueError(f'Layer "{layer.name}" returns several outputs; a Sequential stack passes one '
                                     "tensor from layer to layer (use the functional API).")
                outputs.append(tensor)
        except Exception:
            for output in outputs:
                forget_call(output.node)
            raise
        self._functional = Model(placeholder, tensor, name=self.name)

    def _forget_graph(self) -> None:
        if self._functional is not None:
            for node in self._functional._nodes:
                forget_call(node)
            self._functional = None

    def _input_placeholder(self):
        """The Input layer the model was given when it fits the input shape, else a new one named like Keras 2's."""
        given = self._given_input
        if given is not None and tuple(given.shape) == self._input_shape:
            return given
        name = f"{self.layers[0].name if self.layers else self.name}_input"
        return layers_module.Input(batch_shape=self._input_shape, dtype=self._input_dtype(), name=name)

    def _input_dtype(self):
        if not self.layers:
            return np.dtype(backend.floatx())
        first = self.layers[0]
        if isinstance(first, BaseModel) and first.built:
            return np.dtype(first.inputs[0].dtype)  # an inner model's Input says what it reads (token indices...)
        return np.dtype(first.dtype)

    # ----------------------------------------------------------------- running: through the recorded graph
    def _graph(self) -> Model:
        self._require_built("its graph")
        return self._functional

    def _forward(self, inputs: list, training=None) -> list:
        if not self.layers:
            raise ValueError(f'Model "{self.name}" has no layers; add some with model.add(...).')
        if not self.built:
            data = inputs[0]
            self.build(self._shape_of(np.shape(data.data if isinstance(data, Tensor) else data)))
        return self._functional._forward(inputs, training)

    def _shape_of(self, data_shape) -> tuple:
        """The input shape (batch axis None) of the first data or symbolic tensor the model is called on."""
        shape = (None,) + tuple(data_shape[1:])
        if self._input_shape is not None and len(self._input_shape) != len(shape):
            raise ValueError(f'Model "{self.name}" expects inputs of shape {self._input_shape}, got {shape}.')
        return shape

    def _build_for(self, symbolic) -> None:
        if isinstance(symbolic, list):
            raise ValueError(f'Model "{self.name}" (Sequential) takes one input, got a list of {len(symbolic)}.')
        self.build(self._shape_of(symbolic.shape))

    def _pack_outputs(self, outputs: list):
        return outputs[0]

    @property
    def input(self):
        """The Input placeholder its layers were called on when it was built (Keras' ``model.input``)."""
        self._require_built("its input tensor")
        return self._functional.inputs[0]

    @property
    def output(self):
        """The last layer's output in the graph of its build (Keras' ``model.output``)."""
        self._require_built("its output tensor")
        if not self.layers:
            raise ValueError(f'Model "{self.name}" has no layers, so it has no output; add some with model.add(...).')
        return self._functional.outputs[0]

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
        return self.output.shape

    @property
    def input_names(self) -> list:
        return ["input"]

    @property
    def output_names(self) -> list:
        return [self.layers[-1].name] if self.layers else ["output"]

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """``{"name", "trainable", "layers", "build_input_shape"}``; :meth:`from_config` makes the same (untrained)
        model. A layer that is a model is one entry holding its own whole config."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [layers_module.serialize(layer) for layer in self.layers],
            "build_input_shape": None if self._input_shape is None else list(self._input_shape),
        }

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        """The model :meth:`get_config` describes; ValueError (naming the problem) for one that is not a stack."""
        if "input_layers" in config or "output_layers" in config:
            raise ValueError("a Sequential config has no input_layers/output_layers (that is a functional Model's).")
        entries = config.get("layers", [])
        if not isinstance(entries, list):
            raise ValueError("a Sequential config needs a list of layers.")
        name = config.get("name")
        model = cls(name=name if isinstance(name, str) else None)
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "inbound_nodes" in entry:
                raise ValueError(f"layer {i} of a Sequential config is not a {{'class_name', 'config'}} entry (a "
                                 "graph's layer lists inbound_nodes).")
            model.add(layers_module.deserialize(entry))  # a model among them too: it is a layer class
        shape = config.get("build_input_shape")
        if shape is not None and not model.built and model.layers:
            model.build(tuple(shape))
        model._trainable = config.get("trainable", True) is not False  # each layer's own flag came with its config
        return model

    def __repr__(self) -> str:
        return f"<Sequential name={self.name!r}, layers={len(self.layers)}, built={self.built}>"
