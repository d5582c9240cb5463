"""The iterator ``ImageDataGenerator.flow_from_dataframe`` returns: image files, and their labels, listed in a table,
as Keras' ``DataFrameIterator``.

The table is a pandas DataFrame, or any mapping from column names to columns of equal length (pandas is not needed:
``{"filename": ["cat.1.jpg", ...], "class": ["cat", ...]}`` works the same). Rows whose file is missing or not an
image are dropped with a warning (``validate_filenames=True``, as Keras); the rest are yielded in table order
(``shuffle=False``) or reshuffled at every pass, like the other iterators (:mod:`pydl.preprocessing.image_iterators`).

Targets by ``class_mode``: ``"categorical"`` one-hot (a label may be a list of classes: multi-hot), ``"binary"`` 0/1,
``"sparse"`` class indices (the classes sorted, or ``classes`` in its order; rows of other classes are dropped),
``"raw"`` the ``y_col`` values themselves (several columns: one row each), ``"multi_output"`` one array per column
of the list ``y_col``, ``"input"`` the images, ``None`` no targets. ``weight_col`` adds per-sample weights.
"""

from __future__ import annotations

import os
import warnings

from pydl.backend import np
from pydl.preprocessing.image_files import FORMATS
from pydl.preprocessing.image_iterators import _FileIterator, _split_bounds

__all__ = ["DataFrameIterator", "DATAFRAME_CLASS_MODES"]

DATAFRAME_CLASS_MODES = ("categorical", "binary", "sparse", "input", "multi_output", "raw", None)
_LABEL_MODES = ("categorical", "binary", "sparse")
_WHERE = "ImageDataGenerator.flow_from_dataframe"


def _column_names(table) -> list:
    names = getattr(table, "columns", None)
    if names is None and hasattr(table, "keys"):
        names = table.keys()
    return list(names) if names is not None else []


def _column(table, name) -> list:
    """The values of column ``name`` as a Python list (pandas' ``tolist`` turns NumPy scalars into numbers)."""
    try:
        values = table[name]
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"{_WHERE}: the dataframe has no column {name!r}; its columns are "
                         f"{_column_names(table)}.") from None
    return list(values.tolist() if hasattr(values, "tolist") else values)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


