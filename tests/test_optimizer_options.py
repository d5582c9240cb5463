"""Keras' optimizer options (clipnorm, clipvalue, global_clipnorm, weight_decay, AdamW, amsgrad, centered, Keras 2's
decay) against Keras 3 itself: every optimizer x every option, the same two variables after several steps in
float64 (to 1e-12), then configs, registry names, refusals and saved state."""

import math

import numpy as np
import pytest

import pydl
from pydl import layers, models, optimizers
from tests.models.keras_reference import keras_in_float64

# Keras' torch backend converts its variables with a NumPy 1 style __array__; the note is Keras', not pydl's
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy:DeprecationWarning")

STEPS = 6
START = [np.array([1.5, -2.0, 0.3]), np.array([[0.7, -0.4], [2.5, 1.0]])]


def _gradients(weights):
    """Large, interacting gradients (so every clipping bites): those of 5 * sum(w^2 + sin(w)) + sum(a) * sum(b)."""
    first, second = weights
    return [5 * (2 * first + np.cos(first)) + second.sum(), 5 * (2 * second + np.cos(second)) + first.sum()]


def _pydl_path(make):
    params = [pydl.tensor(w.copy(), requires_grad=True) for w in START]
    opt = make()
    for _ in range(STEPS):
        opt.apply_gradients(zip(_gradients([p.data for p in params]), params))
    return [p.data for p in params]


def _keras_path(keras, make):
    variables = [keras.Variable(w.copy(), dtype="float64") for w in START]
    opt = make()
    for _ in range(STEPS):
        grads = _gradients([np.asarray(keras.ops.convert_to_numpy(v)) for v in variables])
        opt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), v) for g, v in zip(grads, variables)])
    return [keras.ops.convert_to_numpy(v) for v in variables]


OPTIMIZERS = {
    "SGD": dict(learning_rate=0.01),
    "SGD momentum": dict(learning_rate=0.01, momentum=0.9),
    "SGD nesterov": dict(learning_rate=0.01, momentum=0.8, nesterov=True),
    "RMSprop": dict(learning_rate=0.01),
    "RMSprop momentum": dict(learning_rate=0.01, momentum=0.5),
    "RMSprop centered": dict(learning_rate=0.01, centered=True),
    "RMSprop centered momentum": dict(learning_rate=0.01, centered=True, momentum=0.5),
    "Adam": dict(learning_rate=0.05),
    "Adam amsgrad": dict(learning_rate=0.05, amsgrad=True),
    "AdamW": dict(learning_rate=0.05),
    "AdamW amsgrad": dict(learning_rate=0.05, amsgrad=True, weight_decay=0.1),
    "Adagrad": dict(learning_rate=0.1),
}
OPTIONS = {
    "plain": {},
    "clipnorm": dict(clipnorm=1.0),
    "clipvalue": dict(clipvalue=0.5),
    "global_clipnorm": dict(global_clipnorm=1.5),
    "weight_decay": dict(weight_decay=0.2),
    "decay": dict(decay=0.3),
    "decay, weight_decay and clipnorm": dict(decay=0.3, weight_decay=0.2, clipnorm=2.0),
}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_and_option_follows_keras_3(optimizer, option):
    settings = {**OPTIMIZERS[optimizer], **OPTIONS[option]}
    cls = optimizer.split()[0]
    ours = _pydl_path(lambda: getattr(optimizers, cls)(**settings))
    with keras_in_float64() as keras:
        keras_settings = dict(settings)
        decay = keras_settings.pop("decay", None)
        if decay:  # Keras 3 dropped decay=; InverseTimeDecay is the same time-based decay
            keras_settings["learning_rate"] = keras.optimizers.schedules.InverseTimeDecay(
                settings["learning_rate"], decay_steps=1, decay_rate=decay)
        theirs = _keras_path(keras, lambda: getattr(keras.optimizers, cls)(**keras_settings))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)
    assert not all(np.allclose(mine, start) for mine, start in zip(ours, START))


