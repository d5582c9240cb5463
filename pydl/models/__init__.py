"""Models: :class:`Sequential` (a stack of layers), :class:`Model` (a graph of layers: the functional API), their
shared training API and their one-file save format. A model is a layer, so models nest (a frozen convolutional
base inside a stack, one encoder called twice) and save nested.

>>> from pydl import models, layers
>>> model = models.Sequential()
>>> model.add(layers.Dense(16, activation="relu", input_shape=(8,)))
>>> model.add(layers.Dense(1))
>>> model.compile(optimizer="adam", loss="mean_squared_error")
>>> restored = models.from_bytes(model.to_bytes())
>>> restored.count_params() == model.count_params()
True
"""

from pydl.models.functional import Model
from pydl.models.saving import ModelFileError, from_bytes, load_model, save_model
from pydl.models.sequential import Sequential

__all__ = ["Sequential", "Model", "load_model", "save_model", "from_bytes", "ModelFileError"]
