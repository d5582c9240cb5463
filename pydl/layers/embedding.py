"""Embedding: a trainable table of word vectors, looked up by integer token index (Keras' layer)."""

from __future__ import annotations

from pydl import backend, initializers, regularizers
from pydl.layers.base import Layer, _shape_tuple
from pydl.ops import shape as shape_ops
from pydl.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Layer):
    """Maps token indices to dense vectors: (batch, timesteps) integers -> (batch, timesteps, output_dim) floats.

    Row ``i`` of the ``embeddings`` table (input_dim, output_dim) is the vector of token ``i``. A lookup is plain
    indexing, so its gradient adds each output's gradient into the row it was read from (a token used twice gets
    both contributions) and rows of tokens absent from the batch get zero.

    Args:
        input_dim: size of the vocabulary, 1 + the largest token index; indices must lie in ``[0, input_dim)``.
        output_dim: length of each token's vector.
        embeddings_initializer: see :mod:`pydl.initializers`; Keras' default "uniform" draws from [-0.05, 0.05].
        embeddings_regularizer: see :mod:`pydl.regularizers`.
        input_length: fixed sequence length (Keras 2), needed only by a following Flatten; None accepts any length.

    >>> from pydl.layers import Embedding
    >>> embedding_layer = Embedding(1000, 64)
    >>> embedding_layer([[4, 20, 7], [1, 0, 0]]).shape
    (2, 3, 64)
    >>> embedding_layer.count_params()
    64000
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 input_length=None, **kwargs):
        if kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            # As in Keras 2: a first Embedding gives the model its input shape, (batch, input_length or any length).
            kwargs["input_shape"] = (None if input_length is None else int(input_length),)
        super().__init__(**kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError(f"Embedding needs positive input_dim and output_dim, got {input_dim!r}, {output_dim!r}.")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.input_length = None if input_length is None else int(input_length)
        self.embeddings_initializer = initializers.get(embeddings_initializer, default="uniform")
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f'Layer "{self.name}" expects token indices of shape (batch, timesteps), got shape '
                             f"{input_shape}.")
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer, self.embeddings_regularizer)
        super().build(input_shape)
        self.input_spec_shape = (None, self.input_length)  # any sequence length later, unless input_length fixed one

    def _convert_input(self, inputs) -> Tensor:
        """The indices as an integer Tensor. Whole-number floats are accepted (Sequential builds with float zeros,
        and padded sequences are often float arrays); fractions, NaN and non-numbers are errors naming the layer."""
        data = inputs.data if isinstance(inputs, Tensor) else inputs
        if not hasattr(data, "dtype"):
            data = backend.np.asarray(data)
        kind = data.dtype.kind
        if kind == "f":
            xp = backend.get_array_module(data)
            if not bool(xp.all(xp.isfinite(data) & (data == xp.floor(data)))):
                raise ValueError(f'Layer "{self.name}" expects integer token indices, but got {data.dtype} values '
                                 "that are not whole numbers.")
            data = data.astype("int64")
        elif kind not in "iu":
            raise TypeError(f'Layer "{self.name}" expects integer token indices, got an array of dtype {data.dtype}.')
        return Tensor(data)

    def call(self, inputs, training=None):
        if inputs.size:
            low, high = int(inputs.data.min()), int(inputs.data.max())
            if low < 0 or high >= self.input_dim:
                raise ValueError(
                    f'Layer "{self.name}" got token index {low if low < 0 else high}, outside [0, {self.input_dim}) '
                    f"(input_dim={self.input_dim}). input_dim must be 1 + the largest index in the data."
                )
        return shape_ops.getitem(self.embeddings, inputs)  # integer-array indexing; backward scatter-adds rows

    def compute_output_shape(self, input_shape):
        return _shape_tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "input_length": self.input_length}
