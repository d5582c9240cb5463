"""One-file model saving: exact round trips (path, file object, bytes), and refusal of truncated, corrupt, foreign and
hostile files without touching the model."""

import io
import json
import zipfile

import numpy as np
import pytest

import pydl
from pydl import backend, layers, models, optimizers
from pydl.models import ModelFileError, saving


def _model():
    model = models.Sequential([layers.Input((6, 6, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                               layers.MaxPooling2D(2), layers.BatchNormalization(), layers.Flatten(),
                               layers.Dropout(0.3), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(1)
    model.fit(rng.random((32, 6, 6, 1)), rng.integers(0, 3, 32), epochs=2, verbose=0)
    return model


X = np.random.default_rng(2).random((10, 6, 6, 1)).astype(np.float32)


def test_round_trip_through_a_path_gives_identical_predictions(tmp_path):
    model = _model()
    path = tmp_path / "model.pydl"
    model.save(path)
    assert zipfile.ZipFile(path).namelist() == ["config.json", "weights.npz", "optimizer.npz"]
    restored = models.load_model(path)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    assert restored.optimizer.get_config() == model.optimizer.get_config()
    saved_state = model.optimizer.get_state(model.weights)
    restored_state = restored.optimizer.get_state(restored.weights)
    assert restored_state["iterations"] == saved_state["iterations"] == 2
    assert list(restored_state["slots"]) == list(saved_state["slots"]) == [0, 1, 2, 3, 6, 7]  # trainable weights
    for index, slot in saved_state["slots"].items():
        assert restored_state["slots"][index]["step"] == slot["step"] == 2
        for name in ("m", "v"):
            np.testing.assert_array_equal(restored_state["slots"][index]["arrays"][name], slot["arrays"][name])
    assert restored.evaluate(X, np.zeros(10, int), verbose=0) == model.evaluate(X, np.zeros(10, int), verbose=0)


def test_round_trip_through_bytes_and_file_objects():
    model = _model()
    data = model.to_bytes()
    assert isinstance(data, bytes) and data[:2] == b"PK"
    np.testing.assert_array_equal(models.from_bytes(data).predict(X), model.predict(X))
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(models.load_model(buffer).predict(X), model.predict(X))


def test_save_and_load_weights(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.pydl")
    pydl.seed(5)
    fresh = models.Sequential.from_config(model.get_config())
    fresh.load_weights(tmp_path / "w.pydl")
    np.testing.assert_array_equal(fresh.predict(X), model.predict(X))


def test_custom_loss_is_not_saved_but_the_model_is():
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: ((y_pred - y_true) ** 2).mean())
    with pytest.warns(UserWarning, match="compile"):
        data = model.to_bytes()
    assert not models.from_bytes(data).compiled


def _rewrite(data: bytes, config=None, weights=None, drop=None, extra=None, optimizer=None) -> bytes:
    """A copy of a model file with config.json / weights.npz / optimizer.npz replaced or removed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            if name == drop:
                continue
            content = source.read(name)
            if name == "config.json" and config is not None:
                content = config(json.loads(content)) if callable(config) else config
                content = content if isinstance(content, bytes) else json.dumps(content).encode()
            if name == "weights.npz" and weights is not None:
                content = weights
            if name == "optimizer.npz" and optimizer is not None:
                content = optimizer
            archive.writestr(name, content)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def _npz(*arrays, **kw) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, *arrays, **kw)
    return buffer.getvalue()


def _hostile_files(good: bytes, model):
    weights = model.get_weights()
    layer_configs = json.loads(zipfile.ZipFile(io.BytesIO(good)).read("config.json"))

    def with_layer(config, class_name="Evil", **changes):
        config["config"]["layers"][-1]["class_name"] = class_name
        config["config"]["layers"][-1]["config"].update(changes)
        return config

    def deep_json():
        return b"[" * 100000 + b"]" * 100000

    shapes_swapped = list(weights)
    shapes_swapped[0] = weights[0].reshape(-1)
    return {
        "empty": b"",
        "not_a_zip": b"this is not a model" * 10,
        "pickle": b"\x80\x04\x95" + b"\x00" * 40,
        "truncated": good[: len(good) // 2],
        "truncated_tail": good[:-10],
        "missing_weights": _rewrite(good, drop="weights.npz"),
        "missing_config": _rewrite(good, drop="config.json"),
        "bad_json": _rewrite(good, config=b"{not json"),
        "deep_json": _rewrite(good, config=deep_json()),
        "foreign_json": _rewrite(good, config={"hello": "world"}),
        "wrong_version": _rewrite(good, config=lambda c: {**c, "version": 99}),
        "unknown_layer": _rewrite(good, config=lambda c: with_layer(c)),
        "absurd_units": _rewrite(good, config=lambda c: with_layer(c, "Dense", units=10 ** 12)),
        "bad_layer_args": _rewrite(good, config=lambda c: with_layer(c, "Dense", units="many")),
        "too_few_weights": _rewrite(good, weights=_npz(*weights[:-1])),
        "wrong_shape": _rewrite(good, weights=_npz(*shapes_swapped)),
        "object_array": _rewrite(good, weights=_npz(*([np.array([{"a": 1}], dtype=object)] + weights[1:]))),
        "int_weights": _rewrite(good, weights=_npz(*([weights[0].astype(np.int64)] + weights[1:]))),
        "not_npz": _rewrite(good, weights=b"garbage" * 100),
        "renamed_arrays": _rewrite(good, weights=_npz(**{f"w{i}": w for i, w in enumerate(weights)})),
        "layer_config_shape": layer_configs and _rewrite(
            good, config=lambda c: {**c, "weights": [{"shape": [10 ** 15]}] * len(c["weights"])}),
    }


@pytest.fixture(scope="module")
def trained():
    pydl.seed(0)
    model = _model()
    return model, model.to_bytes()


HOSTILE = ["empty", "not_a_zip", "pickle", "truncated", "truncated_tail", "missing_weights", "missing_config",
           "bad_json", "deep_json", "foreign_json", "wrong_version", "unknown_layer", "absurd_units",
           "bad_layer_args", "too_few_weights", "wrong_shape", "object_array", "int_weights", "not_npz",
           "renamed_arrays", "layer_config_shape"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_bad_files_raise_model_file_error(trained, kind):
    model, good = trained
    data = _hostile_files(good, model)[kind]
    with pytest.raises(ModelFileError):
        models.from_bytes(data)


@pytest.mark.parametrize("kind", ["truncated", "too_few_weights", "wrong_shape", "object_array", "not_npz"])
def test_bad_weight_files_leave_the_model_unchanged(trained, kind, tmp_path):
    model, good = trained
    before = model.get_weights()
    path = tmp_path / "bad.pydl"
    path.write_bytes(_hostile_files(good, model)[kind])
    with pytest.raises(ValueError):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_error_is_a_value_error_with_a_reason(trained):
    _, good = trained
    with pytest.raises(ValueError, match="not a readable zip"):
        models.from_bytes(b"hello")
    with pytest.raises(ValueError, match="Unknown layer class 'Evil'"):
        models.from_bytes(_rewrite(good, config=lambda c: (c["config"]["layers"][-1].update(class_name="Evil"), c)[1]))


def test_zip_bomb_is_refused_before_expanding(trained, monkeypatch):
    _, good = trained
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", zipfile.ZipFile(io.BytesIO(good)).read("config.json"))
        archive.writestr("weights.npz", b"\0" * (64 << 20))  # 64 MiB of zeros compress to ~64 KiB
    monkeypatch.setattr(saving, "MAX_WEIGHTS_BYTES", 1 << 20)
    with pytest.raises(ModelFileError, match="limit"):
        models.from_bytes(bomb.getvalue())


def test_member_lying_about_its_size_cannot_expand(trained, monkeypatch):
    _, good = trained
    monkeypatch.setattr(saving, "MAX_CONFIG_BYTES", 64)
    with pytest.raises(ModelFileError, match="limit"):
        models.from_bytes(good)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        models.load_model(tmp_path / "nope.pydl")


def test_file_never_unpickles(trained, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    model, good = trained
    np.testing.assert_array_equal(models.from_bytes(good).predict(X), model.predict(X))


# ----------------------------------------------------------------- optimizer state
RESUMABLE = {
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
}
X_REGRESSION = np.random.default_rng(4).random((40, 4))
Y_REGRESSION = np.random.default_rng(5).random((40, 2))


def _regression_model(make_optimizer):
    pydl.seed(3)  # the same initial weights every time
    model = models.Sequential([layers.Dense(6, activation="tanh", input_shape=(4,)), layers.BatchNormalization(),
                               layers.Dense(2)])
    model.compile(optimizer=make_optimizer(), loss="mse")
    return model


def _train(model, epochs) -> list:
    """Per-epoch losses; shuffle=False and no dropout, so training draws nothing from the random generator."""
    return model.fit(X_REGRESSION, Y_REGRESSION, batch_size=8, epochs=epochs, shuffle=False, verbose=0).history["loss"]


@pytest.mark.parametrize("name", RESUMABLE)
def test_training_resumes_exactly_after_save_and_load(name):
    backend.set_floatx("float64")
    make_optimizer = RESUMABLE[name]
    straight = _regression_model(make_optimizer)
    straight_losses = _train(straight, 5)
    interrupted = _regression_model(make_optimizer)
    _train(interrupted, 2)
    data = interrupted.to_bytes()

    resumed = models.from_bytes(data)
    assert resumed.optimizer.iterations == 10
    assert _train(resumed, 3) == straight_losses[2:]
    for resumed_weight, straight_weight in zip(resumed.get_weights(), straight.get_weights()):
        assert resumed_weight.dtype == np.float64
        assert np.array_equal(resumed_weight, straight_weight)
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 25

    # Control: the same weights with a fresh optimizer take another path, so the saved state is what matters.
    restarted = models.load_model(io.BytesIO(data), compile=False)
    restarted.compile(optimizer=make_optimizer(), loss="mse")
    assert _train(restarted, 3) != straight_losses[2:]


def test_models_without_optimizer_state_write_no_optimizer_member():
    uncompiled = models.Sequential([layers.Dense(2, input_shape=(3,))])
    never_trained = models.Sequential([layers.Dense(2, input_shape=(3,))])
    never_trained.compile(optimizer="adam", loss="mse")
    for model in (uncompiled, never_trained):
        archive = zipfile.ZipFile(io.BytesIO(model.to_bytes()))
        assert archive.namelist() == ["config.json", "weights.npz"]
        assert "optimizer_state" not in json.loads(archive.read("config.json"))


def test_file_without_optimizer_state_loads_as_before_with_a_fresh_optimizer(trained):
    model, good = trained
    older_file = _rewrite(good, drop="optimizer.npz",
                          config=lambda c: {key: value for key, value in c.items() if key != "optimizer_state"})
    restored = models.from_bytes(older_file)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.compiled and restored.optimizer.get_state(restored.weights) == {"iterations": 0, "slots": {}}


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _hostile_optimizer_files(good: bytes) -> dict:
    """kind -> (file, what the ModelFileError must say). The trained model uses Adam: slots "m" and "v" on its
    6 trainable weights (conv kernel (3, 3, 1, 4) first), 12 arrays in optimizer.npz."""
    archive = zipfile.ZipFile(io.BytesIO(good))
    with np.load(io.BytesIO(archive.read("optimizer.npz"))) as npz:
        arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]

    def edit_state(change):
        def edit(config):
            change(config["optimizer_state"])
            return config
        return _rewrite(good, config=edit)

    def edit_first_slot(**changes):
        return edit_state(lambda state: state["slots"][0].update(changes))

    def duplicate_first_weight(state):
        state["slots"][1]["weight"] = state["slots"][0]["weight"]

    def with_first_array(first):
        return _rewrite(good, optimizer=_npz(*([first] + arrays[1:])))

    truncated = io.BytesIO()
    with zipfile.ZipFile(truncated, "w") as npz:
        for i, array in enumerate(arrays):
            npz.writestr(f"arr_{i}.npy", _npy_bytes(array)[:-8] if i == 0 else _npy_bytes(array))
    whole_member = archive.read("optimizer.npz")
    return {
        "too_few_arrays": (_rewrite(good, optimizer=_npz(*arrays[:-1])),
                           "optimizer.npz holds 11 arrays but config.json lists 12"),
        "slot_shape_differs": (with_first_array(arrays[0].reshape(-1)),
                               r"arr_0.npy has shape \(36,\) but config.json says \(3, 3, 1, 4\)"),
        "int_slot": (with_first_array(arrays[0].astype(np.int64)), "dtype int64; saved arrays must be floating point"),
        "object_slot": (with_first_array(np.array([{"a": 1}], dtype=object)), "dtype object"),
        "weight_out_of_range": (edit_first_slot(weight=99),
                                "names weight 99, but the model's weights are numbered 0 to 7"),
        "weight_not_an_int": (edit_first_slot(weight="0"), "names weight '0'"),
        "weight_twice": (edit_state(duplicate_first_weight), "weight 0 has more than one optimizer slot"),
        "negative_step": (edit_first_slot(step=-1), "step of the parameter .* non-negative integer, got -1"),
        "fractional_step": (edit_first_slot(step=2.5), "step of the parameter .* non-negative integer, got 2.5"),
        "negative_iterations": (edit_state(lambda state: state.update(iterations=-3)),
                                "iteration count must be a non-negative integer, got -3"),
        "missing_iterations": (edit_state(lambda state: state.pop("iterations")), "iteration count .* got None"),
        "unknown_slot_name": (edit_first_slot(arrays=["m", "momentum"]),
                              r"holds \['m', 'momentum'\] but Adam keeps \['m', 'v'\]"),
        "array_names_not_strings": (edit_first_slot(arrays=[1, 2]), "slot 0 has no list of distinct array names"),
        "slots_not_a_list": (edit_state(lambda state: state.update(slots={})), "optimizer_state has no list of slots"),
        "missing_member": (_rewrite(good, drop="optimizer.npz"), "the archive has no 'optimizer.npz'"),
        "not_npz": (_rewrite(good, optimizer=b"garbage" * 100), "optimizer.npz is not a valid npz archive"),
        "truncated_member": (_rewrite(good, optimizer=whole_member[: len(whole_member) // 2]), "optimizer.npz"),
        "truncated_array": (_rewrite(good, optimizer=truncated.getvalue()), "optimizer.npz/arr_0.npy is truncated"),
    }


OPTIMIZER_HOSTILE = ["too_few_arrays", "slot_shape_differs", "int_slot", "object_slot", "weight_out_of_range",
                     "weight_not_an_int", "weight_twice", "negative_step", "fractional_step", "negative_iterations",
                     "missing_iterations", "unknown_slot_name", "array_names_not_strings", "slots_not_a_list",
                     "missing_member", "not_npz", "truncated_member", "truncated_array"]


@pytest.mark.parametrize("kind", OPTIMIZER_HOSTILE)
def test_bad_optimizer_state_is_refused_and_ignored_without_compiling(trained, kind):
    model, good = trained
    data, message = _hostile_optimizer_files(good)[kind]
    with pytest.raises(ModelFileError, match=message):
        models.from_bytes(data)
    weights_only = models.load_model(io.BytesIO(data), compile=False)  # never reads the optimizer state
    assert not weights_only.compiled
    np.testing.assert_array_equal(weights_only.predict(X), model.predict(X))


def test_oversized_optimizer_member_is_refused(trained, monkeypatch):
    _, good = trained
    monkeypatch.setattr(saving, "MAX_OPTIMIZER_BYTES", 64)
    with pytest.raises(ModelFileError, match="'optimizer.npz' claims .* over the 64-byte limit"):
        models.from_bytes(good)
