"""The op suite and the GPU benchmark on CuPy: they run where CuPy sees a GPU (never in this project's CI)."""

from pathlib import Path

import numpy as np
import pytest

import pydl
from pydl import backend
from tests.gradcheck_cases import CASES, make_inputs

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.gpu_available(), reason="needs CuPy and a GPU"),
]


# A NumPy array on the left of a GPU tensor is a device mix by design, so that case stays CPU-only.
GPU_CASES = [case for case in CASES if case.name != "reflected array add"]


@pytest.mark.parametrize("case", GPU_CASES, ids=[case.name for case in GPU_CASES])
def test_op_gradients_on_the_gpu_match_the_cpu(case):
    cpu_inputs = make_inputs(case)
    gpu_inputs = [t.to("gpu").detach() for t in cpu_inputs]
    for t in gpu_inputs:
        t.requires_grad = True
    cpu_out, gpu_out = case.fn(*cpu_inputs), case.fn(*gpu_inputs)
    assert gpu_out.device == "gpu"
    np.testing.assert_allclose(gpu_out.numpy(), cpu_out.numpy(), rtol=1e-10)
    assert pydl.gradcheck(case.fn, gpu_inputs)


def test_the_gpu_benchmark_times_every_case_at_tiny_sizes(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import cases
    import gpu

    monkeypatch.setitem(cases.SIZES, "full", cases.SIZES["tiny"])
    monkeypatch.setattr(cases, "TORCH_DEVICE", cases.TORCH_DEVICE)
    previous = backend.get_backend()
    try:
        results = gpu.run_gpu(repeats=2, sample_s=0.001, log=lambda *_: None)
    finally:
        backend.set_backend(previous)
    assert sorted(results) == sorted([*gpu.GPU_CASES, *(f"{name} x{gpu.WIDER} batch" for name in gpu.GPU_CASES)])
    for result in results.values():
        assert set(result["contenders"]) >= {"pydl_sequential", "torch"}
        assert all(s["median_ms"] > 0 for s in result["contenders"].values())
