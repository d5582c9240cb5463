"""The functional API: graphs of layers between Inputs and outputs. A functional copy of a Sequential model behaves
identically; two-input and two-output models learn real held-out digits; shared layers keep one set of weights;
merge gradients match finite differences; files round-trip and hostile graphs are refused; errors name the problem."""

import io
import json

import numpy as np
import pytest

import pydl
from pydl import Input, backend, layers, models, optimizers
from pydl.datasets import load_digits
from pydl.models import Model, ModelFileError
from tests.learning import assert_at_least, assert_below
from tests.models.model_files import with_config


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = load_digits()
    return (x_train.astype(np.float32) / 16, y_train), (x_test.astype(np.float32) / 16, y_test)


def _mlp_layers():
    return [layers.Dense(32, activation="relu"), layers.Dropout(0.2), layers.Dense(10, activation="softmax")]


# ----------------------------------------------------------------- functional == Sequential
def test_functional_copy_of_a_sequential_model_predicts_and_trains_identically(digits):
    (x, y), (x_test, _) = digits
    x, x_test = x.reshape(-1, 64)[:320], x_test.reshape(-1, 64)
    y = y[:320]
    sequential = models.Sequential([layers.Input((64,))] + _mlp_layers())
    inputs = Input(shape=(64,))
    hidden = inputs
    for layer in _mlp_layers():
        hidden = layer(hidden)
    functional = Model(inputs, hidden)
    functional.set_weights(sequential.get_weights())
    np.testing.assert_array_equal(functional.predict(x_test), sequential.predict(x_test))
    assert functional.count_params() == sequential.count_params() == 2410

    histories = []
    for model in (sequential, functional):
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        histories.append(model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0, seed=4).history)
    assert histories[0] == histories[1]  # same shuffles, same dropout masks, same updates: the same loop
    assert set(histories[1]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for a, b in zip(sequential.get_weights(), functional.get_weights()):
        np.testing.assert_array_equal(a, b)
    steps = []
    for model in (sequential, functional):
        pydl.seed(5)  # the same dropout mask
        steps.append(model.train_on_batch(x[:32], y[:32]))
    assert steps[0] == steps[1]


# ----------------------------------------------------------------- learning on held-out data
def _halves(images):
    """Top and bottom halves of 8x8 images, flattened: two inputs of 32 pixels each."""
    return images[:, :4].reshape(len(images), 32), images[:, 4:].reshape(len(images), 32)


def test_two_input_model_learns_digits_from_two_image_halves(digits):
    (x, y), (x_test, y_test) = digits
    pydl.seed(0)
    top, bottom = Input(shape=(32,), name="top"), Input(shape=(32,), name="bottom")
    merged = layers.concatenate([layers.Dense(32, activation="relu")(top), layers.Dense(32, activation="relu")(bottom)])
    digit = layers.Dense(10, activation="softmax", name="digit")(merged)
    model = Model([top, bottom], digit)
    model.compile(optimizer=optimizers.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(list(_halves(x)), y, epochs=15, batch_size=32, verbose=0, seed=0)
    loss, accuracy = model.evaluate(list(_halves(x_test)), y_test, verbose=0)
    assert_at_least(accuracy, 0.90, "two-input digits: test accuracy")
    test_top, test_bottom = _halves(x_test)
    assert model.evaluate({"bottom": test_bottom, "top": test_top}, y_test, verbose=0) == [loss, accuracy]
    # each half alone carries less: blanking one input costs accuracy, so both branches are used
    _, blind = model.evaluate([test_top, np.zeros_like(test_bottom)], y_test, verbose=0)
    assert blind < accuracy - 0.1


def test_two_output_model_learns_the_digit_and_its_ink(digits):
    (x, y), (x_test, y_test) = digits
    x, x_test = x.reshape(-1, 64), x_test.reshape(-1, 64)
    ink, ink_test = x.mean(axis=1, keepdims=True) * 4, x_test.mean(axis=1, keepdims=True) * 4  # mean ink, ~1
    pydl.seed(0)
    image = Input(shape=(64,), name="image")
    features = layers.Dense(64, activation="relu")(image)
    model = Model(image, {"digit": layers.Dense(10, activation="softmax")(features), "ink": layers.Dense(1)(features)})
    model.compile(optimizer=optimizers.Adam(learning_rate=0.005),
                  loss={"digit": "sparse_categorical_crossentropy", "ink": "mse"},
                  loss_weights={"digit": 1.0, "ink": 2.0}, metrics={"digit": "accuracy", "ink": ["mae"]})
    targets, test_targets = {"digit": y, "ink": ink}, {"digit": y_test, "ink": ink_test}
    before = model.evaluate(x_test, test_targets, verbose=0, return_dict=True)
    history = model.fit(x, targets, epochs=15, batch_size=32, validation_data=(x_test, test_targets), verbose=0,
                        seed=0).history
    after = model.evaluate(x_test, test_targets, verbose=0, return_dict=True)
    assert list(after) == ["loss", "digit_loss", "ink_loss", "digit_accuracy", "ink_mae"]
    assert after["loss"] == pytest.approx(after["digit_loss"] + 2.0 * after["ink_loss"], rel=1e-5)
    assert_below(after["digit_loss"], before["digit_loss"] / 5, "two outputs: digit loss vs a fifth of untrained")
    assert_at_least(after["digit_accuracy"], 0.9, "two outputs: digit accuracy")
    baseline = float(((ink.mean() - ink_test) ** 2).mean())  # predicting the training mean
    assert after["ink_loss"] < before["ink_loss"] / 10 and after["ink_loss"] < baseline / 5, (after, baseline)
    assert history["val_ink_mae"][-1] == pytest.approx(after["ink_mae"])
    predictions = model.predict(x_test)
    assert set(predictions) == {"digit", "ink"} and predictions["ink"].shape == (len(x_test), 1)
    assert (predictions["digit"].argmax(1) == y_test).mean() == pytest.approx(after["digit_accuracy"])


# ----------------------------------------------------------------- shared layers
def test_a_shared_layer_has_one_set_of_weights_trained_by_both_uses():
    shared = layers.Dense(4, activation="tanh", name="shared")
    left, right = Input(shape=(3,), name="left"), Input(shape=(3,), name="right")
    merged = layers.subtract([shared(left), shared(right)])
    model = Model([left, right], layers.Dense(1, name="head")(merged))
    assert [layer.name for layer in model.layers] == ["left", "right", "shared", "subtract", "head"]
    assert len(model.weights) == 4 and model.count_params() == (3 * 4 + 4) + (4 + 1)
    x = np.random.default_rng(0).random((5, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict([x, x]), np.broadcast_to(model.get_layer("head").bias.data, (5, 1)))
    lines = []
    model.summary(print_fn=lines.append)
    assert any("subtract (Subtract)" in line and "shared[0][0], shared[1][0]" in line for line in lines)
    assert model.get_config()["layers"][2]["inbound_nodes"] == [[["left", 0, 0]], [["right", 0, 0]]]
    model.compile(optimizer="sgd", loss="mse")
    kernel = model.get_layer("shared").kernel.data.copy()
    model.train_on_batch([x, x[::-1]], np.ones((5, 1)))
    assert not np.array_equal(model.get_layer("shared").kernel.data, kernel)


def test_a_model_is_callable_like_a_layer_on_data_and_inside_another_graph():
    inputs = Input(shape=(4,))
    encoder = Model(inputs, layers.Dense(3, name="code")(inputs))
    x = np.ones((2, 4), dtype=np.float32)
    y = encoder(x)
    assert isinstance(y, pydl.Tensor) and y.shape == (2, 3)
    first, second = Input(shape=(4,)), Input(shape=(4,))
    siamese = Model([first, second], layers.add([encoder(first), encoder(second)]))
    assert siamese.count_params() == encoder.count_params() == 15  # the encoder's layer, used twice
    np.testing.assert_allclose(siamese.predict([x, x]), 2 * y.numpy(), rtol=1e-6)


# ----------------------------------------------------------------- merge layers
def test_merge_layers_compute_on_data_and_round_trip_their_config():
    a, b = np.arange(12.0).reshape(2, 2, 3), np.ones((2, 2, 3))
    np.testing.assert_array_equal(layers.add([a, b]).numpy(), a + b)
    np.testing.assert_array_equal(layers.subtract([a, b]).numpy(), a - b)
    np.testing.assert_array_equal(layers.multiply([a, b, a]).numpy(), a * a)
    np.testing.assert_allclose(layers.average([a, b]).numpy(), (a + b) / 2)
    np.testing.assert_array_equal(layers.concatenate([a, b], axis=1).numpy(), np.concatenate([a, b], axis=1))
    join = layers.Concatenate(axis=-2, name="join")
    assert join([a, b]).shape == (2, 4, 3) and join.compute_output_shape([(None, 2, 3), (None, None, 3)]) == \
        (None, None, 3)
    with pytest.raises(ValueError, match=r'"join" expects input shapes \[\(None, 2, 3\), \(None, 2, 3\)\], but got'):
        join([a, np.ones((2, 2, 4))])
    with pytest.raises(ValueError, match="not be the batch axis"):
        layers.concatenate([a, b], axis=0)
    with pytest.raises(ValueError, match=r'"add_1" \(Add\) merges a list of tensors'):
        layers.Add(name="add_1")(a)
    for layer in (join, layers.Add(), layers.Subtract(), layers.Multiply(), layers.Average(dtype="float64")):
        config = json.loads(json.dumps(layers.serialize(layer)))
        assert layers.deserialize(config).get_config() == layer.get_config()


# ----------------------------------------------------------------- gradients
def test_merge_graph_gradients_match_finite_differences():
    backend.set_floatx("float64")
    a, b = Input(shape=(3,), name="a"), Input(shape=(3,), name="b")
    hidden_a = layers.Dense(3, activation="tanh")(a)
    hidden_b = layers.Dense(3, activation="sigmoid")(b)
    mixed = layers.average([layers.add([hidden_a, hidden_b, a]), layers.multiply([hidden_a, hidden_b]),
                            layers.subtract([hidden_b, a])])
    joined = layers.concatenate([mixed, hidden_a, b])
    model = Model([a, b], [layers.Dense(2)(joined), layers.Dense(1)(mixed)])
    rng = np.random.default_rng(0)
    x_a = pydl.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    x_b = pydl.tensor(rng.standard_normal((4, 3)), requires_grad=True)

    def both_outputs(x_a, x_b, *weights):
        first, second = model([x_a, x_b])
        return pydl.concatenate([first, second], axis=1)

    assert pydl.gradcheck(both_outputs, [x_a, x_b, *model.trainable_weights])


# ----------------------------------------------------------------- saving
def _two_in_two_out(compile=True):
    pydl.seed(1)
    left, right = Input(shape=(4,), name="left"), Input(shape=(2, 3), name="right")
    shared = layers.Dense(5, activation="relu", name="shared")
    flat = layers.Flatten(name="flat")(right)
    merged = layers.concatenate([shared(left), shared(layers.Dense(4)(flat)), flat], name="merged")
    normal = layers.BatchNormalization()(merged)
    model = Model([left, right], [layers.Dense(3, activation="softmax", name="label")(normal),
                                  layers.Dense(1, name="size")(layers.Dropout(0.3)(normal))])
    if compile:
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss=["sparse_categorical_crossentropy", "mse"],
                      loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])
    return model


RNG = np.random.default_rng(2)
X = [RNG.random((24, 4)), RNG.random((24, 2, 3))]
Y = [RNG.integers(0, 3, 24), RNG.random((24, 1))]


def test_multi_input_multi_output_round_trip_is_exact(tmp_path):
    model = _two_in_two_out()
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "graph.pydl"
    model.save(path)
    restored = models.load_model(path)
    assert type(restored) is Model and restored.input_names == ["left", "right"]
    assert restored.output_names == ["label", "size"]
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    for got, want in zip(restored.predict(X), model.predict(X)):
        np.testing.assert_array_equal(got, want)
    assert restored.evaluate(X, Y, verbose=0) == model.evaluate(X, Y, verbose=0)
    assert restored.get_config() == model.get_config()
    clone = models.from_bytes(model.to_bytes())
    np.testing.assert_array_equal(clone.predict(X)[1], model.predict(X)[1])


def test_functional_training_resumes_exactly_after_save_and_load():
    backend.set_floatx("float64")
    straight = _two_in_two_out()
    straight_losses = straight.fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0, seed=0).history["loss"]
    interrupted = _two_in_two_out()
    interrupted.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0, seed=0)
    dropout_stream = pydl.random.get_generator().bit_generator.state
    resumed = models.from_bytes(interrupted.to_bytes())
    pydl.random.get_generator().bit_generator.state = dropout_stream  # loading drew initial weights from it
    assert resumed.optimizer.iterations == 6
    assert resumed.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"] == straight_losses[2:]
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)
    restarted = models.load_model(io.BytesIO(interrupted.to_bytes()), compile=False)  # control: a fresh optimizer
    restarted.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss=["sparse_categorical_crossentropy", "mse"],
                      loss_weights=[1.0, 0.5])
    pydl.random.get_generator().bit_generator.state = dropout_stream
    assert restarted.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"] != \
        straight_losses[2:]


