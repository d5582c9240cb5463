"""What build.py writes so that the site also runs opened from disk: offline/ (the fetched files as classic scripts)
and pydl-site.zip (the whole site, to download and unzip)."""

from __future__ import annotations

import base64
import json
import subprocess
import zipfile

import pytest

from tests.site import find_node, load_build_module

build = load_build_module()


@pytest.fixture
def site(tmp_path):
    """A miniature site with one file of each kind the rule must sort."""
    files = {
        "index.html": b"<!doctype html>", "web/common/page.js": b"//", "web/common/page.css": b"/**/",
        "web/lab/main.py": b"print('lab')\n", "web/lab/cells.json": b"[]", "build-info.json": b"{}",
        "vendor/pyodide/pyodide.asm.wasm": b"\0asm" + bytes(range(256)) * 400,  # above the inline limit
        "vendor/pyodide/pyodide.asm.wasm.gz": b"twin", "vendor/pyscript/core.js": b"//",
        "vendor/pyscript/core.css": b"", "vendor/pyscript/LICENSE": b"license", "wheels/a b.whl": b"PK" * 10,
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    return tmp_path


def manifest_of(site):
    text = (site / "offline" / "manifest.js").read_text()
    assert text.startswith("pydlDisk.manifest(") and text.rstrip().endswith(");")
    return json.loads(text.strip()[len("pydlDisk.manifest("):-2])


def test_disk_copy_carries_exactly_the_files_a_page_fetches(site):
    stats = build.write_disk_copy(site)
    manifest = manifest_of(site)
    # What the browser reads from disk itself (pages, scripts, styles), the gzip twins and PyScript stay out.
    assert sorted(manifest) == ["build-info.json", "vendor/pyodide/pyodide.asm.wasm", "web/lab/cells.json",
                                "web/lab/main.py", "wheels/a b.whl"]
    assert stats == {"files": 5, "bytes": sum((site / name).stat().st_size for name in manifest)}


def test_small_files_are_inline_large_ones_in_a_script_of_their_own_with_the_same_bytes(site):
    build.write_disk_copy(site, preload=("vendor/pyodide/pyodide.asm.wasm",))
    manifest = manifest_of(site)
    assert manifest["vendor/pyodide/pyodide.asm.wasm"]["preload"] is True
    assert "preload" not in manifest["wheels/a b.whl"]
    assert base64.b64decode(manifest["web/lab/main.py"]["base64"]) == b"print('lab')\n"
    wasm = manifest["vendor/pyodide/pyodide.asm.wasm"]
    assert "base64" not in wasm and wasm["bytes"] == (site / "vendor/pyodide/pyodide.asm.wasm").stat().st_size
    script = (site / wasm["script"]).read_text()
    prefix = 'pydlDisk.add("vendor/pyodide/pyodide.asm.wasm","'
    assert script.startswith(prefix)
    assert base64.b64decode(script[len(prefix):].rstrip().removesuffix('");')) == \
        (site / "vendor/pyodide/pyodide.asm.wasm").read_bytes()
    assert wasm["script"].startswith("offline/") and " " not in "".join(p.name for p in (site / "offline").iterdir())


def test_the_disk_scripts_run_as_javascript_and_give_back_every_byte(site):
    # The scripts are run as a browser would, one after the other, against a stand-in for disk.js's pydlDisk.
    build.write_disk_copy(site)
    manifest = manifest_of(site)
    scripts = ["offline/manifest.js"] + sorted({e["script"] for e in manifest.values() if "script" in e})
    program = ("const files = {}; globalThis.pydlDisk = {manifest(m) { Object.assign(files, m); },"
               " add(path, b64) { files[path].base64 = b64; }};"
               + "".join(f"require('vm').runInThisContext(require('fs').readFileSync({json.dumps(str(site / s))}, 'utf8'));"
                         for s in scripts)
               + "process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(files).map("
                 "([k, v]) => [k, v.base64]))));")
    result = subprocess.run([find_node(), "-e", program], capture_output=True, text=True, check=True)
    decoded = {name: base64.b64decode(b64) for name, b64 in json.loads(result.stdout).items()}
    assert decoded == {name: (site / name).read_bytes() for name in manifest}


def test_site_zip_holds_the_site_in_one_folder_without_gzip_twins(site):
    build.write_disk_copy(site)
    zipped = build.write_site_zip(site)
    assert zipped == site / "pydl-site.zip"
    with zipfile.ZipFile(zipped) as archive:
        names = set(archive.namelist())
        assert all(name.startswith("pydl-site/") for name in names)
        assert "pydl-site/index.html" in names and "pydl-site/offline/manifest.js" in names
        assert "pydl-site/vendor/pyodide/pyodide.asm.wasm.gz" not in names
        assert not any(name.endswith(".zip") or name.endswith(".partial") for name in names)
        assert archive.read("pydl-site/web/lab/main.py") == b"print('lab')\n"
        assert archive.getinfo("pydl-site/wheels/a b.whl").compress_type == zipfile.ZIP_STORED
    build.write_site_zip(site)  # a second build over the first: the old zip is not zipped into the new one
    with zipfile.ZipFile(zipped) as archive:
        assert not any(name.endswith(".zip") for name in archive.namelist())
