"""pydl.lessons.training_advice: the verdict on a run from its losses, on made-up histories and on real runs of
the convnet page's default model at a rate too high, too low and right."""

from __future__ import annotations

import math

import pytest

from pydl.lessons.convnet import DEFAULT_SPEC, build_model, load_digits_data, train_slice, training_loop, validate_spec
from pydl.lessons.training_advice import chance_loss, diagnose_training

CHANCE = math.log(10)


def test_chance_loss_is_the_entropy_of_the_label_frequencies():
    assert chance_loss(list(range(10)) * 3) == pytest.approx(math.log(10), rel=1e-12)
    assert chance_loss([0, 0, 0, 1]) == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)), rel=1e-12)
    assert chance_loss([3, 3]) == 0.0
    with pytest.raises(ValueError, match="at least one label"):
        chance_loss([])


@pytest.mark.parametrize("losses, verdict, too_high", [
    ([2.2, float("nan")], "diverged", True),
    ([2.0, 0.5, 0.4, 0.9], "grew", True),
    ([104.2, 2.40, 2.39, 2.45, 2.41], "stuck", True),  # Adam at rate 1: one wild epoch, then chance for ever
    ([2.31, 2.31, 2.30, 2.31], "stuck", True),  # flat at chance
    ([2.50], "stuck", True),  # one epoch that overshot above chance
    ([104.2, 2.05, 1.98], "overshot", True),  # a rate of 1 whose run then creeps under chance
    ([9.0, 0.9, 0.3], "learning", False),  # a wild first epoch, then it learned: no advice against the rate
    ([2.314, 2.311, 2.307, 2.304, 2.301], "slow", False),  # Adam at 1e-5: at chance, but falling every epoch
    ([1.30, 0.30, 0.14, 0.08, 0.05], "learning", False),
    ([0.010, 0.008, 0.012], "learning", False),  # near zero, 50 % up is noise, not growth
])
def test_verdicts(losses, verdict, too_high):
    advice = diagnose_training(losses, CHANCE)
    assert (advice.verdict, advice.rate_too_high) == (verdict, too_high), advice.message
    assert ("too high" in advice.message) == too_high


def test_the_message_names_the_losses():
    message = diagnose_training([104.2, 2.40, 2.41], CHANCE).message
    assert "2.41" in message and "2.3" in message and "104" in message


@pytest.mark.parametrize("losses, chance, match", [([], CHANCE, "at least one epoch"), ([1.0], 0.0, "positive"),
                                                    ([1.0], float("nan"), "positive")])
def test_bad_arguments_are_named(losses, chance, match):
    with pytest.raises(ValueError, match=match):
        diagnose_training(losses, chance)


@pytest.mark.parametrize("rate, verdict", [(1.0, "stuck"), (1e-5, "slow"), (0.01, "learning")])
def test_real_runs_of_the_convnet_page(rate, verdict):
    data = load_digits_data(8)
    spec = validate_spec({**DEFAULT_SPEC, "learning_rate": rate, "epochs": 3})
    loop = training_loop(build_model(spec, data.input_shape), data, 3, spec["batch_size"], seed=0)
    while not loop.done:
        train_slice(loop, 1.0)
    advice = diagnose_training(loop.history.history["loss"], chance_loss(data.y_train))
    assert advice.verdict == verdict, (loop.history.history["loss"], advice.message)
