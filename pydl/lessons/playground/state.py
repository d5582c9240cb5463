"""The playground's settings: one immutable :class:`State`, its limits, and its URL form.

The URL uses TensorFlow Playground's key names (``#activation=tanh&learningRate=0.03&networkShape=4,2...``), so a
Playground link opens here with the same settings. Every value is checked; a bad one is reported in words and the
default kept, so a mistyped link still opens a working page.

>>> state, problems = from_query("learningRate=0.1&networkShape=3&activation=relu")
>>> state.learning_rate, state.network_shape, state.layer_activations, problems
(0.1, (3,), ('relu',), [])
>>> from_query("learningRate=50")[1]
['learningRate=50 is out of range: use a number from 0.00001 to 10. Kept 0.03.']
"""

from __future__ import annotations

import dataclasses
import math
from urllib.parse import parse_qsl

__all__ = [
    "PlaygroundError", "State", "FEATURES", "ACTIVATIONS", "OPTIMIZERS", "REGULARIZATIONS", "PROBLEMS",
    "CLASSIFICATION_SETS", "REGRESSION_SETS", "LEARNING_RATES", "REGULARIZATION_RATES", "MAX_LAYERS", "MAX_NEURONS",
    "MAX_EPOCHS", "EPOCH_LIMITS",
    "from_query", "to_query", "replace", "choices",
]


class PlaygroundError(ValueError):
    """A setting, a file or an edit the playground cannot use; the message says what to do instead."""


class _LastFeatureError(PlaygroundError):
    """Switching off the only feature left on: refused, and the message already says the feature stays on."""


# Input features in the Playground's order: URL key -> (label, formula as Python over x1 and x2).
FEATURES = {
    "x": ("X₁", "x1"),
    "y": ("X₂", "x2"),
    "xSquared": ("X₁²", "x1 * x1"),
    "ySquared": ("X₂²", "x2 * x2"),
    "xTimesY": ("X₁X₂", "x1 * x2"),
    "sinX": ("sin(X₁)", "np.sin(x1)"),
    "sinY": ("sin(X₂)", "np.sin(x2)"),
}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = {"sgd": "SGD", "momentum": "Momentum", "rmsprop": "RMSprop", "adam": "Adam"}  # momentum: SGD, 0.9
REGULARIZATIONS = ("none", "L1", "L2")
PROBLEMS = ("classification", "regression")
# Data set key -> label. "csv" is the user's own file; multi-class sets draw `classes` classes.
CLASSIFICATION_SETS = {"circle": "Circle", "xor": "Exclusive or", "gauss": "Two gaussians", "spiral": "Spiral",
                       "moons": "Moons", "blobs": "Gaussian clouds (multi-class)",
                       "multi_spiral": "Spiral arms (multi-class)", "csv": "Your CSV file"}
REGRESSION_SETS = {"plane": "Plane", "multi_gauss": "Multi gaussian", "csv": "Your CSV file"}
MULTICLASS_SETS = ("blobs", "multi_spiral")
# TensorFlow Playground's regression set names, accepted in links.
_SET_ALIASES = {"reg-plane": "plane", "reg-gauss": "multi_gauss"}
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_NEURONS = 6, 8
MAX_EPOCHS = 10_000
EPOCH_LIMITS = (10, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)
MAX_SEED = 2**31 - 1


@dataclasses.dataclass(frozen=True)
class State:
    """Everything that decides a run; the same State (seed included) gives the same data, weights and training."""

    problem: str = "classification"
    dataset: str = "circle"
    reg_dataset: str = "plane"
    classes: int = 3  # for the multi-class sets
    noise: int = 0  # percent, 0..50, as the Playground's slider
    train_percent: int = 50
    batch_size: int = 10
    seed: int = 0
    learning_rate: float = 0.03
    activation: str = "tanh"  # the choice for new layers; each layer has its own in layer_activations
    network_shape: tuple = (4, 2)
    layer_activations: tuple = ("tanh", "tanh")
    regularization: str = "none"
    regularization_rate: float = 0.0
    features: tuple = ("x", "y")
    optimizer: str = "sgd"
    dropout: float = 0.0
    show_test_data: bool = False
    discretize: bool = False
    epochs: int = 500  # the run's limit: play stops there (not in TensorFlow Playground, which trains forever)

    @property
    def data_name(self) -> str:
        """The data set in use for the current problem type."""
        return self.dataset if self.problem == "classification" else self.reg_dataset


