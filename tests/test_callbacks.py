"""Callbacks inside fit: hook order, History, EarlyStopping, ModelCheckpoint, LambdaCallback, progress output and the
built-in stop on a NaN loss."""

import numpy as np
import pytest

import pydl
from pydl import callbacks, layers, models, optimizers


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(np.float32)[:, None]
    return x, y


def _model(lr=0.05):
    pydl.seed(0)
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="binary_crossentropy", metrics=["accuracy"])
    return model


class Recorder(callbacks.Callback):
    """What a web page does: collect every hook call and its logs."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin", None))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end", None))


def test_hooks_run_in_keras_order_with_logs_and_model():
    x, y = _data()
    model, rec = _model(), Recorder()
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, callbacks=[rec], verbose=0)
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["train_begin", "epoch_begin", "batch_end", "batch_end", "epoch_end",
                     "epoch_begin", "batch_end", "batch_end", "epoch_end", "train_end"]
    assert rec.model is model and rec.params["epochs"] == 2 and rec.params["steps"] == 2
    batch_logs = rec.calls[2][2]
    assert set(batch_logs) == {"loss", "accuracy"} and isinstance(batch_logs["loss"], float)
    assert set(rec.calls[4][2]) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_history_records_every_epoch():
    x, y = _data()
    history = _model().fit(x, y, epochs=3, validation_data=(x[:16], y[:16]), verbose=0)
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.stop_reason is None


def test_early_stopping_stops_and_restores_best_weights():
    x, y = _data()
    model = _model()
    snapshots = []

    class Scripted(callbacks.Callback):
        """Pretend val_loss: best at epoch 1, then worse; keep each epoch's weights to compare."""

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = [1.0, 0.5, 0.7, 0.8, 0.9, 1.0][epoch]
            snapshots.append(model.get_weights())

    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, callbacks=[Scripted(), stopper], verbose=0)
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for restored, best in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(model.get_weights()[0], snapshots[3][0])


def test_early_stopping_modes_and_min_delta():
    assert callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert callbacks.EarlyStopping(monitor="loss").mode == "min"
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=0.1, patience=1)
    stopper.set_model(_model())
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"loss": 1.0})
    stopper.on_epoch_end(1, {"loss": 0.95})  # better, but by less than min_delta: no improvement
    assert stopper.model.stop_training
    with pytest.raises(ValueError, match="mode"):
        callbacks.EarlyStopping(mode="up")


def test_model_checkpoint_saves_only_improvements(tmp_path):
    x, y = _data()
    model = _model()
    saved = []

    class Scripted(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = [0.9, 0.5, 0.7][epoch]

    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "best-{epoch:02d}.pydl"), save_best_only=True)
    model.fit(x, y, epochs=3, callbacks=[Scripted(), checkpoint, callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: saved.append(sorted(p.name for p in tmp_path.iterdir())))], verbose=0)
    assert saved[-1] == ["best-01.pydl", "best-02.pydl"]
    restored = models.load_model(tmp_path / "best-02.pydl")
    assert restored.count_params() == model.count_params()


def test_model_checkpoint_every_epoch_weights_only(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[
        callbacks.ModelCheckpoint(str(tmp_path / "w.pydl"), monitor="loss", save_weights_only=True)])
    fresh = _model()
    fresh.load_weights(tmp_path / "w.pydl")
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))


def test_lambda_callback_and_unknown_hook():
    x, y = _data()
    seen = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch),
                                  on_train_end=lambda logs: seen.append("end"))
    _model().fit(x, y, epochs=1, batch_size=16, callbacks=[cb], verbose=0)
    assert seen == [0, 1, 2, 3, "end"]
    with pytest.raises(TypeError, match="on_step_end"):
        callbacks.LambdaCallback(on_step_end=print)


def test_progress_output_verbose_levels(capsys):
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    _model().fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2") and "loss: " in lines[0] and "accuracy: " in lines[0]
    _model().fit(x, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 2 and "2/2 [" in out and "loss: " in out


def test_nan_loss_stops_training_with_a_clear_message():
    x, y = _data()
    x[40] = np.nan  # batch 2 of epoch 1 (batch_size 16)
    model, rec = _model(), Recorder()
    before = model.get_weights()
    with pytest.warns(RuntimeWarning, match=r"Loss became NaN at epoch 1, batch 3; .*Lower the learning rate"):
        history = model.fit(x, y, epochs=5, batch_size=16, shuffle=False, callbacks=[rec], verbose=0)
    assert model.stop_training and history.epoch == [0]
    assert "NaN" in history.stop_reason and np.isnan(history.history["loss"][0])
    # The NaN batch's update was not applied: the weights are still finite (and did train on batches 1-2).
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_divergence_to_inf_also_stops():
    x, y = _data()
    model = models.Sequential([layers.Dense(1, input_shape=(4,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=1e6), loss="mse")
    # NumPy's own overflow warnings on the way to inf are expected; the one asserted is pydl's message
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(RuntimeWarning, match="Loss became"):
        history = model.fit(x * 1e3, y, epochs=50, verbose=0)
    assert len(history.epoch) < 50 and history.stop_reason


def test_callback_can_stop_training():
    x, y = _data()
    model = _model()
    stopper = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1))
    assert model.fit(x, y, epochs=10, callbacks=[stopper], verbose=0).epoch == [0, 1]