def test_the_options_change_the_path():
    """Each option bites on these gradients, so the comparisons above test it (not just the plain update)."""
    plain = _pydl_path(lambda: optimizers.SGD(learning_rate=0.01))
    for option, settings in OPTIONS.items():
        if option != "plain":
            changed = _pydl_path(lambda: optimizers.SGD(learning_rate=0.01, **settings))
            assert not np.allclose(changed[0], plain[0], rtol=1e-6), option


def test_options_round_trip_through_configs_and_the_registry():
    adamw = optimizers.get("adamw")
    assert isinstance(adamw, optimizers.AdamW) and adamw.weight_decay == 0.004 and adamw.learning_rate == 0.001
    rmsprop = optimizers.RMSprop(centered=True, clipnorm=1.0, decay=1e-4, lr=0.01)
    config = rmsprop.get_config()
    assert config == {"name": "rmsprop", "learning_rate": 0.01, "clipnorm": 1.0, "decay": 1e-4, "rho": 0.9,
                      "momentum": 0.0, "epsilon": 1e-7, "centered": True}
    again = optimizers.get(optimizers.serialize(rmsprop))
    assert type(again) is optimizers.RMSprop and again.get_config() == config
    amsgrad = optimizers.get({"class_name": "AdamW", "config": {"amsgrad": True, "global_clipnorm": 2.0}})
    assert amsgrad.amsgrad and amsgrad.global_clipnorm == 2.0 and amsgrad.slot_names == ("m", "v", "v_hat")
    assert optimizers.SGD().get_config() == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0,
                                             "nesterov": False}  # options left at their defaults stay out


def test_the_legacy_decay_lowers_the_rate_update_by_update():
    w = pydl.tensor(np.array([0.0]), requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1, decay=0.5)
    rates = []
    for _ in range(3):
        rates.append(opt.current_learning_rate)
        opt.apply_gradients([(np.array([1.0]), w)])
    assert rates == [0.1, 0.1 / 1.5, 0.1 / 2.0] and opt.learning_rate == 0.1
    assert w.data[0] == pytest.approx(-sum(rates), rel=1e-15)


@pytest.mark.parametrize("make, message", [
    (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=0.5), "only one of clipnorm, clipvalue and global_clipnorm"),
    (lambda: optimizers.Adam(clipnorm=-1.0), "clipnorm must be a finite number >= 0.0, got -1.0"),
    (lambda: optimizers.Adam(global_clipnorm=math.inf), "global_clipnorm must be a finite number"),
    (lambda: optimizers.RMSprop(clipvalue="big"), "clipvalue must be a number, got 'big'"),
    (lambda: optimizers.Adagrad(weight_decay=math.nan), "weight_decay must be a finite number"),
    (lambda: optimizers.SGD(decay=-0.1), "decay must be a finite number >= 0.0, got -0.1"),
    (lambda: optimizers.Adam(amsgrad="false"), "amsgrad must be True or False, got 'false'"),
    (lambda: optimizers.RMSprop(centered=2), "centered must be True or False, got 2"),
    (lambda: optimizers.AdamW(weight_decay=None), "AdamW: weight_decay must be a number"),
])
def test_bad_options_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_clipping_leaves_the_gradient_it_was_given_alone():
    w = pydl.tensor(np.array([3.0, 4.0]), requires_grad=True)
    grad = np.array([30.0, 40.0])
    optimizers.SGD(learning_rate=1.0, clipnorm=5.0).apply_gradients([(grad, w)])
    np.testing.assert_array_equal(grad, [30.0, 40.0])
    np.testing.assert_allclose(w.data, [0.0, 0.0], atol=1e-15)  # the step was clipped to norm 5: (3, 4)


def test_a_model_with_amsgrad_adamw_resumes_exactly_after_saving(tmp_path):
    pydl.backend.set_floatx("float64")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 1))
    pydl.seed(0)
    model = models.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizers.AdamW(learning_rate=0.01, amsgrad=True, clipnorm=1.0, decay=0.01), loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    model.save(tmp_path / "adamw.pydl")
    loaded = models.load_model(tmp_path / "adamw.pydl")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    expected = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history["loss"]
    assert loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False).history["loss"] == expected
