"""The "What to try" lists of the gradient-descent, backprop and rnn pages: each experiment, run with the lesson
code the page runs, shows what its text says, and the numbers the text quotes are the ones the lessons compute."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pytest

from pydl.lessons import backprop as bp
from pydl.lessons import rnn
from pydl.lessons.gradient_descent import MiniBatch, OneWeight, Race, fmt
from pydl.lessons.rnn.reading import ReadingLesson, make_reader
from tests.site import ROOT


class TryList(HTMLParser):
    """``{data-try: text}`` of a page's What to try list."""

    def __init__(self, page: str):
        super().__init__()
        self.items, self._current = {}, None
        self.feed((ROOT / "web" / page / "index.html").read_text())

    def handle_starttag(self, tag, attrs):
        if tag == "li" and dict(attrs).get("data-try"):
            self._current = dict(attrs)["data-try"]
            self.items[self._current] = ""

    def handle_endtag(self, tag):
        if tag == "li":
            self._current = None

    def handle_data(self, data):
        if self._current:
            self.items[self._current] += data


def said(page: str, key: str) -> str:
    return " ".join(TryList(page).items[key].split())


@pytest.mark.parametrize("page, keys", [("gradient-descent", ["rate", "valleys", "batch-one"]),
                                        ("backprop", ["update", "dead-relu", "vanishing"]),
                                        ("rnn", ["blank", "parameters", "fading"])])
def test_each_page_lists_three_experiments(page, keys):
    assert list(TryList(page).items) == keys


# ---------------------------------------------------------------- gradient descent


def test_rate_point_one_overshoots_point_one_two_diverges_and_the_limit_is_as_said():
    text = said("gradient-descent", "rate")
    states = {}
    for rate in (0.1, 0.12):
        lesson = OneWeight(learning_rate=rate)
        for _ in range(10):
            lesson.update()
        states[rate] = lesson.status()["state"]
        assert not lesson.blown_up
    assert states == {0.1: "overshooting", 0.12: "diverging"}
    best = 10 / 3
    lesson = OneWeight(learning_rate=0.1)
    sides = []
    for _ in range(10):
        lesson.update()
        sides.append(lesson.weight.item() > best)
    assert all(a != b for a, b in zip(sides, sides[1:])), "the weight should land on the other side every update"
    assert f"any rate above {fmt(OneWeight().thresholds()['stable'], 3)} diverges" in text
    assert f"({fmt(10)} / {fmt(3)} = {fmt(best, 3)})" in text


def test_on_the_local_minima_only_momentum_reaches_the_deep_valley():
    text = said("gradient-descent", "valleys")
    race = Race("valleys")
    while not race.finished:
        race.step(50)
    ends = {row["key"]: (float(row["x"]), float(row["y"]), float(row["loss"])) for row in race.summary()}
    deep, shallow = race.surface.minima
    for key, (x, y, loss) in ends.items():
        target = deep if key == "momentum" else shallow
        assert abs(x - target[0]) < 0.05 and abs(y - target[1]) < 0.05, (key, x, y)
    assert ends["momentum"][2] < min(loss for key, (_, _, loss) in ends.items() if key != "momentum")
    assert f"({fmt(deep[0])}, {fmt(deep[1])})" in text
    assert f"({fmt(shallow[0])}, {fmt(shallow[1])})".replace("-", "\u2212") in text


def test_batch_size_one_rises_on_about_half_the_steps_and_full_batch_never():
    said("gradient-descent", "batch-one")
    lesson = MiniBatch(batch_size=1)
    for _ in range(lesson.n):
        lesson.step()
    assert lesson.epochs == 1 and lesson.n == 48
    mini_rises = int((np.diff(lesson.history["mini"]) > 0).sum())
    assert 0.3 < mini_rises / lesson.n < 0.6
    assert not (np.diff(lesson.history["full"]) > 0).any()
    same = MiniBatch(batch_size=48)
    for _ in range(10):
        same.step()
    # The shuffled full batch sums the same 48 terms in another order: equal up to float64 rounding.
    np.testing.assert_allclose(same.history["mini"], same.history["full"], rtol=1e-12)


