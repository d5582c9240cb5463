"""Two weights: loss surfaces drawn as contour images, and optimizers from pydl.optimizers racing across them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pydl
from pydl import optimizers
from pydl.backend import np

from .validation import InputError, LogSlider, _check_rate, _fixed, _scalar, fmt, parse_number


@dataclass(frozen=True)
class Surface:
    """A loss of two weights: ``fn(x, y)`` on pydl tensors of any (equal) shape, so autograd differentiates it."""

    key: str
    title: str
    fn: Callable
    domain: tuple  # (x_min, x_max, y_min, y_max)
    start: tuple
    minima: tuple
    rate: float  # a learning rate that suits plain SGD here
    adaptive_rate: float  # and one for RMSprop and Adam
    note: str

    def __call__(self, x, y):
        return self.fn(x, y)

    def value(self, x: float, y: float) -> float:
        with pydl.no_grad():
            return self.fn(_scalar(x), _scalar(y)).item()

    def point_at(self, fx: float, fy: float) -> tuple:
        """Weights at a fraction of the plot (0..1 from the left, 0..1 from the top), rounded for the labels."""
        x0, x1, y0, y1 = self.domain
        fx, fy = min(max(float(fx), 0.0), 1.0), min(max(float(fy), 0.0), 1.0)
        return round(x0 + fx * (x1 - x0), 2), round(y1 - fy * (y1 - y0), 2)

    def fraction_of(self, x: float, y: float) -> tuple:
        """Inverse of :meth:`point_at` (not clipped: paths may leave the plot)."""
        x0, x1, y0, y1 = self.domain
        return (x - x0) / (x1 - x0), (y1 - y) / (y1 - y0)


def _bowl(x, y):
    return x * x + y * y


def _elongated(x, y):
    return 0.05 * x * x + y * y


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _saddle(x, y):
    return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y


def _two_valleys(x, y):
    deep = pydl.exp(-((x - 1) ** 2 + (y - 1) ** 2) / 0.8)
    shallow = pydl.exp(-((x + 1.2) ** 2 + (y + 1) ** 2) / 0.5)
    return 0.08 * (x * x + y * y) - 2.0 * deep - 1.0 * shallow


SURFACES = {s.key: s for s in (
    Surface("bowl", "Round bowl", _bowl, (-2, 2, -2, 2), (-1.6, 1.4), ((0, 0),), 0.1, 0.05,
            "x\u00b2 + y\u00b2: the slope points straight at the minimum, so every method gets there."),
    Surface("elongated", "Elongated bowl", _elongated, (-3, 3, -3, 3), (-2.8, 1.5), ((0, 0),), 0.6, 0.1,
            "0.05 x\u00b2 + y\u00b2: steep across, nearly flat along. Plain SGD zig-zags across the valley and "
            "crawls along it; momentum builds up speed along the floor."),
    Surface("rosenbrock", "Rosenbrock valley", _rosenbrock, (-2, 2, -1, 3), (-1.5, 2.5), ((1, 1),), 0.0007, 0.05,
            "(1 \u2212 x)\u00b2 + 100 (y \u2212 x\u00b2)\u00b2: a curved, narrow valley; finding the valley is easy, "
            "following it to (1, 1) is slow."),
    Surface("saddle", "Saddle", _saddle, (-2, 2, -2, 2), (-1.8, 0.01), ((0, 1), (0, -1)), 0.1, 0.05,
            "\u00bd x\u00b2 + \u00bc y\u2074 \u2212 \u00bd y\u00b2: a saddle at (0, 0) between two valleys. Near the "
            "saddle the slope almost vanishes, so plain SGD lingers there."),
    Surface("valleys", "Local minima", _two_valleys, (-3, 3, -3, 3), (-2.4, -2.6), ((0.97, 0.97), (-1.15, -0.96)),
            0.2, 0.05,
            "A deep valley near (1, 1) and a shallower one near (\u22121.15, \u22120.96): where a method ends up depends "
            "on where it starts and how much momentum it carries."),
)}


def surface_grid(surface: Surface, resolution: int = 240) -> np.ndarray:
    """Loss values on a ``resolution`` x ``resolution`` grid, row 0 at the top (y max), in one vectorised call."""
    x0, x1, y0, y1 = surface.domain
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y1, y0, resolution)
    gx, gy = np.meshgrid(xs, ys)
    with pydl.no_grad():
        return surface(pydl.tensor(gx), pydl.tensor(gy)).numpy()


# Colours from low loss to high: a pale blue floor rising to pale sand, so coloured paths stand out.
_PALETTE = np.array([[30, 64, 175], [96, 165, 250], [191, 219, 254], [240, 249, 255], [254, 243, 199],
                     [253, 230, 138]], dtype=np.float64)


def contour_image(z: np.ndarray, levels: int = 16) -> np.ndarray:
    """RGBA pixels (uint8, rows x cols x 4) for a heat map of ``z`` with contour lines.

    Colours follow the rank of each value (histogram equalisation), so surfaces as different as a bowl and
    Rosenbrock's valley both get evenly spread colours and contour lines.
    """
    flat = z.reshape(-1)
    rank = np.empty(flat.size)
    rank[np.argsort(flat, kind="stable")] = np.linspace(0.0, 1.0, flat.size)
    t = rank.reshape(z.shape)
    scaled = t * (len(_PALETTE) - 1)
    low = np.minimum(scaled.astype(int), len(_PALETTE) - 2)
    frac = (scaled - low)[..., None]
    rgb = _PALETTE[low] * (1 - frac) + _PALETTE[low + 1] * frac
    band = np.minimum((t * levels).astype(int), levels - 1)
    edge = np.zeros(z.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] *= 0.72
    rgba = np.empty(z.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
    rgba[..., 3] = 255
    return rgba


# ----------------------------------------------------------------------------- the race
RACERS = (
    # key, label, colour
    ("sgd", "SGD", "#dc2626"),
    ("momentum", "Momentum", "#2563eb"),
    ("nesterov", "Nesterov", "#9333ea"),
    ("rmsprop", "RMSprop", "#ea580c"),
    ("adam", "Adam", "#16a34a"),
)
RATE_SLIDER = LogSlider(1e-4, 1.0, 80)
MOMENTUM_CHOICES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)


def check_race(raw: dict):
    """Validate the race settings: ``({"rate", "adaptive_rate", "momentum", "x", "y"}, None)`` or a message."""
    try:
        values = {
            "rate": _check_rate(raw.get("rate", ""), "SGD learning rate"),
            "adaptive_rate": _check_rate(raw.get("adaptive_rate", ""), "RMSprop/Adam learning rate"),
            "momentum": parse_number(raw.get("momentum", ""), "Momentum", 0.0),
        }
        if values["momentum"] >= 1:
            raise InputError(f"Momentum must be below 1, got {fmt(values['momentum'])}: with 1 or more the "
                             "velocity never decays.")
        for axis in ("x", "y"):
            if axis in raw:
                values[axis] = parse_number(raw[axis], f"Start {axis}", -1e3, 1e3)
    except InputError as error:
        return None, str(error)
    return values, None


def _make_optimizer(key: str, params, rate: float, adaptive_rate: float, momentum: float):
    if key == "sgd":
        return optimizers.SGD(params=params, learning_rate=rate)
    if key == "momentum":
        return optimizers.SGD(params=params, learning_rate=rate, momentum=momentum)
    if key == "nesterov":
        return optimizers.SGD(params=params, learning_rate=rate, momentum=momentum, nesterov=True)
    if key == "rmsprop":
        return optimizers.RMSprop(params=params, learning_rate=adaptive_rate)
    if key == "adam":
        return optimizers.Adam(params=params, learning_rate=adaptive_rate)
    raise KeyError(f"unknown racer {key!r}; choose from {', '.join(k for k, _, _ in RACERS)}")


class Race:
    """Optimizers minimising one :class:`Surface` from the same start, one step each per :meth:`step`.

    Each racer has its own pydl tensors for the two weights and its own optimizer. A racer whose weights leave the
    surface by far, or become non-finite, stops with the state ``"diverged"``; one still going after
    :attr:`MAX_STEPS` steps ends ``"unfinished"``.
    """

    MAX_STEPS = 1000

    def __init__(self, surface: Surface | str, start=None, rate=None, adaptive_rate=None, momentum=0.9,
                 racers=None):
        self.surface = SURFACES[surface] if isinstance(surface, str) else surface
        self.start = tuple(float(v) for v in (start or self.surface.start))
        self.rate = float(rate if rate is not None else self.surface.rate)
        self.adaptive_rate = float(adaptive_rate if adaptive_rate is not None else self.surface.adaptive_rate)
        self.momentum = float(momentum)
        keys = [k for k, _, _ in RACERS] if racers is None else list(racers)
        self.steps = 0
        self.racers = []
        for key in keys:
            label, colour = next((l, c) for k, l, c in RACERS if k == key)
            # Two scalar tensors rather than one of shape (2,): no indexing ops, so each step is cheaper.
            params = [pydl.tensor(v, dtype="float64", requires_grad=True, name=n) for v, n in zip(self.start, "xy")]
            self.racers.append({
                "key": key, "label": label, "colour": colour, "params": params,
                "optimizer": _make_optimizer(key, params, self.rate, self.adaptive_rate, self.momentum),
                "path": [self.start], "state": "running",
            })

    @property
    def finished(self) -> bool:
        return self.steps >= self.MAX_STEPS or all(r["state"] != "running" for r in self.racers)

    def _escaped(self, x: float, y: float) -> bool:
        x0, x1, y0, y1 = self.surface.domain
        margin = 10 * max(x1 - x0, y1 - y0)
        return not (math.isfinite(x) and math.isfinite(y)) or abs(x) > margin or abs(y) > margin

    def loss(self, racer: dict) -> float:
        """The loss at a racer's current weights."""
        return self.surface.value(*racer["path"][-1])

    def step(self, count: int = 1) -> None:
        for _ in range(count):
            if self.finished:
                return
            self.steps += 1
            for racer in self.racers:
                if racer["state"] != "running":
                    continue
                (px, py), optimizer = racer["params"], racer["optimizer"]
                self.surface(px, py).backward()
                grad_norm = math.hypot(float(px.grad), float(py.grad))
                optimizer.step()
                optimizer.zero_grad()
                x, y = px.item(), py.item()
                if self._escaped(x, y):
                    racer["state"] = "diverged"
                    px.data[...], py.data[...] = racer["path"][-1]
                    continue
                racer["path"].append((x, y))
                if grad_norm < 1e-6 and math.dist(racer["path"][-2], (x, y)) < 1e-7:
                    racer["state"] = "converged"
            if self.steps >= self.MAX_STEPS:  # out of steps: whoever is still going did not get there
                for racer in self.racers:
                    if racer["state"] == "running":
                        racer["state"] = "unfinished"

    def summary(self) -> list[dict]:
        """Per racer: label, colour, state, steps, position and loss, formatted for a table."""
        rows = []
        for racer in self.racers:
            x, y = racer["path"][-1]
            rows.append({
                "key": racer["key"], "label": racer["label"], "colour": racer["colour"], "state": racer["state"],
                "state_text": f"out of steps ({self.MAX_STEPS})" if racer["state"] == "unfinished" else racer["state"],
                "steps": len(racer["path"]) - 1, "x": _fixed(x), "y": _fixed(y), "loss": fmt(self.loss(racer), 3),
            })
        return rows

    def fractions(self, since: dict | None = None) -> dict:
        """Path points as plot fractions, per racer key; ``since`` maps keys to how many were already sent."""
        since = since or {}
        out = {}
        for racer in self.racers:
            points = racer["path"][since.get(racer["key"], 0):]
            out[racer["key"]] = [[round(v, 5) for v in self.surface.fraction_of(x, y)] for x, y in points]
        return out

