"""Keras-style layers: config in ``__init__``, weights in ``build``, maths in ``call`` (see :mod:`pydl.layers.base`).

``get``, ``serialize`` and ``deserialize`` turn layers into JSON-able configs and back, by class name.

>>> from pydl import layers
>>> config = layers.serialize(layers.Dense(10, activation="softmax", name="out"))
>>> config["class_name"], config["config"]["units"]
('Dense', 10)
>>> layers.deserialize(config).name
'out'
"""

from __future__ import annotations

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

__all__ = [
    "Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Conv2D",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "MaxPool2D", "AvgPool2D", "BatchNormalization",
    "Embedding", "SimpleRNN", "LSTM", "GRU", "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling1D",
    "GlobalAveragePooling1D", "MaxPool1D", "AvgPool1D", "Bidirectional", "DepthwiseConv2D", "SeparableConv2D",
    "get", "serialize", "deserialize", "register", "reset_name_counters",
]

_REGISTRY: dict = {}


def register(cls):
    """Make a Layer subclass known to ``deserialize`` by its class name (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register expects a Layer subclass, got {cls!r}.")
    _REGISTRY[cls.__name__] = cls
    return cls


for _cls in (Input, Dense, Activation, Dropout, Flatten, Reshape, Conv2D, MaxPooling2D, AveragePooling2D,
             GlobalAveragePooling2D, BatchNormalization):
    register(_cls)
for _cls in (Embedding, SimpleRNN, LSTM, GRU, Bidirectional, Conv1D, MaxPooling1D, AveragePooling1D,
             GlobalMaxPooling1D, GlobalAveragePooling1D, DepthwiseConv2D, SeparableConv2D):
    register(_cls)
_REGISTRY.update({"InputLayer": Input, "MaxPool2D": MaxPooling2D, "AvgPool2D": AveragePooling2D})
_REGISTRY.update({"MaxPool1D": MaxPooling1D, "AvgPool1D": AveragePooling1D})

# Merge layers, the joints of functional graphs, and their lowercase helpers: layers.concatenate([a, b]).
from pydl.layers.merge import (  # noqa: E402
    Add, Average, Concatenate, Multiply, Subtract, add, average, concatenate, multiply, subtract,
)

__all__ += ["Concatenate", "Add", "Subtract", "Multiply", "Average",
            "concatenate", "add", "subtract", "multiply", "average"]
for _cls in (Concatenate, Add, Subtract, Multiply, Average):
    register(_cls)


def serialize(layer: Layer) -> dict:
    """``{"class_name": "Dense", "config": {...}}`` (JSON-serialisable)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict) -> Layer:
    """A new (unbuilt) layer from ``serialize``'s output."""
    try:
        cls = _REGISTRY[config["class_name"]]
    except KeyError:
        raise ValueError(f"Unknown layer class {config.get('class_name')!r}; known: {', '.join(sorted(_REGISTRY))}. "
                         "Register custom layers with pydl.layers.register.") from None
    return cls.from_config(config.get("config", {}))


def get(identifier) -> Layer:
    """A layer from an instance (returned as is), a serialized dict, or a class name (default arguments)."""
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Cannot interpret {identifier!r} as a layer.")
