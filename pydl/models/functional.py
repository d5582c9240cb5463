"""The functional API: a :class:`Model` is the graph of layer calls between ``Input`` placeholders and outputs.

Calling a layer on an ``Input`` (or on another layer's symbolic output) records a node instead of computing (see
:mod:`pydl.layers.symbolic`); ``Model(inputs, outputs)`` walks those nodes back from the outputs, keeps them in an
order where every node comes after the nodes feeding it, and replays them on data. A layer called twice is one set
of weights used in two places. Training is the same loop as ``Sequential``'s, with lists of inputs and outputs.

>>> from pydl import Input, layers, models
>>> input_tensor = Input(shape=(64,))
>>> x = layers.Dense(32, activation="relu")(input_tensor)
>>> output_tensor = layers.Dense(10, activation="softmax")(x)
>>> model = models.Model(input_tensor, output_tensor)
>>> model.count_params(), model.output_shape
(2410, (None, 10))
"""

from __future__ import annotations

from collections import Counter

from pydl import layers as layers_module
from pydl.layers.base import _unique_name
from pydl.layers.symbolic import as_symbolic
from pydl.models.base import BaseModel
from pydl.models.functional_config import graph_config, graph_from_config
from pydl.tensor import Tensor

__all__ = ["Model"]


def _endpoints(value, what: str):
    """(symbolic tensors, their keys if given as a dict, whether given as one tensor) for Model's arguments."""
    single = not isinstance(value, (list, tuple, dict))
    keys = list(value) if isinstance(value, dict) else None
    items = [value] if single else list(value.values()) if keys is not None else list(value)
    tensors = []
    for item in items:
        tensor = as_symbolic(item)
        if tensor is None:
            raise TypeError(f"Model {what} must be Input layers or outputs of layers called on them, got {item!r}.")
        tensors.append(tensor)
    if not tensors:
        raise ValueError(f"Model needs at least one of its {what}.")
    if keys is not None and not all(isinstance(key, str) for key in keys):
        raise TypeError(f"The keys of a dict of {what} must be strings (names), got {keys}.")
    return tensors, keys, single


def _nodes_between(inputs: list, outputs: list, output_names: list, model_name: str) -> list:
    """The nodes computing ``outputs`` from ``inputs``, each after the nodes feeding it (depth-first, no recursion,
    so deep graphs are fine). Raises for an output that needs an Input missing from ``inputs``."""
    given = set(inputs)
    done: dict = {}  # node -> None, in dependency order
    for output, output_name in zip(outputs, output_names):
        stack = [] if output in given else [output.node]
        while stack:
            node = stack[-1]
            if node in done:
                stack.pop()
                continue
            if not node.inputs:  # an Input placeholder that is not one of the model's inputs
                names = [t.node.layer.name for t in inputs]
                raise ValueError(
                    f'Graph disconnected: output "{output_name}" of model "{model_name}" needs Input '
                    f'"{node.layer.name}", which is not among the model\'s inputs {names}. Pass it in inputs=[...].')
            waiting = [t.node for t in node.inputs if t not in given and t.node not in done]
            if waiting:
                stack.extend(reversed(waiting))
            else:
                done[node] = None
                stack.pop()
    used = {t for node in done for t in node.inputs} | set(outputs)
    unused = [t.node.layer.name for t in inputs if t not in used]
    if unused:
        raise ValueError(f'Model "{model_name}": input(s) {unused} are not connected to any output; remove them from '
                         "inputs or use them.")
    return list(done)


