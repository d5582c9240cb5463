"""TrainingLoop: fit is the loop stepped to the end, so stepping in any slices gives fit's numbers bit for bit; the
cursor, stop(), the NaN stop and the hooks (train begin/end exactly once) behave as documented."""

import numpy as np
import pytest

import pydl
from pydl import callbacks, layers, models, optimizers


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) > 0).astype(np.int64)
    return x, y


def _sequential():
    pydl.backend.set_floatx("float64")
    pydl.seed(3)
    model = models.Sequential([layers.Input((5,)), layers.Dense(12, activation="relu"), layers.Dropout(0.2),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _functional():
    pydl.backend.set_floatx("float64")
    pydl.seed(3)
    inputs = layers.Input((5,))
    hidden = layers.Dropout(0.1)(layers.Dense(10, activation="tanh")(inputs))
    label = layers.Dense(2, activation="softmax", name="label")(hidden)
    size = layers.Dense(1, name="size")(hidden)
    model = models.Model(inputs, [label, size])
    model.compile(optimizer="rmsprop", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics={"label": "accuracy"})
    return model


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(("batch_begin", batch))

    def on_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def _arguments(make):
    x, y = _data()
    targets = y if make is _sequential else [y, x[:, :1] * 2]
    x_val, y_val = _data(30, seed=1)
    val_targets = y_val if make is _sequential else [y_val, x_val[:, :1] * 2]
    return {"x": x, "y": targets, "batch_size": 8, "epochs": 12, "verbose": 0,
            "validation_data": (x_val, val_targets), "seed": 11}


def _run(make, stepper):
    model, recorder = make(), Recorder()
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.01, restore_best_weights=True)
    arguments = _arguments(make)
    if stepper is None:
        history = model.fit(**arguments, callbacks=[recorder, stopper])
    else:
        loop = model.training_loop(**arguments, callbacks=[recorder, stopper])
        calls = 0
        while not loop.done:
            stepper(loop)
            calls += 1
        assert calls > 1
        history = loop.history
    return model.get_weights(), history.history, history.epoch, recorder.calls


STEPPERS = {
    "1 batch": lambda loop: loop.step(max_batches=1),
    "3 batches": lambda loop: loop.step(max_batches=3),
    "7 batches": lambda loop: loop.step(max_batches=7),
    "a nanosecond": lambda loop: loop.step(max_seconds=1e-9),
    "2 ms": lambda loop: loop.step(max_seconds=0.002),
}


@pytest.mark.parametrize("make", [_sequential, _functional], ids=["sequential", "functional"])
@pytest.mark.parametrize("stepper", list(STEPPERS), ids=list(STEPPERS))
def test_stepping_in_slices_gives_fit_bit_for_bit(make, stepper):
    weights, history, epochs, calls = _run(make, None)
    assert weights[0].dtype == np.float64 and "val_loss" in history
    loop_weights, loop_history, loop_epochs, loop_calls = _run(make, STEPPERS[stepper])
    assert loop_epochs == epochs and loop_history == history and loop_calls == calls  # == on floats: bit for bit
    for ours, theirs in zip(loop_weights, weights):
        np.testing.assert_array_equal(ours, theirs)


def test_early_stopping_really_stopped_the_compared_runs():
    # the equality above covers a run cut short by a callback, not only one that ran every epoch
    _, _, epochs, calls = _run(_sequential, None)
    assert 2 < len(epochs) < 12 and calls.count(("train_begin",)) == 1 and calls.count(("train_end",)) == 1


def test_the_cursor_counts_epochs_and_batches():
    x, y = _data()
    model = _sequential()
    loop = model.training_loop(x, y, batch_size=20, epochs=2, verbose=0)  # 5 batches per epoch
    assert (loop.epoch, loop.batch, loop.done, loop.steps, loop.logs) == (0, 0, False, 5, {})
    assert loop.step(max_batches=3) == 3 and (loop.epoch, loop.batch) == (0, 3)
    assert set(loop.logs) == {"loss", "accuracy"}
    assert loop.step(max_batches=2) == 2 and (loop.epoch, loop.batch, loop.done) == (1, 0, False)
    assert loop.history.epoch == [0] and model.history is loop.history
    assert loop.step() == 5 and (loop.epoch, loop.batch, loop.done) == (2, 0, True)
    assert loop.step() == 0 and loop.history.epoch == [0, 1]


def test_stop_ends_the_epoch_in_progress_then_training_once():
    x, y = _data()
    model, recorder = _sequential(), Recorder()
    loop = model.training_loop(x, y, batch_size=20, epochs=4, verbose=0, callbacks=[recorder],
                               validation_split=0.2)
    loop.step(max_batches=2)
    weights = model.get_weights()
    loop.stop()
    assert loop.done and loop.history.epoch == [0] and "val_loss" in loop.history.history
    loop.stop()
    assert loop.step() == 0
    kinds = [call[0] for call in recorder.calls]
    assert kinds.count("train_begin") == 1 and kinds.count("train_end") == 1 and kinds[-2:] == ["epoch_end",
                                                                                                  "train_end"]
    for ours, before in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(ours, before)  # stop() trains nothing more


def test_stop_before_any_step_and_between_epochs_runs_no_epoch():
    x, y = _data()
    recorder = Recorder()
    loop = _sequential().training_loop(x, y, epochs=3, verbose=0, callbacks=[recorder])
    loop.stop()
    assert loop.done and [c[0] for c in recorder.calls] == ["train_begin", "train_end"]
    recorder = Recorder()
    loop = _sequential().training_loop(x, y, batch_size=45, epochs=3, verbose=0, callbacks=[recorder])
    loop.step(max_batches=2)
    loop.stop()
    assert loop.history.epoch == [0] and [c[0] for c in recorder.calls].count("epoch_end") == 1


def test_stop_from_a_callback_during_a_step_ends_the_epoch_after_that_batch():
    x, y = _data()
    model, recorder = _sequential(), Recorder()
    loop = None
    stopper = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: loop.stop() if batch == 1 else None)
    loop = model.training_loop(x, y, batch_size=10, epochs=3, verbose=0, callbacks=[stopper, recorder])
    assert loop.step() == 2 and loop.done and loop.history.epoch == [0]
    kinds = [call[0] for call in recorder.calls]
    assert kinds.count("epoch_end") == 1 and kinds.count("train_end") == 1


