"""pydl.export.to_torch: the generated nn.Module, its weights loaded by its own build(), predicts what pydl predicts
(float32, to 1e-5), for every supported layer kind, on torch's layouts (images channels first)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch

from pydl import layers, models
from pydl.export import TORCH_LAYERS, to_torch
from tests.export.exported import (MODELS, as_list, leaf_layers, load_generated, randomize, sample_inputs,
                                   trained_digits_convnet)

# float32 on both sides; the two frameworks sum the same products in different orders.
TOLERANCE = 1e-5


def channels_first(array):
    return np.transpose(array, (0, 3, 1, 2)) if array.ndim == 4 else array


def torch_predictions(folder, inputs):
    module = load_generated(folder)
    model = module.build()
    with torch.no_grad():
        outputs = model(*[torch.from_numpy(channels_first(x)) for x in inputs])
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    return module, model, [channels_first_back(y.numpy()) for y in outputs]


def channels_first_back(array):
    return np.transpose(array, (0, 2, 3, 1)) if array.ndim == 4 else array


def assert_same_predictions(model, inputs, folder):
    to_torch(model, folder)
    expected = as_list(model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))
    _, _, got = torch_predictions(folder, inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_module_predicts_what_pydl_predicts(name, tmp_path):
    model = randomize(MODELS[name]())
    assert_same_predictions(model, sample_inputs(model), tmp_path)


def test_a_model_trained_by_fit_exports_with_its_batch_statistics(tmp_path):
    model, inputs = trained_digits_convnet()
    moving_mean = model.layers[1].moving_mean.numpy()
    assert np.abs(moving_mean).max() > 0.01  # fit moved the statistics: a real test of their export
    assert_same_predictions(model, inputs, tmp_path)


def test_every_layer_kind_is_exported_by_some_test_model():
    used = {type(layer).__name__ for build in MODELS.values() for layer in leaf_layers(build())}
    assert set(TORCH_LAYERS) - used == set()


def test_the_module_has_the_layers_in_order_as_named_submodules(tmp_path):
    model = randomize(MODELS["convnet_batch_norm"]())
    module, torch_model, _ = torch_predictions(to_torch(model, tmp_path).parent, sample_inputs(model))
    names = [name for name, _ in torch_model.named_children()]
    assert names == ["conv2d", "batch_normalization", "max_pooling2d", "conv2d_1", "batch_normalization_1",
                     "average_pooling2d", "conv2d_2", "dense", "dense_1"]
    assert isinstance(torch_model.conv2d, torch.nn.Conv2d) and isinstance(torch_model.dense, torch.nn.Linear)
    assert not torch_model.training  # build() returns it ready for inference


def test_the_generated_example_runs_as_its_docstring_shows(tmp_path):
    for name in ("convnet_batch_norm", "two_inputs_two_outputs", "bidirectional_text", "nested"):
        model = randomize(MODELS[name]())
        module = load_generated(to_torch(model, tmp_path / name).parent)
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted >= 2 and result.failed == 0, name


def test_the_weights_file_holds_plain_arrays_and_loads_without_pickle(tmp_path):
    model = randomize(MODELS["two_inputs_two_outputs"]())
    to_torch(model, tmp_path)
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as weights:
        names = set(weights.files)
        assert all(weights[name].dtype != object for name in names)
    module = load_generated(tmp_path)
    assert names == set(module.Model().state_dict())


def test_gru_weights_are_reordered_for_torch_and_the_biases_split(tmp_path):
    layer = layers.GRU(3)
    model = randomize(models.Sequential([layers.Input((4, 2)), layer]))
    to_torch(model, tmp_path)
    with np.load(tmp_path / "weights.npz") as weights:
        # pydl/Keras gates z, r, h; torch r, z, n: torch's first block is pydl's second
        np.testing.assert_array_equal(weights["gru.weight_ih_l0"][:3], layer.kernel.numpy()[:, 3:6].T)
        np.testing.assert_array_equal(weights["gru.bias_hh_l0"][6:], layer.bias.numpy()[1, 6:])


def test_a_float64_model_exports_in_float64(tmp_path):
    from pydl import backend

    backend.set_floatx("float64")
    model = randomize(MODELS["stacked_recurrent"]())
    inputs = [x.astype("float64") for x in sample_inputs(model)]
    to_torch(model, tmp_path)
    _, torch_model, (got,) = torch_predictions(tmp_path, inputs)
    assert next(torch_model.parameters()).dtype == torch.float64
    np.testing.assert_allclose(got, model.predict(inputs[0], verbose=0), rtol=0, atol=1e-12)


def test_frozen_layers_stay_frozen_in_torch(tmp_path):
    model = randomize(MODELS["nested"]())
    model.get_layer("conv_base").trainable = False
    model.get_layer("out").trainable = False
    load = load_generated(to_torch(model, tmp_path).parent).build()
    frozen = sorted(name for name, p in load.named_parameters() if not p.requires_grad)
    assert frozen == ["conv_base.conv2d.bias", "conv_base.conv2d.weight", "out.bias", "out.weight"]


def test_the_example_gives_unknown_lengths_steps_that_every_window_fits(tmp_path):
    model = randomize(models.Sequential([layers.Input((None, 3)), layers.Conv1D(2, 12), layers.GlobalMaxPooling1D()]))
    module = load_generated(to_torch(model, tmp_path).parent)
    assert "torch.zeros(2, 32, 3)" in module.__doc__  # 8 steps are fewer than the window of 12
    assert doctest.testmod(module).failed == 0
