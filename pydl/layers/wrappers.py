"""Layers around other computations: ``TimeDistributed`` (one layer applied to every timestep) and ``Lambda`` (a
Python function as a layer).

>>> import pydl
>>> from pydl import Input, layers
>>> sequences = Input(shape=(10, 8))
>>> layers.TimeDistributed(layers.Dense(4))(sequences).shape
(None, 10, 4)
>>> layers.Lambda(lambda x: pydl.sum(x, axis=-1))(sequences).shape
(None, 10)
"""

from __future__ import annotations

from pydl.layers.base import Layer, _shape_tuple
from pydl.layers.operation import infer_output_spec
from pydl.ops import shape as shape_ops
from pydl.tensor import Tensor

__all__ = ["TimeDistributed", "Lambda"]


class TimeDistributed(Layer):
    """Applies ``layer`` to every timestep (axis 1) of its input with the same weights: (batch, steps, ...) ->
    (batch, steps, ...layer's output per step). The steps are folded into the batch, so it is one call of
    ``layer`` on batch * steps samples.

    Args:
        layer: the layer to apply (a new, unbuilt one: the wrapper builds it for one step's shape and owns its
            weights).
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed wraps a layer, got {type(layer).__name__}.")
        self.layer = layer

    def _step_shape(self, input_shape) -> tuple:
        input_shape = _shape_tuple(input_shape)
        if len(input_shape) < 3:
            raise ValueError(f'Layer "{self.name}" (TimeDistributed) expects input (batch, steps, ...) of rank 3 or '
                             f"more, got shape {input_shape}.")
        return (None,) + input_shape[2:]

    def build(self, input_shape):
        step_shape = self._step_shape(input_shape)
        if self.layer._dtype is None:
            self.layer._dtype = self.dtype
        self.layer._build_or_check(step_shape)
        self._weights = self.layer._weights  # the wrapped layer owns the weights; the wrapper lists them
        self.trainable = self.trainable
        super().build(input_shape)

    def call(self, inputs, training=None):
        batch, steps = inputs.shape[:2]
        folded = shape_ops.reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:]))
        out = self.layer(folded, training=training)
        return shape_ops.reshape(out, (batch, steps) + tuple(out.shape[1:]))

    def compute_output_shape(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        step = _shape_tuple(self.layer.compute_output_shape(self._step_shape(input_shape)))
        return input_shape[:2] + step[1:]

    def get_config(self):
        from pydl.layers import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict):
        from pydl.layers import deserialize

        return super().from_config({**config, "layer": deserialize(config["layer"])})


class Lambda(Layer):
    """A function of tensors as a layer: ``Lambda(lambda x: x ** 2)``; called on a list, the function gets the list
    (``Lambda(sampling)([z_mean, z_log_var])``, the book's VAE).

    Args:
        function: takes the input Tensor (or list of Tensors), returns a Tensor; use pydl ops inside.
        output_shape: None (found by running ``function`` once on small arrays of ones, as Keras 3 does), a shape
            without the batch axis, or a function of the input shape returning the output shape.
        arguments: optional dict of keyword arguments for ``function``.

    NOTE: a Lambda holds Python code, so a model with one cannot be saved: ``get_config`` (and so ``save``) raise a
    TypeError instead of writing code into a file that loading would have to run (Keras 3 writes the bytecode and
    refuses to load it unless told it is safe). Write a ``Layer`` subclass to save such a model.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda needs a callable, got {type(function).__name__}.")
        if mask is not None:
            raise ValueError("Lambda mask= is not supported: pydl layers take no masks.")
        self.function = function
        self.output_shape_arg = output_shape if output_shape is None or callable(output_shape) \
            else _shape_tuple(output_shape)
        self.arguments = dict(arguments or {})

    def _convert_input(self, inputs):
        # the function decides about dtypes: integer inputs (token ids) stay integer
        if isinstance(inputs, (list, tuple)):
            return [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
        return inputs if isinstance(inputs, Tensor) else Tensor(inputs)

    def _build_or_check(self, input_shape) -> None:
        if not self.built:
            self.input_spec_shape = input_shape
            self.built = True

    def call(self, inputs, training=None):
        return self.function(inputs, **self.arguments)

    def compute_output_spec(self, inputs):
        owner = f'Lambda layer "{self.name}" ({getattr(self.function, "__name__", "function")})'
        if self.output_shape_arg is None:
            return infer_output_spec(self.call, inputs, owner)
        shapes = [t.shape for t in inputs] if isinstance(inputs, list) else inputs.shape
        dtype = (inputs[0] if isinstance(inputs, list) else inputs).dtype
        return self.compute_output_shape(shapes), dtype

    def compute_output_shape(self, input_shape):
        if self.output_shape_arg is None:
            raise ValueError(f'Lambda layer "{self.name}" finds its output shape by running on a symbolic tensor; '
                             "pass output_shape= to ask for it from shapes alone.")
        if callable(self.output_shape_arg):
            return _shape_tuple(self.output_shape_arg(input_shape))
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0],) + self.output_shape_arg

    def get_config(self):
        name = getattr(self.function, "__qualname__", type(self.function).__name__)
        raise TypeError(f'Lambda layer "{self.name}" holds Python code (the function {name!r}), which pydl does not '
                        "save: loading it would have to run code from the file. Write a Layer subclass "
                        "(call, get_config) instead of the Lambda to save this model, or keep its weights with "
                        "model.get_weights() and set_weights() them into the model rebuilt by your code.")

    @classmethod
    def from_config(cls, config: dict):
        raise TypeError("A Lambda layer cannot be loaded from a config: pydl never runs code from a file.")
