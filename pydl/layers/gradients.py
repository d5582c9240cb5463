"""Gradients and functions of symbolic graphs, Keras 2's ``K.gradients`` and ``K.function`` (re-exported by
:mod:`pydl.keras_backend`): a gradient is a graph node, so ops on it are nodes too, and a function runs a graph
from its placeholders.

>>> import numpy as np
>>> from pydl import Input, layers
>>> x = Input(shape=(3,))
>>> y = layers.Dense(1, kernel_initializer="ones")(x)
>>> grads = gradients(y * y, [x])[0]
>>> function([x], [grads])([np.ones((1, 3))])[0].tolist()  # d(sum(x)^2)/dx = 2 * sum(x)
[[6.0, 6.0, 6.0]]
"""

from __future__ import annotations

from pydl.autograd import enable_grad, no_grad
from pydl.backend import np
from pydl.layers.base import Layer, _unique_name
from pydl.layers.symbolic import SymbolicTensor, as_symbolic
from pydl.ops import reduction
from pydl.tensor import Tensor

__all__ = ["gradients", "function", "symbolic_or_none"]


def symbolic_or_none(x):
    """The symbolic tensor ``x`` stands for (itself, or an Input's output), None for data."""
    return as_symbolic(x) if not isinstance(x, (Tensor, int, float)) else None


class _Gradients(Layer):
    """A node whose outputs are the gradients of the loss (summed over its entries, as Keras 2 does) with respect
    to tensors of its graph: Input placeholders or layer outputs. On data it replays the loss's graph from the
    placeholders with those tensors made leaves that require grad, then runs backward; the model's weights get
    no gradients from it."""

    def __init__(self, loss_model, wanted: list, **kwargs):
        super().__init__(**kwargs)
        self.loss_model, self.wanted = loss_model, wanted

    def _convert_input(self, inputs):
        return [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]

    def _build_or_check(self, input_shape) -> None:
        self.built = True

    def compute_output_spec(self, inputs):
        return [t.shape for t in self.wanted], [t.dtype for t in self.wanted]

    def call(self, inputs, training=None):
        watch = dict.fromkeys(self.wanted)
        weights = [w for w in self.loss_model.weights if w.requires_grad]
        try:
            for weight in weights:  # only the tensors' gradients are wanted: the weights stay out of the graph
                weight.requires_grad = False
            with enable_grad():
                loss = self.loss_model._forward(inputs, training=training, watch=watch)[0]
                if loss.requires_grad:
                    reduction.sum(loss).backward()
        finally:
            for weight in weights:
                weight.requires_grad = True
        return [Tensor(leaf.grad) if leaf.grad is not None else Tensor(np.zeros_like(leaf.data))
                for leaf in (watch[t] for t in self.wanted)]

    def get_config(self):
        raise TypeError(f'"{self.name}" is K.gradients of a graph; a model holding it cannot be saved.')


def gradients(loss, variables) -> list:
    """The symbolic gradients of ``loss`` (its sum, when it has several entries) with respect to each of
    ``variables``: tensors of the graph the loss is computed from (``model.input``, a layer's ``output``). A list,
    one per variable; ops on them are graph nodes too (the book normalises them with ``K.sqrt(K.mean(...))``).

    Raises:
        TypeError: for a loss or a variable that is not a symbolic tensor.
        ValueError: for a variable the loss is not computed from.
    """
    from pydl.models.functional import Model

    loss_tensor = symbolic_or_none(loss)
    if not isinstance(loss_tensor, SymbolicTensor):
        raise TypeError(f"K.gradients needs a symbolic loss (computed from layer outputs), got {loss!r}.")
    wanted = []
    for variable in variables if isinstance(variables, (list, tuple)) else [variables]:
        tensor = symbolic_or_none(variable)
        if tensor is None:
            raise TypeError("K.gradients differentiates with respect to tensors of the graph (model.input, "
                            f"layer.output); got {variable!r}. Weights are not supported.")
        wanted.append(tensor)
    placeholders, upstream = _inputs_of(loss_tensor)
    missing = [t.name for t in wanted if t not in upstream]
    if missing:
        raise ValueError(f"the loss is not computed from {missing}; K.gradients would be zero there.")
    loss_model = Model(placeholders, loss_tensor)
    return list(_Gradients(loss_model, wanted, name=_unique_name("gradients"))(placeholders))


def _inputs_of(tensor: SymbolicTensor):
    """(the Input placeholders ``tensor`` is computed from, in the order first met; every tensor on the way)."""
    placeholders, upstream, seen, stack = [], {tensor}, set(), [tensor.node]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if not node.inputs:
            placeholders.append(node.outputs[0])
        upstream.update(node.inputs)
        stack.extend(t.node for t in reversed(node.inputs))
    return placeholders, upstream


class _Function:
    """What :func:`function` returns: called on a list of arrays (one per input), returns a list of arrays.

    As in Keras 2, an input no output needs is allowed (its value is ignored); the graph runs from the others.
    """

    def __init__(self, inputs, outputs):
        from pydl.models.functional import Model

        self.inputs = [symbolic_or_none(t) for t in inputs]
        if any(t is None or t.node.inputs for t in self.inputs):
            raise TypeError(f"K.function inputs must be Input placeholders (e.g. model.input), got {inputs!r}.")
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        needed = set()
        for output in outputs:
            needed.update(_inputs_of(symbolic_or_none(output))[0] if symbolic_or_none(output) is not None
                          else ())
        self.used = [i for i, t in enumerate(self.inputs) if t in needed]
        self.model = Model([self.inputs[i] for i in self.used], outputs)

    def __call__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(self.inputs):
            raise ValueError(f"this K.function takes {len(self.inputs)} input(s) {[t.name for t in self.inputs]}, "
                             f"got {len(values)}.")
        tensors = [self.inputs[i].node.layer(values[i]) for i in self.used]  # each Input checks its shape
        with no_grad():
            outputs = self.model._forward(tensors)
        return [out.numpy() for out in outputs]


def function(inputs, outputs, updates=None, name=None):
    """A Python function computing ``outputs`` from values of ``inputs`` (Input placeholders), Keras 2's
    ``K.function``: ``f([array, ...])`` returns ``[array, ...]``, one per output.

    Raises:
        ValueError: for ``updates`` (Keras 2's variable updates are not supported).
    """
    if updates:
        raise ValueError("K.function updates= are not supported by pydl; update Tensors in Python instead.")
    return _Function(inputs if isinstance(inputs, (list, tuple)) else [inputs], outputs)
