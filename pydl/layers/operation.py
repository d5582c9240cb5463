"""Ops on symbolic tensors: ``pydl.mean(layer_output)``, ``x[:, :, :, i]``, ``a * b + 1`` inside a functional graph
become nodes, as ``keras.ops`` on KerasTensors do in Keras 3.

An op called on a symbolic tensor makes a :class:`SymbolicOp` layer that remembers the op's name (one of
:data:`GRAPH_OPS`, an allow-list: a saved graph names ops, it never holds code) and its other arguments, and calls
it on the symbolic inputs: one node, shown as a summary row without weights. The model replays it on data by
calling the same eager op. Output shapes are found by running the op on small arrays of ones (see
:func:`infer_output_spec`), so every op's shape rule is its own.

>>> from pydl import Input, Model, layers
>>> import pydl
>>> inputs = Input(shape=(4, 4, 3))
>>> features = layers.Conv2D(8, 3)(inputs)
>>> activation = pydl.mean(features[:, :, :, 2])
>>> activation.shape, activation.node.layer.op
((), 'mean')
>>> model = Model(inputs, features * 2.0 + 1.0)
>>> model.output_shape
(None, 2, 2, 8)
"""

from __future__ import annotations

from pydl import backend
from pydl.autograd import no_grad
from pydl.layers.base import Layer
from pydl.layers.symbolic import SymbolicTensor, as_symbolic
from pydl.tensor import Tensor

__all__ = ["SymbolicOp", "GRAPH_OPS", "record_op", "infer_output_spec", "has_symbolic"]

# Probe sizes for unknown axes: an output axis that differs between the two runs follows an unknown input axis.
# Not 2 and 3: a crop such as x[:, 2:-2] makes both of those empty, and the axis would look known (0).
_PROBES = (5, 7)


def _probe(shape, size: int) -> tuple:
    return tuple(size if d is None else d for d in shape)


def infer_output_spec(fn, inputs, owner: str):
    """(output shape or list of shapes, dtype or list of dtypes) of ``fn`` applied to tensors like the symbolic
    ``inputs`` (one, or a list), found by running it twice on arrays of ones with every unknown axis 2, then 3.

    Raises:
        ValueError: naming ``owner`` and the input shapes, when ``fn`` fails on them.
    """
    many = isinstance(inputs, list)
    runs = []
    for size in _PROBES:
        dummies = [Tensor(backend.xp().ones(_probe(t.shape, size), dtype=t.dtype)) for t in
                   (inputs if many else [inputs])]
        try:
            with no_grad(), backend.np.errstate(all="ignore"):
                result = fn(dummies if many else dummies[0])
        except Exception as error:
            shapes = [t.shape for t in inputs] if many else inputs.shape
            raise ValueError(f"{owner} cannot be applied to input shape(s) {shapes}: "
                             f"{type(error).__name__}: {error}") from error
        runs.append(result)
    first, second = runs
    if isinstance(first, (list, tuple)):
        return ([_merge_shapes(a, b) for a, b in zip(first, second)],
                [str(_as_tensor(a, owner).dtype) for a in first])
    return _merge_shapes(first, second, owner), str(_as_tensor(first, owner).dtype)


def _as_tensor(value, owner: str = "the function") -> Tensor:
    if not isinstance(value, Tensor):
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            return Tensor(value)
        raise TypeError(f"{owner} must return a Tensor (or a list of them), got {type(value).__name__}.")
    return value


def _merge_shapes(first, second, owner: str = "the function") -> tuple:
    a, b = _as_tensor(first, owner).shape, _as_tensor(second, owner).shape
    if len(a) != len(b):
        raise ValueError(f"{owner} gives outputs of different ranks {a} and {b} for different batch sizes; its "
                         "output shape cannot be inferred.")
    return tuple(x if x == y else None for x, y in zip(a, b))


