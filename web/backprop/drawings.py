"""The backprop page's drawings, as SVG text: the network diagram and pydl's computation graph.

Each comes in two layouts, one for wide screens and one for phones; bp.css shows the one that fits.
"""

import html

from pydl.lessons import backprop as bp

SLOPE_COLOUR = "#dc2626"


def esc(text):
    return html.escape(str(text))


def fmt(value, digits=6):
    return bp.fmt(value, digits)


def network_diagrams(network, shown):
    """The diagram twice, for wide screens (layers left to right) and phones (top to bottom); CSS shows one."""
    return network_svg(network, shown, compact=False) + network_svg(network, shown, compact=True)


def labels_on_lines(n_in, n_out):
    """Whether a layer's weights fit as labels on its lines; crowded layers keep them in the table below."""
    return max(n_in, n_out) <= 2


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
