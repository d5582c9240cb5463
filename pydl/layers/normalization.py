"""BatchNormalization (Keras semantics: momentum 0.99, epsilon 1e-3, over the last axis)."""

from __future__ import annotations

import math

from pydl import initializers, regularizers
from pydl.layers.base import Layer, _shape_tuple
from pydl.ops.normalization import batch_norm
from pydl.autograd import no_grad

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """Normalizes each channel (the last axis) to zero mean and unit variance, then scales and shifts.

    In training (``training=True``) it uses the statistics of the batch and updates the moving averages
    ``moving = momentum * moving + (1 - momentum) * batch`` (the biased batch variance, like Keras); at inference it
    uses the moving averages. ``gamma`` and ``beta`` are trainable; ``moving_mean`` and ``moving_variance`` are
    non-trainable weights (saved with ``get_weights``, never touched by the optimizer). A frozen layer
    (``trainable=False``) runs in inference mode even in training, as in Keras, which is what fine-tuning needs.

    Args:
        momentum: weight of the old moving average in each update.
        epsilon: added to the variance before the square root.
        center, scale: whether to learn ``beta`` and ``gamma``.

    >>> import pydl
    >>> from pydl.backend import np
    >>> from pydl.layers import BatchNormalization
    >>> bn = BatchNormalization()
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True)
    >>> np.round(y.numpy(), 3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> [w.name for w in bn.non_trainable_weights]
    ['batch_normalization/moving_mean', 'batch_normalization/moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        if not 0.0 <= self.momentum <= 1.0 or not 0.0 <= self.epsilon < math.inf:  # also refuses NaN
            raise ValueError(f'Layer "{self.name}": momentum must be a finite number in [0, 1] and epsilon a finite '
                             f"number >= 0, got momentum={self.momentum}, epsilon={self.epsilon}.")
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer, default="zeros")
        self.gamma_initializer = initializers.get(gamma_initializer, default="ones")
        self.moving_mean_initializer = initializers.get(moving_mean_initializer, default="zeros")
        self.moving_variance_initializer = initializers.get(moving_variance_initializer, default="ones")
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)

    def build(self, input_shape):
        input_shape = _shape_tuple(input_shape)
        if self.axis not in (-1, len(input_shape) - 1):
            raise ValueError(f'Layer "{self.name}" supports axis=-1 (channels last) only, got axis={self.axis} for '
                             f"input shape {input_shape}.")
        channels = (input_shape[-1],)
        self.gamma = (self.add_weight("gamma", channels, self.gamma_initializer, self.gamma_regularizer)
                      if self.scale else None)
        self.beta = (self.add_weight("beta", channels, self.beta_initializer, self.beta_regularizer)
                     if self.center else None)
        self.moving_mean = self.add_weight("moving_mean", channels, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", channels, self.moving_variance_initializer,
                                               trainable=False)
        super().build(input_shape)

    def call(self, inputs, training=None):
        if not training or not self.trainable:  # Keras: a frozen BatchNormalization runs in inference mode
            return batch_norm(inputs, self.gamma, self.beta, self.moving_mean.data, self.moving_variance.data,
                              self.epsilon)
        axes = tuple(range(inputs.ndim - 1))
        mean = inputs.data.mean(axis=axes)
        var = inputs.data.var(axis=axes)  # biased (divides by N), as Keras uses for both output and moving average
        with no_grad():
            momentum = self.momentum
            self.moving_mean.data[...] = momentum * self.moving_mean.data + (1 - momentum) * mean
            self.moving_variance.data[...] = momentum * self.moving_variance.data + (1 - momentum) * var
        return batch_norm(inputs, self.gamma, self.beta, mean, var, self.epsilon, batch_statistics=True)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}
