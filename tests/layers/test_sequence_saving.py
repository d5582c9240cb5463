"""Models made of the sequence layers survive save/load with identical predictions."""

import numpy as np
import pytest

import pydl
from pydl import layers, models


def _tokens():
    return np.random.default_rng(0).integers(0, 50, (6, 9))


def _features():
    return np.random.default_rng(0).standard_normal((6, 12, 3)).astype("float32")


MODELS = {
    "embedding and recurrent stack": (lambda: [
        layers.Embedding(50, 8), layers.SimpleRNN(6, return_sequences=True), layers.LSTM(5, return_sequences=True),
        layers.GRU(4, return_sequences=True), layers.GRU(3, reset_after=False), layers.Dense(2)], _tokens),
    "conv1d and pooling": (lambda: [
        layers.Input((12, 3)), layers.Conv1D(4, 3, padding="same", activation="relu"), layers.MaxPooling1D(2),
        layers.AveragePooling1D(2, padding="same"), layers.Conv1D(5, 2), layers.GlobalMaxPooling1D(),
        layers.Dense(2)], _features),
    "causal dilated conv1d stack": (lambda: [
        layers.Input((12, 3)), layers.Conv1D(4, 2, padding="causal", activation="relu"),
        layers.Conv1D(4, 2, padding="causal", dilation_rate=2, activation="relu"),
        layers.Conv1D(4, 3, dilation_rate=4), layers.GlobalAveragePooling1D(), layers.Dense(2)], _features),
    "global average over an LSTM's sequence": (lambda: [
        layers.Input((12, 3)), layers.LSTM(4, return_sequences=True), layers.GlobalAveragePooling1D(),
        layers.Dense(1)], _features),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_save_and_load_give_identical_predictions(name, tmp_path):
    make_layers, make_data = MODELS[name]
    x = make_data()
    pydl.seed(0)
    model = models.Sequential(make_layers())
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((len(x),) + model.predict(x[:1]).shape[1:]), epochs=2, batch_size=3, verbose=0)
    model.save(tmp_path / "model.pydl")
    loaded = models.load_model(tmp_path / "model.pydl")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
