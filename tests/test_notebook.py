"""pydl.notebook: the lab's .ipynb/.py conversions (validated with nbformat) and its cell-error tracebacks."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os

import nbformat
import pytest

from pydl import notebook
from tests.site import ROOT

LAB = ROOT / "web" / "lab"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n not a real image, only its bytes").decode()


def lab_cells():
    """The lab's own notebook as the page exports it: each cell's title and lesson as Markdown, then its code."""
    cells = []
    for cell in json.loads((LAB / "cells.json").read_text()):
        cells.append({"kind": "markdown", "source": f"## {cell['title']}\n\n{cell['teaches']}"})
        cells.append({"kind": "code", "source": (LAB / cell["file"]).read_text()})
    return cells


def test_the_labs_notebook_is_valid_nbformat_4_and_comes_back_unchanged():
    cells = lab_cells()
    text = notebook.ipynb_text(cells)
    nbformat.validate(nbformat.reads(text, as_version=4))
    back = notebook.from_ipynb(text)
    assert [(c["kind"], c["source"]) for c in back] == [(c["kind"], c["source"]) for c in cells]


def test_outputs_travel_as_streams_and_png_images():
    cells = [{"kind": "code", "source": "print(1)", "outputs": [
        {"text": "1\n", "stream": "stdout"}, {"text": "Traceback ...\nValueError: no\n", "stream": "stderr"}, {"png": PNG}]}]
    parsed = nbformat.reads(notebook.ipynb_text(cells), as_version=4)
    nbformat.validate(parsed)
    outputs = parsed.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "stream", "display_data"]
    assert outputs[1].name == "stderr" and outputs[2].data["image/png"] == PNG
    assert notebook.from_ipynb(notebook.ipynb_text(cells))[0]["outputs"] == cells[0]["outputs"]


def test_a_notebook_written_by_jupyter_opens_with_its_cells_in_order():
    written = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 2\nx * 3", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "6"}, execution_count=1)]),
        nbformat.v4.new_raw_cell("raw text"),
        nbformat.v4.new_code_cell("1 / 0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]),
    ])
    written.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    cells = notebook.from_ipynb(nbformat.writes(written))
    assert [c["kind"] for c in cells] == ["markdown", "code", "markdown", "code"]
    assert cells[1]["source"] == "x = 2\nx * 3" and cells[1]["outputs"] == [{"text": "6\n"}]
    assert cells[3]["outputs"] == [{"text": "ZeroDivisionError: division by zero\n", "stream": "stderr"}]


@pytest.mark.parametrize("text, complaint", [
    ("{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    ('{"nbformat": 4}', 'no "cells" list'),
    ('[1, 2]', 'no "cells" list'),
    ('{"nbformat": 3, "cells": []}', "nbformat 3; the lab opens nbformat 4"),
    ('{"nbformat": 4, "cells": {}}', '"cells" should be a list, not dict'),
    ('{"nbformat": 4, "metadata": {"kernelspec": {"language": "R"}}, "cells": []}', "cells are R, not Python"),
    ('{"nbformat": 4, "cells": [{"cell_type": "widget"}]}', "cell 1 is not a code, markdown or raw cell (got 'widget')"),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}', "cell 1's source should be a string"),
])
def test_a_malformed_file_is_refused_with_what_is_wrong(text, complaint):
    with pytest.raises(notebook.NotebookError) as error:
        notebook.from_ipynb(text)
    assert complaint in str(error.value)


def test_an_unknown_cell_kind_is_refused_on_export():
    with pytest.raises(notebook.NotebookError, match="cell 2 has kind 'html'; expected one of code, markdown"):
        notebook.to_ipynb([{"kind": "code", "source": ""}, {"kind": "html", "source": ""}])


def run_code_cells(cells, workdir):
    """Execute the code cells in order in one namespace, as `jupyter nbconvert --execute` would; returns stdout."""
    namespace, captured = {"__name__": "__main__"}, io.StringIO()
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(captured):
            for cell in cells:
                if cell.get("kind", "code") == "code":
                    exec(compile(cell["source"], "<cell>", "exec"), namespace)
    finally:
        os.chdir(previous)
    return captured.getvalue()


def test_the_exported_notebook_and_script_run_natively_in_order(tmp_path):
    tensors = next(c for c in json.loads((LAB / "cells.json").read_text()) if c["id"] == "tensors")
    cells = [{"kind": "markdown", "source": "# My notes"},
             {"kind": "code", "source": (LAB / tensors["file"]).read_text()},
             {"kind": "code", "source": "import pydl\ntotal = float(pydl.Tensor([1.0, 2.0]).sum().data)\nprint('sum', total)"}]
    output = run_code_cells(notebook.from_ipynb(notebook.ipynb_text(cells)), tmp_path)
    assert "gradients match the hand-derived formulas" in output and "sum 3.0" in output
    script_output = io.StringIO()
    with contextlib.redirect_stdout(script_output):
        exec(compile(notebook.to_py(cells), "lab.py", "exec"), {"__name__": "__main__"})
    assert script_output.getvalue() == output


def test_a_syntax_error_names_the_cells_line_with_a_caret():
    with pytest.raises(SyntaxError) as error:
        notebook.compile_cell("x = 1\ny = (2 +\n", "<cell 3>")
    message = notebook.format_cell_error(error.value, "<cell 3>")
    assert 'File "<cell 3>", line 2' in message and "y = (2 +" in message and "^" in message
    assert "SyntaxError" in message and "exec" not in message


def plumbing_runs(code, filename):
    """Stand-in for the lab's runner, in a file of its own that the cleaned traceback must not show."""
    exec(notebook.compile_cell(code, filename), {})


