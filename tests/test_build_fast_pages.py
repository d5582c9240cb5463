"""What build.py does so that pages start fast: Python compiled ahead of time, and gzip twins served to browsers."""

from __future__ import annotations

import email.utils
import gzip
import json
import threading
import urllib.error
import urllib.request
import zipfile

import pytest

from tests.site import built_dist, find_node, load_build_module

build = load_build_module()
REAL_CACHE = build.cache_dir()  # read before the fixture below points the cache elsewhere
CPYTHON_312_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"  # the bytecode of Pyodide 0.27's CPython 3.12


pytestmark = pytest.mark.usefixtures("private_build_cache")


# ---------------------------------------------------------------- compiled Python


def make_zip(path, files):
    """A zip of files with a fixed date: the same files always give the same bytes (the cache keys on them)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return path


SAMPLE = {
    "pkg/__init__.py": "ANSWER = 42\n",
    "pkg/mod.py": "def twice(x):\n    return 2 * x\n",
    "pkg/py2_only.py": "print 'not Python 3'\n",
    "pkg/data.txt": "not code",
}


@pytest.fixture(scope="module")
def pyodide_dir():
    find_node()
    return built_dist() / "vendor" / "pyodide"


def test_sources_gain_pycache_bytecode_and_stay_beside_it(tmp_path, pyodide_dir):
    wheel = make_zip(tmp_path / "pkg-1.0-py3-none-any.whl", SAMPLE)
    derived = build.precompile_python(pyodide_dir, [build.PrecompileJob(wheel, "/site/", keep_sources=True)])
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert names == set(SAMPLE) | {"pkg/__pycache__/__init__.cpython-312.pyc", "pkg/__pycache__/mod.cpython-312.pyc"}
        pyc = archive.read("pkg/__pycache__/mod.cpython-312.pyc")
        assert archive.read("pkg/py2_only.py") == SAMPLE["pkg/py2_only.py"].encode()  # kept, not compiled
    assert pyc[:4] == CPYTHON_312_MAGIC
    assert int.from_bytes(pyc[4:8], "little") == 0b11, "a checked hash-based pyc: an edited source is recompiled"
    assert derived[wheel.name]["sha256"] == build.sha256_of(wheel) != derived[wheel.name]["from_sha256"]


def test_a_zip_without_sources_gets_unchecked_bytecode_in_their_place(tmp_path, pyodide_dir):
    stdlib = make_zip(tmp_path / "python_stdlib.zip", SAMPLE)
    build.precompile_python(pyodide_dir, [build.PrecompileJob(stdlib, "/lib/python312.zip/", keep_sources=False)])
    with zipfile.ZipFile(stdlib) as archive:
        assert set(archive.namelist()) == {"pkg/__init__.pyc", "pkg/mod.pyc", "pkg/py2_only.py", "pkg/data.txt"}
        pyc = archive.read("pkg/mod.pyc")
    assert pyc[:4] == CPYTHON_312_MAGIC and int.from_bytes(pyc[4:8], "little") == 0b01


def test_compiled_files_are_cached_by_input_so_a_rebuild_needs_no_node(tmp_path, pyodide_dir, monkeypatch):
    first = make_zip(tmp_path / "a.whl", SAMPLE)
    job = build.PrecompileJob(first, "/site/", keep_sources=True)
    expected = build.precompile_python(pyodide_dir, [job])
    make_zip(first, SAMPLE)  # the same input again

    def no_node(*args, **kwargs):
        raise AssertionError("node ran although the compiled file was cached")

    monkeypatch.setattr(build.subprocess, "run", no_node)
    assert build.precompile_python(pyodide_dir, [job]) == expected


def test_a_failure_inside_pyodide_stops_the_build_with_its_output(tmp_path, pyodide_dir, monkeypatch):
    monkeypatch.setattr(build, "PRECOMPILE_PY", build.PRECOMPILE_PY + "\nraise RuntimeError('compiler exploded')\n")
    wheel = make_zip(tmp_path / "a.whl", SAMPLE)
    with pytest.raises(build.BuildError, match="compiler exploded"):
        build.precompile_python(pyodide_dir, [build.PrecompileJob(wheel, "/site/", keep_sources=True)])


def test_missing_node_says_what_to_install(tmp_path, pyodide_dir, monkeypatch):
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    wheel = make_zip(tmp_path / "a.whl", SAMPLE)
    with pytest.raises(build.BuildError, match="Install Node.js"):
        build.precompile_python(pyodide_dir, [build.PrecompileJob(wheel, "/site/", keep_sources=True)])


def test_the_built_site_ships_compiled_stdlib_numpy_and_pydl_and_its_lock_names_the_compiled_numpy(monkeypatch):
    dist = built_dist()
    monkeypatch.setenv("PYDL_BUILD_CACHE", str(REAL_CACHE))  # the official lock, from the npm tarball the build used
    pyodide = dist / "vendor" / "pyodide"
    with zipfile.ZipFile(pyodide / "python_stdlib.zip") as stdlib:
        names = stdlib.namelist()
    assert not [n for n in names if n.endswith(".py")] and len([n for n in names if n.endswith(".pyc")]) > 400
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    numpy_wheel = pyodide / lock["packages"]["numpy"]["file_name"]
    assert build.sha256_of(numpy_wheel) == lock["packages"]["numpy"]["sha256"], "Pyodide refuses a wheel off its lock"
    info = json.loads((dist / "build-info.json").read_text())
    official_lock = json.loads(_official_file("pyodide-lock.json"))
    assert info["compiled_python"][numpy_wheel.name]["from_sha256"] == official_lock["packages"]["numpy"]["sha256"]
    for wheel in (numpy_wheel, dist / info["pydl_wheel"]):
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
        sources = {n for n in names if n.endswith(".py")}
        assert sources, wheel.name
        missing = [n for n in sources if f"{n.rpartition('/')[0]}/__pycache__/{n.rpartition('/')[2][:-3]}.cpython-312.pyc"
                   not in names]
        assert not missing, f"{wheel.name}: no bytecode for {missing[:5]}"


def _official_file(name: str) -> bytes:
    import tarfile

    with tarfile.open(build.fetch_npm_tarball(build.PYODIDE)) as archive:
        return archive.extractfile("package/" + name).read()


# ---------------------------------------------------------------- gzip twins and the server that sends them


def test_gzip_twins_hold_the_same_bytes_and_skip_small_or_already_compressed_files(tmp_path):
    big = b"let x = 1;\n" * 500
    (tmp_path / "a.js").write_bytes(big)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.wasm").write_bytes(b"\0asm" + bytes(5000))
    (tmp_path / "tiny.css").write_text("p{}")
    (tmp_path / "c.whl").write_bytes(bytes(5000))
    assert build.write_gzip_twins(tmp_path) == 2
    assert gzip.decompress((tmp_path / "a.js.gz").read_bytes()) == big
    assert gzip.decompress((tmp_path / "sub" / "b.wasm.gz").read_bytes()) == b"\0asm" + bytes(5000)
    assert not (tmp_path / "tiny.css.gz").exists() and not (tmp_path / "c.whl.gz").exists()
    twin = (tmp_path / "a.js.gz").read_bytes()
    build.write_gzip_twins(tmp_path)
    assert (tmp_path / "a.js.gz").read_bytes() == twin, "the same input must give the same bytes"


@pytest.fixture()
def gzip_site(tmp_path):
    (tmp_path / "a.wasm").write_bytes(b"\0asm" + bytes(4000))
    (tmp_path / "plain.js").write_text("1;\n" * 1000)
    build.write_gzip_twins(tmp_path)
    (tmp_path / "plain.js.gz").unlink()  # a file without a twin
    server = build.make_server(tmp_path, 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def get(url, **headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


@pytest.mark.parametrize("accept, compressed", [
    ("gzip, deflate, br, zstd", True), ("br;q=1.0, GZIP;q=0.5", True), ("gzip;q=0", False), ("br", False), ("", False)])
def test_the_server_sends_the_twin_only_to_clients_that_accept_gzip(gzip_site, accept, compressed):
    status, headers, body = get(gzip_site + "a.wasm", **({"Accept-Encoding": accept} if accept else {}))
    assert status == 200 and headers["Content-Type"] == "application/wasm"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp" and "Accept-Encoding" in headers["Vary"]
    assert (headers["Content-Encoding"] == "gzip") is compressed
    assert (gzip.decompress(body) if compressed else body) == b"\0asm" + bytes(4000)
    assert int(headers["Content-Length"]) == len(body)


def test_a_file_without_twin_is_sent_as_it_is_and_revalidation_answers_304(gzip_site):
    status, headers, body = get(gzip_site + "plain.js", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] is None and body == b"1;\n" * 1000
    status, headers, body = get(gzip_site + "a.wasm", **{"Accept-Encoding": "gzip"})
    later = email.utils.formatdate(email.utils.parsedate_to_datetime(headers["Last-Modified"]).timestamp() + 60,
                                   usegmt=True)
    status, headers, body = get(gzip_site + "a.wasm", **{"Accept-Encoding": "gzip", "If-Modified-Since": later})
    assert status == 304 and body == b""
    status, _, body = get(gzip_site + "a.wasm", **{"Accept-Encoding": "gzip", "If-Modified-Since": "garbage"})
    assert status == 200 and gzip.decompress(body)
