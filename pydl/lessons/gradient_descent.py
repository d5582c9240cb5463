"""Gradient descent, step by step: every number the page web/gradient-descent/ shows.

Three lessons, each a small class that a page drives and a native test checks:

* :class:`OneWeight`: the worked example of one weight (input 3, weight 2, target 10). Each quantity of one
  update is a stage the page reveals in turn; the slope comes from pydl's autograd, is checked against the
  formula 2 x error x input, and the update is made by :class:`pydl.optimizers.SGD`.
* :class:`Race`: optimizers from :mod:`pydl.optimizers` racing on a two-weight loss surface (a pydl function of
  two tensors, so autograd gives its gradient), from the same start.
* :class:`MiniBatch`: a straight line fitted to a small data set by mini-batch SGD, beside full-batch descent.

Inputs typed by a person are checked by ``check_*`` functions that return ``(values, None)`` or
``(None, message)``: a page shows the message and keeps its previous state.

>>> lesson = OneWeight(x=3, target=10, weight=2, learning_rate=0.01)
>>> [stage["text"] for stage in lesson.stages()]
['6', '-4', '16', '-24', '-0.24', '2.24']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pydl
from pydl import optimizers
from pydl.backend import np

__all__ = [
    "fmt", "fmt_factor", "parse_number", "InputError", "LogSlider",
    "OneWeight", "check_one_weight", "ONE_WEIGHT_DEFAULTS",
    "Surface", "SURFACES", "surface_grid", "contour_image", "Race", "RACERS", "check_race",
    "MiniBatch", "regression_data", "check_mini_batch", "MINI_BATCH_DEFAULTS",
]

# Beyond this size a weight or loss has "run off": the page says so instead of showing inf or NaN.
BLOW_UP = 1e12


# ----------------------------------------------------------------------------- numbers and inputs
def fmt(value, digits: int = 6) -> str:
    """A number as a person would write it: ``2.24`` not ``2.2399999999999998``, ``-24`` not ``-24.0``."""
    value = float(value)
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "infinite"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text in ("-0", "0") else text


def fmt_factor(value, digits: int = 6) -> str:
    """:func:`fmt` with a negative number in parentheses, for products and sums: ``2 \u00d7 (-4)``."""
    text = fmt(value, digits)
    return f"({text})" if text.startswith("-") else text


def _fixed(value: float, decimals: int = 3) -> str:
    """Coordinates with a fixed number of decimals (tiny values read as 0.000, never -0.000)."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


class InputError(ValueError):
    """A value typed into the page that cannot be used; the message is shown as it is."""


def parse_number(raw, label: str, minimum: float | None = None, maximum: float | None = None,
                 positive: bool = False, integer: bool = False) -> float:
    """``raw`` (text from an input field, or a number) as a float, or an :class:`InputError` for people."""
    text = str(raw).strip().replace("\u2212", "-")  # a typographic minus sign is still a minus sign
    if text == "":
        raise InputError(f"{label} is empty: type a number.")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{label}: \u201c{text}\u201d is not a number. Type a number such as 0.5.") from None
    if not math.isfinite(value):
        raise InputError(f"{label} must be a finite number, not {text}.")
    if integer and value != int(value):
        raise InputError(f"{label} must be a whole number, got {fmt(value)}.")
    if positive and value <= 0:
        raise InputError(f"{label} must be greater than 0, got {fmt(value)}.")
    if minimum is not None and value < minimum:
        raise InputError(f"{label} must be at least {fmt(minimum)}, got {fmt(value)}.")
    if maximum is not None and value > maximum:
        raise InputError(f"{label} must be at most {fmt(maximum)}, got {fmt(value)}.")
    return int(value) if integer else value


def _check_rate(raw, label: str = "Learning rate", maximum: float = 10.0) -> float:
    value = parse_number(raw, label, maximum=maximum)
    if value <= 0:
        raise InputError(
            f"{label} must be greater than 0, got {fmt(value)}: a step of -rate \u00d7 slope with a negative rate "
            "would climb uphill, and a rate of 0 would never move."
        )
    return value


@dataclass(frozen=True)
class LogSlider:
    """Maps an integer slider position to a round number on a log scale (and back), for rate sliders."""

    low: float
    high: float
    steps: int = 60

    def value(self, position) -> float:
        position = min(max(int(position), 0), self.steps)
        exact = self.low * (self.high / self.low) ** (position / self.steps)
        return float(f"{exact:.2g}")  # two significant digits: labels a person can read and retype

    def position(self, value: float) -> int:
        value = min(max(float(value), self.low), self.high)
        return round(self.steps * math.log(value / self.low) / math.log(self.high / self.low))


