"""What build.py vendors for the lab: CodeMirror bundled into one classic script, marked, and matplotlib for Pyodide."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.site import ROOT, built_dist, load_build_module

build = load_build_module()


@pytest.fixture(scope="module")
def dist():
    return built_dist()


def test_the_editor_bundle_is_one_classic_script_that_gives_every_name_the_lab_uses(dist):
    bundle = dist / "vendor" / "codemirror" / "codemirror.js"
    names = [name.strip() for names in build.CODEMIRROR_EXPORTS.values() for name in names.split(",")]
    # Run as a browser runs a classic script (no module system); then use the editor's state the way editor.js does.
    check = f"""
    const vm = require("node:vm");
    const context = {{}};
    vm.createContext(context);
    vm.runInContext(require("node:fs").readFileSync({json.dumps(str(bundle))}, "utf8"), context);
    const CM = context.CodeMirror;
    const missing = {json.dumps(names)}.filter((name) => CM[name] === undefined);
    const state = CM.EditorState.create({{doc: "def f(x):\\n    return x", extensions: [CM.python(), CM.indentUnit.of("    ")]}});
    console.log(JSON.stringify({{missing, lines: state.doc.lines}}));
    """
    result = subprocess.run([shutil.which("node"), "-e", check], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"missing": [], "lines": 2}
    assert "import " not in bundle.read_text()[:200] and "export " not in bundle.read_text()[-200:]
    licenses = (dist / "vendor" / "codemirror" / "LICENSES.txt").read_text()
    assert all(f"{package.spec}\n" in licenses for package in build.CODEMIRROR_PACKAGES)


def test_every_bundled_package_is_pinned_once_and_fetched_by_npm_pack(dist):
    names = [package.name for package in build.NPM_PACKAGES]
    assert len(names) == len(set(names))
    assert {"@codemirror/view", "@codemirror/lang-python", "esbuild-wasm", "marked"} <= set(names)
    assert all(re.fullmatch(r"[0-9a-f]{64}", package.sha256) for package in build.NPM_PACKAGES)
    assert (dist / "vendor" / "marked" / "marked.umd.js").stat().st_size > 10_000
    assert (dist / "vendor" / "marked" / "LICENSE").exists()


def test_the_bundle_is_made_again_when_a_pin_or_the_entry_changes(monkeypatch):
    first = build.codemirror_bundle_name()
    monkeypatch.setattr(build, "ESBUILD", build.NpmPackage("esbuild-wasm", "0.24.3", "0" * 64))
    second = build.codemirror_bundle_name()
    monkeypatch.setitem(build.CODEMIRROR_EXPORTS, "@codemirror/view", "EditorView")
    assert len({first, second, build.codemirror_bundle_name()}) == 3


def test_matplotlib_ships_with_every_package_it_depends_on_checked_against_the_lock(dist):
    lock = json.loads((dist / "vendor" / "pyodide" / "pyodide-lock.json").read_text())["packages"]
    needed, pending = set(), ["matplotlib"]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending += lock[name]["depends"]
    assert needed <= set(build.shipped_pyodide_packages()), needed - set(build.shipped_pyodide_packages())
    assert lock["matplotlib"]["version"] == "3.8.4"
    for name in needed - {"numpy"}:  # NumPy's lock entry names the compiled wheel (checked by test_build_fast_pages)
        wheel = dist / "vendor" / "pyodide" / lock[name]["file_name"]
        assert build.sha256_of(wheel) == lock[name]["sha256"], name
    info = json.loads((dist / "build-info.json").read_text())
    assert info["pyodide_opt_in_packages"]["matplotlib"] == "3.8.4"


def test_only_the_lab_loads_the_editor_and_no_page_loads_matplotlib_on_start():
    for page in sorted((ROOT / "web").glob("*/index.html")):
        text = page.read_text()
        assert ("vendor/codemirror/" in text) == (page.parent.name == "lab"), page
        assert "matplotlib" not in text, page
    lab = (ROOT / "web" / "lab" / "index.html").read_text()
    assert 'type="module"' not in lab  # classic scripts only: the page also runs from file://
