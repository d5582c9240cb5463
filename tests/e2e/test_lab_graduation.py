"""The lab's graduation cell in the page: it exports the convnet it trains there, shows the PyTorch and Keras code,
and its download is a zip whose two folders, loaded natively in torch and Keras, are the model trained in the page."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest

from tests.export.exported import load_generated

pytestmark = pytest.mark.e2e

TRAINING_TIMEOUT_MS = 240_000


def test_graduation_cell_exports_the_convnet_trained_in_the_page(browser_page, tmp_path):
    browser_page.open("web/lab/")
    page = browser_page.page
    page.wait_for_selector("body:not([data-blas='loading'])", timeout=60_000)
    assert page.is_disabled("#download-graduation")
    page.click("#run-graduation")
    page.wait_for_selector("#cell-graduation[data-runs='1']", timeout=TRAINING_TIMEOUT_MS)
    output = page.inner_text("#output-graduation")
    assert page.get_attribute("#cell-graduation", "data-state") == "done", output
    assert "class Model(nn.Module):" in output and "return keras.Sequential([" in output
    accuracy = float(re.search(r"pydl convnet test accuracy: ([0-9.]+)", output).group(1))

    with page.expect_download() as download_info:
        page.click("#download-graduation")
    download = download_info.value
    assert download.suggested_filename == "convnet_export.zip"
    download.save_as(tmp_path / "convnet_export.zip")
    with zipfile.ZipFile(tmp_path / "convnet_export.zip") as archive:
        archive.extractall(tmp_path)

    import torch
    from pydl import datasets

    _, (test_images, test_labels) = datasets.load_digits()
    images = (test_images[:, :, :, None] / 16.0).astype("float32")
    with torch.no_grad():
        torch_scores = load_generated(tmp_path / "convnet_torch").build()(
            torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))).numpy()
    keras_scores = load_generated(tmp_path / "convnet_keras").build().predict(images, verbose=0)
    np.testing.assert_allclose(torch_scores, keras_scores, rtol=0, atol=1e-5)  # float32, two summation orders
    native_accuracy = float(np.mean(torch_scores.argmax(axis=1) == test_labels))
    assert abs(native_accuracy - accuracy) < 1e-3, "the exported model is the one trained in the page"
    print(f"graduation cell in the page: {page.inner_text('#elapsed-graduation')}")  # speed: benchmarks/, not here
    browser_page.assert_clean()
