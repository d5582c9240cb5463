"""Recurrent layers over (batch, timesteps, features): SimpleRNN, LSTM and GRU, with Keras' weights and gate order.

An RNN is a ``for`` loop that carries a state from one timestep to the next. Here the loop is literally a Python
loop over the timesteps calling ``step`` (one cell update made of ordinary pydl ops), so autograd differentiates
through time by itself: backpropagation through time needs no code of its own.

Every layer holds Keras' three weights: ``kernel`` (features, gates * units) applied to the inputs,
``recurrent_kernel`` (units, gates * units) applied to the previous output, and ``bias``; the gates sit side by side
in the columns, so weights copied from Keras work unchanged.

Dropout (``dropout`` on the inputs, ``recurrent_dropout`` on the state fed back) follows Keras and Gal and
Ghahramani's recurrent dropout: one mask per sequence, the same units dropped at every timestep, drawn only in
training.

>>> from pydl.backend import np
>>> from pydl.layers import LSTM
>>> LSTM(32)(np.zeros((2, 10, 8))).shape, LSTM(32, return_sequences=True)(np.zeros((2, 10, 8))).shape
((2, 32), (2, 10, 32))
>>> LSTM(32, dropout=0.2, recurrent_dropout=0.2).get_config()["recurrent_dropout"]
0.2
"""

from __future__ import annotations

from pydl import activations, backend, initializers, regularizers
from pydl.backend import np
from pydl.layers.base import Layer, _shape_tuple
from pydl.layers._sequence import check_sequence_shape
from pydl.layers.core import inverted_dropout_scale
from pydl.ops import shape as shape_ops
from pydl.ops.recurrent import GRUSequence, LSTMSequence
from pydl.random import generator
from pydl.tensor import Tensor

__all__ = ["SimpleRNN", "LSTM", "GRU"]


