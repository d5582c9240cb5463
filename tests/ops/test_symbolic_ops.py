"""Ops on symbolic tensors (layer outputs, Inputs) become graph nodes whose values equal the eager ops on the same
data, and models with them summarise, save and load; anything that cannot be recorded is a clear TypeError."""

import numpy as np
import pytest

import pydl
from pydl import Input, Model, layers, models

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype("float32")
Y = RNG.uniform(0.5, 2.0, (3, 4, 5)).astype("float32")

# name -> f(a, b): applied to two symbolic tensors in a graph, then to Tensors eagerly
FUNCTIONS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: b ** a, "neg": lambda a, b: -a + b, "numbers": lambda a, b: 2.0 * a - 1.0 + 3.0 / b + b ** 2,
    "reflected": lambda a, b: 1.0 - a, "matmul": lambda a, b: a @ pydl.transpose(b, (0, 2, 1)),
    "index": lambda a, b: a[:, :, 3], "index slices": lambda a, b: a[:, 1:3, ::2] + b[:, 1:3, -1:],
    "mean": lambda a, b: pydl.mean(a), "mean axis": lambda a, b: pydl.mean(a, axis=-1, keepdims=True) * b,
    "sum": lambda a, b: pydl.sum(a, axis=(1, 2)), "method sum": lambda a, b: a.sum(axis=1) + b.mean(axis=1),
    "sqrt": lambda a, b: pydl.sqrt(b), "exp": lambda a, b: pydl.exp(a), "abs": lambda a, b: pydl.abs(a),
    "maximum": lambda a, b: pydl.maximum(a, b), "maximum number": lambda a, b: pydl.maximum(a, 0.5),
    "concatenate": lambda a, b: pydl.concatenate([a, b], axis=-1), "transpose": lambda a, b: pydl.transpose(a),
    "T": lambda a, b: a.T, "reshape": lambda a, b: pydl.reshape(a, (-1, 20)), "method reshape": lambda a, b: a.reshape(
        (-1, 5, 4)), "softmax": lambda a, b: pydl.softmax(a, axis=1), "stack": lambda a, b: pydl.stack([a, b], axis=1),
    "log": lambda a, b: pydl.log(b), "clip": lambda a, b: pydl.clip(a, -0.5, 0.5), "tanh": lambda a, b: pydl.tanh(a),
    "array constant": lambda a, b: a * np.arange(5, dtype="float32"), "tensor constant": lambda a, b: pydl.tensor(
        np.ones(5, dtype="float32")) + a,
}


def _model(fn):
    """inputs a, b -> [fn(linear(a), b), linear(a), b]: the extra outputs keep both inputs used whatever fn reads."""
    a, b = Input(shape=(4, 5), name="a"), Input(shape=(4, 5), name="b")
    linear = layers.Activation("linear", name="lin")(a)
    return Model([a, b], [fn(linear, b), linear, b])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_an_op_on_symbolic_tensors_is_a_node_computing_the_eager_op(name, tmp_path):
    fn = FUNCTIONS[name]
    model = _model(fn)
    expected = fn(pydl.tensor(X), pydl.tensor(Y)).numpy()
    np.testing.assert_array_equal(model([X, Y])[0].numpy(), expected)
    shape = model.output_shape[0]  # None where the batch axis went, the rest known
    assert len(shape) == expected.ndim and all(d is None or d == e for d, e in zip(shape, expected.shape))
    assert shape.count(None) == (1 if shape else 0)
    restored = Model.from_config(model.get_config())
    np.testing.assert_array_equal(restored([X, Y])[0].numpy(), expected)
    model.save(tmp_path / "ops.pydl")
    np.testing.assert_array_equal(models.load_model(tmp_path / "ops.pydl")([X, Y])[0].numpy(), expected)


def test_nodes_are_summary_rows_named_as_keras_names_them():
    inputs = Input(shape=(4, 4, 3))
    features = layers.Conv2D(8, 3)(inputs)
    model = Model(inputs, [features * 2.0 + 1.0, pydl.mean(features[:, :, :, 2])])
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line.split()[0] for line in lines if "(SymbolicOp)" in line]
    assert rows == ["multiply", "add", "get_item", "mean"]
    assert [t.shape for t in model.outputs] == [(None, 2, 2, 8), ()]
    assert model.count_params() == 224


def test_an_unknown_batch_axis_stays_unknown_and_known_axes_are_inferred():
    x = Input(shape=(None, 6))
    assert pydl.mean(x, axis=1).shape == (None, 6)
    assert (x @ pydl.tensor(np.ones((6, 2), dtype="float32"))).shape == (None, None, 2)
    assert pydl.concatenate([x, x], axis=-1)[:, :, 1:4].shape == (None, None, 3)


def test_the_gradient_flows_through_op_nodes_into_the_weights():
    pydl.backend.set_floatx("float64")
    inputs = Input(shape=(3,))
    dense = layers.Dense(2)
    model = Model(inputs, pydl.sum(dense(inputs) ** 2, axis=1))
    x = RNG.standard_normal((4, 3))
    pydl.sum(model(x)).backward()
    expected = 2 * x.T @ (x @ dense.kernel.numpy() + dense.bias.numpy())
    np.testing.assert_allclose(dense.kernel.grad, expected, rtol=1e-12)


def test_numpy_functions_on_a_symbolic_tensor_raise_a_clear_type_error():
    features = layers.Dense(3)(Input(shape=(2,)))
    with pytest.raises(TypeError, match="numpy.mean cannot be recorded.*pydl.mean"):
        np.mean(features)
    with pytest.raises(TypeError, match="has no values.*pydl ops"):
        np.asarray(features)
    with pytest.raises(TypeError, match="has no values"):
        pydl.tensor(features)
    with pytest.raises(TypeError, match="batch size is not known"):
        len(features)


def test_an_op_that_does_not_fit_the_shapes_names_itself_and_the_shapes():
    a, b = Input(shape=(4,)), Input(shape=(3,))
    with pytest.raises(ValueError, match=r'Op "add" \(add\).*\[\(None, 4\), \(None, 3\)\]'):
        a + b


def test_a_saved_op_outside_the_allow_list_or_with_foreign_arguments_is_refused():
    with pytest.raises(ValueError, match="'eval' is not an op pydl records"):
        layers.deserialize({"class_name": "SymbolicOp", "config": {"op": "eval", "arguments": []}})
    with pytest.raises(ValueError, match="not one pydl writes"):
        layers.deserialize({"class_name": "SymbolicOp", "config": {
            "op": "add", "arguments": [{"class_name": "__input__", "index": 0}, {"class_name": "os.system"}]}})


def test_input_placeholders_take_operators_too():
    x = Input(shape=(3,))
    model = Model(x, (x * 2.0 - 1.0)[:, 0])
    np.testing.assert_array_equal(model(np.ones((2, 3))).numpy(), [1.0, 1.0])
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(x)  # not one node per index
