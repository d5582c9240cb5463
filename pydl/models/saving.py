"""Model files: ONE zip archive holding ``config.json`` (architecture + compile settings), ``weights.npz`` and, for
a compiled model whose optimizer has state, ``optimizer.npz`` (its slots: momentum, moments, accumulators).

config.json describes that state as ``"optimizer_state": {"iterations": 12, "slots": [{"weight": 0, "step": 12,
"arrays": ["m", "v"]}, ...]}``, where ``weight`` is a position in ``model.weights`` and optimizer.npz holds the
listed arrays in order. ``load_model`` restores it, so training resumes exactly as if it had never stopped;
``load_model(compile=False)`` and ``load_weights`` ignore it. Files without it (older ones, uncompiled models) load
as before: the member is optional, so the format version stays 1.

``class_name`` is ``"Sequential"`` (config: the list of layers) or ``"Model"`` (a functional graph: each layer also
lists its ``inbound_nodes``, plus ``input_layers`` and ``output_layers``; see :mod:`pydl.models.functional_config`),
found by name in :mod:`pydl.registry`, where every layer class (models included) registers itself, so this module
imports no model module. A model used as a layer is saved nested, as one layer entry holding
its own whole config, and loads back as a model (summary row, freezing and all).

Nothing is ever unpickled (``allow_pickle=False``), and a file is checked completely before it touches a model:
a truncated, corrupt, foreign or hostile file (not a zip, missing members, bad JSON, unknown layer class, wrong
weight count or shape, non-float or object arrays, oversized members, zip bombs, optimizer slots that do not fit
the model or its optimizer, graphs with unknown layer names, cycles or dangling references, at any depth of nesting,
or nesting deeper than :data:`MAX_CONFIG_DEPTH`) raises
:class:`ModelFileError` (a ``ValueError``) and changes nothing.

>>> from pydl import models, layers
>>> model = models.Sequential([layers.Dense(2, input_shape=(3,))])
>>> clone = models.from_bytes(model.to_bytes())
>>> [w.shape for w in clone.get_weights()]
[(3, 2), (2,)]
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
import zipfile

from pydl import registry
from pydl.backend import np
from pydl.models import limits

__all__ = ["ModelFileError", "save_model", "load_model", "model_to_bytes", "from_bytes", "load_weights_into"]

FORMAT = "pydl-model"
VERSION = 1
# Limits that keep a hostile file from exhausting memory; raise them for genuinely huge models.
MAX_FILE_BYTES = 2 << 30
MAX_CONFIG_BYTES = 16 << 20
MAX_WEIGHTS_BYTES = 2 << 30
MAX_OPTIMIZER_BYTES = 2 << 30  # up to two arrays per weight (Adam), still within MAX_FILE_BYTES
# Every array of a file (weights and optimizer state) together, as their zip directories declare them, counted
# before any is inflated: a 2.5 MB file of two 1.19 GiB zero arrays is refused unread (see pydl.models.limits).
MAX_ARRAYS_BYTES = 2 << 30
MAX_WEIGHT_ARRAYS = 100_000
MAX_CONFIG_DEPTH = 100  # nested lists and dicts in config.json: about 30 models inside one another


class ModelFileError(ValueError):
    """The file is not a valid pydl model file; the message says what is wrong. The model was left unchanged."""


# ----------------------------------------------------------------- writing
def model_to_bytes(model) -> bytes:
    """Serialize ``model`` (config, compile settings, weights, optimizer state) into the bytes of a zip archive."""
    try:
        compile_config = model._compile_config()
    except ValueError as error:
        warnings.warn(f"The compile settings are not saved ({error}); compile the loaded model again.",
                      UserWarning, stacklevel=3)
        compile_config = None
    header = {
        "format": FORMAT, "version": VERSION, "class_name": type(model).__name__, "config": model.get_config(),
        "compile_config": compile_config,
        "weights": [{"name": w.name, "shape": list(w.shape), "dtype": str(w.dtype)} for w in model.weights],
    }
    members = {"weights.npz": _npz_bytes(model.get_weights())}
    if compile_config is not None:  # without compile settings the loaded model has no optimizer to resume
        description, slot_arrays = _describe_optimizer_state(model.optimizer, model.weights)
        if description is not None:
            header["optimizer_state"] = description
            members["optimizer.npz"] = _npz_bytes(slot_arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("config.json", json.dumps(header, indent=1), compress_type=zipfile.ZIP_DEFLATED)
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _npz_bytes(arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, *arrays)
    return buffer.getvalue()


def _describe_optimizer_state(optimizer, weights):
    """config.json's description of the optimizer's state and its arrays in file order; (None, []) if it has none."""
    state = optimizer.get_state(weights)
    if not state["iterations"] and not state["slots"]:
        return None, []
    slots, arrays = [], []
    for index, slot in state["slots"].items():
        slots.append({"weight": index, "step": slot["step"], "arrays": list(slot["arrays"])})
        arrays.extend(slot["arrays"].values())
    return {"iterations": state["iterations"], "slots": slots}, arrays


def save_model(model, filepath) -> None:
    """Write ``model`` to a path (atomically: a crash never leaves half a file) or a writable binary file object."""
    data = model_to_bytes(model)
    if hasattr(filepath, "write"):
        filepath.write(data)
        return
    path = os.fspath(filepath)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:  # a full disk, a folder in the way, Ctrl+C: no half-written file is left behind
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


# ----------------------------------------------------------------- reading and validating
def _read_source(source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise TypeError(f"{getattr(source, 'name', 'The model file')} was opened in text mode; a model file is "
                            "binary (a zip archive): open it with mode 'rb'.")
        data = source.read(MAX_FILE_BYTES + 1)
        if isinstance(data, str):
            raise TypeError("The model file object returned text; a model file is binary (a zip archive): open it "
                            "with mode 'rb'.")
    else:
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No model file at {path!r}.")
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise ModelFileError(f"{path!r} is larger than the {MAX_FILE_BYTES:,}-byte limit for model files.")
        with open(path, "rb") as f:
            data = f.read()
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"The model file is larger than the {MAX_FILE_BYTES:,}-byte limit.")
    return data


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(f"Not a pydl model file: the archive has no {name!r} "
                             f"(members: {archive.namelist()[:10]}).") from None
    if info.file_size > limit:
        raise ModelFileError(f"{name!r} claims {info.file_size:,} bytes, over the {limit:,}-byte limit.")
    try:
        with archive.open(info) as member:
            # What it declares, and one byte to catch a lie: zipfile inflates as much as it is asked for at once.
            data = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as error:
        raise ModelFileError(f"{name!r} is corrupt or truncated: {error}") from None
    except Exception as error:  # zlib.error and friends: still a broken file, not a bug
        raise ModelFileError(f"{name!r} could not be decompressed: {error}") from None
    if len(data) > info.file_size:
        raise ModelFileError(f"{name!r} expands beyond the {info.file_size:,} bytes its zip directory declares.")
    return data


def model_class(class_name):
    """The model class (a layer class holding layers) that ``class_name`` names in :mod:`pydl.registry`, or None."""
    try:
        cls = registry.lookup("layer", class_name)
    except ValueError:
        return None
    return cls if getattr(cls, "holds_layers", False) else None


def _nesting_depth(value) -> int:
    """How deep lists and dicts nest in ``value``, counted without recursion (a hostile file cannot overflow the
    stack here, and a too deep one is refused before anything recursive reads it)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            if depth <= MAX_CONFIG_DEPTH:  # past the limit the answer is already known
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _parse_header(raw: bytes) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"config.json is not valid JSON: {error}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError("Not a pydl model file: config.json lacks format='pydl-model'.")
    if header.get("version") != VERSION:
        raise ModelFileError(f"Unsupported model file version {header.get('version')!r}; this pydl reads {VERSION}.")
    if model_class(header.get("class_name")) is None:
        known = sorted(name for name in registry.names("layer") if model_class(name) is not None)
        raise ModelFileError(f"Unknown model class {header.get('class_name')!r}; expected one of {known}.")
    config, specs = header.get("config"), header.get("weights")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ModelFileError("config.json has no list of layers.")
    depth = _nesting_depth(config)
    if depth > MAX_CONFIG_DEPTH:
        raise ModelFileError(f"config.json nests lists and dicts {depth} deep, over the limit of {MAX_CONFIG_DEPTH} "
                             "(models inside models inside models...).")
    if not isinstance(specs, list) or len(specs) > MAX_WEIGHT_ARRAYS:
        raise ModelFileError("config.json has no valid list of weights.")
    for i, layer in enumerate(config["layers"]):
        if not isinstance(layer, dict) or not isinstance(layer.get("class_name"), str) \
                or not isinstance(layer.get("config", {}), dict):
            raise ModelFileError(f"config.json: layer {i} is not a {{'class_name', 'config'}} entry.")
    try:
        limits.count_listed_parameters(specs)
        limits.check_layer_settings({"class_name": header["class_name"], "config": config}, "config.json")
    except ValueError as error:
        raise ModelFileError(str(error)) from None
    return header


