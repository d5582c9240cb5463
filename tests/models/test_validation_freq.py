"""fit(validation_freq=...): validation after some epochs only, as Keras 3 (an int for every n-th epoch, a list of
epochs counted from 1), with ``val_*`` history entries only for those epochs; compared with Keras 3 in float64."""

import numpy as np
import pytest

import pydl
from pydl import layers, models, utils
from tests.models.keras_reference import keras_in_float64

RATE = 0.05


def _data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(24, 3))
    return x, np.tanh(x @ np.array([[1.0], [-0.5], [2.0]]))


def _pydl_model():
    pydl.backend.set_floatx("float64")
    pydl.seed(0)
    model = models.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=pydl.optimizers.SGD(learning_rate=RATE), loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("validation_freq,initial_epoch,validated", [
    (2, 0, [1, 3, 5]), ([1, 4, 5], 0, [0, 3, 4]), ((3,), 1, [2]), (1, 0, [0, 1, 2, 3, 4, 5]), ({6, 2}, 0, [1, 5]),
])
def test_validation_runs_after_the_chosen_epochs_with_the_numbers_of_keras_3(validation_freq, initial_epoch,
                                                                             validated):
    x, y = _data()
    ours = _pydl_model()
    start = ours.get_weights()
    fit = dict(batch_size=8, epochs=6, shuffle=False, validation_data=(x[:8] * 0.5, y[:8]),
               validation_freq=validation_freq, initial_epoch=initial_epoch, verbose=0)
    history = ours.fit(x, y, **fit)
    with keras_in_float64() as keras:
        theirs = keras.Sequential([keras.Input((3,), dtype="float64"),
                                   keras.layers.Dense(4, activation="tanh", dtype="float64"),
                                   keras.layers.Dense(1, dtype="float64")])
        theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=RATE), loss="mse", metrics=["mae"])
        theirs.set_weights(start)
        keras_freq = validation_freq if isinstance(validation_freq, int) else sorted(validation_freq)
        reference = theirs.fit(x, y, **{**fit, "validation_freq": keras_freq})  # Keras 3.15 takes int or list
    assert history.epoch == reference.epoch == list(range(initial_epoch, 6))
    assert sorted(history.history) == sorted(reference.history) == ["loss", "mae", "val_loss", "val_mae"]
    for key in ("loss", "val_loss", "val_mae"):
        assert len(history.history[key]) == len(reference.history[key])
        # Keras reports its logs through float32 trackers, so 1e-6 is its rounding, not a difference in the maths
        np.testing.assert_allclose(history.history[key], reference.history[key], rtol=1e-6)
    assert len(history.history["val_loss"]) == len([e for e in validated if e >= initial_epoch])
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-12, atol=1e-14)


def test_the_validated_epochs_hold_the_validation_of_that_epoch():
    x, y = _data()
    every = _pydl_model().fit(x, y, batch_size=8, epochs=4, shuffle=False, validation_data=(x, y), verbose=0)
    third = _pydl_model().fit(x, y, batch_size=8, epochs=4, shuffle=False, validation_data=(x, y),
                              validation_freq=[2, 4], verbose=0)
    assert third.history["loss"] == every.history["loss"]
    assert third.history["val_loss"] == [every.history["val_loss"][1], every.history["val_loss"][3]]
    assert third.history["val_mean_absolute_error"] == [every.history["val_mae"][1], every.history["val_mae"][3]]


def test_a_validation_generator_is_only_drawn_from_on_validated_epochs():
    x, y = _data()
    drawn = []

    def validation_batches():
        while True:
            drawn.append(len(drawn))
            yield x[:8], y[:8]

    model = _pydl_model()
    history = model.fit(x, y, batch_size=8, epochs=6, validation_data=validation_batches(), validation_steps=2,
                        validation_freq=3, verbose=0)
    assert len(history.history["val_loss"]) == 2 and len(drawn) == 2 * 2  # epochs 3 and 6, 2 steps each
    generator_history = model.fit_generator(_Batches(x, y), epochs=4, verbose=0,
                                            validation_data=(x, y), validation_freq=2)
    assert len(generator_history.history["val_loss"]) == 2 and len(generator_history.history["loss"]) == 4


class _Batches(utils.Sequence):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return self.x[8 * index:8 * index + 8], self.y[8 * index:8 * index + 8]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2", [0, 2], [1, "3"], None])
def test_a_bad_validation_freq_is_refused_by_name_before_training(bad):
    x, y = _data()
    model = _pydl_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, epochs=2, validation_data=(x, y), validation_freq=bad, verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)
