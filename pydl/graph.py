"""The computation graph behind a tensor, as plain data and as a drawing, for teaching.

:func:`trace` turns the graph into JSON-ready dicts so a web page can draw it; :func:`to_dot` writes Graphviz
text and :func:`to_svg` draws it directly (no external binary), inputs on the left and the result on the right.
``backward`` keeps only the leaves' gradients; call :func:`retain_grads` before it to see every tensor's.

>>> import pydl
>>> w = pydl.tensor(2.0, requires_grad=True, name="w")
>>> loss = pydl.graph.retain_grads((w * 3.0 - 10.0) ** 2)
>>> loss.backward()
>>> [(node["op"], node["grad"]) for node in pydl.trace(loss)["nodes"] if node["requires_grad"]]
[('leaf', -24.0), ('mul', -8.0), ('sub', -8.0), ('pow', 1.0)]
"""

from __future__ import annotations

from html import escape

from pydl import backend
from pydl.backend import np
from pydl.autograd import topological_order

__all__ = ["trace", "retain_grads", "to_dot", "to_svg"]


def _plain(array, max_values: int):
    """Values as nested lists when small, else a summary: pages show numbers, not megabytes."""
    if array is None:
        return None
    values = backend.to_numpy(array)
    if values.size <= max_values:
        return values.tolist()
    as_float = values.astype(np.float64)
    return {"summary": True, "min": float(as_float.min()), "max": float(as_float.max()), "mean": float(as_float.mean())}


def retain_grads(root):
    """Make the next ``backward`` keep ``.grad`` on every tensor behind ``root`` (see ``Tensor.retain_grad``).

    Teaching pages show every gradient of a graph; training does not call this, so its backward passes free each
    intermediate gradient as soon as it has been used. Returns ``root``, to wrap the expression that builds it.
    """
    for node in topological_order(root):
        if node.requires_grad:
            node.retain_grad()
    return root


def trace(root, max_values: int = 64) -> dict:
    """Describe the graph that produced ``root``.

    Args:
        root: a Tensor (usually a loss, after or before ``backward``).
        max_values: arrays with more elements are summarised as min, max and mean.

    Returns:
        ``{"nodes": [...], "edges": [...]}``. Each node has ``id``, ``op`` (``"leaf"`` for inputs), ``name``,
        ``shape``, ``dtype``, ``requires_grad``, ``value`` and ``grad`` (None for an intermediate tensor unless
        :func:`retain_grads` or ``retain_grad`` asked before ``backward``); each edge has ``source`` and ``target``
        ids (from an input of an operation to its result). Nodes come in the order they were computed.
    """
    order = topological_order(root, include_constants=True)
    ids = {id(node): position for position, node in enumerate(order)}
    nodes, edges = [], []
    for node in order:
        nodes.append({
            "id": ids[id(node)],
            "op": node.op,
            "name": node.name,
            "shape": list(node.shape),
            "dtype": str(node.dtype),
            "requires_grad": node.requires_grad,
            "value": _plain(node.data, max_values),
            "grad": _plain(node.grad, max_values),
        })
        if node._ctx is not None:
            for parent in node._ctx.parents:
                if parent is not None:
                    edges.append({"source": ids[id(parent)], "target": ids[id(node)]})
    return {"nodes": nodes, "edges": edges}


def _as_graph(graph_or_tensor) -> dict:
    return graph_or_tensor if isinstance(graph_or_tensor, dict) else trace(graph_or_tensor)


def _format(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return f"[{value['min']:.3g} .. {value['max']:.3g}]"
    if isinstance(value, list):
        flat = np.asarray(value).reshape(-1)
        shown = ", ".join(f"{v:.4g}" for v in flat[:3])
        return f"[{shown}{', ...' if flat.size > 3 else ''}]"
    return f"{value:.4g}"


def _label_lines(node: dict) -> list[str]:
    title = node["name"] or node["op"]
    if node["op"] != "leaf" and node["name"]:
        title = f"{node['name']} = {node['op']}"
    shape = "x".join(str(n) for n in node["shape"]) or "scalar"
    lines = [title, f"{shape}  value {_format(node['value'])}"]
    if node["requires_grad"]:
        lines.append(f"grad {_format(node['grad'])}")
    return lines


def to_dot(graph_or_tensor) -> str:
    """Graphviz DOT text for a graph from :func:`trace` (or a tensor, traced on the spot)."""
    graph = _as_graph(graph_or_tensor)
    lines = ["digraph pydl {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for node in graph["nodes"]:
        label = "\\n".join(_label_lines(node)).replace('"', '\\"')
        lines.append(f'  n{node["id"]} [label="{label}"];')
    for edge in graph["edges"]:
        lines.append(f'  n{edge["source"]} -> n{edge["target"]};')
    lines.append("}")
    return "\n".join(lines)


def _layers(graph: dict) -> dict[int, int]:
    """Column of each node: inputs in column 0, every result one column right of its latest input."""
    column = {}
    parents: dict[int, list[int]] = {}
    for edge in graph["edges"]:
        parents.setdefault(edge["target"], []).append(edge["source"])
    for node in graph["nodes"]:  # nodes are in computation order, so parents are placed first
        column[node["id"]] = 1 + max((column[p] for p in parents.get(node["id"], [])), default=-1)
    return column


def to_svg(graph_or_tensor, box_width: int = 190, box_height: int = 54, gap_x: int = 50, gap_y: int = 16) -> str:
    """Draw the graph as a standalone SVG string: boxes with op, shape, value and grad, arrows along the data."""
    graph = _as_graph(graph_or_tensor)
    column = _layers(graph)
    rows: dict[int, int] = {}
    position = {}
    for node in graph["nodes"]:
        c = column[node["id"]]
        r = rows.get(c, 0)
        rows[c] = r + 1
        position[node["id"]] = (10 + c * (box_width + gap_x), 10 + r * (box_height + gap_y))
    width = 20 + (max(column.values(), default=0) + 1) * (box_width + gap_x) - gap_x
    height = 20 + max(rows.values(), default=1) * (box_height + gap_y) - gap_y
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for edge in graph["edges"]:
        x1, y1 = position[edge["source"]]
        x2, y2 = position[edge["target"]]
        parts.append(
            f'<line x1="{x1 + box_width}" y1="{y1 + box_height / 2}" x2="{x2}" y2="{y2 + box_height / 2}" '
            'stroke="#555" marker-end="url(#arrow)"/>'
        )
    for node in graph["nodes"]:
        x, y = position[node["id"]]
        fill = "#e8f0fe" if node["op"] == "leaf" else "#fef7e0"
        parts.append(f'<g class="node" data-id="{node["id"]}" data-op="{escape(node["op"])}">')
        parts.append(f'<rect x="{x}" y="{y}" width="{box_width}" height="{box_height}" rx="6" fill="{fill}" '
                     'stroke="#444"/>')
        for i, text in enumerate(_label_lines(node)):
            weight = ' font-weight="bold"' if i == 0 else ""
            parts.append(f'<text x="{x + 8}" y="{y + 16 + 15 * i}"{weight}>{escape(text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
