"""pydl.keras_backend, Keras 2's ``K``: every function on eager Tensors and on symbolic tensors (as graph nodes),
K.gradients against finite differences and against a closed form, and K.function."""

import numpy as np
import pytest

import pydl
from pydl import Input, Model, layers
from pydl import keras_backend as K

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (3, 4))
B = RNG.standard_normal((3, 4))

# K function -> (its call on two tensors, the NumPy reference)
MATHS = {
    "mean": (lambda a, b: K.mean(a, axis=1), lambda a, b: a.mean(axis=1)),
    "mean list axis": (lambda a, b: K.mean(a, axis=[0, 1], keepdims=True), lambda a, b: a.mean(keepdims=True)),
    "sum": (lambda a, b: K.sum(a), lambda a, b: a.sum()),
    "max": (lambda a, b: K.max(b, axis=0), lambda a, b: b.max(axis=0)),
    "min": (lambda a, b: K.min(b, axis=1), lambda a, b: b.min(axis=1)),
    "var": (lambda a, b: K.var(b, axis=1), lambda a, b: b.var(axis=1)),
    "std": (lambda a, b: K.std(b, axis=1), lambda a, b: b.std(axis=1)),
    "square": (lambda a, b: K.square(b), lambda a, b: b ** 2),
    "sqrt": (lambda a, b: K.sqrt(a), np.sqrt),
    "abs": (lambda a, b: K.abs(b), lambda a, b: np.abs(b)),
    "exp": (lambda a, b: K.exp(b), lambda a, b: np.exp(b)),
    "log": (lambda a, b: K.log(a), lambda a, b: np.log(a)),
    "pow": (lambda a, b: K.pow(a, 3), lambda a, b: a ** 3),
    "maximum": (lambda a, b: K.maximum(a, b), np.maximum),
    "minimum": (lambda a, b: K.minimum(a, b), np.minimum),
    "clip": (lambda a, b: K.clip(b, -0.5, 0.5), lambda a, b: np.clip(b, -0.5, 0.5)),
    "tanh": (lambda a, b: K.tanh(b), lambda a, b: np.tanh(b)),
    "sigmoid": (lambda a, b: K.sigmoid(b), lambda a, b: 1 / (1 + np.exp(-b))),
    "relu": (lambda a, b: K.relu(b), lambda a, b: np.maximum(b, 0)),
    "relu alpha max_value": (lambda a, b: K.relu(b * 3, alpha=0.1, max_value=2.0),
                             lambda a, b: np.minimum(np.where(b > 0, b * 3, b * 0.3), 2.0)),
    "softmax": (lambda a, b: K.softmax(b), lambda a, b: np.exp(b) / np.exp(b).sum(axis=-1, keepdims=True)),
    "concatenate": (lambda a, b: K.concatenate([a, b]), lambda a, b: np.concatenate([a, b], axis=-1)),
    "reshape": (lambda a, b: K.reshape(a, (-1, 2, 2)), lambda a, b: a.reshape(-1, 2, 2)),
    "permute_dimensions": (lambda a, b: K.permute_dimensions(K.reshape(a, (-1, 2, 2)), (0, 2, 1)),
                           lambda a, b: a.reshape(-1, 2, 2).transpose(0, 2, 1)),
    "expand_dims squeeze": (lambda a, b: K.squeeze(K.expand_dims(a, 1), 1), lambda a, b: a),
    "stack": (lambda a, b: K.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1)),
    "batch_flatten": (lambda a, b: K.batch_flatten(K.reshape(a, (-1, 2, 2))), lambda a, b: a),
    "dot": (lambda a, b: K.dot(a, K.permute_dimensions(b, (1, 0))), lambda a, b: a @ b.T),
    "l2_normalize": (lambda a, b: K.l2_normalize(b, axis=1),
                     lambda a, b: b / np.sqrt((b ** 2).sum(axis=1, keepdims=True))),
}


@pytest.mark.parametrize("name", sorted(MATHS))
def test_maths_on_tensors_and_on_symbolic_tensors_equal_numpy(name):
    k_fn, reference = MATHS[name]
    expected = reference(A, B)
    np.testing.assert_allclose(K.eval(k_fn(pydl.tensor(A), pydl.tensor(B))), expected, rtol=1e-12)
    a, b = Input(shape=(4,), dtype="float64"), Input(shape=(4,), dtype="float64")
    f = K.function([a, b], [k_fn(a, b)])
    np.testing.assert_allclose(f([A, B])[0], expected, rtol=1e-12)


def test_transpose_and_flatten_of_tensors():
    np.testing.assert_array_equal(K.eval(K.transpose(pydl.tensor(A))), A.T)
    np.testing.assert_array_equal(K.eval(K.flatten(pydl.tensor(A))), A.ravel())


def test_configuration_and_shape_functions():
    assert K.epsilon() == 1e-7 and K.image_data_format() == "channels_last" and K.floatx() == "float32"
    K.set_epsilon(1e-5)
    assert K.epsilon() == 1e-5
    K.set_epsilon(1e-7)
    x = Input(shape=(5, 3))
    features = layers.Dense(2)(x)
    assert K.int_shape(features) == (None, 5, 2) and K.int_shape(x) == (None, 5, 3) and K.ndim(features) == 3
    assert K.int_shape(pydl.tensor(A)) == (3, 4) and K.shape(A).tolist() == [3, 4]
    assert K.eval(K.shape(pydl.tensor(A))[0]) == 3  # the VAE's batch size inside a Lambda's function
    assert K.dtype(features) == "float32" and K.dtype(pydl.tensor(A)) == "float64"


