"""The playground's data: generated 2-D sets or a user's CSV, the train/test split, and the input features.

Points live in the Playground's square [-6, 6]²; features are computed from the raw coordinates, as the Playground
does (so ``X₁²`` reaches 36). Binary labels are -1 / +1 (the Playground's), multi-class labels 0..k-1 and
regression targets lie in [-1, 1].

>>> data = make_data(State(dataset="xor", noise=10, seed=3))
>>> data.x_train.shape, data.x_test.shape, sorted(set(data.y_train.ravel().tolist()))
((250, 2), (250, 2), [-1.0, 1.0])
>>> features(data.x_train[:1], ("x", "xTimesY")).shape
(1, 2)
"""

from __future__ import annotations

import dataclasses
import math
import re

from pydl import datasets
from pydl.backend import np
from pydl.lessons.playground.state import (
    CLASSIFICATION_SETS, FEATURES, MULTICLASS_SETS, REGRESSION_SETS, PlaygroundError, State,
)

__all__ = ["Data", "CsvData", "make_data", "set_title", "features", "grid", "parse_csv", "thumbnails", "DOMAIN",
           "DENSITY", "SAMPLES_CLASSIFY", "SAMPLES_REGRESS", "MAX_CSV_ROWS"]

DOMAIN = 6.0  # points and heat maps cover [-DOMAIN, DOMAIN] in both coordinates
DENSITY = 100  # heat-map grid points per side, as in the Playground
SAMPLES_CLASSIFY, SAMPLES_REGRESS = 500, 1200  # the Playground's data sizes
MAX_CSV_ROWS = 5000  # keeps a training step small enough for NumPy without BLAS in the browser
MAX_CSV_CLASSES = 6


@dataclasses.dataclass
class CsvData:
    """A parsed CSV file: points ``x`` (n, 2) float32 and ``y`` (class indices, or regression targets)."""

    x: np.ndarray
    y: np.ndarray
    problem: str  # "classification" or "regression"
    class_names: list  # the labels as written in the file, in class-index order (classification)
    notes: list  # what was adjusted (scaling), in words
    name: str = "data.csv"


