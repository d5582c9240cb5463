"""The numbers web/backprop/ shows, reproduced natively, and the course's products checked against autograd."""

import numpy as np
import pytest

import pydl
from pydl.lessons import backprop as bp

# The page's default network: inputs (2, 3), weights as in the course, target 10, ReLU hidden units.
DEFAULT_VALUES = {"x1": 2, "x2": 3, "h1": 5, "h2": 1, "out": 9}
DEFAULT_WEIGHT_SLOPES = {"x1\u2192h1": -8, "x1\u2192h2": 4, "x2\u2192h1": -12, "x2\u2192h2": 6,
                         "h1\u2192out": -10, "h2\u2192out": -2}
DEFAULT_NODE_SLOPES = {"h1": -4, "h2": 2, "out": -2}
DEFAULT_NEW_WEIGHTS = {"x1\u2192h1": 1.08, "x1\u2192h2": -1.04, "x2\u2192h1": 1.12, "x2\u2192h2": 0.94,
                       "h1\u2192out": 2.1, "h2\u2192out": -0.98}

SHAPES = [
    ([2], "relu"), ([3], "tanh"), ([4, 3], "relu"), ([2, 4, 3], "sigmoid"), ([4, 4, 4], "tanh"), ([1], "relu"),
]


def weight_slopes(back):
    return {w["name"]: w["slope"] for layer in back["weights"] for w in layer}


def test_default_forward_values():
    values = {n["name"]: n["value"] for layer in bp.Network().forward() for n in layer}
    assert values == DEFAULT_VALUES
    texts = [n["formula"] for layer in bp.Network().forward()[1:] for n in layer]
    assert texts == ["h1 = relu(2\u00d71 + 3\u00d71) = relu(5) = 5", "h2 = relu(2\u00d7(-1) + 3\u00d71) = relu(1) = 1",
                     "out = 5\u00d72 + 1\u00d7(-1) = 9"]


def test_default_slopes_are_the_course_products():
    back = bp.Network().backward()
    assert back["error"] == -1
    assert weight_slopes(back) == DEFAULT_WEIGHT_SLOPES
    slopes = {n["name"]: n["slope"] for layer in back["nodes"][1:] for n in layer}
    assert slopes == DEFAULT_NODE_SLOPES
    first = back["weights"][0][0]
    assert first["factors"] == (-4, 2, 1) and first["formula"] == "(-4) \u00d7 2 \u00d7 1 = -8"
    h1 = back["nodes"][1][0]
    assert h1["formula"] == "2\u00d7(-2)\u00d71 = -4"


def test_default_autograd_agrees_and_loss_is_one():
    grads = bp.Network().autograd()
    assert grads["loss"] == 1
    np.testing.assert_array_equal(grads["weights"][0], [[-8, 4], [-12, 6]])
    np.testing.assert_array_equal(grads["weights"][1], [[-10], [-2]])
    np.testing.assert_array_equal(grads["nodes"][0], [-4, 2])


def test_default_update_moves_all_weights_together():
    network, rows = bp.Network().updated()
    assert {r["name"]: r["new"] for r in rows} == pytest.approx(DEFAULT_NEW_WEIGHTS)
    assert rows[0]["formula"] == "1 \u2212 0.01 \u00d7 (-8) = 1.08"
    assert network.loss() < bp.Network().loss()
    h1, h2 = 1.08 * 2 + 1.12 * 3, -1.04 * 2 + 0.94 * 3
    assert network.prediction() == pytest.approx(2.1 * h1 - 0.98 * h2)


