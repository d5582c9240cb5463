"""Models on the GPU: layers, losses, optimizers, fit/evaluate/predict, the steppable loop and saving, on CuPy.

Each comparison builds one model on the CPU, copies its weights into the same model built with the CuPy backend,
trains both on the same batches in float64 and compares losses, predictions and weights. The learning tests of
tests/models/test_learning.py run again with the GPU backend. Runs only where CuPy sees a GPU (not in CI).
"""

import contextlib

import numpy as np
import pytest

import pydl
from pydl import backend, callbacks, layers, models, optimizers
from pydl.backend import DeviceMismatchError
from pydl.datasets import load_digits
from tests.models import test_learning

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.gpu_available(), reason="needs CuPy and a GPU"),
]


@contextlib.contextmanager
def backend_named(name):
    previous = backend.get_backend()
    backend.set_backend(name)
    try:
        yield
    finally:
        backend.set_backend(previous)


@pytest.fixture
def float64():
    backend.set_floatx("float64")  # the conftest fixture restores float32 afterwards


def _mlp():
    return [layers.Input((12,)), layers.Dense(16, activation="relu"), layers.Dense(8, activation="tanh"),
            layers.Dense(4, activation="softmax")]


def _convnet():
    return [layers.Input((10, 10, 2)), layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Conv2D(6, 3, strides=2),
            layers.GlobalAveragePooling2D(), layers.Dense(4, activation="softmax")]


def _recurrent():
    return [layers.Input((7, 5)), layers.LSTM(6, return_sequences=True), layers.GRU(5, return_sequences=True),
            layers.SimpleRNN(4), layers.Dense(4, activation="softmax")]


def _text():
    return [layers.Input((9,)), layers.Embedding(20, 6), layers.Conv1D(5, 3, activation="relu"),
            layers.MaxPooling1D(2),
            layers.Bidirectional(layers.LSTM(3)), layers.Dense(4, activation="softmax")]


def _decoder():
    return [layers.Input((6,)), layers.Dense(16), layers.Reshape((2, 2, 4)),
            layers.Conv2DTranspose(3, 3, strides=2, padding="same"), layers.LeakyReLU(0.2), layers.UpSampling2D(),
            layers.SeparableConv2D(2, 3, padding="same"), layers.PReLU(), layers.DepthwiseConv2D(3),
            layers.Flatten(), layers.Dense(4, activation="softmax")]


MODELS = {"mlp": _mlp, "convnet": _convnet, "recurrent": _recurrent, "text": _text, "decoder": _decoder}
INPUTS = {"mlp": (12,), "convnet": (10, 10, 2), "recurrent": (7, 5), "text": (9,), "decoder": (6,)}


def _inputs(name, batch=16):
    rng = np.random.default_rng(1)
    if name == "text":
        return rng.integers(0, 20, (batch, 9)), rng.integers(0, 4, batch)
    return rng.normal(size=(batch, *INPUTS[name])), rng.integers(0, 4, batch)


def _twins(name, optimizer=lambda: optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy"):
    """The same compiled model on the CPU and on the GPU, with equal weights."""
    built = []
    for backend_name in ("numpy", "cupy"):
        with backend_named(backend_name):
            pydl.seed(0)
            model = models.Sequential(MODELS[name]())
            model.compile(optimizer=optimizer(), loss=loss, metrics=["accuracy"])
        built.append(model)
    cpu, gpu = built
    gpu.set_weights(cpu.get_weights())
    return cpu, gpu


@pytest.mark.parametrize("name", sorted(MODELS))
def test_weights_live_on_the_gpu(name):
    _, gpu = _twins(name)
    assert {backend.device_of(w.data) for w in gpu.weights} == {"gpu"}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_training_steps_on_the_gpu_match_the_cpu(name, float64):
    cpu, gpu = _twins(name)
    x, y = _inputs(name)
    for _ in range(3):
        cpu_loss = cpu.train_on_batch(x, y)
        with backend_named("cupy"):
            gpu_loss = gpu.train_on_batch(x, y)
        np.testing.assert_allclose(np.ravel(gpu_loss), np.ravel(cpu_loss), rtol=1e-9)
    for cpu_weight, gpu_weight in zip(cpu.get_weights(), gpu.get_weights(), strict=True):
        np.testing.assert_allclose(gpu_weight, cpu_weight, rtol=1e-8, atol=1e-11)
    prediction = gpu.predict(x, verbose=0)
    assert isinstance(prediction, np.ndarray)  # results come back to the host, as Keras returns NumPy
    np.testing.assert_allclose(prediction, cpu.predict(x, verbose=0), rtol=1e-9, atol=1e-12)


OPTIMIZERS = {
    "sgd momentum nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "adam amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "adagrad clipnorm": lambda: optimizers.Adagrad(learning_rate=0.1, clipnorm=0.5),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_each_optimizer_steps_the_same_on_the_gpu(optimizer, float64):
    cpu, gpu = _twins("mlp", optimizer=OPTIMIZERS[optimizer])
    x, y = _inputs("mlp")
    for _ in range(3):
        cpu.train_on_batch(x, y)
        gpu.train_on_batch(x, y)
    for cpu_weight, gpu_weight in zip(cpu.get_weights(), gpu.get_weights(), strict=True):
        np.testing.assert_allclose(gpu_weight, cpu_weight, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "binary_crossentropy", "mse", "huber", "mae"])
def test_losses_and_metrics_on_the_gpu_match_the_cpu(loss, float64):
    cpu, gpu = _twins("mlp", loss=loss)
    x, labels = _inputs("mlp")
    y = np.eye(4)[labels]
    cpu_result = cpu.evaluate(x, y, verbose=0)
    gpu_result = gpu.evaluate(x, y, verbose=0)
    assert all(isinstance(value, float) for value in gpu_result)
    np.testing.assert_allclose(gpu_result, cpu_result, rtol=1e-9)


def test_fit_on_the_gpu_with_validation_and_callbacks(float64):
    cpu, gpu = _twins("mlp")
    x, y = _inputs("mlp", batch=64)
    runs = []
    for model in (cpu, gpu):
        stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
        history = model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0, seed=3,
                            callbacks=[stop], sample_weight=np.linspace(0.5, 1.5, len(x)))
        runs.append(history.history)
    cpu_history, gpu_history = runs
    assert sorted(gpu_history) == sorted(cpu_history)
    for key in cpu_history:
        np.testing.assert_allclose(gpu_history[key], cpu_history[key], rtol=1e-8)


