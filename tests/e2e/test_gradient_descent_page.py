"""web/gradient-descent/ in Chromium, offline: the worked example, divergence, the race, mini-batches, bad input."""

from __future__ import annotations

import pytest

from pydl.lessons import gradient_descent as gd

PAGE = "web/gradient-descent/"
pytestmark = pytest.mark.e2e


def shown_values(page) -> dict:
    return page.eval_on_selector_all(
        "#ow-stages tr[data-shown=true]", "rows => Object.fromEntries(rows.map(r => [r.dataset.key, r.dataset.value]))")


def click(page, selector: str) -> None:
    """Click and wait until the page has handled this click (and so every event before it)."""
    before = int(page.evaluate("document.body.dataset.clicks || '0'"))
    page.click(selector)
    page.wait_for_function("n => +(document.body.dataset.clicks || 0) > n", arg=before, timeout=20_000)


def step_until(page, count: int) -> None:
    """Press Step until ``count`` quantities of the current update are shown."""
    start = page.locator("#ow-stages tr[data-shown=true]").count()
    for n in range(start + 1, count + 1):
        click(page, "#ow-step")
        assert page.locator("#ow-stages tr[data-shown=true]").count() == n


@pytest.fixture
def gd_page(browser_page):
    browser_page.open(PAGE)
    yield browser_page.page
    browser_page.assert_clean()


def test_one_weight_steps_through_the_worked_example_rejects_bad_input_and_flags_divergence(gd_page):
    native = {s["key"]: s["text"] for s in gd.OneWeight(3, 10, 2, 0.01).stages()}
    step_until(gd_page, 1)
    assert shown_values(gd_page) == {"prediction": "6"}
    step_until(gd_page, 6)
    assert shown_values(gd_page) == native
    assert native["error"] == "-4" and native["slope"] == "-24" and native["new_weight"] == "2.24"
    assert "autograd: -24" in gd_page.inner_text("#ow-stages tr[data-key=slope]")
    assert "update 1: weight now 2.24" in gd_page.inner_text("#ow-counter")
    assert gd_page.get_attribute("#ow-status", "data-state") == "converging"
    assert int(gd_page.get_attribute("#ow-chart", "data-points")) > 50

    # Bad input: a message, the field flagged, the state kept; a good value works again.
    click(gd_page, "#ow-reset")
    assert gd_page.get_attribute("#ow-counter", "data-updates") == "0"
    gd_page.fill("#ow-rate", "abc")
    click(gd_page, "#ow-step")
    assert gd_page.is_visible("#ow-message")
    assert "not a number" in gd_page.inner_text("#ow-message")
    assert gd_page.get_attribute("#ow-rate", "aria-invalid") == "true"
    assert gd_page.locator("#ow-stages tr[data-shown=true]").count() == 0

    gd_page.fill("#ow-rate", "-0.1")
    click(gd_page, "#ow-step")
    assert "greater than 0" in gd_page.inner_text("#ow-message")

    gd_page.fill("#ow-rate", "0.01")
    step_until(gd_page, 6)
    assert gd_page.is_hidden("#ow-message")
    assert shown_values(gd_page)["new_weight"] == "2.24"

    # A rate far above 1/x^2 diverges: the page says so and never prints NaN.
    gd_page.fill("#ow-rate", "0.5")
    click(gd_page, "#ow-run")
    assert gd_page.get_attribute("#ow-status", "data-state") in ("diverging", "blown-up")
    status = gd_page.inner_text("#ow-status")
    assert "Diverg" in status and "too large" in status
    text = gd_page.inner_text("#one-weight").lower()
    assert "nan" not in text and "infinity" not in text


def test_race_advances_when_played_and_labels_match_the_sliders(gd_page):
    assert gd_page.inner_text("#race-rate-label") == gd.fmt(gd.RATE_SLIDER.value(gd.RATE_SLIDER.position(0.1)))
    assert gd_page.inner_text("#race-momentum-label") == "0.90"
    gd_page.select_option("#race-surface", "rosenbrock")
    gd_page.wait_for_function("document.querySelector('#race-note').textContent.includes('valley')")
    expected = gd.fmt(gd.RATE_SLIDER.value(gd.RATE_SLIDER.position(gd.SURFACES["rosenbrock"].rate)))
    assert gd_page.inner_text("#race-rate-label") == expected
    gd_page.click("#race-play")
    gd_page.wait_for_function("+document.querySelector('#race-steps').dataset.steps >= 20", timeout=30_000)
    assert gd_page.inner_text("#race-play") == "Pause"
    gd_page.click("#race-play")
    gd_page.wait_for_function("document.querySelector('#race-play').textContent === 'Play'")
    rows = gd_page.locator("#race-table tbody tr")
    assert rows.count() == 5
    assert int(rows.first.locator("td").nth(1).inner_text()) >= 20

    gd_page.fill("#race-momentum", "0.5")  # a range input: fill sets it and fires input
    gd_page.wait_for_function("document.querySelector('#race-momentum-label').textContent === '0.50'")
    gd_page.click("#race-canvas", position={"x": 120, "y": 360})
    x, y = gd.SURFACES["rosenbrock"].point_at(120 / 480, 360 / 480)
    gd_page.wait_for_function(
        "t => document.querySelector('#race-start').textContent.startsWith(t)",
        arg=f"Start: x = {gd.fmt(x)}, y = {gd.fmt(y)}", timeout=10_000)
    assert gd_page.get_attribute("#race-steps", "data-steps") == "0"


