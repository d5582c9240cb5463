"""The numbers web/gradient-descent/ shows, reproduced natively (the page runs the same module)."""

import math

import numpy as np
import pytest

import pydl
from pydl.lessons import gradient_descent as gd


def test_worked_example_of_the_course():
    stages = {s["key"]: s for s in gd.OneWeight(x=3, target=10, weight=2, learning_rate=0.01).stages()}
    assert [stages[k]["value"] for k in gd.OneWeight.STAGES] == pytest.approx([6, -4, 16, -24, -0.24, 2.24])
    assert [stages[k]["text"] for k in gd.OneWeight.STAGES] == ["6", "-4", "16", "-24", "-0.24", "2.24"]
    assert stages["slope"]["autograd"] == stages["slope"]["by_formula"] == -24
    assert stages["slope"]["arithmetic"] == "2 \u00d7 (-4) \u00d7 3"


def test_update_is_made_by_pydl_sgd_and_recorded():
    lesson = gd.OneWeight()
    lesson.update()
    assert lesson.history == pytest.approx([2.0, 2.24])
    assert lesson.losses == pytest.approx([16.0, (3 * 2.24 - 10) ** 2])
    assert isinstance(lesson.optimizer, pydl.optimizers.SGD)
    assert lesson.status()["state"] == "converging"


@pytest.mark.parametrize("rate, state", [(0.01, "converging"), (0.08, "overshooting"), (0.2, "diverging")])
def test_status_names_what_the_rate_does(rate, state):
    lesson = gd.OneWeight(learning_rate=rate)
    lesson.update()
    lesson.update()
    assert lesson.status()["state"] == state


def test_thresholds_follow_the_curvature():
    limits = gd.OneWeight(x=3).thresholds()
    assert limits["curvature"] == 18 and limits["smooth"] == pytest.approx(1 / 18)
    assert limits["stable"] == pytest.approx(1 / 9)


def test_divergence_stops_before_inf_or_nan_and_says_so():
    lesson = gd.OneWeight(learning_rate=5)
    for _ in range(200):
        lesson.update()
    assert lesson.blown_up
    assert all(math.isfinite(w) for w in lesson.history)
    message = lesson.status()["message"]
    assert "Diverged" in message and "nan" not in message.lower()
    curve = lesson.curve()
    assert all(math.isfinite(v) for v in curve["loss"])


def test_divergence_message_names_the_loss_shown_and_the_one_refused():
    # Issue 20: "grew past 1e12" was said while the displayed loss was 8.9e9 (the refused update's was not shown).
    lesson = gd.OneWeight(learning_rate=0.5)
    for _ in range(50):
        lesson.update()
    assert lesson.blown_up and lesson.losses[-1] < gd.BLOW_UP <= lesson.blown_up_loss
    message = lesson.status()["message"]
    assert f"from {gd.fmt(lesson.losses[-1])} to {gd.fmt(lesson.blown_up_loss)}, past {gd.fmt(gd.BLOW_UP)}" in message
    assert f"stopped at loss {gd.fmt(lesson.losses[-1])}" in message


def test_curve_holds_the_point_and_a_tangent_with_the_slope():
    curve = gd.OneWeight().curve()
    w = np.array(curve["w"])
    assert np.all(np.diff(w) > 0)
    at = curve["w"].index(2.0)
    assert curve["current"][at] == pytest.approx(16.0)
    tangent = [(x, t) for x, t in zip(curve["w"], curve["tangent"]) if t is not None]
    (x1, t1), (x2, t2) = tangent[0], tangent[-1]
    assert (t2 - t1) / (x2 - x1) == pytest.approx(-24)
    assert curve["loss"] == pytest.approx(list((w * 3 - 10) ** 2))


@pytest.mark.parametrize("raw, fragment", [
    ({"x": "abc", "target": "10", "weight": "2", "learning_rate": "0.01"}, "not a number"),
    ({"x": "3", "target": "", "weight": "2", "learning_rate": "0.01"}, "empty"),
    ({"x": "3", "target": "10", "weight": "2", "learning_rate": "-0.1"}, "greater than 0"),
    ({"x": "3", "target": "10", "weight": "2", "learning_rate": "0"}, "greater than 0"),
    ({"x": "3", "target": "10", "weight": "inf", "learning_rate": "0.1"}, "finite"),
])
def test_invalid_one_weight_input_gives_a_message(raw, fragment):
    values, message = gd.check_one_weight(raw)
    assert values is None and fragment in message


