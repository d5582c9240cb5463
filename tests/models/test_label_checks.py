"""Every label of the training and validation data is checked before the first update, and fit/evaluate/predict
refuse bad arguments with a message naming them; a refusal changes nothing (weights, optimizer, callbacks)."""

import numpy as np
import pytest

import pydl
from pydl import callbacks, layers, models


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    return x, (x[:, 0] > 0).astype(np.int64)


def _model(loss="sparse_categorical_crossentropy", units=2, activation="softmax"):
    pydl.seed(0)
    model = models.Sequential([layers.Input((4,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


class Hooks(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def on_train_begin(self, logs=None):
        self.calls += 1


def _refused(model, message, **arguments):
    """fit(**arguments) raises ValueError matching ``message`` and leaves the model exactly as it was."""
    before, hooks = model.get_weights(), Hooks()
    with pytest.raises(ValueError, match=message):
        model.fit(verbose=0, batch_size=8, callbacks=[hooks], **arguments)
    for ours, theirs in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)
    assert model.optimizer.iterations == 0 and hooks.calls == 0 and model.history is None


@pytest.mark.parametrize("label, message", [
    (7, r"sample 40 has the target 7(\.0)?, which is not below 2, the number of classes"),
    (-1, r"sample 40 has the target -1(\.0)?, which is negative"),
    (np.nan, r"sample 40 has the target nan, which is not a finite number"),
    (1.5, r"sample 40 has the target 1\.5, which is not a whole class index"),
])
def test_a_bad_sparse_label_deep_in_the_data_is_refused_before_the_first_update(label, message):
    x, y = _data()
    y = y.astype(np.float64)
    y[40] = label  # batch 6 with batch_size 8: it used to raise after 5 updates
    _refused(_model(), "sparse_categorical_crossentropy: y " + message, x=x, y=y)


def test_a_bad_label_in_validation_data_or_in_the_validation_split_is_refused_before_training():
    x, y = _data()
    bad = y.copy()
    bad[3] = 5
    _refused(_model(), r"validation y sample 3 has the target 5", x=x, y=y, validation_data=(x[:10], bad[:10]))
    bad = y.copy()
    bad[60] = 2  # in the last 10 %: the validation part of the split
    _refused(_model(), r"y sample 60 has the target 2", x=x, y=bad, validation_split=0.1)


@pytest.mark.parametrize("loss, units, activation, target, message", [
    ("binary_crossentropy", 1, "sigmoid", 2.0, "is outside \\[0, 1\\]"),
    ("binary_crossentropy", 1, "sigmoid", -0.5, "is outside \\[0, 1\\]"),
    ("categorical_crossentropy", 2, "softmax", -1.0, "is negative"),
    ("mse", 1, None, np.inf, "is not a finite number"),
])
def test_other_losses_check_their_own_target_ranges(loss, units, activation, target, message):
    x, y = _data()
    targets = np.eye(2)[y] if loss == "categorical_crossentropy" else y[:, None].astype(np.float64)
    targets[33, 0] = target
    _refused(_model(loss, units, activation), r"y sample 33 has the target .*" + message, x=x, y=targets)


def test_per_time_step_labels_and_several_outputs_name_the_sample_and_the_output():
    rng = np.random.default_rng(1)
    pydl.seed(0)
    model = models.Sequential([layers.Input((5, 4)), layers.Dense(3, activation="softmax")])
    model.compile("adam", loss="sparse_categorical_crossentropy")
    labels = rng.integers(0, 3, (20, 5))
    labels[12, 4] = 3
    _refused(model, r"y sample 12 has the target 3", x=rng.standard_normal((20, 5, 4)), y=labels)
    inputs = layers.Input((4,))
    two = models.Model(inputs, [layers.Dense(2, activation="softmax", name="label")(inputs),
                                layers.Dense(1, name="size")(inputs)])
    two.compile("adam", loss=["sparse_categorical_crossentropy", "mse"])
    x, y = _data()
    sizes = x[:, :1].copy()
    sizes[9] = np.nan
    _refused(two, r"mean_squared_error: y\['size'\] sample 9 has the target nan", x=x, y=[y, sizes])


@pytest.mark.parametrize("arguments, message", [
    ({"epochs": -1}, r"fit\(\): epochs must be a whole number >= 0, got -1"),
    ({"epochs": 2.5}, r"fit\(\): epochs must be a whole number >= 0, got 2.5"),
    ({"epochs": "3"}, r"fit\(\): epochs must be a whole number >= 0, got '3'"),
    ({"epochs": 2, "initial_epoch": 3}, r"initial_epoch=3 is after the last epoch \(epochs=2\)"),
    ({"batch_size": 0}, r"fit\(\): batch_size must be a whole number >= 1, got 0"),
    ({"batch_size": 4.5}, r"fit\(\): batch_size must be a whole number >= 1, got 4.5"),
])
def test_bad_fit_arguments_are_refused_by_name(arguments, message):
    x, y = _data()
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, verbose=0, **arguments)
    for ours, theirs in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)


def test_evaluate_and_predict_refuse_a_zero_batch_size_and_evaluate_refuses_empty_data():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match=r"evaluate\(\): batch_size must be a whole number >= 1, got 0"):
        model.evaluate(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match=r"predict\(\): batch_size must be a whole number >= 1, got 0"):
        model.predict(x, batch_size=0)
    with pytest.raises(ValueError, match=r"evaluate\(\) got no samples"):
        model.evaluate(x[:0], y[:0], verbose=0)
    assert model.evaluate(x, y, batch_size=64.0, verbose=0) == model.evaluate(x, y, verbose=0)  # 64.0 is 64


def test_text_inputs_are_refused_naming_x_or_y():
    x, y = _data()
    model = _model()
    words = np.array([["a", "b", "c", "d"]] * len(x))
    _refused(model, r"^x must be numeric \(an array or nested lists of numbers\), got dtype <U1", x=words, y=y)
    _refused(model, r"^y must be numeric", x=x, y=np.array(["yes", "no"] * 32))
    with pytest.raises(ValueError, match=r"^x must be numeric"):
        model.predict([["one", "two", "three", "four"]])
    with pytest.raises(ValueError, match=r"^validation x must be numeric"):
        model.fit(x, y, validation_data=(words, y), verbose=0)
