"""Notebook cells as a learner keeps them: Jupyter .ipynb and percent-format .py in and out, and cell errors told
against the cell's own lines.

The code lab (web/lab/) keeps its cells as plain dicts, the form used here too::

    {"kind": "code" or "markdown", "source": "print(1)\\n",
     "outputs": [{"text": "1\\n"}, {"text": "oops", "stream": "stderr"}, {"png": "<base64>"}]}

>>> cells = [{"kind": "markdown", "source": "# Hello"}, {"kind": "code", "source": "x = 1 + 1\\nprint(x)"}]
>>> [c["kind"] for c in from_ipynb(ipynb_text(cells))]
['markdown', 'code']
>>> print(to_py(cells))
# %% [markdown]
# # Hello
<BLANKLINE>
# %%
x = 1 + 1
print(x)
<BLANKLINE>
"""

from __future__ import annotations

import base64
import io
import json
import linecache
import traceback

KINDS = ("code", "markdown")
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


class NotebookError(ValueError):
    """A file that is not a notebook the lab can open; the message says what is wrong with it."""


def _lines(text: str) -> list[str]:
    """Jupyter's multi-line string form: a list of lines, each keeping its newline."""
    return text.splitlines(keepends=True)


def _joined(value, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    raise NotebookError(f"{where} should be a string or a list of strings, not {type(value).__name__}")


def _ipynb_outputs(outputs: list[dict]) -> list[dict]:
    converted = []
    for output in outputs:
        if "png" in output:
            converted.append({"output_type": "display_data", "metadata": {},
                              "data": {"image/png": output["png"], "text/plain": ["<Figure>"]}})
        elif output.get("text"):
            converted.append({"output_type": "stream", "name": output.get("stream", "stdout"),
                              "text": _lines(output["text"])})
    return converted


def to_ipynb(cells: list[dict]) -> dict:
    """A valid nbformat 4.5 notebook (a dict, ready for json.dump) of the cells, outputs included."""
    notebook_cells = []
    for number, cell in enumerate(cells, 1):
        kind = cell.get("kind", "code")
        if kind not in KINDS:
            raise NotebookError(f"cell {number} has kind {kind!r}; expected one of {', '.join(KINDS)}")
        entry = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": _lines(cell.get("source", ""))}
        if kind == "code":
            entry.update(execution_count=None, outputs=_ipynb_outputs(cell.get("outputs", [])))
        notebook_cells.append(entry)
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": NOTEBOOK_METADATA, "cells": notebook_cells}


def ipynb_text(cells: list[dict]) -> str:
    """The .ipynb file's text (Jupyter's own layout: one-space indent, a final newline)."""
    return json.dumps(to_ipynb(cells), indent=1, ensure_ascii=False) + "\n"


def _cell_outputs(outputs, number: int) -> list[dict]:
    kept = []
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, dict):
            continue
        kind, data = output.get("output_type"), output.get("data", {})
        if kind == "stream":
            kept.append({"text": _joined(output.get("text", ""), f"cell {number}'s output text"),
                         "stream": "stderr" if output.get("name") == "stderr" else "stdout"})
        elif kind in ("display_data", "execute_result") and isinstance(data, dict):
            if "image/png" in data:
                kept.append({"png": _joined(data["image/png"], f"cell {number}'s image").replace("\n", "")})
            elif "text/plain" in data:
                kept.append({"text": _joined(data["text/plain"], f"cell {number}'s output") + "\n"})
        elif kind == "error":
            kept.append({"text": f"{output.get('ename', 'Error')}: {output.get('evalue', '')}\n", "stream": "stderr"})
    return kept


def from_ipynb(text: str | bytes) -> list[dict]:
    """The cells of an nbformat 4 notebook with Python code (ours or any other); a clear NotebookError otherwise.

    Raw cells come back as markdown cells (a notebook has no third kind here); outputs keep their text and PNGs.
    """
    try:
        notebook = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotebookError(f"this file is not a notebook: it is not valid JSON ({error})") from None
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise NotebookError("this file is not a Jupyter notebook: it has no \"cells\" list at the top level")
    if notebook.get("nbformat") != 4:
        raise NotebookError(f"this notebook is nbformat {notebook.get('nbformat')!r}; the lab opens nbformat 4 "
                            "(open it in Jupyter and save it again to convert it)")
    language = notebook.get("metadata", {}).get("kernelspec", {}).get("language") or \
        notebook.get("metadata", {}).get("language_info", {}).get("name") or "python"
    if str(language).lower() != "python":
        raise NotebookError(f"this notebook's cells are {language}, not Python")
    if not isinstance(notebook["cells"], list):
        raise NotebookError(f"the notebook's \"cells\" should be a list, not {type(notebook['cells']).__name__}")
    cells = []
    for number, cell in enumerate(notebook["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            got = cell.get("cell_type") if isinstance(cell, dict) else type(cell).__name__
            raise NotebookError(f"cell {number} is not a code, markdown or raw cell (got {got!r})")
        source = _joined(cell.get("source", ""), f"cell {number}'s source")
        if cell["cell_type"] == "code":
            cells.append({"kind": "code", "source": source, "outputs": _cell_outputs(cell.get("outputs"), number)})
        else:
            cells.append({"kind": "markdown", "source": source, "outputs": []})
    return cells


def to_py(cells: list[dict]) -> str:
    """A percent-format script (`# %%` between cells; Markdown as comments), which Python runs top to bottom and
    VS Code, Spyder and Jupytext read back as cells."""
    parts = []
    for cell in cells:
        source = cell.get("source", "").rstrip("\n")
        if cell.get("kind") == "markdown":
            commented = "\n".join(f"# {line}" if line else "#" for line in source.splitlines())
            parts.append(f"# %% [markdown]\n{commented}\n")
        else:
            parts.append(f"# %%\n{source}\n")
    return "\n".join(parts)


# ---------------------------------------------------------------- running a cell


def compile_cell(source: str, filename: str):
    """Compile a cell's code under its own file name, and let tracebacks quote its lines (as IPython does)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")


def format_cell_error(error: BaseException, filename: str, plumbing: tuple[str, ...] = ()) -> str:
    """The traceback a learner needs: from the cell's first frame on, without the frames of files in `plumbing`
    (the page's own code, e.g. a progress callback inside fit()); a SyntaxError gives the cell's line and a caret."""
    if isinstance(error, SyntaxError) and error.filename == filename:
        return "".join(traceback.format_exception_only(type(error), error))
    frames = traceback.extract_tb(error.__traceback__)
    first = next((i for i, frame in enumerate(frames) if frame.filename == filename), 0)
    kept = [frame for frame in frames[first:] if not frame.filename.endswith(plumbing) or frame.filename == filename]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(kept)]
    return "".join(lines + traceback.format_exception_only(type(error), error))


def figure_pngs(pyplot) -> list[str]:
    """Every open figure of matplotlib's `pyplot` as base64 PNG, in the order they were made; closes them, so the
    next plt.show() (or the end of the cell) shows only what was drawn since."""
    pngs = []
    for number in pyplot.get_fignums():
        buffer = io.BytesIO()
        pyplot.figure(number).savefig(buffer, format="png", bbox_inches="tight")
        pngs.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    pyplot.close("all")
    return pngs


__all__ = ["NotebookError", "to_ipynb", "ipynb_text", "from_ipynb", "to_py", "compile_cell", "format_cell_error",
           "figure_pngs"]