# ----------------------------------------------------------------- which ops may become nodes
def _graph_ops() -> dict:
    from pydl.ops import arithmetic, elementwise, reduction, shape

    ops = {name: getattr(module, name) for module, names in (
        (arithmetic, ("add", "sub", "mul", "div", "pow", "neg", "matmul")),
        (elementwise, ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "leaky_relu", "elu", "clip",
                       "maximum", "minimum", "where")),
        (reduction, ("sum", "mean", "prod", "var", "max", "min", "logsumexp", "softmax", "log_softmax")),
        (shape, ("reshape", "transpose", "expand_dims", "squeeze", "getitem", "concatenate", "stack", "pad", "cast",
                "shape_of")),
    ) for name in names}
    return ops


GRAPH_OPS: dict = {}  # op name -> eager function, filled on first use (pydl.ops imports this module's users)


def graph_op(name: str):
    if not GRAPH_OPS:
        GRAPH_OPS.update(_graph_ops())
    if name not in GRAPH_OPS:
        raise ValueError(f"{name!r} is not an op pydl records in graphs; known ops: {', '.join(sorted(GRAPH_OPS))}.")
    return GRAPH_OPS[name]


# ----------------------------------------------------------------- the arguments of one op call
class _Slot:
    """Where the ``index``-th symbolic input goes among an op's arguments."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def has_symbolic(value) -> bool:
    """Whether ``value`` is, or a list/tuple holds, a symbolic tensor or an ``Input`` placeholder."""
    if isinstance(value, (list, tuple)):
        return any(has_symbolic(item) for item in value)
    return isinstance(value, SymbolicTensor) or getattr(value, "is_placeholder", None) is True


def _template(value, found: list):
    """``value`` with each symbolic tensor replaced by a :class:`_Slot` (collected in ``found``)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_template(item, found) for item in value)
    tensor = as_symbolic(value) if not isinstance(value, (Tensor, int, float, str)) else None
    if tensor is None:
        return value
    found.append(tensor)
    return _Slot(len(found) - 1)


def _fill(value, tensors: list):
    if isinstance(value, _Slot):
        return tensors[value.index]
    if isinstance(value, (list, tuple)):
        return type(value)(_fill(item, tensors) for item in value)
    return value


def record_op(name: str, args: tuple, kwargs: dict):
    """The symbolic output of op ``name`` called with ``args``/``kwargs`` that hold symbolic tensors: a node."""
    found: list = []
    arguments = _template(list(args), found)
    keywords = {key: _template(value, found) for key, value in kwargs.items()}
    return SymbolicOp(name, arguments, keywords)(found)


class SymbolicOp(Layer):
    """One op of :data:`GRAPH_OPS` in a graph: ``op(*arguments, **keywords)`` with the symbolic inputs in their
    places. Made by :func:`record_op` (``pydl.mean(x)`` on a symbolic ``x``), rarely by hand.

    Args:
        op: the op's name, e.g. ``"mean"``.
        arguments, keywords: the op's other arguments; in a saved config, JSON (see :func:`encode`).
    """

    def __init__(self, op, arguments=(), keywords=None, **kwargs):
        graph_op(op)  # an unknown name fails here, before anything is built
        kwargs.setdefault("name", _auto_name(op))
        super().__init__(**kwargs)
        self.op = op
        self.arguments = list(arguments)
        self.keywords = dict(keywords or {})

    def _convert_input(self, inputs):
        # graph values are already Tensors of the right dtype; an op keeps integer inputs integer
        items = inputs if isinstance(inputs, list) else [inputs]
        return [x if isinstance(x, Tensor) else Tensor(x) for x in items]

    def _build_or_check(self, input_shape) -> None:
        if not self.built:
            self.input_spec_shape = input_shape
            self.built = True

    def _apply(self, tensors: list):
        return graph_op(self.op)(*_fill(self.arguments, tensors),
                                 **{key: _fill(value, tensors) for key, value in self.keywords.items()})

    def compute_output_spec(self, inputs):
        tensors = inputs if isinstance(inputs, list) else [inputs]
        return infer_output_spec(lambda dummies: self._apply(list(dummies)), list(tensors),
                                 f'Op "{self.name}" ({self.op})')

    def call(self, inputs, training=None):
        return self._apply(inputs if isinstance(inputs, list) else [inputs])

    def get_config(self):
        config = super().get_config()
        config.pop("dtype", None)  # an op's dtype follows its inputs
        return {**config, "op": self.op, "arguments": encode(self.arguments, self.name),
                "keywords": {key: encode(value, self.name) for key, value in self.keywords.items()}}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        arguments = decode(config.pop("arguments", []))
        keywords = {key: decode(value) for key, value in dict(config.pop("keywords", {}) or {}).items()}
        if not isinstance(arguments, list):
            raise ValueError("SymbolicOp arguments must be a list.")
        return cls(config.pop("op"), arguments, keywords, **config)


