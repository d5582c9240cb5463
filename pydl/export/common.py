"""What both exports share: the model's graph as a list of layer calls, the check that every layer can be exported
(made before anything is written), Python names for layers and tensors, and the writing of the folder.

An export first turns the whole model into text and arrays in memory; only when that has succeeded does it write
``model.py`` and ``weights.npz``, each through a temporary file renamed into place, so a refused or failed export
leaves the folder as it was.
"""

from __future__ import annotations

import builtins
import io
import keyword
import os
import re
from pathlib import Path

from pydl import activations, layers
from pydl.backend import np, to_numpy

__all__ = ["ExportError", "Call", "graph_of", "check_supported", "Names", "stock_activation", "weight_array",
           "write_folder", "is_model", "class_name_for", "activation_problem", "wrapped_problem",
           "TIME_DISTRIBUTABLE",
           "tensor_names", "window_value", "source", "example_shapes"]

MODEL_FILE, WEIGHTS_FILE = "model.py", "weights.npz"


class ExportError(ValueError):
    """A model (or one of its layers) that the target framework cannot receive exactly; nothing was written."""


class Call:
    """One call of a layer in a model's graph: the symbolic tensors it reads and the ones it produces."""

    __slots__ = ("layer", "inputs", "outputs", "takes_list")

    def __init__(self, layer, inputs: list, outputs: list, takes_list: bool):
        self.layer, self.inputs, self.outputs, self.takes_list = layer, inputs, outputs, takes_list


def is_model(layer) -> bool:
    """Whether ``layer`` is a model (Sequential or functional) used as a layer."""
    return getattr(layer, "holds_layers", False)


def graph_of(model):
    """``(inputs, calls, outputs)`` of a built model: its Input tensors, its layer calls in an order where every
    call comes after the calls feeding it, and its output tensors."""
    if not getattr(model, "built", False) or not model.layers:
        raise ExportError(f'Model "{model.name}" is not built, so there is nothing to export yet: give the first layer '
                          "input_shape=..., start with layers.Input(shape), or fit it first.")
    graph = model._graph()
    calls = [Call(node.layer, list(node.inputs), list(node.outputs), node.takes_list) for node in graph._nodes]
    return list(graph.inputs), calls, list(graph.outputs)


def check_supported(model, supported: dict, target: str, extra_check=None) -> None:
    """Raise one ExportError naming every layer of ``model`` (nested models included) that ``target`` cannot take,
    with the list of the layer kinds it can; ``extra_check(layer)`` returns a reason or None for a supported kind."""
    problems = []
    _collect_problems(model, supported, extra_check, problems, [])
    if problems:
        kinds = ", ".join(sorted(cls.__name__ for cls in supported))
        raise ExportError(f'Cannot export model "{model.name}" to {target}: ' + "; ".join(problems)
                          + f". Layers {target} export supports: {kinds}, and models (Sequential or functional) "
                            "used as layers. Nothing was written.")


def _collect_problems(model, supported, extra_check, problems: list, path: list) -> None:
    _, calls, _ = graph_of(model)
    seen = set()
    for call in calls:
        layer = call.layer
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        where = "/".join(path + [layer.name])
        if is_model(layer):
            _collect_problems(layer, supported, extra_check, problems, path + [layer.name])
            continue
        if type(layer) not in supported:  # a subclass may compute something else: refused, not guessed
            problems.append(f'layer "{where}" is a {type(layer).__name__}, which has no exact counterpart there')
            continue
        reason = activation_problem(layer) or (extra_check(layer) if extra_check else None)
        if reason:
            problems.append(f'layer "{where}" ({type(layer).__name__}): {reason}')


def activation_problem(layer):
    for argument in ("activation", "recurrent_activation"):
        fn = getattr(layer, argument, None)
        if fn is not None and stock_activation(fn) is None:
            return f"its {argument} {fn!r} is not one of pydl's named activations ({', '.join(ACTIVATIONS)})"
    return None


# what TimeDistributed may wrap: the layers that take one sample of a step at a time
TIME_DISTRIBUTABLE = (layers.Dense, layers.Activation, layers.Dropout, layers.Flatten, layers.Conv1D, layers.Conv2D,
                      layers.Conv2DTranspose, layers.MaxPooling1D, layers.MaxPooling2D, layers.AveragePooling1D,
                      layers.AveragePooling2D, layers.GlobalMaxPooling1D, layers.GlobalAveragePooling1D,
                      layers.GlobalAveragePooling2D, layers.BatchNormalization)


def wrapped_problem(layer):
    """Why a TimeDistributed ``layer`` cannot be exported (its inner layer is not one it may wrap), or None."""
    if not isinstance(layer, layers.TimeDistributed):
        return None
    inner = layer.layer
    if type(inner) not in TIME_DISTRIBUTABLE:
        kinds = ", ".join(cls.__name__ for cls in TIME_DISTRIBUTABLE)
        return f"it wraps a {type(inner).__name__}; the export takes TimeDistributed of {kinds}"
    return activation_problem(inner)


ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu")


def stock_activation(fn):
    """The name of a stock activation function (``"relu"``), or None for any other callable."""
    try:
        name = activations.serialize(fn)
    except ValueError:
        return None
    return name if name in ACTIVATIONS else None


def weight_array(weight):
    """A weight's values as a NumPy array (copied from the GPU when the model lives there)."""
    return np.array(to_numpy(weight.data))


