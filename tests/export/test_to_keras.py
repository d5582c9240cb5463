"""pydl.export.to_keras: the generated Keras 3 model, its weights loaded by its own build(), predicts what pydl
predicts (float32, to 1e-5), for every supported layer kind; Keras runs on the PyTorch backend (tests/conftest.py)."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

from pydl.export import KERAS_LAYERS, to_keras
from tests.export.exported import (MODELS, as_list, leaf_layers, load_generated, randomize, sample_inputs,
                                   trained_digits_convnet)

# float32 on both sides; the two frameworks sum the same products in different orders.
TOLERANCE = 1e-5


def assert_same_predictions(model, inputs, folder):
    to_keras(model, folder)
    keras_model = load_generated(folder).build()
    argument = inputs if len(inputs) > 1 else inputs[0]
    expected = as_list(model.predict(argument, verbose=0))
    got = as_list(keras_model.predict(argument, verbose=0))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=0, atol=TOLERANCE)
    return keras_model


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_keras_model_predicts_what_pydl_predicts(name, tmp_path):
    model = randomize(MODELS[name]())
    keras_model = assert_same_predictions(model, sample_inputs(model), tmp_path)
    assert keras_model.count_params() == model.count_params()


def test_a_model_trained_by_fit_exports_with_its_batch_statistics(tmp_path):
    model, inputs = trained_digits_convnet()
    assert_same_predictions(model, inputs, tmp_path)


def test_every_layer_kind_is_exported_by_some_test_model():
    used = {type(layer).__name__ for build in MODELS.values() for layer in leaf_layers(build())}
    assert set(KERAS_LAYERS) - used == set()


def test_a_stack_becomes_keras_sequential_and_a_graph_a_functional_model(tmp_path):
    stack = load_generated(to_keras(randomize(MODELS["mlp"]()), tmp_path / "mlp").parent).build()
    graph = load_generated(to_keras(randomize(MODELS["nested"]()), tmp_path / "nested").parent).build()
    assert isinstance(stack, keras.Sequential)
    assert [layer.name for layer in stack.layers] == ["flatten", "dense", "batch_normalization", "dropout", "dense_1",
                                                      "batch_normalization_1", "dense_2"]
    assert not isinstance(graph, keras.Sequential) and isinstance(graph.get_layer("conv_base"), keras.Sequential)
    assert [layer.name for layer in graph.get_layer("encoder").layers] == ["features", "flat", "code", "side"]


def test_gru_without_reset_after_and_other_keras_only_options_export_to_keras(tmp_path):
    from pydl import layers, models

    model = randomize(models.Sequential([
        layers.Input((6, 3)), layers.GRU(4, reset_after=False, return_sequences=True),
        layers.LSTM(3, activation="relu", recurrent_activation="tanh"), layers.Dense(2)]))
    assert_same_predictions(model, sample_inputs(model), tmp_path)


def test_the_generated_example_runs_as_its_docstring_shows(tmp_path):
    for name in ("convnet_batch_norm", "two_inputs_two_outputs", "bidirectional_text", "nested"):
        module = load_generated(to_keras(randomize(MODELS[name]()), tmp_path / name).parent)
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted >= 2 and result.failed == 0, name


def test_frozen_layers_and_models_stay_frozen_in_keras(tmp_path):
    model = randomize(MODELS["nested"]())
    model.get_layer("conv_base").trainable = False
    model.get_layer("out").trainable = False
    keras_model = load_generated(to_keras(model, tmp_path).parent).build()
    assert not keras_model.get_layer("conv_base").trainable and not keras_model.get_layer("out").trainable
    assert sorted(w.path for w in keras_model.trainable_weights) == sorted(w.name for w in model.trainable_weights)
    assert len(keras_model.trainable_weights) == 4  # the encoder's two Dense layers


def test_a_float64_model_exports_in_float64(tmp_path):
    from pydl import backend, layers, models

    backend.set_floatx("float64")
    model = randomize(models.Sequential([layers.Input((6, 3)), layers.Bidirectional(layers.GRU(4)),
                                         layers.Dense(2)]))
    backend.set_floatx("float32")  # the export reads each layer's own dtype, not the global default
    inputs = np.random.default_rng(0).normal(size=(3, 6, 3))
    to_keras(model, tmp_path)
    keras_model = load_generated(tmp_path).build()
    assert {w.dtype for w in keras_model.weights} == {"float64"}  # the weights keep every bit
    # Keras 3 off TensorFlow promotes float64 products to float32 (keras/src/backend/common/dtypes.py,
    # BIT64_TO_BIT32_DTYPE): a float64 Keras Dense alone is 4e-8 from NumPy's float64 product. So float32's margin.
    np.testing.assert_allclose(keras_model.predict(inputs, verbose=0), model.predict(inputs, verbose=0), rtol=0,
                               atol=1e-6)
