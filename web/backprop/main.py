"""The backprop page's glue: fields in, pydl.lessons.backprop out, drawn as SVG and tables.

Every number shown comes from the lesson module (tests/lessons/test_backprop.py checks the same numbers
natively). DOM changes go through pydl_page.apply in batches, because each call from this worker is a round trip.
"""

import html
import traceback

from pydl_page import apply, listen, read, run_page

bp = None  # pydl.lessons.backprop, imported once pydl is loaded
graph_views = network_diagrams = None  # from drawings.py, which imports pydl too
MARKS = {True: "\u2713", False: "\u2717"}


def esc(text):
    return html.escape(str(text))


def fmt(value, digits=6):
    return bp.fmt(value, digits)


# ---------------------------------------------------------------------------------------------- the page
class BackpropPage:
    def __init__(self):
        self.sizes = [2, 2, 1]
        self.network = bp.Network()
        self.starting = self.network  # the weights as last typed, before any update: "Start over" offers them
        self.live = False  # buttons stay disabled until main() has connected them
        self.fields_for(self.network)
        self.start_over()

    # -- fields
    def fields_for(self, network):
        """(Re)build the input, unit and weight fields for the network's shape, filled with its numbers."""
        sizes, names = network.sizes, network.names
        units = "".join(
            f'<label>Units in hidden layer {k + 1} <select id="bp-units-{k}" class="bp-structure">'
            + "".join(f'<option{" selected" if n == sizes[k + 1] else ""}>{n}</option>'
                      for n in range(1, bp.MAX_UNITS + 1)) + "</select></label>"
            for k in range(len(sizes) - 2))
        inputs = "".join(f'<label>{esc(name)} <input id="bp-x-{i}" class="bp-field" type="text" inputmode="decimal" '
                         f'autocomplete="off" value="{esc(fmt(v, 10))}"></label>'
                         for i, (name, v) in enumerate(zip(names[0], network.inputs)))
        weights = []
        for layer, w in enumerate(network.weights):
            cells = "".join(
                f'<label>{esc(names[layer][i])}\u2192{esc(names[layer + 1][j])} <input id="bp-w-{layer}-{i}-{j}" '
                f'class="bp-field" type="text" inputmode="decimal" autocomplete="off" value="{esc(fmt(w[i, j], 10))}">'
                "</label>" for i in range(w.shape[0]) for j in range(w.shape[1]))
            weights.append(f'<fieldset style="--cols:{w.shape[1]}"><legend>into {esc(" ".join(names[layer + 1]))}'
                           f"</legend>{cells}</fieldset>")
        apply([{"id": "bp-units", "html": units}, {"id": "bp-inputs", "html": inputs},
               {"id": "bp-weights", "html": "".join(weights)},
               {"id": "bp-n-inputs", "value": str(sizes[0])}, {"id": "bp-n-layers", "value": str(len(sizes) - 2)}])

    def read_raw(self):
        fields = read(selector="#bp-setup input, #bp-setup select")
        sizes = [int(fields["bp-n-inputs"])] + [int(fields[f"bp-units-{k}"]) for k in range(len(self.sizes) - 2)] + [1]
        weights = [[[fields.get(f"bp-w-{layer}-{i}-{j}") for j in range(sizes[layer + 1])]
                    for i in range(sizes[layer])] for layer in range(len(sizes) - 1)]
        return {"inputs": [fields.get(f"bp-x-{i}") for i in range(sizes[0])], "hidden": sizes[1:-1],
                "weights": weights, "target": fields["bp-target"], "learning_rate": fields["bp-rate"],
                "activation": fields["bp-activation"]}

    def field_labels(self):
        names = self.network.names
        labels = {"bp-target": "Target", "bp-rate": "Learning rate"}
        labels.update({f"bp-x-{i}": f"Input {n}" for i, n in enumerate(names[0])})
        for layer in range(len(names) - 1):
            for i, a in enumerate(names[layer]):
                for j, b in enumerate(names[layer + 1]):
                    labels[f"bp-w-{layer}-{i}-{j}"] = f"Weight {a}\u2192{b}"
        return labels

    def on_change(self):
        network, message = bp.check_network(self.read_raw())
        ops = [{"id": "bp-message", "text": message or "", "hidden": not message}]
        ops += [{"id": field, "attrs": {"aria-invalid": "true" if message and message.startswith(label + " ")
                                        or message and message.startswith(label + ":") else "false"}}
                for field, label in self.field_labels().items()]
        apply(ops)
        if network is not None:
            self.network = self.starting = network
            self.sizes = network.sizes
            self.start_over()

    def on_setup_change(self):
        """Any field of the setup changed (one listener for all, so fields rebuilt later are covered too)."""
        fields = read(selector="#bp-setup select")
        n_layers = int(fields["bp-n-layers"])
        hidden = [int(fields.get(f"bp-units-{k}") or 2) for k in range(n_layers)]
        sizes = [int(fields["bp-n-inputs"]), *hidden, 1]
        if sizes != self.sizes:
            self.on_structure(sizes, fields)
        else:
            self.on_change()

    def on_structure(self, sizes, fields):
        self.sizes = sizes
        hidden = sizes[1:-1]
        # Target, rate and activation carry over (on_change reads them); inputs and weights start afresh.
        network = bp.Network(bp.default_inputs(sizes[0]), hidden, None, self.network.target,
                             self.network.learning_rate, fields.get("bp-activation", "relu"))
        self.network = network
        self.fields_for(network)
        self.on_change()

    # -- stepping
    def start_over(self):
        self.script = self.network.script()
        self.revealed = 0
        self.updated_rows = None
        self.check = self.network.gradient_check()
        self.render()

    def restore_starting(self):
        """Back to the weights before the updates (and to the step-through's start)."""
        self.network = self.starting
        apply([{"id": f"bp-w-{layer}-{i}-{j}", "value": fmt(w[i, j], 10)}
               for layer, w in enumerate(self.network.weights) for i in range(w.shape[0]) for j in range(w.shape[1])])
        self.start_over()

    def step(self):
        if self.revealed < len(self.script):
            self.revealed += 1
        self.render()

    def whole_forward(self):
        forward = sum(1 for e in self.script if e["phase"] == "forward")
        self.revealed = max(self.revealed, forward)
        self.render()

    def whole_backward(self):
        self.revealed = len(self.script)
        self.render()

    def update(self):
        before = self.network.loss()
        network, rows = self.network.updated()
        self.network = network
        apply([{"id": f"bp-w-{r['layer']}-{r['from']}-{r['to']}", "value": fmt(r["new"], 10)} for r in rows])
        self.script = network.script()
        self.revealed = 0
        self.check = network.gradient_check()
        self.updated_rows = (rows, before, network.loss())
        self.render()

    def shown(self):
        shown = set()
        for event in self.script[:self.revealed]:
            if event["kind"] == "weight":
                shown.add(("w", event["layer"], event["from"], event["to"]))
            else:
                shown.add(("f" if event["phase"] == "forward" else "b", event["layer"], event["index"]))
        return shown

    # -- rendering
    def render(self):
        network, shown = self.network, self.shown()
        back = network.backward()
        total_forward = sum(1 for e in self.script if e["phase"] == "forward")
        if self.revealed == 0:
            phase, now = "start", "Press Step to compute the first hidden node."
        elif self.revealed <= total_forward:
            phase = "forward"
            now = self.script[self.revealed - 1]["text"]
        else:
            phase = "backward"
            now = self.script[self.revealed - 1]["text"]
        if self.revealed == len(self.script):
            phase = "done"
        label = {
            "start": "forward pass next",
            "forward": f"forward pass: {min(self.revealed, total_forward)} of {total_forward} nodes",
            "backward": f"backward pass: {self.revealed - total_forward} of {len(self.script) - total_forward} slopes",
            "done": "backward pass complete: update the weights",
        }[phase]
        latest = self.script[self.revealed - 1] if self.revealed else None

        values = network.forward()
        weight_rows = []
        for layer in range(len(back["weights"]) - 1, -1, -1):
            for w in back["weights"][layer]:
                key = ("w", layer, w["from"], w["to"])
                is_latest = latest is not None and latest["kind"] == "weight" and \
                    (latest["layer"], latest["from"], latest["to"]) == key[1:]
                on = key in shown
                weight_rows.append(
                    f'<tr data-weight="{esc(w["name"])}" data-shown="{str(on).lower()}" '
                    f'data-slope="{repr(w["slope"]) if on else ""}"{" class=latest" if is_latest else ""}>'
                    f'<td>{esc(w["name"])}</td><td class="num">{esc(fmt(w["weight"]))}</td>'
                    f'<td class="formula">{esc(w["formula"].rsplit(" = ", 1)[0]) if on else ""}</td>'
                    f'<td class="slope">{esc(w["text"]) if on else ""}</td></tr>')
        node_rows = []
        for layer in range(len(back["nodes"]) - 1, 0, -1):
            for node in back["nodes"][layer]:
                key = ("b", layer, node["index"])
                on = key in shown
                is_latest = latest is not None and latest["phase"] == "backward" and latest["kind"] == "node" and \
                    (latest["layer"], latest["index"]) == key[1:]
                value = fmt(values[layer][node["index"]]["value"]) if ("f", layer, node["index"]) in shown else "?"
                formula = node["formula"].rsplit(" = ", 1)[0]
                node_rows.append(
                    f'<tr data-node="{esc(node["name"])}" data-shown="{str(on).lower()}" '
                    f'data-slope="{repr(node["slope"]) if on else ""}"{" class=latest" if is_latest else ""}>'
                    f'<td>{esc(node["name"])}</td><td class="num">{esc(value)}</td>'
                    f'<td class="formula">{esc(formula) if on else ""}</td>'
                    f'<td class="slope">{esc(node["text"]) if on else ""}</td></tr>')

        ops = [
            {"id": "bp-diagram", "html": network_diagrams(network, shown)},
            {"id": "bp-now", "text": now},
            {"id": "bp-phase", "text": label, "data": {"phase": phase, "revealed": str(self.revealed)}},
            {"sel": "#bp-weight-slopes tbody", "html": "".join(weight_rows)},
            {"sel": "#bp-node-slopes tbody", "html": "".join(node_rows)},
            {"id": "bp-graph", "html": graph_views(network.autograd()["graph"], self.revealed >= total_forward,
                                                   phase == "done")},
        ]
        ops += self.button_ops(phase, total_forward)
        ops += self.check_ops()
        ops += self.update_ops()
        apply(ops)

    def button_ops(self, phase, total_forward):
        """Buttons that can do nothing are disabled, and their tooltip says why."""
        done = "Nothing left to step: the backward pass is complete. Update all weights, or Start over."
        changed = any((a != b).any() for a, b in zip(self.network.weights, self.starting.weights))
        states = {
            "bp-step": (phase == "done", done),
            "bp-forward": (self.revealed >= total_forward, "The forward pass is already shown."),
            "bp-backward": (phase == "done", done),
            "bp-update": (False, ""),
            "bp-reset": (self.revealed == 0, "Already at the start of the step-through."),
            "bp-restore": (not changed, "The weights are still the starting ones."),
        }
        ops = [{"id": button, "disabled": not self.live or off, "attrs": {"title": why if off else ""}}
               for button, (off, why) in states.items()]
        ops.append({"id": "bp-restore", "hidden": not changed})
        return ops

    def check_ops(self):
        check = self.check
        rows = "".join(
            f'<tr data-weight="{esc(r["name"])}"><td>{esc(r["name"])}</td><td class="num">{esc(r["autograd_text"])}</td>'
            f'<td class="num">{esc(r["numeric_text"])}</td><td class="num">{esc(r["error_text"])}</td>'
            f'<td class="{"ok" if r["ok"] else "bad"}">{MARKS[r["ok"]]}</td></tr>'
            for r in check["rows"])
        if check["all_ok"]:
            summary = (f"All {len(check['rows'])} gradients agree: the largest relative error is "
                       f"{check['worst']:.1e}, within what the estimate's own rounding allows.")
        else:
            summary = "Some gradients disagree (\u2717). " + (check["note"] or (
                "The estimate is accurate to its rounding error here, so autograd's value for the \u2717 rows "
                "is suspect."))
        if check["note"] and check["all_ok"]:
            summary += " " + check["note"]
        return [{"sel": "#bp-check tbody", "html": rows},
                {"id": "bp-check-summary", "text": summary, "data": {"ok": str(check["all_ok"]).lower()}}]

    def update_ops(self):
        if not self.updated_rows:
            return [{"id": "bp-update-box", "hidden": True}]
        rows, before, after = self.updated_rows
        table = "".join(f'<tr data-weight="{esc(r["name"])}" data-new="{repr(r["new"])}"><td>{esc(r["name"])}</td>'
                        f'<td class="formula">{esc(r["formula"])}</td></tr>' for r in rows)
        summary = (f"Every weight moved by \u2212learning rate \u00d7 its slope, all at once (pydl.optimizers.SGD). "
                   f"The loss went from {fmt(before)} to {fmt(after)}. The fields above now hold the new weights; "
                   "press Step for the next forward pass.")
        return [{"id": "bp-update-box", "hidden": False}, {"sel": "#bp-update-table tbody", "html": table},
                {"id": "bp-update-summary", "text": summary}]

    # -- events
    def guard(self, handler):
        def run(event=None):
            try:
                handler()
            except Exception as error:  # shown to the person; the page keeps working
                traceback.print_exc()
                apply([{"id": "bp-message", "text": f"Something went wrong: {type(error).__name__}: {error}",
                        "hidden": False}])
        return run


async def main():
    global bp
    from pydl.lessons import backprop

    bp = backprop
    global graph_views, network_diagrams
    from drawings import graph_views, network_diagrams  # imports pydl, so only once it is loaded

    page = BackpropPage()
    for button, handler in (("#bp-step", page.step), ("#bp-forward", page.whole_forward),
                            ("#bp-backward", page.whole_backward), ("#bp-update", page.update),
                            ("#bp-reset", page.start_over), ("#bp-restore", page.restore_starting)):
        listen("click", button, page.guard(handler))
    listen("change", "#bp-setup", page.guard(page.on_setup_change))
    page.live = True
    page.render()


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
