"""Symbolic tensors: what a layer returns when it is called on an ``Input`` (or on another layer's symbolic output).

No maths happens: the call is recorded as a :class:`Node` (which layer, fed by which tensors) and the result is a
:class:`SymbolicTensor` carrying only a shape and a dtype. :class:`pydl.models.Model` later walks these nodes from
its outputs back to its inputs to run the graph on real data. Each layer also keeps its own nodes, one per call in
call order, which is what ``layer.output`` and ``layer.get_output_at(i)`` read (feature extraction, as in Keras).

>>> from pydl.layers import Dense, Input
>>> inputs = Input(shape=(64,))
>>> hidden = Dense(32, activation="relu", name="hidden")(inputs)
>>> hidden.shape, hidden.node.layer.name, hidden.node.inputs[0] is inputs.output
((None, 32), 'hidden', True)
>>> hidden_layer = hidden.node.layer
>>> hidden_layer.output is hidden, hidden_layer.input is inputs.output
(True, True)
"""

from __future__ import annotations

__all__ = ["SymbolicTensor", "SymbolicMath", "Node", "as_symbolic", "symbolic_inputs", "record_call", "input_node",
           "forget_call"]


class Node:
    """One call of ``layer`` in a graph: the tensors it read and the tensors it produced.

    ``takes_list`` remembers whether the layer was given a list (merge layers) or one tensor, so the call can be
    repeated the same way on data.
    """

    __slots__ = ("layer", "inputs", "outputs", "takes_list", "returns_list")

    def __init__(self, layer, inputs: list, takes_list: bool):
        self.layer, self.inputs, self.takes_list = layer, list(inputs), takes_list
        self.outputs: list = []
        self.returns_list = False

    def __repr__(self) -> str:
        return f"<Node {self.layer.name} <- {[t.node.layer.name for t in self.inputs]}>"


def _ops():
    from pydl import ops  # pydl.ops imports the layers' symbolic checks, so it is imported when first used

    return ops


class SymbolicMath:
    """Operators on symbolic values (a layer's output, an ``Input``): each becomes a graph node, as on Keras 3's
    KerasTensors (see :mod:`pydl.layers.operation`). ``==`` stays identity: graphs key tensors by it."""

    def __add__(self, other):
        return _ops().arithmetic.add(self, other)

    def __radd__(self, other):
        return _ops().arithmetic.add(other, self)

    def __sub__(self, other):
        return _ops().arithmetic.sub(self, other)

    def __rsub__(self, other):
        return _ops().arithmetic.sub(other, self)

    def __mul__(self, other):
        return _ops().arithmetic.mul(self, other)

    def __rmul__(self, other):
        return _ops().arithmetic.mul(other, self)

    def __truediv__(self, other):
        return _ops().arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return _ops().arithmetic.div(other, self)

    def __pow__(self, other):
        return _ops().arithmetic.pow(self, other)

    def __rpow__(self, other):
        return _ops().arithmetic.pow(other, self)

    def __matmul__(self, other):
        return _ops().arithmetic.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().arithmetic.matmul(other, self)

    def __neg__(self):
        return _ops().arithmetic.neg(self)

    def __pos__(self):
        return self

    def __getitem__(self, index):
        return _ops().shape.getitem(self, index)

    def __iter__(self):
        # without it, __getitem__ would make Python iterate by indexing 0, 1, 2, ... one graph node each
        raise TypeError(f"{self!r} cannot be iterated: its values are not known until data flows.")

    def __len__(self) -> int:
        raise TypeError(f"len() of {self!r}: its batch size is not known until data flows.")

    def __bool__(self) -> bool:
        return True  # an object, as before: `if tensor:` must not ask for its length

    # the Tensor methods that have graph ops, so x.mean(axis=1) reads as on a Tensor
    def sum(self, axis=None, keepdims=False):
        return _ops().reduction.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops().reduction.mean(self, axis, keepdims)

    def var(self, axis=None, keepdims=False):
        return _ops().reduction.var(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops().reduction.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops().reduction.min(self, axis, keepdims)

    def exp(self):
        return _ops().elementwise.exp(self)

    def log(self):
        return _ops().elementwise.log(self)

    def sqrt(self):
        return _ops().elementwise.sqrt(self)

    def abs(self):
        return _ops().elementwise.abs(self)

    def reshape(self, *shape):
        return _ops().shape.reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list))
                                    else shape)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes or None
        return _ops().shape.transpose(self, axes)

    @property
    def T(self):
        return _ops().shape.transpose(self, None)


