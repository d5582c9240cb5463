"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape."""

from __future__ import annotations

import math

from pydl import activations, backend, initializers, regularizers
from pydl.layers.base import Layer, _shape_tuple
from pydl.layers.symbolic import SymbolicMath, SymbolicTensor, input_node, symbolic_inputs
from pydl.ops import shape as shape_ops
from pydl.random import generator, get_generator

__all__ = ["Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Reshape"]


class Input(SymbolicMath, Layer):
    """Placeholder that carries the shape of one sample: put it first in a ``Sequential`` model, or call layers on
    it to start a functional graph (it stands for its own symbolic ``output``; see :class:`pydl.models.Model`).

    Args:
        shape: shape of one sample, without the batch axis, e.g. ``(784,)`` or ``(28, 28, 1)``.
        name: name of the input (the key of this input when a model is fed a dict).
        dtype: dtype the data is cast to, ``backend.floatx()`` when None (``"int32"`` for token indices).
        batch_size: optional fixed batch size.
        batch_shape: alternative to ``shape`` with the batch axis, e.g. ``(None, 784)``.

    >>> from pydl.layers import Dense, Input
    >>> inputs = Input(shape=(784,))
    >>> inputs.shape, Dense(10)(inputs).shape
    ((None, 784), (None, 10))
    """

    is_placeholder = True  # a layer called on it is called on its symbolic output, as in Keras 2

    def __init__(self, shape=None, batch_size=None, name=None, dtype=None, batch_shape=None, **kwargs):
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        if shape is None and batch_shape is None:
            raise ValueError("Input needs shape=(...) (one sample, without the batch axis), e.g. Input(shape=(784,)).")
        if batch_shape is None:
            batch_shape = (batch_size,) + _shape_tuple(shape)
        super().__init__(name=name or _input_name(), dtype=dtype, batch_input_shape=batch_shape, **kwargs)
        self.input_spec_shape = self.batch_input_shape
        self.built = True
        self._dtype = self.dtype  # fixed now: the symbolic output below carries it
        input_node(self)  # its one call: the placeholder that is its input and its output

    @property
    def shape(self) -> tuple:
        """The batch input shape, batch axis first (usually None)."""
        return self.batch_input_shape

    def __call__(self, inputs, training=None):
        """Check ``inputs`` against this input's shape and pass them on (cast to its dtype when they are data)."""
        symbolic = symbolic_inputs(inputs)
        if isinstance(symbolic, SymbolicTensor):  # a model called on another graph's tensors
            self._check_shape(self.batch_input_shape, symbolic.shape)
            return symbolic
        if symbolic is not None:  # a list of symbolic tensors where one is expected
            raise ValueError(f'Input "{self.name}" takes one tensor of shape {self.batch_input_shape}, but got a list '
                             f"of {len(symbolic)} with shapes {[t.shape for t in symbolic]}.")
        inputs = self._convert_input(inputs)
        self._check_shape(self.batch_input_shape, tuple(inputs.shape))
        return inputs

    def compute_output_shape(self, input_shape=None) -> tuple:
        return self.batch_input_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_input_shape), "name": self.name, "dtype": self.dtype}


def _input_name():
    from pydl.layers.base import _unique_name

    return _unique_name("input_layer")  # Keras 3's name for the input placeholder


InputLayer = Input


class KernelLayer(Layer):
    """Base of the layers computing ``activation(linear map with a kernel + bias)`` (Dense, Conv2D): it owns the
    options they share (activation, bias, initializers, regularizers), their weights and their config."""

    def __init__(self, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, default="glorot_uniform")
        self.bias_initializer = initializers.get(bias_initializer, default="zeros")
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def add_kernel_and_bias(self, kernel_shape):
        """Create ``self.kernel`` with ``kernel_shape`` and ``self.bias`` (one per output, its last axis)."""
        self.kernel = self.add_weight("kernel", tuple(kernel_shape), self.kernel_initializer, self.kernel_regularizer)
        self.bias = (self.add_weight("bias", (kernel_shape[-1],), self.bias_initializer, self.bias_regularizer)
                     if self.use_bias else None)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}


