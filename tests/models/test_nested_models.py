"""A model is a layer (Keras 3): nesting, calls on symbolic tensors and on data, freezing, the compile rule, the
summary's one row per inner model, and the errors of misuse."""

import warnings

import numpy as np
import pytest

import pydl
from pydl import Input, backend, layers, models, optimizers
from pydl.layers.symbolic import SymbolicTensor


def _base(name="base"):
    inputs = Input(shape=(3,), name=f"{name}_in")
    hidden = layers.Dense(4, activation="tanh", name=f"{name}_hidden")(inputs)
    return models.Model(inputs, layers.BatchNormalization(name=f"{name}_norm")(hidden), name=name)


def _summary(model, **kwargs) -> list:
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def _row(lines, name) -> list:
    """The cells of the row for layer ``name``, split on runs of spaces."""
    line = next(line for line in lines if line.startswith(name + " ("))
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


X = np.random.default_rng(0).normal(size=(16, 3))


def test_sequential_takes_a_model_as_a_layer_by_add_and_by_list():
    base = _base()
    added = models.Sequential(name="added")
    added.add(base)
    added.add(layers.Dense(1, name="head"))
    listed = models.Sequential([base, layers.Dense(1, name="other_head")], name="listed")
    for model in (added, listed):
        assert model.layers[0] is base and model.built and model.input_shape == (None, 3)
        assert model.output_shape == (None, 1)
        head = model.layers[1]
        np.testing.assert_array_equal(model.predict(X), head(base(X)).numpy())
        assert model.count_params() == base.count_params() + 5
    assert isinstance(base, layers.Layer)
    assert base.get_output_at(0).node.layer is base and base.get_output_at(1).node.layer is base  # two stacks


def test_a_sequential_stack_inside_a_sequential_stack_is_built_from_the_data_it_first_sees():
    inner = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)], name="inner")
    outer = models.Sequential([inner, layers.Dense(1)], name="outer")
    assert not outer.built and not inner.built
    result = outer(X)  # data build both, inner first
    assert result.shape == (16, 1) and outer.built and inner.built and inner.input_shape == (None, 3)
    assert [w.shape for w in outer.weights] == [(3, 4), (4,), (4, 2), (2,), (2, 1), (1,)]


def test_calling_a_model_on_a_symbolic_tensor_records_one_node_whose_layer_is_the_model():
    base = _base()
    inputs = Input(shape=(3,), name="x")
    features = base(inputs)
    assert isinstance(features, SymbolicTensor) and features.shape == (None, 4) and features.node.layer is base
    model = models.Model(inputs, layers.Dense(2, name="out")(features), name="outer")
    assert [layer.name for layer in model.layers] == ["x", "base", "out"]
    assert base.layers[-1].output is base.output  # its own layers were not called again: no ambiguity
    np.testing.assert_array_equal(model.predict(X), model.get_layer("out")(base(X)).numpy())
    assert model.count_params() == base.count_params() + 10


def test_gradients_flow_through_an_inner_model_as_finite_differences_say():
    backend.set_floatx("float64")
    inner = models.Sequential([layers.Dense(3, activation="tanh", input_shape=(2,)), layers.Dense(2)], name="inner")
    inputs = Input(shape=(2,))
    model = models.Model(inputs, layers.Dense(1, activation="sigmoid")(inner(inputs)))
    x = pydl.tensor(np.random.default_rng(1).normal(size=(4, 2)), requires_grad=True)
    assert pydl.gradcheck(lambda x, *weights: model(x, training=True), [x, *model.trainable_weights])


def test_one_inner_model_used_twice_shares_its_weights_and_shows_once_with_both_calls():
    encoder = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,), name="code")], name="encoder")
    left, right = Input(shape=(3,), name="left"), Input(shape=(3,), name="right")
    merged = layers.concatenate([encoder(left), encoder(right)], name="merged")
    model = models.Model([left, right], layers.Dense(1, name="score")(merged), name="siamese")
    assert model.count_params() == 16 + 9 and len(model.weights) == 4  # the encoder's weights count once
    lines = _summary(model)
    assert _row(lines, "encoder") == ["encoder (Sequential)", "(None, 4)", "16", "left[0][0], right[0][0]"]
    assert _row(lines, "merged")[-1] == "encoder[0][0], encoder[1][0]"
    assert "Total params: 25 (100 B)" in lines
    x_left, x_right = X, X[::-1]
    expected = model.get_layer("score")(np.concatenate([encoder(x_left).numpy(), encoder(x_right).numpy()], axis=1))
    np.testing.assert_array_equal(model.predict([x_left, x_right]), expected.numpy())
    before = encoder.get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit([x_left, x_right], np.ones((16, 1)), epochs=2, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, encoder.get_weights()))  # trained through both


