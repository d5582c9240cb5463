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
        "#bp-diagram .bp-wide g[data-node]", "gs => Object.fromEntries(gs.map(g => [g.dataset.node, "
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
    assert bp_page.locator("#bp-diagram .bp-wide g[data-node]").count() == 3 + 2 + 4 + 1


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
    for k, weight in zip(range(3), ("#bp-w-0-0-3", "#bp-w-1-3-3", "#bp-w-2-3-3")):
        bp_page.select_option(f"#bp-units-{k}", "4")  # each choice rebuilds the fields: wait for it
        bp_page.wait_for_selector(weight)
    bp_page.select_option("#bp-activation", "tanh")
    bp_page.wait_for_function("document.querySelectorAll('#bp-check tbody tr').length === 52")
    bp_page.fill("#bp-x-0", "-5")
    bp_page.dispatch_event("#bp-x-0", "change")
    bp_page.wait_for_function("document.querySelector('#bp-check tr[data-weight=\"x1\u2192a4\"]')"
                              ".children[1].textContent.startsWith('-1.39')")
    summary = bp_page.inner_text("#bp-check-summary")
    assert summary.startswith("All 52 gradients agree"), summary
    assert bp_page.get_attribute("#bp-check-summary", "data-ok") == "true"
    assert bp_page.locator("#bp-check td.bad").count() == 0


def choose_4_inputs_3_layers_of_4(page):
    page.select_option("#bp-n-inputs", "4")
    page.wait_for_selector("#bp-x-3")
    page.select_option("#bp-n-layers", "3")
    page.wait_for_selector("#bp-units-2")
    for k, weight in zip(range(3), ("#bp-w-0-0-3", "#bp-w-1-3-3", "#bp-w-2-3-3")):
        page.select_option(f"#bp-units-{k}", "4")
        page.wait_for_selector(weight)


OVERLAPS = """svg => {
  const boxes = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect()).filter(r => r.width > 0);
  const pairs = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) pairs.push([i, j]);
  }
  return pairs.length;
}"""
# The font size on screen: the SVG's font size times the scale at which the SVG is drawn.
SMALLEST_TEXT_PX = """svg => Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize)))
  * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_biggest_network_is_legible_and_nothing_scrolls_sideways(bp_page, width):
    bp_page.set_viewport_size({"width": width, "height": 900})
    choose_4_inputs_3_layers_of_4(bp_page)
    bp_page.click("#bp-backward")
    bp_page.wait_for_function("document.querySelector('#bp-phase').dataset.phase === 'done'")
    diagram = bp_page.locator("#bp-diagram svg:visible")
    assert diagram.count() == 1
    assert diagram.evaluate(OVERLAPS) == 0  # no label sits on another
    assert diagram.evaluate(SMALLEST_TEXT_PX) >= 10
    assert diagram.locator("g[data-node]").count() == 4 + 12 + 1
    graph = bp_page.locator("#bp-graph svg:visible")
    assert graph.count() == 1 and graph.evaluate(SMALLEST_TEXT_PX) >= 10
    scroll = bp_page.evaluate("""() => ({page: document.documentElement.scrollWidth,
      widest: [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)
                .map(e => e.id || e.className || e.tagName).slice(0, 5),
      graph: [document.querySelector('#bp-graph').scrollWidth, document.querySelector('#bp-graph').clientWidth],
      right: Math.max(...[...document.querySelectorAll('#bp-graph svg, #bp-diagram svg')]
                      .filter(s => s.getBoundingClientRect().width > 0).map(s => s.getBoundingClientRect().right))})""")
    assert scroll["page"] <= width and scroll["graph"][0] <= scroll["graph"][1] and scroll["right"] <= width, scroll
    assert bp_page.locator("#bp-graph svg:visible g[data-graph-node='loss']").count() == 1