def test_a_runtime_error_shows_the_cells_frames_then_the_librarys_and_none_of_the_pages():
    code = "import pydl\nlayer = pydl.layers.Dense(2)\nlayer.build((None, 3))\nlayer(pydl.Tensor([[1.0, 2.0]]))\n"
    with pytest.raises(Exception) as error:
        plumbing_runs(code, "<cell 2>")
    message = notebook.format_cell_error(error.value, "<cell 2>", plumbing=("test_notebook.py",))
    assert message.startswith("Traceback (most recent call last):\n")
    assert 'File "<cell 2>", line 4, in <module>' in message
    assert "layer(pydl.Tensor([[1.0, 2.0]]))" in message  # the cell's line is quoted
    assert "/pydl/" in message.split('File "<cell 2>", line 4')[1]  # the library's frames follow the cell's
    assert "test_notebook.py" not in message and "plumbing_runs" not in message
    assert message.rstrip().splitlines()[-1].startswith(type(error.value).__name__)


def test_the_pages_frames_inside_the_cells_call_are_left_out():
    def progress_callback():  # like the page's progress bar, called back from inside the learner's fit()
        raise RuntimeError("drawing the progress failed")

    with pytest.raises(RuntimeError) as error:
        exec(notebook.compile_cell("x = 1\nfit()\n", "<cell 5>"), {"fit": progress_callback})
    message = notebook.format_cell_error(error.value, "<cell 5>", plumbing=("test_notebook.py",))
    assert 'File "<cell 5>", line 2, in <module>' in message and "progress_callback" not in message
    assert message.endswith("RuntimeError: drawing the progress failed\n")


class FakePyplot:
    """What figure_pngs uses of matplotlib.pyplot: numbered figures that save as PNG and close."""

    def __init__(self, count):
        self.open = list(range(1, count + 1))

    def get_fignums(self):
        return list(self.open)

    def figure(self, number):
        fake = self

        class Figure:
            def savefig(self, buffer, format, bbox_inches):
                assert format == "png" and number in fake.open
                buffer.write(f"png of figure {number}".encode())

        return Figure()

    def close(self, which):
        assert which == "all"
        self.open = []


def test_open_figures_become_pngs_in_order_and_are_closed():
    pyplot = FakePyplot(2)
    pngs = notebook.figure_pngs(pyplot)
    assert [base64.b64decode(p) for p in pngs] == [b"png of figure 1", b"png of figure 2"]
    assert pyplot.get_fignums() == [] and notebook.figure_pngs(pyplot) == []