class SymbolicTensor(SymbolicMath):
    """A placeholder for the data that will flow along one edge of a graph: its shape (batch axis None) and dtype.

    Attributes:
        node: the :class:`Node` that produces it (for an ``Input``, a node of that Input layer with no inputs).
        index: which output of that node it is (0 unless the layer returns several).
    """

    __slots__ = ("shape", "dtype", "node", "index")

    def __init__(self, shape, dtype, node: Node, index: int = 0):
        self.shape, self.dtype, self.node, self.index = tuple(shape), str(dtype), node, index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str:
        """``<layer name>`` for a layer's only output, ``<layer name>/<i>`` for one of several."""
        layer = self.node.layer.name
        return f"{layer}/{self.index}" if self.node.returns_list else layer

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, from layer {self.node.layer.name!r}>"

    def __array__(self, dtype=None, copy=None):
        # numpy.asarray(x) or Tensor(x) would otherwise wrap this placeholder in an object array, silently
        raise TypeError(f"{self!r} has no values: it stands for data a model will compute. Use pydl ops on it "
                        "(pydl.mean, pydl.sum, +, x[...], ...), which become graph nodes, or a layer; NumPy functions "
                        "and ops outside pydl.ops cannot be recorded.")

    def __array_function__(self, func, types, args, kwargs):
        name = getattr(func, "__name__", str(func))
        raise TypeError(f"numpy.{name} cannot be recorded on {self!r}: NumPy computes on values, which a symbolic "
                        f"tensor does not have yet. Use the pydl op (pydl.{name}, where there is one), which becomes "
                        "a graph node, or a Lambda layer.")



def as_symbolic(value):
    """``value`` itself if symbolic, an Input layer's output for the layer, else None (real data).

    Raises:
        TypeError: for any other layer. Only placeholders (``Input``) stand for their own output, as in Keras 2.
    """
    if isinstance(value, SymbolicTensor):
        return value
    placeholder = getattr(value, "is_placeholder", None)  # None: not a layer, so data
    if placeholder:
        return value.output
    if placeholder is False:
        raise TypeError(f'Got the layer "{value.name}" where a tensor was expected; use the tensor its call returned '
                        f'(or {value.name}.output).')
    return None


def symbolic_inputs(inputs):
    """The SymbolicTensor (or list of them) ``inputs`` stands for, or None when ``inputs`` is data.

    Raises:
        TypeError: for a list mixing symbolic tensors and data, which no graph can replay.
    """
    if isinstance(inputs, (list, tuple)):
        found = [as_symbolic(item) for item in inputs]
        if all(item is None for item in found):
            return None
        if any(item is None for item in found):
            raise TypeError("A layer was called on a list mixing symbolic tensors (from Input) and data; "
                            "in a functional model every input must come from an Input or another layer.")
        return found
    return as_symbolic(inputs)


def _shape_unknown_from_shapes(layer) -> bool:
    """A layer of the learner's own called on a list without a compute_output_shape: the base class's identity
    would read the list of input shapes as several outputs, so the output is found by running ``call``."""
    from pydl.layers.base import Layer
    return type(layer).compute_output_shape is Layer.compute_output_shape and layer._takes_lists()


def _spec_by_running(layer):
    from pydl.layers.operation import infer_output_spec

    def spec(inputs):
        owner = f'Layer "{layer.name}" ({type(layer).__name__})'
        found = infer_output_spec(lambda xs: layer._run_call(xs, None), inputs, owner)
        layer._added_losses = []  # what call() added while it was run on the probes is not a loss of the model
        return found
    return spec


def record_call(layer, inputs):
    """Build ``layer`` for the symbolic ``inputs`` (or check them against what it was built for), record the call
    as a Node and return its symbolic output(s)."""
    takes_list = isinstance(inputs, list)
    shapes = [t.shape for t in inputs] if takes_list else inputs.shape
    layer._build_or_check(shapes)
    spec = getattr(layer, "compute_output_spec", None)  # ops and Lambdas: shapes and dtypes found by running
    if spec is None and takes_list and _shape_unknown_from_shapes(layer):
        spec = _spec_by_running(layer)
    output_shape, dtype = spec(inputs) if spec is not None else (layer.compute_output_shape(shapes), layer.dtype)
    node = Node(layer, inputs if takes_list else [inputs], takes_list)
    layer._inbound_nodes.append(node)
    if isinstance(output_shape, list):  # a layer with several outputs returns a list of shapes
        node.returns_list = True
        dtypes = dtype if isinstance(dtype, list) else [dtype] * len(output_shape)
        node.outputs = [SymbolicTensor(shape, dtypes[i], node, i) for i, shape in enumerate(output_shape)]
        return list(node.outputs)
    node.outputs = [SymbolicTensor(output_shape, dtype, node)]
    return node.outputs[0]


def input_node(input_layer) -> SymbolicTensor:
    """The symbolic output of an Input layer: a node without inputs."""
    node = Node(input_layer, [], takes_list=False)
    node.outputs = [SymbolicTensor(input_layer.batch_input_shape, input_layer.dtype, node)]
    input_layer._inbound_nodes.append(node)
    return node.outputs[0]


def forget_call(node: Node) -> None:
    """Take ``node`` off its layer's calls: a graph that is replaced (a Sequential model rebuilt or popped) must not
    leave its layers looking shared."""
    node.layer._inbound_nodes.remove(node)
