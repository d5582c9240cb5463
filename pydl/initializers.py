"""Weight initializers: callables ``(shape, dtype) -> NumPy array``, named as in Keras.

Randomness comes from :func:`pydl.random.generator`: with ``seed=None`` the shared generator (reset by
``pydl.seed(n)``), with an integer seed a fresh generator per call, so the same initializer gives the same values.

>>> from pydl import initializers
>>> init = initializers.get("glorot_uniform")
>>> init((784, 512)).shape
(784, 512)
>>> bool((initializers.GlorotUniform(seed=1)((3, 3)) == initializers.GlorotUniform(seed=1)((3, 3))).all())
True
"""

from __future__ import annotations

import math

from pydl import backend, registry
from pydl.backend import np
from pydl.random import generator

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "GlorotUniform", "GlorotNormal",
    "HeNormal", "HeUniform", "Orthogonal", "compute_fans", "get", "serialize",
]

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it restores the requested variance.
_TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape) -> tuple:
    """``(fan_in, fan_out)`` of a weight: Dense kernels are (in, out), conv kernels (kh, kw, C_in, C_out).

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])  # kh * kw for a conv kernel: each output sees that many positions
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a NumPy array; ``get_config`` its arguments."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @staticmethod
    def _dtype(dtype):
        return np.dtype(dtype or backend.floatx())


class Zeros(Initializer):
    """All zeros (the default for biases)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(tuple(shape), dtype=self._dtype(dtype))


class Ones(Initializer):
    """All ones (BatchNormalization's gamma and moving variance)."""

    def __call__(self, shape, dtype=None):
        return np.ones(tuple(shape), dtype=self._dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(tuple(shape), self.value, dtype=self._dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class _Random(Initializer):
    def __init__(self, seed=None):
        self.seed = seed

    def _generator(self):
        return generator(self.seed)

    def _truncated_normal(self, shape, stddev):
        """Normal samples redrawn until they fall within two standard deviations (as Keras does)."""
        rng = self._generator()
        values = rng.standard_normal(shape)
        outside = np.abs(values) > 2
        while outside.any():
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2
        return values * stddev

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_Random):
    """Normal samples with ``mean`` and ``stddev`` (Keras' defaults 0.0 and 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        values = self._generator().normal(self.mean, self.stddev, tuple(shape))
        return values.astype(self._dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_Random):
    """Uniform samples in ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        values = self._generator().uniform(self.minval, self.maxval, tuple(shape))
        return values.astype(self._dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class _VarianceScaling(_Random):
    """Variance ``scale / fan`` where ``fan`` is fan_in, fan_out or their mean; uniform or truncated normal."""

    scale, mode, distribution = 1.0, "fan_avg", "uniform"

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)  # a uniform on [-l, l] has variance l^2 / 3
            values = self._generator().uniform(-limit, limit, shape)
        else:
            values = self._truncated_normal(shape, math.sqrt(variance) / _TRUNCATED_STD)
        return values.astype(self._dtype(dtype))


class GlorotUniform(_VarianceScaling):
    """Uniform in ``[-l, l]`` with ``l = sqrt(6 / (fan_in + fan_out))`` (the default for kernels)."""


class GlorotNormal(_VarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    distribution = "truncated_normal"


class HeNormal(_VarianceScaling):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)``; suits ReLU networks."""

    scale, mode, distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_VarianceScaling):
    """Uniform in ``[-l, l]`` with ``l = sqrt(6 / fan_in)``."""

    scale, mode = 2.0, "fan_in"


class Orthogonal(_Random):
    """A random orthogonal matrix times ``gain`` (the default for recurrent kernels): multiplying a state by it
    keeps the state's length, so signals neither explode nor vanish over the first steps of training.

    Shapes with more than two axes are flattened to ``(prod(shape[:-1]), shape[-1])``; a wide matrix gets
    orthonormal rows, a tall one orthonormal columns (as in Keras).

    >>> from pydl.backend import np
    >>> q = Orthogonal(seed=0)((4, 4), dtype="float64")
    >>> bool(np.allclose(q @ q.T, np.eye(4)))
    True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The orthogonal initializer needs a shape with at least 2 axes, got {shape}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        values = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(values)
        q *= np.sign(np.diag(r))  # makes the decomposition unique, so q is uniformly distributed
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(self._dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


for _cls in (Zeros, Ones, Constant, RandomNormal, RandomUniform, GlorotUniform, GlorotNormal, HeNormal, HeUniform):
    registry.register("initializer", _cls)
registry.register("initializer", Orthogonal)
# Keras' short aliases ("uniform" is Embedding's default).
registry.register("initializer", RandomUniform, "uniform")
registry.register("initializer", RandomNormal, "normal")


def get(identifier, default=None):
    """An initializer from a name (``"he_normal"``, ``"HeNormal"``), a config dict, a class, an instance or a callable.

    ``None`` means ``default`` (a layer passes the default of its argument, so ``kernel_initializer=None`` is
    ``"glorot_uniform"`` as in Keras); with no default, None stays None.
    """
    if identifier is None and default is not None:
        identifier = default
    return registry.get("initializer", identifier)


def serialize(initializer):
    """A JSON-able description: a name as given, else ``{"class_name", "config"}``."""
    return registry.serialize("initializer", initializer)