def _scalar(value) -> pydl.Tensor:
    return pydl.tensor(float(value), dtype="float64")


# ----------------------------------------------------------------------------- one weight
ONE_WEIGHT_DEFAULTS = {"x": 3.0, "target": 10.0, "weight": 2.0, "learning_rate": 0.01}
_ONE_WEIGHT_LABELS = {"x": "Input", "target": "Target", "weight": "Weight", "learning_rate": "Learning rate"}


def check_one_weight(raw: dict):
    """``({"x", "target", "weight", "learning_rate"}, None)`` from typed text, or ``(None, message)``."""
    try:
        values = {key: parse_number(raw.get(key, ""), _ONE_WEIGHT_LABELS[key], -1e6, 1e6)
                  for key in ("x", "target", "weight")}
        values["learning_rate"] = _check_rate(raw.get("learning_rate", ""))
    except InputError as error:
        return None, str(error)
    return values, None


class OneWeight:
    """One weight, one input, squared error: ``prediction = x w``, ``loss = (prediction - target)^2``.

    :meth:`stages` lists the quantities of the next update in the order they are computed; :meth:`update`
    applies it (with :class:`pydl.optimizers.SGD`); :attr:`history` holds every weight visited.
    """

    STAGES = ("prediction", "error", "loss", "slope", "step", "new_weight")

    def __init__(self, x=3.0, target=10.0, weight=2.0, learning_rate=0.01):
        self.x, self.target, self.learning_rate = float(x), float(target), float(learning_rate)
        self.weight = pydl.tensor(float(weight), dtype="float64", requires_grad=True, name="w")
        self.optimizer = optimizers.SGD(params=[self.weight], learning_rate=self.learning_rate)
        self.history = [float(weight)]
        self.losses = [self.loss_at(float(weight))]
        self.blown_up = False

    # -- the arithmetic of one update, by pydl
    def loss_at(self, weight):
        """The loss at one weight or (vectorised) at an array of weights."""
        with pydl.no_grad():
            w = pydl.tensor(np.asarray(weight, dtype=np.float64))
            loss = (w * self.x - self.target) ** 2
        return loss.item() if loss.ndim == 0 else loss.numpy()

    def _forward(self):
        self.weight.grad = None
        prediction = self.weight * _scalar(self.x)
        error = prediction - _scalar(self.target)
        loss = error ** 2
        loss.backward()  # autograd fills weight.grad: the slope of the loss at this weight
        return prediction.item(), error.item(), loss.item(), self.weight.grad.item()

    def stages(self) -> list[dict]:
        """The quantities of the next update, each with its formula and the arithmetic with the numbers."""
        w, x, t, lr = self.weight.item(), self.x, self.target, self.learning_rate
        prediction, error, loss, slope = self._forward()
        by_formula = 2 * error * x  # the course's formula, which autograd must agree with
        step = lr * slope
        new_weight = w - step
        f, p = fmt, fmt_factor
        rows = [
            ("prediction", "Prediction", "input \u00d7 weight", f"{f(x)} \u00d7 {p(w)}", prediction),
            ("error", "Error", "prediction \u2212 target", f"{f(prediction)} \u2212 {p(t)}", error),
            ("loss", "Loss", "error\u00b2", f"({f(error)})\u00b2", loss),
            ("slope", "Slope of the loss", "2 \u00d7 error \u00d7 input",
             f"2 \u00d7 {p(error)} \u00d7 {p(x)}", slope),
            ("step", "Step", "learning rate \u00d7 slope", f"{f(lr)} \u00d7 {p(slope)}", step),
            ("new_weight", "New weight", "weight \u2212 step", f"{f(w)} \u2212 {p(step)}", new_weight),
        ]
        out = []
        for key, label, formula, arithmetic, value in rows:
            out.append({"key": key, "label": label, "formula": formula, "arithmetic": arithmetic,
                        "value": float(value), "text": f(value)})
        out[3]["autograd"] = slope
        out[3]["by_formula"] = by_formula
        return out

    def update(self) -> None:
        """Apply one update with pydl's SGD; stops (and sets :attr:`blown_up`) when the numbers run off."""
        if self.blown_up:
            return
        self._forward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        w = self.weight.item()
        loss = self.loss_at(w)
        if not (math.isfinite(w) and math.isfinite(loss) and abs(w) < BLOW_UP and loss < BLOW_UP):
            self.blown_up = True
            self.weight.data[...] = self.history[-1]
            return
        self.history.append(w)
        self.losses.append(loss)

    # -- what the learning rate does
    def thresholds(self) -> dict:
        """Rates below ``smooth`` approach the minimum from one side; below ``stable`` they still converge."""
        curvature = 2 * self.x ** 2  # second derivative of (x w - t)^2 with respect to w
        if curvature == 0:
            return {"curvature": 0.0, "smooth": math.inf, "stable": math.inf}
        return {"curvature": curvature, "smooth": 1 / curvature, "stable": 2 / curvature}

    def status(self) -> dict:
        """``{"state", "message"}``: where the updates so far are heading, in words."""
        limits = self.thresholds()
        advice = ""
        if math.isfinite(limits["stable"]):
            advice = (f" With input {fmt(self.x)} any rate above {fmt(limits['stable'], 3)} diverges; below "
                      f"{fmt(limits['smooth'], 3)} the weight approaches the minimum without overshooting.")
        if self.blown_up:
            return {"state": "blown-up", "message": (
                f"Diverged: the loss grew past {fmt(BLOW_UP)} and would only keep growing, so updating stopped. "
                f"The learning rate {fmt(self.learning_rate)} is far too large." + advice + " Lower it and reset.")}
        if self.x == 0:
            return {"state": "flat", "message": "With input 0 the prediction is always 0: the slope is 0 and the "
                    "weight never moves."}
        if len(self.history) < 2:
            return {"state": "start", "message": "Press Step to compute the next quantity."}
        best = self.target / self.x
        before, after = self.history[-2] - best, self.history[-1] - best
        if abs(after) > abs(before) * (1 + 1e-12):
            return {"state": "diverging", "message": (
                f"Diverging: the learning rate {fmt(self.learning_rate)} is too large. Each step jumps over the "
                "minimum and lands farther away than it started, so the loss grows." + advice)}
        if before * after < 0:
            return {"state": "overshooting", "message": (
                "Overshooting: the step jumps past the minimum to the other side, but lands closer each time, "
                "so it still converges." + advice)}
        if abs(after) < 1e-9 * max(1.0, abs(best)):
            return {"state": "converged", "message": f"Converged: the weight is at the minimum, {fmt(best)}."}
        return {"state": "converging", "message": "Converging: each step moves the weight downhill, toward the "
                f"minimum at {fmt(best)} (where prediction = target)."}

    def curve(self, points: int = 121) -> dict:
        """The loss over a range of weights that shows every weight visited, plus the tangent at the current one.

        Returns lists for a chart: ``w`` (sorted), ``loss``, ``tangent`` (None away from the current weight),
        ``current`` and ``visited`` (None except at those weights).
        """
        w = self.weight.item()
        centre = self.target / self.x if self.x != 0 else w
        recent = self.history[-12:]  # a diverging run would otherwise zoom out to nothing
        half = max(max(abs(v - centre) for v in recent) * 1.25, 1.0)
        grid = np.linspace(centre - half, centre + half, points)
        _, _, loss, slope = self._forward()
        reach = half * 0.35
        ends = [w - reach, w + reach]
        xs = np.unique(np.concatenate([grid, recent, ends, [w]]))
        losses = self.loss_at(xs)
        tangent = loss + slope * (xs - w)
        near = np.abs(xs - w) <= reach * (1 + 1e-9)
        visited = set(recent)
        return {
            "w": xs.tolist(),
            "loss": losses.tolist(),
            "tangent": [float(v) if ok else None for v, ok in zip(tangent, near)],
            "current": [float(l) if v == w else None for v, l in zip(xs, losses)],
            "visited": [float(l) if v in visited and v != w else None for v, l in zip(xs, losses)],
            "weight": w, "slope": slope,
        }


# ----------------------------------------------------------------------------- two weights: loss surfaces
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
    surface by far, or become non-finite, stops with the state ``"diverged"``.
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

    def summary(self) -> list[dict]:
        """Per racer: label, colour, state, steps, position and loss, formatted for a table."""
        rows = []
        for racer in self.racers:
            x, y = racer["path"][-1]
            rows.append({
                "key": racer["key"], "label": racer["label"], "colour": racer["colour"], "state": racer["state"],
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


# ----------------------------------------------------------------------------- mini-batch SGD
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
            message = (f"Diverged: with learning rate {fmt(self.learning_rate)} the loss grew past {fmt(BLOW_UP)}, "
                       "so training stopped. Lower the rate and reset.")
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
