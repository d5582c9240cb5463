"""The op suite on CuPy: runs wherever CuPy and a GPU are present (nowhere in this project's CI)."""

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
