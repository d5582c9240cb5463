#!/usr/bin/env python3
"""The benchmark's training steps on an NVIDIA GPU: pydl on CuPy against PyTorch on CUDA, timed in one run.

    python benchmarks/gpu.py               # needs CuPy, a CUDA build of PyTorch and a GPU
    python benchmarks/gpu.py --quick       # fewer rounds
    python benchmarks/gpu.py --json out.json

The cases and sizes of run.py (less the chain case, which times Python bookkeeping, not the device), each also at
a batch 16 times larger, where a GPU's width starts to count. Every timed step ends with a synchronisation of
both libraries, so a step's time includes all of its kernels. Never fails on a timing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (str(HERE.parent), str(HERE)):  # pydl from this checkout, and the sibling modules
    if path not in sys.path:
        sys.path.insert(0, path)

import cases  # noqa: E402
import harness  # noqa: E402
from run import DESCRIPTIONS, machine  # noqa: E402

GPU_CASES = ("mlp", "convnet", "lstm", "gru", "simple_rnn")
WIDER = 16  # the second size of each case: its batch times this


def _device_libraries():
    import cupy
    import torch

    from pydl import backend

    if not backend.gpu_available() or not torch.cuda.is_available():
        raise SystemExit("benchmarks/gpu.py needs CuPy and a CUDA build of PyTorch, both seeing a GPU.")
    backend.set_backend("cupy")
    cases.TORCH_DEVICE = "cuda"
    return cupy, torch


def _synchronized(step, cupy, torch):
    def run():
        step()
        cupy.cuda.Device().synchronize()
        torch.cuda.synchronize()

    return run


def gpu_info(cupy, torch) -> dict:
    properties = cupy.cuda.runtime.getDeviceProperties(0)
    name = properties["name"]
    return {"gpu": name.decode() if isinstance(name, bytes) else str(name), "cupy": cupy.__version__,
            "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(), "torch_cuda": torch.version.cuda,
            "torch_cudnn": torch.backends.cudnn.version()}


def run_gpu(repeats: int, sample_s: float, log=print) -> dict:
    cupy, torch = _device_libraries()
    results = {}
    for name in GPU_CASES:
        base = cases.SIZES["full"][name]
        for scale in (1, WIDER):
            dims = (base[0] * scale, *base[1:])
            label = name if scale == 1 else f"{name} x{scale} batch"
            log(f"  timing {label} {dims} ...")
            steps = {contender: _synchronized(step, cupy, torch)
                     for contender, step in cases.CASES[name](dims).items() if contender != "numpy"}
            summary = harness.summarize(harness.measure(steps, repeats=repeats, sample_s=sample_s))
            description = DESCRIPTIONS[name] + ("" if scale == 1 else f"; here batch {dims[0]}")
            results[label] = {"description": description, "size": list(dims), "unit": "ms/step",
                              "contenders": summary, "ratios": harness.ratios(summary)}
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (noisier)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    repeats, sample_s = (5, 0.05) if args.quick else (15, 0.1)
    cupy, torch = _device_libraries()
    info = {**machine(), **gpu_info(cupy, torch)}
    print("GPU benchmark: " + ", ".join(f"{key} {value}" for key, value in info.items()))
    results = run_gpu(repeats, sample_s)
    print(harness.format_table(results))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
