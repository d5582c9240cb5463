"""pydl's OpenBLAS route (backend.matmul -> cblas_?gemm through ctypes) inside Pyodide under Node.

The built dist/ ships vendor/pyodide/openblas-0.3.26.zip; the entry loads it as a page would and checks the
route against Pyodide NumPy's own products and finite differences (see browser_blas_entry.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.pyodide


@pytest.fixture(scope="module")
def result(run_in_pyodide):
    return run_in_pyodide(HERE / "browser_blas_entry.py")


def test_products_stay_with_numpy_until_openblas_is_loaded(result):
    assert result["numpy"] == "2.0.2"
    assert result["blas_before_loading"] is False
    assert result["product_before_loading_is_numpy"] is True


def test_load_browser_blas_switches_the_route_on(result):
    assert result["load_error"] is None
    assert result["load_browser_blas"] is True and result["blas_in_use"] is True
    assert result["library"] == "/usr/lib/libopenblas.so"


def test_cblas_products_equal_numpy_exactly_on_integer_values(result):
    assert result["mismatches"] == []
    assert result["exact_products"] == 2 * 4 * 5 * 5  # dtypes x shapes x layouts of a x layouts of b
    assert result["max_rel_diff_random_float32"] < 1e-5
    assert result["max_rel_diff_random_float64"] < 1e-13


def test_dense_layer_gradcheck_through_the_route(result):
    assert result["dense_gradcheck"] is True
    assert result["dense_products_through_blas"] > 0


def test_conv_gradcheck_and_step_through_the_route(result):
    assert result["conv_gradcheck"] is True
    assert result["conv_products_through_blas"] > 0
    assert result["conv_step_equal"] is True
