"""Graduation: a trained pydl model as PyTorch or Keras 3 code and weights, to take to the tools the field uses.

``to_torch(model, folder)`` and ``to_keras(model, folder)`` write ``folder/model.py``, readable code a person would
write (an ``nn.Module`` with its layers in order and a ``forward``; a ``keras.Sequential`` or functional model), and
``folder/weights.npz`` beside it (plain arrays, read with ``allow_pickle=False``). ``build()`` in model.py returns the
model with the trained weights. Neither export imports torch or Keras, so they also run in the browser.

>>> import tempfile
>>> from pydl import layers, models
>>> from pydl.export import to_keras, to_torch
>>> model = models.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
>>> folder = tempfile.mkdtemp()
>>> print(to_torch(model, folder).read_text().split("class Model(nn.Module):")[1].split("def build")[0].strip())
\"\"\"pydl Sequential "sequential".\"\"\"
<BLANKLINE>
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 3)
        self.dense_1 = nn.Linear(3, 1)
<BLANKLINE>
    def forward(self, x):
        x = torch.relu(self.dense(x))
        x = self.dense_1(x)
        return x
>>> 'layers.Dense(3, activation="relu", name="dense")' in to_keras(model, folder).read_text()
True
"""

from pydl.export.common import ExportError
from pydl.export.keras_code import KERAS_CLASSES, to_keras
from pydl.export.torch_layers import HANDLERS as _TORCH_HANDLERS
from pydl.export.torch_code import to_torch

__all__ = ["to_torch", "to_keras", "ExportError", "TORCH_LAYERS", "KERAS_LAYERS"]

TORCH_LAYERS = tuple(sorted(cls.__name__ for cls in _TORCH_HANDLERS))
KERAS_LAYERS = tuple(sorted(cls.__name__ for cls in KERAS_CLASSES))
