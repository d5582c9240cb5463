"""Embedding: lookups, the scatter-add gradient, PyTorch parity, index checks, and learning a token task."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers, models
from tests.learning import assert_at_least


def test_shapes_and_keras_parameter_count():
    layer = layers.Embedding(10000, 32)
    assert layer([[1, 2, 3], [4, 5, 6]]).shape == (2, 3, 32)
    assert layer.count_params() == 320000 and layer.embeddings.shape == (10000, 32)
    assert layer.compute_output_shape((None, None)) == (None, None, 32)
    assert layer(np.zeros((5, 9), dtype="int32")).shape == (5, 9, 32)  # any length later
    values = layer.embeddings.numpy()
    assert np.abs(values).max() <= 0.05 and np.abs(values).max() > 0.049  # Keras' "uniform": [-0.05, 0.05]


def test_lookup_returns_rows_and_gradient_adds_up_repeated_tokens():
    layer = layers.Embedding(6, 3, dtype="float64")
    indices = np.array([[0, 4, 4], [4, 2, 0]])
    out = layer(indices)
    np.testing.assert_array_equal(out.numpy(), layer.embeddings.numpy()[indices])
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    expected = np.zeros((6, 3))
    np.add.at(expected, indices, upstream)
    np.testing.assert_allclose(layer.embeddings.grad, expected, rtol=1e-12)
    assert not layer.embeddings.grad[[1, 3, 5]].any()  # tokens not in the batch get no gradient


def test_matches_torch_embedding():
    rng = np.random.default_rng(1)
    layer = layers.Embedding(7, 4, dtype="float64", embeddings_initializer="random_normal")
    indices = rng.integers(0, 7, (3, 5))
    out = layer(indices)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    module = torch.nn.Embedding(7, 4).double()
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.embeddings.numpy()))
    t_out = module(torch.tensor(indices))
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(layer.embeddings.grad, module.weight.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_whole_number_floats_are_indices():
    layer = layers.Embedding(5, 2)
    np.testing.assert_array_equal(layer(np.array([[1.0, 4.0]])).numpy(), layer(np.array([[1, 4]])).numpy())


@pytest.mark.parametrize("bad, message", [
    (np.array([[1, 5]]), r'"emb" got token index 5, outside \[0, 5\) \(input_dim=5\)'),
    (np.array([[-1, 2]]), r'"emb" got token index -1, outside \[0, 5\)'),
    (np.array([[0.5, 2.0]]), r'"emb" expects integer token indices, but got float64 values that are not whole'),
    (np.array([[np.nan, 2.0]]), r'"emb" expects integer token indices'),
])
def test_bad_indices_are_named_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        layers.Embedding(5, 2, name="emb")(bad)


def test_non_numeric_indices_and_wrong_rank_are_named_errors():
    layer = layers.Embedding(5, 2, name="emb")
    with pytest.raises(TypeError, match=r'"emb" expects integer token indices, got an array of dtype bool'):
        layer(np.array([[True, False]]))
    with pytest.raises(ValueError, match=r'"emb" expects input shape \(None, None\), but got \(2, 3, 4\)'):
        layer(np.zeros((2, 3, 4), dtype=int))


def test_input_length_fixes_the_sequence_length_for_flatten():
    model = models.Sequential([layers.Embedding(50, 8, input_length=10), layers.Flatten(), layers.Dense(1)])
    assert model.built and model.output_shape == (None, 1) and model.count_params() == 50 * 8 + 81
    with pytest.raises(ValueError, match=r'expects input shape \(None, 10\), but got \(2, 12\)'):
        model.layers[0](np.zeros((2, 12), dtype=int))


def test_config_round_trip():
    layer = layers.Embedding(30, 4, input_length=6, embeddings_regularizer="l2", name="words")
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, layers.Embedding) and clone.get_config() == layer.get_config()
    assert clone.batch_input_shape == (None, 6)


def _count_task(n, seed, vocabulary=100, length=20):
    """Label 1 when a sequence holds more "positive" tokens (10..19) than "negative" ones (20..29), 0 when fewer
    (ties dropped). Order does not matter, so averaging word vectors can solve it; memorising sequences cannot."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocabulary, (3 * n, length))
    balance = ((tokens >= 10) & (tokens < 20)).sum(1) - ((tokens >= 20) & (tokens < 30)).sum(1)
    keep = balance != 0
    return tokens[keep][:n], (balance[keep][:n] > 0).astype("float32")


def test_embedding_and_global_average_pooling_learn_a_token_count_task():
    x_train, y_train = _count_task(1000, seed=0)
    x_test, y_test = _count_task(500, seed=1)
    baseline = max(y_test.mean(), 1 - y_test.mean())
    pydl.seed(0)
    model = models.Sequential([layers.Embedding(100, 8), layers.GlobalAveragePooling1D(),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert baseline < 0.6
    assert_at_least(accuracy, 0.9, "embedding + pooling: test accuracy")
