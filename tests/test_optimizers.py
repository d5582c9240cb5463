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
        "name": "rmsprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}
    assert optimizers.Adam().get_config() == {
        "name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}
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
    with pytest.raises(ValueError, match="Unknown optimizer .lbfgs.. Valid names: Adagrad, Adam, AdamW, RMSprop, SGD"):
        optimizers.get("lbfgs")


STATEFUL = {
    "sgd_nesterov": lambda params: optimizers.SGD(params=params, learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop_momentum": lambda params: optimizers.RMSprop(params=params, learning_rate=0.01, momentum=0.5),
    "adam": lambda params: optimizers.Adam(params=params, learning_rate=0.05),
    "adagrad": lambda params: optimizers.Adagrad(params=params, learning_rate=0.1),
}


@pytest.mark.parametrize("name", STATEFUL)
def test_set_state_resumes_the_same_trajectory_on_new_parameters(name):
    make = STATEFUL[name]
    start = np.array([0.5, -1.0])
    uninterrupted = _run_pydl(make, start)
    w = pydl.tensor(start.copy(), requires_grad=True)
    first = make([w])
    for _ in range(10):
        w.grad = _quadratic_grad(w.data)
        first.step()
    state = first.get_state([w])
    assert state["iterations"] == 10 and state["slots"][0]["step"] == 10
    assert list(state["slots"][0]["arrays"]) == list(first.slot_names)
    resumed_w = pydl.tensor(w.data.copy(), requires_grad=True)
    resumed = make([resumed_w])
    resumed.set_state([resumed_w], state)
    for _ in range(STEPS - 10):
        resumed_w.grad = _quadratic_grad(resumed_w.data)
        resumed.step()
    assert resumed.iterations == STEPS
    np.testing.assert_array_equal(resumed_w.data, uninterrupted[-1])
    fresh_w = pydl.tensor(w.data.copy(), requires_grad=True)  # control: without the state the path differs
    fresh = make([fresh_w])
    for _ in range(STEPS - 10):
        fresh_w.grad = _quadratic_grad(fresh_w.data)
        fresh.step()
    assert not np.array_equal(fresh_w.data, uninterrupted[-1])


def test_get_state_copies_and_skips_parameters_never_updated():
    used = pydl.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    unused = pydl.tensor([3.0], dtype="float64", requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.apply_gradients([(np.array([1.0, 1.0]), used)])
    state = opt.get_state([unused, used])
    assert list(state["slots"]) == [1]
    state["slots"][1]["arrays"]["momentum"][:] = 99.0
    np.testing.assert_array_equal(opt.slots(used)["momentum"], [-0.1, -0.1])


def _adam_with_one_step():
    w = pydl.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    opt = optimizers.Adam(params=[w])
    w.grad = np.array([0.5, -0.5])
    opt.step()
    return w, opt


BAD_STATES = {
    "unknown slot": (lambda s: s["slots"][0]["arrays"].update(velocity=np.zeros(2)), r"holds \['m', 'v', 'velocity'\]"),
    "missing slot": (lambda s: s["slots"][0]["arrays"].pop("v"), r"but Adam keeps \['m', 'v'\]"),
    "wrong shape": (lambda s: s["slots"][0]["arrays"].update(m=np.zeros(3)), r"has shape \(3,\), not the parameter's"),
    "negative step": (lambda s: s["slots"][0].update(step=-1), "step of the .* non-negative integer, got -1"),
    "fractional step": (lambda s: s["slots"][0].update(step=1.5), "non-negative integer, got 1.5"),
    "boolean iterations": (lambda s: s.update(iterations=True), "iteration count must be a non-negative integer"),
    "position out of range": (lambda s: s["slots"].update({5: s["slots"][0]}), "position 5 is out of range"),
    "slots not a dict": (lambda s: s.update(slots=[]), "dict of slots"),
}


@pytest.mark.parametrize("kind", BAD_STATES)
def test_set_state_refuses_a_bad_state_and_changes_nothing(kind):
    change, message = BAD_STATES[kind]
    w, opt = _adam_with_one_step()
    before = opt.get_state([w])
    bad = opt.get_state([w])
    bad["iterations"] = bad["slots"][0]["step"] = 4  # a valid change, so "nothing changed" is visible
    change(bad)
    with pytest.raises(ValueError, match=message):
        opt.set_state([w], bad)
    after = opt.get_state([w])
    assert after["iterations"] == before["iterations"] == 1 and after["slots"][0]["step"] == 1
    for name in ("m", "v"):
        np.testing.assert_array_equal(after["slots"][0]["arrays"][name], before["slots"][0]["arrays"][name])


@pytest.mark.parametrize("make, named", [
    (lambda: optimizers.SGD(learning_rate=math.inf), "learning_rate must be a finite number >= 0.0, got inf"),
    (lambda: optimizers.Adam(learning_rate=float("1e400")), "learning_rate must be a finite number >= 0.0, got inf"),
    (lambda: optimizers.RMSprop(learning_rate=-math.inf), "learning_rate must be a finite number >= 0.0, got -inf"),
    (lambda: optimizers.Adam(epsilon=math.inf), "epsilon must be a finite number >= 0.0, got inf"),
    (lambda: optimizers.Adagrad(epsilon=math.inf), "epsilon must be a finite number >= 0.0, got inf"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=math.inf), "initial_accumulator_value must be a finite"),
    (lambda: optimizers.SGD(momentum=math.nan), r"momentum must be a finite number in \[0.0, 1.0\), got nan"),
    (lambda: optimizers.RMSprop(rho=math.nan), r"rho must be a finite number in \[0.0, 1.0\), got nan"),
    (lambda: optimizers.Adam(beta_1=math.nan), r"beta_1 must be a finite number in \[0.0, 1.0\), got nan"),
    (lambda: optimizers.Adam(beta_2=math.nan), r"beta_2 must be a finite number in \[0.0, 1.0\), got nan"),
    (lambda: optimizers.SGD(learning_rate=10 ** 400), "learning_rate must be a finite number >= 0.0, got inf"),
])
def test_non_finite_hyperparameters_are_refused_by_name_and_value(make, named):
    with pytest.raises(ValueError, match=named):
        make()


def test_an_infinite_rate_set_later_is_refused_and_the_rate_is_unchanged():
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0.0, got inf"):
        opt.learning_rate = math.inf
    assert opt.learning_rate == 0.1


@pytest.mark.parametrize("written", ["1e400", "Infinity", "NaN"])
def test_a_model_file_with_a_non_finite_learning_rate_is_refused_by_name(tmp_path, written):
    import zipfile

    from pydl import layers, models

    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.125), loss="mse")
    path = tmp_path / "model.pydl"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = members["config.json"].decode()
    assert config.count('"learning_rate": 0.125') == 1
    members["config.json"] = config.replace('"learning_rate": 0.125', f'"learning_rate": {written}').encode()
    hostile = tmp_path / "hostile.pydl"
    with zipfile.ZipFile(hostile, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    shown = "nan" if written == "NaN" else "inf"
    with pytest.raises(ValueError, match=f"invalid compile settings: learning_rate must be a finite number >= 0.0, "
                                         f"got {shown}"):
        models.load_model(hostile)
