"""Building the learner's convnet from the page's controls, its shape/parameter table, and training in slices.

The page sends a *spec* (a plain dict from its form); :func:`validate_spec` turns it into clean numbers or a
ValueError that says which control is wrong and why. :func:`layer_table` reports each layer's output shape and
parameter count from the model's own ``compute_output_shape`` and ``count_params``, so the table cannot disagree with
the model. :func:`training_loop` is ``fit`` as a loop the page steps a slice at a time, so it can yield to the browser
between slices (pause, resume and redraw stay instant); :class:`WallClock` times what the learner waited.

>>> spec = validate_spec({"conv": [{"filters": 32, "kernel_size": 3, "padding": "valid", "pool": False}]})
>>> [(row["name"], row["output_shape"], row["params"]) for row in layer_table(spec, (28, 28, 1))][:2]
[('input', (None, 28, 28, 1), 0), ('conv1', (None, 26, 26, 32), 320)]
"""

from __future__ import annotations

import time

import pydl
from pydl import layers, models, optimizers
from pydl.activations import serialize as activation_name
from pydl.backend import np
from pydl.lessons.convnet.data import augment

__all__ = ["DEFAULT_SPEC", "LIMITS", "validate_spec", "build_model", "layer_table", "training_loop", "train_slice",
           "progress", "WallClock"]

# The page's default: small enough to train an epoch of the 8x8 digits in a few seconds in Pyodide, good enough
# to pass 95% test accuracy (tests/lessons/test_convnet.py checks both claims' native half).
DEFAULT_SPEC = {
    "conv": [
        {"filters": 16, "kernel_size": 3, "strides": 1, "padding": "same", "pool": True},
        {"filters": 32, "kernel_size": 3, "strides": 1, "padding": "same", "pool": True},
    ],
    "dense": 0,
    "epochs": 10,
    "batch_size": 32,
    "learning_rate": 0.01,
    "augment": False,
    "seed": 0,
}

# control -> (lowest, highest) allowed
LIMITS = {"filters": (1, 64), "kernel_size": (1, 7), "strides": (1, 3), "conv_layers": (1, 3), "dense": (0, 256),
          "epochs": (1, 50), "batch_size": (4, 512), "learning_rate": (1e-5, 1.0), "seed": (0, 2**31 - 1)}


def _whole(value, what, key):
    low, high = LIMITS[key]
    try:
        number = float(value)
        if number != int(number):
            raise ValueError
        number = int(number)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be a whole number from {low} to {high}, got {value!r}.") from None
    if not low <= number <= high:
        raise ValueError(f"{what} must be from {low} to {high}, got {number}.")
    return number


def _flag(value):
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def validate_spec(spec: dict) -> dict:
    """A clean copy of ``spec`` (missing keys take :data:`DEFAULT_SPEC`'s values), or a ValueError for people.

    Keys: ``conv``: list of ``{filters, kernel_size, strides, padding ("valid"/"same"), pool (2x2 max-pool after)}``;
    ``dense``: hidden units before the 10-way softmax (0 for none); ``epochs``, ``batch_size``, ``learning_rate``
    (Adam), ``augment`` (shifted/rotated copies each epoch), ``seed``.
    """
    spec = {**DEFAULT_SPEC, **(spec or {})}
    blocks = spec["conv"]
    if not isinstance(blocks, (list, tuple)):
        raise ValueError(f"conv must be a list of conv layers, got {type(blocks).__name__}.")
    low, high = LIMITS["conv_layers"]
    if not low <= len(blocks) <= high:
        raise ValueError(f"Use {low} to {high} conv layers; got {len(blocks)}.")
    clean = []
    for i, block in enumerate(blocks, start=1):
        padding = str(block.get("padding", "valid")).strip().lower()
        if padding not in ("valid", "same"):
            raise ValueError(f"Conv layer {i}: padding must be 'valid' or 'same', got {block.get('padding')!r}.")
        clean.append({
            "filters": _whole(block.get("filters", 8), f"Conv layer {i}: filters", "filters"),
            "kernel_size": _whole(block.get("kernel_size", 3), f"Conv layer {i}: kernel size", "kernel_size"),
            "strides": _whole(block.get("strides", 1), f"Conv layer {i}: stride", "strides"),
            "padding": padding,
            "pool": _flag(block.get("pool", True)),
        })
    try:
        rate = float(spec["learning_rate"])
    except (TypeError, ValueError):
        raise ValueError(f"Learning rate must be a number, got {spec['learning_rate']!r}.") from None
    low, high = LIMITS["learning_rate"]
    if not low <= rate <= high:  # NaN fails too
        raise ValueError(f"Learning rate must be from {low} to {high}, got {spec['learning_rate']!r}.")
    return {
        "conv": clean,
        "dense": _whole(spec["dense"], "Dense units", "dense"),
        "epochs": _whole(spec["epochs"], "Epochs", "epochs"),
        "batch_size": _whole(spec["batch_size"], "Batch size", "batch_size"),
        "learning_rate": rate,
        "augment": _flag(spec["augment"]),
        "seed": _whole(spec["seed"], "Seed", "seed"),
    }


