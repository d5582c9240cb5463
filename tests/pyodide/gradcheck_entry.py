"""Runs tests/gradcheck_cases.py (copied beside this file) inside Pyodide."""

import gradcheck_cases
import numpy
import pydl

count, failures = gradcheck_cases.run_all()
RESULT = {"count": count, "failures": failures, "numpy": numpy.__version__, "pydl": pydl.__version__}
