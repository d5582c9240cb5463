"""The TrainingLoop's two hooks for pages. epoch_transform: per-epoch augmentation drawn from the loop's own generator,
so a run repeats exactly; a transform that breaks the inputs is refused by name before the epoch starts. watching():
every loop made inside the block (every fit) also reports to the watcher's callbacks, and none outside it."""

import numpy as np
import pytest

import pydl
from pydl import callbacks, layers, models
from pydl.models.loop import watching


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


class Counter(callbacks.Callback):
    def __init__(self, log, name):
        super().__init__()
        self.log, self.name = log, name

    def on_train_begin(self, logs=None):
        self.log.append((self.name, "begin", self.params["epochs"]))

    def on_batch_end(self, batch, logs=None):
        if batch == 0:
            self.model.stop_training = self.name == "stopper"  # a watcher stops training as any callback does

    def on_train_end(self, logs=None):
        self.log.append((self.name, "end", len(self.model.history.history["loss"])))


def test_every_fit_inside_the_block_reports_to_fresh_watcher_callbacks_and_none_outside():
    x, y = _data()
    model, log, made = _model(), [], []

    def make():
        made.append(Counter(log, "watcher"))
        return [made[-1]]

    with watching(make):
        model.fit(x, y, epochs=2, verbose=0)
        model.fit(x, y, epochs=3, verbose=0)  # a cell may fit several times: each loop its own callback
    model.fit(x, y, epochs=1, verbose=0)
    assert log == [("watcher", "begin", 2), ("watcher", "end", 2), ("watcher", "begin", 3), ("watcher", "end", 3)]
    assert len(made) == 2 and made[0] is not made[1]


def test_a_watcher_can_stop_training_and_the_block_ends_even_on_an_error():
    x, y = _data()
    model, log = _model(), []
    with pytest.raises(RuntimeError, match="the cell failed"):
        with watching(lambda: [Counter(log, "stopper")]):
            history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
            raise RuntimeError("the cell failed")
    assert len(history.history["loss"]) == 1  # stopped after the first batch: that epoch ends, then training
    log.clear()
    model.fit(x, y, epochs=1, verbose=0)
    assert log == []  # the watcher left with the block
