"""Sequential: building, summary, weights, config, the training API's return values, freezing, regularization,
input handling, label checks and the per-step overhead against hand-written NumPy."""


import numpy as np
import pytest

import pydl
from pydl import layers, losses, models, optimizers, regularizers


def _mlp(**compile_kw):
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(8,)),
                               layers.Dense(3, activation="softmax")])
    if compile_kw:
        model.compile(**compile_kw)
    return model


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 8)).astype(np.float32), rng.integers(0, 3, n)


@pytest.mark.parametrize("make", [
    lambda: models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)), layers.Dense(10)]),
    lambda: models.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"), layers.Dense(10)]),
])
def test_built_from_input_shape_or_input_layer(make):
    model = make()
    assert model.built and model.input_shape == (None, 784) and model.output_shape == (None, 10)
    assert [layer.count_params() for layer in model.layers] == [401920, 5130]
    assert len(model.layers) == 2  # the Input layer is not a layer of the stack, as in Keras


def test_built_on_first_call():
    model = models.Sequential()
    model.add(layers.Dense(4))
    assert not model.built
    out = model(np.ones((2, 3), dtype=np.float32))
    assert out.shape == (2, 4) and model.built and model.input_shape == (None, 3)
    with pytest.raises(ValueError, match="not built"):
        models.Sequential([layers.Dense(2)]).summary()


def test_summary_like_keras(capsys):
    model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                               layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out
    assert "dense (Dense)" in out and "(None, 512)" in out and "401,920" in out
    assert "dropout (Dropout)" in out and "dense_1 (Dense)" in out and "5,130" in out
    assert "Total params: 407,050" in out and "Trainable params: 407,050" in out and "Non-trainable params: 0" in out


def test_summary_counts_non_trainable_weights(capsys):
    model = models.Sequential([layers.Dense(4, input_shape=(3,)), layers.BatchNormalization()])
    model.summary()
    out = capsys.readouterr().out
    assert "Total params: 32" in out and "Trainable params: 24" in out and "Non-trainable params: 8" in out


def test_add_rejects_non_layers_duplicates_and_misfits():
    model = _mlp()
    with pytest.raises(TypeError):
        model.add("dense")
    with pytest.raises(ValueError, match="already"):
        model.add(model.layers[0])
    before = len(model.layers)
    with pytest.raises(ValueError):
        model.add(layers.Conv2D(4, 3))  # a 2-D input cannot feed a convolution
    assert len(model.layers) == before


def test_weights_get_set_and_validation():
    model = _mlp()
    assert len(model.weights) == 4 and len(model.trainable_weights) == 4 and model.non_trainable_weights == []
    values = [w + 1 for w in model.get_weights()]
    model.set_weights(values)
    np.testing.assert_array_equal(model.get_weights()[0], values[0])
    original = model.get_weights()
    with pytest.raises(ValueError, match="shape"):
        model.set_weights(values[:3] + [np.zeros(4)])
    with pytest.raises(ValueError, match="4 weight arrays"):
        model.set_weights(values[:2])
    for a, b in zip(model.get_weights(), original):
        np.testing.assert_array_equal(a, b)  # nothing was assigned


def test_config_round_trip_rebuilds_the_same_architecture():
    model = _mlp()
    clone = models.Sequential.from_config(model.get_config())
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert clone.count_params() == model.count_params() and clone.output_shape == model.output_shape


def test_train_test_predict_on_batch_return_keras_shapes():
    x, y = _data()
    model = _mlp(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0 <= acc <= 1
    assert set(model.test_on_batch(x, y, return_dict=True)) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (40, 3)
    plain = _mlp(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(plain.train_on_batch(x, y), float) and isinstance(plain.evaluate(x, y, verbose=0), float)


def test_evaluate_matches_the_loss_on_all_data_and_predict_is_numpy():
    x, y = _data(70)
    model = _mlp(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, batch_size=16, verbose=0)
    probs = model.predict(x, batch_size=16)
    assert isinstance(probs, np.ndarray) and probs.shape == (70, 3) and probs.dtype == np.float32
    assert loss == pytest.approx(losses.sparse_categorical_crossentropy(y, pydl.tensor(probs)).mean().item(), rel=1e-5)
    assert acc == pytest.approx((probs.argmax(1) == y).mean())


def test_validation_split_takes_the_last_fraction():
    x, y = _data(50)
    seen = []

    class Spy(models.Sequential):
        def evaluate(self, x, y, **kw):
            seen.append(x.copy())
            return super().evaluate(x, y, **kw)

    model = Spy([layers.Dense(3, activation="softmax", input_shape=(8,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    np.testing.assert_array_equal(seen[0], x[40:])
    assert "val_loss" in history.history


def test_fit_accepts_lists_and_casts_integer_inputs():
    model = models.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit([[0, 1], [1, 0], [1, 1]], [1.0, 2.0, 3.0], epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(np.array([[1, 1]], dtype=np.uint8)).dtype == np.float32


def test_float64_models_stay_float64():
    pydl.backend.set_floatx("float64")
    model = _mlp(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data()
    model.train_on_batch(x, y)
    assert all(w.dtype == np.float64 for w in model.weights) and model.predict(x).dtype == np.float64


def test_frozen_layers_do_not_change():
    x, y = _data()
    model = _mlp()
    model.layers[0].trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    frozen = model.layers[0].get_weights()
    trained = model.layers[1].get_weights()
    model.fit(x, y, epochs=3, verbose=0)
    for a, b in zip(model.layers[0].get_weights(), frozen):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model.layers[1].get_weights()[0], trained[0])
    assert len(model.trainable_weights) == 2


def test_regularization_is_added_to_training_loss_only():
    x, y = _data()
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(8,),
                                            kernel_regularizer=regularizers.l2(0.5))])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy")
    kernel = model.layers[0].kernel.data
    penalty = 0.5 * float((kernel.astype(np.float64) ** 2).sum())
    plain = model.evaluate(x, y, batch_size=40, verbose=0)
    assert model.train_on_batch(x, y) == pytest.approx(plain + penalty, rel=1e-5)


def test_compile_and_label_errors_are_helpful():
    x, y = _data()
    with pytest.raises(RuntimeError, match="compile"):
        _mlp().fit(x, y)
    with pytest.raises(ValueError, match="Valid names"):
        _mlp(optimizer="sgd", loss="crossentropy")
    with pytest.raises(ValueError, match="Unknown optimizer"):
        _mlp(optimizer="sgdd", loss="mse")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        _mlp(optimizer="sgd", loss="categorical_crossentropy").fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        _mlp(optimizer="sgd", loss="sparse_categorical_crossentropy").fit(x, np.eye(3)[y], verbose=0)
    with pytest.raises(ValueError, match="same length"):
        _mlp(optimizer="sgd", loss="sparse_categorical_crossentropy").fit(x, y[:5], verbose=0)
    with pytest.raises(ValueError, match="dense"):
        _mlp(optimizer="sgd", loss="sparse_categorical_crossentropy").fit(x[:, :5], y, verbose=0)


def test_pytorch_style_loop_with_model_call():
    x, y = _data()
    model = _mlp()
    opt = optimizers.SGD(params=model.trainable_weights, learning_rate=0.5)
    first = None
    for _ in range(20):
        loss = losses.SparseCategoricalCrossentropy()(y, model(x, training=True))
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first