class Model(BaseModel):
    """A model whose layers form a graph: several inputs, several outputs, shared layers, merges.

    Args:
        inputs: an ``Input`` (or its ``.output``), a list of them, or a dict by name.
        outputs: a symbolic tensor (a layer's output), a list of them, or a dict by name.
        name: model name (default ``"functional"``, ``"functional_1"``, ...).
        trainable: False freezes every layer it holds.

    A model is a layer: called on symbolic tensors it becomes ONE node of a bigger graph (one summary row, its
    weights shared by every call), called on data it computes, and it nests in a ``Sequential`` stack.

    Inputs are named after their ``Input`` layers and outputs after the layers producing them (or after the dict
    keys): data may be given as a list in that order or a dict by name, and ``compile`` takes a loss per output.
    Calling the model on data returns the outputs in the same structure (a list for a list, a dict for a dict).

    >>> from pydl import Input, layers, models
    >>> question, text = Input(shape=(16,), name="question"), Input(shape=(32,), name="text")
    >>> merged = layers.concatenate([layers.Dense(8)(question), layers.Dense(8)(text)])
    >>> answer = layers.Dense(5, activation="softmax", name="answer")(merged)
    >>> model = models.Model([question, text], answer)
    >>> model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> model.input_names, model.output_names, model.count_params()
    (['question', 'text'], ['answer'], 485)
    """

    def __init__(self, inputs, outputs, name: str | None = None, trainable: bool = True):
        super().__init__(name or _unique_name("functional"), trainable)
        self.inputs, self._input_keys, self._single_input = _endpoints(inputs, "inputs")
        self.outputs, self._output_keys, self._single_output = _endpoints(outputs, "outputs")
        for tensor in self.inputs:
            if tensor.node.inputs or not isinstance(tensor.node.layer, layers_module.Input):
                raise ValueError(f'Model "{self.name}": inputs must be Input placeholders, but "{tensor.name}" is the '
                                 "output of a layer.")
        if len(set(self.inputs)) != len(self.inputs):
            raise ValueError(f'Model "{self.name}" lists the same Input twice in inputs.')
        self.input_names = self._input_keys or [t.node.layer.name for t in self.inputs]
        self.output_names = self._output_keys or _unique([t.name for t in self.outputs])
        self._nodes = _nodes_between(self.inputs, self.outputs, self.output_names, self.name)
        self.layers = list({node.layer: None for node in [t.node for t in self.inputs] + self._nodes})
        duplicates = sorted(name for name, count in Counter(layer.name for layer in self.layers).items() if count > 1)
        if duplicates:
            raise ValueError(f'Model "{self.name}" has several different layers named {duplicates}; layer names must '
                             "be unique (pass name=... to the layers).")
        self.built = True
        if not trainable:
            self.trainable = False  # freezes every layer, as setting it later would

    # ----------------------------------------------------------------- running the graph
    def _graph(self) -> "Model":
        return self

    def _forward(self, inputs: list, training=None, watch: dict | None = None) -> list:
        """Replay the nodes on ``inputs`` (data). A node may be an inner model: its outputs come back as a list.

        ``watch`` (K.gradients' use) maps symbolic tensors of the graph to None; each one's value is replaced by a
        leaf Tensor requiring grad, stored in ``watch``, from which the rest of the graph computes: after
        ``backward`` its ``.grad`` is the gradient with respect to that tensor.
        """
        inputs = self._on_weights_device(inputs)
        values = {tensor: tensor.node.layer(data) for tensor, data in zip(self.inputs, inputs)}  # checks shapes
        if watch is not None:
            self._watch(values, self.inputs, watch)
        for node in self._nodes:
            args = [values[t] for t in node.inputs]
            result = node.layer(args if node.takes_list else args[0], training=training)
            if isinstance(result, dict):  # an inner model with outputs by name: node outputs are in its order
                result = list(result.values())
            values.update(zip(node.outputs, result if node.returns_list else [result]))
            if watch is not None:
                self._watch(values, node.outputs, watch)
        return [values[t] for t in self.outputs]

    @staticmethod
    def _watch(values: dict, tensors: list, watch: dict) -> None:
        for tensor in tensors:
            if tensor in watch:
                values[tensor] = watch[tensor] = Tensor(values[tensor].data, requires_grad=True)

    def _pack_outputs(self, outputs: list):
        return _structured(outputs, self._output_keys, self._single_output)

    @property
    def input(self):
        """The Input placeholder(s), structured as given (one tensor, a list or a dict): with :attr:`output` or any
        layer's ``output``, what ``Model(inputs=..., outputs=...)`` takes to build a model on the same layers."""
        return _structured(self.inputs, self._input_keys, self._single_input)

    @property
    def output(self):
        """The output tensor(s), structured as given (one tensor, a list or a dict)."""
        return _structured(self.outputs, self._output_keys, self._single_output)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if self._single_input else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if self._single_output else shapes

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Layers with their ``inbound_nodes`` (which layer's output feeds each call), inputs and outputs, as JSON;
        :meth:`from_config` rebuilds the same (untrained) graph."""
        return {"name": self.name, "trainable": self.trainable, **graph_config(self)}

    @classmethod
    def from_config(cls, config: dict) -> "Model":
        """The model :meth:`get_config` describes; ValueError (naming the problem) for an inconsistent graph."""
        inputs, outputs, layer_names = graph_from_config(config)
        name = config.get("name")
        model = cls(inputs, outputs, name=name if isinstance(name, str) else None)
        stray = sorted(set(layer_names) - {layer.name for layer in model.layers})
        if stray:
            raise ValueError(f"the layers {stray} are not on any path from the inputs to the outputs.")
        model._trainable = config.get("trainable", True) is not False  # each layer's own flag came with its config
        return model

    def __repr__(self) -> str:
        return (f"<Model name={self.name!r}, inputs={self.input_names}, outputs={self.output_names}, "
                f"layers={len(self.layers)}>")


def _structured(items: list, keys, single: bool):
    """``items`` in the structure the model was given: a dict by ``keys``, one item, or a list."""
    if keys is not None:
        return dict(zip(keys, items))
    return items[0] if single else list(items)


def _unique(names: list) -> list:
    """``names`` with repeats suffixed ``_1``, ``_2``, ... (two outputs of one layer need distinct loss keys)."""
    seen: dict = {}
    unique = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        unique.append(name if count == 0 else f"{name}_{count}")
    return unique
