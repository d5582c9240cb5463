"""The lab's graduation cell (web/lab/cells/11_graduation.py): natively, the folders it writes (and zips for the
download button) hold a PyTorch module and a Keras model that predict what the cell's pydl convnet predicts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import zipfile

import numpy as np
import torch

from tests.export.exported import load_generated
from tests.learning import assert_at_least
from tests.site import ROOT

CELL = ROOT / "web" / "lab" / "cells" / "11_graduation.py"


def run_cell(folder):
    namespace, captured = {"__name__": "__lab__"}, io.StringIO()
    previous = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(captured):
            exec(compile(CELL.read_text(), CELL.name, "exec"), namespace)
    finally:
        os.chdir(previous)
    return namespace, captured.getvalue()


def test_graduation_cell_exports_a_trained_convnet_that_torch_and_keras_run_alike(tmp_path):
    namespace, output = run_cell(tmp_path)
    accuracy = float(re.search(r"pydl convnet test accuracy: ([0-9.]+)", output).group(1))
    assert_at_least(accuracy, 0.85, "graduation cell: convnet test accuracy")
    convnet, images = namespace["convnet"], namespace["convnet_test_x"]
    assert f"{convnet.count_params()} weights exported, as many as the model's {convnet.count_params()}" in output
    expected = convnet.predict(images, verbose=0)

    # What the cell prints is the code it wrote; the zip holds both folders.
    for folder in ("convnet_torch", "convnet_keras"):
        assert (tmp_path / folder / "model.py").read_text() in output
    with zipfile.ZipFile(tmp_path / "convnet_export.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{folder}/{name}" for folder in ("convnet_torch", "convnet_keras")
                                                    for name in ("model.py", "weights.npz"))
        archive.extractall(tmp_path / "unzipped")

    torch_model = load_generated(tmp_path / "unzipped" / "convnet_torch").build()
    with torch.no_grad():  # torch takes the images channels first
        got = torch_model(torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)  # float32, sums in another order
    keras_model = load_generated(tmp_path / "unzipped" / "convnet_keras").build()
    np.testing.assert_allclose(keras_model.predict(images, verbose=0), expected, rtol=0, atol=1e-5)


def test_graduation_cell_is_in_the_lab_and_offers_the_zip():
    cells = {cell["file"]: cell for cell in json.loads((ROOT / "web" / "lab" / "cells.json").read_text())}
    assert cells["cells/11_graduation.py"]["download"] == "convnet_export.zip"
    assert "import torch" not in CELL.read_text() and "import keras" not in CELL.read_text()  # absent in the browser