def _read_arrays(archive: zipfile.ZipFile, member: str, shapes: list, limit: int, budget: list) -> list:
    """The float arrays of the npz ``member``, each checked against its expected shape BEFORE its data is allocated,
    all of them charged to ``budget`` (the bytes left for the file's arrays) before any is inflated."""
    raw = _read_member(archive, member, limit)
    try:
        inner = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ModelFileError(f"{member} is not a valid npz archive: {error}") from None
    try:
        limits.claim_arrays(inner, member, budget)
    except ValueError as error:
        raise ModelFileError(str(error)) from None
    names = [f"arr_{i}.npy" for i in range(len(shapes))]
    held = inner.namelist()
    if len(held) != len(names):
        raise ModelFileError(f"{member} holds {len(held)} arrays but config.json lists {len(shapes)}.")
    if sorted(held) != sorted(names):
        strangers = sorted(set(held) - set(names))
        raise ModelFileError(f"{member} holds arrays named {strangers[:5]}, which config.json does not list: it "
                             f"lists {len(names)} arrays named arr_0.npy to arr_{len(names) - 1}.npy.")
    arrays = []
    for name, expected_shape in zip(names, shapes):
        data = _read_member(inner, name, limit)
        stream = io.BytesIO(data)
        try:
            version = np.lib.format.read_magic(stream)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = reader(stream)
        except (ValueError, OSError, SyntaxError, TypeError) as error:
            raise ModelFileError(f"{member}/{name} has no valid .npy header: {error}") from None
        if dtype.hasobject or dtype.kind != "f":
            raise ModelFileError(f"{member}/{name} has dtype {dtype}; saved arrays must be floating point "
                                 "(object arrays are never loaded).")
        if list(shape) != expected_shape:
            raise ModelFileError(f"{member}/{name} has shape {tuple(shape)} but config.json says "
                                 f"{tuple(expected_shape)}.")
        if math.prod(shape) * dtype.itemsize > len(data) - stream.tell():
            raise ModelFileError(f"{member}/{name} is truncated.")
        stream.seek(0)
        try:
            arrays.append(np.lib.format.read_array(stream, allow_pickle=False))
        except (ValueError, OSError, EOFError) as error:
            raise ModelFileError(f"{member}/{name} could not be read: {error}") from None
    return arrays


