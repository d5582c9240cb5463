"""What the playground page shows beside the network, natively (issue 20): points that stay visible on the trained
output map, a legend that says which label is which class, data set names for people, and a refused last feature."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from pydl.lessons.playground import Playground, PlaygroundError, State
from pydl.lessons.playground.actions import apply_action
from pydl.lessons.playground.data import DENSITY, DOMAIN
from pydl.lessons.playground.legend import class_labels, legend
from pydl.lessons.playground.state import CLASSIFICATION_SETS, MULTICLASS_SETS, REGRESSION_SETS
from tests.learning import assert_at_least


def big_map(pg):
    raw = base64.b64decode(pg.frame()["bigImage"])
    return np.frombuffer(raw, np.uint8).reshape(DENSITY, DENSITY, 4)[..., :3].astype(np.float64)


def pixel_under(points):
    """The large map's pixel under each point (the page draws both over the same square, x2 up)."""
    col = np.clip(((points[:, 0] + DOMAIN) / (2 * DOMAIN) * DENSITY).astype(int), 0, DENSITY - 1)
    row = np.clip(((DOMAIN - points[:, 1]) / (2 * DOMAIN) * DENSITY).astype(int), 0, DENSITY - 1)
    return row, col


@pytest.mark.parametrize("settings", [dict(dataset="gauss", network_shape=()),
                                      dict(dataset="blobs", classes=3, network_shape=(4,), optimizer="adam")])
def test_points_keep_their_class_colour_on_a_trained_output_map(settings):
    pg = Playground(State(seed=3, **settings))
    pg.train_epochs(20)
    assert_at_least(pg.train_accuracy, 0.95, f"{settings['dataset']}: training accuracy before looking at colours")
    image, points = big_map(pg), pg.structure()["train"]
    row, col = pixel_under(pg.data.x_train)
    colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in points["colors"]], np.float64)
    distance = np.linalg.norm(image[row, col] - colours, axis=1)
    # Where the network has learned a class its map takes that class's colour: a point drawn in the same colour
    # at the same strength vanishes (distance 0). The paler map keeps every point at least 60 RGB units apart.
    assert distance.min() >= 60, f"a point differs from the map under it by only {distance.min():.1f}"


def test_a_csv_with_word_labels_says_which_word_became_which_class():
    pg = Playground()
    notes = pg.load_csv("x1,x2,label\n0,1,cat\n1,0,dog\n2,2,cat\n-1,3,dog\n1,1,cat", "pets.csv")
    assert "the labels became classes: “cat” is orange (target −1), “dog” is blue (target +1)" in notes
    assert pg.structure()["legend"] == [{"text": "“cat” = −1", "color": "#f59322"}, {"bar": True},
                                        {"text": "“dog” = +1", "color": "#0877bd"}]
    # The colour the legend gives a word is the colour its points are drawn in.
    cats = pg.data.y_train.ravel() < 0
    assert {c for c, cat in zip(pg.structure()["train"]["colors"], cats) if cat} == {"#f59322"}

    notes = pg.load_csv("x1,x2,label\n0,1,a\n1,0,b\n2,2,c\n-1,3,a\n1,1,b\n3,3,c", "abc.csv")
    assert notes == ["the labels became classes: “a” is orange, “b” is blue, “c” is green"]
    structure = pg.structure()
    assert structure["classLabels"] == ["“a”", "“b”", "“c”"]
    assert [item["color"] for item in structure["legend"]] == structure["classColors"]


def test_number_labels_and_generated_sets_keep_class_numbers():
    pg = Playground()
    assert pg.load_csv("x1,x2,label\n0,1,0\n1,0,1\n2,2,0\n-1,3,1") == []
    assert [item.get("text") for item in legend(pg.data)] == ["class 0 = −1", None, "class 1 = +1"]
    assert class_labels(Playground(State(dataset="blobs", classes=4)).data) == ["class 0", "class 1", "class 2",
                                                                                "class 3"]
    assert [item.get("text") for item in legend(Playground(State(problem="regression")).data)] == ["−1", None, "+1"]


@pytest.mark.parametrize("problem, key, sets", [("classification", "dataset", CLASSIFICATION_SETS),
                                                ("regression", "reg_dataset", REGRESSION_SETS)])
def test_descriptions_name_the_set_as_its_button_does(problem, key, sets):
    for name, label in sets.items():
        if name == "csv":
            continue
        description = Playground(State(problem=problem, **{key: name}, noise=10)).data.description
        assert f"“{label.split(' (')[0]}”" in description and "noise 10" in description, description
        assert "_" not in description, description
        if name in MULTICLASS_SETS:
            assert "in 3 classes" in description


def test_switching_off_the_last_feature_is_refused_in_words_and_changes_nothing():
    pg = Playground(State(features=("sinY",)))
    state, model = pg.state, pg.model
    with pytest.raises(PlaygroundError) as refused:
        apply_action(pg, {"type": "set", "key": "sinY", "value": False})
    assert str(refused.value) == ("sin(X₂) is the only input feature switched on, so it stays on: the network needs "
                                  "at least one input. Switch another feature on first.")
    assert pg.state is state and pg.model is model
    apply_action(pg, {"type": "set", "key": "x", "value": True})
    apply_action(pg, {"type": "set", "key": "sinY", "value": False})  # with another one on, it switches off
    assert pg.state.features == ("x",)
