"""One weight, one input, squared error: the worked example of one update, stage by stage."""

from __future__ import annotations

import math

import pydl
from pydl import optimizers
from pydl.backend import np

from .validation import BLOW_UP, InputError, _check_rate, _scalar, fmt, fmt_factor, parse_number

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
        self.blown_up_loss = None  # the loss of the update that was refused, which the message names

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
            self.blown_up_loss = loss
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
                f"Diverged: the next update would take the loss from {fmt(self.losses[-1])} to "
                f"{fmt(self.blown_up_loss)}, past {fmt(BLOW_UP)}, and it would only keep growing, so updating "
                f"stopped at loss {fmt(self.losses[-1])}. "
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

