"""The recurrent-network page's computations (pydl.lessons.rnn), natively: what web/rnn/ shows is what these run."""

from __future__ import annotations

import numpy as np
import pytest

import pydl
from pydl.lessons import rnn
from pydl.lessons.convnet import WallClock, load_digits_data
from tests.learning import assert_at_least

# The configuration tests/e2e/test_rnn_page.py trains in the browser: small, so that it takes seconds there.
TINY = {"units": "8", "epochs": "2", "learning_rate": "0.02", "kinds": ["SimpleRNN", "LSTM"]}


# ------------------------------------------------------------------------------------------------ 1. one step at a time
@pytest.fixture(scope="module")
def reader():
    return rnn.make_reader()


@pytest.mark.parametrize("digit_class", [0, 3, 8])
def test_hand_computed_steps_equal_the_layers_own_states(reader, digit_class):
    lesson = rnn.ReadingLesson(reader, rnn.digit_samples()[digit_class])
    by_hand = np.array([step.state for step in lesson.steps])
    layer = reader(lesson.digit[None]).numpy()[0]  # SimpleRNN(return_sequences=True), float64
    assert by_hand.dtype == layer.dtype == np.float64
    np.testing.assert_allclose(by_hand, layer, rtol=0, atol=1e-12)
    np.testing.assert_allclose(lesson.layer_states(), layer, rtol=0, atol=0)


def test_a_drawn_digit_is_read_like_a_dataset_digit(reader):
    drawn = np.zeros((8, 8))
    for row, col in [(1, 3), (2, 3), (3, 3), (4, 3), (5, 3), (6, 3)]:  # a vertical stroke: a "1"
        drawn[row, col] = rnn.next_ink(rnn.next_ink(0.0))  # two clicks: full ink
    assert drawn[1, 3] == 1.0
    lesson = rnn.ReadingLesson(reader, drawn)
    np.testing.assert_allclose(np.array([s.state for s in lesson.steps]), lesson.layer_states(), rtol=0, atol=1e-12)
    assert lesson.expansion(0, 0)["from_input"] == "0 (no ink in this row) = 0"


def test_each_step_is_the_formula_with_the_previous_steps_state(reader):
    lesson = rnn.ReadingLesson(reader, rnn.digit_samples()[5])
    kernel, recurrent, bias = reader.get_weights()
    assert kernel.shape == (8, 4) and recurrent.shape == (4, 4) and bias.shape == (4,) and np.any(bias != 0)
    previous = np.zeros(4)
    for t, step in enumerate(lesson.steps):
        assert step.t == t
        np.testing.assert_array_equal(step.row, lesson.digit[t])
        np.testing.assert_array_equal(step.previous, previous)
        np.testing.assert_array_equal(step.total, step.from_input + step.from_previous + step.bias)
        np.testing.assert_array_equal(step.state, np.tanh(step.total))
        assert np.all(np.abs(step.state) < 1)
        previous = step.state
    np.testing.assert_array_equal(lesson.states(3), [s.state for s in lesson.steps[:3]])
    assert lesson.states(0).shape == (0, 4)


def test_the_numbers_the_page_shows_for_the_worked_digit(reader):
    """Exact texts for the digit 3, step 3 (t = 2), unit 1: the e2e test expects the page to show these."""
    lesson = rnn.ReadingLesson(reader, rnn.digit_samples()[3])
    rows = {key: texts for key, _, texts in lesson.rows(2)}
    assert list(rows) == ["previous", "from_input", "from_previous", "bias", "total", "state"]
    assert rows["state"] == ["-0.611", "-0.37", "0.628", "0.283"]
    assert rows["total"] == ["-0.71", "-0.389", "0.738", "0.291"]
    expansion = lesson.expansion(2, 0)
    assert expansion["from_input"] == "0.125\u00d70.514 + 0.812\u00d7(-0.667) + 0.438\u00d70.163 = -0.406"
    assert expansion["total"] == "-0.406 + (-0.844) + 0.54 = -0.71"
    assert expansion["state"] == "tanh(-0.71) = -0.611"
    assert lesson.expansion(0, 1)["from_previous"] == "0 (no previous state yet) = 0"


