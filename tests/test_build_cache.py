"""build.py trusts no cached file it has not hashed: downloads, compiled wheels, and folders of stopped builds."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from tests.site import load_build_module

build = load_build_module()
pytestmark = pytest.mark.usefixtures("private_build_cache")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def offline(cmd, **kwargs):
    if cmd[:2] == [sys.executable, "-m"] and "--version" in cmd:
        return subprocess.CompletedProcess(cmd, 0)  # pip is there ...
    raise subprocess.CalledProcessError(1, cmd)  # ... but nothing can be downloaded


# ---------------------------------------------------------------- compiled-code cache


@pytest.fixture
def fake_node(monkeypatch):
    """precompile_python's Node step replaced by a stand-in that 'compiles' a file to b"compiled:" + its bytes."""
    runs = []

    def node(cmd, env, **kwargs):
        jobs = json.loads(env["PYDL_PRECOMPILE_JOBS"])
        runs.append([job["source"] for job in jobs])
        for job in jobs:
            with open(job["source"], "rb") as source, open(job["target"], "wb") as target:
                target.write(b"compiled:" + source.read())
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(build.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(build.subprocess, "run", node)
    return runs


def compile_once(tmp_path, source: bytes):
    wheel = tmp_path / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    wheel.write_bytes(source)
    derived = build.precompile_python(tmp_path, [build.PrecompileJob(wheel, "/lib/", keep_sources=True)])
    return wheel, derived[wheel.name]


def test_a_corrupted_compiled_cache_entry_is_compiled_again_and_never_shipped(tmp_path, fake_node, private_build_cache):
    wheel, first = compile_once(tmp_path, b"official wheel")
    assert first["sha256"] == sha(b"compiled:official wheel") and len(fake_node) == 1
    [entry] = [p for p in (private_build_cache / "precompiled").iterdir() if not p.name.endswith(".sha256")]
    damaged = bytearray(entry.read_bytes())
    damaged[3] ^= 0x01
    entry.write_bytes(bytes(damaged))

    wheel, again = compile_once(tmp_path, b"official wheel")
    assert len(fake_node) == 2, "the damaged entry was used instead of compiling again"
    assert wheel.read_bytes() == b"compiled:official wheel"
    assert again["sha256"] == sha(b"compiled:official wheel")  # what the site's lock is rewritten with


def test_an_intact_compiled_entry_is_used_without_compiling(tmp_path, fake_node):
    compile_once(tmp_path, b"official wheel")
    wheel, again = compile_once(tmp_path, b"official wheel")
    assert len(fake_node) == 1 and wheel.read_bytes() == b"compiled:official wheel"


def test_a_compiled_entry_without_its_recorded_hash_is_compiled_again(tmp_path, fake_node, private_build_cache):
    compile_once(tmp_path, b"official wheel")
    [record] = (private_build_cache / "precompiled").glob("*.sha256")
    record.unlink()
    compile_once(tmp_path, b"official wheel")
    assert len(fake_node) == 2


# ---------------------------------------------------------------- downloads that fail their hash offline


def test_an_offline_build_with_a_corrupt_cached_tarball_says_the_hash_failed(private_build_cache, monkeypatch):
    cached = private_build_cache / "npm" / build.UPLOT.tarball_name
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated download")
    monkeypatch.setattr(build.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(build.subprocess, "run", offline)
    with pytest.raises(build.BuildError) as error:
        build.fetch_npm_tarball(build.UPLOT)
    message = str(error.value)
    assert f"the cached {cached} failed its sha256 check" in message
    assert build.UPLOT.sha256 in message and sha(b"truncated download") in message
    assert "warm download cache" in message  # and still what to do about it


def test_an_offline_build_with_a_corrupt_cached_pyodide_wheel_says_the_hash_failed(private_build_cache, monkeypatch):
    monkeypatch.setattr(build, "PYODIDE_PACKAGES", ("numpy",))
    monkeypatch.setattr(build, "PYODIDE_OPT_IN_PACKAGES", ())
    lock = {"packages": {"numpy": {"name": "numpy", "version": "1", "file_name": "numpy-1-py3-none-any.whl",
                                   "sha256": sha(b"official numpy")}}}
    cached = private_build_cache / "pyodide-packages" / "numpy-1-py3-none-any.whl"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"official numpx")
    monkeypatch.setattr(build.subprocess, "run", offline)
    (private_build_cache / "out").mkdir()
    with pytest.raises(build.BuildError) as error:
        build.fetch_pyodide_wheels(private_build_cache / "out", lock, None)
    message = str(error.value)
    assert f"the cached {cached} failed its sha256 check" in message and sha(b"official numpx") in message
    assert "warm download cache" in message


def test_an_empty_cache_offline_still_asks_for_a_warm_cache_only(monkeypatch):
    monkeypatch.setattr(build.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(build.subprocess, "run", offline)
    with pytest.raises(build.BuildError) as error:
        build.fetch_npm_tarball(build.UPLOT)
    assert "warm download cache" in str(error.value) and "sha256" not in str(error.value)


# ---------------------------------------------------------------- folders of failed and stopped builds


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_failed_build_removes_its_staging_folder(tmp_path, monkeypatch):
    def no_network(*args):
        raise build.BuildError("offline")

    monkeypatch.setattr(build, "fetch_pyodide_core", no_network)
    with pytest.raises(build.BuildError, match="offline"):
        build.build(tmp_path / "dist")
    assert list(tmp_path.iterdir()) == []


def test_the_folders_of_stopped_builds_go_and_those_of_running_ones_stay(tmp_path, monkeypatch):
    gone, running = dead_pid(), subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        left = [tmp_path / f"dist.partial-{gone}", tmp_path / f"dist.old-{gone}"]
        kept = [tmp_path / f"dist.partial-{running.pid}", tmp_path / "dist.partial-notes", tmp_path / "dist"]
        for folder in left + kept:
            (folder / "vendor").mkdir(parents=True)
        monkeypatch.setattr(build, "fetch_pyodide_core", lambda *args: (_ for _ in ()).throw(build.BuildError("x")))
        with pytest.raises(build.BuildError):
            build.build(tmp_path / "dist")
        assert sorted(tmp_path.iterdir()) == sorted(kept)
    finally:
        running.kill()
        running.wait()