def test_the_steppable_loop_on_the_gpu_gives_what_fit_gives(float64):
    x, y = _inputs("recurrent", batch=40)
    _, stepped = _twins("recurrent")
    _, fitted = _twins("recurrent")
    loop = stepped.training_loop(x, y, batch_size=8, epochs=2, verbose=0, seed=5)
    while not loop.done:
        loop.step(max_batches=3)
    history = fitted.fit(x, y, batch_size=8, epochs=2, verbose=0, seed=5)
    np.testing.assert_allclose(loop.history.history["loss"], history.history["loss"], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_model_saved_from_the_gpu_loads_on_either_device(name, tmp_path):
    _, gpu = _twins(name)
    x, y = _inputs(name)
    gpu.train_on_batch(x, y)  # optimizer slots exist on the GPU too
    path = tmp_path / "model.keras"
    gpu.save(path)
    expected = gpu.predict(x, verbose=0)
    with backend_named("numpy"):
        on_cpu = models.load_model(path)
    with backend_named("cupy"):
        on_gpu = models.load_model(path)
    assert {backend.device_of(w.data) for w in on_gpu.weights} == {"gpu"}
    assert {backend.device_of(w.data) for w in on_cpu.weights} == {"cpu"}
    np.testing.assert_allclose(on_cpu.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(on_gpu.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_a_nan_loss_on_the_gpu_stops_training_with_a_message():
    _, gpu = _twins("mlp")
    x, y = _inputs("mlp", batch=32)
    x[5, 0] = np.nan
    with pytest.warns(RuntimeWarning, match="Loss became NaN"):
        history = gpu.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert "NaN" in history.stop_reason
    assert all(np.isfinite(weight).all() for weight in gpu.get_weights())  # the NaN batch was not applied


def test_a_cpu_array_meeting_a_gpu_tensor_names_the_op():
    gpu_tensor = pydl.Tensor(np.ones((2, 3))).to("gpu")
    with pytest.raises(DeviceMismatchError, match="matmul"):
        pydl.Tensor(np.ones((3, 2))) @ gpu_tensor


def test_gradients_flow_back_across_a_device_move():
    host = pydl.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, dtype="float64")
    (host.to("gpu") ** 2).sum().backward()
    assert backend.device_of(host.grad.data if hasattr(host.grad, "data") else host.grad) == "cpu"
    np.testing.assert_allclose(backend.to_numpy(host.grad), 2 * np.arange(6.0).reshape(2, 3))


@pytest.fixture
def gpu_backend():
    with backend_named("cupy"):
        yield


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = load_digits()
    return (x_train / 16.0, y_train), (x_test / 16.0, y_test)


def test_mlp_learns_held_out_digits_on_the_gpu(digits, gpu_backend):
    test_learning.test_mlp_reaches_94_percent_on_held_out_digits(digits)


def test_augmented_convnet_learns_held_out_digits_on_the_gpu(digits, gpu_backend):
    test_learning.test_augmented_convnet_reaches_96_percent_on_held_out_digits(digits)


def test_numpy_gradients_values_and_statistics_meet_gpu_tensors_as_keras_takes_them():
    from pydl import keras_backend as K
    from pydl.ops.normalization import batch_norm

    results = {}
    for name in ("numpy", "cupy"):
        with backend_named(name):
            w = pydl.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
            opt = optimizers.Adam(learning_rate=0.1, params=[w])
            w.grad = np.array([0.5, -0.5])  # a NumPy gradient, set by hand
            opt.step()
            opt.apply_gradients([(np.array([0.25, 0.25]), w)])
            v = K.variable(np.zeros((1, 2)))
            K.set_value(v, np.array([[3.0, 4.0]]))
            x = pydl.tensor(np.arange(6.0).reshape(3, 2), dtype="float64")
            normalized = batch_norm(x, mean=np.array([1.0, 2.0]), var=np.array([4.0, 9.0]), epsilon=0.0)
            results[name] = [backend.to_numpy(a) for a in (w.data, v.data, normalized.data)]
            assert backend.device_of(w.data) == backend.device_of(v.data) == ("gpu" if name == "cupy" else "cpu")
    for cpu, gpu in zip(results["numpy"], results["cupy"], strict=True):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-12)