class _Recurrent(Layer):
    """What the recurrent layers share: the weights, the loop over timesteps, shapes and config.

    Subclasses set ``gates`` (blocks of ``units`` columns in the kernels) and ``state_count`` (tensors carried
    between steps) and implement ``step``. The first state is always the previous output, the one the recurrent
    kernel reads.
    """

    gates = 1
    state_count = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, return_sequences=False, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"{type(self).__name__} needs a positive number of units, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, default="glorot_uniform")
        self.recurrent_initializer = initializers.get(recurrent_initializer, default="orthogonal")
        self.bias_initializer = initializers.get(bias_initializer, default="zeros")
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.return_sequences = bool(return_sequences)
        self.dropout = _dropout_rate(self, "dropout", dropout)
        self.recurrent_dropout = _dropout_rate(self, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._generator = generator(seed) if seed is not None else None  # None: the shared one, reset by pydl.seed

    # ----------------------------------------------------------------- weights
    def build(self, input_shape):
        input_shape = check_sequence_shape(self, input_shape)
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                                                self.recurrent_regularizer)
        self.bias = (self.add_weight("bias", self._bias_shape(), self._initial_bias, self.bias_regularizer)
                     if self.use_bias else None)
        super().build(input_shape)
        self.input_spec_shape = (None, None, input_shape[-1])  # any number of timesteps; the features are fixed

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _initial_bias(self, shape, dtype=None):
        return self.bias_initializer(shape, dtype)

    def _input_bias(self):
        """The bias added to the input's share of each step (GRU with ``reset_after`` has a second one)."""
        return self.bias

    # ----------------------------------------------------------------- the loop over time
    def call(self, inputs, training=None):
        batch, timesteps, features = inputs.shape
        if timesteps == 0:
            raise ValueError(f'Layer "{self.name}" got sequences without timesteps (input shape {inputs.shape}).')
        input_mask, recurrent_mask = self._dropout_masks(inputs, training)
        if input_mask is not None:
            inputs = inputs * input_mask  # (batch, 1, features): every timestep loses the same features
        # The input's share of every step, x_t @ kernel + bias, does not depend on the state, so one 2-D matrix
        # product computes it for all timesteps before the loop.
        flat = shape_ops.reshape(inputs, (batch * timesteps, features)) @ self.kernel
        projected = shape_ops.reshape(flat, (batch, timesteps, self.gates * self.units))
        input_bias = self._input_bias()
        if input_bias is not None:
            projected = projected + input_bias
        fused = self._fused_sequence(projected, recurrent_mask)
        if fused is not None:
            return fused if self.return_sequences else fused[:, -1]
        xp = backend.get_array_module(inputs.data)
        states = tuple(Tensor._wrap(xp.zeros((batch, self.units), dtype=inputs.dtype))
                       for _ in range(self.state_count))  # every sequence starts from zero states
        outputs = []
        for projected_input in shape_ops.unstack(projected, axis=1):
            recurrent_input = states[0] if recurrent_mask is None else states[0] * recurrent_mask
            output, states = self.step(projected_input, states, recurrent_input)
            outputs.append(output)
        return shape_ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]

    def _fused_sequence(self, projected, recurrent_mask):
        """Every step's output (batch, timesteps, units) from one op (:mod:`pydl.ops.recurrent`) where the layer
        has one for its activations, else None: ``step`` is the definition, the fused op its fast twin."""
        return None

    def step(self, projected_input, states, recurrent_input):
        """One timestep: ``(output, new states)`` from ``x_t @ kernel + bias`` (batch, gates * units), the
        previous states (each (batch, units)) and ``recurrent_input``, the previous output as the recurrent kernel
        reads it: ``states[0]`` itself, or times the recurrent dropout mask in training. The states carried on
        (an LSTM's carry, a GRU's ``z * h_{t-1}``) are never dropped, as in Keras."""
        raise NotImplementedError

    def _dropout_masks(self, inputs, training) -> tuple:
        """The inverted-dropout factors for the inputs (batch, 1, features) and for the fed-back state
        (batch, units), None where there is no dropout (rate 0, or not training).

        Drawn once per call, so one sequence keeps its mask at every timestep while the sequences of a batch, and
        successive batches, get different ones.
        """
        if not training:
            return None, None
        batch, _, features = inputs.shape
        return tuple(inverted_dropout_scale(shape, rate, inputs, self._generator) if rate else None
                     for rate, shape in ((self.dropout, (batch, 1, features)),
                                         (self.recurrent_dropout, (batch, self.units))))

    def _split_gates(self, z) -> list:
        """The ``gates`` blocks of ``units`` columns of ``z``, in Keras' order."""
        return [z[:, k * self.units:(k + 1) * self.units] for k in range(z.shape[1] // self.units)]

    # ----------------------------------------------------------------- shapes and config
    def compute_output_shape(self, input_shape):
        batch, timesteps, _ = _shape_tuple(input_shape)
        return (batch, timesteps, self.units) if self.return_sequences else (batch, self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "return_sequences": self.return_sequences, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


def _dropout_rate(layer, argument: str, value) -> float:
    """``value`` as a float in [0, 1), else an error naming the layer, the argument and the value."""
    rate = float(value)
    if not 0.0 <= rate < 1.0:  # also refuses NaN
        raise ValueError(f'Layer "{layer.name}" ({type(layer).__name__}): {argument} must be in [0, 1), got '
                         f"{value!r}.")
    return rate


class SimpleRNN(_Recurrent):
    """The plain recurrent layer: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``; the
    output of each step is its new state. It forgets quickly (vanishing gradients): prefer LSTM or GRU.

    Args:
        units: size of the output and of the state.
        activation: "tanh" by default.
        use_bias, kernel_initializer, recurrent_initializer (orthogonal), bias_initializer: as in Keras.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: see :mod:`pydl.regularizers`.
        return_sequences: True returns every step's output (batch, timesteps, units), which a following recurrent
            layer needs; False only the last one (batch, units).
        dropout: fraction of the input features to drop, in [0, 1); one mask per sequence, the same at every step.
        recurrent_dropout: fraction of the fed-back state's units to drop (before the recurrent kernel), likewise.
            Both are inverted dropout, active only in training (``fit``), never in ``predict``/``evaluate``.
        seed: seed of the dropout masks' own generator; None uses pydl's shared one (reset by ``pydl.seed``).

    >>> from pydl.layers import SimpleRNN
    >>> layer = SimpleRNN(32, return_sequences=True)
    >>> layer.build((None, None, 32)); layer.count_params()
    2080
    """

    def step(self, projected_input, states, recurrent_input):
        output = self.activation(projected_input + recurrent_input @ self.recurrent_kernel)
        return output, (output,)


class _Gated(_Recurrent):
    """Adds the gates' activation (``recurrent_activation``, a sigmoid: each gate is a fraction in (0, 1))."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation)}


class LSTM(_Gated):
    """Long short-term memory: a second state, the carry ``c``, runs along the sequence and is only changed
    through gates, so information (and gradient) can travel many steps without fading.

    With the gates in Keras' order i (input), f (forget), c (candidate), o (output), each step computes::

        i, f, c_hat, o = split(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)
        c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(c_hat)
        h_t = sigmoid(o) * tanh(c_t)

    Args:
        units, activation ("tanh"), recurrent_activation ("sigmoid"), return_sequences, dropout,
            recurrent_dropout, seed and the initializer and regularizer arguments: as for ``SimpleRNN``.
        unit_forget_bias: start the forget gate's bias at 1, so the layer begins by remembering (Keras' default).

    >>> from pydl.layers import LSTM
    >>> layer = LSTM(32)
    >>> layer.build((None, None, 32)); layer.count_params()
    8320
    >>> layer.bias.numpy()[32:64].tolist() == [1.0] * 32
    True
    """

    gates, state_count = 4, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _initial_bias(self, shape, dtype=None):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype)
        units = self.units
        return np.concatenate([self.bias_initializer((units,), dtype), initializers.Ones()((units,), dtype),
                               self.bias_initializer((2 * units,), dtype)])

    def _fused_sequence(self, projected, recurrent_mask):
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            return LSTMSequence.apply(projected, self.recurrent_kernel, recurrent_mask)
        return None

    def step(self, projected_input, states, recurrent_input):
        _, previous_carry = states
        z = projected_input + recurrent_input @ self.recurrent_kernel
        i, f, candidate, o = self._split_gates(z)
        gate = self.recurrent_activation
        carry = gate(f) * previous_carry + gate(i) * self.activation(candidate)
        output = gate(o) * self.activation(carry)
        return output, (output, carry)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_Gated):
    """Gated recurrent unit: a lighter LSTM with one state and two gates, z (update) and r (reset).

    Gates in Keras' order z, r, h. With ``reset_after=True`` (Keras' default, and cuDNN's and PyTorch's formula)
    the bias has two rows, for the input and the recurrent side, and the reset gate scales the recurrent part of
    the candidate after its matrix product::

        x_z, x_r, x_h = split(x_t @ kernel + bias[0])
        h_z, h_r, h_h = split(h_{t-1} @ recurrent_kernel + bias[1])
        z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
        h_t = z * h_{t-1} + (1 - z) * tanh(x_h + r * h_h)

    ``reset_after=False`` (Keras 2's original GRU) has one bias row and uses ``tanh(x_h + (r * h_{t-1}) @ U_h)``.

    >>> from pydl.layers import GRU
    >>> layer = GRU(32)
    >>> layer.build((None, None, 32)); layer.count_params(), layer.bias.shape
    (6336, (2, 96))
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs):
        super().__init__(units, activation, recurrent_activation, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.bias[0] if self.reset_after and self.bias is not None else self.bias

    def _fused_sequence(self, projected, recurrent_mask):
        if (self.reset_after and self.activation is activations.tanh
                and self.recurrent_activation is activations.sigmoid):
            recurrent_bias = self.bias[1] if self.bias is not None else None
            return GRUSequence.apply(projected, self.recurrent_kernel, recurrent_bias, recurrent_mask)
        return None

    def step(self, projected_input, states, recurrent_input):
        (previous,) = states
        x_z, x_r, x_h = self._split_gates(projected_input)
        gate, units = self.recurrent_activation, self.units
        if self.reset_after:
            recurrent = recurrent_input @ self.recurrent_kernel
            if self.bias is not None:
                recurrent = recurrent + self.bias[1]
            h_z, h_r, h_h = self._split_gates(recurrent)
            update, reset = gate(x_z + h_z), gate(x_r + h_r)
            candidate = self.activation(x_h + reset * h_h)
        else:
            h_z, h_r = self._split_gates(recurrent_input @ self.recurrent_kernel[:, :2 * units])
            update, reset = gate(x_z + h_z), gate(x_r + h_r)
            candidate = self.activation(x_h + (reset * recurrent_input) @ self.recurrent_kernel[:, 2 * units:])
        output = update * previous + (1.0 - update) * candidate
        return output, (output,)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
