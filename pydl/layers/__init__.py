"""Keras-style layers: config in ``__init__``, weights in ``build``, maths in ``call`` (see :mod:`pydl.layers.base`).

``get``, ``serialize`` and ``deserialize`` turn layers into JSON-able configs and back, by class name: every
``Layer`` subclass registers itself in :mod:`pydl.registry` when it is defined.

>>> from pydl import layers
>>> config = layers.serialize(layers.Dense(10, activation="softmax", name="out"))
>>> config["class_name"], config["config"]["units"]
('Dense', 10)
>>> layers.deserialize(config).name
'out'
"""

from __future__ import annotations

from pydl import registry
from pydl.layers.base import Layer, reset_name_counters
from pydl.layers.convolutional import Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D
from pydl.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from pydl.layers.embedding import Embedding
from pydl.layers.normalization import BatchNormalization
from pydl.layers.pooling import AveragePooling2D, AvgPool2D, GlobalAveragePooling2D, MaxPool2D, MaxPooling2D
from pydl.layers.pooling import (
    AveragePooling1D, AvgPool1D, GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPool1D, MaxPooling1D,
)
from pydl.layers.recurrent import GRU, LSTM, SimpleRNN
from pydl.layers.bidirectional import Bidirectional
from pydl.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from pydl.layers.conv_transpose import Conv2DTranspose
from pydl.layers.noise import GaussianNoise
from pydl.layers.operation import SymbolicOp
from pydl.layers.reshaping import Cropping2D, Permute, RepeatVector, UpSampling1D, UpSampling2D, ZeroPadding2D
from pydl.layers.wrappers import Lambda, TimeDistributed
from pydl.layers.preprocessing import (
    RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Rescaling,
)

__all__ = [
    "Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Conv2D",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "MaxPool2D", "AvgPool2D", "BatchNormalization",
    "Embedding", "SimpleRNN", "LSTM", "GRU", "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D",
    "GlobalAveragePooling1D", "MaxPool1D", "AvgPool1D", "Bidirectional", "DepthwiseConv2D", "SeparableConv2D",
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Conv2DTranspose", "GaussianNoise", "UpSampling1D", "UpSampling2D",
    "ZeroPadding2D", "Cropping2D", "Permute", "RepeatVector", "TimeDistributed", "Lambda", "SymbolicOp",
    "Rescaling", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "RandomContrast",
    "get", "serialize", "deserialize", "reset_name_counters",
]

# Every Layer subclass registers itself (Layer.__init_subclass__); these are Keras' other names for some.
registry.register("layer", Input, "InputLayer")
registry.register("layer", MaxPooling2D, "MaxPool2D")
registry.register("layer", AveragePooling2D, "AvgPool2D")
registry.register("layer", MaxPooling1D, "MaxPool1D")
registry.register("layer", AveragePooling1D, "AvgPool1D")
registry.register("layer", Conv2DTranspose, "Convolution2DTranspose")  # Keras' other name
Convolution2DTranspose = Conv2DTranspose

# Merge layers, the joints of functional graphs, and their lowercase helpers: layers.concatenate([a, b]).
from pydl.layers.merge import (  # noqa: E402
    Add, Average, Concatenate, Multiply, Subtract, add, average, concatenate, multiply, subtract,
)

__all__ += ["Concatenate", "Add", "Subtract", "Multiply", "Average",
            "concatenate", "add", "subtract", "multiply", "average"]


def serialize(layer: Layer) -> dict:
    """``{"class_name": "Dense", "config": {...}}`` (JSON-serialisable)."""
    return registry.serialize("layer", layer)


def deserialize(config: dict) -> Layer:
    """A new (unbuilt) layer from ``serialize``'s output."""
    return registry.deserialize("layer", config)


def get(identifier) -> Layer:
    """A layer from an instance (returned as is), a serialized dict, or a class name (default arguments)."""
    return registry.get("layer", identifier)