class Dense(KernelLayer):
    """Fully connected layer: ``activation(inputs @ kernel + bias)`` over the last axis.

    Args:
        units: size of the output's last axis.
        activation: name or callable (see :mod:`pydl.activations`); None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: see :mod:`pydl.initializers`.
        kernel_regularizer, bias_regularizer: see :mod:`pydl.regularizers`.

    >>> from pydl.layers import Dense
    >>> layer = Dense(512, activation="relu", input_shape=(784,))
    >>> layer.build((None, 784)); layer.count_params()
    401920
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, **kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense needs a positive number of units, got {units!r}.")
        self.units = int(units)

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f'Layer "{self.name}" needs inputs with a known last axis, got shape {input_shape}.')
        self.add_kernel_and_bias((input_shape[-1], self.units))
        super().build(input_shape)

    def call(self, inputs, training=None):
        out = inputs @ self.kernel
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        return _shape_tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``.

    >>> import pydl
    >>> from pydl.layers import Activation
    >>> Activation("relu")(pydl.tensor([[-1.0, 2.0]])).tolist() == [[0.0, 2.0]]
    True
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs, training=None):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the rest by
    ``1 / (1 - rate)``, so inference needs no rescaling (the layer is the identity there).

    Args:
        rate: fraction of inputs to drop, in [0, 1).
        noise_shape: optional shape of the mask, broadcast against the input (None entries take the input's size).
        seed: seed of this layer's own generator; None uses the shared one (reset by ``pydl.seed``).

    >>> import pydl
    >>> from pydl.layers import Dropout
    >>> x = pydl.tensor([[1.0, 1.0, 1.0, 1.0]])
    >>> Dropout(0.5)(x).tolist()  # training=None: inference, the identity
    [[1.0, 1.0, 1.0, 1.0]]
    >>> sorted(set(Dropout(0.5, seed=0)(x, training=True).numpy().ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= float(rate) < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}.")
        self.rate, self.seed = float(rate), seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._generator = generator(seed) if seed is not None else None

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape if self.noise_shape is None else tuple(
            n if n is not None else d for n, d in zip(self.noise_shape, inputs.shape))
        return inputs * inverted_dropout_scale(shape, self.rate, inputs, self._generator)

    def get_config(self):
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise, "seed": self.seed}


def inverted_dropout_scale(shape, rate: float, like, rng=None):
    """The factors inverted dropout multiplies by: 0 with probability ``rate``, else ``1 / (1 - rate)``.

    One array of ``shape``, in the dtype and on the device of the Tensor ``like``, drawn from ``rng`` (pydl's shared
    generator when None, so ``pydl.seed`` repeats it). Dropout and the recurrent layers' per-sequence masks both
    draw here.

    >>> import pydl
    >>> rng = pydl.random.generator(0)
    >>> sorted(set(inverted_dropout_scale((4, 5), 0.5, pydl.tensor([1.0]), rng).ravel().tolist()))
    [0.0, 2.0]
    """
    rng = rng if rng is not None else get_generator()
    keep = rng.random(shape) >= rate
    scale = (keep / (1.0 - rate)).astype(like.dtype)
    xp = backend.get_array_module(like.data)
    return xp.asarray(scale) if xp is not backend.np else scale


class Flatten(Layer):
    """Flattens every axis but the batch axis: (N, 5, 5, 64) -> (N, 1600).

    >>> from pydl.layers import Flatten
    >>> Flatten().compute_output_shape((None, 5, 5, 64))
    (None, 1600)
    """

    def call(self, inputs, training=None):
        return shape_ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = _shape_tuple(input_shape)[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1).

    >>> from pydl.layers import Reshape
    >>> Reshape((28, 28, 1)).compute_output_shape((None, 784))
    (None, 28, 28, 1)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = _shape_tuple(target_shape)

    def call(self, inputs, training=None):
        return shape_ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        target, rest = self.target_shape, input_shape[1:]
        known = math.prod(d for d in target if d != -1)
        size = None if None in rest else math.prod(rest)
        if size is not None and (size % known if -1 in target else size != known):
            raise ValueError(f'Layer "{self.name}" cannot reshape input shape {input_shape} ({size} values per '
                             f"sample) to target_shape {target}.")
        if -1 in target:
            target = tuple((None if size is None else size // known) if d == -1 else d for d in target)
        return (input_shape[0],) + target

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
