"""Backpropagation with the exact numbers: everything the page web/backprop/ shows.

A small fully connected network without biases (inputs, up to 3 hidden layers of up to 4 units, one linear
output) and the squared error of one example. The lesson computes the same slopes twice:

* explicitly, as the course teaches them: a weight's slope is the product of the slope of the loss with
  respect to the node it feeds, the value feeding in, and the slope of that node's activation; a node's slope
  is the sum, over its outgoing weights, of weight x slope of the node fed x that node's activation slope;
* by pydl's autograd, on the same network built from pydl tensors (which also gives the computation graph,
  the finite-difference check and the update made by :class:`pydl.optimizers.SGD`).

>>> net = Network()
>>> [node["text"] for node in net.forward()[-1]]
['9']
>>> [w["text"] for w in net.backward()["weights"][1]]
['-10', '-2']
"""

from __future__ import annotations

import math

import pydl
from pydl import optimizers
from pydl.autograd import no_grad
from pydl.backend import np
from pydl.lessons.gradient_descent import InputError, fmt, fmt_factor, parse_number

__all__ = ["Network", "check_network", "default_weights", "node_names", "DEFAULTS", "ACTIVATIONS",
           "MAX_INPUTS", "MAX_HIDDEN_LAYERS", "MAX_UNITS"]

MAX_INPUTS, MAX_HIDDEN_LAYERS, MAX_UNITS = 4, 3, 4
LIMIT = 1e6  # typed numbers beyond this make the arithmetic unreadable, not more instructive
# The gradient check: the finite-difference step relative to the weight, the relative tolerance, and a bound on
# the rounding error of one loss difference in float64 (a few machine epsilons of the loss, times two for the
# Richardson combination).
STEP, RTOL, ROUNDING = 1e-3, 1e-6, 8 * 2.2e-16

# The course's small network: inputs (2, 3), hidden weights (1, 1) and (-1, 1), output weights (2, -1).
DEFAULTS = {
    "inputs": [2.0, 3.0],
    "hidden": [2],
    "weights": [[[1.0, -1.0], [1.0, 1.0]], [[2.0], [-1.0]]],
    "target": 10.0,
    "learning_rate": 0.01,
    "activation": "relu",
}
_DEFAULT_INPUTS = [2.0, 3.0, 1.0, -1.0]


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_slope(z):
    return (z > 0).astype(np.float64)  # pydl's relu takes the slope at 0 to be 0, and so do we


