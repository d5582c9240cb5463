"""“Show the code” in PyTorch and Keras: the playground's trained network as ``pydl.export`` writes it.

:func:`exported_code` is the ``model.py`` that :func:`pydl.export.to_torch` / :func:`pydl.export.to_keras` write for
the run's model, word for word; :func:`exported_zip` is that folder (``model.py`` and ``weights.npz``) as a zip
made in memory, for the page's download button. The exported model takes the input features the page has switched
on, in the page's order (:func:`input_columns`), as the pydl model does.

>>> from pydl.lessons.playground.session import Playground
>>> pg = Playground()
>>> "class Model(nn.Module):" in exported_code(pg, "torch"), "keras.Sequential" in exported_code(pg, "keras")
(True, True)
>>> input_columns(pg)
'X₁, X₂'
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from pydl.export import to_keras, to_torch
from pydl.lessons.playground.state import FEATURES, PlaygroundError

__all__ = ["TARGETS", "exported_code", "exported_zip", "zip_name", "input_columns"]

TARGETS = {"torch": to_torch, "keras": to_keras}


def _export(pg, target: str, folder: Path) -> Path:
    if target not in TARGETS:
        raise PlaygroundError(f"There is no export to {target!r}; choose one of {', '.join(TARGETS)}.")
    return TARGETS[target](pg.model, folder / f"playground_{target}")


def exported_code(pg, target: str) -> str:
    """The ``model.py`` the export to ``target`` ("torch" or "keras") writes for the run's model now."""
    with tempfile.TemporaryDirectory() as folder:
        return _export(pg, target, Path(folder)).read_text(encoding="utf-8")


def zip_name(target: str) -> str:
    return f"playground_{target}.zip"


def exported_zip(pg, target: str) -> bytes:
    """The exported folder ``playground_<target>/`` (model.py, weights.npz) zipped in memory."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        model_file = _export(pg, target, Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(model_file.parent.iterdir()):
                archive.write(path, f"{model_file.parent.name}/{path.name}")
    return buffer.getvalue()


def input_columns(pg) -> str:
    """The model's input columns, in order: the features switched on (what ``input_features`` computes)."""
    return ", ".join(FEATURES[name][0] for name in pg.state.features)