def test_valid_one_weight_input():
    values, message = gd.check_one_weight({"x": " 3 ", "target": "10", "weight": "\u22122", "learning_rate": "1e-2"})
    assert message is None and values == {"x": 3, "target": 10, "weight": -2, "learning_rate": 0.01}


def test_fmt():
    assert [gd.fmt(v) for v in (2.2399999999999998, -24.0, -0.0, 1e15, float("nan"))] == [
        "2.24", "-24", "0", "1e15", "not a number"]
    assert gd.fmt_factor(-4) == "(-4)" and gd.fmt_factor(3) == "3"


def test_log_slider_round_trips():
    slider = gd.LogSlider(1e-4, 1.0, 80)
    assert slider.value(0) == 1e-4 and slider.value(80) == 1.0
    for rate in (0.001, 0.05, 0.1):
        assert slider.value(slider.position(rate)) == pytest.approx(rate, rel=0.1)


@pytest.mark.parametrize("key", sorted(gd.SURFACES))
def test_surfaces_are_pydl_functions_with_autograd_gradients(key):
    surface = gd.SURFACES[key]
    p = pydl.tensor(np.array([0.3, -0.7]), requires_grad=True)
    assert pydl.gradcheck(lambda t: surface(t[0], t[1]), [p])
    for minimum in surface.minima:
        p = pydl.tensor(np.array(minimum, dtype=float), requires_grad=True)
        surface(p[0], p[1]).backward()
        assert np.abs(p.grad).max() < 0.05, f"{key}: {minimum} should be (close to) a minimum"


@pytest.mark.parametrize("key", sorted(gd.SURFACES))
def test_grid_is_vectorised_and_matches_pointwise_values(key):
    surface = gd.SURFACES[key]
    z = gd.surface_grid(surface, resolution=21)
    assert z.shape == (21, 21)
    x0, x1, y0, y1 = surface.domain
    assert z[0, 0] == pytest.approx(surface.value(x0, y1))  # row 0 is the top of the plot
    assert z[-1, -1] == pytest.approx(surface.value(x1, y0))
    image = gd.contour_image(z)
    assert image.shape == (21, 21, 4) and image.dtype == np.uint8 and (image[..., 3] == 255).all()


def test_point_at_and_fraction_of_are_inverse():
    surface = gd.SURFACES["rosenbrock"]
    assert surface.point_at(0.5, 0.5) == (0.0, 1.0)
    assert surface.fraction_of(*surface.point_at(0.25, 0.75)) == pytest.approx((0.25, 0.75))


def test_race_uses_pydl_optimizers_from_one_start():
    race = gd.Race("bowl")
    assert [r["key"] for r in race.racers] == ["sgd", "momentum", "nesterov", "rmsprop", "adam"]
    kinds = [type(r["optimizer"]).__name__ for r in race.racers]
    assert kinds == ["SGD", "SGD", "SGD", "RMSprop", "Adam"]
    assert race.racers[2]["optimizer"].nesterov and race.racers[1]["optimizer"].momentum == 0.9
    race.step(1)
    sgd = race.racers[0]["path"]
    x, y = race.start
    assert sgd[1] == pytest.approx((x - 0.1 * 2 * x, y - 0.1 * 2 * y))  # one plain step on x^2 + y^2
    race.step(300)
    for racer in race.racers:
        assert race.loss(racer) < 1e-3, racer["label"]


@pytest.mark.parametrize("key", sorted(gd.SURFACES))
def test_default_race_of_every_surface_makes_progress_without_diverging(key):
    race = gd.Race(key)
    race.step(200)
    for racer in race.racers:
        assert racer["state"] != "diverged", racer["label"]
        assert race.loss(racer) < race.surface.value(*race.start), racer["label"]


def test_a_diverging_racer_stops_and_is_marked():
    race = gd.Race("bowl", rate=1.5, racers=["sgd"])
    race.step(100)
    assert race.racers[0]["state"] == "diverged" and race.finished
    assert all(math.isfinite(v) for xy in race.racers[0]["path"] for v in xy)