def _parse_optimizer_slots(description, weight_count: int) -> list:
    """The slot entries of config.json's ``optimizer_state``, checked far enough to know which arrays to read.

    Steps, the iteration count and slot names are checked by ``Optimizer.set_state``, which knows the optimizer.
    """
    slots = description.get("slots") if isinstance(description, dict) else None
    if not isinstance(slots, list):
        raise ModelFileError("config.json: optimizer_state has no list of slots.")
    seen, array_count = set(), 0
    for i, slot in enumerate(slots):
        index = slot.get("weight") if isinstance(slot, dict) else None
        if type(index) is not int or not 0 <= index < weight_count:
            raise ModelFileError(f"config.json: optimizer slot {i} names weight {index!r}, but the model's weights "
                                 f"are numbered 0 to {weight_count - 1}.")
        if index in seen:
            raise ModelFileError(f"config.json: weight {index} has more than one optimizer slot.")
        seen.add(index)
        names = slot.get("arrays")
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names) \
                or len(set(names)) != len(names):
            raise ModelFileError(f"config.json: optimizer slot {i} has no list of distinct array names.")
        array_count += len(names)
    if array_count > MAX_WEIGHT_ARRAYS:
        raise ModelFileError(f"config.json lists {array_count:,} optimizer arrays, over the {MAX_WEIGHT_ARRAYS:,} "
                             "limit.")
    return slots


