"""Inside Pyodide: importing the stdlib, NumPy and pydl compiles no Python source (the build shipped bytecode).

A module of the test's own (compile_control.py, copied beside this entry) has no bytecode, so importing it must
show up as a compile: proof that the audit hook sees compiles at all.
"""
import sys

compiled = []


def record_compiles(event, args):
    if event == "compile" and isinstance(args[1], str) and args[1].endswith(".py"):
        compiled.append(args[1])


sys.addaudithook(record_compiles)

import email.mime.text  # noqa: E402,F401  stdlib modules no page has imported yet
import fractions  # noqa: E402,F401
import json.tool  # noqa: E402,F401
import statistics  # noqa: E402,F401

import numpy  # noqa: E402
import numpy.ma  # noqa: E402,F401
import numpy.polynomial  # noqa: E402,F401

import pydl  # noqa: E402
import pydl.lessons.playground  # noqa: E402,F401
import pydl.models.saving  # noqa: E402,F401

before_control = list(compiled)
import compile_control  # noqa: E402,F401

RESULT = {
    "compiled_from_source": before_control,
    "control_compiled": [name for name in compiled[len(before_control):] if name.endswith("compile_control.py")],
    "modules_checked": len(sys.modules),
    "numpy": numpy.__version__,
    "pydl": pydl.__version__,
}
