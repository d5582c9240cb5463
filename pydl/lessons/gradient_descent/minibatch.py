"""Mini-batch SGD: a straight line fitted batch by batch, beside full-batch descent."""

from __future__ import annotations

import math

import pydl
from pydl import optimizers
from pydl.backend import np

from .validation import BLOW_UP, InputError, _check_rate, fmt, parse_number


MINI_BATCH_DEFAULTS = {"batch_size": 8, "learning_rate": 0.05, "shuffle": True}


def regression_data(n: int = 48, seed: int = 3):
    """A small noisy straight line, ``y = 1.5 x - 0.5 + noise``, sorted by x (so unshuffled batches are biased)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2.0, 2.0, n))
    y = 1.5 * x - 0.5 + rng.normal(0.0, 0.4, n)
    return x, y


def check_mini_batch(raw: dict, n: int = 48):
    """``({"batch_size", "learning_rate", "shuffle"}, None)`` from the page's fields, or ``(None, message)``."""
    try:
        size = parse_number(raw.get("batch_size", ""), "Batch size", 1, n, integer=True)
        rate = _check_rate(raw.get("learning_rate", ""), maximum=2.0)
    except InputError as error:
        return None, str(error)
    return {"batch_size": size, "learning_rate": rate, "shuffle": bool(raw.get("shuffle", True))}, None


class MiniBatch:
    """Fit ``y = w x + b`` by mini-batch SGD, and alongside by full-batch descent, with pydl's SGD.

    Each :meth:`step` draws the next batch (from a fresh shuffled order each epoch, or in data order) and makes
    one update of each model; :attr:`history` holds the full-data loss of both after every step.
    """

    def __init__(self, batch_size=8, learning_rate=0.05, shuffle=True, seed=0, data=None):
        self.x, self.y = data if data is not None else regression_data()
        self.n = len(self.x)
        self.batch_size = int(min(max(batch_size, 1), self.n))
        self.learning_rate = float(learning_rate)
        self.shuffle = bool(shuffle)
        self.rng = np.random.default_rng(seed)
        self.models = {}
        for name in ("mini", "full"):
            w = pydl.tensor(0.0, dtype="float64", requires_grad=True, name="w")
            b = pydl.tensor(0.0, dtype="float64", requires_grad=True, name="b")
            self.models[name] = (w, b, optimizers.SGD(params=[w, b], learning_rate=self.learning_rate))
        self.order = self._new_order()
        self.cursor = 0  # position in the current epoch's order
        self.epoch = 0  # 1 during the first pass over the data, 2 during the second, ...
        self.batch_loss = None  # loss of the mini-batch model on the latest batch, before its update
        self.steps = 0
        self.samples_seen = 0
        self.batch = np.array([], dtype=int)
        self.history = {"step": [0], "mini": [self.loss("mini")], "full": [self.loss("full")]}
        self.blown_up = False
        self.blown_up_loss = None

    def _new_order(self):
        return self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def loss(self, name: str, indices=None) -> float:
        """Mean squared error of one model on the whole data (or on ``indices``)."""
        w, b, _ = self.models[name]
        with pydl.no_grad():
            return self._mse(w, b, indices).item()

    def _mse(self, w, b, indices=None):
        x = self.x if indices is None else self.x[indices]
        y = self.y if indices is None else self.y[indices]
        prediction = pydl.tensor(x) * w + b
        return ((prediction - pydl.tensor(y)) ** 2).mean()

    def _update(self, name: str, indices) -> float:
        w, b, optimizer = self.models[name]
        loss = self._mse(w, b, indices)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    @property
    def epochs(self) -> float:
        """Passes over the data made by the mini-batch model (fractional)."""
        return self.samples_seen / self.n

    def step(self) -> None:
        if self.blown_up:
            return
        if self.cursor >= self.n:
            self.order, self.cursor = self._new_order(), 0
        if self.cursor == 0:
            self.epoch += 1
        self.batch = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += len(self.batch)
        self.samples_seen += len(self.batch)
        self.batch_loss = self._update("mini", self.batch)
        self._update("full", None)
        self.steps += 1
        losses = {name: self.loss(name) for name in ("mini", "full")}
        if not all(math.isfinite(v) and v < BLOW_UP for v in losses.values()):
            self.blown_up = True
            self.blown_up_loss = max(losses.values())
            return
        self.history["step"].append(self.steps)
        for name, value in losses.items():
            self.history[name].append(value)

    def line(self, name: str) -> tuple:
        w, b, _ = self.models[name]
        return w.item(), b.item()

    def view(self) -> dict:
        """What the page shows after a step: batch, counters, both fitted lines and losses, formatted."""
        (wm, bm), (wf, bf) = self.line("mini"), self.line("full")
        in_batch = np.zeros(self.n, dtype=bool)
        in_batch[self.batch] = True
        batches_per_epoch = math.ceil(self.n / self.batch_size)
        message = ""
        if self.blown_up:
            message = (f"Diverged: with learning rate {fmt(self.learning_rate)} step {self.steps} took the loss to "
                       f"{fmt(self.blown_up_loss)}, past {fmt(BLOW_UP)}, so training stopped; the table shows the "
                       "last losses before it. Lower the rate and reset.")
        elif len(self.history["mini"]) > 3 and self.history["mini"][-1] > 4 * self.history["mini"][0]:
            message = (f"The loss is growing: the learning rate {fmt(self.learning_rate)} is too large for "
                       "these steps. Lower it and reset.")
        return {
            "steps": self.steps,
            "epoch": self.epoch,
            "epochs": fmt(self.epochs, 3),
            "batch_in_epoch": math.ceil(self.cursor / self.batch_size) if self.steps else 0,
            "batches_per_epoch": batches_per_epoch,
            "batch": sorted(int(i) for i in self.batch),
            "in_batch": in_batch.tolist(),
            "mini": {"w": fmt(wm, 4), "b": fmt(bm, 4), "loss": fmt(self.history["mini"][-1], 4),
                     "batch_loss": "\u2013" if self.batch_loss is None else fmt(self.batch_loss, 4)},
            "full": {"w": fmt(wf, 4), "b": fmt(bf, 4), "loss": fmt(self.history["full"][-1], 4)},
            "fit_mini": [wm * v + bm for v in self.x.tolist()],
            "fit_full": [wf * v + bf for v in self.x.tolist()],
            "message": message,
        }
