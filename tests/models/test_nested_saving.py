"""Models nested in models save whole and load back nested (summary, freezing, predictions, training state), and a
hostile nested graph is refused like any other, leaving the caller's model untouched."""

import io
import json
import zipfile

import numpy as np
import pytest

import pydl
from pydl import Input, backend, layers, models, optimizers
from pydl.models import ModelFileError
from tests.models.model_files import with_config

X = np.random.default_rng(0).normal(size=(24, 3))
Y = np.tanh(X[:, :1] - X[:, 1:2] * X[:, 2:])


def _base(name="base"):
    inputs = Input(shape=(3,), name=f"{name}_in")
    hidden = layers.Dense(6, activation="tanh", name=f"{name}_hidden")(inputs)
    normed = layers.BatchNormalization(name=f"{name}_norm")(hidden)
    return models.Model(inputs, layers.Dense(4, activation="tanh", name=f"{name}_top")(normed), name=name)


def _stack():
    """A functional base inside a Sequential stack, its lower half frozen: the fine-tuning layout."""
    base = _base()
    model = models.Sequential([base, layers.Dense(1, name="head")], name="stack")
    base.get_layer("base_hidden").trainable = False
    return model


def _summary(model) -> list:
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def _config(data: bytes) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read("config.json"))


def test_a_nested_model_is_saved_as_one_entry_holding_its_whole_graph():
    header = _config(_stack().to_bytes())
    entry = header["config"]["layers"][0]
    assert header["class_name"] == "Sequential" and entry["class_name"] == "Model"
    assert [layer["name"] for layer in entry["config"]["layers"]] == ["base_in", "base_hidden", "base_norm",
                                                                      "base_top"]
    assert entry["config"]["output_layers"] == ["base_top", 0, 0]
    assert [layer["config"]["trainable"] for layer in entry["config"]["layers"][1:]] == [False, True, True]


def test_round_trip_keeps_predictions_summary_and_freezing(tmp_path):
    model = _stack()
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    model.layers[0].trainable = False  # a frozen inner model comes back frozen
    model.save(tmp_path / "stack.pydl")
    restored = models.load_model(tmp_path / "stack.pydl")
    assert isinstance(restored.layers[0], models.Model) and restored.layers[0].name == "base"
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert _summary(restored) == _summary(model)
    assert not restored.layers[0].trainable and [w.name for w in restored.trainable_weights] == ["head/kernel",
                                                                                                   "head/bias"]
    assert [layer.trainable for layer in restored.layers[0].layers[1:]] == [False] * 3


def test_training_resumes_exactly_in_float64_after_saving_a_nested_model():
    backend.set_floatx("float64")

    def fresh():
        pydl.seed(5)
        model = _stack()
        model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
        return model

    def train(model, epochs, seed):
        return model.fit(X, Y, batch_size=8, epochs=epochs, seed=seed, verbose=0).history["loss"]

    straight = fresh()
    straight_losses = train(straight, 2, seed=1) + train(straight, 3, seed=2)
    interrupted = fresh()
    train(interrupted, 2, seed=1)
    resumed = models.from_bytes(interrupted.to_bytes())
    assert resumed.optimizer.iterations == 6
    assert train(resumed, 3, seed=2) == straight_losses[2:]  # float64: bit for bit, shuffles and all
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        assert a.dtype == np.float64 and np.array_equal(a, b)
    frozen = resumed.layers[0].get_layer("base_hidden")
    assert all(np.array_equal(a, b) for a, b in zip(frozen.get_weights(), fresh().layers[0].layers[1].get_weights()))


def test_shared_inner_model_and_models_three_deep_round_trip():
    encoder = models.Sequential([models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,),
                                                                 name="deepest")], name="level_2")], name="encoder")
    left, right = Input(shape=(3,), name="left"), Input(shape=(3,), name="right")
    outputs = layers.Dense(1, name="score")(layers.subtract([encoder(left), encoder(right)]))
    model = models.Model([left, right], outputs, name="siamese")
    model.compile(optimizer="sgd", loss="mse")
    restored = models.from_bytes(model.to_bytes())
    np.testing.assert_array_equal(restored.predict([X, X[::-1]]), model.predict([X, X[::-1]]))
    inner = restored.get_layer("encoder")
    assert inner.layers[0].name == "level_2" and inner.layers[0].layers[0].name == "deepest"
    assert [node.inputs[0].node.layer.name for node in inner._inbound_nodes] == ["left", "right"]
    assert len(restored.weights) == 4 and _summary(restored) == _summary(model)