def test_an_inner_model_with_several_outputs_by_name_feeds_each_of_them_on():
    inputs = Input(shape=(3,), name="x")
    inner = models.Model(inputs, {"low": layers.Dense(2, name="low")(inputs), "high": layers.Dense(5, name="high")(inputs)},
                         name="two_heads")
    outer_in = Input(shape=(3,), name="outer_x")
    heads = inner(outer_in)
    assert sorted(heads) == ["high", "low"] and heads["high"].shape == (None, 5)
    outer = models.Model(outer_in, layers.concatenate([heads["low"], heads["high"]]), name="outer")
    parts = inner.predict(X)
    np.testing.assert_array_equal(outer.predict(X), np.concatenate([parts["low"], parts["high"]], axis=1))


def test_freezing_a_model_freezes_every_layer_it_holds_and_layers_inside_answer_on_their_own():
    base = _base()
    model = models.Sequential([base, layers.Dense(1, name="head")])
    base.trainable = False
    assert all(not layer.trainable for layer in base.layers)
    assert base.trainable_weights == [] and len(base.non_trainable_weights) == 6
    assert [w.name for w in model.trainable_weights] == ["head/kernel", "head/bias"]
    assert len(model.non_trainable_weights) == 6 and len(model.weights) == 8
    assert not any(w.requires_grad for w in base.weights)
    base.layers[1].trainable = True  # a layer unfrozen inside a frozen model: still frozen through its model
    assert base.trainable_weights == [] and len(model.trainable_weights) == 2
    base.trainable = True  # Keras: the parent's flag reaches every child
    assert all(layer.trainable for layer in base.layers) and len(model.trainable_weights) == 6
    base.get_layer("base_norm").trainable = False  # the usual fine-tuning: freeze a part of the base again
    assert [w.name for w in model.trainable_weights] == ["base_hidden/kernel", "base_hidden/bias", "head/kernel",
                                                          "head/bias"]
    model.trainable = False
    assert not base.trainable and model.trainable_weights == [] and len(model.non_trainable_weights) == 8
    frozen_at_birth = models.Sequential([layers.Dense(2, input_shape=(3,))], trainable=False)
    assert frozen_at_birth.trainable_weights == [] and not frozen_at_birth.layers[0].trainable


def test_a_frozen_model_runs_its_batch_normalization_in_inference_mode():
    base = _base()
    model = models.Sequential([base, layers.Dense(1, name="head")])
    model.compile(optimizer="adam", loss="mse")
    norm = base.get_layer("base_norm")
    model.fit(X, np.ones((16, 1)), epochs=1, verbose=0)  # trainable: batch statistics, moving ones updated
    moving = [norm.moving_mean.numpy().copy(), norm.moving_variance.numpy().copy()]
    assert not np.array_equal(moving[0], np.zeros(4))
    base.trainable = False
    model.compile(optimizer="adam", loss="mse")
    frozen_before = base.get_weights()
    np.testing.assert_array_equal(model(X, training=True).numpy(), model(X, training=False).numpy())
    model.fit(X, np.ones((16, 1)), epochs=3, verbose=0)
    for before, after in zip(frozen_before, base.get_weights()):
        assert np.array_equal(before, after)  # gamma, beta and the moving statistics alike


def _step(model, x=X, y=np.ones((16, 1))):
    return model.train_on_batch(x, y)


