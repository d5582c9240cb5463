"""Fixtures for running pydl inside Pyodide under Node, against the built dist/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.site import built_dist, find_node

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "run_in_pyodide.mjs"



@pytest.fixture(scope="session")
def run_in_pyodide():
    """run_in_pyodide(entry, *extra_files) -> the entry's RESULT, computed inside Pyodide."""
    dist = built_dist()
    node = find_node()

    def run(entry: Path, *extra_files: Path, timeout_s: float = 300):
        cmd = [node, str(RUNNER), str(dist), str(entry), *map(str, extra_files)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
        if result.returncode != 0 or not lines:
            pytest.fail(f"{entry.name} failed inside Pyodide (exit {result.returncode}):\n{result.stderr[-4000:]}",
                        pytrace=False)
        return json.loads(lines[-1].removeprefix("RESULT "))

    return run