# ---------------------------------------------------------------- backprop


def test_one_update_lowers_the_loss_and_a_five_times_larger_rate_overshoots():
    text = said("backprop", "update")
    network = bp.Network()
    assert network.loss() == 1
    after, _ = network.updated()
    overshot, _ = bp.Network(learning_rate=0.05).updated()
    assert overshot.prediction() > network.target > network.prediction()
    assert f"the loss goes from 1 to {fmt(after.loss())}" in text
    assert f"the loss goes from 1 to {fmt(overshot.loss())}" in text


def test_a_negative_relu_sum_gives_its_incoming_weights_zero_slopes():
    said("backprop", "dead-relu")
    network = bp.Network(inputs=[4.0, 3.0])
    z, a = network._explicit()
    assert z[1][1] == 4 * -1 + 3 * 1 == -1 and a[1][1] == 0
    slopes = {w["name"]: w["slope"] for w in network.backward()["weights"][0]}
    assert slopes["x1\u2192h2"] == slopes["x2\u2192h2"] == 0
    assert slopes["x1\u2192h1"] != 0
    autograd = network.autograd()["weights"][0]
    assert autograd[0][1] == autograd[1][1] == 0


def _mean_abs_slopes(activation: str) -> list[float]:
    network = bp.Network(bp.default_inputs(2), [2, 2, 2], None, activation=activation)
    return [float(np.mean([abs(w["slope"]) for w in layer])) for layer in network.backward()["weights"]]


def test_sigmoid_slopes_shrink_layer_by_layer_and_relu_ones_do_not_as_much():
    said("backprop", "vanishing")
    sigmoid = _mean_abs_slopes("sigmoid")
    assert all(a < b for a, b in zip(sigmoid, sigmoid[1:])), sigmoid
    assert sigmoid[-1] > 100 * sigmoid[0]
    relu = _mean_abs_slopes("relu")
    assert relu[-1] < 10 * relu[0]


# ---------------------------------------------------------------- rnn


def test_a_blank_grid_still_has_states_from_the_bias_and_the_memory():
    said("rnn", "blank")
    reader = make_reader()
    states = ReadingLesson(reader, np.zeros((8, 8))).layer_states()
    bias = reader.weights[2].numpy()  # kernel, recurrent kernel, bias: Keras' order
    np.testing.assert_allclose(states[0], np.tanh(bias), rtol=1e-12)
    assert np.abs(states).min() > 0
    assert np.abs(np.diff(states, axis=0)).max() > 0.05


def test_the_parameter_counts_the_list_quotes():
    text = said("rnn", "parameters")
    counts = {kind: rnn.build_classifier(kind, 16, 0.01).count_params() for kind in rnn.MODEL_KINDS}
    dense = 16 * 10 + 10
    assert (counts["LSTM"] - dense) == 4 * (counts["SimpleRNN"] - dense)
    assert f"the SimpleRNN has {counts['SimpleRNN']:,}, the LSTM {counts['LSTM']:,} and the GRU {counts['GRU']:,}" in text
    assert f"the softmax layer's {dense}" in text


def test_u_half_vanishes_u_double_explodes_and_forget_bias_eight_keeps_the_first_step():
    said("rnn", "fading")

    def first_over_last(kind, **knobs):
        gradients = rnn.fading(digits=8, **knobs)[kind]["gradients"]
        return gradients[0] / gradients[-1]

    assert first_over_last("SimpleRNN", recurrent_scale=0.5) < 1e-20
    assert first_over_last("SimpleRNN", recurrent_scale=2.0) > 1000
    assert first_over_last("LSTM", forget_bias=8.0) > 0.1
    assert first_over_last("LSTM", forget_bias=1.0) < 1e-3