# ---------------------------------------------------------------------------------------------- checking values


def _number(text, low, high, integer=False, what="a number"):
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise PlaygroundError(f"is not {what}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise PlaygroundError(f"is out of range: use {what} from {_fmt(low)} to {_fmt(high)}")
    if integer:
        if value != int(value):
            raise PlaygroundError(f"is not a whole number: use {what} from {_fmt(low)} to {_fmt(high)}")
        return int(value)
    return value


def _fmt(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.5f}".rstrip("0") if isinstance(value, float) and abs(value) < 0.001 else str(value)


def _choice(text, options):
    if text not in options:
        raise PlaygroundError(f"is not one of {', '.join(options)}")
    return text


def _flag(text):
    if isinstance(text, bool):
        return text
    if str(text).lower() in ("true", "1", "on", "yes"):
        return True
    if str(text).lower() in ("false", "0", "off", "no"):
        return False
    raise PlaygroundError("is not true or false")


def _shape(text):
    if isinstance(text, (tuple, list)):
        parts = list(text)
    else:
        parts = [p for p in str(text).split(",") if p.strip()]
    if len(parts) > MAX_LAYERS:
        raise PlaygroundError(f"has {len(parts)} hidden layers; the most is {MAX_LAYERS}")
    return tuple(_number(p, 1, MAX_NEURONS, integer=True, what="neurons per layer") for p in parts)


def _activations(text):
    parts = list(text) if isinstance(text, (tuple, list)) else [p.strip() for p in str(text).split(",") if p.strip()]
    return tuple(_choice(p, ACTIVATIONS) for p in parts)


def _seed(text):
    text = str(text).strip()
    if "." in text:  # TensorFlow Playground seeds look like "0.91979": keep their digits
        text = text.replace(".", "").lstrip("0") or "0"
    return _number(text, 0, MAX_SEED, integer=True, what="a seed")


def _data_set(options):
    def check(text):
        return _choice(_SET_ALIASES.get(text, text), tuple(options))
    return check


# URL key -> (State field, parser). Booleans for the features are handled apart.
_FIELDS = {
    "problem": ("problem", lambda t: _choice(t, PROBLEMS)),
    "dataset": ("dataset", _data_set(CLASSIFICATION_SETS)),
    "regDataset": ("reg_dataset", _data_set(REGRESSION_SETS)),
    "classes": ("classes", lambda t: _number(t, 3, 6, integer=True, what="a class count")),
    "noise": ("noise", lambda t: _number(t, 0, 50, integer=True, what="a noise level")),
    "percTrainData": ("train_percent", lambda t: _number(t, 10, 90, integer=True, what="a training percentage")),
    "batchSize": ("batch_size", lambda t: _number(t, 1, 30, integer=True, what="a batch size")),
    "seed": ("seed", _seed),
    "learningRate": ("learning_rate", lambda t: _number(t, 0.00001, 10.0)),
    "activation": ("activation", lambda t: _choice(t, ACTIVATIONS)),
    "networkShape": ("network_shape", _shape),
    "layerActivations": ("layer_activations", _activations),
    "regularization": ("regularization", lambda t: _choice(t, REGULARIZATIONS)),
    "regularizationRate": ("regularization_rate", lambda t: _number(t, 0.0, 10.0)),
    "optimizer": ("optimizer", lambda t: _choice(t, tuple(OPTIMIZERS))),
    "dropout": ("dropout", lambda t: _number(t, 0.0, 0.8, what="a dropout rate")),
    "showTestData": ("show_test_data", _flag),
    "discretize": ("discretize", _flag),
    "epochs": ("epochs", lambda t: _number(t, 1, MAX_EPOCHS, integer=True, what="an epoch limit")),
}
_TF_ONLY_KEYS = {"initZero", "hideText", "collectStats", "tutorial", "cosX", "cosY"}  # ignored quietly
_KEY_OF_FIELD = {field: key for key, (field, _) in _FIELDS.items()}


def _normalise(state: State) -> State:
    """Keep the per-layer activations in step with the network shape (new layers get ``activation``)."""
    acts = tuple(state.layer_activations[: len(state.network_shape)])
    acts += (state.activation,) * (len(state.network_shape) - len(acts))
    return dataclasses.replace(state, layer_activations=acts)


def replace(state: State, key: str, value) -> State:
    """A copy of ``state`` with the URL key ``key`` (or a feature name) set from ``value`` (text or a value).

    Raises :class:`PlaygroundError` naming the setting, the value and the valid range; ``state`` is unchanged.

    >>> replace(State(), "networkShape", "4,9")
    Traceback (most recent call last):
    ...
    pydl.lessons.playground.state.PlaygroundError: networkShape=4,9 is out of range: use neurons per layer from 1 to 8.
    """
    shown = ",".join(map(str, value)) if isinstance(value, (tuple, list)) else value
    if key in FEATURES:
        try:
            on = _flag(value)
        except PlaygroundError as error:
            raise PlaygroundError(f"{key}={shown} {error}.") from None
        features = tuple(f for f in FEATURES if (f == key and on) or (f != key and f in state.features))
        if not features:
            raise _LastFeatureError(f"{FEATURES[key][0]} is the only input feature switched on, so it stays on: the "
                                  "network needs at least one input. Switch another feature on first.")
        return dataclasses.replace(state, features=features)
    try:
        if key not in _FIELDS:
            raise PlaygroundError("is not a playground setting")
        field, parse = _FIELDS[key]
        parsed = parse(value)
    except PlaygroundError as error:
        raise PlaygroundError(f"{key}={shown} {error}.") from None
    if key == "activation":  # the one control for every layer, as in the Playground
        return dataclasses.replace(state, activation=parsed, layer_activations=(parsed,) * len(state.network_shape))
    return _normalise(dataclasses.replace(state, **{field: parsed}))


def from_query(query: str, seed_if_missing: int = 0) -> tuple:
    """``(State, problems)`` from a URL hash or query string; every bad value becomes a sentence in ``problems``."""
    state = dataclasses.replace(State(), seed=seed_if_missing)
    problems = []
    pairs = parse_qsl(query.lstrip("#?"), keep_blank_values=True)
    given = dict(pairs)
    # Apply the network shape before the per-layer activations, and the global activation before both.
    order = {"activation": 0, "networkShape": 1, "layerActivations": 2}
    for key, value in sorted(pairs, key=lambda kv: order.get(kv[0], -1)):
        if key in _TF_ONLY_KEYS or key.endswith("_hide"):
            continue
        if key not in _FIELDS and key not in FEATURES:
            problems.append(f"{key} is not a playground setting; ignored.")
            continue
        try:
            if key == "activation" and "layerActivations" in given:
                state = dataclasses.replace(state, activation=_choice(value, ACTIVATIONS))
            else:
                state = replace(state, key, value)
        except PlaygroundError as error:
            default = getattr(State(), _FIELDS[key][0]) if key in _FIELDS else key in State().features
            problems.append(str(error) if isinstance(error, _LastFeatureError) else f"{error} Kept {_shown(default)}.")
    if not state.features:
        state = dataclasses.replace(state, features=State().features)
    return state, problems


def _shown(value) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _fmt(value)


def choices() -> dict:
    """The options of each control, by URL key, for the page to list (values, or value -> label)."""
    return {
        "learningRate": list(LEARNING_RATES),
        "regularizationRate": list(REGULARIZATION_RATES),
        "activation": list(ACTIVATIONS),
        "regularization": list(REGULARIZATIONS),
        "problem": list(PROBLEMS),
        "optimizer": dict(OPTIMIZERS),
        "dropout": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
        "classes": [3, 4, 5, 6],
        "epochs": list(EPOCH_LIMITS),
        "dataset": dict(CLASSIFICATION_SETS),
        "regDataset": dict(REGRESSION_SETS),
    }


def to_query(state: State) -> str:
    """The URL hash for ``state`` (no leading "#"); :func:`from_query` reads it back to an equal State.

    >>> from_query(to_query(State(seed=7)))[0] == State(seed=7)
    True
    """
    parts = []
    for field in dataclasses.fields(State):
        if field.name in ("features", "layer_activations"):
            continue
        parts.append(f"{_KEY_OF_FIELD[field.name]}={_url_value(getattr(state, field.name))}")
    if any(a != state.activation for a in state.layer_activations):
        parts.append(f"layerActivations={','.join(state.layer_activations)}")
    parts += [f"{name}={'true' if name in state.features else 'false'}" for name in FEATURES]
    return "&".join(parts)


def _url_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)
