"""The playground's PyTorch and Keras tabs (pydl.lessons.playground.export), natively: the code a tab shows is what
pydl.export writes, and the zip the tab offers holds a model that predicts what the page's model predicts."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch

from pydl.export import to_keras, to_torch
from pydl.lessons.playground import Playground, PlaygroundError, State, features
from pydl.lessons.playground.export import exported_code, exported_zip, input_columns, zip_name
from tests.export.exported import load_generated

RUNS = {
    "binary, dropout and L2": dict(dataset="xor", features=("x", "y", "xTimesY"), network_shape=(5, 3),
                                   layer_activations=("relu", "tanh"), dropout=0.2, regularization="L2",
                                   regularization_rate=0.003),
    "three classes": dict(dataset="blobs", classes=3, network_shape=(4,), layer_activations=("sigmoid",)),
    "regression, no hidden layer": dict(problem="regression", reg_dataset="multi_gauss", network_shape=(),
                                        layer_activations=(), features=("x", "y", "sinX", "sinY")),
}


def trained(settings):
    pg = Playground(State(seed=2, **settings))
    pg.train_epochs(2)
    return pg


def page_predictions(pg):
    return pg.model.predict(features(pg.data.x_test, pg.state.features), verbose=0)


@pytest.mark.parametrize("run", sorted(RUNS))
def test_each_tab_shows_what_the_export_writes(run, tmp_path):
    pg = trained(RUNS[run])
    assert exported_code(pg, "torch") == to_torch(pg.model, tmp_path / "torch").read_text()
    assert exported_code(pg, "keras") == to_keras(pg.model, tmp_path / "keras").read_text()


@pytest.mark.parametrize("run", sorted(RUNS))
def test_the_zipped_folders_predict_like_the_page(run, tmp_path):
    pg = trained(RUNS[run])
    expected = page_predictions(pg)
    inputs = features(pg.data.x_test, pg.state.features)
    for target in ("torch", "keras"):
        with zipfile.ZipFile(io.BytesIO(exported_zip(pg, target))) as archive:
            folder = f"playground_{target}"
            assert sorted(archive.namelist()) == [f"{folder}/model.py", f"{folder}/weights.npz"]
            assert archive.read(f"{folder}/model.py").decode() == exported_code(pg, target)
            archive.extractall(tmp_path / target)
        module = load_generated(tmp_path / target / folder)
        if target == "torch":
            with torch.no_grad():
                got = module.build()(torch.from_numpy(inputs)).numpy()
        else:
            got = module.build().predict(inputs, verbose=0)
        # float32 on both sides, sums taken in another order
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5, err_msg=f"{run}: {target}")


def test_the_export_follows_the_weights_the_page_has_now(tmp_path):
    pg = trained(RUNS["three classes"])
    before = exported_zip(pg, "torch")
    pg.set_weight(0, 0, 0, 3.5)  # a hand edit on the page reaches the download
    with zipfile.ZipFile(io.BytesIO(exported_zip(pg, "torch"))) as archive:
        archive.extractall(tmp_path)
    with np.load(tmp_path / "playground_torch" / "weights.npz", allow_pickle=False) as weights:
        assert weights["hidden_1.weight"][0, 0] == np.float32(3.5)  # torch's Linear keeps (out, in)
    assert exported_zip(pg, "torch") != before


def test_the_tabs_name_the_input_columns_and_the_zip():
    pg = Playground(State(features=("x", "xSquared", "sinY")))
    assert input_columns(pg) == "X₁, X₁², sin(X₂)"
    assert zip_name("keras") == "playground_keras.zip"
    with pytest.raises(PlaygroundError, match="no export to 'onnx'; choose one of torch, keras"):
        exported_code(pg, "onnx")
