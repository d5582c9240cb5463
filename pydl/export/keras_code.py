"""``to_keras``: a pydl model as the Keras 3 code a person would write (``keras.Sequential`` for a stack, the
functional API for a graph), with its weights as they are: pydl's layers hold Keras' weights in Keras' layouts and
order, so each layer's arrays go to ``set_weights`` unchanged.
"""

from __future__ import annotations

from collections import Counter

from pydl import layers
from pydl.models import Sequential
from pydl.export.common import (
    Names, check_supported, example_shapes, graph_of, is_model, source, stock_activation, tensor_names,
    weight_array, window_value, wrapped_problem, write_folder,
)

__all__ = ["to_keras"]


def to_keras(model, folder):
    """Write ``folder/model.py`` (a ``create_...()`` function per model, and ``build()``) and ``folder/weights.npz``;
    return the path of model.py. Refuses, before writing anything, a model holding a layer Keras has no exact
    counterpart for, naming it and listing the supported kinds.

    The Keras model takes and gives the same arrays as the pydl one (channels last, as both are).
    """
    check_supported(model, KERAS_CLASSES, "Keras", wrapped_problem)
    program = Program()
    program.function_for(model, top=True)
    return write_folder(folder, program.code(model), program.arrays)


# pydl class -> (its Keras name, the positional arguments, {keyword: Keras' default}) read from the layer's attributes
WINDOW = {"strides": None, "padding": "valid"}
AFFINE = {"fill_mode": "reflect", "interpolation": "bilinear", "seed": None, "fill_value": 0.0}
KERAS_CLASSES = {
    layers.Dense: ("Dense", ["units"], {"activation": "linear", "use_bias": True}),
    layers.Activation: ("Activation", ["activation"], {}),
    layers.Dropout: ("Dropout", ["rate"], {"noise_shape": None, "seed": None}),
    layers.Flatten: ("Flatten", [], {}),
    layers.Reshape: ("Reshape", ["target_shape"], {}),
    layers.Embedding: ("Embedding", ["input_dim", "output_dim"], {}),
    layers.Conv1D: ("Conv1D", ["filters", "kernel_size"], {"strides": 1, "padding": "valid", "dilation_rate": 1,
                                                           "activation": "linear", "use_bias": True}),
    layers.Conv2D: ("Conv2D", ["filters", "kernel_size"], {"strides": 1, "padding": "valid", "dilation_rate": 1,
                                                           "activation": "linear", "use_bias": True}),
    layers.DepthwiseConv2D: ("DepthwiseConv2D", ["kernel_size"], {
        "strides": 1, "padding": "valid", "depth_multiplier": 1, "activation": "linear", "use_bias": True}),
    layers.SeparableConv2D: ("SeparableConv2D", ["filters", "kernel_size"], {
        "strides": 1, "padding": "valid", "depth_multiplier": 1, "activation": "linear", "use_bias": True}),
    layers.MaxPooling1D: ("MaxPooling1D", ["pool_size"], WINDOW),
    layers.AveragePooling1D: ("AveragePooling1D", ["pool_size"], WINDOW),
    layers.MaxPooling2D: ("MaxPooling2D", ["pool_size"], WINDOW),
    layers.AveragePooling2D: ("AveragePooling2D", ["pool_size"], WINDOW),
    layers.GlobalMaxPooling1D: ("GlobalMaxPooling1D", [], {"keepdims": False}),
    layers.GlobalAveragePooling1D: ("GlobalAveragePooling1D", [], {"keepdims": False}),
    layers.GlobalAveragePooling2D: ("GlobalAveragePooling2D", [], {"keepdims": False}),
    layers.BatchNormalization: ("BatchNormalization", [], {"momentum": 0.99, "epsilon": 0.001, "center": True,
                                                          "scale": True}),
    layers.SimpleRNN: ("SimpleRNN", ["units"], {"activation": "tanh", "use_bias": True, "return_sequences": False,
                                                "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None}),
    layers.LSTM: ("LSTM", ["units"], {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                                      "unit_forget_bias": True, "return_sequences": False, "dropout": 0.0,
                                      "recurrent_dropout": 0.0, "seed": None}),
    layers.GRU: ("GRU", ["units"], {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                                    "reset_after": True, "return_sequences": False, "dropout": 0.0,
                                    "recurrent_dropout": 0.0, "seed": None}),
    layers.Bidirectional: ("Bidirectional", ["layer"], {"merge_mode": "concat"}),
    layers.Add: ("Add", [], {}), layers.Subtract: ("Subtract", [], {}), layers.Multiply: ("Multiply", [], {}),
    layers.Average: ("Average", [], {}), layers.Concatenate: ("Concatenate", [], {"axis": -1}),
    # the layers of the book's Keras (issue 16)
    layers.LeakyReLU: ("LeakyReLU", [], {"negative_slope": 0.3}),
    layers.PReLU: ("PReLU", [], {"shared_axes": None}),
    layers.ReLU: ("ReLU", [], {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}),
    layers.ELU: ("ELU", [], {"alpha": 1.0}),
    layers.Softmax: ("Softmax", [], {"axis": -1}),
    layers.Conv2DTranspose: ("Conv2DTranspose", ["filters", "kernel_size"], {
        "strides": 1, "padding": "valid", "output_padding": None, "activation": "linear", "use_bias": True}),
    layers.UpSampling1D: ("UpSampling1D", [], {"size": 2}),
    layers.UpSampling2D: ("UpSampling2D", [], {"size": 2, "interpolation": "nearest"}),
    layers.ZeroPadding2D: ("ZeroPadding2D", [], {"padding": ((1, 1), (1, 1))}),
    layers.Cropping2D: ("Cropping2D", [], {"cropping": ((0, 0), (0, 0))}),
    layers.Permute: ("Permute", ["dims"], {}),
    layers.RepeatVector: ("RepeatVector", ["n"], {}),
    layers.TimeDistributed: ("TimeDistributed", ["layer"], {}),
    layers.GaussianNoise: ("GaussianNoise", ["stddev"], {"seed": None}),
    layers.Rescaling: ("Rescaling", ["scale"], {"offset": 0.0}),
    layers.RandomFlip: ("RandomFlip", [], {"mode": "horizontal_and_vertical", "seed": None}),
    layers.RandomRotation: ("RandomRotation", ["factor"], AFFINE),
    layers.RandomTranslation: ("RandomTranslation", ["height_factor", "width_factor"], AFFINE),
    layers.RandomZoom: ("RandomZoom", ["height_factor"], {"width_factor": None, **AFFINE}),
    layers.RandomContrast: ("RandomContrast", ["factor"], {"value_range": (0, 255), "seed": None}),
}
WINDOWS = {"kernel_size", "strides", "dilation_rate", "pool_size", "size"}



def _argument(layer, name: str):
    """The layer's value for a Keras argument, as Python source."""
    value = getattr(layer, name)
    if name in ("activation", "recurrent_activation"):
        return source(stock_activation(value))
    if name == "layer":  # Bidirectional's and TimeDistributed's: in the wrapper's dtype, as pydl's copies of it are
        return constructor(value, dtype=layer.dtype)
    if name in WINDOWS:
        return window_value(value)
    return source(_tuples(value))


def _tuples(value):
    """Lists (pydl's configs keep them) as tuples, nested ones too: ``((1, 2), (0, 1))`` as a person writes it."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def constructor(layer, dtype=None) -> str:
    """``layers.Dense(64, activation="relu", name="dense")``: the Keras layer, defaults left out."""
    keras_name, positional, defaults = KERAS_CLASSES[type(layer)]
    parts = [_argument(layer, name) for name in positional]
    for name, default in defaults.items():
        if name == "strides" and hasattr(layer, "pool_size") and layer.strides == layer.pool_size:
            continue  # Keras' pooling strides default to the pool size
        value = _argument(layer, name)
        if value != (source(default) if name not in WINDOWS else window_value(default)):
            parts.append(f"{name}={value}")
    if not layer.trainable:
        parts.append("trainable=False")
    dtype = dtype or layer.dtype
    if dtype != "float32":
        parts.append(f"dtype={source(dtype)}")
    parts.append(f"name={source(layer.name)}")
    return wrapped_call(f"layers.{keras_name}", parts)


def wrapped_call(function: str, parts: list, width: int = 88) -> str:
    """``function(part, part, ...)`` on one line when it fits ``width``, else its arguments on indented lines
    below (a part that is itself several lines, such as Bidirectional's layer, starts a line of its own)."""
    one_line = f"{function}({', '.join(parts)})"
    if len(one_line) <= width and "\n" not in one_line:
        return one_line
    lines, current = [], ""
    for part in parts:
        part = part.replace("\n", "\n    ")
        candidate = f"{current}, {part}" if current else part
        if current and ("\n" in part or len(candidate) + 4 > width):
            lines.append(current + ",")
            current = part
        else:
            current = candidate
    lines.append(current)
    return function + "(\n" + "\n".join("    " + line for line in lines) + ")"


class Program:
    """The file: one ``create_...()`` function per model (inner models first), the weights and their table."""

    def __init__(self):
        self.function_names = Names(taken={"create_model"})
        self.functions: dict = {}  # id(model) -> (function name, code)
        self.arrays: dict = {}
        self.table: dict = {}  # layer path -> its array names, in set_weights' order

    def function_for(self, model, top=False, path=()) -> str:
        if id(model) not in self.functions:
            name = "create_model" if top else self.function_names.identifier(id(model), f"create_{model.name}")
            self.functions[id(model)] = (name, self._function(model, name, path))
        return self.functions[id(model)][0]

    def _weights(self, layer, path: tuple) -> None:
        names = []
        for weight in layer.weights:
            short = weight.name[len(layer.name) + 1:] if weight.name.startswith(layer.name + "/") else weight.name
            key = "/".join(path + (layer.name, short))
            self.arrays[key] = weight_array(weight)
            names.append(key)
        if names:
            self.table["/".join(path + (layer.name,))] = names

    def _function(self, model, function_name: str, path: tuple) -> str:
        inputs, calls, outputs = graph_of(model)
        names = Names(taken={function_name}, local=True)
        for call in calls:
            if is_model(call.layer):
                self.function_for(call.layer, path=path + (call.layer.name,))
            elif not any(call.layer is c.layer for c in calls[:calls.index(call)]):
                self._weights(call.layer, path)
        if isinstance(model, Sequential):
            return self._sequential(model, function_name, inputs, calls)
        return self._functional(model, function_name, inputs, calls, outputs, names)

    def _input(self, tensor, calls, name=None) -> str:
        shape = tuple(tensor.shape[1:])
        readers = [c.layer for c in calls if any(t is tensor for t in c.inputs)]
        dtype = "int32" if readers and all(isinstance(r, layers.Embedding) for r in readers) else tensor.dtype
        arguments = [f"shape={source(shape)}"]
        if dtype != "float32":
            arguments.append(f"dtype={source(dtype)}")
        if name is not None:
            arguments.append(f"name={source(name)}")
        return f"keras.Input({', '.join(arguments)})"

    def _sequential(self, model, function_name: str, inputs, calls) -> str:
        items = [self._input(inputs[0], calls)]
        for call in calls:
            layer = call.layer
            items.append(f"{self.functions[id(layer)][0]}()" if is_model(layer) else constructor(layer))
        body = "".join(f"        {item},\n".replace("\n    ", "\n            ") for item in items)
        frozen = "" if model.trainable else ", trainable=False"
        return (f"def {function_name}():\n    \"\"\"pydl Sequential \"{model.name}\".\"\"\"\n"
                f"    return keras.Sequential([\n{body}    ], name={source(model.name)}{frozen})\n")

    def _functional(self, model, function_name, inputs, calls, outputs, names: Names) -> str:
        counts = Counter(id(call.layer) for call in calls)
        # A layer called twice and an inner model are made once, then called: one set of weights. Their names
        # are given first, so the model's own name goes to the model ("encoder"), not to its output.
        made = {}
        for call in calls:
            layer = call.layer
            if (counts[id(layer)] > 1 or is_model(layer)) and id(layer) not in made:
                made[id(layer)] = names.identifier(("layer", id(layer)),
                                                   layer.name if is_model(layer) else f"{layer.name}_layer")
        variables = tensor_names(inputs, calls, outputs, names, keep_input=True)
        lines = [f"{variables[t]} = {self._input(t, calls, t.node.layer.name)}" for t in inputs]
        for call in calls:
            layer = call.layer
            make = f"{self.functions[id(layer)][0]}()" if is_model(layer) else constructor(layer)
            if id(layer) in made:
                if not any(layer is c.layer for c in calls[:calls.index(call)]):
                    lines.append(f"{made[id(layer)]} = {make}")
                make = made[id(layer)]
            arguments = [variables[t] for t in call.inputs]
            argument = f"[{', '.join(arguments)}]" if call.takes_list else arguments[0]
            results = ", ".join(variables[t] for t in call.outputs)
            lines.append(f"{results} = {make}({argument})")
        given = [variables[t] for t in inputs]
        returned = [variables[t] for t in outputs]
        model_inputs = given[0] if len(given) == 1 else f"[{', '.join(given)}]"
        model_outputs = returned[0] if len(returned) == 1 else f"[{', '.join(returned)}]"
        frozen = "" if model.trainable else ", trainable=False"
        lines.append(f"return keras.Model({model_inputs}, {model_outputs}, name={source(model.name)}{frozen})")
        body = "\n".join(f"    {line}".replace("\n", "\n    ") for line in lines)
        return f"def {function_name}():\n    \"\"\"pydl {type(model).__name__} \"{model.name}\".\"\"\"\n{body}\n"

    def code(self, model) -> str:
        table = ""
        for path, names in self.table.items():
            line = f"    {source(path)}: [{', '.join(source(name) for name in names)}],\n"
            if len(line) > 110:  # one array a line
                line = f"    {source(path)}: [\n" + "".join(f"        {source(name)},\n" for name in names) + "    ],\n"
            table += line
        parts = [HEADER.format(name=model.name, example=_example(model)), IMPORTS,
                 *(code for _, code in self.functions.values()),
                 f"# Each layer's arrays in weights.npz, in the order set_weights takes them (a layer of an inner "
                 f"model as\n# \"model/layer\").\nWEIGHTS = {{\n{table}}}", BUILD]
        header, *rest = (part.strip("\n") for part in parts)
        return header + "\n\n" + "\n\n\n".join(rest) + "\n"  # PEP 8's blank lines


HEADER = '''"""The pydl model "{name}" as a Keras 3 model, written by pydl.export.to_keras.

Same inputs and outputs as in pydl (channels last). build() returns the model with the trained weights from
weights.npz beside this file.

{example}
"""'''

IMPORTS = '''from pathlib import Path

import keras
import numpy as np
from keras import layers

HERE = Path(__file__).resolve().parent'''

BUILD = '''def build():
    """The model with its trained weights (compile it to go on training)."""
    model = create_model()
    with np.load(HERE / "weights.npz", allow_pickle=False) as weights:
        for path, names in WEIGHTS.items():
            layer = model
            for name in path.split("/"):
                layer = layer.get_layer(name)
            layer.set_weights([weights[name] for name in names])
    return model'''


def _example(model) -> str:
    """A doctest: build() on zeros, showing the output shapes."""
    input_shapes, output_shapes = example_shapes(model)
    arguments = [f"np.zeros({shape!r})" for shape in input_shapes]
    argument = arguments[0] if len(arguments) == 1 else f"[{', '.join(arguments)}]"
    if len(output_shapes) == 1:
        return f">>> model = build()\n>>> model.predict({argument}, verbose=0).shape\n{output_shapes[0]!r}"
    return f">>> model = build()\n>>> [y.shape for y in model.predict({argument}, verbose=0)]\n{output_shapes!r}"
