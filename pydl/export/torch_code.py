"""``to_torch``: a pydl model as the ``nn.Module`` a person would write, with its weights in PyTorch's layouts.

pydl is channels-last (Keras); torch's convolutions, pooling and batch norm want channels first. The generated
module takes images as (batch, channels, height, width) and sequences as (batch, steps, features) (what torch's
recurrent layers take with ``batch_first=True``), and keeps every tensor in the layout its next layer wants:
a value is "cl" (pydl's order), "cf" (channels moved to axis 1) or ``("flat", shape)``, a channels-first tensor
flattened (torch's ``flatten`` after a convolution reads channel by channel, pydl's pixel by pixel). A Dense layer
after such a Flatten gets its kernel rows permuted to match, so the code stays ``torch.flatten(x, 1)`` then
``self.dense(x)``; any other layer gets the values put back in pydl's order first.
"""

from __future__ import annotations

import textwrap
from collections import Counter

from pydl.backend import np
from pydl.export.common import (
    ExportError, Names, check_supported, class_name_for, example_shapes, graph_of, is_model, tensor_names,
    weight_array, wrapped_problem, write_folder,
)
from pydl.export.torch_layers import HANDLERS, recurrent_problem

__all__ = ["to_torch"]


def to_torch(model, folder):
    """Write ``folder/model.py`` (an ``nn.Module`` class per model, and ``build()``) and ``folder/weights.npz`` (its
    ``state_dict`` as plain arrays); return the path of model.py. Refuses, before writing anything, a model holding
    a layer torch has no exact counterpart for, naming it and listing the supported kinds.

    Images go in and come out channels first, ``(batch, channels, height, width)``; sequences stay
    ``(batch, steps, features)``. ``build()`` returns the module in ``eval()`` mode: Dropout off and
    BatchNormalization on its moving statistics, as ``model.predict`` in pydl.
    """
    check_supported(model, HANDLERS, "PyTorch", lambda layer: recurrent_problem(layer) or wrapped_problem(layer))
    program = Program()
    program.class_for(model, top=True)
    code = program.code(model)
    return write_folder(folder, code, program.arrays)


def canonical(rank: int) -> str:
    """The layout a module's inputs and outputs use: images channels first, everything else as in pydl."""
    return "cf" if rank == 4 else "cl"


class Program:
    """The whole file: one class per model (inner models first), the helper functions they use, the arrays."""

    def __init__(self):
        self.class_names = Names(taken={"Model"})
        self.classes: dict = {}  # id(model) -> (class name, code, {state_dict key: array})
        self.helpers: dict = {}  # name -> code, in first-use order
        self.arrays: dict = {}

    def class_for(self, model, top=False):
        """(class name, {relative state_dict key: array}) of the nn.Module for ``model``, written once."""
        if id(model) not in self.classes:
            name = "Model" if top else class_name_for(model.name, self.class_names)
            writer = ModuleWriter(model, name, self)
            self.classes[id(model)] = (name, writer.code(), writer.arrays)
        name, _, arrays = self.classes[id(model)]
        if top:
            self.arrays = dict(arrays)
        return name, arrays

    def helper(self, name: str, code: str) -> str:
        self.helpers.setdefault(name, code)
        return name

    def code(self, model) -> str:
        float64 = any(weight_array(w).dtype == np.float64 for w in model.weights)
        body = [*self.helpers.values(), *(c for _, c, _ in self.classes.values())]
        imports = IMPORTS
        if not any("F." in part for part in body):
            imports = imports.replace("import torch.nn.functional as F\n", "")
        if any("math." in part for part in body):
            imports = "import math\n" + imports
        inputs, _, outputs = graph_of(model)
        ranks = {len(t.shape) for t in inputs + outputs}
        layouts = ([IMAGES] if 4 in ranks else []) + ([SEQUENCES] if 3 in ranks else [])
        about = textwrap.fill(" ".join(layouts + [BUILT]), 110)
        header = HEADER.format(name=model.name, example=_example(model), about=about)
        parts = [header, imports, *body, BUILD.format(make="Model().double()" if float64 else "Model()")]
        header, *rest = (part.strip("\n") for part in parts)
        return header + "\n\n" + "\n\n\n".join(rest) + "\n"  # PEP 8's blank lines