# ----------------------------------------------------------------------------------------------- names
_TAKEN = set(keyword.kwlist) | {
    # attributes of torch.nn.Module and names the generated code uses itself: a layer named so gets a suffix
    "self", "x", "torch", "nn", "F", "np", "keras", "layers", "math", "build", "create_model", "forward", "training",
    "eval", "train", "to", "type", "float", "double", "half", "cuda", "cpu", "apply", "modules", "children",
    "parameters", "buffers", "state_dict", "load_state_dict", "zero_grad", "register_buffer", "add_module",
    "named_modules", "named_children", "named_parameters", "named_buffers", "requires_grad_", "extra_repr",
    "get_submodule", "get_parameter", "get_buffer", "share_memory", "register_module", "register_parameter",
    "call_super_init", "dump_patches", "compile", "ipu", "xpu", "mtia", "bfloat16", "inputs", "outputs", "model",
    "weights", "HERE", "WEIGHTS", "Path", "os",
}


class Names:
    """Unique Python identifiers made from layer and tensor names ("conv2d_1", "dense-2" -> "dense_2"); with
    ``local=True`` Python's builtins are avoided too (a variable named ``all`` would hide ``all()``)."""

    def __init__(self, taken=(), local=False):
        self._used = set(_TAKEN) | set(taken) | (set(dir(builtins)) if local else set())
        self._given: dict = {}

    def identifier(self, key, wanted: str) -> str:
        """The identifier for ``key`` (made once from ``wanted``, then the same for the same key)."""
        if key in self._given:
            return self._given[key]
        base = re.sub(r"\W", "_", wanted) or "layer"
        if base[0].isdigit():
            base = "_" + base
        name, count = base, 1
        while name in self._used:
            name, count = f"{base}_{count}", count + 1
        self._used.add(name)
        self._given[key] = name
        return name


def class_name_for(model_name: str, names: Names) -> str:
    """A class name for a model: "conv_base" -> "ConvBase", unique within ``names``."""
    camel = "".join(part[:1].upper() + part[1:] for part in re.split(r"\W|_", model_name) if part) or "Model"
    return names.identifier(("class", model_name), camel)


def tensor_names(inputs, calls, outputs, names: Names, keep_input=False) -> dict:
    """A variable name per tensor: ``x`` throughout a chain (one input, each call reading the previous output),
    otherwise the name of the layer that produced it (``dense``, then ``dense_1`` for its second call...).
    ``keep_input``: the input keeps its own name in a chain too (Keras' ``Model(inputs, x)`` needs both)."""
    chain = len(inputs) == 1 and len(outputs) == 1 and all(
        len(call.inputs) == 1 and len(call.outputs) == 1
        and call.inputs[0] is (calls[i - 1].outputs[0] if i else inputs[0]) for i, call in enumerate(calls)
    ) and (not calls or calls[-1].outputs[0] is outputs[0])
    found = {}
    if not chain or keep_input:
        found = {tensor: names.identifier(tensor, tensor.node.layer.name) for tensor in inputs}
    if chain:
        found.setdefault(inputs[0], "x")
        found.update({call.outputs[0]: "x" for call in calls})
        return found
    for call in calls:
        for i, tensor in enumerate(call.outputs):
            wanted = call.layer.name if len(call.outputs) == 1 else f"{call.layer.name}_{i}"
            found[tensor] = names.identifier(tensor, wanted)
    return found


def example_shapes(model) -> tuple:
    """``(input shapes, output shapes)`` of ``model`` on a batch of 2 zeros, for the generated doctest: pydl runs
    the model, so the shapes shown are true. An unknown size (a sequence's length) gets the first of 8, 32, 128
    steps that every window of the model fits."""
    inputs, _, _ = graph_of(model)
    for steps in (8, 32, 128):
        shapes = [(2,) + tuple(steps if d is None else d for d in t.shape[1:]) for t in inputs]
        zeros = [np.zeros(shape, dtype=t.dtype) for shape, t in zip(shapes, inputs)]
        try:
            results = model.predict(zeros if len(zeros) > 1 else zeros[0], verbose=0)
            break
        except ValueError:
            if steps == 128:
                raise
    results = list(results.values()) if isinstance(results, dict) else results
    return shapes, [tuple(r.shape) for r in (results if isinstance(results, list) else [results])]


# ----------------------------------------------------------------------------------------------- writing
def write_folder(folder, code: str, arrays: dict) -> Path:
    """Write ``folder/model.py`` and ``folder/weights.npz`` (plain arrays only: the reader loads them with
    ``allow_pickle=False``); returns the path of model.py."""
    for key, array in arrays.items():
        if array.dtype.hasobject:
            raise ExportError(f"weight {key!r} holds Python objects; only numeric arrays are exported.")
    compile(code, MODEL_FILE, "exec")  # a bug in a generator must not leave a file that cannot even be imported
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _replace(folder / WEIGHTS_FILE, buffer.getvalue())
    _replace(folder / MODEL_FILE, code.encode("utf-8"))
    return folder / MODEL_FILE


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".partial")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def source(value) -> str:
    """``repr`` with strings in double quotes, as the rest of the generated code (and pydl) writes them."""
    if isinstance(value, str) and '"' not in value and "\\" not in value and value.isprintable():
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        items = ", ".join(source(item) for item in value)
        return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
    return repr(value)


def window_value(value) -> str:
    """A window size, stride or dilation as a person writes it: ``(3, 3)`` -> ``3``, ``(2,)`` -> ``2``."""
    value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return repr(value[0]) if len(set(value)) == 1 else repr(value)
