"""TrainingLoop.epoch_transform: per-epoch augmentation drawn from the loop's own generator, so a run repeats exactly;
a transform that breaks the inputs is refused by name before the epoch starts."""

import numpy as np
import pytest

import pydl
from pydl import layers, models


def _model(inputs=1):
    pydl.backend.set_floatx("float64")
    pydl.seed(1)
    if inputs == 1:
        model = models.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    else:
        a, b = layers.Input((3,)), layers.Input((2,))
        model = models.Model([a, b], layers.Dense(1)(layers.concatenate([a, b])))
    model.compile("sgd", loss="mse")
    return model


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    return x, x.sum(axis=1, keepdims=True)


def _jitter(seen):
    def transform(x, rng):
        seen.append(x.copy())
        return x + rng.normal(0.0, 0.1, x.shape)
    return transform


def test_each_epoch_transforms_the_original_inputs_with_the_loops_generator():
    x, y = _data()
    runs = []
    for slice_batches in (1, 3, None):
        model, seen = _model(), []
        loop = model.training_loop(x, y, batch_size=8, epochs=3, verbose=0, seed=5)
        loop.epoch_transform = _jitter(seen)
        while not loop.done:
            loop.step(max_batches=slice_batches)
        assert len(seen) == 3 and all(np.array_equal(s, x) for s in seen)  # the originals, never last epoch's copy
        runs.append((loop.history.history, model.get_weights()))
    for history, weights in runs[1:]:  # the same numbers whatever the slices
        assert history == runs[0][0]
        assert all(np.array_equal(a, b) for a, b in zip(weights, runs[0][1], strict=True))
    plain = _model()
    fitted = plain.fit(x, y, batch_size=8, epochs=3, verbose=0, seed=5).history
    assert fitted != runs[0][0]  # the transform really changed what was learned


def test_without_a_transform_the_loop_is_fit():
    x, y = _data()
    model = _model()
    loop = model.training_loop(x, y, batch_size=8, epochs=2, verbose=0, seed=5)
    loop.step(max_batches=3)
    loop.step()
    assert loop.history.history == _model().fit(x, y, batch_size=8, epochs=2, verbose=0, seed=5).history


def test_a_model_with_two_inputs_gets_and_returns_a_list():
    x, y = _data()
    second = x[:, :2] * 2
    model, given = _model(inputs=2), []

    def transform(inputs, rng):
        given.append(inputs)
        return [inputs[0] * 0.5, inputs[1]]

    loop = model.training_loop([x, second], y, batch_size=10, epochs=1, verbose=0)
    loop.epoch_transform = transform
    loop.step()
    assert isinstance(given[0], list) and len(given[0]) == 2 and np.array_equal(given[0][1], second)
    assert loop.done


@pytest.mark.parametrize("inputs, transform, message", [
    (1, lambda x, rng: x[:-1], r"must keep the 40 samples of each input, got \(39, 3\) for input of shape \(40, 3\)"),
    (1, lambda x, rng: None, r"must keep the 40 samples of each input, got NoneType"),
    (2, lambda xs, rng: xs[0], r"must return 2 input arrays \(a list\), got ndarray"),
])
def test_a_transform_that_breaks_the_inputs_is_refused_before_the_epoch(inputs, transform, message):
    x, y = _data()
    model = _model(inputs)
    before = model.get_weights()
    loop = model.training_loop(x if inputs == 1 else [x, x[:, :2]], y, batch_size=10, epochs=2, verbose=0)
    loop.epoch_transform = transform
    with pytest.raises(ValueError, match=message):
        loop.step()
    assert loop.epoch == 0 and loop.batch == 0 and not loop.history.history
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
