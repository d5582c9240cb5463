"""web/backprop/ in Chromium, offline: the displayed forward values and slopes are pydl's native numbers."""

from __future__ import annotations

import pytest

from pydl.lessons import backprop as bp

PAGE = "web/backprop/"
pytestmark = pytest.mark.e2e


@pytest.fixture
def bp_page(browser_page):
    browser_page.open(PAGE)
    yield browser_page.page
    browser_page.assert_clean()


def displayed_slopes(page, table: str) -> dict:
    return page.eval_on_selector_all(
        f"#{table} tbody tr[data-shown=true]",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.weight || r.dataset.node, +r.dataset.slope]))")


def wait_revealed(page, count: int) -> None:
    page.wait_for_function("n => +document.querySelector('#bp-phase').dataset.revealed === n", arg=count)


def native_slopes(network):
    back = network.backward()
    weights = {w["name"]: w["slope"] for layer in back["weights"] for w in layer}
    nodes = {n["name"]: n["slope"] for layer in back["nodes"][1:] for n in layer}
    return weights, nodes


def test_step_by_step_numbers_are_the_native_ones(bp_page):
    script = bp.Network().script()
    for n in range(1, 4):
        bp_page.click("#bp-step")
        wait_revealed(bp_page, n)
        assert bp_page.inner_text("#bp-now") == script[n - 1]["text"]
    assert bp_page.inner_text("#bp-now") == "out = 5\u00d72 + 1\u00d7(-1) = 9"
    values = bp_page.eval_on_selector_all(
        "#bp-diagram g[data-node]", "gs => Object.fromEntries(gs.map(g => [g.dataset.node, "
        "g.querySelectorAll('text')[1].textContent]))")
    assert values == {"x1": "2", "x2": "3", "h1": "5", "h2": "1", "out": "9"}
    assert displayed_slopes(bp_page, "bp-weight-slopes") == {}

    # Backward: every displayed slope is the native explicit product (and autograd agrees).
    weights, nodes = native_slopes(bp.Network())
    bp_page.click("#bp-step")
    wait_revealed(bp_page, 4)
    assert bp_page.inner_text("#bp-now").startswith("slope of the loss at out = 2 \u00d7 (out \u2212 target)")
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    assert displayed_slopes(bp_page, "bp-weight-slopes") == weights
    assert displayed_slopes(bp_page, "bp-node-slopes") == nodes
    assert weights == {"x1\u2192h1": -8, "x1\u2192h2": 4, "x2\u2192h1": -12, "x2\u2192h2": 6,
                       "h1\u2192out": -10, "h2\u2192out": -2}
    row = bp_page.inner_text("#bp-weight-slopes tr[data-weight='x1\u2192h1']")
    assert "(-4) \u00d7 2 \u00d7 1" in row and "-8" in row
    assert "All 6 gradients agree" in bp_page.inner_text("#bp-check-summary")
    autograd = bp_page.eval_on_selector_all(
        "#bp-check tbody tr", "rows => Object.fromEntries(rows.map(r => [r.dataset.weight, "
        "+r.children[1].textContent]))")
    assert autograd == weights
    graph = bp_page.inner_text("#bp-graph")
    assert "W1" in graph and "grad" in graph and "loss = mean" in graph

    # Update: all weights move together, the fields take the new values, the slopes follow.
    network, rows = bp.Network().updated()
    bp_page.click("#bp-update")
    bp_page.wait_for_selector("#bp-update-box:not([hidden])")
    shown = bp_page.eval_on_selector_all(
        "#bp-update-table tbody tr", "rows => Object.fromEntries(rows.map(r => [r.dataset.weight, +r.dataset.new]))")
    assert shown == {r["name"]: r["new"] for r in rows}
    assert bp_page.input_value("#bp-w-0-0-0") == "1.08"
    assert bp_page.input_value("#bp-w-1-0-0") == "2.1"
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    assert displayed_slopes(bp_page, "bp-weight-slopes") == pytest.approx(native_slopes(network)[0])


def test_a_bigger_network_matches_native_numbers(bp_page):
    bp_page.select_option("#bp-n-inputs", "3")
    bp_page.wait_for_selector("#bp-x-2")
    bp_page.select_option("#bp-n-layers", "2")
    bp_page.wait_for_selector("#bp-units-1")
    bp_page.select_option("#bp-units-1", "4")
    bp_page.wait_for_selector("#bp-w-2-3-0")
    bp_page.select_option("#bp-activation", "tanh")
    bp_page.wait_for_function("document.querySelector('#bp-now').textContent.startsWith('Press Step')")
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    network = bp.Network(bp.default_inputs(3), [2, 4], None, 10, 0.01, "tanh")
    weights, nodes = native_slopes(network)
    # Pyodide's NumPy may round tanh differently in the last bit; the products are otherwise identical.
    assert displayed_slopes(bp_page, "bp-weight-slopes") == pytest.approx(weights, rel=1e-12, abs=1e-15)
    assert displayed_slopes(bp_page, "bp-node-slopes") == pytest.approx(nodes, rel=1e-12, abs=1e-15)
    assert bp_page.locator("#bp-diagram g[data-node]").count() == 3 + 2 + 4 + 1


