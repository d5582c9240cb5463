"""pydl.registry: one lookup, one rule for names and one error message for every kind of named object."""

import json

import numpy as np
import pytest

from pydl import activations, initializers, layers, losses, metrics, optimizers, registry, regularizers


@pytest.fixture(autouse=True)
def _registry_restored():
    """What a test registers is forgotten after it (the registry is process-wide)."""
    saved = {kind: (dict(registry._by_name[kind]), dict(registry._primary[kind])) for kind in registry.KINDS}
    yield
    for kind, (by_name, primary) in saved.items():
        registry._by_name[kind].clear()
        registry._by_name[kind].update(by_name)
        registry._primary[kind].clear()
        registry._primary[kind].update(primary)


@pytest.mark.parametrize("kind, spellings, expected", [
    ("initializer", ["glorot_uniform", "GlorotUniform", "GLOROT_UNIFORM", "glorotuniform"], initializers.GlorotUniform),
    ("initializer", ["uniform", "random_uniform", "RandomUniform"], initializers.RandomUniform),
    ("regularizer", ["l2", "L2"], regularizers.L2),
    ("regularizer", ["l1l2", "L1L2"], regularizers.L1L2),
    ("loss", ["mse", "MSE", "mean_squared_error", "Mean_Squared_Error"], losses.mean_squared_error),
    ("loss", ["MeanSquaredError", "meansquarederror"], losses.MeanSquaredError),
    ("metric", ["acc", "ACC", "accuracy", "Accuracy"], metrics.accuracy),
    ("optimizer", ["adam", "Adam", "ADAM"], optimizers.Adam),
    ("optimizer", ["rmsprop", "RMSprop"], optimizers.RMSprop),
    ("activation", ["relu", "ReLU", "RELU"], activations.relu),
    ("layer", ["Dense", "dense"], layers.Dense),
    ("layer", ["MaxPooling2D", "MaxPool2D", "maxpool2d"], layers.MaxPooling2D),
])
def test_every_spelling_of_a_name_finds_the_same_object(kind, spellings, expected):
    assert all(registry.lookup(kind, name) is expected for name in spellings)


def test_names_give_instances_of_classes_and_functions_as_they_are():
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(losses.get("Huber"), losses.Huber) and losses.get("huber") is losses.huber
    assert isinstance(optimizers.get("SGD"), optimizers.SGD)
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}  # Keras 3: a name takes the defaults


def test_a_name_two_objects_answer_to_without_case_is_refused_with_both():
    with pytest.raises(ValueError, match="'HUBER' could be 'Huber' and 'huber'; spell it as one of them"):
        losses.get("HUBER")


@pytest.mark.parametrize("kind, get, label", [
    ("activation", activations.get, "activation"), ("initializer", initializers.get, "initializer"),
    ("regularizer", regularizers.get, "regularizer"), ("loss", losses.get, "loss"),
    ("metric", metrics.get, "metric"), ("optimizer", optimizers.get, "optimizer"),
    ("layer", layers.get, "layer class"),
])
def test_an_unknown_name_gets_one_message_listing_the_valid_names(kind, get, label):
    with pytest.raises(ValueError) as caught:
        get("no_such_thing")
    message = str(caught.value)
    valid = registry.names(kind)
    assert message == f"Unknown {label} 'no_such_thing'. Valid names: {', '.join(valid)} (case does not matter)."
    assert len(valid) >= 3


def test_a_config_that_the_class_does_not_take_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="Invalid config for initializer 'RandomNormal'"):
        initializers.get({"class_name": "RandomNormal", "config": {"sigma": 2.0}})
    with pytest.raises(ValueError, match="The config of optimizer 'Adam' must be a dict"):
        optimizers.get({"class_name": "Adam", "config": [1, 2]})
    with pytest.raises(ValueError, match="'relu' is a function and takes no config"):
        registry.deserialize("activation", {"class_name": "relu", "config": {"alpha": 1}})


def test_layer_classes_register_themselves_and_round_trip():
    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = float(factor)

        def call(self, inputs, training=None):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    config = json.loads(json.dumps(layers.serialize(Scale(3.0, name="triple"))))
    clone = layers.deserialize(config)
    assert type(clone) is Scale and clone.factor == 3.0 and clone.name == "triple"
    np.testing.assert_allclose(clone(np.ones((1, 2))).numpy(), [[3.0, 3.0]])


def test_a_class_cannot_take_a_name_pydl_already_uses():
    class Dense(layers.Layer):  # a user's own Dense (a teaching exercise) must not replace pydl's for loading
        pass

    assert registry.lookup("layer", "Dense") is layers.Dense
    with pytest.raises(ValueError, match="'Dense' is pydl's pydl.layers.core.Dense; register"):
        registry.register("layer", Dense)
    with pytest.raises(ValueError, match="Cannot serialize the layer class"):
        layers.serialize(Dense())


def test_registered_functions_serialize_by_name_and_others_are_refused():
    def halve(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean() / 2

    with pytest.raises(ValueError, match=r"Cannot serialize the loss .*pydl.registry.register\('loss', \.\.\.\)"):
        losses.serialize(halve)
    registry.register("loss", halve)
    assert losses.serialize(halve) == "halve" and losses.get("halve") is halve
    assert losses.serialize(losses.get("mse")) == "mean_squared_error"


def test_none_means_what_the_kind_defines():
    assert activations.get(None) is activations.linear
    assert initializers.get(None) is None and regularizers.get(None) is None
    assert isinstance(initializers.get(None, default="orthogonal"), initializers.Orthogonal)
    for get in (losses.get, metrics.get, optimizers.get, layers.get):
        with pytest.raises(ValueError, match="Unknown .* None. Valid names"):
            get(None)
