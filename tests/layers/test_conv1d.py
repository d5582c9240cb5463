"""Conv1D and the 1-D poolings: Keras' shapes and counts, PyTorch parity, errors, and learning an ordered pattern."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pydl
from pydl import layers, models
from pydl.ops.conv import same_padding
from tests.learning import assert_at_least, assert_below


def test_keras_shapes_and_parameter_count():
    x = np.zeros((2, 500, 128))
    layer = layers.Conv1D(32, 7, activation="relu")
    assert layer(x).shape == (2, 494, 32) and layer.count_params() == 7 * 128 * 32 + 32
    assert layer.kernel.shape == (7, 128, 32)
    assert layers.Conv1D(4, 3, padding="same")(x).shape == (2, 500, 4)
    assert layers.Conv1D(4, 3, strides=2, padding="same").compute_output_shape((None, 9, 1)) == (None, 5, 4)
    assert layers.MaxPooling1D(5)(np.zeros((2, 494, 32))).shape == (2, 98, 32)
    assert layers.MaxPooling1D(2, padding="same").compute_output_shape((None, 7, 3)) == (None, 4, 3)
    assert layers.GlobalMaxPooling1D()(np.zeros((2, 98, 32))).shape == (2, 32)
    assert layers.GlobalAveragePooling1D(keepdims=True)(np.zeros((2, 98, 32))).shape == (2, 1, 32)


@pytest.mark.parametrize("make", [lambda: layers.Conv1D(2, 3), lambda: layers.MaxPooling1D(2),
                                  lambda: layers.GlobalAveragePooling1D()])
def test_wrong_rank_or_channels_name_the_layer_and_shapes(make):
    layer = make()
    with pytest.raises(ValueError, match=rf'"{layer.name}" expects 3-D input \(batch, steps, channels\).*'
                                         r"\(None, 8, 8, 1\)"):
        layer(np.zeros((2, 8, 8, 1)))
    layer(np.zeros((2, 8, 3)))
    layer(np.zeros((2, 11, 3)))  # any sequence length
    with pytest.raises(ValueError, match=r"expects input shape \(None, None, 3\), but got \(2, 8, 4\)"):
        layer(np.zeros((2, 8, 4)))


def test_window_longer_than_the_sequence_is_an_error():
    with pytest.raises(ValueError, match="smaller than the window"):
        layers.Conv1D(2, 5)(np.zeros((1, 3, 2)))


@pytest.mark.parametrize("strides, padding", [(1, "valid"), (1, "same"), (2, "valid"), (2, "same")])
def test_conv1d_matches_torch(strides, padding):
    rng = np.random.default_rng(0)
    layer = layers.Conv1D(4, 3, strides=strides, padding=padding, dtype="float64", bias_initializer="random_normal")
    x = pydl.tensor(rng.standard_normal((2, 9, 3)), requires_grad=True)
    out = layer(x)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)

    conv = torch.nn.Conv1d(3, 4, 3, stride=strides).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(layer.kernel.numpy().transpose(2, 1, 0)))  # (k, I, O) -> (O, I, k)
        conv.bias.copy_(torch.tensor(layer.bias.numpy()))
    tx = torch.tensor(x.numpy().transpose(0, 2, 1).copy(), requires_grad=True)
    t_out = conv(F.pad(tx, same_padding(9, 3, strides)) if padding == "same" else tx)
    t_out.backward(torch.tensor(upstream.transpose(0, 2, 1).copy()))

    close = dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy().transpose(0, 2, 1), **close)
    np.testing.assert_allclose(x.grad, tx.grad.numpy().transpose(0, 2, 1), **close)
    np.testing.assert_allclose(layer.kernel.grad, conv.weight.grad.numpy().transpose(2, 1, 0), **close)
    np.testing.assert_allclose(layer.bias.grad, conv.bias.grad.numpy(), **close)


def _torch_conv1d_like(layer, tx, steps):
    """``layer``'s Conv1D in PyTorch: F.pad on the left for "causal", TF's split for "same", then conv1d."""
    weight = torch.tensor(layer.kernel.numpy().transpose(2, 1, 0), requires_grad=True)  # (k, I, O) -> (O, I, k)
    bias = torch.tensor(layer.bias.numpy(), requires_grad=True)
    span = layer.dilation_rate * (layer.kernel_size - 1) + 1
    if layer.padding == "causal":
        tx = F.pad(tx, (span - 1, 0))
    elif layer.padding == "same":
        tx = F.pad(tx, same_padding(steps, span, layer.strides))
    out = F.conv1d(tx, weight, bias, stride=layer.strides, dilation=layer.dilation_rate)
    return out, weight, bias


@pytest.mark.parametrize("kernel, strides, dilation, padding", [
    (3, 1, 2, "valid"), (3, 1, 2, "causal"), (2, 1, 4, "causal"), (3, 2, 2, "causal"), (3, 1, 1, "causal"),
    (3, 2, 3, "same"), (4, 3, 2, "valid"), (5, 1, 3, "same"),
])
def test_dilated_and_causal_conv1d_match_torch(kernel, strides, dilation, padding):
    rng = np.random.default_rng(0)
    steps = 13
    layer = layers.Conv1D(4, kernel, strides=strides, padding=padding, dilation_rate=dilation, dtype="float64",
                          bias_initializer="random_normal")
    x = pydl.tensor(rng.standard_normal((2, steps, 3)), requires_grad=True)
    out = layer(x)
    assert out.shape == layer.compute_output_shape((2, steps, 3))
    if padding != "valid":
        assert out.shape[1] == -(-steps // strides)  # "causal" keeps the length, as "same" does
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)

    tx = torch.tensor(x.numpy().transpose(0, 2, 1).copy(), requires_grad=True)
    t_out, weight, bias = _torch_conv1d_like(layer, tx, steps)
    t_out.backward(torch.tensor(upstream.transpose(0, 2, 1).copy()))

    close = dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy().transpose(0, 2, 1), **close)
    np.testing.assert_allclose(x.grad, tx.grad.numpy().transpose(0, 2, 1), **close)
    np.testing.assert_allclose(layer.kernel.grad, weight.grad.numpy().transpose(2, 1, 0), **close)
    np.testing.assert_allclose(layer.bias.grad, bias.grad.numpy(), **close)


@pytest.mark.parametrize("strides", [1, 2])
def test_causal_outputs_never_see_later_inputs(strides):
    """Changing input step t changes no output step that ends before t: output j sees inputs <= j * strides."""
    rng = np.random.default_rng(1)
    pydl.seed(0)
    model = models.Sequential([layers.Input((16, 2))] + [  # receptive field 1 + 2 * (1 + 2 + 4) = 15 steps
        layers.Conv1D(3, 3, strides=strides if rate == 4 else 1, padding="causal", dilation_rate=rate,
                      activation="tanh", bias_initializer="random_normal") for rate in (1, 2, 4)])
    x = rng.standard_normal((1, 16, 2)).astype("float32")
    before = model.predict(x, verbose=0)
    assert before.shape == (1, -(-16 // strides), 3)
    for t in (0, 5, 9, 14):
        changed = x.copy()
        changed[0, t] += 1.0
        after = model.predict(changed, verbose=0)
        first_affected = -(-t // strides)  # the first output j with j * strides >= t
        np.testing.assert_array_equal(after[0, :first_affected], before[0, :first_affected])
        assert not np.allclose(after[0, first_affected], before[0, first_affected])


def test_dilation_shapes_follow_keras_and_the_window_check_uses_the_span():
    x = np.zeros((2, 20, 3))
    for kernel, strides, dilation, padding in [(3, 1, 2, "valid"), (3, 2, 4, "valid"), (2, 3, 3, "causal"),
                                               (5, 1, 2, "same"), (3, 2, 5, "same")]:
        layer = layers.Conv1D(4, kernel, strides=strides, padding=padding, dilation_rate=dilation)
        span = dilation * (kernel - 1) + 1
        keras = (20 - span) // strides + 1 if padding == "valid" else -(-20 // strides)
        assert layer.compute_output_shape((None, 20, 3)) == (None, keras, 4) and layer(x).shape == (2, keras, 4)
    assert layers.Conv1D(2, 3, dilation_rate=3)(np.zeros((1, 7, 2))).shape == (1, 1, 2)  # span 7 fits exactly
    with pytest.raises(ValueError, match=r"smaller than the window \(7,\) \(kernel_size \(3,\) with dilation_rate"):
        layers.Conv1D(2, 3, dilation_rate=3)(np.zeros((1, 6, 2)))
    with pytest.raises(ValueError, match="smaller than the window"):  # already on symbolic inputs
        models.Sequential([layers.Input((6, 2)), layers.Conv1D(2, 3, dilation_rate=3)])
    assert layers.Conv1D(2, 3, padding="causal", dilation_rate=8)(np.zeros((1, 2, 2))).shape == (1, 2, 2)


def test_dilation_and_causal_errors():
    with pytest.raises(ValueError, match="dilation_rate must be >= 1"):
        layers.Conv1D(2, 3, dilation_rate=0)
    with pytest.raises(ValueError, match="dilation_rate must be an int or a 1-tuple"):
        layers.Conv1D(2, 3, dilation_rate=(2, 2))
    with pytest.raises(ValueError, match="dilation_rate must be >= 1"):
        layers.Conv2D(2, 3, dilation_rate=(1, 0))
    for make in (lambda: layers.Conv2D(2, 3, padding="causal"), lambda: layers.MaxPooling1D(2, padding="causal"),
                 lambda: layers.DepthwiseConv2D(3, padding="causal"), lambda: layers.AveragePooling2D(padding="causal")):
        with pytest.raises(ValueError, match="'causal' is only supported by Conv1D"):
            make()


@pytest.mark.parametrize("layer, torch_fn", [
    (layers.MaxPooling1D(2, dtype="float64"), lambda t: F.max_pool1d(t, 2)),
    (layers.AveragePooling1D(3, strides=2, dtype="float64"), lambda t: F.avg_pool1d(t, 3, 2)),
    (layers.GlobalMaxPooling1D(dtype="float64"), lambda t: t.amax(dim=2)),
    (layers.GlobalAveragePooling1D(dtype="float64"), lambda t: t.mean(dim=2)),
])
def test_poolings_match_torch(layer, torch_fn):
    rng = np.random.default_rng(2)
    x = pydl.tensor(rng.permutation(2 * 9 * 3).reshape(2, 9, 3) / 10.0, requires_grad=True)  # no ties
    out = layer(x)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    tx = torch.tensor(x.numpy().transpose(0, 2, 1).copy(), requires_grad=True)
    t_out = torch_fn(tx)
    to_keras = (lambda t: t.transpose(0, 2, 1)) if t_out.ndim == 3 else (lambda t: t)
    t_out.backward(torch.tensor(np.ascontiguousarray(to_keras(upstream))))
    np.testing.assert_allclose(out.numpy(), to_keras(t_out.detach().numpy()), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(x.grad, tx.grad.numpy().transpose(0, 2, 1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("layer", [
    layers.Conv1D(8, 5, strides=2, padding="same", activation="relu", name="c"),
    layers.Conv1D(8, 3, padding="causal", dilation_rate=4, name="tcn"), layers.Conv1D(2, 2, dilation_rate=(3,)),
    layers.MaxPooling1D(3, strides=2, padding="same"), layers.AveragePooling1D(2),
    layers.GlobalMaxPooling1D(keepdims=True), layers.GlobalAveragePooling1D(),
])
def test_config_round_trip(layer):
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    if isinstance(layer, layers.Conv1D):
        assert clone.padding == layer.padding and clone.dilation_rate == layer.dilation_rate


def _bigram_task(n, seed, vocabulary=10, length=16, first=3, second=7):
    """Label 1 when token ``first`` is directly followed by ``second`` somewhere. Both tokens occur in most
    negatives too, so only their order tells the classes apart: a bag of words cannot, a width-2 filter can."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocabulary, (n, length))
    labels = rng.integers(0, 2, n)
    for row, label in zip(tokens, labels):
        while ((row[:-1] == first) & (row[1:] == second)).any():
            row[:] = rng.integers(0, vocabulary, length)  # negatives must not hold the pair by chance
        if label:
            where = rng.integers(0, length - 1)
            row[where:where + 2] = first, second
    return tokens, labels.astype("float32")


def _held_out_accuracy(model_layers, epochs):
    x_train, y_train = _bigram_task(1000, seed=0)
    x_test, y_test = _bigram_task(400, seed=1)
    pydl.seed(0)
    model = models.Sequential(model_layers)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0)[1], max(y_test.mean(), 1 - y_test.mean())


def test_conv1d_and_global_max_pooling_learn_an_ordered_pattern():
    accuracy, baseline = _held_out_accuracy([
        layers.Embedding(10, 8), layers.Conv1D(16, 2, activation="relu"), layers.GlobalMaxPooling1D(),
        layers.Dense(1, activation="sigmoid")], epochs=10)
    assert baseline < 0.6
    assert_at_least(accuracy, 0.9, "conv1d: test accuracy")
    order_blind, _ = _held_out_accuracy([  # the same tokens, averaged: the task really needs the order
        layers.Embedding(10, 8), layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid")], epochs=10)
    assert_below(order_blind, 0.8, "order-blind average: test accuracy")