def test_invalid_input_shows_a_message_and_the_page_keeps_working(bp_page):
    bp_page.fill("#bp-w-1-1-0", "abc")
    bp_page.dispatch_event("#bp-w-1-1-0", "change")
    bp_page.wait_for_selector("#bp-message:not([hidden])")
    assert "Weight h2\u2192out" in bp_page.inner_text("#bp-message")
    assert bp_page.get_attribute("#bp-w-1-1-0", "aria-invalid") == "true"

    bp_page.fill("#bp-w-1-1-0", "-1")
    bp_page.dispatch_event("#bp-w-1-1-0", "change")
    bp_page.wait_for_selector("#bp-message", state="hidden")

    bp_page.fill("#bp-rate", "-0.5")
    bp_page.dispatch_event("#bp-rate", "change")
    bp_page.wait_for_function("document.querySelector('#bp-message').textContent.includes('greater than 0')")
    bp_page.fill("#bp-rate", "0.01")
    bp_page.dispatch_event("#bp-rate", "change")
    bp_page.wait_for_selector("#bp-message", state="hidden")

    bp_page.fill("#bp-x-0", "4")
    bp_page.dispatch_event("#bp-x-0", "change")
    bp_page.wait_for_function("document.querySelector('#bp-weight-slopes tbody tr') !== null")
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    expected = native_slopes(bp.Network(inputs=[4.0, 3.0]))[0]
    assert displayed_slopes(bp_page, "bp-weight-slopes") == expected


def test_nothing_is_shown_before_it_is_computed_and_idle_buttons_say_why(bp_page):
    # Before any Step the diagram shows "?" for hidden and output values: so do the table and the graph card.
    node_values = bp_page.eval_on_selector_all("#bp-node-slopes tbody tr", "rows => rows.map(r => r.children[1].textContent)")
    assert node_values == ["?", "?", "?"]
    graph = bp_page.inner_text("#bp-graph")
    assert "?" in graph and "9" not in graph  # out = 9 is not computed yet
    assert bp_page.is_enabled("#bp-step") and not bp_page.is_enabled("#bp-reset")
    bp_page.click("#bp-forward")
    wait_revealed(bp_page, 3)
    node_values = bp_page.eval_on_selector_all("#bp-node-slopes tbody tr", "rows => rows.map(r => r.children[1].textContent)")
    assert node_values == ["9", "5", "1"]
    assert not bp_page.is_enabled("#bp-forward")
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    assert "?" not in bp_page.inner_text("#bp-graph")
    assert not bp_page.is_enabled("#bp-step") and not bp_page.is_enabled("#bp-backward")
    assert "backward pass is complete" in bp_page.get_attribute("#bp-step", "title")


def test_start_over_offers_the_starting_weights(bp_page):
    assert bp_page.is_hidden("#bp-restore")
    bp_page.click("#bp-update")
    bp_page.wait_for_selector("#bp-update-box:not([hidden])")
    assert bp_page.input_value("#bp-w-0-0-0") == "1.08"
    bp_page.click("#bp-restore")
    bp_page.wait_for_selector("#bp-restore", state="hidden")
    assert bp_page.input_value("#bp-w-0-0-0") == "1" and bp_page.input_value("#bp-w-1-0-0") == "2"
    assert bp_page.is_hidden("#bp-update-box")
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    assert displayed_slopes(bp_page, "bp-weight-slopes") == native_slopes(bp.Network())[0]


def test_learning_rate_zero_is_explained_as_zero(bp_page):
    bp_page.fill("#bp-rate", "0")
    bp_page.dispatch_event("#bp-rate", "change")
    bp_page.wait_for_selector("#bp-message:not([hidden])")
    message = bp_page.inner_text("#bp-message")
    assert "a rate of 0 would leave every weight where it is" in message and "uphill" not in message


def test_the_issues_correct_gradient_is_not_flagged(bp_page):
    # Issue 20: 4 inputs, 3 hidden layers of 4 tanh units, default weights, x1 = -5.
    bp_page.select_option("#bp-n-inputs", "4")
    bp_page.wait_for_selector("#bp-x-3")
    bp_page.select_option("#bp-n-layers", "3")
    bp_page.wait_for_selector("#bp-units-2")
    for k in range(3):
        bp_page.select_option(f"#bp-units-{k}", "4")
    bp_page.wait_for_selector("#bp-w-3-3-0")
    bp_page.select_option("#bp-activation", "tanh")
    bp_page.fill("#bp-x-0", "-5")
    bp_page.dispatch_event("#bp-x-0", "change")
    bp_page.wait_for_function("document.querySelector('#bp-check-summary').textContent.startsWith('All 52')")
    assert bp_page.get_attribute("#bp-check-summary", "data-ok") == "true"
    assert bp_page.locator("#bp-check td.bad").count() == 0
