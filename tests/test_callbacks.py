"""Callbacks inside fit: hook order, History, EarlyStopping, ModelCheckpoint, LambdaCallback, progress output, the
built-in stop on a NaN loss, and the learning-rate and logging callbacks (ReduceLROnPlateau, LearningRateScheduler,
CSVLogger) on real digits training."""

import csv

import numpy as np
import pytest

import pydl
from pydl import callbacks, layers, models, optimizers
from pydl.datasets import load_digits


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


# ---------------------------------------------------------------- learning rate and CSV callbacks on digits
class RateSpySGD(optimizers.SGD):
    """SGD that records the learning rate of every update it applies: the rate the optimizer really used."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.used_rates = []

    def _apply(self, pairs):
        self.used_rates.append(self.learning_rate)
        super()._apply(pairs)


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = load_digits()
    return (x_train.reshape(-1, 64)[:256] / 16.0, y_train[:256]), (x_test.reshape(-1, 64) / 16.0, y_test)


def _digits_model(learning_rate):
    pydl.seed(0)
    model = models.Sequential([layers.Input((64,)), layers.Dense(16, activation="relu"),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer=RateSpySGD(learning_rate=learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_reduce_lr_on_plateau_lowers_the_rate_exactly_when_patience_runs_out(digits):
    (x, y), validation = digits
    # A rate of 1e-7 moves val_loss by far less than min_delta=1e-4 per epoch: after epoch 0 sets the best value,
    # nothing improves. patience=2 and cooldown=2: the rate drops at the end of epochs 2, 5 and 8 (the two cooldown
    # epochs after a drop count no waiting), and min_lr stops the third drop at 2e-8 instead of 1.25e-8.
    model = _digits_model(1e-7)
    plateau = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=2e-8)
    history = model.fit(x, y, epochs=10, batch_size=64, validation_data=validation, callbacks=[plateau], verbose=0)
    val_loss = history.history["val_loss"]
    assert max(val_loss) - min(val_loss) < 1e-4  # the stall is real
    rates = history.history["learning_rate"]  # the rate each epoch trained with, as Keras 3 logs it
    assert rates == [1e-7] * 3 + [5e-8] * 3 + [2.5e-8] * 3 + [2e-8]
    changed_after = [epoch for epoch in range(9) if rates[epoch + 1] != rates[epoch]]
    assert changed_after == [2, 5, 8]
    assert model.optimizer.learning_rate == 2e-8
    assert model.optimizer.used_rates == [rate for rate in rates for _ in range(4)]  # 4 batches per epoch


def test_reduce_lr_on_plateau_improvements_reset_the_wait_and_max_mode():
    model = _model(lr=0.1)
    plateau = callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.1, patience=2, min_delta=0.01)
    plateau.set_model(model)
    assert plateau.mode == "max"
    plateau.on_train_begin()
    rates = []
    for epoch, accuracy in enumerate([0.50, 0.505, 0.60, 0.60, 0.605, 0.70, 0.70, 0.70]):
        logs = {"val_accuracy": accuracy}
        plateau.on_epoch_end(epoch, logs)
        rates.append(model.optimizer.learning_rate)
    # Improvements by more than 0.01 at epochs 0, 2 and 5; two epochs without one after 2 (3, 4) and after 5 (6, 7).
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001])


def test_reduce_lr_on_plateau_rejects_bad_arguments_and_warns_on_a_missing_key():
    with pytest.raises(ValueError, match=r"factor in \(0, 1\).*got 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        callbacks.ReduceLROnPlateau(mode="lowest")
    with pytest.raises(ValueError, match="patience"):
        callbacks.ReduceLROnPlateau(patience=-1)
    with pytest.raises(ValueError, match="min_lr"):
        callbacks.ReduceLROnPlateau(min_lr=-1e-3)
    x, y = _data()
    with pytest.warns(RuntimeWarning, match="ReduceLROnPlateau is watching 'val_loss'"):
        _model().fit(x, y, epochs=1, callbacks=[callbacks.ReduceLROnPlateau()], verbose=0)


def test_learning_rate_scheduler_sets_the_rate_the_optimizer_uses(digits):
    (x, y), _ = digits
    model = _digits_model(0.5)
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    history = model.fit(x, y, epochs=5, batch_size=128, callbacks=[schedule], verbose=0)
    expected = [0.5, 0.5, 0.25, 0.125, 0.0625]
    assert history.history["learning_rate"] == expected
    assert model.optimizer.used_rates == [rate for rate in expected for _ in range(2)]  # 2 batches per epoch
    assert history.history["loss"][-1] < history.history["loss"][0]  # it still trains

    one_argument = callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))  # Keras' older form
    model.fit(x, y, epochs=3, batch_size=128, callbacks=[one_argument], verbose=0)
    assert model.optimizer.used_rates[-6:] == pytest.approx([0.01, 0.01, 0.02, 0.02, 0.03, 0.03])


@pytest.mark.parametrize("bad_rate", [float("nan"), float("inf"), -0.1, "0.1", None])
def test_learning_rate_scheduler_names_the_epoch_of_a_bad_rate(bad_rate):
    x, y = _data()
    model = _model()
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else bad_rate)
    with pytest.raises(ValueError, match=r"returned .* for epoch 2 \(counted from 0\); a learning rate must be"):
        model.fit(x, y, epochs=4, callbacks=[schedule], verbose=0)
    assert model.optimizer.learning_rate == 0.05  # the bad value never reached the optimizer
    with pytest.raises(TypeError, match="schedule must be a function"):
        callbacks.LearningRateScheduler(0.1)


def test_csv_logger_file_reads_back_as_the_history(digits, tmp_path):
    (x, y), validation = digits
    path = tmp_path / "log.csv"
    model = _digits_model(0.5)
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.5 / (epoch + 1))
    history = model.fit(x, y, epochs=3, batch_size=64, validation_data=validation, verbose=0,
                        callbacks=[schedule, callbacks.CSVLogger(path)])
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["epoch", "accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]  # sorted, as Keras
    assert [int(row[0]) for row in rows[1:]] == history.epoch == [0, 1, 2]
    for column, key in enumerate(rows[0][1:], start=1):
        assert [float(row[column]) for row in rows[1:]] == history.history[key]  # exact: floats are written by repr

    # append=True adds rows under the existing header; a fresh file with another separator gets its own header.
    more = model.fit(x, y, epochs=2, batch_size=64, validation_data=validation, verbose=0,
                     callbacks=[schedule, callbacks.CSVLogger(path, append=True)])
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows) == 1 + 3 + 2 and rows[0][0] == "epoch" and rows[4][0] == "0"
    assert float(rows[5][3]) == more.history["loss"][1]
    semicolons = tmp_path / "semicolons.csv"
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[callbacks.CSVLogger(semicolons, separator=";")])
    assert semicolons.read_text().splitlines()[0] == "epoch;accuracy;loss"


def test_csv_logger_keeps_finished_epochs_when_training_stops_early_and_checks_the_separator(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    seen_on_disk = []
    peek = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen_on_disk.append(len(
        path.read_text().splitlines())))
    model.fit(x, y, epochs=3, callbacks=[callbacks.CSVLogger(path), peek], verbose=0)
    assert seen_on_disk == [2, 3, 4]  # header + one flushed row per finished epoch, readable while training
    with pytest.raises(ValueError, match="single character"):
        callbacks.CSVLogger(path, separator=", ")


def test_history_answers_keras_2_metric_names_without_listing_them_twice():
    x, y = _data()
    history = _model().fit(x, y, epochs=2, validation_split=0.25, verbose=0).history
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]  # what iterating or plotting shows
    assert history["acc"] is history["accuracy"] and history["val_acc"] is history["val_accuracy"]
    assert "val_acc" in history and history.get("acc") == history["accuracy"] and "val_auc" not in history
    assert history.get("val_auc", "absent") == "absent"
    with pytest.raises(KeyError, match="'val_mae' is not in this history; it holds \\['loss', 'accuracy'"):
        history["val_mae"]
    pydl.seed(0)
    regression = models.Sequential([layers.Dense(1, input_shape=(4,))])
    regression.compile("sgd", "mse", metrics=["mae"])
    logged = regression.fit(x, y, epochs=1, validation_data=(x, y), verbose=0).history
    assert logged["val_mean_absolute_error"] is logged["val_mae"]  # the book's 3.7 reads this name
    assert logged["mean_absolute_error"] is logged["mae"] and "mean_squared_error" not in logged  # mse is the loss
    long_names = models.Sequential([layers.Dense(1, input_shape=(4,))])
    long_names.compile("sgd", "mse", metrics=["mean_absolute_error", "acc"])
    logged = long_names.fit(x, y, epochs=1, verbose=0).history
    assert logged["mae"] is logged["mean_absolute_error"] and logged["accuracy"] is logged["acc"]


def test_a_monitor_written_with_a_keras_2_name_watches_the_logged_metric():
    x, y = _data()
    model = _model(lr=0.0)  # nothing improves: patience runs out
    stopper = callbacks.EarlyStopping(monitor="val_acc", patience=1)
    history = model.fit(x, y, epochs=5, validation_split=0.25, callbacks=[stopper], verbose=0)
    assert stopper.mode == "max" and len(history.history["loss"]) == 2