# Keras 3's names for the nodes of these ops (x * y is a "multiply" node there)
_KERAS_NAMES = {"mul": "multiply", "sub": "subtract", "div": "true_divide", "pow": "power", "neg": "negative",
                "getitem": "get_item", "abs": "absolute", "shape_of": "shape"}


def _auto_name(op: str) -> str:
    from pydl.layers.base import _unique_name

    return _unique_name(_KERAS_NAMES.get(op, op))


# ----------------------------------------------------------------- arguments as JSON, strictly
def encode(value, layer_name: str = "op"):
    """``value`` as JSON: numbers, strings, None and lists stay; tuples, slices, Ellipsis, input slots and arrays
    become ``{"class_name": "__tuple__" | "__slice__" | "__ellipsis__" | "__input__" | "__array__", ...}``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, _Slot):
        return {"class_name": "__input__", "index": value.index}
    if isinstance(value, list):
        return [encode(item, layer_name) for item in value]
    if isinstance(value, tuple):
        return {"class_name": "__tuple__", "items": [encode(item, layer_name) for item in value]}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "items": [encode(v, layer_name) for v in (value.start, value.stop,
                                                                                      value.step)]}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__"}
    if isinstance(value, Tensor) or hasattr(value, "__array_interface__") or hasattr(value, "dtype"):
        array = value.numpy() if isinstance(value, Tensor) else backend.to_numpy(backend.np.asarray(value))
        if array.dtype.kind not in "biuf":
            raise TypeError(f'Op "{layer_name}": a constant of dtype {array.dtype} cannot be saved.')
        return {"class_name": "__array__", "dtype": array.dtype.name, "value": array.tolist()}
    raise TypeError(f'Op "{layer_name}": an argument of type {type(value).__name__} cannot be saved; use numbers, '
                    "lists, tuples, slices or arrays.")


_ARRAY_VALUES = (list, bool, int, float)  # a 0-d array is saved as one number


def decode(value):
    """The inverse of :func:`encode`; anything else than its forms is a ValueError (files are not trusted)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        kind = value.get("class_name")
        if kind == "__input__" and type(value.get("index")) is int and value["index"] >= 0:
            return _Slot(value["index"])
        if kind in ("__tuple__", "__slice__") and isinstance(value.get("items"), list):
            items = [decode(item) for item in value["items"]]
            if kind == "__tuple__":
                return tuple(items)
            if len(items) == 3 and all(v is None or type(v) is int for v in items):
                return slice(*items)
        if kind == "__ellipsis__":
            return Ellipsis
        if kind == "__array__" and value.get("dtype") in ("bool", "int32", "int64", "float16", "float32",
                                                          "float64") and isinstance(value.get("value"), _ARRAY_VALUES):
            return backend.np.asarray(value["value"], dtype=value["dtype"])
    raise ValueError(f"an op argument in the config is not one pydl writes: {value!r:.200}")