def _entry(config, name):
    return next(entry for entry in config["layers"] if entry["name"] == name)


def _set(config, name, key, value):
    _entry(config, name)[key] = value


HOSTILE_GRAPHS = {
    "unknown_layer_name": (lambda c: _set(c, "label", "inbound_nodes", [[["ghost", 0, 0]]]), "unknown layer 'ghost'"),
    "cycle": (lambda c: _set(c, "shared", "inbound_nodes", [[["left", 0, 0]], [["merged", 0, 0]]]), "cycle"),
    "self_loop": (lambda c: _set(c, "label", "inbound_nodes", [[["label", 0, 0]]]), "cycle"),
    "dangling_node": (lambda c: _set(c, "label", "inbound_nodes", [[["shared", 7, 0]]]),
                      'node 7 of layer "shared", which has 2'),
    "dangling_tensor": (lambda c: _set(c, "label", "inbound_nodes", [[["merged", 0, 3]]]), "output 3"),
    "dangling_output": (lambda c: c.update(output_layers=[["label", 0, 0], ["size", 1, 0]]), "node 1"),
    "output_not_a_ref": (lambda c: c.update(output_layers="label"), "output_layers must be"),
    "ref_not_a_triple": (lambda c: _set(c, "label", "inbound_nodes", [[["merged", 0]]]), "inbound_nodes must be"),
    "ref_index_not_int": (lambda c: _set(c, "label", "inbound_nodes", [[["merged", "0", 0]]]), "inbound_nodes"),
    "inbound_not_a_list": (lambda c: _set(c, "label", "inbound_nodes", {"a": 1}), "inbound_nodes must be"),
    "empty_call": (lambda c: _set(c, "label", "inbound_nodes", [[]]), "non-empty"),
    "called_input": (lambda c: _set(c, "left", "inbound_nodes", [[["right", 0, 0]]]), "is an Input"),
    "never_called": (lambda c: _set(c, "label", "inbound_nodes", []), "never called"),
    "duplicate_name": (lambda c: c["layers"].append(dict(_entry(c, "size"))), 'two layers are named "size"'),
    "name_mismatch": (lambda c: _set(c, "size", "name", "other"), "named 'other'"),
    "too_many_inputs": (lambda c: _set(c, "label", "inbound_nodes", [[["merged", 0, 0], ["merged", 0, 0]]]),
                        'Layer "label" \\(Dense\\) takes one input'),
    "merge_of_one": (lambda c: _set(c, "merged", "inbound_nodes", [[["shared", 0, 0]]]), "merges a list"),
    "wrong_shape": (lambda c: _set(c, "shared", "inbound_nodes", [[["left", 0, 0]], [["flat", 0, 0]]]),
                    r'"shared" expects input shape \(None, 4\), but got \(None, 6\)'),
    "input_missing": (lambda c: c.update(input_layers=[["left", 0, 0]]), "Graph disconnected"),
    "input_is_not_an_input": (lambda c: c.update(input_layers=[["left", 0, 0], ["flat", 0, 0]]),
                              "must be Input placeholders"),
    # weightless, so that the file still lists every weight it makes (a stray Dense is refused for its kernel)
    "stray_layer": (lambda c: c["layers"].append({"class_name": "Dropout", "name": "stray", "config": {
        "name": "stray", "rate": 0.5}, "inbound_nodes": [[["left", 0, 0]]]}), "not on any path"),
    "unknown_class": (lambda c: _set(c, "label", "class_name", "Evil"), "Unknown layer class 'Evil'"),
    "no_layers": (lambda c: c.update(layers={}), "no list of layers"),
}


