"""prod (with exact zeros), shape_of and cast: eager values, gradients in float64, and their graph nodes (the
deep-dream scaling ``K.prod(K.cast(K.shape(activation), 'float32'))`` of the book's 8.2)."""

import numpy as np
import pytest

import pydl
from pydl import Input, Model, layers, models
from pydl.ops.reduction import prod
from pydl.ops.shape import cast, shape_of


@pytest.mark.parametrize("values", [
    [[0.5, 0.0, 2.0], [1.5, -0.7, 3.0]],  # one zero: its gradient is the product of the others, theirs is 0
    [[0.0, 0.0, 2.0], [0.0, 1.2, -3.0]],  # two zeros in a row: every gradient of that row is 0
])
@pytest.mark.parametrize("axis", [None, 1, 0, (0, 1)])
def test_prod_gradient_matches_finite_differences_at_exact_zeros(values, axis):
    x = pydl.tensor(np.array(values), requires_grad=True)
    assert pydl.gradcheck(lambda a: prod(a, axis=axis), [x])


def test_prod_gradient_at_a_zero_is_the_product_of_the_others():
    x = pydl.tensor(np.array([2.0, 0.0, -3.0, 0.5]), requires_grad=True)
    prod(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, -3.0, 0.0, 0.0])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, True), ((0, 2), False), (-1, False)])
def test_prod_values_equal_numpy(axis, keepdims):
    x = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3, 4))
    np.testing.assert_array_equal(prod(pydl.tensor(x), axis=axis, keepdims=keepdims).numpy(),
                                  np.prod(x, axis=axis, keepdims=keepdims))


def test_shape_of_is_an_int64_tensor_without_gradient():
    x = pydl.tensor(np.ones((2, 3, 4)), requires_grad=True)
    shape = shape_of(x)
    assert shape.dtype == np.int64 and shape.tolist() == [2, 3, 4] and not shape.requires_grad


def test_cast_converts_and_its_gradient_comes_back_in_the_input_dtype():
    x = pydl.tensor(np.array([1.25, -2.5]), requires_grad=True)
    y = cast(x, "float32")
    assert y.dtype == np.float32 and y.tolist() == [1.25, -2.5]
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 3.0]
    assert cast(pydl.tensor(np.array([1.7, -1.2])), "int32").tolist() == [1, -1]


def test_shape_nodes_give_the_runtime_shape_and_save_and_load(tmp_path):
    inputs = Input(shape=(None, None, 3))
    features = layers.Conv2D(2, 3, padding="same", kernel_initializer="ones")(inputs)
    size = prod(cast(shape_of(features), "float32"))
    crop = pydl.sum(features[:, 2:-2, 2:-2, :])
    assert size.shape == () and shape_of(features).shape == (4,) and crop.shape == ()
    model = Model(inputs, [shape_of(features), size, crop / size])
    images = np.random.default_rng(1).standard_normal((3, 9, 7, 3)).astype("float32")
    runtime_shape, runtime_size, ratio = (out.numpy() for out in model(images))
    assert runtime_shape.tolist() == [3, 9, 7, 2] and runtime_size == 3 * 9 * 7 * 2
    eager = pydl.tensor(images)
    expected = layers.Conv2D(2, 3, padding="same", kernel_initializer="ones")(eager)[:, 2:-2, 2:-2, :].sum()
    np.testing.assert_allclose(ratio, expected.numpy() / runtime_size, rtol=1e-6)
    model.save(tmp_path / "shape.pydl")
    restored = models.load_model(tmp_path / "shape.pydl")
    for got, want in zip(restored(images[:1, :5, :6]), model(images[:1, :5, :6])):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert restored(images[:1, :5, :6])[0].tolist() == [1, 5, 6, 2]
