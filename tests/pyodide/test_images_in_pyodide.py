"""pydl.preprocessing.image inside Pyodide under Node, with the Pillow the built site ships (see images_entry.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.pyodide


@pytest.fixture(scope="module")
def result(run_in_pyodide):
    return run_in_pyodide(HERE / "images_entry.py")


def test_pillow_is_not_loaded_until_asked_for_and_the_error_says_how(result):
    assert result["numpy"] == "2.0.2" and result["pil_before"] is False
    assert "await pydl.preprocessing.image.load_pillow() first" in result["error_before"]
    assert result["pillow"] == "10.2.0"


def test_a_png_decodes_to_its_pixels(result):
    assert result["decoded_equal"] is True


def test_flow_from_directory_reads_a_folder_inside_pyodide(result):
    assert result["batch_shape"] == [6, 4, 4, 3]
    assert result["labels"] == [0, 0, 0, 1, 1, 1]  # bright, then dark, in name order
    assert abs(result["bright_mean_first"] - 220 / 255) < 1e-6


def test_a_decompression_bomb_is_refused_from_its_header(result):
    assert "the header declares 7000x7000 = 49,000,000 pixels, over the limit" in result["bomb_error"]


def test_the_augmentation_resampling_gradient_checks_inside_pyodide(result):
    assert result["resample_gradchecks"] == [True, True, True, True]