def test_racers_still_going_after_the_last_step_are_unfinished_not_running():
    race = gd.Race("rosenbrock", rate=1e-5, adaptive_rate=1e-5)  # far too slow to arrive in MAX_STEPS
    race.step(race.MAX_STEPS - 1)
    assert all(r["state"] == "running" for r in race.racers) and not race.finished
    race.step(5)
    assert race.steps == race.MAX_STEPS and race.finished
    assert {r["state"] for r in race.racers} == {"unfinished"}
    assert {r["state_text"] for r in race.summary()} == {f"out of steps ({race.MAX_STEPS})"}


def test_race_sends_only_new_points():
    race = gd.Race("saddle")
    race.step(3)
    first = race.fractions()
    assert len(first["adam"]) == 4
    race.step(2)
    more = race.fractions({k: len(v) for k, v in first.items()})
    assert len(more["adam"]) == 2


@pytest.mark.parametrize("raw, fragment", [
    ({"rate": "x", "adaptive_rate": "0.1", "momentum": "0.9"}, "not a number"),
    ({"rate": "-1", "adaptive_rate": "0.1", "momentum": "0.9"}, "greater than 0"),
    ({"rate": "0.1", "adaptive_rate": "0.1", "momentum": "1"}, "below 1"),
])
def test_invalid_race_settings(raw, fragment):
    values, message = gd.check_race(raw)
    assert values is None and fragment in message


def test_mini_batch_counts_epochs_and_batches():
    lesson = gd.MiniBatch(batch_size=8, learning_rate=0.05, shuffle=True)
    seen = set()
    for _ in range(6):
        lesson.step()
        seen.update(lesson.batch.tolist())
        assert len(lesson.batch) == 8
    assert seen == set(range(48))  # one epoch: every example exactly once
    assert lesson.epochs == 1.0 and lesson.view()["epoch"] == 1
    lesson.step()
    view = lesson.view()
    assert view["epoch"] == 2 and view["batch_in_epoch"] == 1 and sum(view["in_batch"]) == 8


def test_mini_batch_without_shuffle_takes_batches_in_order():
    lesson = gd.MiniBatch(batch_size=16, shuffle=False)
    lesson.step()
    assert lesson.batch.tolist() == list(range(16))
    lesson.step()
    assert lesson.batch.tolist() == list(range(16, 32))


def test_mini_batch_update_matches_the_gradient_of_the_batch_mse():
    lesson = gd.MiniBatch(batch_size=4, learning_rate=0.1, shuffle=False)
    lesson.step()
    x, y = lesson.x[:4], lesson.y[:4]
    grad_w, grad_b = np.mean(2 * (0 - y) * x), np.mean(2 * (0 - y))
    assert lesson.line("mini") == pytest.approx((-0.1 * grad_w, -0.1 * grad_b))
    full_w = np.mean(2 * (0 - lesson.y) * lesson.x)
    assert lesson.line("full")[0] == pytest.approx(-0.1 * full_w)


def test_mini_batch_and_full_batch_both_learn_the_line():
    lesson = gd.MiniBatch(batch_size=8, learning_rate=0.05)
    for _ in range(300):
        lesson.step()
    for name in ("mini", "full"):
        w, b = lesson.line(name)
        assert w == pytest.approx(1.5, abs=0.2) and b == pytest.approx(-0.5, abs=0.2)
    assert lesson.history["mini"][-1] < lesson.history["mini"][0] / 5


def test_mini_batch_divergence_is_reported():
    lesson = gd.MiniBatch(batch_size=48, learning_rate=2.0)
    for _ in range(200):
        lesson.step()
    assert lesson.blown_up and lesson.blown_up_loss >= gd.BLOW_UP
    message = lesson.view()["message"]
    assert f"took the loss to {gd.fmt(lesson.blown_up_loss)}" in message
    assert all(math.isfinite(v) for v in lesson.history["mini"]) and lesson.history["mini"][-1] < gd.BLOW_UP


@pytest.mark.parametrize("raw, fragment", [
    ({"batch_size": "0", "learning_rate": "0.1"}, "at least 1"),
    ({"batch_size": "2.5", "learning_rate": "0.1"}, "whole number"),
    ({"batch_size": "8", "learning_rate": "-0.1"}, "greater than 0"),
])
def test_invalid_mini_batch_settings(raw, fragment):
    values, message = gd.check_mini_batch(raw)
    assert values is None and fragment in message
