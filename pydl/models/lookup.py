"""Where a model file's class names become classes: the one seam between saved JSON and Python classes.

Every model class (a subclass of :class:`pydl.models.base.BaseModel`: ``Sequential``, ``Model``) records itself here
when Python defines it, so :func:`pydl.models.load_model` and a graph holding a model among its layers find it by
name without importing the modules that define it (which import the saving code: the old import circle). Any
other name is a layer, looked up by :func:`pydl.layers.deserialize`.

NOTE: this is meant to fold into a general pydl registry later; until then it is this module's few functions.

>>> from pydl import models
>>> model_class("Sequential") is models.Sequential, model_class("Dense")
(True, None)
"""

from __future__ import annotations

from pydl import layers as layers_module

__all__ = ["record_model_class", "model_class", "known_model_classes", "deserialize"]

_MODEL_CLASSES: dict = {}


def record_model_class(cls) -> None:
    """Make the model class ``cls`` known by its class name (called by ``BaseModel.__init_subclass__``)."""
    if not cls.__name__.startswith("_"):
        _MODEL_CLASSES[cls.__name__] = cls


def model_class(class_name):
    """The model class called ``class_name``, or None when no model class has that name."""
    return _MODEL_CLASSES.get(class_name) if isinstance(class_name, str) else None


def known_model_classes() -> list:
    """The names of the model classes defined so far."""
    return list(_MODEL_CLASSES)


def deserialize(config: dict):
    """A new layer or model from ``{"class_name": ..., "config": {...}}``.

    Raises:
        ValueError: for an unknown class name (listing the known layers and models) or a config it cannot build.
    """
    if not isinstance(config, dict) or not isinstance(config.get("config", {}), dict):
        raise ValueError(f"a layer entry must be a {{'class_name', 'config'}} dict, got {type(config).__name__}.")
    cls = model_class(config.get("class_name"))
    if cls is not None:
        return cls.from_config(config.get("config", {}))
    try:
        return layers_module.deserialize(config)
    except ValueError as error:
        if str(error).startswith("Unknown layer class"):
            raise ValueError(f"{error} Models: {', '.join(sorted(_MODEL_CLASSES))}.") from None
        raise