def _nested_graph(header):
    """The functional config of the base inside the stack's file."""
    return header["config"]["layers"][0]["config"]


def _deep_stack(levels: int) -> dict:
    config = {"name": "deepest", "layers": [{"class_name": "Dense", "config": {"units": 1, "name": "d"}}],
              "build_input_shape": [None, 3]}
    for level in range(levels):
        config = {"name": f"level_{level}", "layers": [{"class_name": "Sequential", "config": config}],
                  "build_input_shape": [None, 3]}
    return config


HOSTILE = {
    "cycle in the inner graph": (lambda h: _nested_graph(h)["layers"][1]["inbound_nodes"].__setitem__(
        0, [["base_top", 0, 0]]), "cycle"),
    "dangling node in the inner graph": (lambda h: _nested_graph(h)["layers"][2]["inbound_nodes"].__setitem__(
        0, [["base_hidden", 3, 0]]), "reads node 3 of layer \"base_hidden\""),
    "dangling output of the inner graph": (lambda h: _nested_graph(h).__setitem__("output_layers",
                                                                                    ["nowhere", 0, 0]),
                                           "unknown layer 'nowhere'"),
    "inner graph named Sequential": (lambda h: h["config"]["layers"][0].__setitem__("class_name", "Sequential"),
                                     "no input_layers/output_layers"),
    "stack config named Model": (lambda h: h.__setitem__("class_name", "Model"), "inbound_nodes must be a list"),
    "unknown inner class": (lambda h: h["config"]["layers"][0].__setitem__("class_name", "Functional2"),
                            "Unknown layer class 'Functional2'. Valid names: .*Model.*Sequential"),
    "internal class name": (lambda h: h["config"]["layers"][0].__setitem__("class_name", "BaseModel"),
                            "model class BaseModel cannot be rebuilt from a config"),
    "internal top class name": (lambda h: h.__setitem__("class_name", "BaseModel"),
                                "model class BaseModel cannot be rebuilt from a config"),
    "top class not a model": (lambda h: h.__setitem__("class_name", "Dense"), "Unknown model class 'Dense'"),
    "absurd nesting": (lambda h: h.__setitem__("config", _deep_stack(40)), "nests lists and dicts .* deep"),
    "nesting deeper than JSON allows": (None, "not valid JSON"),
    "inner Input called": (lambda h: _nested_graph(h)["layers"][0].__setitem__("inbound_nodes",
                                                                                 [[["base_top", 0, 0]]]),
                           "is an Input, which is never called"),
}


def _hostile(good: bytes, kind: str) -> bytes:
    change, _ = HOSTILE[kind]
    if change is not None:
        return with_config(good, change)
    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("config.json", '{"format": "pydl-model", "version": 1, "config": ' + "[" * 100_000 + "]" *
                         100_000 + "}")
        archive.writestr("weights.npz", source.read("weights.npz"))
    return out.getvalue()


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_nested_files_are_refused_and_leave_the_callers_model_untouched(kind):
    model = _stack()
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    good = model.to_bytes()
    weights, calls = model.get_weights(), len(model.layers[0]._inbound_nodes)
    data = _hostile(good, kind)
    with pytest.raises(ModelFileError, match=HOSTILE[kind][1]):
        models.from_bytes(data)
    if kind != "nesting deeper than JSON allows":  # (no config to read weights by)
        with pytest.raises(ModelFileError):
            bad_weights = with_config(good, lambda h: h["weights"].pop())
            model.load_weights(io.BytesIO(bad_weights))
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert len(model.layers[0]._inbound_nodes) == calls
    np.testing.assert_array_equal(models.from_bytes(good).predict(X), model.predict(X))
