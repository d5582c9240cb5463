"""web/rnn/ in Chromium, offline: stepping through a SimpleRNN, training in the page, the gradient bars, bad input."""

from __future__ import annotations

import pytest

from pydl.lessons import rnn
from tests.e2e.pause import assert_pause_answers, resume_with, status_moves_on
from tests.lessons.test_rnn import TINY

PAGE = "web/rnn/"
pytestmark = pytest.mark.e2e


def click(page, selector: str) -> None:
    """Click and wait until the page has handled this click (and so every event before it)."""
    before = int(page.evaluate("document.body.dataset.clicks || '0'"))
    page.click(selector)
    page.wait_for_function("n => +(document.body.dataset.clicks || 0) > n", arg=before, timeout=20_000)


def shown_numbers(page) -> dict:
    """The step table as {row key: [text of each unit]}."""
    return page.eval_on_selector_all("#read-numbers tbody tr", """rows => Object.fromEntries(rows.map(
        r => [r.dataset.key, [...r.querySelectorAll('td')].map(td => td.textContent)]))""")


def shown_sums(page) -> dict:
    return page.eval_on_selector_all("#read-sums dd",
                                     "dds => Object.fromEntries(dds.map(d => [d.dataset.key, d.textContent]))")


@pytest.fixture
def rnn_page(browser_page):
    browser_page.open(PAGE)
    yield browser_page.page
    browser_page.assert_clean()


def test_stepping_shows_the_native_lessons_numbers_for_a_picked_and_an_edited_digit(rnn_page):
    reader = rnn.make_reader()
    digit = rnn.digit_samples()[3]
    native = rnn.ReadingLesson(reader, digit)
    click(rnn_page, '.rnn-digit[data-digit="3"]')
    assert rnn_page.get_attribute('.rnn-digit[data-digit="3"]', "aria-pressed") == "true"
    assert rnn_page.is_hidden("#read-step-view")
    for shown in (1, 2, 3):
        click(rnn_page, "#read-step")
        assert rnn_page.get_attribute("#read-counter", "data-shown") == str(shown)
    assert shown_numbers(rnn_page) == {key: texts for key, _, texts in native.rows(2)}
    assert shown_sums(rnn_page) == native.expansion(2, 0)
    assert rnn_page.locator("#read-heatmap tbody tr:nth-child(3) td").all_inner_texts() == native.rows(2)[-1][2]
    assert rnn_page.locator("#read-heatmap tbody tr:nth-child(4) td").all_inner_texts() == [""] * 4
    assert rnn_page.get_attribute(".rnn-grid-row:nth-child(3)", "data-state") == "current"

    rnn_page.select_option("#read-unit", "2")
    rnn_page.wait_for_function("t => document.querySelector('#read-sums dd').textContent.endsWith('= ' + t)",
                               arg=rnn.number(native.steps[2].from_input[2]))
    assert shown_sums(rnn_page) == native.expansion(2, 2)

    # A click on a pixel of row 2 gives it half ink: the shown steps are recomputed for the edited digit.
    click(rnn_page, '.rnn-px[data-row="1"][data-col="0"]')
    edited = digit.copy()
    edited[1, 0] = 0.5
    assert shown_numbers(rnn_page) == {key: texts for key, _, texts in rnn.ReadingLesson(reader, edited).rows(2)}
    assert rnn_page.get_attribute('.rnn-digit[data-digit="3"]', "aria-pressed") == "false"

    click(rnn_page, "#read-all")
    assert rnn_page.get_attribute("#read-counter", "data-shown") == "8"
    assert rnn_page.is_disabled("#read-step")
    click(rnn_page, "#read-reset")
    assert rnn_page.get_attribute("#read-counter", "data-shown") == "0"
    assert rnn_page.is_hidden("#read-step-view")


def fill_training(page, units: str, epochs: str, rate: str, kinds) -> None:
    page.fill("#train-units", units)
    page.fill("#train-epochs", epochs)
    page.fill("#train-rate", rate)
    for kind in rnn.MODEL_KINDS:
        page.set_checked(f"#train-{kind}", kind in kinds)


def test_training_a_tiny_configuration_reaches_a_test_accuracy_above_chance(rnn_page):
    rnn_page.set_viewport_size({"width": 390, "height": 844})  # the results table made a phone's page 564 px wide
    fill_training(rnn_page, TINY["units"], TINY["epochs"], TINY["learning_rate"], TINY["kinds"])
    click(rnn_page, "#train-start")
    rnn_page.wait_for_selector("#train-status[data-state=done]", timeout=120_000)
    assert rnn_page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways after training"
    box = rnn_page.evaluate("(() => { const b = document.querySelector('#train-results').parentElement;"
                            " return [b.scrollWidth, b.clientWidth]; })()")
    assert box[0] <= box[1], f"the results table needs sideways scrolling in its box at 390 px: {box}"
    assert rnn_page.is_hidden("#train-message")
    rows = rnn_page.locator("#train-results tbody tr")
    assert rows.count() == 2
    chance = rnn.chance_accuracy(rnn.sequence_data())
    for kind in TINY["kinds"]:
        row = rnn_page.locator(f'#train-results tr[data-kind="{kind}"]')
        assert row.get_attribute("data-epochs") == TINY["epochs"]
        assert float(row.get_attribute("data-test-accuracy")) > 3 * chance
    assert int(rnn_page.get_attribute("#train-chart", "data-points")) == int(TINY["epochs"])  # one x per epoch
    print(f"\nrnn page: tiny training took {rnn_page.get_attribute('#train-status', 'data-seconds')} s in the browser")