IMAGES = "Images are (batch, channels, height, width), as torch's convolutions take them."
SEQUENCES = "Sequences are (batch, steps, features), as torch's recurrent layers take them with batch_first=True."
BUILT = "build() returns the module with the trained weights from weights.npz beside this file, in inference mode."
HEADER = '''"""The pydl model "{name}" as a PyTorch module, written by pydl.export.to_torch.

{about}

{example}
"""'''

IMPORTS = '''from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent'''

BUILD = '''def build():
    """The module with its trained weights, in eval() mode (call .train() to go on training it)."""
    model = {make}
    with np.load(HERE / "weights.npz", allow_pickle=False) as weights:
        model.load_state_dict({{name: torch.from_numpy(weights[name]) for name in weights.files}})
    return model.eval()'''


def _example(model) -> str:
    """A doctest: build() on zeros, showing the output shapes (images channels first)."""
    input_shapes, output_shapes = example_shapes(model)

    def torch_shape(shape):
        return shape[:1] + shape[3:] + shape[1:3] if len(shape) == 4 else shape

    arguments = ", ".join(f"torch.zeros{torch_shape(s)!r}".replace(",)", ")") for s in input_shapes)
    if len(output_shapes) == 1:
        return f">>> model = build()\n>>> model({arguments}).shape\ntorch.Size({list(torch_shape(output_shapes[0]))})"
    return (f">>> model = build()\n>>> [tuple(y.shape) for y in model({arguments})]\n"
            f"{[torch_shape(shape) for shape in output_shapes]!r}")


