"""The convnet page's download (pydl.lessons.convnet.download): the three files are the model, whatever reads them."""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile

import numpy as np
import pytest

from pydl.lessons.convnet import DEFAULT_SPEC, build_model, load_digits_data
from pydl.lessons.convnet.download import FORMATS, exported_zip, model_downloads
from pydl.models import load_model


@pytest.fixture(scope="module")
def trained():
    data = load_digits_data(8)
    model = build_model(DEFAULT_SPEC, data.input_shape)
    model.fit(data.x_train[:256], data.y_train[:256], epochs=1, batch_size=32, verbose=0, seed=0)
    return model, data.x_test[:16]


def _build_from_zip(blob, folder, module_name):
    archive = zipfile.ZipFile(io.BytesIO(blob))
    assert sorted(archive.namelist()) == ["model.py", "weights.npz"]
    archive.extractall(folder)
    spec = importlib.util.spec_from_file_location(module_name, folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        return module.build()
    finally:
        del sys.modules[module_name]


def test_the_pydl_file_loads_back_to_the_same_predictions(trained):
    model, x = trained
    files = model_downloads(model)
    assert sorted(files) == sorted(FORMATS)
    again = load_model(io.BytesIO(files["convnet.pydl"]))
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_the_pytorch_zip_builds_a_module_that_predicts_like_pydl(trained, tmp_path):
    import torch

    model, x = trained
    module = _build_from_zip(exported_zip(model, "pytorch"), tmp_path, "convnet_download_torch")
    with torch.no_grad():
        # PyTorch convolutions take images channels-first: (n, h, w, c) -> (n, c, h, w).
        out = module(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))).numpy()
    np.testing.assert_allclose(out, model.predict(x), atol=1e-5)  # float32 on two libraries' kernels


def test_the_keras_zip_holds_what_to_keras_writes(trained, tmp_path):
    """Keras' own run of such an export is tests/export's (1e-5); here: the zip is that export, byte for byte."""
    from pydl.export import to_keras

    model, _ = trained
    to_keras(model, tmp_path)
    archive = zipfile.ZipFile(io.BytesIO(exported_zip(model, "keras")))
    assert sorted(archive.namelist()) == ["model.py", "weights.npz"]
    for name in archive.namelist():
        assert archive.read(name) == (tmp_path / name).read_bytes()


def test_an_unknown_target_is_named(trained):
    with pytest.raises(ValueError, match="'keras', 'pytorch'.*'onnx'"):
        exported_zip(trained[0], "onnx")
