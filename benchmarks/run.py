#!/usr/bin/env python3
"""pydl speed benchmarks against hand-written NumPy and PyTorch: one command, one table, one JSON file.

    python benchmarks/run.py                  # native table (about 1-2 minutes)
    python benchmarks/run.py --quick          # fewer rounds (about 30 s), for a quick look
    python benchmarks/run.py --browser        # also Pyodide under Node and headless Chromium (needs dist/)
    python benchmarks/run.py --json out.json  # results also to out.json (default: benchmarks/results/)

Prints medians over interleaved rounds and ratios of medians, all from this one run; checks the targets of
issue 8 and reports which are met. Never fails on a timing (exit status 0 unless the harness itself breaks).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path


def _preparse_threads(argv) -> int | None:
    """``--threads N`` must reach OpenBLAS before NumPy is imported, so it is read ahead of argparse."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return None


THREADS = _preparse_threads(sys.argv[1:])
if THREADS is not None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(ROOT), str(HERE)):  # pydl from this checkout, and the sibling modules
    if path not in sys.path:
        sys.path.insert(0, path)

import cases  # noqa: E402
import harness  # noqa: E402

DESCRIPTIONS = {
    "mlp": "training step, 784-512-10 relu MLP, batch 128, float32, softmax cross-entropy, SGD",
    "convnet": "training step, (28,28,1) Conv32-ReLU-Pool-Conv64-ReLU-Pool-Dense10, batch 64, SGD",
    "chain": "autograd overhead: 1,000 ops on 8-element tensors, forward + backward, time PER OP",
    **{kind: f"training step, {layer}(64) over 40 steps of 32 features, batch 64, Dense10, SGD"
       for kind, layer in (("lstm", "LSTM"), ("gru", "GRU"), ("simple_rnn", "SimpleRNN"))},
}
UNITS = {"chain": "ms/op"}


def machine() -> dict:
    """Where the numbers were taken: they mean nothing without it."""
    import numpy

    info = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
            "platform": platform.platform(), "python": platform.python_version(), "numpy": numpy.__version__,
            "cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        pass
    torch = cases._torch()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True)
        info["commit"] = commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        pass
    return info


def run_native(size: str = "full", repeats: int = 15, sample_s: float = 0.05, only=None, log=print,
               clock: str = "wall") -> dict:
    """Time every case; ``{case: {"description", "contenders": summary, "ratios"}}``."""
    results = {}
    for name, build in cases.CASES.items():
        if only and name not in only:
            continue
        dims = cases.SIZES[size][name]
        log(f"  timing {name} {dims} ...")
        steps = build(dims)
        per = dims[0] if name == "chain" else 1  # chain: report per op
        summary = harness.summarize(harness.measure(steps, repeats=repeats, sample_s=sample_s,
                                                    clock=harness.CLOCKS[clock]), per=per)
        results[name] = {"description": DESCRIPTIONS[name], "size": list(dims), "unit": UNITS.get(name, "ms/step"),
                         "contenders": summary, "ratios": harness.ratios(summary)}
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (noisier)")
    parser.add_argument("--browser", action="store_true", help="also time Pyodide (Node) and pages (Chromium: "
                        "loads, and long tasks and Pause while each training page trains)")
    parser.add_argument("--peers", action="store_true",
                        help="also time TensorFlow.js and ConvNetJS under Node (npm installs them once; with --browser: "
                             "ratios to pydl in Pyodide)")
    parser.add_argument("--no-pages", action="store_true", help="with --browser: Pyodide steps only, no Chromium")
    parser.add_argument("--json", type=Path, help="write results here too (default: benchmarks/results/)")
    parser.add_argument("--cases", nargs="+", choices=sorted(cases.CASES), help="only these cases")
    parser.add_argument("--size", choices=sorted(cases.SIZES), default="full", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, help="BLAS and PyTorch threads (default: the libraries' own); "
                        "1 gives steadier ratios on a busy machine")
    parser.add_argument("--clock", choices=sorted(harness.CLOCKS), default="wall",
                        help="wall time (default) or this process's CPU time (steadier on a busy machine; "
                        "use with --threads 1)")
    parser.add_argument("--repeats", type=int, help="rounds per case (default 15, --quick 7)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        cases.set_threads(args.threads)
    repeats = args.repeats or (7 if args.quick else 15)
    sample_s = 0.02 if args.quick or args.size == "tiny" else 0.05
    info = machine()
    print("pydl benchmarks on " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    started = time.time()
    native = run_native(args.size, repeats, sample_s, args.cases, log=lambda m: print(m, flush=True),
                        clock=args.clock)
    report = {"machine": info, "started": started, "size": args.size, "repeats": repeats, "clock": args.clock,
              "threads": args.threads, "native": native,
              "skipped": dict(cases.SKIPPED)}
    print(harness.format_table(native, UNITS))
    if args.browser:
        import browser

        report["browser"] = browser.run_all(native, quick=args.quick, size=args.size, clock=args.clock,
                                            log=lambda m: print(m, flush=True), with_pages=not args.no_pages)
        print(browser.format_report(report["browser"]))
        if not args.no_pages:  # responsiveness while each page trains: one round (training.py --runs N for more)
            import training

            seconds = 4 if args.quick else 8
            try:
                report["browser"]["training"] = training.run(browser.DIST, runs=1, seconds=seconds,
                                                             log=lambda m: print(m, flush=True))
                print(training.format_report(report["browser"]["training"]["summary"], seconds))
                report["browser"]["targets"] += training.targets(report["browser"]["training"]["summary"])
            except Exception as error:  # Playwright or Chromium missing: say so, keep the rest
                report["browser"]["training"] = {"error": f"{type(error).__name__}: {error}"}
                print(f"    training pages not measured: {report['browser']['training']['error']}")
    if args.peers:
        import peers

        names = [c for c in peers.CASES if c in native]
        try:
            report["peers"] = peers.run({c: cases.SIZES[args.size][c] for c in names}, names,
                                        repeats=3 if args.quick else 5, sample_s=0.2, log=lambda m: print(m, flush=True))
            print(peers.format_report(report["peers"], report.get("browser", {}).get("pyodide", {})))
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            report["peers"] = {"error": str(error)}
            print(f"  peers not measured: {error}")
    report["targets"] = harness.check_targets(native) + report.get("browser", {}).get("targets", [])
    for key, why in cases.SKIPPED.items():
        print(f"  (not measured: {key}: {why})")
    print(harness.format_targets(report["targets"]))
    report["seconds"] = round(time.time() - started, 1)
    if hasattr(os, "getloadavg"):  # other work on the machine during the run makes every figure noisier
        report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        print(f"load average at start {info['load_average_at_start']}, at end {report['machine']['load_average_at_end']} "
              f"({os.cpu_count()} cpus)")
    out = args.json or HERE / "results" / time.strftime("%Y%m%d-%H%M%S.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
