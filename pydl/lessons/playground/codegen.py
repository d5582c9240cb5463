"""“Show the code”: the pydl script that builds and trains exactly the playground's network on its data.

The script uses only public pydl API (``datasets``, ``layers``, ``models``, ``optimizers``, ``regularizers``) and
``model.fit(..., seed=SEED)``, whose batches and dropout masks are the ones the page drew, so running it natively
ends with the page's weights (up to the last completed epoch).

>>> from pydl.lessons.playground.session import Playground
>>> code = python_code(Playground())
>>> "model.fit(x_train, y_train" in code and "datasets.circle(500" in code
True
"""

from __future__ import annotations

from pydl.lessons.playground.data import SAMPLES_CLASSIFY, SAMPLES_REGRESS, set_title
from pydl.lessons.playground.network import loss_name, output_spec
from pydl.lessons.playground.state import FEATURES, MULTICLASS_SETS, REGRESSION_SETS, to_query

__all__ = ["python_code"]

_OPTIMIZER_CODE = {
    "sgd": "optimizers.SGD(learning_rate={lr})",
    "momentum": "optimizers.SGD(learning_rate={lr}, momentum=0.9)",
    "rmsprop": "optimizers.RMSprop(learning_rate={lr})",
    "adam": "optimizers.Adam(learning_rate={lr})",
}


def _data_lines(pg) -> list:
    s, d = pg.state, pg.data
    noise = s.noise / 100.0
    if s.data_name == "csv":
        name = pg.csv.name
        return [
            f"# Data: the points of {name} (put the file next to this script), read as the page read them.",
            f"with open({name!r}, encoding=\"utf-8\") as f:",
            f"    data = parse_csv(f.read(), {name!r})",
            "points, labels = data.x, data.y",
        ]
    if s.problem == "regression":
        call = f"datasets.{s.reg_dataset}({SAMPLES_REGRESS}, noise={noise!r}, seed=SEED)"
        return [f"# Data: {SAMPLES_REGRESS} points of “{set_title(s.reg_dataset, REGRESSION_SETS)}” with their "
                "targets in [-1, 1].",
                f"points, labels = {call}"]
    if s.dataset in MULTICLASS_SETS:
        call = f"datasets.{s.dataset}({SAMPLES_CLASSIFY}, classes={s.classes}, noise={noise!r}, seed=SEED)"
    else:
        call = f"datasets.{s.dataset}({SAMPLES_CLASSIFY}, noise={noise!r}, seed=SEED)"
    return [f"# Data: {SAMPLES_CLASSIFY} points of “{set_title(s.dataset)}”, already shuffled.",
            f"points, labels = {call}"]


def _target_line(kind: str) -> str:
    if kind == "binary":
        return ("targets = (2.0 * labels - 1.0).astype(\"float32\").reshape(-1, 1)"
                "  # classes -1 / +1, as in the Playground")
    if kind == "multiclass":
        return "targets = labels  # class indices 0..k-1 for sparse categorical cross-entropy"
    return "targets = labels.astype(\"float32\").reshape(-1, 1)"


def _feature_function(names) -> list:
    labels = ", ".join(FEATURES[n][0] for n in names)
    columns = ", ".join(FEATURES[n][1] for n in names)
    return [
        "def input_features(points):",
        f"    \"\"\"The input features switched on in the playground: {labels}.\"\"\"",
        "    x1, x2 = points[:, 0], points[:, 1]",
        f"    return np.stack([{columns}], axis=1).astype(\"float32\")",
    ]


def _regularizer(state) -> str:
    if state.regularization == "none" or state.regularization_rate == 0:
        return ""
    fn = "l1" if state.regularization == "L1" else "l2"
    return f", kernel_regularizer=regularizers.{fn}({state.regularization_rate!r})"


