"""Keras' ``keras.utils`` names that training code imports: :class:`Sequence` (``PyDataset`` in Keras 3) and
``to_categorical``.

>>> import numpy as np
>>> from pydl import layers, models, utils
>>> class Halves(utils.Sequence):
...     def __init__(self, x, y, batch_size):
...         self.x, self.y, self.batch_size = x, y, batch_size
...     def __len__(self):
...         return -(-len(self.x) // self.batch_size)
...     def __getitem__(self, index):
...         window = slice(index * self.batch_size, (index + 1) * self.batch_size)
...         return self.x[window], self.y[window]
>>> x = np.linspace(-1, 1, 20).reshape(10, 2); y = x.sum(axis=1, keepdims=True)
>>> model = models.Sequential([layers.Dense(1, input_shape=(2,))])
>>> model.compile("sgd", loss="mse")
>>> len(model.fit(Halves(x, y, batch_size=4), epochs=2, verbose=0).history["loss"])
2
"""

from __future__ import annotations

from pydl.preprocessing import to_categorical

__all__ = ["Sequence", "PyDataset", "to_categorical"]


class Sequence:
    """Batches by index, for ``fit``/``evaluate``/``predict``: subclass it and define ``__len__`` (batches per epoch)
    and ``__getitem__(index)`` (batch ``index`` as ``x``, ``(x, y)`` or ``(x, y, sample_weight)``), as Keras'
    ``keras.utils.Sequence``.

    ``fit`` reads ``len(sequence)`` batches per epoch (or ``steps_per_epoch``), in a new order each epoch when
    ``shuffle=True`` (the default; drawn from pydl's seeded generator, so a seeded run repeats), and calls
    :meth:`on_epoch_end` after each epoch: the place to reshuffle or re-augment the samples themselves. Any object
    with ``__len__`` and ``__getitem__`` that is not data (an array, list or dict) is read the same way.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__: the number of batches in an epoch.")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index): batch number index, as "
                                  "(x, y) or (x, y, sample_weight).")

    def on_epoch_end(self) -> None:
        """Called by ``fit`` after every epoch; does nothing unless overridden."""


PyDataset = Sequence  # Keras 3's name for the same class
