"""Smoke test of the benchmark harness: tiny sizes, few rounds, well-formed table and JSON. No timing is judged."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run([sys.executable, str(RUN), "--size", "tiny", "--repeats", "2", "--threads", "1",
                           "--json", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def test_table_lists_every_case_and_contender(tiny_run):
    stdout, report = tiny_run
    for case in ("mlp", "convnet", "chain"):
        assert f"\n{case}  (" in stdout
    assert "numpy" in report["native"]["mlp"]["contenders"]
    assert "pydl_tensor" in report["native"]["mlp"]["contenders"]
    assert "pydl" in report["native"]["chain"]["contenders"]
    assert "Targets (same machine, same run):" in stdout


def test_json_is_well_formed(tiny_run):
    _, report = tiny_run
    assert {"machine", "native", "targets", "skipped", "clock", "threads"} <= set(report)
    assert report["machine"]["cpus"] >= 1 and report["machine"]["numpy"]
    for case in report["native"].values():
        assert case["unit"] in ("ms/step", "ms/op")
        for summary in case["contenders"].values():
            assert summary["n"] == 2 and len(summary["samples_ms"]) == 2
            assert 0 < summary["q1_ms"] <= summary["median_ms"] <= summary["q3_ms"]
        for ratio in case["ratios"].values():
            assert ratio > 0
    for target in report["targets"]:
        assert {"target", "ratio", "limit", "met"} <= set(target) and isinstance(target["met"], bool)


def test_cases_build_without_torch(monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import cases
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    monkeypatch.setattr(cases, "_torch", lambda: None)
    steps = cases.chain(cases.SIZES["tiny"]["chain"])
    assert set(steps) == {"pydl"} and "chain/torch" in cases.SKIPPED
    steps["pydl"]()


def test_browser_mlp_target_is_judged_on_the_blas_route_and_numpy_alone_is_listed_for_reference():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import browser
        import harness
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    mlp = lambda ratio: {"cases": {"mlp": {"pydl_sequential": {"vs_native": ratio}}}}  # noqa: E731
    out = {"pyodide": {"numpy": {**mlp(80.0), "blas_in_use": False},
                       "numpy+openblas": {**mlp(40.0), "blas_in_use": True}},
           "pages": {"index.html": {"cold": {"ready_s": 6.0, "bytes": 12e6}}}}
    verdicts = {t["target"]: t["met"] for t in browser.browser_targets(out)}
    assert verdicts["Browser MLP step (pydl_sequential, Pyodide numpy) <= 30x native"] is None
    assert verdicts["Browser MLP step (pydl_sequential, Pyodide numpy+openblas) <= 30x native"] is False
    assert verdicts["index.html: ready <= 5 s cold"] is False and verdicts["index.html: <= 25 MB transferred"] is True
    report = harness.format_targets(browser.browser_targets(out))
    assert "[  info] Browser MLP step (pydl_sequential, Pyodide numpy)" in report
    assert "[MISSED] Browser MLP step (pydl_sequential, Pyodide numpy+openblas)" in report


def test_peers_are_compared_with_pydl_on_the_route_the_training_pages_take():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import peers
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    summary = lambda ms: {"median_ms": ms}  # noqa: E731
    pyodide = {"numpy": {"cases": {"mlp": {"pydl_sequential": summary(270.0)}}},
               "numpy+openblas": {"cases": {"mlp": {"pydl_sequential": summary(40.0)},
                                            "lstm": {"pydl_sequential": summary(100.0)}}}}
    measured = {"cases": {"mlp": {"tfjs_wasm": summary(240.0), "convnetjs": summary(560.0)},
                          "lstm": {"tfjs_cpu": summary(50.0)}, "convnet": {"convnetjs": summary(2600.0)}},
                "unsupported": {"convnet/tfjs_wasm": "Kernel 'Conv2DBackpropFilter' not registered"},
                "versions": {"tfjs": "4.22.0"}, "node": "v20"}
    assert peers.compare(measured, pyodide) == {"mlp": {"tfjs_wasm": 6.0, "convnetjs": 14.0},
                                                "lstm": {"tfjs_cpu": 0.5}}
    report = peers.format_report(measured, pyodide)
    assert "tfjs_wasm     240.0 (6.0x)" in report and "tfjs_cpu      50.0 (0.5x)" in report
    assert "convnet    pydl (not measured)" in report
    assert "(cannot run convnet/tfjs_wasm: Kernel 'Conv2DBackpropFilter' not registered)" in report


def test_peer_versions_are_pinned_exactly():
    pins = json.loads((ROOT / "benchmarks" / "peers" / "package.json").read_text())["dependencies"]
    assert set(pins) == {"@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "convnetjs"}
    assert all(v[0].isdigit() and v.count(".") == 2 for v in pins.values()), pins