def _model_lines(pg) -> list:
    s, d = pg.state, pg.data
    reg = _regularizer(s)
    lines = ["pydl.seed(SEED)  # the page's initial weights", "model = models.Sequential([",
             f"    layers.Input(shape=({len(s.features)},)),"]
    for i, (units, act) in enumerate(zip(s.network_shape, s.layer_activations), start=1):
        lines.append(f"    layers.Dense({units}, activation=\"{act}\"{reg}, name=\"hidden_{i}\"),")
        if s.dropout > 0:
            lines.append(f"    layers.Dropout({s.dropout!r}, name=\"dropout_{i}\"),")
    units, act = output_spec(d.kind, d.classes)
    lines += [f"    layers.Dense({units}, activation=\"{act}\"{reg}, name=\"output\"),", "], name=\"playground\")",
              f"model.compile(optimizer={_OPTIMIZER_CODE[s.optimizer].format(lr=repr(s.learning_rate))}, "
              f"loss=\"{loss_name(d.kind)}\")"]
    return lines


def _report_lines(kind: str) -> list:
    lines = ["train_loss = model.evaluate(x_train, y_train, verbose=0)",
             "test_loss = model.evaluate(x_test, y_test, verbose=0)",
             "print(f\"epoch {EPOCHS}: train loss {train_loss:.4f}, test loss {test_loss:.4f}\")"]
    if kind == "binary":
        lines += ["predictions = np.where(model.predict(x_test) >= 0, 1.0, -1.0)",
                  "print(f\"test accuracy {np.mean(predictions == y_test):.1%}\")"]
    elif kind == "multiclass":
        lines += ["predictions = model.predict(x_test).argmax(axis=1)",
                  "print(f\"test accuracy {np.mean(predictions == y_test):.1%}\")"]
    return lines


def _notes(pg) -> list:
    notes = []
    if pg.batch:
        notes.append(f"The page was {pg.batch} batch(es) into epoch {pg.epoch + 1}; this script stops at the last "
                     "whole epoch.")
    if pg.lr_changed:
        notes.append("The learning rate was changed during the run; this script uses the current one throughout.")
    if pg.edited:
        notes.append("Weights were edited by hand on the page; this script does not repeat those edits.")
    if pg.diverged:
        notes.append("Training diverged on the page (the loss became NaN or infinite).")
    return [f"# Note: {n}" for n in notes]


def python_code(pg) -> str:
    """The script for the :class:`~pydl.lessons.playground.session.Playground` ``pg`` (state, data, epochs)."""
    s, d = pg.state, pg.data
    n = len(d.y_train) + len(d.y_test)
    epochs = pg.epoch
    csv = s.data_name == "csv"
    imports = ["import numpy as np", "", "import pydl", "from pydl import datasets, layers, models, optimizers"
               + (", regularizers" if _regularizer(s) else "")]
    if csv:
        imports.append("from pydl.lessons.playground import parse_csv")
    lines = [
        "# Made by the pydl network playground: this network, this data, this training.",
        f"# Open the same run in the playground: #{to_query(s)}",
        *imports,
        "",
        f"SEED = {s.seed}",
        f"EPOCHS = {epochs}  # epochs trained on the page" if epochs else
        "EPOCHS = 100  # the page had not trained yet: choose any number",
        f"BATCH_SIZE = {s.batch_size}",
        *_notes(pg),
        "",
        *_data_lines(pg),
        _target_line(d.kind),
        f"n_train = {len(d.y_train)}  # the first {s.train_percent} % of the {n} points train, the rest test",
        "",
        "",
        *_feature_function(s.features),
        "",
        "",
        "x_train, y_train = input_features(points[:n_train]), targets[:n_train]",
        "x_test, y_test = input_features(points[n_train:]), targets[n_train:]",
        "",
        *_model_lines(pg),
        "# seed=SEED: the same batch order (and dropout masks) as on the page.",
        "model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0, seed=SEED)",
        "",
        *_report_lines(d.kind),
        "model.save(\"playground.pydl\")  # load it back with pydl.models.load_model(\"playground.pydl\")",
    ]
    return "\n".join(lines) + "\n"