def test_digit_samples_ink_and_checks():
    samples = rnn.digit_samples()
    assert len(samples) == 10 and all(s.shape == (8, 8) and s.min() >= 0 and s.max() <= 1 for s in samples)
    assert [rnn.next_ink(v) for v in (0.0, 0.3, 0.5, 0.8125, 1.0)] == [0.5, 0.5, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="8x8 pixels"):
        rnn.check_digit(np.zeros((7, 8)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        rnn.check_digit(np.full((8, 8), 2.0))
    with pytest.raises(ValueError, match="between 0 and 1"):
        rnn.check_digit(np.full((8, 8), np.nan))


# ------------------------------------------------------------------------------------------------ 2. train it
def test_training_fields_are_checked_with_messages_that_name_the_field():
    values, message = rnn.check_training({"units": "16", "epochs": "8", "learning_rate": "0.01"})
    assert message is None and values == {**rnn.TRAINING_DEFAULTS, "kinds": ("SimpleRNN", "LSTM", "GRU")}
    cases = {
        ("units", "0"): "Units must be at least 1, got 0.",
        ("units", "65"): "Units must be at most 64, got 65.",
        ("units", "2.5"): "Units must be a whole number, got 2.5.",
        ("epochs", "31"): "Epochs must be at most 30, got 31.",
        ("epochs", ""): "Epochs is empty: type a whole number.",
        ("units", "abc"): "Units: \u201cabc\u201d is not a number. Type a whole number from 1 to 64.",
        ("learning_rate", "0"): "Learning rate must be at least 0.0001, got 0.",
        ("learning_rate", "3"): "Learning rate must be at most 1, got 3.",
        ("learning_rate", "fast"): "Learning rate: \u201cfast\u201d is not a number. Type a number such as 0.5.",
    }
    for (field, typed), expected in cases.items():
        values, message = rnn.check_training({"units": "16", "epochs": "8", "learning_rate": "0.01", field: typed})
        assert values is None and message == expected
        assert message.startswith(rnn.FIELD_LABELS[field])
    assert rnn.check_training({"units": "4", "epochs": "1", "learning_rate": "0.1", "kinds": []}) == (
        None, "Models: tick at least one of SimpleRNN, LSTM and GRU.")
    values, _ = rnn.check_training({"units": "4", "epochs": "1", "learning_rate": "0.1", "kinds": ["GRU", "LSTM"]})
    assert values["kinds"] == ("LSTM", "GRU")  # always the page's order


def test_sequence_data_are_the_convnet_digits_read_row_by_row():
    data, images = rnn.sequence_data(), load_digits_data()
    assert data.x_train.shape == (1149, 8, 8) and data.x_val.shape == (288, 8, 8) and data.x_test.shape == (360, 8, 8)
    np.testing.assert_array_equal(data.x_train, images.x_train[..., 0])
    np.testing.assert_array_equal(data.y_test, images.y_test)
    assert 0.09 < rnn.chance_accuracy(data) < 0.12


def test_classifiers_have_the_keras_parameter_counts():
    counts = {kind: rnn.build_classifier(kind, 16, 0.01).count_params() for kind in rnn.MODEL_KINDS}
    # recurrent (Keras' formula, 8 features) + Dense(10) on 16 units
    assert counts == {"SimpleRNN": 16 * (8 + 16 + 1) + 170, "LSTM": 4 * 16 * (8 + 16 + 1) + 170,
                      "GRU": 3 * 16 * (8 + 16 + 2) + 170}


@pytest.fixture(scope="module")
def default_comparison():
    values, _ = rnn.check_training({k: str(v) for k, v in rnn.TRAINING_DEFAULTS.items() if k != "kinds"})
    comparison = rnn.Comparison(values, rnn.sequence_data())
    order = []
    while not comparison.done:
        kind, _ = comparison.step(0.05)
        order.append(kind)
    return comparison, order


def test_the_default_comparison_learns_far_beyond_chance_on_held_out_digits(default_comparison):
    comparison, _ = default_comparison
    results = comparison.results()
    chance = rnn.chance_accuracy(comparison.data)
    assert set(results) == {"SimpleRNN", "LSTM", "GRU"}
    for kind, result in results.items():
        assert result["epochs"] == rnn.TRAINING_DEFAULTS["epochs"]
        assert 0.8 > 5 * chance
        assert_at_least(result["test_accuracy"], 0.8, f"{kind}: test accuracy")
        assert result["seconds_per_epoch"] > 0
    curves = comparison.validation_curves()
    assert all(len(curve) == 8 and curve[-1] > curve[0] for curve in curves.values())
    assert comparison.step() == (None, None) and comparison.progress == 1


def test_the_comparison_trains_the_model_furthest_behind(default_comparison):
    comparison, order = default_comparison
    assert order[:3] == ["SimpleRNN", "LSTM", "GRU"]  # all at 0 epochs: ties go in the page's order
    assert {kind: order.count(kind) >= 8 for kind in rnn.MODEL_KINDS} == dict.fromkeys(rnn.MODEL_KINDS, True)


def test_each_model_of_the_race_is_fit_bit_for_bit(default_comparison):
    """The race interleaves three training loops; each model still ends where fit with the same seed ends."""
    comparison, _ = default_comparison
    data, values = comparison.data, comparison.values
    for kind, model in comparison.models.items():
        alone = rnn.build_classifier(kind, values["units"], values["learning_rate"])
        history = alone.fit(data.x_train, data.y_train, batch_size=32, epochs=values["epochs"],
                            validation_data=(data.x_val, data.y_val), verbose=0, seed=0).history
        assert history == comparison.loops[kind].history.history, kind
        assert all(np.array_equal(a, b) for a, b in zip(alone.get_weights(), model.get_weights(), strict=True))


def test_each_model_is_charged_the_wall_time_until_the_next_slice_and_pauses_count_for_none():
    now = [0.0]
    clock = WallClock(lambda: now[0])
    values, _ = rnn.check_training({**TINY, "epochs": "1"})
    comparison = rnn.Comparison(values, rnn.sequence_data(), clock=clock)
    spent = {}
    while not comparison.done:
        kind, _ = comparison.step(0.05)
        now[0] += 1.0  # the slice and the page's drawing after it, on the fake clock
        spent[kind] = spent.get(kind, 0.0) + 1.0
        if len(spent) == 1 and spent[kind] == 1.0:
            clock.pause()
            now[0] += 100.0  # a pause: charged to no model
            clock.resume()
    results = comparison.results()
    assert {kind: results[kind]["seconds_per_epoch"] for kind in results} == spent
    assert sum(spent.values()) == clock.seconds()
    now[0] += 50.0  # after the books are closed, nothing more is charged
    assert comparison.results() == results


def test_the_e2e_configuration_beats_chance_in_two_epochs():
    values, message = rnn.check_training(TINY)
    assert message is None and values["kinds"] == ("SimpleRNN", "LSTM")
    comparison = rnn.Comparison(values, rnn.sequence_data())
    while not comparison.done:
        comparison.step(1.0)
    chance = rnn.chance_accuracy(comparison.data)
    for kind, result in comparison.results().items():
        assert_at_least(result["test_accuracy"], 3 * chance, f"{kind}: test accuracy vs 3 x chance")


# ------------------------------------------------------------------------------------------------ 3. why memory fades
def test_gradient_per_step_is_the_autograd_gradient_and_matches_finite_differences():
    layer = rnn.simple_rnn_scaled(1.0, units=3)
    sequences = rnn.long_sequences(digits=1, count=2)
    grads = rnn.gradient_per_step(layer, sequences)
    assert grads.shape == (8,)

    def final_state_sum(x):
        return float(layer(pydl.tensor(x)).numpy().sum())

    numeric = np.zeros_like(sequences)
    eps = 1e-6
    for index in np.ndindex(*sequences.shape):
        shifted = sequences.copy()
        shifted[index] += eps
        up = final_state_sum(shifted)
        shifted[index] -= 2 * eps
        numeric[index] = (up - final_state_sum(shifted)) / (2 * eps)
    np.testing.assert_allclose(grads, np.sqrt((numeric ** 2).sum(axis=2)).mean(axis=0), rtol=1e-6)


def test_long_sequences_are_digits_one_after_another():
    x = rnn.long_sequences(digits=4, count=5)
    assert x.shape == (5, 32, 8) and x.min() >= 0 and x.max() <= 1
    np.testing.assert_array_equal(rnn.long_sequences(digits=4, count=5), x)  # seeded


def test_the_knobs_change_the_weights_they_name():
    plain, scaled = rnn.simple_rnn_scaled(1.0), rnn.simple_rnn_scaled(1.5)
    np.testing.assert_allclose(scaled.recurrent_kernel.numpy(), 1.5 * plain.recurrent_kernel.numpy())
    np.testing.assert_array_equal(scaled.kernel.numpy(), plain.kernel.numpy())
    lstm = rnn.lstm_with_forget_bias(4.0)
    assert lstm.bias.numpy().tolist() == [0.0] * 16 + [4.0] * 16 + [0.0] * 32
    np.testing.assert_array_equal(rnn.lstm_with_forget_bias(1.0).get_weights()[2],
                                  rnn.lstm_with_forget_bias(1.0, seed=0).get_weights()[2])


def test_at_keras_start_both_fade_over_32_steps_with_the_pages_sentences():
    result = rnn.fading(**rnn.FADING_DEFAULTS)
    assert result["steps"] == 32 and abs(result["forget_gate"] - 0.7311) < 1e-4
    for kind in ("SimpleRNN", "LSTM"):
        grads = np.array(result[kind]["gradients"])
        assert len(grads) == 32 and np.all(grads > 0)
        assert grads[0] < grads[-1] / 100  # the first step is barely felt at the end
        assert len(result[kind]["heights"]) == len(result[kind]["log_heights"]) == 32
        assert max(result[kind]["heights"]) == max(result[kind]["log_heights"]) == 100
    assert result["SimpleRNN"]["sentence"] == ("SimpleRNN: the first step's gradient is 1/410 of the last step's: "
                                               "each step back multiplies it by 0.823 on average.")
    assert result["LSTM"]["sentence"].startswith("LSTM: the first step's gradient is 1/150 of the last step's")


def test_the_simple_rnn_tips_from_vanishing_to_exploding_while_the_lstm_gate_only_approaches_one():
    def first_over_last(kind, **knobs):
        grads = rnn.fading(digits=8, **knobs)[kind]["gradients"]
        return grads[0] / grads[-1]

    assert first_over_last("SimpleRNN", recurrent_scale=0.8) < 1e-9       # vanishes over 64 steps
    assert first_over_last("SimpleRNN", recurrent_scale=1.7) > 50         # explodes a little further up
    assert first_over_last("LSTM", forget_bias=1.0) < 1e-4                 # Keras' start: the gate keeps 73 %
    for bias in (4.0, 6.0, 8.0):                                           # an open gate: the first step is felt,
        assert 0.2 < first_over_last("LSTM", forget_bias=bias) < 1         # and it never explodes


def test_bars_are_linear_or_on_a_log_scale_relative_to_the_largest():
    gradients = np.array([1e-9, 1e-4, 0.5, 10.0, 0.0])
    assert rnn.bar_heights(gradients) == pytest.approx([1e-8, 1e-3, 5.0, 100.0, 0.0])
    log_bars = rnn.bar_heights(gradients, log=True, decades=8)
    assert log_bars == pytest.approx([0.0, 37.5, 100 * (1 - np.log10(20) / 8), 100.0, 0.0])
    assert rnn.bar_heights(np.zeros(3)) == [0.0, 0.0, 0.0]


def test_ratios_read_like_a_person_writes_them():
    assert [rnn.readable(v) for v in (3.46, 412.3, 190_123, 999_999.9, 2.6e10)] == [
        "3.5", "410", "190,000", "1 \u00d7 10\u2076", "2.6 \u00d7 10\u00b9\u2070"]
    assert rnn.compare_to_last([1.0, 0.5, 2.0]) == ("the first step's gradient is 1/2 of the last step's: "
                                                    "each step back multiplies it by 0.707 on average")
    assert rnn.compare_to_last([6.0, 2.0]).startswith("the first step's gradient is 3 times")
    assert rnn.compare_to_last([1.0, 2.6e10]).startswith("the first step's gradient is 1/(2.6 \u00d7 10\u00b9\u2070) of")


def test_fading_controls_are_checked():
    assert rnn.check_fading({"digits": "4", "recurrent_scale": "1", "forget_bias": "1"}) == (
        {"digits": 4, "recurrent_scale": 1.0, "forget_bias": 1.0}, None)
    assert rnn.check_fading({"digits": "3", "recurrent_scale": "1", "forget_bias": "1"})[1] == (
        "Digits per sequence must be one of 1, 2, 4, 6, 8, got 3.")
    assert rnn.check_fading({"digits": "4", "recurrent_scale": "9", "forget_bias": "1"})[1] == (
        "SimpleRNN weight scale must be at most 2, got 9.")
    assert rnn.check_fading({"digits": "4", "recurrent_scale": "1", "forget_bias": "x"})[1].startswith(
        "LSTM forget-gate bias: \u201cx\u201d is not a number")
