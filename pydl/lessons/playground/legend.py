"""How the page names and colours the classes: the labels beside the output neurons, the key under the output map,
and the note that says which word of a CSV file became which class.

>>> from pydl.lessons.playground.data import parse_csv, make_data
>>> from pydl.lessons.playground.state import State
>>> data = make_data(State(dataset="csv"), parse_csv("x1,x2,label\\n0,1,cat\\n1,0,dog\\n2,2,cat\\n-1,3,dog"))
>>> class_labels(data), word_label_notes(data)
(['“cat”', '“dog”'], ['the labels became classes: “cat” is orange (target −1), “dog” is blue (target +1)'])
"""

from __future__ import annotations

from pydl.lessons.playground import render

__all__ = ["class_labels", "legend", "word_label_notes"]


def _is_integer(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def class_labels(data) -> list:
    """"class 0" for a class numbered in the data, the word in quotes for a CSV file's word label."""
    return [f"class {name}" if _is_integer(name) else f"“{name}”" for name in data.class_names]


def legend(data) -> list:
    """The colour key under the output map: items ``{"text", "color"}`` and ``{"bar": True}`` (the colour ramp)."""
    if data.kind == "regression":
        return [{"text": "−1"}, {"bar": True}, {"text": "+1"}]
    colors = [render.hex_color(c) for c in render.CLASS_COLORS]
    labels = class_labels(data)
    if data.kind == "binary":
        return [{"text": f"{labels[0]} = −1", "color": colors[0]}, {"bar": True},
                {"text": f"{labels[1]} = +1", "color": colors[1]}]
    return [{"text": label, "color": colors[i % len(colors)]} for i, label in enumerate(labels)]


def word_label_notes(data) -> list:
    """A note naming each word label's colour (and target, for two classes); none for numbered classes."""
    if all(_is_integer(name) for name in data.class_names):
        return []
    names = render.COLOR_NAMES
    if data.kind == "binary":
        colors = [f"{names[0]} (target −1)", f"{names[1]} (target +1)"]
    else:
        colors = [names[i % len(names)] for i in range(data.classes)]
    return ["the labels became classes: " + ", ".join(f"{label} is {color}"
                                                      for label, color in zip(class_labels(data), colors))]
