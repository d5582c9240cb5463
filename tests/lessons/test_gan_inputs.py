"""The GAN card's inputs: the targets (seeded, inside the plane, with countable modes), the learner's drawn points
and the settings fields, each refused with a message that names what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from pydl.lessons.generative.gan import GanSettings
from pydl.lessons.generative.gan_checks import FIELD_LABELS, FieldError, check_settings, settings_fields
from pydl.lessons.generative.targets import MAX_DRAWN, TARGET_NAMES, VIEW, make_target

DRAWN = [[-1.0, 0.5], [-0.5, 0.5], [0.0, 0.5], [0.5, 0.5], [1.0, 0.5], [0.0, -1.0]]


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_every_target_is_seeded_inside_the_plane_and_has_modes_its_points_fall_in(name):
    target = make_target(name, DRAWN if name == "drawn" else None)
    first = target.sample(500, np.random.default_rng(3))
    np.testing.assert_array_equal(first, target.sample(500, np.random.default_rng(3)))
    assert first.shape == (500, 2) and np.abs(first).max() < VIEW
    modes = target.modes
    assert len(modes) == {"mixture": 6, "drawn": 6}.get(name, 8)
    owner = np.argmin(((first[:, None] - modes[None]) ** 2).sum(-1), axis=1)
    assert len(np.unique(owner)) == len(modes)  # every mode owns some of the target's own points


def test_the_mixtures_modes_are_its_six_centres_and_a_rings_modes_go_all_around():
    mixture = make_target("mixture").modes
    np.testing.assert_allclose(np.linalg.norm(mixture, axis=1), 1.0)
    ring = make_target("ring").modes
    angles = np.sort(np.arctan2(ring[:, 1], ring[:, 0]))
    assert np.diff(angles).max() < 2 * np.pi / 8 * 1.5  # no gap: the k-means regions share the circle out


@pytest.mark.parametrize("points, expected", [
    (DRAWN[:4], "draw at least 5 points"),
    ([[0.0, 0.0]] * (MAX_DRAWN + 1), f"at most {MAX_DRAWN} points"),
    (DRAWN[:5] + [[2.5, 0.0]], "inside the plane [-2, 2] x [-2, 2]"),
    (DRAWN[:5] + [[float("nan"), 0.0]], "inside the plane"),
    ([[0.0, 0.0, 1.0]] * 6, "shape (6, 3)"),
    ([["a", "b"]] * 6, "pairs of numbers"),
])
def test_bad_drawn_points_are_refused_with_what_to_do(points, expected):
    with pytest.raises(ValueError, match="Your points") as caught:
        make_target("drawn", points)
    assert expected in str(caught.value)


def test_an_unknown_target_names_the_choices():
    with pytest.raises(ValueError, match="unknown distribution 'spiral'; choose one of ring, moons"):
        make_target("spiral")


def test_the_default_fields_give_the_default_settings_and_filled_fields_round_trip():
    assert check_settings({}) == GanSettings()
    chosen = GanSettings(generator_units=(32, 8, 4), discriminator_units=(10,), activation="tanh",
                         optimizer="rmsprop", generator_rate=0.0005, discriminator_rate=0.003, k=3, batch_size=32,
                         seed=11)
    assert check_settings(settings_fields(chosen)) == chosen
    assert check_settings({"generator_units": " 8 ;16 ,", "k": "2"}) == GanSettings(generator_units=(8, 16), k=2)


@pytest.mark.parametrize("field, typed, expected", [
    ("generator_units", "", "Generator layers: give 1 to 4 layer sizes separated by commas, such as 16, 16 (got 0)"),
    ("generator_units", "8,8,8,8,8", "(got 5)"),
    ("discriminator_units", "16, 0", "Discriminator layers: each size must be at least 1, got 0."),
    ("discriminator_units", "16, 2.5", "each size must be a whole number, got 2.5"),
    ("generator_rate", "fast", "Generator learning rate: \u201cfast\u201d is not a number"),
    ("discriminator_rate", "3", "Discriminator learning rate must be at most 1, got 3."),
    ("k", "0", "D steps per G step must be at least 1, got 0."),
    ("batch_size", "1000", "Batch size must be at most 256, got 1000."),
    ("seed", "-1", "Seed must be at least 0, got -1."),
    ("activation", "swish", "Activation: 'swish' is not one of relu, tanh"),
    ("optimizer", "lion", "Optimizer: 'lion' is not one of adam, rmsprop, sgd."),
])
def test_a_bad_field_is_named_with_what_was_typed(field, typed, expected):
    with pytest.raises(FieldError) as caught:
        check_settings({field: typed})
    assert caught.value.field == field
    assert expected in str(caught.value)
    assert str(caught.value).startswith(FIELD_LABELS[field])


@pytest.mark.parametrize("argument, value, expected", [
    ("generator_units", (16, 0), "generator_units must be a tuple of 1 to 4 layer sizes, each 1 to 64; got (16, 0)"),
    ("discriminator_units", [16], "discriminator_units must be a tuple"),
    ("activation", "swish", "activation must be one of relu, tanh"),
    ("optimizer", "lion", "optimizer must be one of adam, rmsprop, sgd; got 'lion'"),
    ("generator_rate", 2.0, "generator_rate must be a number from 1e-05 to 1; got 2.0"),
    ("k", 0, "k must be a whole number from 1 to 10; got 0"),
    ("batch_size", 12.5, "batch_size must be a whole number"),
])
def test_settings_built_in_code_refuse_what_cannot_train_naming_the_argument(argument, value, expected):
    with pytest.raises(ValueError, match="GanSettings: ") as caught:
        GanSettings(**{argument: value})
    assert expected in str(caught.value)