@pytest.fixture(scope="module")
def saved_graph():
    model = _two_in_two_out()
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    return model, model.to_bytes()


@pytest.mark.parametrize("kind", sorted(HOSTILE_GRAPHS))
def test_hostile_graphs_are_refused_with_a_reason(saved_graph, kind):
    model, good = saved_graph
    change, message = HOSTILE_GRAPHS[kind]
    before = model.get_weights()
    with pytest.raises(ModelFileError, match=message):
        models.from_bytes(with_config(good, lambda header: change(header["config"])))
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_bad_weights_leave_a_functional_model_unchanged(saved_graph, tmp_path):
    model, good = saved_graph
    other = _two_in_two_out()
    other.layers.pop()  # a model with different layers writes a file that does not fit
    path = tmp_path / "other.pydl"
    path.write_bytes(Model(other.inputs, other.outputs[0]).to_bytes())
    before = model.get_weights()
    with pytest.raises(ModelFileError, match="weight arrays"):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- clear errors
def test_calling_with_the_wrong_inputs_names_the_problem():
    model = _two_in_two_out(compile=False)
    with pytest.raises(ValueError, match=r'"functional.*" expects 2 inputs \(left, right\).* got one ndarray'):
        model.predict(X[0])
    with pytest.raises(ValueError, match="got a list of 3"):
        model([X[0], X[1], X[1]])
    with pytest.raises(ValueError, match=r"no \['right'\] and unknown keys \['rihgt'\]"):
        model({"left": X[0], "rihgt": X[1]})
    with pytest.raises(ValueError, match=r'Layer "right" expects input shape \(None, 2, 3\), but got \(24, 3, 2\)'):
        model.predict([X[0], X[1].reshape(24, 3, 2)])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    with pytest.raises(ValueError, match=r"x\['left'\] has 24 samples but y\['size'\] has 5"):
        model.fit(X, [Y[0], Y[1][:5]], verbose=0)
    with pytest.raises(ValueError, match='Output "label": sparse_categorical_crossentropy'):
        model.fit(X, [np.eye(3)[Y[0]], Y[1]], verbose=0)