def _read_optimizer_state(archive: zipfile.ZipFile, header: dict, budget: list) -> dict:
    """The state (in ``Optimizer.set_state``'s form) that config.json describes and optimizer.npz holds."""
    description = header["optimizer_state"]
    slots = _parse_optimizer_slots(description, len(header["weights"]))
    shapes = [header["weights"][slot["weight"]]["shape"] for slot in slots for _ in slot["arrays"]]
    arrays = iter(_read_arrays(archive, "optimizer.npz", shapes, MAX_OPTIMIZER_BYTES, budget))
    return {
        "iterations": description.get("iterations"),
        "slots": {slot["weight"]: {"step": slot.get("step"), "arrays": {name: next(arrays) for name in slot["arrays"]}}
                  for slot in slots},
    }


def _read_archive(source, with_optimizer_state: bool = False):
    """(header, weight arrays, optimizer state or None); the state is read only when asked for and compiled for."""
    data = _read_source(source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ModelFileError(f"Not a pydl model file (not a readable zip archive: {error}).") from None
    with archive:
        try:  # what the members declare, before one is inflated: a small file cannot stand for gigabytes
            limits.check_declared_total(archive, ("config.json", "weights.npz", "optimizer.npz"), MAX_FILE_BYTES)
        except ValueError as error:
            raise ModelFileError(str(error)) from None
        header = _parse_header(_read_member(archive, "config.json", MAX_CONFIG_BYTES))
        shapes = [spec["shape"] for spec in header["weights"]]
        budget = [MAX_ARRAYS_BYTES]  # one for the whole file, shared by weights.npz and optimizer.npz
        arrays = _read_arrays(archive, "weights.npz", shapes, MAX_WEIGHTS_BYTES, budget)
        optimizer_state = None
        if with_optimizer_state and header.get("compile_config") and header.get("optimizer_state") is not None:
            optimizer_state = _read_optimizer_state(archive, header, budget)
    return header, arrays, optimizer_state


def _check_against(model, arrays) -> None:
    own = model.weights
    if len(arrays) != len(own):
        raise ModelFileError(f"The file holds {len(arrays)} weight arrays but model {model.name!r} has {len(own)}.")
    for w, array in zip(own, arrays):
        if tuple(array.shape) != tuple(w.shape):
            raise ModelFileError(f"Weight {w.name!r} has shape {tuple(w.shape)} in the model but "
                                 f"{tuple(array.shape)} in the file. Nothing was loaded.")


def load_weights_into(model, source) -> None:
    """Assign the weights stored in ``source`` to ``model``, after checking every count and shape."""
    _, arrays, _ = _read_archive(source)
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built, so its weights cannot be loaded yet; build it first.")
    _check_against(model, arrays)
    model.set_weights(arrays)


def load_model(source, compile: bool = True):
    """A model from a path, a binary file object or bytes written by ``model.save``.

    With ``compile=True`` the model is compiled as it was saved, and its optimizer gets back its saved state
    (slots and iteration count), so ``fit`` continues exactly where it stopped; ``compile=False`` skips both.

    Raises:
        ModelFileError: (a ValueError) if the file is not a valid, consistent pydl model file.
    """
    header, arrays, optimizer_state = _read_archive(source, with_optimizer_state=compile)
    try:
        # The build may create only the numbers the file lists (and, read above, holds): a config implying more is
        # refused at the first weight past that count, before the weight is allocated.
        with limits.parameters_at_most(limits.count_listed_parameters(header["weights"])):
            model = model_class(header["class_name"]).from_config(header["config"])
    except MemoryError:
        raise ModelFileError("The model described in config.json is too large to build.") from None
    except RecursionError:  # checked against MAX_CONFIG_DEPTH first; kept so no file can crash the caller
        raise ModelFileError("config.json nests models too deeply to build.") from None
    except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError) as error:
        raise ModelFileError(f"config.json describes a model that cannot be built: {error}") from None
    if not model.built:
        raise ModelFileError("config.json does not give the model's input shape, so its weights cannot be placed.")
    _check_against(model, arrays)
    model.set_weights(arrays)
    compile_config = header.get("compile_config")
    if compile and compile_config:
        try:
            model._compile_from_config(compile_config)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ModelFileError(f"config.json has invalid compile settings: {error}") from None
        if optimizer_state is not None:
            try:
                model.optimizer.set_state(model.weights, optimizer_state)
            except ValueError as error:
                raise ModelFileError(f"The saved optimizer state does not fit {model.optimizer!r}: {error}") from None
    return model


def from_bytes(data: bytes):
    """The model stored in ``data`` (the bytes of ``model.to_bytes()`` or of a saved file)."""
    return load_model(io.BytesIO(bytes(data)))
