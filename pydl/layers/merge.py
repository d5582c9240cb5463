"""Merge layers: combine a list of tensors into one (the joints of multi-input and residual graphs).

``Concatenate`` joins along an axis; ``Add``, ``Subtract``, ``Multiply`` and ``Average`` work elementwise on inputs
of one shape. Each has a lowercase helper that makes the layer and calls it: ``concatenate([a, b])``.

>>> from pydl.layers import Dense, Input, concatenate
>>> question, text = Input(shape=(16,)), Input(shape=(32,))
>>> concatenate([Dense(8)(question), Dense(8)(text)]).shape
(None, 16)
"""

from __future__ import annotations

from pydl import backend
from pydl.layers.base import Layer, _compatible, _shape_tuple
from pydl.ops import shape as shape_ops

__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average",
           "concatenate", "add", "subtract", "multiply", "average"]


class Merge(Layer):
    """Base of the merge layers: called on a list of at least two tensors (exactly ``arity`` when set)."""

    arity = None

    def _convert_input(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) merges a list of tensors, '
                             f"e.g. {type(self).__name__}()([a, b]); got one {type(inputs).__name__}.")
        return [super(Merge, self)._convert_input(x) for x in inputs]

    def _build_or_check(self, input_shape) -> None:
        if not isinstance(input_shape, list):
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) merges a list of tensors, '
                             f"but got one tensor of shape {input_shape}.")
        shapes = [_shape_tuple(shape) for shape in input_shape]
        wanted = "at least 2" if self.arity is None else str(self.arity)
        if len(shapes) < 2 or (self.arity is not None and len(shapes) != self.arity):
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) needs {wanted} inputs, got {len(shapes)}.')
        if self.built and not (len(shapes) == len(self.input_spec_shape)
                               and all(map(_compatible, self.input_spec_shape, shapes))):
            raise ValueError(f'Layer "{self.name}" expects input shapes {self.input_spec_shape}, but got {shapes}.')
        self.compute_output_shape(shapes)  # raises, naming the layer and the shapes, when they do not fit
        if not self.built:
            if self._dtype is None:
                self._dtype = backend.floatx()  # fixed at build, as for every layer
            self.build([(None,) + shape[1:] for shape in shapes])

    def build(self, input_shape) -> None:
        self.input_spec_shape = [_shape_tuple(shape) for shape in input_shape]
        self.built = True

    def _shape_error(self, shapes, requirement: str):
        return ValueError(f'Layer "{self.name}" ({type(self).__name__}) needs {requirement}, but got shapes '
                          f"{', '.join(map(str, shapes))}.")


class _Elementwise(Merge):
    """Inputs of one shape, combined element by element."""

    def compute_output_shape(self, input_shape):
        shapes = [_shape_tuple(shape) for shape in input_shape]
        first = shapes[0]
        if not all(_compatible(first, shape) for shape in shapes[1:]):
            raise self._shape_error(shapes, "inputs of the same shape")
        # a dimension known in any input is known in the output
        return tuple(next((d for d in dims if d is not None), None) for dims in zip(*shapes))


class Add(_Elementwise):
    """Sum of its inputs: ``add([a, b])`` (a residual connection adds a block's input to its output).

    >>> import numpy as np
    >>> from pydl.layers import Add
    >>> Add()([np.ones((1, 2)), np.ones((1, 2))]).tolist()
    [[2.0, 2.0]]
    """

    def call(self, inputs, training=None):
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total


class Subtract(_Elementwise):
    """First input minus the second: ``subtract([a, b])``.

    >>> import numpy as np
    >>> from pydl.layers import Subtract
    >>> Subtract()([np.full((1, 2), 3.0), np.ones((1, 2))]).tolist()
    [[2.0, 2.0]]
    """

    arity = 2

    def call(self, inputs, training=None):
        return inputs[0] - inputs[1]


class Multiply(_Elementwise):
    """Elementwise product of its inputs: ``multiply([a, gate])``.

    >>> import numpy as np
    >>> from pydl.layers import Multiply
    >>> Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0)]).tolist()
    [[6.0, 6.0]]
    """

    def call(self, inputs, training=None):
        product = inputs[0]
        for x in inputs[1:]:
            product = product * x
        return product


class Average(_Elementwise):
    """Elementwise mean of its inputs: ``average([model_a_out, model_b_out])`` (an ensemble).

    >>> import numpy as np
    >>> from pydl.layers import Average
    >>> Average()([np.zeros((1, 2)), np.full((1, 2), 4.0)]).tolist()
    [[2.0, 2.0]]
    """

    def call(self, inputs, training=None):
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total * (1.0 / len(inputs))


class Concatenate(Merge):
    """Joins its inputs along ``axis`` (default: the last); every other axis must match.

    >>> from pydl.layers import Concatenate
    >>> Concatenate().compute_output_shape([(None, 3), (None, 5)])
    (None, 8)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _axis(self, rank: int) -> int:
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank:
            raise ValueError(f'Layer "{self.name}" (Concatenate) cannot join along axis {self.axis} of inputs of rank '
                             f"{rank}: the axis must exist and not be the batch axis.")
        return axis

    def compute_output_shape(self, input_shape):
        shapes = [_shape_tuple(shape) for shape in input_shape]
        if len({len(shape) for shape in shapes}) != 1:
            raise self._shape_error(shapes, "inputs of the same rank")
        axis = self._axis(len(shapes[0]))
        others = [shape[:axis] + shape[axis + 1:] for shape in shapes]
        if not all(_compatible(others[0], other) for other in others[1:]):
            raise self._shape_error(shapes, f"inputs whose shapes match on every axis but axis {self.axis}")
        joined = [shape[axis] for shape in shapes]
        output = [next((d for d in dims if d is not None), None) for dims in zip(*others)]
        output.insert(axis, None if None in joined else sum(joined))
        return tuple(output)

    def call(self, inputs, training=None):
        return shape_ops.concatenate(inputs, axis=self._axis(inputs[0].ndim))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``: join a list of tensors along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: the elementwise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``: the elementwise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``: the elementwise mean of a list of tensors."""
    return Average(**kwargs)(inputs)
