"""The backend switch: NumPy always, CuPy only where it exists, and clear errors otherwise."""

import subprocess
import sys

import numpy as np
import pytest

import pydl
from pydl import backend


def test_numpy_is_the_default_backend():
    assert backend.get_backend() == "numpy"
    assert backend.xp() is np
    assert backend.get_array_module(np.ones(2), np.zeros(3)) is np


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ValueError, match="numpy, cupy"):
        backend.set_backend("tpu")


@pytest.mark.skipif(backend.gpu_available(), reason="this machine has a GPU")
def test_gpu_request_without_cupy_says_how_to_install():
    with pytest.raises(backend.BackendError, match=r"(CuPy is not installed|no usable GPU).*pip install"):
        backend.set_backend("cupy")
    assert backend.get_backend() == "numpy"
    with pytest.raises(backend.BackendError, match="cupy-cuda12x"):
        pydl.tensor([1.0]).to("gpu")


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="'cpu' or 'gpu'"):
        pydl.tensor([1.0]).to("tpu")


def test_to_cpu_keeps_values_and_gradient_flow():
    x = pydl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x.to("cpu") * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_to_numpy_accepts_tensors_and_arrays():
    np.testing.assert_array_equal(backend.to_numpy(pydl.tensor([1.0, 2.0])), [1.0, 2.0])
    np.testing.assert_array_equal(backend.to_numpy([3, 4]), [3, 4])


def test_mixing_devices_names_both_devices_and_the_op(monkeypatch):
    class FakeGpuArray(np.ndarray):
        """Stands in for cupy.ndarray, so the mismatch check runs on a machine without a GPU."""

    class FakeCupy:
        ndarray = FakeGpuArray

    monkeypatch.setattr(backend, "cupy", FakeCupy)
    gpu_tensor = pydl.tensor(np.ones(2).view(FakeGpuArray))
    with pytest.raises(backend.DeviceMismatchError, match=r"different devices in add.*cpu.*gpu"):
        pydl.tensor(np.ones(2)) + gpu_tensor


def test_environment_variable_chooses_the_backend_at_import():
    code = "import pydl; print(pydl.backend.get_backend())"
    env = {"PYDL_BACKEND": "numpy", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numpy"
    env["PYDL_BACKEND"] = "tpu"
    failed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert failed.returncode != 0 and "Unknown backend 'tpu'" in failed.stderr


def test_floatx_is_validated():
    with pytest.raises(ValueError, match="float32"):
        backend.set_floatx("int8")
