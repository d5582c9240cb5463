"""The core's gradient checks and a training run give the native answers inside Pyodide."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from tests import gradcheck_cases

HERE = Path(__file__).resolve().parent
PARITY_SCRIPT = HERE / "training_parity.py"

pytestmark = pytest.mark.pyodide


def test_every_gradcheck_case_passes_inside_pyodide(run_in_pyodide):
    native_count, native_failures = gradcheck_cases.run_all()
    result = run_in_pyodide(HERE / "gradcheck_entry.py", Path(gradcheck_cases.__file__))
    assert result["numpy"] == "2.0.2" and result["pydl"] == "0.1.0"
    assert result["failures"] == []
    assert result["count"] == native_count > 0
    assert native_failures == [], "the same cases fail natively too; see tests/test_gradcheck.py"


def test_seeded_float64_training_gives_native_losses_inside_pyodide(run_in_pyodide):
    native = runpy.run_path(str(PARITY_SCRIPT))["RESULT"]
    in_pyodide = run_in_pyodide(PARITY_SCRIPT)
    assert native["dtype"] == in_pyodide["dtype"] == "float64"
    native_losses, pyodide_losses = native["losses"], in_pyodide["losses"]
    assert len(native_losses) == len(pyodide_losses) == 15
    assert pyodide_losses[-1] < 0.85 * pyodide_losses[0], "the run should actually learn"
    for epoch, (a, b) in enumerate(zip(native_losses, pyodide_losses)):
        assert abs(a - b) <= 1e-9 * abs(a), f"epoch {epoch}: native {a!r} vs Pyodide {b!r}"


def test_imports_inside_pyodide_compile_no_source_the_build_compiled(run_in_pyodide):
    result = run_in_pyodide(HERE / "compiled_imports_entry.py", HERE / "compile_control.py")
    assert result["numpy"] == "2.0.2" and result["pydl"] == "0.1.0"
    assert result["control_compiled"], "the audit hook saw no compile of a module without bytecode"
    assert result["compiled_from_source"] == [], "these were compiled at import (no usable .pyc shipped)"
    assert result["modules_checked"] > 300
