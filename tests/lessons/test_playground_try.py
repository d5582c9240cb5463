"""The playground's "What to try" list (web/playground/index.html), natively: each experiment's link opens the state
tested here, and what the text says the learner will see is what pydl computes for it (in float64: claims about
the maths of these networks, not about one machine's rounding)."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from pydl import backend
from pydl.lessons.playground import Playground, from_query, replace
from tests.learning import assert_at_least, assert_below
from tests.site import ROOT


def experiment_links():
    page = (ROOT / "web" / "playground" / "index.html").read_text()
    section = re.search(r'<section class="card pg-try".*?</section>', page, re.S).group(0)
    return [html.unescape(link) for link in re.findall(r'<li><a href="#([^"]+)"', section)]


@pytest.fixture(autouse=True)
def float64():
    backend.set_floatx("float64")


def opened(link, **changes):
    """The run the link opens (the page applies a link's hash as is), with the changes the text asks for."""
    state, problems = from_query(link)
    assert not problems, problems
    for key, value in changes.items():
        state = replace(state, key, value)
    pg = Playground(state)
    pg.train_epochs(state.epochs)  # the link's epoch limit: play stops there
    assert pg.epoch == state.epochs and not pg.diverged
    return pg


def test_there_are_three_experiments():
    assert len(experiment_links()) == 3


def test_a_circle_needs_the_squared_features_without_a_hidden_layer():
    link = experiment_links()[0]
    line = opened(link)
    assert line.state.network_shape == () and line.state.features == ("x", "y")
    assert_below(line.test_accuracy, 0.70, "circle, X1 and X2 only, no hidden layer: test accuracy")
    squares = opened(link, xSquared=True, ySquared=True)
    assert_at_least(squares.test_accuracy, 0.95, "circle with X1² and X2², no hidden layer: test accuracy")


def test_learning_rate_3_saturates_and_0_03_learns():
    link = experiment_links()[1]
    saturated = opened(link)
    assert saturated.state.learning_rate == 3.0
    # above 1: worse than the mean squared error of answering 0 to targets of -1 and +1
    assert_at_least(saturated.train_loss, 1.0, "circle at learning rate 3: final training loss")
    assert_at_least(min(saturated.history["train"][-10:]), 1.0, "learning rate 3: the last 10 epochs' losses")
    assert_below(opened(link, learningRate="0.03").train_loss, 0.05, "circle at learning rate 0.03: training loss")


def test_few_noisy_points_overfit_and_l2_helps():
    link = experiment_links()[2]
    plain = opened(link)
    test_losses = np.array(plain.history["test"])
    lowest = int(test_losses.argmin())
    assert lowest <= 30, f"the test loss was lowest at epoch {lowest}, not within the first 30"
    assert_at_least(test_losses[-1] - test_losses.min(), 0.1, "overfitting: final test loss above its lowest")
    assert_below(plain.train_loss, plain.history["train"][lowest], "training loss: final vs at the test minimum")
    regularized = opened(link, regularization="L2", regularizationRate="0.03")
    assert_below(regularized.test_loss, plain.test_loss - 0.02, "final test loss: with L2 0.03 vs without")
    assert_at_least(regularized.train_loss, plain.train_loss + 0.02, "final training loss: with L2 0.03 vs without")


GLOSSARY_IDS = {"epoch", "batch", "learning-rate", "loss", "gradient", "backpropagation", "weight", "bias",
                "activation", "optimizer", "overfitting", "validation", "test-set", "regularization", "dropout"}


def test_glossary_terms_are_linked_once_each_to_known_entries():
    page = (ROOT / "web" / "playground" / "index.html").read_text()
    linked = re.findall(r'<a class="term" href="\.\./glossary/#([a-z-]+)">', page)
    assert len(linked) == len(set(linked)) >= 10, linked  # at the first appearance only
    assert set(linked) <= GLOSSARY_IDS, set(linked) - GLOSSARY_IDS
    assert page.index('class="term"') < page.index('id="pg"'), "the lead, above the controls, links the terms"