@dataclasses.dataclass
class Data:
    """Train and test points with their targets, ready for training (targets shaped for the output layer)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    kind: str  # "binary", "multiclass" or "regression"
    classes: int  # 2 for binary, k for multiclass, 0 for regression
    class_names: list
    description: str


def set_title(name: str, sets: dict = CLASSIFICATION_SETS) -> str:
    """A data set's name for people: its label without the "(multi-class)" the set buttons carry.

    >>> set_title("multi_spiral")
    'Spiral arms'
    """
    return sets[name].split(" (")[0]


def _generate(state: State, csv: CsvData | None):
    name = state.data_name
    noise = state.noise / 100.0
    if name == "csv":
        if csv is None:
            raise PlaygroundError("There is no CSV file loaded yet: choose one with “Load CSV”.")
        return csv.x, csv.y, csv.problem, csv.class_names, f"{len(csv.y)} points from {csv.name}"
    if state.problem == "regression":
        x, y = getattr(datasets, name)(SAMPLES_REGRESS, noise=noise, seed=state.seed)
        title = set_title(name, REGRESSION_SETS)
        return x, y, "regression", [], f"{SAMPLES_REGRESS} points of “{title}”, noise {state.noise}"
    title = set_title(name, CLASSIFICATION_SETS)
    if name in MULTICLASS_SETS:
        x, y = getattr(datasets, name)(SAMPLES_CLASSIFY, classes=state.classes, noise=noise, seed=state.seed)
        names = [str(c) for c in range(state.classes)]
        return (x, y, "classification", names,
                f"{SAMPLES_CLASSIFY} points of “{title}” in {state.classes} classes, noise {state.noise}")
    x, y = getattr(datasets, name)(SAMPLES_CLASSIFY, noise=noise, seed=state.seed)
    return x, y, "classification", ["0", "1"], f"{SAMPLES_CLASSIFY} points of “{title}”, noise {state.noise}"


def make_data(state: State, csv: CsvData | None = None) -> Data:
    """The points for ``state``: the first ``train_percent`` % train, the rest test (the generators shuffle)."""
    x, y, problem, names, description = _generate(state, csv)
    n_train = min(max(1, round(len(y) * state.train_percent / 100)), len(y) - 1)
    if problem == "regression":
        kind, classes, y = "regression", 0, np.asarray(y, np.float32).reshape(-1, 1)
    elif len(names) == 2:
        kind, classes, y = "binary", 2, (2.0 * np.asarray(y) - 1.0).astype(np.float32).reshape(-1, 1)
    else:
        kind, classes, y = "multiclass", len(names), np.asarray(y, np.int64)
    x = np.asarray(x, np.float32)
    return Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:], kind, classes, names, description)


def features(points, names) -> np.ndarray:
    """The feature columns ``names`` (keys of ``FEATURES``, kept in the Playground's order) of (n, 2) points."""
    x1, x2 = points[:, 0], points[:, 1]
    columns = {"x": x1, "y": x2, "xSquared": x1 * x1, "ySquared": x2 * x2, "xTimesY": x1 * x2,
               "sinX": np.sin(x1), "sinY": np.sin(x2)}
    return np.stack([columns[n] for n in FEATURES if n in names], axis=1).astype(np.float32)


def grid(density: int = DENSITY) -> np.ndarray:
    """``density**2`` points covering the square, row by row from the top (x2 = +6) down, as an image is stored."""
    axis = np.linspace(-DOMAIN, DOMAIN, density, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def thumbnails(size: int = 48, classes: int = 3) -> dict:
    """A small picture of every generated set (noise 0), by set name: base64 RGBA of ``size``² pixels."""
    from pydl.lessons.playground import render

    pictures = {}
    for name in CLASSIFICATION_SETS:
        if name == "csv":
            continue
        extra = {"classes": classes} if name in MULTICLASS_SETS else {}
        x, y = getattr(datasets, name)(200, seed=0, **extra)
        colors = render.CLASS_COLORS[y % len(render.CLASS_COLORS)]
        pictures[name] = render.to_base64(render.scatter(x, colors, size))
    for name in REGRESSION_SETS:
        if name == "csv":
            continue
        x, y = getattr(datasets, name)(300, seed=0)
        pictures[name] = render.to_base64(render.scatter(x, render.diverging(y)[:, :3].astype(np.float32), size))
    return pictures


# ---------------------------------------------------------------------------------------------- CSV files


def _cells(line: str) -> list:
    return [c.strip().strip('"').strip("'") for c in re.split(r"[,;\t]", line)]


def _float(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_csv(text: str, name: str = "data.csv") -> CsvData:
    """Points from CSV text with the columns ``x1, x2, label``; raises :class:`PlaygroundError` naming the line.

    A header line is optional; ``#`` starts a comment line; commas, semicolons or tabs separate the values.
    Labels that are whole numbers or words are classes (2 to 6 of them: -1/+1 or 0/1 give a binary problem);
    other numbers are regression targets. Points outside [-6, 6]² are scaled into it, targets into [-1, 1].

    >>> data = parse_csv("x1,x2,label\\n0,1,a\\n1,0,b\\n2,2,a\\n-1,3,b")
    >>> data.problem, sorted(data.y.tolist()), data.class_names
    ('classification', [0, 0, 1, 1], ['a', 'b'])
    >>> parse_csv("0,1,1\\n1,0\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydl.lessons.playground.state.PlaygroundError: data.csv, line 2: expected 3 values (x1, x2, label), found 2...
    """
    if not isinstance(text, str):
        raise PlaygroundError(f"{name}: expected text, got {type(text).__name__}.")
    rows, labels = [], []
    header_seen = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = _cells(line)
        if len(cells) != 3:
            raise PlaygroundError(f"{name}, line {number}: expected 3 values (x1, x2, label), "
                                  f"found {len(cells)}: “{_short(line)}”.")
        x1, x2 = _float(cells[0]), _float(cells[1])
        if not rows and not header_seen and x1 is None and x2 is None:
            header_seen = True  # a header line such as "x1,x2,label"
            continue
        for column, value, cell in (("x1", x1, cells[0]), ("x2", x2, cells[1])):
            if value is None:
                raise PlaygroundError(f"{name}, line {number}: {column} is “{_short(cell)}”, which is not a finite "
                                      "number.")
        if not cells[2]:
            raise PlaygroundError(f"{name}, line {number}: the label (third value) is empty.")
        rows.append((x1, x2))
        labels.append((number, cells[2]))
        if len(rows) > MAX_CSV_ROWS:
            raise PlaygroundError(f"{name}: more than {MAX_CSV_ROWS} rows (line {number}); the playground trains in "
                                  "your browser, so keep the file smaller.")
    if len(rows) < 4:
        raise PlaygroundError(f"{name}: found {len(rows)} data row(s); at least 4 are needed (some to train, "
                              "some to test). Each row is x1, x2, label.")
    x = np.asarray(rows, np.float64)
    y, problem, class_names = _labels(labels, name)
    notes = []
    reach = float(np.abs(x).max())
    if reach > DOMAIN:
        x = x * (DOMAIN / reach)
        notes.append(f"points scaled by {DOMAIN / reach:.3g} to fit the square [-6, 6]²")
    if problem == "regression" and float(np.abs(y).max()) > 1:
        scale = float(np.abs(y).max())
        y = y / scale
        notes.append(f"targets divided by {scale:.3g} to lie in [-1, 1]")
    # Shuffle once with a fixed seed, so the train/test split does not follow the file's order.
    order = np.random.default_rng(0).permutation(len(y))
    return CsvData(x[order].astype(np.float32), y[order], problem, class_names, notes, name)


_INTEGER = re.compile(r"^[+-]?\d+$")


def _labels(labels, name):
    numbers = [_float(text) for _, text in labels]
    if all(v is not None for v in numbers) and not all(_INTEGER.match(text) for _, text in labels):
        return np.asarray(numbers, np.float32), "regression", []
    if any(v is not None for v in numbers) and any(v is None for v in numbers):
        line, text = next((ln, t) for (ln, t), v in zip(labels, numbers) if (v is None) != (numbers[0] is None))
        raise PlaygroundError(f"{name}, line {line}: label “{_short(text)}” mixes words and numbers; use one kind "
                              "of label throughout.")
    if numbers[0] is not None:
        keys = [int(v) for v in numbers]
        classes = sorted(set(keys))
    else:
        keys = [text for _, text in labels]
        classes = list(dict.fromkeys(keys))  # words keep the order they first appear in
    if len(classes) < 2:
        raise PlaygroundError(f"{name}: every label is “{classes[0]}”; a classifier needs at least 2 classes.")
    if len(classes) > MAX_CSV_CLASSES:
        line = next(ln for (ln, _), k in zip(labels, keys) if k == classes[MAX_CSV_CLASSES])
        raise PlaygroundError(f"{name}, line {line}: label “{classes[MAX_CSV_CLASSES]}” is class number "
                              f"{MAX_CSV_CLASSES + 1}; the playground shows at most {MAX_CSV_CLASSES} classes. "
                              "Regression targets need a decimal point (0.5, 1.0).")
    index = {c: i for i, c in enumerate(classes)}
    return np.asarray([index[k] for k in keys], np.int64), "classification", [str(c) for c in classes]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