def _tanh_slope(z):
    return 1.0 - np.tanh(z) ** 2


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_slope(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


# name: (explicit function, its slope, the pydl op, the slope's formula in words)
ACTIVATIONS = {
    "relu": (_relu, _relu_slope, pydl.relu, "1 if z > 0 else 0"),
    "tanh": (np.tanh, _tanh_slope, pydl.tanh, "1 \u2212 tanh(z)\u00b2"),
    "sigmoid": (_sigmoid, _sigmoid_slope, pydl.sigmoid, "s(z) (1 \u2212 s(z))"),
}


def node_names(sizes: list[int]) -> list[list[str]]:
    """Labels per layer: x1.. for inputs, h1.. for one hidden layer (a1.., b1.., c1.. for several), out."""
    hidden = len(sizes) - 2
    letters = ["h"] if hidden == 1 else ["a", "b", "c"][:hidden]
    names = [[f"x{i + 1}" for i in range(sizes[0])]]
    names += [[f"{letters[k]}{i + 1}" for i in range(sizes[k + 1])] for k in range(hidden)]
    names.append(["out"])
    return names


def default_weights(sizes: list[int]) -> list[list[list[float]]]:
    """The course's weights for the default shape; otherwise small round weights from a fixed seed."""
    if list(sizes) == [2, 2, 1]:
        return [[list(row) for row in layer] for layer in DEFAULTS["weights"]]
    rng = np.random.default_rng(sum((i + 1) * n for i, n in enumerate(sizes)))
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        values = np.round(rng.uniform(0.2, 1.2, (n_in, n_out)) * rng.choice([-1, 1], (n_in, n_out)), 1)
        values[0] = np.abs(values[0])  # keeps every unit fed something positive, so ReLUs start alive
        weights.append(values.tolist())
    return weights


def default_inputs(count: int) -> list[float]:
    return _DEFAULT_INPUTS[:count]


def check_network(raw: dict):
    """A :class:`Network` from the page's fields, or ``(None, message)``.

    ``raw`` holds ``inputs`` (list of text), ``hidden`` (list of unit counts), ``weights`` (nested lists of
    text, ``weights[layer][from][to]``), ``target``, ``learning_rate`` and ``activation``.
    """
    try:
        hidden = [int(parse_number(h, "Units per hidden layer", 1, MAX_UNITS, integer=True))
                  for h in raw.get("hidden", [])]
        if not 1 <= len(hidden) <= MAX_HIDDEN_LAYERS:
            raise InputError(f"Use 1 to {MAX_HIDDEN_LAYERS} hidden layers, got {len(hidden)}.")
        raw_inputs = list(raw.get("inputs", []))
        if not 1 <= len(raw_inputs) <= MAX_INPUTS:
            raise InputError(f"Use 1 to {MAX_INPUTS} inputs, got {len(raw_inputs)}.")
        inputs = [parse_number(v, f"Input x{i + 1}", -LIMIT, LIMIT) for i, v in enumerate(raw_inputs)]
        sizes = [len(inputs), *hidden, 1]
        names = node_names(sizes)
        raw_weights = raw.get("weights")
        weights = []
        for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            rows = []
            for i in range(n_in):
                row = []
                for j in range(n_out):
                    label = f"Weight {names[layer][i]}\u2192{names[layer + 1][j]}"
                    try:
                        text = raw_weights[layer][i][j]
                    except (TypeError, IndexError, KeyError):
                        raise InputError(f"{label} is missing.") from None
                    row.append(parse_number(text, label, -LIMIT, LIMIT))
                rows.append(row)
            weights.append(rows)
        target = parse_number(raw.get("target", ""), "Target", -LIMIT, LIMIT)
        rate = parse_number(raw.get("learning_rate", ""), "Learning rate", maximum=10.0)
        if rate == 0:
            raise InputError("Learning rate must be greater than 0, got 0: a rate of 0 would leave every weight "
                             "where it is.")
        if rate < 0:
            raise InputError(f"Learning rate must be greater than 0, got {fmt(rate)}: a negative rate would "
                             "move every weight uphill.")
        activation = str(raw.get("activation", "relu"))
        if activation not in ACTIVATIONS:
            raise InputError(f"Unknown activation {activation!r}: choose {', '.join(ACTIVATIONS)}.")
    except InputError as error:
        return None, str(error)
    return Network(inputs, hidden, weights, target, rate, activation), None


class Network:
    """The lesson's network and one training example; weights are ``weights[layer][from][to]``."""

    def __init__(self, inputs=None, hidden=None, weights=None, target=None, learning_rate=None, activation="relu"):
        self.inputs = [float(v) for v in (DEFAULTS["inputs"] if inputs is None else inputs)]
        self.hidden = list(DEFAULTS["hidden"] if hidden is None else hidden)
        self.sizes = [len(self.inputs), *self.hidden, 1]
        self.weights = [np.asarray(w, dtype=np.float64) for w in (default_weights(self.sizes) if weights is None
                                                                  else weights)]
        for layer, (w, n_in, n_out) in enumerate(zip(self.weights, self.sizes[:-1], self.sizes[1:])):
            if w.shape != (n_in, n_out):
                raise ValueError(f"weights[{layer}] has shape {w.shape}, expected ({n_in}, {n_out}) for sizes "
                                 f"{self.sizes}.")
        self.target = float(DEFAULTS["target"] if target is None else target)
        self.learning_rate = float(DEFAULTS["learning_rate"] if learning_rate is None else learning_rate)
        self.activation = activation
        self.names = node_names(self.sizes)

    @property
    def layers(self) -> int:
        """Number of weight layers."""
        return len(self.weights)

    def _is_output(self, layer: int) -> bool:
        return layer == len(self.sizes) - 1

    # ------------------------------------------------------------------ explicit arithmetic
    def _explicit(self):
        """Pre-activations ``z`` and values ``a`` of every layer (``a[0]`` are the inputs), in NumPy."""
        act, _, _, _ = ACTIVATIONS[self.activation]
        a, z = [np.asarray(self.inputs, dtype=np.float64)], [None]
        for layer, w in enumerate(self.weights, start=1):
            pre = a[-1] @ w
            z.append(pre)
            a.append(pre if self._is_output(layer) else act(pre))  # the output is linear, as in the course
        return z, a

    def forward(self) -> list[list[dict]]:
        """Every node's value, layer by layer, with the sum that produced it (inputs have no sum)."""
        z, a = self._explicit()
        layers = [[{"name": n, "layer": 0, "index": i, "value": float(v), "text": fmt(v),
                    "formula": f"{n} = {fmt(v)} (input)"} for i, (n, v) in enumerate(zip(self.names[0], a[0]))]]
        for layer in range(1, len(self.sizes)):
            w = self.weights[layer - 1]
            nodes = []
            for j, name in enumerate(self.names[layer]):
                terms = " + ".join(f"{fmt_factor(a[layer - 1][i])}\u00d7{fmt_factor(w[i, j])}"
                                   for i in range(w.shape[0]))
                total = fmt(z[layer][j])
                if self._is_output(layer):
                    formula = f"{name} = {terms} = {total}"
                else:
                    formula = f"{name} = {self.activation}({terms}) = {self.activation}({total}) = {fmt(a[layer][j])}"
                nodes.append({"name": name, "layer": layer, "index": j, "value": float(a[layer][j]),
                              "pre": float(z[layer][j]), "text": fmt(a[layer][j]), "formula": formula})
            layers.append(nodes)
        return layers

    def prediction(self) -> float:
        return float(self._explicit()[1][-1][0])

    def loss(self) -> float:
        return (self.prediction() - self.target) ** 2

    def backward(self) -> dict:
        """Slopes by the course's products, from the output back.

        Returns ``{"output": {...}, "nodes": [[...] per layer], "weights": [[...] per layer]}``. Node entries
        (``nodes[layer][i]``) give ``slope`` (of the loss with respect to the node's value) and ``terms`` (one per
        outgoing weight); weight entries (``weights[layer]``, flattened from-major) give ``slope`` and its three
        ``factors``: slope of the node fed, value feeding in, activation slope of the node fed.
        """
        _, act_slope, _, _ = ACTIVATIONS[self.activation]
        z, a = self._explicit()
        top = len(self.sizes) - 1
        error = float(a[top][0] - self.target)
        node_slope = {top: np.array([2.0 * error])}
        local = {top: np.ones(1)}  # the output is linear: its activation slope is 1
        for layer in range(1, top):
            local[layer] = act_slope(z[layer])
        nodes = {top: [{"name": "out", "layer": top, "index": 0, "slope": 2.0 * error, "text": fmt(2.0 * error),
                        "formula": f"2 \u00d7 (out \u2212 target) = 2 \u00d7 ({fmt(a[top][0])} \u2212 "
                                   f"{fmt(self.target)}) = {fmt(2.0 * error)}", "terms": []}]}
        weights = {}
        for layer in range(top, 0, -1):  # weights feeding `layer`, then the slopes of the nodes below
            w = self.weights[layer - 1]
            entries = []
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    factors = (float(node_slope[layer][j]), float(a[layer - 1][i]), float(local[layer][j]))
                    slope = factors[0] * factors[1] * factors[2]
                    src, dst = self.names[layer - 1][i], self.names[layer][j]
                    entries.append({
                        "name": f"{src}\u2192{dst}", "layer": layer - 1, "from": i, "to": j,
                        "weight": float(w[i, j]), "slope": slope, "text": fmt(slope), "factors": factors,
                        "formula": " \u00d7 ".join(fmt_factor(v) for v in factors) + f" = {fmt(slope)}",
                    })
            weights[layer - 1] = entries
            below = layer - 1
            slopes = np.array([sum(w[i, j] * node_slope[layer][j] * local[layer][j] for j in range(w.shape[1]))
                               for i in range(w.shape[0])])
            node_slope[below] = slopes
            entries = []
            for i, name in enumerate(self.names[below]):
                terms = [{"to": self.names[layer][j], "weight": float(w[i, j]),
                          "slope": float(node_slope[layer][j]), "local": float(local[layer][j])}
                         for j in range(w.shape[1])]
                sum_text = " + ".join("\u00d7".join(fmt_factor(t[k]) for k in ("weight", "slope", "local"))
                                      for t in terms)
                entries.append({"name": name, "layer": below, "index": i, "slope": float(slopes[i]),
                                "text": fmt(slopes[i]), "terms": terms,
                                "formula": f"{sum_text} = {fmt(slopes[i])}"})
            nodes[below] = entries
        return {
            "error": error,
            "output": nodes[top][0],
            "nodes": [nodes[layer] for layer in range(top + 1)],
            "weights": [weights[layer] for layer in range(top)],
        }

    # ------------------------------------------------------------------ the same by autograd
    def _tensors(self):
        params = [pydl.tensor(w.copy(), requires_grad=True, name=f"W{k + 1}") for k, w in enumerate(self.weights)]
        x = pydl.tensor(np.asarray([self.inputs], dtype=np.float64), name="x")
        return x, params

    def _loss_of(self, x, params, keep=None):
        _, _, op, _ = ACTIVATIONS[self.activation]
        value = x
        for layer, w in enumerate(params, start=1):
            z = value @ w
            if self._is_output(layer):
                z.name = "out"
                value = z
            else:
                z.name = f"z{layer}"
                value = op(z)
                value.name = f"h{layer}" if len(self.hidden) > 1 else "h"
            if keep is not None:
                keep.append(value)
        error = value - pydl.tensor(np.array([[self.target]]), name="target")
        error.name = "error"
        loss = (error ** 2).mean()
        loss.name = "loss"
        return loss

    def autograd(self) -> dict:
        """Loss, weight gradients and node gradients (``dL/d value`` per layer) from pydl's ``backward``."""
        x, params = self._tensors()
        values = []
        loss = pydl.graph.retain_grads(self._loss_of(x, params, keep=values))  # the page shows every gradient
        loss.backward()
        return {
            "loss": loss.item(),
            "tensor": loss,
            "weights": [p.grad.copy() for p in params],
            "nodes": [v.grad.reshape(-1).copy() for v in values],
            "graph": pydl.trace(loss),
        }

    def _nudged_loss(self, x, params, k, i, j, step):
        """The loss with weight ``[k][i, j]`` moved by ``step``, and whether a ReLU changed side of its kink."""
        nudged = [w.copy() for w in self.weights]
        nudged[k][i, j] += step
        params[k].data = nudged[k]
        loss = self._loss_of(x, params).item()
        params[k].data = self.weights[k].copy()
        crossed = []
        if self.activation == "relu":
            z_now, _ = self._explicit()
            z_nudged, _ = Network(self.inputs, self.hidden, nudged, self.target, self.learning_rate,
                                  self.activation)._explicit()
            crossed = [self.names[layer][u] for layer in range(1, len(self.sizes) - 1)
                       for u in range(self.sizes[layer]) if (z_now[layer][u] > 0) != (z_nudged[layer][u] > 0)]
        return loss, crossed

    def gradient_check(self) -> dict:
        """For every weight: autograd's gradient beside a finite-difference estimate, and whether they agree.

        The estimate is Richardson's extrapolation of two central differences, ``(4 D(h/2) - D(h)) / 3`` with
        ``D(h) = (loss(w + h) - loss(w - h)) / 2h``: it cancels the ``h**2`` error term, so a step as large as
        ``h = STEP * max(1, |w|)`` (relative to the weight, so a large weight still moves) leaves a truncation
        error of order ``h**4`` and a rounding error of only about ``machine eps * loss / h``. (A plain central
        difference with h = 1e-6 on a loss of ~100 carries a rounding error of ~1e-10, a relative error of 1e-3
        on a slope of 1e-5: a correct gradient looked wrong.) A row agrees when
        ``|autograd - estimate| <= RTOL * |autograd| + rounding bound + |D(h) - D(h/2)| * 1e-3``: the last term
        bounds what the extrapolation cannot remove. Where a nudge moves a ReLU across its kink the loss is not
        smooth there and the note says so.
        """
        x, params = self._tensors()
        self._loss_of(x, params).backward()
        loss = self.loss()
        rows, kinks = [], []
        with no_grad():
            for k, p in enumerate(params):
                for i in range(p.shape[0]):
                    for j in range(p.shape[1]):
                        h = STEP * max(1.0, abs(float(self.weights[k][i, j])))
                        values, crossed = {}, set()
                        for step in (h, -h, h / 2, -h / 2):
                            values[step], nudge_crossed = self._nudged_loss(x, params, k, i, j, step)
                            crossed.update(nudge_crossed)
                        wide = (values[h] - values[-h]) / (2 * h)
                        narrow = (values[h / 2] - values[-h / 2]) / h
                        est = (4 * narrow - wide) / 3
                        auto = float(p.grad[i, j])
                        rounding = ROUNDING * max(1.0, abs(loss)) / h
                        tolerance = RTOL * abs(auto) + rounding + 1e-3 * abs(wide - narrow)
                        scale = max(abs(auto), abs(est))
                        rel = 0.0 if scale < 1e-12 else abs(auto - est) / scale
                        kinks += [name for name in sorted(crossed) if name not in kinks]
                        rows.append({"name": f"{self.names[k][i]}\u2192{self.names[k + 1][j]}", "layer": k,
                                     "from": i, "to": j, "step": h, "autograd": auto, "numeric": est,
                                     "relative_error": rel, "tolerance": tolerance, "crosses_kink": bool(crossed),
                                     "autograd_text": fmt(auto, 8), "numeric_text": fmt(est, 8),
                                     "error_text": f"{rel:.1e}", "ok": abs(auto - est) <= tolerance})
        note = ""
        if kinks:
            note = (f"{', '.join(kinks)} sit{'s' if len(kinks) == 1 else ''} so close to ReLU's kink (z = 0) that "
                    "the finite difference's nudges cross it, where the slope jumps from 0 to 1: autograd takes the "
                    "slope on one side, the estimate averages both, so weights feeding through "
                    f"{'it' if len(kinks) == 1 else 'them'} may disagree, and neither is wrong.")
        return {"rows": rows, "worst": max((r["relative_error"] for r in rows), default=0.0),
                "all_ok": all(r["ok"] for r in rows), "note": note}

    def updated(self) -> tuple[Network, list[dict]]:
        """All weights updated together by one SGD step: the new network and, per weight, old, slope, new."""
        x, params = self._tensors()
        self._loss_of(x, params).backward()
        old = [p.numpy().copy() for p in params]
        grads = [p.grad.copy() for p in params]
        optimizer = optimizers.SGD(params=params, learning_rate=self.learning_rate)
        optimizer.step()
        new_weights = [p.numpy().copy() for p in params]
        rows = []
        for k in range(len(params)):
            for i in range(old[k].shape[0]):
                for j in range(old[k].shape[1]):
                    rows.append({"name": f"{self.names[k][i]}\u2192{self.names[k + 1][j]}", "layer": k,
                                 "from": i, "to": j, "old": float(old[k][i, j]), "slope": float(grads[k][i, j]),
                                 "new": float(new_weights[k][i, j]),
                                 "formula": f"{fmt(old[k][i, j])} \u2212 {fmt(self.learning_rate)} \u00d7 "
                                            f"{fmt_factor(grads[k][i, j])} = {fmt(new_weights[k][i, j])}"})
        network = Network(self.inputs, self.hidden, [w.tolist() for w in new_weights], self.target,
                          self.learning_rate, self.activation)
        if not all(math.isfinite(r["new"]) for r in rows):
            raise OverflowError("the update produced weights too large to represent; lower the learning rate")
        return network, rows

    # ------------------------------------------------------------------ the step-by-step script
    def script(self) -> list[dict]:
        """The events the page reveals one per Step: forward values, then slopes from the output back."""
        events = []
        for layer in self.forward()[1:]:
            for node in layer:
                events.append({"phase": "forward", "kind": "node", "layer": node["layer"], "index": node["index"],
                               "text": node["formula"]})
        back = self.backward()
        out = back["output"]
        events.append({"phase": "backward", "kind": "node", "layer": out["layer"], "index": 0,
                       "text": f"slope of the loss at out = {out['formula']}"})
        for layer in range(self.layers - 1, -1, -1):
            for w in back["weights"][layer]:
                events.append({"phase": "backward", "kind": "weight", "layer": layer, "from": w["from"],
                               "to": w["to"], "text": f"slope of w({w['name']}) = slope at "
                               f"{self.names[layer + 1][w['to']]} \u00d7 {self.names[layer][w['from']]} \u00d7 "
                               f"activation slope = {w['formula']}"})
            if layer > 0:
                for node in back["nodes"][layer]:
                    events.append({"phase": "backward", "kind": "node", "layer": layer, "index": node["index"],
                                   "text": f"slope of the loss at {node['name']} = \u03a3 weight \u00d7 slope \u00d7 "
                                   f"activation slope = {node['formula']}"})
        return events