def test_mini_batch_highlights_batches_and_counts_epochs(gd_page):
    gd_page.select_option("#mb-batch", "16")
    gd_page.uncheck("#mb-shuffle")
    for n in range(1, 5):
        gd_page.click("#mb-step")
        gd_page.wait_for_function("n => +document.querySelector('#mb-counters').dataset.steps === n", arg=n)
    assert gd_page.get_attribute("#mb-counters", "data-epoch") == "2"
    native = gd.MiniBatch(batch_size=16, learning_rate=0.05, shuffle=False)
    for _ in range(4):
        native.step()
    view = native.view()
    assert f"{view['epochs']} epochs of data seen" in gd_page.inner_text("#mb-counters")
    assert gd_page.inner_text("#mb-table tbody tr:first-child td:nth-child(4)") == view["mini"]["loss"]
    assert int(gd_page.get_attribute("#mb-loss", "data-points")) == 5

    # Bad input leaves the run as it was and says why.
    gd_page.fill("#mb-rate", "fast")
    click(gd_page, "#mb-step")
    assert "not a number" in gd_page.inner_text("#mb-message")
    assert gd_page.get_attribute("#mb-counters", "data-steps") == "4"
    gd_page.fill("#mb-rate", "0.05")
    click(gd_page, "#mb-step")
    assert gd_page.get_attribute("#mb-counters", "data-steps") == "5"
    assert gd_page.is_hidden("#mb-message")


def test_weight_field_follows_the_weight_and_reset_restores_the_start(gd_page):
    click(gd_page, "#ow-run")
    lesson = gd.OneWeight(3, 10, 2, 0.01)
    for _ in range(10):
        lesson.update()
    assert gd_page.input_value("#ow-weight") == gd.fmt(lesson.weight.item(), 10)
    assert gd_page.get_attribute("#ow-counter", "data-updates") == "10"
    click(gd_page, "#ow-step")  # the field showing the current weight is not an edit: the run goes on
    assert gd_page.get_attribute("#ow-counter", "data-updates") == "11"
    click(gd_page, "#ow-reset")
    assert gd_page.input_value("#ow-weight") == "2"
    gd_page.fill("#ow-weight", "5")
    gd_page.dispatch_event("#ow-weight", "change")
    gd_page.wait_for_function("document.querySelector('#ow-counter').textContent.includes('weight now 5,')")


def test_divergence_names_the_displayed_loss(gd_page):
    gd_page.fill("#ow-rate", "0.5")
    for _ in range(5):
        click(gd_page, "#ow-run")
    lesson = gd.OneWeight(3, 10, 2, 0.5)
    for _ in range(50):
        lesson.update()
    assert gd_page.get_attribute("#ow-status", "data-state") == "blown-up"
    status = gd_page.inner_text("#ow-status")
    assert f"stopped at loss {gd.fmt(lesson.losses[-1])}" in status and gd.fmt(lesson.blown_up_loss) in status
    assert f"loss {gd.fmt(lesson.losses[-1])}" in gd_page.inner_text("#ow-counter")


def test_full_batch_has_one_colour_everywhere(gd_page):
    click(gd_page, "#mb-step")
    colours = gd_page.evaluate("""() => {
      // uPlot's legend marks each series with a border of the series' stroke colour.
      const series = id => Object.fromEntries([...document.querySelectorAll(`#${id} .u-legend .u-series`)]
        .map(r => [r.querySelector('.u-label').textContent, getComputedStyle(r.querySelector('.u-marker')).borderColor]));
      const swatch = model => getComputedStyle(
        document.querySelector(`#mb-table tr[data-model=${model}] .swatch`)).backgroundColor;
      return {data: series('mb-data'), loss: series('mb-loss'), table: swatch('full'), mini: swatch('mini')};
    }""")
    assert colours["loss"]["full batch"] == colours["data"]["full-batch line"] == colours["table"]
    assert colours["loss"]["mini-batch"] == colours["data"]["mini-batch line"] == colours["mini"]
    assert colours["table"] != colours["mini"]


def test_racers_out_of_steps_do_not_say_running(gd_page):
    gd_page.fill("#race-rate", "0")  # the slowest rates: nobody arrives in 1000 steps
    gd_page.fill("#race-adaptive", "0")
    gd_page.select_option("#race-surface", "rosenbrock")
    gd_page.fill("#race-rate", "0")
    gd_page.fill("#race-adaptive", "0")
    gd_page.click("#race-play")
    gd_page.wait_for_function("document.querySelector('#race-steps').textContent.includes('(finished)')",
                              timeout=120_000)
    states = gd_page.eval_on_selector_all("#race-table .state", "s => s.map(e => e.textContent)")
    assert states and "running" not in states
    assert "out of steps (1000)" in states


def test_the_page_fits_a_phone(browser_page):
    browser_page.page.set_viewport_size({"width": 390, "height": 844})  # before loading: charts size themselves once
    browser_page.open(PAGE)
    gd_page = browser_page.page
    click(gd_page, "#ow-update")
    click(gd_page, "#race-step")
    click(gd_page, "#mb-step")
    wide = gd_page.evaluate("""() => [...document.querySelectorAll('main *')]
      .filter(e => e.getBoundingClientRect().right > innerWidth).map(e => e.id || e.className || e.tagName)""")
    width = gd_page.evaluate("document.documentElement.scrollWidth")
    right = gd_page.evaluate("document.querySelector('#one-weight').getBoundingClientRect().right")
    assert width <= 390 and right <= 390 and not wide, (width, right, wide[:5])
    assert gd_page.is_visible("#ow-stages tr[data-key=slope] td.value")
    browser_page.assert_clean()
