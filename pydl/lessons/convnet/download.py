"""The convnet page's model download: the trained model as a pydl file, and as PyTorch and Keras 3 folders zipped
(:mod:`pydl.export`), all built in memory (the folders in a temporary directory, which in a browser is Pyodide's
in-memory file system).

>>> from pydl.lessons.convnet import DEFAULT_SPEC, build_model
>>> files = model_downloads(build_model(DEFAULT_SPEC, (8, 8, 1)))
>>> sorted(files)
['convnet.pydl', 'convnet_keras.zip', 'convnet_pytorch.zip']
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from pydl.export import to_keras, to_torch

__all__ = ["FORMATS", "model_downloads", "exported_zip"]

# file name -> what it is, for the page's buttons
FORMATS = {"convnet.pydl": "pydl file (pydl.models.load_model)",
           "convnet_pytorch.zip": "PyTorch: model.py + weights.npz",
           "convnet_keras.zip": "Keras 3: model.py + weights.npz"}


def exported_zip(model, target: str) -> bytes:
    """``model`` exported by ``pydl.export.to_torch`` (``target="pytorch"``) or ``to_keras`` (``"keras"``), its
    folder zipped: ``model.py`` and ``weights.npz`` at the top of the archive."""
    export = {"pytorch": to_torch, "keras": to_keras}
    if target not in export:
        raise ValueError(f"exported_zip: target must be one of {sorted(export)}; got {target!r}.")
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        export[target](model, folder)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                if path.is_file():
                    archive.write(path, path.name)
    return buffer.getvalue()


def model_downloads(model) -> dict:
    """``{file name: bytes}`` for each of :data:`FORMATS`."""
    return {"convnet.pydl": model.to_bytes(), "convnet_pytorch.zip": exported_zip(model, "pytorch"),
            "convnet_keras.zip": exported_zip(model, "keras")}
