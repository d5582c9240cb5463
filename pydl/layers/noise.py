"""``GaussianNoise``: additive zero-centred noise in training only, a regulariser (the identity at inference).

>>> import pydl
>>> from pydl.layers import GaussianNoise
>>> x = pydl.tensor([[1.0, 2.0]])
>>> GaussianNoise(0.1)(x).tolist()  # training=None: inference, the identity
[[1.0, 2.0]]
>>> bool((GaussianNoise(0.1, seed=0)(x, training=True) != x).numpy().all())
True
"""

from __future__ import annotations

from pydl import backend
from pydl.layers.base import Layer
from pydl.random import generator, get_generator

__all__ = ["GaussianNoise"]


class GaussianNoise(Layer):
    """Adds normal noise of standard deviation ``stddev`` to every input, in training only.

    Args:
        stddev: standard deviation of the noise (>= 0).
        seed: seed of this layer's own generator; None draws from pydl's shared one (reset by ``pydl.seed``).
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if float(stddev) < 0:
            raise ValueError(f"GaussianNoise stddev must be >= 0, got {stddev!r}.")
        self.stddev, self.seed = float(stddev), seed
        self._generator = generator(seed) if seed is not None else None

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        rng = self._generator if self._generator is not None else get_generator()
        noise = rng.normal(0.0, self.stddev, inputs.shape).astype(inputs.dtype)
        xp = backend.get_array_module(inputs.data)
        return inputs + (xp.asarray(noise) if xp is not backend.np else noise)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
