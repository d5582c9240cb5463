"""pydl.activations: lookup by name, serialisation, values and gradients."""

import numpy as np
import pytest

import pydl
from pydl import activations

NAMES = ["relu", "sigmoid", "tanh", "softmax", "linear", "elu", "leaky_relu"]


@pytest.mark.parametrize("name", NAMES)
def test_get_and_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.serialize(fn) == name and activations.get(fn) is fn


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    x = pydl.tensor(np.array([[-1.5, -0.3, 0.4, 2.0], [0.7, -2.2, 1.1, -0.6]]), requires_grad=True)
    assert pydl.gradcheck(activations.get(name), [x])


def test_values():
    x = pydl.tensor(np.array([[-2.0, 0.0, 3.0]]))
    np.testing.assert_allclose(activations.relu(x).numpy(), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(activations.leaky_relu(x).numpy(), [[-0.4, 0.0, 3.0]])
    np.testing.assert_allclose(activations.elu(x).numpy(), [[np.exp(-2.0) - 1, 0.0, 3.0]])
    np.testing.assert_allclose(activations.sigmoid(x).numpy(), 1 / (1 + np.exp(-x.numpy())))
    np.testing.assert_allclose(activations.softmax(x).numpy().sum(axis=-1), [1.0])
    assert activations.linear(x) is x and activations.get(None) is activations.linear


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Valid names: elu, leaky_relu, linear, relu, sigmoid, softmax, tanh"):
        activations.get("gelu_fast")


def test_serialize_refuses_anonymous_functions():
    with pytest.raises(ValueError, match="Cannot serialize"):
        activations.serialize(lambda t: t)
    assert activations.serialize(pydl.relu) == "relu"
