"""One playground run: settings, data, model, training in slices, and everything the page draws, as plain data.

:class:`Playground` is what the page drives. Every change goes through :meth:`Playground.update` (or the small
helpers for layers and neurons), which checks it and rebuilds only what it affects. Training is ``model.fit``'s own loop
(``model.training_loop``, stepped a slice at a time, up to the run's epoch limit ``state.epochs``), so the "show
the code" script repeats the page's run number for number. :meth:`frame` and :meth:`structure` return JSON-able dicts
for the page.

>>> pg = Playground(State(seed=1))
>>> pg.step_epoch(); pg.epoch
1
>>> frame = pg.frame()
>>> frame["epoch"], frame["bigId"], len(frame["thumbs"])  # 4 + 2 hidden neurons and the output
(1, 'output', 7)
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import pydl
from pydl import callbacks, losses
from pydl.backend import np
from pydl.lessons.playground import legend, render
from pydl.lessons.playground.data import DENSITY, CsvData, features, grid, make_data, parse_csv
from pydl.lessons.playground.network import build_model, dense_layers, layer_outputs
from pydl.lessons.playground.state import (
    FEATURES, MAX_EPOCHS, MAX_LAYERS, MAX_NEURONS, MAX_SEED, PlaygroundError, State, replace, to_query,
)
from pydl.autograd import no_grad
from pydl.tensor import Tensor

__all__ = ["Playground", "THUMB_STRIDE", "MAX_WEIGHT"]

THUMB_STRIDE = 5  # neuron thumbnails take every 5th grid point: 20x20 pixels
MAX_WEIGHT = 100.0
HISTORY_POINTS = 300  # loss-curve points sent to the page (older epochs are thinned out)
_VIEW_ONLY = {"show_test_data", "discretize"}
_LIVE = {"learning_rate", "epochs"}  # changed without a reset: the rate from the next batch, the limit at once
_DATA = {"problem", "dataset", "reg_dataset", "classes", "noise", "train_percent", "seed"}


class Playground:
    """A playground session. ``Playground(State(...))`` builds the data and the network at once."""

    def __init__(self, state: State | None = None, csv: CsvData | None = None):
        self.state = state or State()
        self.csv = csv
        self.focus = None  # node id whose map is shown large, None for the output
        self._grid = grid()
        self._make_data(self.state)
        self.reset()

    # ------------------------------------------------------------------------------------------ building
    def _make_data(self, state: State) -> None:
        self.data = make_data(state, self.csv)  # raises before anything changes
        self._grid_inputs = None

    def reset(self) -> None:
        """New weights from the seed, epoch 0, empty loss history (the settings and data stay)."""
        s, d = self.state, self.data
        self.model = build_model(s, len(s.features), d.kind, d.classes)
        pydl.seed(s.seed)  # model.fit(seed=...) reseeds after the model is built; the batches follow from here
        self.epoch, self._loop = 0, None
        self.edited = False  # a weight was set by hand: the generated code cannot repeat that
        self.lr_changed = False
        self.diverged = None
        self.history = {"epoch": [], "train": [], "test": []}
        self._activations = None
        self._record_losses()

    def update(self, key: str, value) -> None:
        """Change one setting (URL key and text value, e.g. ``("learningRate", "0.1")``); raises PlaygroundError."""
        new = replace(self.state, key, value)
        self.apply_state(new)

    def apply_state(self, new: State) -> None:
        """Move to the settings ``new``, regenerating the data and rebuilding the network only when needed."""
        changed = {f.name for f in dataclasses.fields(State) if getattr(new, f.name) != getattr(self.state, f.name)}
        if not changed:
            return
        if changed & _DATA:
            self._make_data(new)
        elif "features" in changed:
            self._grid_inputs = None
        self.state = new
        if changed - _VIEW_ONLY - _LIVE:
            self.reset()
        elif "learning_rate" in changed:
            self.model.optimizer.learning_rate = new.learning_rate
            self.lr_changed = self.lr_changed or self.epoch > 0 or self.batch > 0

    def regenerate(self) -> None:
        """New data (and weights) from the next seed of a chain that starts at the current seed."""
        seed = int(np.random.default_rng(self.state.seed).integers(0, MAX_SEED))
        self.update("seed", seed)

    def load_csv(self, text: str, name: str = "data.csv") -> list:
        """Use the points of a CSV file; switches the problem type to match its labels. Returns notes to show."""
        csv = parse_csv(text, name)
        previous = self.csv
        self.csv = csv
        try:
            key = "dataset" if csv.problem == "classification" else "reg_dataset"
            new = dataclasses.replace(self.state, problem=csv.problem, **{key: "csv"})
            self._make_data(new)
            self.state = new
            self.reset()
        except PlaygroundError:
            self.csv = previous
            raise
        return [*csv.notes, *legend.word_label_notes(self.data)]

    def change_layers(self, delta: int) -> None:
        """Add (+1) or remove (-1) the last hidden layer; a new layer has 2 neurons, as in the Playground."""
        shape = list(self.state.network_shape)
        if delta > 0:
            if len(shape) >= MAX_LAYERS:
                raise PlaygroundError(f"The network already has {MAX_LAYERS} hidden layers, the most the playground "
                                      "draws.")
            shape.append(2)
        elif delta < 0:
            if not shape:
                raise PlaygroundError("There is no hidden layer left to remove.")
            shape.pop()
        self.update("networkShape", tuple(shape))

    def change_neurons(self, layer: int, delta: int) -> None:
        """Add or remove one neuron of hidden layer ``layer`` (0-based); 1 to 8 neurons per layer."""
        shape = list(self.state.network_shape)
        if not 0 <= layer < len(shape):
            raise PlaygroundError(f"There is no hidden layer {layer + 1}.")
        units = shape[layer] + delta
        if not 1 <= units <= MAX_NEURONS:
            raise PlaygroundError(f"A layer has 1 to {MAX_NEURONS} neurons; layer {layer + 1} has {shape[layer]}.")
        shape[layer] = units
        self.update("networkShape", tuple(shape))

    def set_layer_activation(self, layer: int, activation: str) -> None:
        acts = list(self.state.layer_activations)
        if not 0 <= layer < len(acts):
            raise PlaygroundError(f"There is no hidden layer {layer + 1}.")
        acts[layer] = activation
        self.update("layerActivations", tuple(acts))

    # ------------------------------------------------------------------------------------------ training
    @property
    def batch(self) -> int:
        """Batches done in the current epoch (0 at an epoch's start)."""
        return self._loop.batch if self._loop is not None else 0

    @property
    def at_limit(self) -> bool:
        """True once the run has trained the epochs of its limit (``state.epochs``)."""
        return self.epoch >= self.state.epochs

    def _training_loop(self):
        if self._loop is None:
            d = self.data
            # No seed here: reset() seeded pydl after building the model, as model.fit(seed=...) does, and every
            # batch since came from this one loop, so its shuffles are fit's. Its own end is the largest limit a
            # run may have; the run's limit is applied in train(), which never steps past it.
            self._loop = self.model.training_loop(
                features(d.x_train, self.state.features), d.y_train, batch_size=self.state.batch_size,
                epochs=MAX_EPOCHS, verbose=0, shuffle=True, callbacks=[_EpochEnd(self)])
        return self._loop

    def train(self, max_batches: int | None = None, max_seconds: float | None = None) -> int:
        """Train up to ``max_batches`` batches or ``max_seconds`` (at least one batch, never past the epoch limit
        or a divergence): one slice of "play". Returns the number of epochs completed."""
        if self.diverged or self.at_limit:
            return 0
        loop, epoch = self._training_loop(), self.epoch
        left = (self.state.epochs - self.epoch) * loop.steps - loop.batch
        with warnings.catch_warnings():  # the loop warns on NaN; the page says so in words (self.diverged)
            warnings.simplefilter("ignore", RuntimeWarning)
            loop.step(max_batches=left if max_batches is None else min(left, max_batches), max_seconds=max_seconds)
        reason = loop.history.stop_reason
        if reason:
            self.diverged = (f"{reason.split(';')[0]}, so training stopped. Lower the learning rate and press "
                             "reset.")
        self._activations = None
        return self.epoch - epoch

    def step_epoch(self) -> None:
        """Train to the end of the current epoch (the Playground's single step)."""
        if self.at_limit:
            raise PlaygroundError(f"This run has trained its {self.state.epochs} epochs, the limit: raise "
                                  "“Epochs” to train on.")
        self.train(max_batches=self._training_loop().steps - self.batch)

    def train_for(self, seconds: float) -> int:
        """Train batch after batch for about ``seconds`` (at least one batch): one slice of "play"."""
        return self.train(max_seconds=seconds)

    def train_epochs(self, epochs: int) -> None:
        for _ in range(epochs):
            if self.diverged or self.at_limit:
                return
            self.step_epoch()

    def _epoch_done(self, epoch: int) -> None:
        if self._loop is not None and self._loop.history.stop_reason:
            return  # the epoch the loss became NaN in is not one the run finished
        self.epoch = epoch + 1
        self._record_losses()

    # ------------------------------------------------------------------------------------------ measuring
    def _predict(self, x) -> Tensor:
        with no_grad():
            return self.model(features(x, self.state.features), training=False)

    def loss(self, x, y) -> float:
        """The data loss (no regularization penalty) of the model on points ``x`` with targets ``y``."""
        with no_grad():
            return float(losses.compute(self.model.loss, y, self._predict(x)).data)

    def accuracy(self, x, y):
        """Fraction of points classified right (None for regression)."""
        out = self._predict(x).numpy()
        if self.data.kind == "binary":
            return float(np.mean(np.where(out >= 0, 1.0, -1.0) == y))
        if self.data.kind == "multiclass":
            return float(np.mean(out.argmax(axis=1) == y))
        return None

    def _measure(self) -> None:
        d = self.data
        self.train_loss, self.test_loss = self.loss(d.x_train, d.y_train), self.loss(d.x_test, d.y_test)
        self.train_accuracy, self.test_accuracy = self.accuracy(d.x_train, d.y_train), self.accuracy(d.x_test, d.y_test)

    def _record_losses(self) -> None:
        self._measure()
        self.history["epoch"].append(self.epoch)
        self.history["train"].append(self.train_loss)
        self.history["test"].append(self.test_loss)

    # ------------------------------------------------------------------------------------------ weights
    def _dense(self, layer: int):
        dense = dense_layers(self.model)
        if not 0 <= layer < len(dense):
            raise PlaygroundError(f"There is no layer {layer + 1} with weights (the network has {len(dense)}).")
        return dense[layer]

    @staticmethod
    def _value(text) -> float:
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise PlaygroundError(f"“{text}” is not a number; type a weight such as 0.5 or -1.2.") from None
        if not math.isfinite(value) or abs(value) > MAX_WEIGHT:
            raise PlaygroundError(f"{text} is out of range: a weight must lie between -{MAX_WEIGHT:g} and "
                                  f"{MAX_WEIGHT:g}.")
        return value

    def set_weight(self, layer: int, source: int, target: int, value) -> float:
        """Set the weight from unit ``source`` to unit ``target`` of Dense layer ``layer`` (0-based); returns it."""
        dense, value = self._dense(layer), self._value(value)
        kernel, bias = dense.get_weights()
        if not (0 <= source < kernel.shape[0] and 0 <= target < kernel.shape[1]):
            raise PlaygroundError(f"Layer {layer + 1} has no weight {source}→{target}.")
        kernel[source, target] = value
        dense.set_weights([kernel, bias])
        self._edited()
        return value

    def set_bias(self, layer: int, unit: int, value) -> float:
        dense, value = self._dense(layer), self._value(value)
        kernel, bias = dense.get_weights()
        if not 0 <= unit < bias.shape[0]:
            raise PlaygroundError(f"Layer {layer + 1} has no unit {unit}.")
        bias[unit] = value
        dense.set_weights([kernel, bias])
        self._edited()
        return value

    def _edited(self) -> None:
        self.edited, self._activations = True, None
        self._measure()

    def model_bytes(self) -> bytes:
        """The trained model as a pydl model file (``pydl.models.from_bytes`` / ``load_model`` read it)."""
        return self.model.to_bytes()

    # ------------------------------------------------------------------------------------------ pictures
    def node_ids(self) -> list:
        """Ids of the drawn nodes, layer by layer: feature keys, ``h<layer>_<unit>``, ``out_<unit>``."""
        ids = [list(self.state.features)]
        for i, units in enumerate(self.state.network_shape, start=1):
            ids.append([f"h{i}_{j}" for j in range(units)])
        ids.append([f"out_{j}" for j in range(dense_layers(self.model)[-1].units)])
        return ids

    def activations(self) -> dict:
        """Node id -> its value at every grid point (flat, image order): one forward pass over the grid."""
        if self._activations is None:
            if self._grid_inputs is None:
                self._grid_inputs = features(self._grid, self.state.features)
            outputs = layer_outputs(self.model, self._grid_inputs)
            ids = self.node_ids()
            maps = {name: self._grid_inputs[:, j] for j, name in enumerate(ids[0])}
            for layer_ids, values in zip(ids[1:], outputs):
                maps.update({name: values[:, j] for j, name in enumerate(layer_ids)})
            self._activations = (maps, outputs[-1])
        return self._activations[0]

    def _image(self, node: str, values: np.ndarray, size: int) -> np.ndarray:
        side = int(math.isqrt(values.size))
        values = values.reshape(side, side)
        stride = side // size
        values = values[::stride, ::stride][:size, :size]
        discretize = self.state.discretize
        if node in FEATURES:  # raw features reach 36 (X₁²): scale each to its own range to show its shape
            reach = float(np.abs(values).max()) or 1.0
            return render.diverging(values / reach)
        if node.startswith("out_") and self.data.kind == "multiclass":
            return render.ramp(values, render.CLASS_COLORS[int(node[4:]) % len(render.CLASS_COLORS)], discretize)
        return render.diverging(values, discretize)

    def output_image(self, size: int = DENSITY) -> np.ndarray:
        """RGBA of the network's output over the square (class colours when there are more than 2 classes)."""
        self.activations()
        out = self._activations[1].reshape(DENSITY, DENSITY, -1)
        stride = DENSITY // size
        out = out[::stride, ::stride]
        if self.data.kind == "multiclass":
            return render.class_mix(out, self.state.discretize)
        return render.diverging(out[..., 0], self.state.discretize)

    def node_image(self, node: str, size: int = DENSITY) -> np.ndarray:
        maps = self.activations()
        if node not in maps:
            raise PlaygroundError(f"There is no node {node!r} in this network.")
        return self._image(node, maps[node], size)

    def point_colors(self, y: np.ndarray) -> list:
        d = self.data
        if d.kind == "multiclass":
            palette = [render.hex_color(c) for c in render.CLASS_COLORS]
            return [palette[int(c) % len(palette)] for c in y]
        colors = render.diverging(y.reshape(-1))[:, :3]
        return [render.hex_color(c) for c in colors]

    # ------------------------------------------------------------------------------------------ for the page
    def structure(self) -> dict:
        """What changes only on a reset: settings, node layout, points, feature maps (JSON-able)."""
        s, d = self.state, self.data
        thumb = DENSITY // THUMB_STRIDE
        all_inputs = features(self._grid, tuple(FEATURES))
        feature_maps = {name: render.to_base64(self._image(name, all_inputs[:, j], thumb))
                        for j, name in enumerate(FEATURES)}
        units = dense_layers(self.model)[-1].units
        round_points = lambda x: np.round(x.astype(np.float64), 3).tolist()  # noqa: E731
        return {
            "query": to_query(s),
            "state": {**dataclasses.asdict(s), "network_shape": list(s.network_shape),
                      "layer_activations": list(s.layer_activations), "features": list(s.features)},
            "inputs": [{"id": name, "label": label, "on": name in s.features} for name, (label, _) in FEATURES.items()],
            "layers": [{"units": u, "activation": a} for u, a in zip(s.network_shape, s.layer_activations)],
            "outputs": units,
            "kind": d.kind,
            "classLabels": legend.class_labels(d),
            "legend": legend.legend(d),
            "classColors": [render.hex_color(c) for c in render.CLASS_COLORS[: max(d.classes, 2)]],
            "description": d.description,
            "csvName": self.csv.name if self.csv is not None else None,
            "featureMaps": feature_maps,
            "thumbSize": thumb,
            "train": {"points": round_points(d.x_train), "colors": self.point_colors(d.y_train)},
            "test": {"points": round_points(d.x_test), "colors": self.point_colors(d.y_test)},
            "limits": {"layers": MAX_LAYERS, "neurons": MAX_NEURONS},
        }

    def frame(self) -> dict:
        """What changes while training: losses, epoch, weights, every neuron's map and the large map (JSON-able)."""
        thumb = DENSITY // THUMB_STRIDE
        maps = self.activations()
        ids = self.node_ids()
        thumbs = {node: render.to_base64(self._image(node, maps[node], thumb)) for layer in ids[1:] for node in layer}
        focus = self.focus if self.focus in maps else None
        big = self.node_image(focus) if focus else self.output_image()
        weights = [dense.get_weights() for dense in dense_layers(self.model)]
        step = max(1, math.ceil(len(self.history["epoch"]) / HISTORY_POINTS))
        return {
            "epoch": self.epoch,
            "epochLimit": self.state.epochs,
            "atLimit": self.at_limit,
            "trainLoss": self.train_loss,
            "testLoss": self.test_loss,
            "trainAccuracy": self.train_accuracy,
            "testAccuracy": self.test_accuracy,
            "history": {k: [_finite(v) for v in values[::-step][::-1]] for k, values in self.history.items()},
            "thumbs": thumbs,
            "bigId": focus or "output",
            "bigImage": render.to_base64(render.lighten(big)),
            "bigSize": DENSITY,
            "weights": [np.round(k.astype(np.float64), 4).tolist() for k, _ in weights],
            "biases": [np.round(b.astype(np.float64), 4).tolist() for _, b in weights],
            "diverged": self.diverged,
            "query": to_query(self.state),
            "showTestData": self.state.show_test_data,
            "edited": self.edited,
        }


class _EpochEnd(callbacks.Callback):
    """Tells the playground that its training loop finished an epoch (it then measures the full-set losses)."""

    def __init__(self, playground):
        super().__init__()
        self.playground = playground

    def on_epoch_end(self, epoch, logs=None):
        self.playground._epoch_done(epoch)


def _finite(value):
    return value if math.isfinite(value) else None