def _layers(spec: dict) -> list:
    out = []
    for i, block in enumerate(spec["conv"], start=1):
        out.append(layers.Conv2D(block["filters"], block["kernel_size"], strides=block["strides"],
                                 padding=block["padding"], activation="relu", name=f"conv{i}"))
        if block["pool"]:
            out.append(layers.MaxPooling2D(2, name=f"pool{i}"))
    out.append(layers.Flatten(name="flatten"))
    if spec["dense"]:
        out.append(layers.Dense(spec["dense"], activation="relu", name="dense"))
    out.append(layers.Dense(10, activation="softmax", name="output"))
    return out


def _check_shapes(stack: list, input_shape: tuple) -> None:
    """Walk the shapes with each layer's own compute_output_shape; an empty map is a mistake to explain."""
    shape = (None,) + tuple(input_shape)
    for layer in stack:
        if isinstance(layer, (layers.Conv2D, layers.MaxPooling2D)):
            window = layer.kernel_size if isinstance(layer, layers.Conv2D) else layer.pool_size
            if layer.padding == "valid" and (shape[1] < window[0] or shape[2] < window[1]):
                if isinstance(layer, layers.Conv2D):
                    raise ValueError(
                        f"{layer.name} gets a {shape[1]}x{shape[2]} input, smaller than its {window[0]}x{window[1]} "
                        "kernel with 'valid' padding. Use 'same' padding, a smaller kernel, fewer pooling steps or a "
                        "larger image size.")
                conv = layer.name.replace("pool", "conv")
                raise ValueError(
                    f"{layer.name} gets a {shape[1]}x{shape[2]} input, too small for 2x2 max-pooling. Untick "
                    f"{conv}'s max-pool, use 'same' padding, or a larger image size.")
        shape = layer.compute_output_shape(shape)


