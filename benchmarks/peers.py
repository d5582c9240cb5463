"""The browser libraries a learner would otherwise use, timed on the same steps: TensorFlow.js and ConvNetJS.

``peers/steps.js`` runs the MLP, convnet and recurrent steps of ``cases.py`` (same sizes, loss and optimizer) in
TensorFlow.js 4.22 with its "cpu" (JavaScript) and "wasm" (WebAssembly) backends and in ConvNetJS 0.3, under
Node, timing CPU time as pydl's Pyodide run does with ``--clock cpu``. Their ratios are taken to pydl inside
Pyodide (with OpenBLAS, the route the training pages take) from the same ``run.py --browser --peers`` run.

The packages are pinned in ``peers/package.json`` and installed with npm into a cache folder
(``$PYDL_BENCH_PEERS`` or ``~/.cache/pydl-bench-peers``) on first use; nothing of theirs is committed. Node is
not a browser, but both libraries run the same JavaScript and WebAssembly there (TensorFlow.js' wasm backend
without threads, as a page that is not cross-origin isolated gets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "peers" / "package.json"
SCRIPT = HERE / "peers" / "steps.js"
CASES = ("mlp", "convnet", "lstm", "gru", "simple_rnn")
PYDL_CONTENDER, PYODIDE_VARIANT = "pydl_sequential", "numpy+openblas"  # pydl as the training pages run it


def install_dir() -> Path:
    return Path(os.environ.get("PYDL_BENCH_PEERS") or Path.home() / ".cache" / "pydl-bench-peers")


def install(log=print) -> Path:
    """The folder with node_modules holding exactly the pinned versions (npm install there when they differ)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Node.js 18+ includes it)")
    folder = install_dir()
    wanted = json.loads(PACKAGE.read_text())["dependencies"]
    if _installed(folder) != wanted:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(PACKAGE, folder / "package.json")
        log(f"  npm install {' '.join(f'{k}@{v}' for k, v in wanted.items())} into {folder} ...")
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"npm install failed: {proc.stderr[-2000:]}")
        if _installed(folder) != wanted:
            raise RuntimeError(f"npm installed {_installed(folder)}, not the pinned {wanted}")
    return folder


def _installed(folder: Path) -> dict:
    """``{package: version}`` of the pinned packages present in ``folder/node_modules``."""
    found = {}
    for name in json.loads(PACKAGE.read_text())["dependencies"]:
        meta = folder / "node_modules" / name / "package.json"
        if meta.exists():
            found[name] = json.loads(meta.read_text())["version"]
    return found


def run(sizes: dict, case_names: list, repeats: int, sample_s: float, log=print) -> dict:
    """Time every peer on ``case_names``; ``{"cases": {case: {contender: summary}}, "unsupported", "versions"}``."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed")
    folder = install(log)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "peers_config.json"
        config.write_text(json.dumps({"sizes": sizes, "cases": case_names, "repeats": repeats, "sample_s": sample_s,
                                      "budget_s": 20}))
        script = folder / SCRIPT.name  # beside node_modules, so require() finds the packages
        shutil.copy(SCRIPT, script)
        log("  TensorFlow.js (cpu, wasm) and ConvNetJS under Node ...")
        proc = subprocess.run([node, str(script), str(config)], capture_output=True, text=True, timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"peers run failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def compare(peers: dict, pyodide: dict) -> dict:
    """``{case: {peer: peer median / pydl-in-Pyodide median}}`` for every case both measured (> 1: pydl faster)."""
    pydl_cases = pyodide.get(PYODIDE_VARIANT, {}).get("cases", {})
    ratios = {}
    for case, contenders in peers.get("cases", {}).items():
        pydl = pydl_cases.get(case, {}).get(PYDL_CONTENDER)
        if not pydl:
            continue
        ratios[case] = {peer: s["median_ms"] / pydl["median_ms"] for peer, s in contenders.items()}
    return ratios


def format_report(peers: dict, pyodide: dict) -> str:
    ratios = compare(peers, pyodide)
    pydl_cases = pyodide.get(PYODIDE_VARIANT, {}).get("cases", {})
    versions = ", ".join(f"{k} {v}" for k, v in peers.get("versions", {}).items())
    lines = [f"\npeers under Node {peers.get('node', '?')} ({versions}), ms/step; x = peer / pydl in Pyodide "
             f"({PYODIDE_VARIANT}) of this run, above 1 means pydl is faster"]
    for case, contenders in peers.get("cases", {}).items():
        pydl = pydl_cases.get(case, {}).get(PYDL_CONTENDER)
        head = f"  {case:<11}pydl {pydl['median_ms']:9.1f}" if pydl else f"  {case:<11}pydl (not measured)"
        cells = [f"{peer} {s['median_ms']:9.1f}" + (f" ({ratios[case][peer]:.1f}x)" if case in ratios else "")
                 for peer, s in contenders.items()]
        lines.append(head + "  " + "  ".join(cells))
    for key, why in peers.get("unsupported", {}).items():
        lines.append(f"  (cannot run {key}: {why})")
    return "\n".join(lines)