def test_an_out_of_range_field_says_why_and_does_not_start_training(rnn_page):
    for field, typed, expected in (("#train-units", "0", "Units must be at least 1"),
                                   ("#train-epochs", "500", "Epochs must be at most 30"),
                                   ("#train-rate", "fast", "Learning rate: \u201cfast\u201d is not a number"),
                                   ("#train-units", "abc", "Units: \u201cabc\u201d is not a number. Type a whole number")):
        fill_training(rnn_page, "16", "8", "0.01", rnn.MODEL_KINDS)
        rnn_page.fill(field, typed)
        click(rnn_page, "#train-start")
        assert rnn_page.is_visible("#train-message")
        assert expected in rnn_page.inner_text("#train-message")
        assert rnn_page.get_attribute(field, "aria-invalid") == "true"
        assert rnn_page.get_attribute("#train-status", "data-state") == "idle"
        assert rnn_page.is_hidden("#train-results")
    fill_training(rnn_page, "16", "8", "0.01", [])
    click(rnn_page, "#train-start")
    assert "tick at least one" in rnn_page.inner_text("#train-message")
    assert rnn_page.get_attribute("#train-status", "data-state") == "idle"


def test_pause_and_stop_leave_a_responsive_page_with_results_so_far(rnn_page):
    fill_training(rnn_page, "16", "30", "0.01", rnn.MODEL_KINDS)
    click(rnn_page, "#train-start")
    rnn_page.wait_for_function("+(document.querySelector('#train-chart').dataset.points || 0) >= 1", timeout=60_000)

    trains_on = status_moves_on("#train-status")
    resume = resume_with("#train-pause", "#train-status")
    assert_pause_answers(rnn_page, "rnn page", {"button": "#train-pause", "target": "#train-status"}, resume,
                         between=trains_on)
    trains_on(rnn_page)
    rnn_page.click("#train-pause")  # Pause and Stop are read between slices: no handler counts their clicks
    rnn_page.wait_for_selector("#train-status[data-state=paused]")
    assert rnn_page.inner_text("#train-pause") == "Resume"
    click(rnn_page, "#read-step")  # the other cards still answer while training waits
    assert rnn_page.get_attribute("#read-counter", "data-shown") == "1"
    resume(rnn_page)
    rnn_page.click("#train-stop")
    rnn_page.wait_for_selector("#train-status[data-state=stopped]")
    epochs = [int(e) for e in rnn_page.eval_on_selector_all("#train-results tbody tr",
                                                            "rs => rs.map(r => r.dataset.epochs)")]
    assert len(epochs) == 3 and max(epochs) < 30
    assert rnn_page.is_disabled("#train-stop") and rnn_page.is_disabled("#train-pause")


def bars(page, kind: str) -> list:
    return page.eval_on_selector_all(f"#fade-{kind} .rnn-bar", "bs => bs.map(b => +b.dataset.value)")


def test_the_gradient_chart_has_one_bar_per_timestep_and_the_native_sentences(rnn_page):
    native = rnn.fading(**rnn.FADING_DEFAULTS)
    for kind in ("SimpleRNN", "LSTM"):
        assert bars(rnn_page, kind) == pytest.approx(native[kind]["gradients"], rel=1e-9)
    assert rnn_page.locator("#fade-sentences li").all_inner_texts() == [native["SimpleRNN"]["sentence"],
                                                                         native["LSTM"]["sentence"]]
    assert "1/410 of the last step's" in native["SimpleRNN"]["sentence"]

    rnn_page.select_option("#fade-digits", "8")
    rnn_page.wait_for_function("document.querySelector('#fade-chart').dataset.steps === '64'", timeout=20_000)
    assert len(bars(rnn_page, "SimpleRNN")) == len(bars(rnn_page, "LSTM")) == 64

    rnn_page.fill("#fade-bias", "6")  # a range input: fill sets it and fires input
    expected = rnn.fading(digits=8, recurrent_scale=1.0, forget_bias=6.0)["LSTM"]["sentence"]
    rnn_page.wait_for_function("t => document.querySelector('#fade-sentences li:last-child').textContent === t",
                               arg=expected, timeout=20_000)
    assert "gate 0.998" in rnn_page.inner_text("#fade-bias-label")
    heights = rnn_page.eval_on_selector_all("#fade-LSTM .rnn-bar", "bs => bs.map(b => parseFloat(b.style.height))")
    assert len(heights) == 64 and max(heights) == 100


def test_a_learning_rate_of_one_is_called_too_high(rnn_page):
    """The advice under the results comes from pydl.lessons.training_advice (tests/lessons/test_training_advice.py)."""
    fill_training(rnn_page, "8", "2", "1", ["SimpleRNN"])
    click(rnn_page, "#train-start")
    rnn_page.wait_for_selector("#train-status[data-state=done]", timeout=120_000)
    assert rnn_page.get_attribute("#train-status", "data-advice") == "stuck"
    assert "The learning rate is too high" in rnn_page.inner_text("#train-status")