def test_a_non_finite_loss_stops_the_loop_and_keeps_the_last_finite_weights():
    x, y = _data()
    x[50] = np.nan  # batch 6 of epoch 1 with batch_size 10 and no shuffling
    model = _sequential()
    loop = model.training_loop(x, y, batch_size=10, epochs=3, verbose=0, shuffle=False, validation_split=0.1)
    assert loop.step(max_batches=5) == 5
    finite = model.get_weights()
    with pytest.warns(RuntimeWarning, match="Loss became NaN at epoch 1, batch 6"):
        assert loop.step() == 1
    assert loop.done and "NaN" in loop.history.stop_reason and "val_loss" not in loop.history.history
    for ours, before in zip(model.get_weights(), finite):
        np.testing.assert_array_equal(ours, before)


@pytest.mark.parametrize("arguments, message", [
    ({"max_batches": 0}, "max_batches must be positive"), ({"max_batches": 2.5}, "max_batches must be a positive"),
    ({"max_seconds": -1.0}, "max_seconds must be positive"), ({"max_seconds": float("nan")}, "max_seconds must be"),
    ({"max_batches": True}, "max_batches must be a positive"),
])
def test_step_refuses_bad_limits_and_trains_nothing(arguments, message):
    x, y = _data()
    model = _sequential()
    loop = model.training_loop(x, y, verbose=0)
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        loop.step(**arguments)
    assert (loop.epoch, loop.batch, loop.done) == (0, 0, False)
    for ours, theirs in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)