class ModuleWriter:
    """The nn.Module class for one model: ``__init__`` lines (submodules in call order), ``forward`` lines, and the
    state_dict arrays, with the layout of every value computed so far."""

    def __init__(self, model, class_name: str, program: Program):
        self.model, self.class_name, self.program = model, class_name, program
        self.names = Names()  # submodule attributes
        self.init_lines: list = []
        self.forward_lines: list = []
        self.arrays: dict = {}
        self.values: dict = {}  # SymbolicTensor -> (variable name, layout)
        self.attributes: dict = {}  # id(layer) -> attribute name (a layer called twice is one submodule)
        inputs, calls, outputs = graph_of(model)
        self.call_counts = Counter(id(call.layer) for call in calls)
        self.local_names = Names(local=True)
        self.variables = tensor_names(inputs, calls, outputs, self.local_names)
        for call in calls:  # the submodules get the layers' own names, in call order
            self.attributes.setdefault(id(call.layer), self.names.identifier(id(call.layer), call.layer.name))
        self.written: set = set()  # the layers whose submodule is already in __init__
        for tensor in inputs:
            self.values[tensor] = (self.variables[tensor], canonical(len(tensor.shape)))
        for call in calls:
            self._write_call(call)
        returned = [self.read(t, (canonical(len(t.shape)),))[0] for t in outputs]
        self.forward_lines.append(f"return {', '.join(returned)}")
        self.input_names = [self.variables[t] for t in inputs]

    def _write_call(self, call) -> None:
        layer = call.layer
        known, attribute = id(layer) in self.written, self.attributes[id(layer)]
        self.written.add(id(layer))
        first_new = len(self.init_lines)
        if is_model(layer):
            self._write_model_call(call, attribute, known)
        else:
            HANDLERS[type(layer)](self, call, attribute, known)
        if not layer.trainable:  # frozen in pydl: its parameters stay out of torch's optimizers too
            for line in self.init_lines[first_new:]:
                self.init_lines.append(f"{line.split(' = ')[0]}.requires_grad_(False)")

    def _write_model_call(self, call, attribute: str, known: bool) -> None:
        class_name, arrays = self.program.class_for(call.layer)
        if not known:
            self.add_module(attribute, f"{class_name}()", arrays)
        arguments = ", ".join(self.read(t, (canonical(len(t.shape)),))[0] for t in call.inputs)
        expression = f"self.{attribute}({arguments})"
        if len(call.outputs) == 1:
            self.set(call.outputs[0], expression, canonical(len(call.outputs[0].shape)))
            return
        names = [self.variables[t] for t in call.outputs]
        self.line(f"{', '.join(names)} = {expression}")
        for tensor, name in zip(call.outputs, names):
            self.values[tensor] = (name, canonical(len(tensor.shape)))

    # ------------------------------------------------------------- what the layer handlers call
    def add_module(self, attribute: str, constructor: str, arrays: dict) -> None:
        self.init_lines.append(f"self.{attribute} = {constructor}")
        for key, array in arrays.items():
            self.arrays[f"{attribute}.{key}"] = np.ascontiguousarray(array)

    def add_parameter(self, attribute: str, array) -> None:
        """A weight of its own (not a submodule's), of ``array``'s shape and values."""
        self.init_lines.append(f"self.{attribute} = nn.Parameter(torch.zeros({tuple(array.shape)!r}))")
        self.arrays[attribute] = np.ascontiguousarray(array)

    def line(self, text: str) -> None:
        self.forward_lines.append(text)

    def local(self, wanted: str) -> str:
        """A new local variable of forward, named after ``wanted``."""
        return self.local_names.identifier(object(), wanted)

    def variable(self, tensor) -> str:
        return self.variables[tensor]

    def record(self, tensor, name: str, layout) -> None:
        self.values[tensor] = (name, layout)

    def set(self, tensor, expression: str, layout) -> None:
        """``name = expression`` for ``tensor``, whose values are in ``layout``."""
        name = self.variables[tensor]
        self.line(f"{name} = {expression}")
        self.values[tensor] = (name, layout)

    def layout(self, tensor):
        return self.values[tensor][1]

    def read(self, tensor, accepted: tuple):
        """``(expression, layout)`` for ``tensor`` in one of the ``accepted`` layouts ("cl", "cf", "flat"),
        converted to the first of them when it is in another one."""
        name, layout = self.values[tensor]
        kind = "flat" if isinstance(layout, tuple) else layout
        if kind in accepted:
            return name, layout
        want, rank = accepted[0], len(tensor.shape)
        if kind == "flat":  # back to pydl's order: unflatten channels first, move the channels last, flatten
            shape = layout[1]
            channels_first = (shape[-1],) + tuple(shape[:-1])
            order = (0,) + tuple(range(2, len(shape) + 1)) + (1,)
            name = f"{name}.unflatten(1, {channels_first}).permute{order}.flatten(1)"
            layout = "cl"
            if want == "cl":
                return name, layout
        if rank < 3:
            raise ExportError(f"internal: no channels axis to move in a value of shape {tensor.shape}")
        if rank == 3:
            return f"{name}.transpose(1, 2)", want
        order = (0, rank - 1) + tuple(range(1, rank - 1)) if want == "cf" else (0,) + tuple(range(2, rank)) + (1,)
        return f"{name}.permute{order}", want

    def code(self) -> str:
        summary = f'"""pydl {type(self.model).__name__} "{self.model.name}"."""'
        init = "\n".join(f"        {line}" for line in ["super().__init__()", *self.init_lines])
        forward = "\n".join(f"        {line}" for line in self.forward_lines)
        return (f"class {self.class_name}(nn.Module):\n    {summary}\n\n    def __init__(self):\n{init}\n\n"
                f"    def forward(self, {', '.join(self.input_names)}):\n{forward}\n")