def test_what_trains_is_fixed_after_compile_until_compile_is_called_again():
    model = models.Sequential([_base(), layers.Dense(1, name="head")])
    base = model.layers[0]
    base.trainable = False
    model.compile(optimizer="sgd", loss="mse")  # compile after freezing: only the head trains
    hidden = base.get_layer("base_hidden")  # (its batch normalization's moving statistics follow the flag at call)
    frozen, head = hidden.get_weights(), model.layers[1].get_weights()
    _step(model)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, hidden.get_weights()))
    assert not np.array_equal(head[0], model.layers[1].get_weights()[0])
    base.trainable = True  # no compile: training keeps what compile chose
    with pytest.warns(UserWarning, match="Call compile\\(\\) again"):
        _step(model)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, hidden.get_weights()))
    assert all(w.requires_grad for w in hidden.weights)  # the flags are the user's again after the step
    model.compile(optimizer="sgd", loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _step(model)
    assert not np.array_equal(frozen[0], hidden.get_weights()[0])  # now the base trains too


def test_a_gan_trains_its_discriminator_alone_and_the_generator_through_the_frozen_discriminator():
    """The Keras recipe (Chollet, first edition): freeze the discriminator after it was compiled and trained, then
    compile the combined model; each compiled model keeps training what it chose."""
    generator = models.Sequential([layers.Dense(3, input_shape=(2,), name="g")], name="generator")
    discriminator = models.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,), name="d")],
                                      name="discriminator")
    discriminator.compile(optimizer=optimizers.SGD(0.1), loss="binary_crossentropy")
    real, noise = X, np.random.default_rng(2).normal(size=(16, 2))
    discriminator.train_on_batch(real, np.ones((16, 1)))
    discriminator.trainable = False
    latent = Input(shape=(2,))
    gan = models.Model(latent, discriminator(generator(latent)), name="gan")
    gan.compile(optimizer=optimizers.SGD(0.1), loss="binary_crossentropy")
    assert [w.name for w in gan.trainable_weights] == ["g/kernel", "g/bias"]
    d_before, g_before = discriminator.get_weights(), generator.get_weights()
    gan.train_on_batch(noise, np.ones((16, 1)))
    assert all(np.array_equal(a, b) for a, b in zip(d_before, discriminator.get_weights()))
    assert not np.array_equal(g_before[0], generator.get_weights()[0])
    with pytest.warns(UserWarning, match='"discriminator" changed after it was compiled'):
        discriminator.train_on_batch(generator.predict(noise), np.zeros((16, 1)))
    assert not np.array_equal(d_before[0], discriminator.get_weights()[0])
    assert not any(w.requires_grad for w in discriminator.weights)  # still frozen outside its own steps


def test_summary_shows_an_inner_model_as_one_row_with_totals_that_follow_freezing():
    base = _base()
    model = models.Sequential([base, layers.Dense(1, name="head")], name="stack")
    lines = _summary(model)
    assert lines[0] == 'Model: "stack"'
    assert _row(lines, "base") == ["base (Model)", "(None, 4)", "32"]
    assert not any(line.startswith(("base_hidden", "base_norm", "base_in")) for line in lines)
    assert lines[-4:-1] == ["Total params: 37 (148 B)", "Trainable params: 29", "Non-trainable params: 8"]
    base.trainable = False
    assert _summary(model)[-4:-1] == ["Total params: 37 (148 B)", "Trainable params: 5", "Non-trainable params: 32"]
    wide = _summary(model, line_length=120)
    assert len(wide[1]) == 120 and _row(wide, "base") == ["base (Model)", "(None, 4)", "32"]
    printed = []
    model.summary(print_fn=lambda line: printed.append(line))
    assert printed == _summary(model)


def test_misuse_of_models_as_layers_is_refused_with_a_reason_and_changes_nothing():
    base = _base()
    two = Input(shape=(3,))
    multi = models.Model(two, [layers.Dense(1)(two), layers.Dense(1)(two)], name="two_outputs")
    stack = models.Sequential([base], name="stack")
    with pytest.raises(ValueError, match='"two_outputs" has 1 inputs and 2 outputs; a layer of a Sequential stack'):
        stack.add(multi)
    with pytest.raises(ValueError, match='"stack" cannot be added to itself'):
        stack.add(stack)
    assert stack.layers == [base]
    calls = len(base._inbound_nodes)
    with pytest.raises(ValueError, match=r'"base_in" expects input shape \(None, 3\), but got \(None, 5\)'):
        base(Input(shape=(5,)))
    assert len(base._inbound_nodes) == calls  # a refused call leaves no node behind
    a, b = Input(shape=(3,)), Input(shape=(3,))
    pair = models.Model([a, b], layers.add([a, b]), name="pair")
    with pytest.raises(TypeError, match='"pair" was called on a mix of symbolic tensors and data'):
        pair([Input(shape=(3,)), X])
    with pytest.raises(ValueError, match='"base_in" expects input shape \\(None, 3\\), but got \\(16, 2\\)'):
        base.predict(X[:, :2])
