"""One registry of names for every kind of pydl object a string or a saved config can stand for.

Kinds: ``activation``, ``initializer``, ``regularizer``, ``loss``, ``metric``, ``optimizer`` and ``layer``. Each
module registers its objects here (layers register themselves when their class is defined), and its ``get`` /
``serialize`` are this module's :func:`get` / :func:`serialize` for its kind.

The one rule for names, Keras 3's names compared without regard to case:
    * a function answers to its name (``"relu"``, ``"mean_squared_error"``), a class to its class name
      (``"GlorotUniform"``, ``"MeanSquaredError"``, ``"Adam"``, ``"Dense"``);
    * initializer and regularizer classes also answer to the snake_case of it (``"glorot_uniform"``, ``"l1l2"``);
    * Keras' aliases: ``"mse"``, ``"mae"``, ``"acc"``, ``"uniform"``, ``"normal"``, ``"MaxPool2D"``...;
    * the exact spelling wins; otherwise case is ignored (``"adam"``, ``"ADAM"``, ``"glorotuniform"``), unless two
      objects then match (``"HUBER"``: the ``Huber`` class or the ``huber`` function), which is an error.

An unknown name gets one error, for every kind, that lists the valid names.

>>> from pydl import registry
>>> type(registry.get("initializer", "glorot_uniform")).__name__
'GlorotUniform'
>>> registry.lookup("loss", "MSE").__name__
'mean_squared_error'
>>> registry.lookup("optimizer", "nadam")
Traceback (most recent call last):
...
ValueError: Unknown optimizer 'nadam'. Valid names: Adagrad, Adam, AdamW, RMSprop, SGD (case does not matter).
"""

from __future__ import annotations

import importlib
import re

__all__ = ["KINDS", "register", "lookup", "get", "deserialize", "serialize", "name_of", "names"]

_REFUSE = object()  # None is not a valid identifier of this kind

# kind -> (word used in messages, what None stands for, class every instance must be ("module:Class") or None
# for "any callable", whether classes also answer to their snake_case name)
KINDS = {
    "activation": ("activation", "linear", None, False),
    "initializer": ("initializer", None, None, True),
    "regularizer": ("regularizer", None, None, True),
    "loss": ("loss", _REFUSE, None, False),
    "metric": ("metric", _REFUSE, None, False),
    "optimizer": ("optimizer", _REFUSE, "pydl.optimizers:Optimizer", False),
    "layer": ("layer class", _REFUSE, "pydl.layers.base:Layer", False),
}

_by_name: dict = {kind: {} for kind in KINDS}  # kind -> {exact name: object}
_primary: dict = {kind: {} for kind in KINDS}  # kind -> {object: the name it is saved under}


def _check_kind(kind: str) -> tuple:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown registry kind {kind!r}; kinds: {', '.join(KINDS)}.") from None


