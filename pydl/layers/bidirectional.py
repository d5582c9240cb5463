"""Bidirectional: a recurrent layer reads the sequence forwards, a copy of it reads it backwards, and the two outputs
are merged, so every output sees both what came before and what comes after (Keras' wrapper).

>>> from pydl.backend import np
>>> from pydl.layers import LSTM, Bidirectional
>>> layer = Bidirectional(LSTM(32))
>>> layer(np.zeros((2, 10, 32))).shape  # the two directions' 32 units side by side
(2, 64)
>>> layer.count_params()  # twice LSTM(32)'s 8,320
16640
>>> [w.name for w in layer.weights][:1], [w.name for w in layer.weights][3:4]
(['forward_lstm/kernel'], ['backward_lstm/kernel'])
"""

from __future__ import annotations

from pydl.layers._sequence import check_sequence_shape
from pydl.layers.base import Layer, _shape_tuple
from pydl.layers.recurrent import _Recurrent
from pydl.ops import shape as shape_ops

__all__ = ["Bidirectional"]

# How the forward and the backward outputs become one, by Keras' names.
MERGE_MODES = {
    "concat": lambda forward, backward: shape_ops.concatenate([forward, backward], axis=-1),
    "sum": lambda forward, backward: forward + backward,
    "mul": lambda forward, backward: forward * backward,
    "ave": lambda forward, backward: (forward + backward) / 2,
}


def reverse_time(sequences):
    """(batch, timesteps, ...) with the timesteps in reverse order (a view, differentiable like any slice)."""
    return shape_ops.getitem(sequences, (slice(None), slice(None, None, -1)))


class Bidirectional(Layer):
    """Runs two copies of a recurrent layer, one over the sequence and one over the reversed sequence, and merges
    their outputs.

    The copies are made from ``layer``'s config (named ``forward_<name>`` and ``backward_<name>``), so they have
    their own weights: twice the parameters, forward weights first, as in Keras. With ``return_sequences`` the
    backward output is reversed back, so step ``t`` of both halves belongs to input step ``t``; without it the
    backward half is its last step, the one that has read the whole sequence from the end. ``training`` reaches
    both copies, so their ``dropout``/``recurrent_dropout`` work as on their own (a ``seed`` seeds both alike).

    Args:
        layer: the recurrent layer to copy (SimpleRNN, LSTM, GRU); it is not used itself.
        merge_mode: "concat" (the default: 2 * units outputs), "sum", "mul" or "ave".
        name, trainable, input_shape, dtype: as for any layer; dtype, trainable and the input shape default to
            ``layer``'s.

    >>> from pydl.layers import GRU, Bidirectional
    >>> Bidirectional(GRU(8, return_sequences=True), merge_mode="sum").compute_output_shape((None, 5, 3))
    (None, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", **kwargs):
        if not isinstance(layer, _Recurrent):
            raise ValueError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got {layer!r}.")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional merge_mode must be one of {', '.join(map(repr, MERGE_MODES))}, got "
                             f"{merge_mode!r}.")
        if kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["batch_input_shape"] = layer.batch_input_shape  # Bidirectional(LSTM(8, input_shape=...)) first
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = layer._dtype
        kwargs.setdefault("trainable", layer.trainable)
        super().__init__(**kwargs)
        self.layer, self.merge_mode = layer, merge_mode
        self.return_sequences = layer.return_sequences
        self.forward_layer, self.backward_layer = _copy(layer, "forward"), _copy(layer, "backward")

    def build(self, input_shape):
        input_shape = check_sequence_shape(self, input_shape)
        for direction in (self.forward_layer, self.backward_layer):
            direction._dtype = self.dtype  # the copies compute in the wrapper's dtype, fixed now
            direction.build(input_shape)
        # The copies own the weights; the wrapper lists them, forward first, so weights, get/set_weights, saving,
        # regularization losses and freezing all see them.
        self._weights = self.forward_layer._weights + self.backward_layer._weights
        super().build(input_shape)
        self.input_spec_shape = self.forward_layer.input_spec_shape  # any number of timesteps
        self.trainable = self.trainable  # freeze the copies' new weights when the wrapper is frozen

    def call(self, inputs, training=None):
        forward = self.forward_layer.call(inputs, training=training)
        backward = self.backward_layer.call(reverse_time(inputs), training=training)
        if self.return_sequences:
            backward = reverse_time(backward)  # its step t read input step T-1-t: align it with the forward one
        return MERGE_MODES[self.merge_mode](forward, backward)

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(_shape_tuple(input_shape))
        return shape[:-1] + (2 * shape[-1],) if self.merge_mode == "concat" else shape

    def get_config(self):
        from pydl.layers import serialize

        return {**super().get_config(), "layer": serialize(self.layer), "merge_mode": self.merge_mode}

    @classmethod
    def from_config(cls, config: dict):
        from pydl.layers import deserialize

        return super().from_config({**config, "layer": deserialize(config["layer"])})


def _copy(layer, direction: str):
    """A fresh, unbuilt layer with ``layer``'s config, named ``<direction>_<name>``; the wrapper holds the input
    shape and decides the dtype."""
    config = {**layer.get_config(), "name": f"{direction}_{layer.name}", "dtype": layer._dtype}
    config.pop("batch_input_shape", None)
    return type(layer).from_config(config)
