"""Optimizers: trajectories against torch.optim (settings where the formulas coincide) and against Keras' formulas
written out by hand, hyper-parameter validation, slots, both usage styles, configs."""

import math

import numpy as np
import pytest
import torch

import pydl
from pydl import optimizers

STEPS = 25


def _quadratic_grad(w):
    """Gradient of an anisotropic bowl plus a cross term, so coordinates interact: f = 3 x^2 + y^2 / 2 + x y + sin x."""
    x, y = w
    return np.array([6 * x + y + math.cos(x), y + x])


def _run_pydl(opt_factory, start):
    w = pydl.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = opt_factory([w])
    path = []
    for _ in range(STEPS):
        w.grad = _quadratic_grad(w.data)
        opt.step()
        path.append(w.data.copy())
    return np.array(path)


def _run_torch(opt_factory, start):
    w = torch.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = opt_factory([w])
    path = []
    for _ in range(STEPS):
        w.grad = torch.tensor(_quadratic_grad(w.detach().numpy()))
        opt.step()
        path.append(w.detach().numpy().copy())
    return np.array(path)


# Keras and torch agree exactly for these settings (epsilon placement differs, so epsilon is 0 where it matters).
TORCH_CASES = [
    ("sgd", lambda p: optimizers.SGD(params=p, learning_rate=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    ("momentum", lambda p: optimizers.SGD(params=p, learning_rate=0.05, momentum=0.9),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    ("nesterov", lambda p: optimizers.SGD(params=p, learning_rate=0.05, momentum=0.8, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    ("rmsprop", lambda p: optimizers.RMSprop(params=p, learning_rate=0.01, rho=0.9, epsilon=0.0),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0)),
    ("rmsprop_momentum", lambda p: optimizers.RMSprop(params=p, learning_rate=0.01, momentum=0.5, epsilon=0.0),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0, momentum=0.5)),
    ("adam", lambda p: optimizers.Adam(params=p, learning_rate=0.1, epsilon=0.0),
     lambda p: torch.optim.Adam(p, lr=0.1, eps=0.0)),
    ("adagrad", lambda p: optimizers.Adagrad(params=p, learning_rate=0.1, epsilon=0.0),
     lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
]


@pytest.mark.parametrize("name, ours, theirs", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_trajectory_matches_torch(name, ours, theirs):
    start = [1.5, -2.0]
    np.testing.assert_allclose(_run_pydl(ours, start), _run_torch(theirs, start), rtol=1e-10, atol=1e-12)


def _keras_rmsprop(w, lr=0.001, rho=0.9, eps=1e-7):
    v = np.zeros_like(w)
    for _ in range(STEPS):
        g = _quadratic_grad(w)
        v = rho * v + (1 - rho) * g * g
        w = w - lr * g / np.sqrt(v + eps)
        yield w


def _keras_adam(w, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m = v = np.zeros_like(w)
    for t in range(1, STEPS + 1):
        g = _quadratic_grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        yield w


def _keras_adagrad(w, lr=0.001, init=0.1, eps=1e-7):
    acc = np.full_like(w, init)
    for _ in range(STEPS):
        g = _quadratic_grad(w)
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
        yield w


@pytest.mark.parametrize("cls, reference", [(optimizers.RMSprop, _keras_rmsprop), (optimizers.Adam, _keras_adam),
                                            (optimizers.Adagrad, _keras_adagrad)])
def test_default_settings_follow_keras_formulas_with_epsilon(cls, reference):
    # Tiny gradients make epsilon matter, which is where Keras and torch differ.
    start = np.array([1e-4, -2e-4])
    expected = np.array(list(reference(start.copy())))
    np.testing.assert_allclose(_run_pydl(lambda p: cls(params=p), start), expected, rtol=1e-12, atol=0)


def test_keras_defaults():
    assert optimizers.SGD().get_config() == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False}
    assert optimizers.RMSprop().get_config() == {
        "name": "rmsprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7}
    assert optimizers.Adam().get_config() == {
        "name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}
    assert optimizers.Adagrad().get_config() == {
        "name": "adagrad", "learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(learning_rate=-0.1), lambda: optimizers.SGD(learning_rate=float("nan")),
    lambda: optimizers.SGD(momentum=1.0), lambda: optimizers.SGD(momentum=-0.1),
    lambda: optimizers.RMSprop(rho=1.5), lambda: optimizers.RMSprop(momentum=1.0),
    lambda: optimizers.Adam(beta_1=1.0), lambda: optimizers.Adam(epsilon=-1.0),
    lambda: optimizers.Adagrad(initial_accumulator_value=-1), lambda: optimizers.Adam(learning_rate="fast"),
])
def test_invalid_hyperparameters_raise(make):
    with pytest.raises(ValueError):
        make()


def test_learning_rate_setter_validates():
    opt = optimizers.Adam()
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = float("nan")


def test_keras_style_apply_gradients_and_the_lr_alias():
    w = pydl.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optimizers.RMSprop(lr=0.001)  # Keras 2 spelling, as in the study notes
    assert opt.learning_rate == 0.001
    opt.apply_gradients(zip([np.array([1.0, -1.0])], [w]))
    np.testing.assert_allclose(w.data, [1.0 - 0.001 / math.sqrt(0.1 + 1e-7), 2.0 + 0.001 / math.sqrt(0.1 + 1e-7)])
    assert opt.iterations == 1


def test_step_reads_grad_without_mutating_it_and_zero_grad_clears():
    w = pydl.tensor([1.0, -1.0], dtype="float64", requires_grad=True)
    opt = optimizers.SGD(params=[w], learning_rate=0.1, momentum=0.9)
    (w * w).sum().backward()
    grad = w.grad
    saved = grad.copy()
    opt.step()
    np.testing.assert_array_equal(grad, saved)
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing happens
    np.testing.assert_allclose(w.data, [0.8, -0.8])


def test_slots_are_per_parameter():
    a = pydl.tensor([1.0], dtype="float64", requires_grad=True)
    b = pydl.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optimizers.Adam(params=[a, b])
    a.grad, b.grad = np.array([1.0]), np.array([0.5, 0.5])
    opt.step()
    assert opt.slots(a)["m"].shape == (1,) and opt.slots(b)["m"].shape == (2,)
    assert opt.slots(a)["step"] == opt.slots(b)["step"] == 1


def test_updates_happen_in_place_under_no_grad():
    w = pydl.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    opt = optimizers.Adam(params=[w], learning_rate=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.data is data and w.is_leaf and w.dtype == np.float32


def test_get_and_config_round_trip():
    for name in ("sgd", "SGD", "rmsprop", "Adam", "adagrad"):
        assert isinstance(optimizers.get(name), optimizers.Optimizer)
    opt = optimizers.SGD(learning_rate=0.2, momentum=0.5, nesterov=True)
    again = optimizers.get(optimizers.serialize(opt))
    assert again.get_config() == opt.get_config() and again is not opt
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="Valid names: SGD, RMSprop, Adam, Adagrad"):
        optimizers.get("lbfgs")
