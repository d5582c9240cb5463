"""fit/evaluate/predict on Python generators and Sequences: the same numbers as on the arrays they hold (float64,
bit for bit), in any slices of the training loop, Keras 2's *_generator names, and every wrong batch named."""

import warnings

import numpy as np
import pytest

import pydl
from pydl import callbacks, layers, models, utils

BATCH = 8


def _data(samples=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 3))
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(samples, 1)))
    return x, y


def _model(metrics=("mae",)):
    pydl.backend.set_floatx("float64")
    pydl.seed(3)
    model = models.Sequential([layers.Dense(5, activation="tanh", input_shape=(3,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=list(metrics))
    return model


def _batches(x, y, forever=True, weights=None):
    """The batches fit(shuffle=False, batch_size=BATCH) makes, in its order, again and again."""
    while True:
        for start in range(0, len(x), BATCH):
            window = slice(start, start + BATCH)
            yield (x[window], y[window]) if weights is None else (x[window], y[window], weights[window])
        if not forever:
            return


class Batches(utils.Sequence):
    def __init__(self, x, y):
        self.x, self.y, self.ends = x, y, 0

    def __len__(self):
        return -(-len(self.x) // BATCH)

    def __getitem__(self, index):
        window = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[window], self.y[window]

    def on_epoch_end(self):
        self.ends += 1


def test_a_generator_trains_exactly_as_the_arrays_it_yields():
    x, y = _data()
    on_arrays = _model()
    expected = on_arrays.fit(x, y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0).history
    on_generator = _model()
    history = on_generator.fit(_batches(x, y), steps_per_epoch=len(x) // BATCH, epochs=3, verbose=0).history
    assert history == expected  # float64, same batches in the same order: the same numbers
    for ours, theirs in zip(on_generator.get_weights(), on_arrays.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_sample_weights_from_the_generator_weight_the_loss_as_fit_does():
    x, y = _data()
    weights = np.linspace(0.1, 2.0, len(x))
    expected = _model().fit(x, y, sample_weight=weights, batch_size=BATCH, shuffle=False, verbose=0).history
    history = _model().fit(_batches(x, y, weights=weights), steps_per_epoch=len(x) // BATCH, verbose=0).history
    assert history == expected


def test_validation_generator_and_steps_give_what_evaluate_gives_on_those_batches():
    x, y = _data()
    x_val, y_val = _data(16, seed=1)
    model = _model()
    history = model.fit(_batches(x, y), steps_per_epoch=6, epochs=2, validation_data=_batches(x_val, y_val),
                        validation_steps=2, verbose=0).history
    assert sorted(history) == ["loss", "mae", "val_loss", "val_mae"]
    assert history["val_loss"][-1] == model.evaluate(x_val, y_val, batch_size=BATCH, verbose=0)[0]


class RecordingBatches(Batches):
    def __init__(self, x, y):
        super().__init__(x, y)
        self.read = []

    def __getitem__(self, index):
        self.read.append(index)
        return super().__getitem__(index)


def test_a_sequence_is_read_in_a_new_seeded_order_each_epoch_and_told_when_each_ends():
    x, y = _data()
    sequence = RecordingBatches(x, y)
    _model().fit(sequence, epochs=2, verbose=0, seed=5)
    epochs = [sequence.read[1:7], sequence.read[7:13]]  # read[0]: the first batch, checked before training
    assert sequence.ends == 2 and len(sequence.read) == 13
    assert all(sorted(order) == list(range(6)) for order in epochs) and epochs[0] != epochs[1]
    again = RecordingBatches(x, y)
    _model().fit(again, epochs=2, verbose=0, seed=5)
    assert again.read == sequence.read  # the order comes from pydl's seeded generator
    unshuffled = _model().fit(Batches(x, y), epochs=2, shuffle=False, verbose=0).history
    assert unshuffled == _model().fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0).history


@pytest.mark.parametrize("slice_size", [1, 4, 7])
def test_stepping_the_loop_in_slices_gives_fit_on_the_generator(slice_size):
    x, y = _data()
    x_val, y_val = _data(16, seed=1)
    arguments = dict(steps_per_epoch=5, epochs=3, verbose=0)
    expected = _model().fit(_batches(x, y), validation_data=Batches(x_val, y_val), **arguments).history
    loop = _model().training_loop(_batches(x, y), validation_data=Batches(x_val, y_val), **arguments)
    while not loop.done:
        assert loop.step(max_batches=slice_size) <= slice_size
    assert loop.history.history == expected


def test_evaluate_and_predict_read_generators_and_sequences_like_the_arrays():
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    on_arrays = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    assert model.evaluate(_batches(x, y, forever=False), verbose=0, return_dict=True) == on_arrays
    assert model.evaluate(Batches(x, y), verbose=0, return_dict=True) == on_arrays
    first_two = model.evaluate(x[:2 * BATCH], y[:2 * BATCH], batch_size=BATCH, verbose=0)
    assert model.evaluate(_batches(x, y), steps=2, verbose=0) == first_two
    predictions = model.predict(x)
    np.testing.assert_array_equal(model.predict(Batches(x, y)), predictions)
    inputs_only = (x[start:start + BATCH] for start in range(0, len(x), BATCH))
    np.testing.assert_array_equal(model.predict(inputs_only), predictions)
    np.testing.assert_array_equal(model.predict(_batches(x, y), steps=3), predictions[:3 * BATCH])


def test_keras_2_generator_names_give_the_same_numbers_with_a_deprecation_note():
    x, y = _data()
    x_val, y_val = _data(16, seed=1)
    expected = _model().fit(_batches(x, y), steps_per_epoch=6, epochs=2, validation_data=_batches(x_val, y_val),
                            validation_steps=2, verbose=0)
    model = _model()
    with pytest.warns(DeprecationWarning, match="fit_generator is Keras 2's name.*use Model.fit"):
        history = model.fit_generator(_batches(x, y), steps_per_epoch=6, epochs=2,
                                      validation_data=_batches(x_val, y_val), validation_steps=2, verbose=0,
                                      workers=4, use_multiprocessing=True)
    assert history.history == expected.history
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        assert model.evaluate_generator(_batches(x, y), steps=3) == model.evaluate(_batches(x, y), steps=3, verbose=0)
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        np.testing.assert_array_equal(model.predict_generator(Batches(x, y)), model.predict(x))


def test_a_finite_generator_without_steps_ends_the_epoch_when_it_runs_out_and_then_stops_training():
    x, y = _data()
    model = _model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    with pytest.warns(UserWarning, match="ran out of batches at the start of epoch 2"):
        history = model.fit(_batches(x, y, forever=False), epochs=3, callbacks=[record], verbose=0)
    assert seen == [0] and len(history.history["loss"]) == 1 and "ran out" in history.stop_reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one epoch of a finite generator is the normal case: no warning
        model.fit(_batches(x, y, forever=False), epochs=1, verbose=0)


def _refused(model, message, *args, **kwargs):
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(*args, verbose=0, **kwargs)
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_wrong_arguments_with_a_generator_are_refused_by_name():
    x, y = _data()
    model = _model()
    _refused(model, "yields whole batches, so y, batch_size cannot be given", _batches(x, y), y, batch_size=4)
    _refused(model, "so validation_split cannot", _batches(x, y), validation_split=0.2)
    _refused(model, "steps_per_epoch is for a generator or Sequence", x, y, steps_per_epoch=3)
    _refused(model, "validation_steps was given but there is no validation_data", _batches(x, y),
             steps_per_epoch=2, validation_steps=2)
    _refused(model, "steps_per_epoch must be a whole number >= 1, got 0", _batches(x, y), steps_per_epoch=0)
    _refused(model, "has 6 batches, fewer than the 7 steps", Batches(x, y), steps_per_epoch=7)
    _refused(model, "yielded no batch at all", iter([]))
    _refused(model, "x is the generator function _batches\\(\\), not a generator: call it", _batches)


def test_a_generator_of_the_wrong_structure_or_shape_is_named_before_any_update():
    x, y = _data()
    model = _model()
    _refused(model, "batch 0 from the generator given to fit\\(\\) is one ndarray of shape \\(8, 3\\), not a tuple "
             "\\(x, y\\)", (x[i:i + BATCH] for i in range(0, 48, BATCH)))
    _refused(model, "batch 0 from the generator given to fit\\(\\) is a tuple of 4", iter([(x, y, y, y)]))
    _refused(model, "batch 0 from the generator given to fit\\(\\): .*expects input shape \\(None, 3\\), but got "
             "\\(1, 2\\)", iter([(x[:, :2], y)]))
    _refused(model, "batch 0 .* holds arrays of \\[8, 5\\] samples", iter([(x[:8], y[:5])]))
    _refused(model, "batch 0 from the validation generator given to fit\\(\\) is one ndarray",
             _batches(x, y), steps_per_epoch=2, validation_data=iter([x[:8]]))


def test_a_later_batch_of_another_shape_or_structure_stops_training_naming_it():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="batch 2 from the generator given to fit\\(\\): x has samples of shape "
                                         "\\(2,\\), but the first batch had \\(3,\\)"):
        model.fit(iter([(x[:8], y[:8]), (x[8:16], y[8:16]), (x[16:24, :2], y[16:24])]), verbose=0)
    with pytest.raises(ValueError, match="batch 1 from the generator given to fit\\(\\) is a \\(x, y, sample_weight"
                                         "\\) tuple but the first batch was a \\(x, y\\) tuple"):
        model.fit(iter([(x[:8], y[:8]), (x[8:16], y[8:16], np.ones(8))]), verbose=0)
    classifier = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(3,))])
    classifier.compile("sgd", "sparse_categorical_crossentropy")
    labels = np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match="batch 1 from the generator given to fit\\(\\): y sample 2 has the target 7"):
        classifier.fit(iter([(x[:4], labels), (x[4:8], np.array([0, 1, 7, 1]))]), verbose=0)


def test_class_weight_applies_to_generator_batches():
    x, _ = _data()
    labels = (x[:, 0] > 0).astype(np.int64)
    weights = {0: 1.0, 1: 3.0}

    def classifier():
        pydl.backend.set_floatx("float64")
        pydl.seed(1)
        model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
        model.compile("sgd", "sparse_categorical_crossentropy")
        return model

    expected = classifier().fit(x, labels, class_weight=weights, batch_size=BATCH, shuffle=False, verbose=0).history
    history = classifier().fit(_batches(x, labels), steps_per_epoch=6, class_weight=weights, verbose=0).history
    assert history == expected


def test_the_progress_bar_counts_the_batches_of_a_generator_of_unknown_length(capsys):
    x, y = _data()
    _model().fit(_batches(x, y, forever=False), epochs=1, verbose=1)
    assert "6/6 [==============================]" in capsys.readouterr().out


def test_the_loops_epoch_transform_is_for_arrays_and_a_generator_refuses_it():
    x, y = _data()
    loop = _model().training_loop(_batches(x, y), steps_per_epoch=2, verbose=0)
    loop.epoch_transform = lambda inputs, rng: inputs
    with pytest.raises(ValueError, match="epoch_transform applies to arrays; a generator or Sequence augments"):
        loop.step()
