"""The backprop page's glue: fields in, pydl.lessons.backprop out, drawn as SVG and tables.

Every number shown comes from the lesson module (tests/lessons/test_backprop.py checks the same numbers
natively). DOM changes go through pydl_page.apply in batches, because each call from this worker is a round trip.
"""

import html
import traceback

from pyscript import when

from pydl_page import apply, read, run_page

bp = None  # pydl.lessons.backprop, imported once pydl is loaded
SLOPE_COLOUR = "#dc2626"
MARKS = {True: "\u2713", False: "\u2717"}


def esc(text):
    return html.escape(str(text))


def fmt(value, digits=6):
    return bp.fmt(value, digits)


# ---------------------------------------------------------------------------------------------- drawings
def network_diagrams(network, shown):
    """The diagram twice, for wide screens (layers left to right) and phones (top to bottom); CSS shows one."""
    return network_svg(network, shown, compact=False) + network_svg(network, shown, compact=True)


def labels_on_lines(n_in, n_out):
    """Whether a layer's weights fit as labels on its lines; crowded layers keep them in the table below."""
    return n_out == 1 or max(n_in, n_out) <= 2


def network_svg(network, shown, compact):
    """The network as circles and lines: values, weights and, once revealed, slopes.

    Wide: layers left to right, 760 units wide, every weight written on its line where they fit. Compact (for
    phones): layers top to bottom in 368 units, so that at 390 px the text is still about 11 px; weights are
    in the table below and in each line's tooltip.
    """
    sizes = network.sizes
    forward = network.forward()
    back = network.backward()
    widest = max(sizes)
    if compact:
        gap_x, gap_y, top, margin = 92, 124, 58, 46
        width, height = 2 * margin + (bp.MAX_UNITS - 1) * gap_x, top + (len(sizes) - 1) * gap_y + 64
        name_size, value_size, small = 12, 14, 12
    else:
        width, top, gap_y, margin = 760, 46, 104, 70
        height = top + widest * gap_y
        step_x = (width - 2 * margin - 120) / (len(sizes) - 1)
        name_size, value_size, small = 11, 13, 12

    def position(layer, index):
        if compact:
            return margin + (index + (bp.MAX_UNITS - sizes[layer]) / 2) * gap_x, top + layer * gap_y
        offset = (widest - sizes[layer]) * gap_y / 2
        return margin + layer * step_x, top + offset + index * gap_y + 30

    kind = "compact" if compact else "wide"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-{kind}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}" font-family="system-ui, sans-serif" font-size="{value_size}" '
             'role="img" aria-label="The network with its values, weights and slopes">',
             '<style>.halo{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}</style>']
    layer_titles = ["inputs"] + [f"hidden layer {k}" for k in range(1, len(sizes) - 1)] + ["output"]
    for layer, title in enumerate(layer_titles):
        x, y = position(layer, 0)
        if compact:
            parts.append(f'<text class="halo" x="4" y="{y - 36}" fill="#6b7280" font-size="{small}">{esc(title)}'
                         "</text>")
        else:
            parts.append(f'<text x="{x}" y="18" text-anchor="middle" fill="#6b7280" font-size="{small}">'
                         f"{esc(title)}</text>")
    labels = []
    for layer, entries in enumerate(back["weights"]):
        labelled = not compact and labels_on_lines(sizes[layer], sizes[layer + 1])
        for w in entries:
            x1, y1 = position(layer, w["from"])
            x2, y2 = position(layer + 1, w["to"])
            has_slope = ("w", layer, w["from"], w["to"]) in shown
            tip = f'w({w["name"]}) = {fmt(w["weight"])}' + (f', slope {fmt(w["slope"])}' if has_slope else "")
            parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{"#fca5a5" if has_slope else "#cbd5e1"}" '
                         f'stroke-width="2" data-weight="{esc(w["name"])}"><title>{esc(tip)}</title></line>')
            if not labelled:
                continue
            t = 0.3 if sizes[layer + 1] > 1 else 0.45
            lx, ly = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            text = f'<tspan fill="#1f2937">w {esc(fmt(w["weight"], 4))}</tspan>'
            if has_slope:
                text += f'<tspan fill="{SLOPE_COLOUR}" dx="6">slope {esc(fmt(w["slope"], 4))}</tspan>'
            labels.append(f'<text class="halo" x="{lx}" y="{ly - 4}" text-anchor="middle" font-size="{small}" '
                          f'data-weight="{esc(w["name"])}">{text}</text>')
    parts += labels
    radius = 27 if compact else 29
    for layer, nodes in enumerate(forward):
        for node in nodes:
            x, y = position(layer, node["index"])
            has_value = layer == 0 or ("f", layer, node["index"]) in shown
            slope_node = back["nodes"][layer][node["index"]] if layer > 0 else None
            has_slope = slope_node is not None and ("b", layer, node["index"]) in shown
            fill = "#e8f0fe" if layer == 0 else ("#fef7e0" if has_value else "#f8fafc")
            parts.append(f'<g data-node="{esc(node["name"])}"><circle cx="{x}" cy="{y}" r="{radius}" fill="{fill}" '
                         f'stroke="#475569" stroke-width="1.5"/>')
            parts.append(f'<text x="{x}" y="{y - 8}" text-anchor="middle" font-size="{name_size}" fill="#475569">'
                         f'{esc(node["name"])}</text>')
            value = esc(fmt(node["value"], 4)) if has_value else "?"
            parts.append(f'<text x="{x}" y="{y + 11}" text-anchor="middle" font-weight="700">{value}</text>')
            if has_slope:
                parts.append(f'<text class="halo" x="{x}" y="{y + radius + 17}" text-anchor="middle" '
                             f'fill="{SLOPE_COLOUR}" font-size="{small if compact else value_size}" font-weight="600">'
                             f'slope {esc(fmt(slope_node["slope"], 4))}</text>')
            parts.append("</g>")
    out_x, out_y = position(len(sizes) - 1, 0)
    if ("f", len(sizes) - 1, 0) in shown:
        loss = network.loss()
        parts.append(f'<text x="{out_x + radius + 10}" y="{out_y - 6}" font-size="{small}" fill="#475569">target '
                     f'{esc(fmt(network.target))}</text>')
        parts.append(f'<text x="{out_x + radius + 10}" y="{out_y + 12}" font-size="{small}" font-weight="600">loss '
                     f'{esc(fmt(loss, 6))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _value_lines(value):
    if value is None:
        return ["\u2013"]
    if isinstance(value, dict):  # a summary of a large array
        return [f"min {fmt(value['min'], 3)} max {fmt(value['max'], 3)}"]
    if not isinstance(value, list):
        return [fmt(value, 5)]
    if value and isinstance(value[0], list):
        return ["[" + "  ".join(fmt(v, 4) for v in row) + "]" for row in value]
    return ["[" + "  ".join(fmt(v, 4) for v in value) + "]"]


def graph_views(graph, values_known, grads_known):
    """The graph laid out for the card at 1280 px and at 390 px (CSS shows one), so neither scrolls sideways."""
    return (graph_svg(graph, values_known, grads_known, max_width=880, layout="wide")
            + graph_svg(graph, values_known, grads_known, max_width=320, layout="compact"))


def graph_svg(graph, values_known=True, grads_known=True, max_width=880, layout="wide"):
    """pydl.trace's graph: one box per tensor (name, op, value, gradient), arrows from inputs to results.

    Until the step-through reaches them, computed values and gradients show "?", as in the diagram. Columns
    run left to right and wrap, like words, into bands no wider than ``max_width``.
    """
    parents = {}
    for edge in graph["edges"]:
        parents.setdefault(edge["target"], []).append(edge["source"])
    column = {}
    for node in graph["nodes"]:  # trace lists nodes in computation order, so parents come first
        column[node["id"]] = 1 + max((column[p] for p in parents.get(node["id"], [])), default=-1)
    for node in graph["nodes"]:  # a leaf sits just left of its first use, not all leaves in one column
        uses = [column[e["target"]] for e in graph["edges"] if e["source"] == node["id"]]
        if node["op"] == "leaf" and uses:
            column[node["id"]] = min(uses) - 1
    boxes = {}
    for node in graph["nodes"]:
        if node["op"] == "leaf":
            title = node["name"] or "constant"
            if not node["name"] and not isinstance(node["value"], (list, dict)):
                title = f"constant {fmt(node['value'])}"
            kind = "parameter" if node["requires_grad"] else "input" if node["name"] else "constant"
        else:
            title = f'{node["name"]} = {node["op"]}' if node["name"] else node["op"]
            kind = "op"
        value_known = values_known or node["op"] == "leaf"
        lines = [("title", title)] + [("value", line) for line in (_value_lines(node["value"]) if value_known
                                                                   else ["?"])]
        if node["requires_grad"]:
            lines += [("grad", line) for line in (_value_lines(node["grad"]) if grads_known else ["?"])]
        width = max(110, 16 + 7.2 * max(len(text) + (6 if k != "title" else 0) for k, text in lines))
        boxes[node["id"]] = {"node": node, "lines": lines, "kind": kind, "w": width, "h": 12 + 16 * len(lines)}
    columns = {}
    for node_id, c in column.items():
        columns.setdefault(c, []).append(node_id)
    x, gap_x, gap_y, gap_band = 10, 42, 14, 30
    band_top, height, width = 10, 0, 0
    for c in sorted(columns):
        col_width = max(boxes[i]["w"] for i in columns[c])
        if x > 10 and x + col_width > max_width - 10:  # wrap: the next band starts below everything so far
            x, band_top = 10, height + gap_band
        y = band_top
        for node_id in columns[c]:
            boxes[node_id]["x"], boxes[node_id]["y"], boxes[node_id]["band"] = x, y, band_top
            y += boxes[node_id]["h"] + gap_y
        height = max(height, y)
        width = max(width, x + col_width + 10)
        x += col_width + gap_x
    fills = {"parameter": "#dbeafe", "input": "#e0f2fe", "constant": "#f1f5f9", "op": "#fef7e0"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-{layout}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" '
             f'height="{height:.0f}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12" '
             'role="img" aria-label="pydl computation graph">',
             f'<defs><marker id="bp-arrow-{layout}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>']
    for edge in graph["edges"]:
        a, b = boxes[edge["source"]], boxes[edge["target"]]
        if b["band"] == a["band"]:  # side by side: right edge to left edge
            x1, y1, x2, y2 = a["x"] + a["w"], a["y"] + a["h"] / 2, b["x"], b["y"] + b["h"] / 2
        else:  # into a later band: bottom to top
            x1, y1, x2, y2 = a["x"] + a["w"] / 2, a["y"] + a["h"], b["x"] + b["w"] / 2, b["y"]
        parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#64748b" '
                     f'marker-end="url(#bp-arrow-{layout})"/>')
    for box in boxes.values():
        node = box["node"]
        parts.append(f'<g data-graph-node="{esc(node["name"] or node["op"])}"><rect x="{box["x"]:.0f}" '
                     f'y="{box["y"]:.0f}" width="{box["w"]:.0f}" height="{box["h"]}" rx="6" '
                     f'fill="{fills[box["kind"]]}" stroke="#475569"/>')
        previous = None
        for i, (kind, text) in enumerate(box["lines"]):
            label = "" if kind == previous or kind == "title" else ("value " if kind == "value" else "grad  ")
            label = label if label else ("      " if kind != "title" else "")
            previous = kind
            colour = SLOPE_COLOUR if kind == "grad" else "#1f2937"
            weight = ' font-weight="700"' if kind == "title" else ""
            parts.append(f'<text x="{box["x"] + 8:.0f}" y="{box["y"] + 19 + 16 * i:.0f}" fill="{colour}"{weight} '
                         f'xml:space="preserve">{esc(label + text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


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
    page = BackpropPage()
    for button, handler in (("#bp-step", page.step), ("#bp-forward", page.whole_forward),
                            ("#bp-backward", page.whole_backward), ("#bp-update", page.update),
                            ("#bp-reset", page.start_over), ("#bp-restore", page.restore_starting)):
        when("click", button)(page.guard(handler))
    when("change", "#bp-setup")(page.guard(page.on_setup_change))
    page.live = True
    page.render()


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