@pytest.mark.parametrize("hidden, activation", SHAPES)
def test_explicit_products_equal_autograd(hidden, activation):
    inputs = bp.default_inputs(3 if len(hidden) > 1 else 2)
    net = bp.Network(inputs, hidden, None, 1.5, 0.01, activation)
    back, auto = net.backward(), net.autograd()
    for layer, entries in enumerate(back["weights"]):
        explicit = np.array([w["slope"] for w in entries]).reshape(net.weights[layer].shape)
        np.testing.assert_allclose(explicit, auto["weights"][layer], rtol=1e-12, atol=1e-12)
    for layer in range(1, len(net.sizes)):
        explicit = np.array([n["slope"] for n in back["nodes"][layer]])
        np.testing.assert_allclose(explicit, auto["nodes"][layer - 1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("hidden, activation", SHAPES)
def test_gradient_check_panel_agrees(hidden, activation):
    net = bp.Network(bp.default_inputs(2), hidden, None, -0.5, 0.01, activation)
    check = net.gradient_check()
    assert len(check["rows"]) == sum(w.size for w in net.weights)
    assert check["all_ok"] and check["worst"] < 1e-5


def test_gradient_check_flags_a_relu_kink():
    # x1 - x2 = 0 feeds h2 exactly zero.
    net = bp.Network([1.0, 1.0], [2], [[[1.0, 1.0], [1.0, -1.0]], [[1.0], [1.0]]], 5.0, 0.01, "relu")
    check = net.gradient_check()
    assert "h2" in check["note"] and "h1" not in check["note"]
    assert {r["name"] for r in check["rows"] if r["crosses_kink"]} == {"x1\u2192h2", "x2\u2192h2"}
    assert {r["name"] for r in check["rows"] if not r["ok"]} == {"x1\u2192h2", "x2\u2192h2"}  # 0 vs about half


def test_gradient_check_accepts_the_issues_correct_gradient():
    # Issue 20: 4 inputs, 3 hidden layers of 4 tanh units, default weights, x1 = -5. A central difference with
    # eps 1e-6 on this loss of ~106 carries ~1e-10 of rounding, 1e-3 of the slope x1->a4 (-1.39e-5): flagged.
    inputs = bp.default_inputs(4)
    inputs[0] = -5.0
    net = bp.Network(inputs, [4, 4, 4], None, 10.0, 0.01, "tanh")
    check = net.gradient_check()
    assert check["all_ok"] and check["note"] == ""
    row = next(r for r in check["rows"] if r["name"] == "x1\u2192a4")
    assert row["autograd"] == pytest.approx(-1.3948589e-5, rel=1e-7)
    assert abs(row["numeric"] - row["autograd"]) < 1e-10  # the old estimate was 1.4e-8 off


@pytest.mark.parametrize("seed", range(6))
def test_gradient_check_estimate_is_accurate_on_random_networks(seed):
    rng = np.random.default_rng(seed)
    hidden = [int(n) for n in rng.integers(1, bp.MAX_UNITS + 1, rng.integers(1, bp.MAX_HIDDEN_LAYERS + 1))]
    inputs = rng.uniform(-5, 5, rng.integers(1, bp.MAX_INPUTS + 1)).tolist()
    sizes = [len(inputs), *hidden, 1]
    weights = [rng.uniform(-3, 3, (a, b)).tolist() for a, b in zip(sizes[:-1], sizes[1:])]
    activation = ["tanh", "sigmoid", "relu"][seed % 3]
    net = bp.Network(inputs, hidden, weights, float(rng.uniform(-20, 20)), 0.01, activation)
    check = net.gradient_check()
    loss = net.loss()
    for row in check["rows"]:
        if row["crosses_kink"]:
            continue
        assert row["ok"], row
        # float64 autograd is exact to rounding; the estimate is within its own rounding bound of it ...
        assert abs(row["numeric"] - row["autograd"]) <= 20 * 2.2e-16 * max(1.0, loss) / row["step"], row
        # ... and the tolerance is tight enough that a gradient off by 1e-4 of itself (or 1e-8 + loss x 1e-12)
        # would be flagged.
        assert row["tolerance"] < 1e-4 * abs(row["autograd"]) + 1e-8 + 1e-12 * loss, row
    assert check["all_ok"] == all(r["ok"] for r in check["rows"])


def test_gradient_check_flags_a_wrong_gradient(monkeypatch):
    net = bp.Network(bp.default_inputs(3), [3, 2], None, 4.0, 0.01, "tanh")
    real = net._loss_of

    def loss_with_a_wrong_gradient(x, params, keep=None):  # same value, but autograd's x1->a1 slope is 1e-6 off
        w = params[0][0, 0]
        return real(x, params, keep) + (w - w.detach()) * 1e-6

    monkeypatch.setattr(net, "_loss_of", loss_with_a_wrong_gradient)
    check = net.gradient_check()
    assert not check["all_ok"] and [r["name"] for r in check["rows"] if not r["ok"]] == ["x1\u2192a1"]


def test_script_reveals_forward_then_backward():
    events = bp.Network().script()
    phases = [e["phase"] for e in events]
    assert phases == ["forward"] * 3 + ["backward"] * 9
    kinds = [(e["kind"], e["layer"]) for e in events[3:]]
    assert kinds == [("node", 2), ("weight", 1), ("weight", 1), ("node", 1), ("node", 1)] + [("weight", 0)] * 4
    assert events[-1]["text"].endswith("= 6")


def test_graph_is_pydls_trace_with_values_and_gradients():
    graph = bp.Network().autograd()["graph"]
    named = {n["name"]: n for n in graph["nodes"] if n["name"]}
    assert named["out"]["value"] == [[9.0]] and named["out"]["grad"] == [[-2.0]]
    assert named["W1"]["grad"] == [[-8.0, 4.0], [-12.0, 6.0]]
    assert named["h"]["value"] == [[5.0, 1.0]] and named["h"]["grad"] == [[-4.0, 2.0]]
    assert named["loss"]["value"] == 1.0
    assert graph == pydl.trace(bp.Network().autograd()["tensor"])


def test_node_names():
    assert bp.node_names([2, 2, 1]) == [["x1", "x2"], ["h1", "h2"], ["out"]]
    assert bp.node_names([1, 2, 3, 1])[1:3] == [["a1", "a2"], ["b1", "b2", "b3"]]


def test_default_weights_shapes():
    for hidden, _ in SHAPES:
        sizes = [3, *hidden, 1]
        weights = bp.default_weights(sizes)
        assert [np.shape(w) for w in weights] == list(zip(sizes[:-1], sizes[1:]))


def raw_default(**changes):
    raw = {"inputs": ["2", "3"], "hidden": [2], "weights": [[["1", "-1"], ["1", "1"]], [["2"], ["-1"]]],
           "target": "10", "learning_rate": "0.01", "activation": "relu"}
    raw.update(changes)
    return raw


def test_check_network_accepts_the_default():
    net, message = bp.check_network(raw_default())
    assert message is None and weight_slopes(net.backward()) == DEFAULT_WEIGHT_SLOPES


@pytest.mark.parametrize("changes, fragment", [
    ({"inputs": ["two", "3"]}, "Input x1"),
    ({"target": ""}, "Target is empty"),
    ({"learning_rate": "-0.5"}, "a negative rate would move every weight uphill"),
    ({"learning_rate": "0"}, "got 0: a rate of 0 would leave every weight where it is"),
    ({"weights": [[["1", "-1"], ["1", "1"]], [["2"], ["abc"]]]}, "Weight h2\u2192out"),
    ({"weights": [[["1", "-1"], ["1", "1"]]]}, "missing"),
    ({"hidden": [5]}, "at most 4"),
    ({"hidden": [2, 2, 2, 2]}, "1 to 3 hidden layers"),
    ({"activation": "swish"}, "Unknown activation"),
])
def test_check_network_rejects_bad_input_with_a_message(changes, fragment):
    net, message = bp.check_network(raw_default(**changes))
    assert net is None and fragment in message