def test_shape_of_a_symbolic_tensor_is_a_node_giving_the_runtime_shape():
    image = Input(shape=(None, None, 3))
    activation = layers.Conv2D(4, 3, name="conv")(image)
    scaling = K.prod(K.cast(K.shape(activation), "float32"))  # the book's deep-dream line (8.2)
    assert K.int_shape(K.shape(activation)) == (4,) and K.int_shape(scaling) == ()
    batch = K.function([image], [K.shape(activation)[0], scaling])
    size, value = batch([np.zeros((2, 10, 7, 3))])
    assert size == 2 and value == 2 * 8 * 5 * 4 and value.dtype == np.float32
    with pytest.raises(ValueError, match="not known"):
        K.random_normal((K.shape(activation)[0], 2))


def test_clear_session_restarts_layer_names():
    layers.Dense(2)
    K.clear_session()
    assert layers.Dense(2).name == "dense"


def test_variables_constants_and_random_tensors():
    v = K.variable([[1.0, 2.0]])
    assert v.requires_grad and v.dtype == np.float32 and K.get_value(v).tolist() == [[1.0, 2.0]]
    K.set_value(v, np.array([[3.0, 4.0]]))
    assert K.eval(v).tolist() == [[3.0, 4.0]]
    with pytest.raises(ValueError, match=r"\(1, 2\).*\(3,\)"):
        K.set_value(v, np.zeros(3))
    c = K.constant(2.0, shape=(2, 3))
    assert not c.requires_grad and K.eval(c).tolist() == [[2.0] * 3] * 2
    assert K.eval(K.zeros((2, 2))).sum() == 0 and K.eval(K.ones((2, 2))).sum() == 4
    assert K.eval(K.cast(K.shape(A), "float32")).tolist() == [3.0, 4.0]
    normal = K.eval(K.random_normal((4000,), mean=1.0, stddev=2.0, seed=1))
    assert abs(normal.mean() - 1.0) < 0.1 and abs(normal.std() - 2.0) < 0.1
    np.testing.assert_array_equal(normal, K.eval(K.random_normal((4000,), mean=1.0, stddev=2.0, seed=1)))
    uniform = K.eval(K.random_uniform((1000,), 2.0, 3.0, seed=1))
    assert uniform.min() >= 2.0 and uniform.max() < 3.0
    with pytest.raises(ValueError, match="not known"):
        K.random_normal((None, 2))
    placeholder = K.placeholder(shape=(1, 4, 4, 3))
    assert K.int_shape(placeholder) == (1, 4, 4, 3)


def test_eval_of_a_symbolic_tensor_says_to_use_k_function():
    with pytest.raises(TypeError, match="K.function"):
        K.eval(layers.Dense(2)(Input(shape=(3,))))


def test_gradients_match_finite_differences_through_a_convnet():
    pydl.backend.set_floatx("float64")
    image = Input(shape=(6, 6, 2))
    features = layers.Conv2D(3, 3, activation="tanh")(layers.Conv2D(4, 3, activation="tanh")(image))
    loss = K.mean(features[:, :, :, 1])
    grads = K.gradients(loss, image)[0]
    iterate = K.function([image], [loss, grads])
    x = RNG.standard_normal((2, 6, 6, 2))
    loss_value, grads_value = iterate([x])
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[index] += sign * 1e-6
            numeric[index] += sign * iterate([shifted])[0] / 2e-6
    np.testing.assert_allclose(grads_value, numeric, rtol=1e-6, atol=1e-9)


def test_gradients_with_respect_to_a_layer_output_as_grad_cam_does():
    pydl.backend.set_floatx("float64")
    image = Input(shape=(5, 5, 1))
    conv = layers.Conv2D(2, 3, name="last_conv")
    dense = layers.Dense(3)
    scores = dense(layers.Flatten()(conv(image)))
    grads = K.gradients(scores[:, 1], conv.output)[0]
    pooled = K.mean(grads, axis=(0, 1, 2))
    iterate = K.function([image], [pooled, conv.output[0]])
    pooled_value, conv_value = iterate([RNG.standard_normal((1, 5, 5, 1))])
    # score 1 is linear in the conv output: its gradient there is the Dense kernel's column 1, reshaped
    np.testing.assert_allclose(pooled_value, dense.kernel.numpy()[:, 1].reshape(3, 3, 2).mean(axis=(0, 1)),
                               rtol=1e-12)
    assert conv_value.shape == (3, 3, 2)


def test_gradients_leave_the_weights_untouched():
    image = Input(shape=(4,))
    dense = layers.Dense(2)
    K.function([image], K.gradients(K.sum(dense(image)), [image]))([np.ones((1, 4))])
    assert dense.kernel.grad is None and dense.kernel.requires_grad


def test_bad_gradient_and_function_calls_are_clear():
    x, other = Input(shape=(3,)), Input(shape=(3,))
    y = layers.Dense(1)(x)
    with pytest.raises(TypeError, match="symbolic loss"):
        K.gradients(pydl.tensor(1.0), [x])
    with pytest.raises(ValueError, match="not computed from"):
        K.gradients(K.mean(y), [other])
    with pytest.raises(TypeError, match="Weights are not supported"):
        K.gradients(K.mean(y), [pydl.tensor(A)])
    f = K.function([x], [y])
    with pytest.raises(ValueError, match=r"takes 1 input"):
        f([A[:, :3], A[:, :3]])
    with pytest.raises(ValueError, match="updates"):
        K.function([x], [y], updates=[(y, y)])