def _snake_case(name: str) -> str:
    """``GlorotUniform`` -> ``glorot_uniform``, ``L1L2`` -> ``l1l2`` (Keras' rule)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _is_pydl(obj) -> bool:
    return getattr(obj, "__module__", "").split(".")[0] == "pydl"


def register(kind: str, obj=None, *aliases: str, implicit: bool = False):
    """Make ``obj`` (a function or class) known as ``kind`` under its own name and ``aliases``.

    Usable as a decorator: ``@pydl.registry.register("layer")`` above a class. Registering a class again under the
    same name (a notebook cell run twice) replaces it; a name that pydl's own object holds cannot be taken by
    another one (a ValueError says so), except that an ``implicit`` registration (a layer subclass registering
    itself) just leaves the name to pydl's object.

    Returns:
        ``obj``, so the decorator leaves it unchanged.
    """
    _, _, _, snake = _check_kind(kind)
    if obj is None:
        return lambda target: register(kind, target, *aliases, implicit=implicit)
    if not callable(obj):
        raise TypeError(f"Only functions and classes can be registered as {kind}, got {obj!r}.")
    own = obj.__name__
    names = [own, *aliases]
    if snake and isinstance(obj, type) and _snake_case(own) not in names:
        names.append(_snake_case(own))
    table = _by_name[kind]
    for name in names:
        holder = table.get(name)
        if holder is not None and holder is not obj and _is_pydl(holder) and not _is_pydl(obj):
            if implicit:
                return obj
            raise ValueError(f"The {kind} name {name!r} is pydl's {holder.__module__}.{holder.__qualname__}; "
                             f"register {obj.__qualname__} under another name.")
    for name in names:
        previous = table.get(name)
        if previous is not None and previous is not obj and _primary[kind].get(previous) == name:
            del _primary[kind][previous]
        table[name] = obj
    _primary[kind].setdefault(obj, own)
    return obj


def names(kind: str) -> list:
    """Every name ``kind`` answers to, sorted without regard to case."""
    _check_kind(kind)
    return sorted(_by_name[kind], key=lambda name: (name.lower(), name))


def _unknown(kind: str, identifier) -> ValueError:
    label = KINDS[kind][0]
    return ValueError(f"Unknown {label} {identifier!r}. Valid names: {', '.join(names(kind))} "
                      "(case does not matter).")


def lookup(kind: str, name: str):
    """The function or class registered as ``kind`` under ``name`` (the rule in the module docstring).

    Raises:
        ValueError: for an unknown name, listing the valid ones; for a name two objects answer to without case.
    """
    _check_kind(kind)
    table = _by_name[kind]
    if not isinstance(name, str):
        raise _unknown(kind, name)
    if name in table:
        return table[name]
    folded = name.lower()
    matches = {}
    for candidate, obj in table.items():
        if candidate.lower() == folded:
            matches.setdefault(obj, candidate)
    if len(matches) == 1:
        return next(iter(matches))
    if matches:
        spelled = " and ".join(repr(n) for n in sorted(matches.values()))
        raise ValueError(f"The {KINDS[kind][0]} name {name!r} could be {spelled}; spell it as one of them.")
    raise _unknown(kind, name)


def _base(kind: str):
    path = KINDS[kind][2]
    if path is None:
        return None
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def get(kind: str, identifier):
    """The object an identifier stands for, as Keras' ``<kind>s.get`` gives it.

    A name gives the registered function, or a new instance of the registered class with its defaults; a
    ``{"class_name", "config"}`` dict is :func:`deserialize`'d; a class gives a new instance; an instance (or, for
    function kinds, any callable) is returned as is. None gives what the kind defines (activation: linear;
    initializer, regularizer: None, meaning the layer's default or no penalty; otherwise an error).
    """
    label, none, _, _ = _check_kind(kind)
    if identifier is None:
        if none is _REFUSE:
            raise _unknown(kind, None)
        return None if none is None else get(kind, none)
    if isinstance(identifier, str):
        obj = lookup(kind, identifier)
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, dict):
        return deserialize(kind, identifier)
    base = _base(kind)
    if isinstance(identifier, type):
        if base is None or issubclass(identifier, base):
            return identifier()
    elif base is None and callable(identifier) or base is not None and isinstance(identifier, base):
        return identifier
    raise ValueError(f"Cannot interpret {identifier!r} as {'an' if label[0] in 'aeiou' else 'a'} {label}: pass a "
                     f"name ({', '.join(names(kind))}), a config dict, or "
                     f"{'a callable' if base is None else 'a ' + base.__name__}.")


def deserialize(kind: str, config: dict):
    """The object a ``{"class_name": name, "config": {...}}`` dict (from :func:`serialize`) describes.

    Raises:
        ValueError: for an unknown class name (listing the valid ones) or a config the class does not take.
    """
    label = _check_kind(kind)[0]
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"A saved {label} is a dict with a 'class_name' string and a 'config' dict, got {config!r}.")
    class_name = config["class_name"]
    obj = lookup(kind, class_name)
    options = config.get("config")
    options = {} if options is None else options
    if not isinstance(options, dict):
        raise ValueError(f"The config of {label} {class_name!r} must be a dict, got {type(options).__name__}.")
    if not isinstance(obj, type):
        if options:
            raise ValueError(f"The {label} {class_name!r} is a function and takes no config, got {options!r}.")
        return obj
    try:
        return obj.from_config(options) if hasattr(obj, "from_config") else obj(**options)
    except TypeError as error:
        raise ValueError(f"Invalid config for {label} {class_name!r}: {error}") from None


def name_of(kind: str, obj) -> str | None:
    """The name a registered function or class is saved under (its own name), else None."""
    _check_kind(kind)
    try:
        return _primary[kind].get(obj)
    except TypeError:  # an unhashable object is never registered
        return None


def serialize(kind: str, obj):
    """What a model file stores for ``obj``: None for None, the name of a registered function (or a name given as
    is), ``{"class_name", "config"}`` for an instance of a registered class.

    Raises:
        ValueError: for anything else (a lambda, an unregistered class), saying how to make it savable.
    """
    label = _check_kind(kind)[0]
    if obj is None or isinstance(obj, str):
        return obj
    name = None if isinstance(obj, type) else name_of(kind, obj)
    if name is not None:
        return name
    class_name = name_of(kind, type(obj))
    if class_name is not None and hasattr(obj, "get_config"):
        return {"class_name": class_name, "config": obj.get_config()}
    raise ValueError(f"Cannot serialize the {label} {obj!r}: only what the registry names can be saved "
                     f"(pydl's own: {', '.join(names(kind))}; add yours with pydl.registry.register({kind!r}, ...)).")
