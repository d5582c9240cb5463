"""The package's own gradient checker: numerical gradients, reports, and warnings."""

import numpy as np
import pytest

import pydl


def test_numerical_grad_of_a_known_function():
    x = pydl.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    (grad,) = pydl.numerical_grad(lambda t: (t ** 3).sum(), [x])
    np.testing.assert_allclose(grad, 3 * x.numpy() ** 2, rtol=1e-6)


def test_inputs_without_grad_get_none_and_are_left_unchanged():
    x = pydl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = pydl.tensor(np.array([3.0, 4.0]))
    grads = pydl.numerical_grad(lambda a, b: (a * b).sum(), [x, c])
    assert grads[1] is None
    np.testing.assert_allclose(grads[0], [3.0, 4.0], rtol=1e-6)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_gradcheck_keeps_existing_gradients():
    x = pydl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.grad = np.array([7.0, 7.0])
    assert pydl.gradcheck(lambda t: t.exp().sum(), [x])
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])


def test_gradcheck_needs_something_to_check():
    with pytest.raises(ValueError, match="requires_grad"):
        pydl.gradcheck(lambda t: t.sum(), [pydl.tensor(np.ones(2))])


def test_float32_inputs_trigger_a_warning():
    x = pydl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        pydl.gradcheck(lambda t: (t * 2).sum(), [x], eps=1e-2, atol=1e-2, rtol=1e-2)


def test_an_unused_input_is_reported():
    x = pydl.tensor(np.ones(2), requires_grad=True)
    y = pydl.tensor(np.ones(2), requires_grad=True, name="unused")
    with pytest.raises(pydl.GradcheckError, match="unused: autograd produced no gradient"):
        pydl.gradcheck(lambda a, b: a.sum() * 1.0, [x, y])


def test_gradcheck_accepts_an_input_computed_by_an_op_and_leaves_it_as_it_was():
    x = pydl.tensor(np.array([0.3, -1.2]), requires_grad=True) * 2.0  # not a leaf: keeps no .grad by default
    assert pydl.gradcheck(lambda t: (t * t).tanh().sum(), [x])
    assert x.grad is None and not x.retains_grad
