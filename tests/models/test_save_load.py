"""One-file model saving: exact round trips (path, file object, bytes), and refusal of truncated, corrupt, foreign and
hostile files without touching the model."""

import io
import json
import zipfile

import numpy as np
import pytest

import pydl
from pydl import layers, models, optimizers
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
    assert zipfile.ZipFile(path).namelist() == ["config.json", "weights.npz"]
    restored = models.load_model(path)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    assert restored.optimizer.get_config() == model.optimizer.get_config()
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


def _rewrite(data: bytes, config=None, weights=None, drop=None, extra=None) -> bytes:
    """A copy of a model file with config.json / weights.npz replaced or removed."""
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