def build_model(spec: dict, input_shape: tuple):
    """The compiled Sequential model of a validated ``spec`` for images of ``input_shape`` (h, w, 1).

    Weights come from ``pydl.seed(spec["seed"])``, so the same controls give the same model.
    """
    spec = validate_spec(spec)
    stack = _layers(spec)
    _check_shapes(stack, input_shape)
    pydl.seed(spec["seed"])
    model = models.Sequential([layers.Input(tuple(input_shape))] + stack, name="convnet")
    model.compile(optimizer=optimizers.Adam(learning_rate=spec["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _describe(layer) -> tuple:
    """(what the layer does, how its parameter count comes about)."""
    if isinstance(layer, layers.Conv2D):
        (kh, kw), cin = layer.kernel_size, layer.kernel.shape[2]
        text = (f"{layer.filters} filters {kh}x{kw}, stride {layer.strides[0]}, {layer.padding}, "
                f"{activation_name(layer.activation)}")
        return text, f"({kh}·{kw}·{cin} + 1)·{layer.filters}"
    if isinstance(layer, layers.MaxPooling2D):
        return f"max of each {layer.pool_size[0]}x{layer.pool_size[1]} window", "no weights"
    if isinstance(layer, layers.Flatten):
        return "one long vector per image", "no weights"
    if isinstance(layer, layers.Dense):
        formula = f"({layer.kernel.shape[0]} + 1)·{layer.units}"
        return f"{layer.units} units, {activation_name(layer.activation)}", formula
    return type(layer).__name__, ""


def layer_table(spec_or_model, input_shape=None) -> list:
    """Rows ``{name, kind, description, output_shape, params, formula}``, the input first, for the page's table.

    Accepts a spec (a model is built for ``input_shape``) or a built model.
    """
    model = spec_or_model if isinstance(spec_or_model, models.Sequential) else build_model(spec_or_model, input_shape)
    shape = tuple(model.input_shape)
    rows = [{"name": "input", "kind": "Input", "description": "the image", "output_shape": shape, "params": 0,
             "formula": ""}]
    for layer in model.layers:
        shape = tuple(layer.compute_output_shape(shape))
        description, formula = _describe(layer)
        rows.append({"name": layer.name, "kind": type(layer).__name__, "description": description,
                     "output_shape": shape, "params": layer.count_params(), "formula": formula})
    return rows


def training_loop(model, data, epochs: int, batch_size: int = 32, augment_data: bool = False, seed: int = 0):
    """``model.fit`` on ``data`` as a :class:`~pydl.models.TrainingLoop` the page steps in slices
    (``loop.step(max_seconds=0.05)`` until ``loop.done``).

    Validation is ``data``'s held-out images after each epoch (``val_loss``/``val_accuracy`` in ``loop.history``);
    ``seed`` reseeds pydl's generator, so the shuffles (and, with ``augment_data``, each epoch's freshly shifted and
    rotated copies of the training images, drawn from that same generator) repeat exactly. Without augmentation
    the numbers are ``fit``'s with the same arguments, bit for bit.
    """
    loop = model.training_loop(data.x_train, data.y_train, batch_size=batch_size, epochs=epochs, verbose=0,
                               validation_data=(data.x_val, data.y_val), seed=seed)
    if augment_data:
        loop.epoch_transform = lambda images, rng: augment(images, seed=rng)
    return loop


def train_slice(loop, max_seconds: float) -> bool:
    """One slice of a page's training: ``loop.step`` for about ``max_seconds``, never past the epoch's end, and the
    epoch's last batch in a slice of its own (that slice also runs the validation pass), so that no slice holds the
    page much longer than ``max_seconds``. Returns True if the slice ended an epoch (or training)."""
    epoch, left = loop.epoch, loop.steps - loop.batch
    loop.step(max_batches=left - 1 if left > 1 else 1, max_seconds=max_seconds)
    return loop.epoch != epoch or loop.done


def progress(loop) -> float:
    """Epochs done, fractional: 2.5 is half-way through the third epoch."""
    return loop.epoch + (0 if loop.done else loop.batch / loop.steps)


class WallClock:
    """The wall time a learner waited for training: from :meth:`start`, less the time spent paused.

    A page's "seconds per epoch" is ``clock.seconds() / epochs``: everything the page did while training (drawing,
    yielding to the browser, validation) counts, as the learner sees it; pauses do not.
    """

    def __init__(self, now=time.perf_counter):
        self._now = now
        self._started = self._paused_at = None
        self._paused = 0.0

    def start(self) -> None:
        self._started, self._paused_at, self._paused = self._now(), None, 0.0

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self._now()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._paused += self._now() - self._paused_at
            self._paused_at = None

    def seconds(self) -> float:
        if self._started is None:
            return 0.0
        end = self._paused_at if self._paused_at is not None else self._now()
        return end - self._started - self._paused