def test_graph_construction_errors_name_the_problem():
    a, b, c = Input(shape=(3,), name="a"), Input(shape=(3,), name="b"), Input(shape=(4,), name="c")
    total = layers.add([a, b], name="total")
    with pytest.raises(ValueError, match=r'Graph disconnected: output "total" .* needs Input "b".*\[\'a\'\]'):
        Model(a, total)
    with pytest.raises(ValueError, match=r"input\(s\) \['c'\] are not connected to any output"):
        Model([a, b, c], total)
    with pytest.raises(ValueError, match="must be Input placeholders"):
        Model(total, layers.Dense(2)(total))
    with pytest.raises(TypeError, match="must be Input layers or outputs of layers"):
        Model(a, np.ones(3))
    with pytest.raises(ValueError, match=r'"add" \(Add\) needs inputs of the same shape, but got shapes \(None, 3\), '
                                         r"\(None, 4\)"):
        layers.Add(name="add")([a, c])
    with pytest.raises(ValueError, match=r'"join" \(Concatenate\) needs inputs whose shapes match on every axis but '
                                         r"axis -1, but got shapes \(None, 2, 3\), \(None, 3, 3\)"):
        layers.concatenate([Input(shape=(2, 3)), Input(shape=(3, 3))], name="join")
    with pytest.raises(ValueError, match=r'"rank" \(Concatenate\) needs inputs of the same rank'):
        layers.concatenate([a, Input(shape=(2, 3))], name="rank")
    with pytest.raises(ValueError, match=r'"minus" \(Subtract\) needs 2 inputs, got 3'):
        layers.subtract([a, b, a], name="minus")
    with pytest.raises(ValueError, match=r'Layer "d" \(Dense\) takes one input, but was called on a list of 2'):
        layers.Dense(2, name="d")([a, b])
    with pytest.raises(TypeError, match="mixing symbolic tensors"):
        layers.add([a, np.ones((1, 3))])
    twin = layers.Dense(2, name="twin")
    with pytest.raises(ValueError, match=r"several different layers named \['twin'\]"):
        Model(a, layers.add([twin(a), layers.Dense(2, name="twin")(a)]))


