"""pydl.trace and the graph drawings used by the teaching pages."""

import json

import numpy as np

import pydl


def _worked_example():
    w = pydl.tensor(2.0, requires_grad=True, name="w")
    prediction = w * 3.0
    loss = pydl.graph.retain_grads((prediction - 10.0) ** 2)
    loss.backward()
    return w, loss


def test_trace_lists_nodes_edges_values_and_gradients_as_json():
    w, loss = _worked_example()
    graph = pydl.trace(loss)
    json.dumps(graph)  # must be serialisable as is
    ops = [node["op"] for node in graph["nodes"]]
    assert sorted(ops) == ["leaf", "leaf", "leaf", "leaf", "mul", "pow", "sub"]
    weight = next(node for node in graph["nodes"] if node["name"] == "w")
    assert weight["value"] == 2.0 and weight["grad"] == -24.0
    result = graph["nodes"][-1]
    assert result["op"] == "pow" and result["value"] == 16.0 and result["grad"] == 1.0
    assert len(graph["edges"]) == 6
    ids = {node["id"] for node in graph["nodes"]}
    assert all(edge["source"] in ids and edge["target"] in ids for edge in graph["edges"])


def test_nodes_come_after_their_inputs():
    _, loss = _worked_example()
    graph = pydl.trace(loss)
    position = {node["id"]: i for i, node in enumerate(graph["nodes"])}
    assert all(position[e["source"]] < position[e["target"]] for e in graph["edges"])


def test_large_values_are_summarised():
    x = pydl.tensor(np.arange(100.0), requires_grad=True)
    graph = pydl.trace(x.sum(), max_values=10)
    summary = graph["nodes"][0]["value"]
    assert summary == {"summary": True, "min": 0.0, "max": 99.0, "mean": 49.5}


def test_dot_and_svg_drawings_contain_every_node():
    _, loss = _worked_example()
    dot = pydl.graph.to_dot(loss)
    assert dot.startswith("digraph") and dot.count("->") == 6
    svg = pydl.graph.to_svg(pydl.trace(loss))
    assert svg.startswith("<svg") and svg.count('class="node"') == 7 and svg.count("<line") == 6
    assert "grad -24" in svg


def test_trace_of_a_deep_chain_is_iterative():
    x = pydl.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    assert len(pydl.trace(y)["nodes"]) == 10001