class DataFrameIterator(_FileIterator):
    """Augmented batches of the image files ``dataframe[x_col]`` names (relative to ``directory``, or paths), with
    targets from ``y_col`` by ``class_mode`` (see the module's notes) and weights from ``weight_col``.

    Attributes: ``filenames`` (as in the table), ``filepaths``, ``classes`` (per row: a class index, or a list of
    them for a multi-label row; label modes only), ``class_indices``, ``labels``, ``sample_weight``, ``samples``,
    ``image_shape``.

    Raises:
        ValueError: for a missing column, an unknown class_mode, or "binary" without exactly two classes.
        TypeError: for file names that are not strings, labels of the wrong kind for the class_mode, a y_col that
            is not a list with "multi_output", or weights that are not numbers.
    """

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename", y_col="class",
                 weight_col=None, target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                 batch_size=32, shuffle=True, seed=None, subset=None, interpolation="nearest",
                 validate_filenames=True, keep_aspect_ratio=False):
        if class_mode not in DATAFRAME_CLASS_MODES:
            raise ValueError(f"{_WHERE}: class_mode must be one of {', '.join(map(repr, DATAFRAME_CLASS_MODES))}; "
                             f"got {class_mode!r}.")
        self._set_image_options(_WHERE, image_data_generator, target_size, color_mode, interpolation,
                                keep_aspect_ratio)
        self.directory, self.class_mode = "" if directory is None else os.fspath(directory), class_mode
        rows = self._checked_rows(dataframe, x_col, y_col, weight_col, classes)
        if validate_filenames:
            rows = self._rows_with_images(rows)
        if class_mode in _LABEL_MODES:
            rows, classes = _keep_classes(rows, classes)
            self.class_indices = {name: i for i, name in enumerate(classes)}
            self.num_classes = len(classes)
        bounds = _split_bounds(image_data_generator, subset, _WHERE)
        if bounds is not None:
            rows = rows[int(bounds[0] * len(rows)):int(bounds[1] * len(rows))]
        self.filenames = [row["file"] for row in rows]
        if class_mode in _LABEL_MODES:
            self.classes = [[self.class_indices[c] for c in row["label"]] if isinstance(row["label"], (list, tuple))
                            else self.class_indices[row["label"]] for row in rows]
        self._targets = None
        if class_mode == "multi_output":
            self._targets = [np.array([row["label"][k] for row in rows]) for k in range(len(y_col))]
        elif class_mode == "raw":
            self._targets = np.array([row["label"] for row in rows])
        self.sample_weight = np.array([row["weight"] for row in rows]) if weight_col else None
        self.samples = len(self.filenames)
        self.filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        checked = "validated" if validate_filenames else "non-validated"
        belonging = f" belonging to {self.num_classes} classes" if class_mode in _LABEL_MODES else ""
        print(f"Found {self.samples} {checked} image filenames{belonging}.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def labels(self):
        return self._targets if self.class_mode in ("multi_output", "raw") else getattr(self, "classes", None)

    def _checked_rows(self, dataframe, x_col, y_col, weight_col, classes) -> list:
        """The table as a list of {"file", "label", "weight"} rows, every column checked for the class_mode."""
        mode = self.class_mode
        files = _column(dataframe, x_col)
        columns = {"file": files}
        if mode == "multi_output":
            if not isinstance(y_col, list):
                raise TypeError(f'{_WHERE}: class_mode="multi_output" needs y_col to be a list of columns; got '
                                f"{y_col!r}.")
            columns["label"] = list(zip(*(_column(dataframe, name) for name in y_col)))
        elif mode == "raw" and isinstance(y_col, list):
            columns["label"] = [list(values) for values in zip(*(_column(dataframe, name) for name in y_col))]
        elif mode in _LABEL_MODES + ("raw",):
            columns["label"] = _column(dataframe, y_col)
        if weight_col:
            columns["weight"] = _column(dataframe, weight_col)
        lengths = {name: len(values) for name, values in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"{_WHERE}: the columns must have one value per row; got lengths {lengths}.")
        wrong = next((f for f in files if not isinstance(f, str)), None)
        if wrong is not None:
            raise TypeError(f"{_WHERE}: every value of x_col={x_col!r} must be a file name (a string); got "
                            f"{wrong!r}.")
        labels = columns.get("label", [])
        if mode in ("binary", "sparse") and not all(isinstance(label, str) for label in labels):
            raise TypeError(f'{_WHERE}: with class_mode="{mode}" every value of y_col={y_col!r} must be a class '
                            f"name (a string); got {next(v for v in labels if not isinstance(v, str))!r}.")
        if mode == "categorical":
            wrong = next((v for v in labels if not isinstance(v, (str, list, tuple))
                          or (not isinstance(v, str) and not all(isinstance(c, str) for c in v))), None)
            if wrong is not None:
                raise TypeError(f'{_WHERE}: with class_mode="categorical" every value of y_col={y_col!r} must be a '
                                f"class name or a list of them; got {wrong!r}.")
        if mode == "binary":
            found = len(set(classes)) if classes else len(set(labels))
            if found != 2:
                raise ValueError(f'{_WHERE}: class_mode="binary" needs exactly 2 classes; '
                                 f"{'classes' if classes else 'y_col'} has {found}.")
        if classes and mode not in _LABEL_MODES:
            warnings.warn(f'{_WHERE}: classes is ignored with class_mode={mode!r}.', UserWarning, stacklevel=4)
        if weight_col and not all(_is_number(w) for w in columns["weight"]):
            raise TypeError(f"{_WHERE}: weight_col={weight_col!r} must hold numbers; got "
                            f"{next(w for w in columns['weight'] if not _is_number(w))!r}.")
        return [dict(zip(columns, values)) for values in zip(*columns.values())]

    def _rows_with_images(self, rows: list) -> list:
        kept = [row for row in rows if os.path.splitext(row["file"])[1][1:].lower() in FORMATS
                and os.path.isfile(os.path.join(self.directory, row["file"]))]
        if len(kept) < len(rows):
            warnings.warn(f"{_WHERE}: {len(rows) - len(kept)} of the {len(rows)} file names are not image files "
                          f"in {self.directory or 'the working folder'!r}; those rows are left out.", UserWarning,
                          stacklevel=4)
        return kept

    def _batch(self, indices):
        dtype = self.image_data_generator.dtype
        batch_x = self._images(indices)
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in ("binary", "sparse"):
            batch_y = np.array([self.classes[j] for j in indices], dtype=dtype)
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(indices), self.num_classes), dtype=dtype)
            for i, j in enumerate(indices):
                batch_y[i, self.classes[j]] = 1.0
        elif self.class_mode == "multi_output":
            batch_y = [target[indices] for target in self._targets]
        elif self.class_mode == "raw":
            batch_y = self._targets[indices]
        else:
            return batch_x
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[indices]


def _keep_classes(rows: list, classes):
    """(the rows with a label among ``classes``, the classes): given classes keep their order (duplicates dropped)
    and other labels are dropped from a row (the row too when none is left); else every label, sorted."""
    if not classes:
        found = set()
        for row in rows:
            found.update(row["label"] if isinstance(row["label"], (list, tuple)) else [row["label"]])
        return rows, sorted(found)
    classes = list(dict.fromkeys(classes))
    kept = []
    for row in rows:
        label = row["label"]
        if isinstance(label, (list, tuple)):
            label = [c for c in label if c in classes] or None
        elif label not in classes:
            label = None
        if label is not None:
            kept.append({**row, "label": label})
    return kept, classes