def test_compile_per_output_settings_are_checked():
    model = _two_in_two_out(compile=False)
    with pytest.raises(ValueError, match=r"loss must name the outputs .* unknown: \['lable'\], missing: \['label'\]"):
        model.compile(loss={"lable": "mse", "size": "mse"})
    with pytest.raises(ValueError, match="loss has 3 entries but model .* has 2 outputs"):
        model.compile(loss=["mse"] * 3)
    with pytest.raises(ValueError, match="one entry per output"):
        model.compile(loss="mse", metrics="accuracy")
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile(loss="mse", metrics={"size": "acuracy"})
    assert not model.compiled
    model.compile(loss="mse", metrics={"size": "mae"}, loss_weights={"label": 0.0})
    assert model._loss_weights == [0.0, 1.0]
    logs = model.test_on_batch(X, [np.eye(3)[Y[0]], Y[1]], return_dict=True)
    assert list(logs) == ["loss", "label_loss", "size_loss", "size_mae"]
    assert logs["loss"] == pytest.approx(logs["size_loss"])


def test_list_of_one_output_keeps_its_structure():
    inputs = Input(shape=(2,))
    model = Model([inputs], [layers.Dense(1)(inputs)])
    out = model.predict(np.ones((3, 2)))
    assert isinstance(out, list) and out[0].shape == (3, 1)
    assert models.from_bytes(model.to_bytes()).predict(np.ones((3, 2)))[0].shape == (3, 1)
