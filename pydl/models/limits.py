"""What a model file may ask for, checked before anything it describes is allocated.

A 4 KB file can describe a model of billions of weights, or inflate to gigabytes. So, before ``load_model`` builds
or reads anything big:

* every layer setting that sizes something is an integer (``units: 3e7`` is refused, not truncated), of at most
  :data:`MAX_CONFIG_INT`; every shape entry too; ``trainable`` is ``true`` or ``false`` (the string ``"false"`` is
  refused, not read as true); a layer computes in a float dtype (only an Input may carry integer token ids);
* the weights config.json lists hold at most :data:`MAX_PARAMETERS` numbers;
* the sizes the zip directories declare add up to at most one budget for the whole file, the outer members'
  (:func:`check_declared_total`) and every array's (:func:`claim_arrays`), before a byte is inflated;
* the model is built with its weights metered (:func:`parameters_at_most`): it may create only as many numbers as
  the file lists and holds, so a config implying more is refused at the first weight over the count, before that
  weight is allocated.

>>> check_layer_settings({"class_name": "Dense", "config": {"units": 3e7}}, "layer 0")
Traceback (most recent call last):
    ...
ValueError: layer 0 (Dense): units is 30000000.0, a float; it must be an integer.
"""

from __future__ import annotations

import math

from pydl.layers.weight_budget import parameters_at_most

__all__ = ["MAX_CONFIG_INT", "MAX_PARAMETERS", "check_layer_settings", "count_listed_parameters",
           "check_declared_total", "claim_arrays", "parameters_at_most"]

MAX_CONFIG_INT = 1 << 24  # units, filters, shape entries: anything larger is not a model this library can run
MAX_PARAMETERS = 1 << 28  # 268,435,456 numbers (1 GiB of float32): the largest model a file may describe
# Settings that count or index something: an integer, or a list of them (kernel_size=(3, 3)).
INTEGER_SETTINGS = frozenset({"units", "filters", "kernel_size", "strides", "dilation_rate", "depth_multiplier",
                              "input_dim", "output_dim", "input_length", "axis", "pool_size", "batch_size"})
# Shapes: lists of integers, None for a size left open (-1 in Reshape's target: "the rest").
SHAPE_SETTINGS = frozenset({"shape", "batch_shape", "input_shape", "batch_input_shape", "build_input_shape",
                            "target_shape", "noise_shape"})
FLOAT_DTYPES = ("float16", "float32", "float64")
INPUT_DTYPES = FLOAT_DTYPES + ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "bool")
INPUT_CLASSES = ("Input", "InputLayer")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_integer(value, where: str, name: str, open_allowed: bool) -> None:
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if entry is None and open_allowed:
            continue
        if isinstance(entry, float):
            raise ValueError(f"{where}: {name} is {value!r}, a float; it must be an integer.")
        if not _is_int(entry):
            raise ValueError(f"{where}: {name} is {value!r}; it must be an integer" +
                             (" or a list of integers." if name not in SHAPE_SETTINGS else " or null for each size."))
        if abs(entry) > MAX_CONFIG_INT:
            raise ValueError(f"{where}: {name} holds {entry}, over the limit of {MAX_CONFIG_INT:,} for a layer "
                             "setting.")


def _check_settings(config: dict, class_name: str, where: str) -> None:
    for name, value in config.items():
        if name in SHAPE_SETTINGS and value is not None:
            if not isinstance(value, list):
                raise ValueError(f"{where}: {name} is {value!r}; a shape is a list of integers.")
            _check_integer(value, where, name, open_allowed=True)
        elif name in INTEGER_SETTINGS and value is not None:
            _check_integer(value, where, name, open_allowed=False)
        elif name == "trainable" and not isinstance(value, bool):
            raise ValueError(f"{where}: trainable is {value!r}; it must be true or false.")
        elif name == "dtype" and value is not None:
            allowed = INPUT_DTYPES if class_name in INPUT_CLASSES else FLOAT_DTYPES
            if value not in allowed:
                who = "an Input" if allowed is INPUT_DTYPES else "a layer (its weights are floating point)"
                raise ValueError(f"{where}: dtype is {value!r}; {who} takes one of {', '.join(allowed)}.")
        elif name == "seed" and value is not None:  # sizes nothing: any 64-bit seed NumPy takes
            if not _is_int(value) or not 0 <= value < 1 << 64:
                raise ValueError(f"{where}: seed is {value!r}; it must be an integer from 0 to 2**64 - 1, or null.")
        elif _is_int(value) and abs(value) > MAX_CONFIG_INT:
            raise ValueError(f"{where}: {name} is {value}, over the limit of {MAX_CONFIG_INT:,} for a layer setting.")


def check_layer_settings(entry: dict, where: str) -> None:
    """Refuse a layer entry ``{"class_name", "config"}`` (and every layer or model nested in it) whose settings
    would size, type or freeze something wrongly; ValueError naming the layer, the setting and its value."""
    stack = [(entry, where)]
    while stack:  # no recursion: nesting depth is the caller's to limit
        item, at = stack.pop()
        if isinstance(item, list):
            stack.extend((child, at) for child in item)
            continue
        if not isinstance(item, dict):
            continue
        class_name, config = item.get("class_name"), item.get("config")
        if isinstance(class_name, str) and isinstance(config, dict):
            at = f"{at} ({class_name})" if at == where else f"{at} > {config.get('name', class_name)}"
            _check_settings(config, class_name, at)
            stack.extend((child, at) for child in config.values() if isinstance(child, (dict, list)))
        else:
            stack.extend((child, at) for child in item.values() if isinstance(child, (dict, list)))


def count_listed_parameters(specs: list) -> int:
    """How many numbers the weights config.json lists hold; ValueError for a shape that is not a list of sizes or a
    total over :data:`MAX_PARAMETERS`."""
    total = 0
    for i, spec in enumerate(specs):
        shape = spec.get("shape") if isinstance(spec, dict) else None
        if not isinstance(shape, list) or not all(_is_int(d) and 0 <= d <= MAX_CONFIG_INT for d in shape):
            raise ValueError(f"config.json: weight {i} has an invalid shape {shape!r}.")
        total += math.prod(shape)
        if total > MAX_PARAMETERS:
            raise ValueError(f"config.json lists weights of more than {MAX_PARAMETERS:,} numbers (the limit for a "
                             f"model file) by weight {i}, of shape {tuple(shape)}.")
    return total


def check_declared_total(archive, names: tuple, limit: int) -> None:
    """Refuse a zip whose members ``names`` declare more than ``limit`` bytes together, before any is inflated."""
    declared = sum(info.file_size for info in archive.infolist() if info.filename in names)
    if declared > limit:
        raise ValueError(f"The model file's {', '.join(names)} declare {declared:,} bytes together, over the "
                         f"{limit:,}-byte limit for a model file.")


def claim_arrays(archive, what: str, budget: list) -> None:
    """Charge the sizes ``archive``'s zip directory declares for its members to ``budget`` (a one-item list: the bytes
    left for every array of the file), before any member is inflated; ValueError when they do not fit."""
    declared = sum(info.file_size for info in archive.infolist())
    if declared > budget[0]:
        raise ValueError(f"{what} declares {declared:,} bytes of arrays, over the {budget[0]:,} bytes left of the "
                         "model file's budget for arrays.")
    budget[0] -= declared
