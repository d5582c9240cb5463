"""Tensor API, dtype policy, gradient accumulation and the errors people will meet."""

import numpy as np
import pytest

import pydl


def test_python_numbers_and_lists_become_float32():
    assert pydl.tensor(3).dtype == np.float32
    assert pydl.tensor([[1, 2], [3, 4]]).dtype == np.float32
    assert pydl.Tensor([1.5]).dtype == np.float32


def test_arrays_keep_their_dtype_and_float64_flows_end_to_end():
    x = pydl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ((x * 2 + 1.5) ** 2 / 3).exp().sum()
    y.backward()
    assert x.dtype == y.dtype == x.grad.dtype == np.float64


def test_integer_tensors_hold_labels_but_refuse_gradients():
    labels = pydl.tensor(np.array([0, 2, 1]))
    assert labels.dtype == np.int64
    with pytest.raises(TypeError, match="Only floating-point tensors can require gradients.*int64"):
        pydl.tensor(np.array([1, 2]), requires_grad=True)


def test_attributes():
    x = pydl.tensor(np.zeros((2, 3)), requires_grad=True)
    assert (x.shape, x.ndim, x.size, x.requires_grad, x.grad, x.device) == ((2, 3), 2, 6, True, None, "cpu")
    assert isinstance(x.data, np.ndarray) and isinstance(x.numpy(), np.ndarray)
    assert pydl.tensor(2.5).item() == 2.5


def test_item_on_many_elements_is_refused():
    with pytest.raises(ValueError, match=r"exactly one element.*\(2,\)"):
        pydl.tensor([1.0, 2.0]).item()


def test_detach_cuts_the_graph():
    x = pydl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).detach()
    assert not y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), [3.0, 6.0])


def test_backward_on_non_scalar_needs_a_gradient():
    x = pydl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar.*shape \(2,\).*loss.mean\(\)"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad, [2.0, 20.0])


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    x = pydl.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_without_any_gradient_input_explains():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (pydl.tensor([1.0]) * 2).sum().backward()


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        pydl.tensor(np.ones((2, 3))) @ pydl.tensor(np.ones((4, 5)))


def test_node_used_several_times_accumulates():
    x = pydl.tensor(3.0, requires_grad=True)
    y = x * x * x  # dy/dx = 3x^2 = 27
    y.backward()
    assert x.grad == pytest.approx(27.0)


def test_leaf_gradients_accumulate_across_backward_calls_until_zeroed():
    x = pydl.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 12.0])
    x.zero_grad()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a = pydl.tensor([1.0], requires_grad=True)
    b = pydl.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 5).sum().backward()
    assert a.grad[0] == pytest.approx(6.0) and b.grad[0] == pytest.approx(1.0)


def test_ten_thousand_op_chain_does_not_hit_the_recursion_limit():
    x = pydl.tensor(1.0, dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000)


def test_no_grad_records_nothing_and_restores_the_mode():
    x = pydl.tensor([1.0], requires_grad=True)
    with pydl.no_grad():
        y = x * 2
        assert not pydl.is_grad_enabled()
    assert pydl.is_grad_enabled() and not y.requires_grad

    @pydl.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_scalars_and_arrays_on_either_side():
    x = pydl.tensor(np.array([1.0, 2.0]))
    for result, expected in [
        (1 + x, [2, 3]), (x + 1, [2, 3]), (3 - x, [2, 1]), (x - 3, [-2, -1]), (2 * x, [2, 4]),
        (2 / x, [2, 1]), (x / 2, [0.5, 1]), (2 ** x, [2, 4]), (x ** 2, [1, 4]), (-x, [-1, -2]),
        (np.array([1.0, 1.0]) + x, [2, 3]), (np.array([[1.0], [2.0]]) @ pydl.tensor([[1.0, 1.0]]), [[1, 1], [2, 2]]),
    ]:
        assert isinstance(result, pydl.Tensor)
        np.testing.assert_allclose(result.numpy(), expected)


def test_scalar_keeps_the_tensor_dtype():
    assert (pydl.tensor(np.ones(2)) * 2.5).dtype == np.float64
    assert (pydl.tensor([1.0]) * 2.5).dtype == np.float32


def test_comparisons_return_boolean_tensors_outside_the_graph():
    x = pydl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask, expected in [(x > 1.5, [0, 1, 1]), (x <= 2, [1, 1, 0]), (x == 2, [0, 1, 0]), (x != 2, [1, 0, 1]),
                           (x < 3, [1, 1, 0]), (x >= 3, [0, 0, 1])]:
        assert mask.dtype == bool and not mask.requires_grad
        np.testing.assert_array_equal(mask.numpy(), np.array(expected, dtype=bool))


def test_tensor_stays_hashable_despite_elementwise_equality():
    x = pydl.tensor([1.0])
    assert {x: 1}[x] == 1


def test_values_of_elementwise_and_reductions_match_numpy():
    data = np.random.default_rng(0).standard_normal((3, 4))
    x = pydl.tensor(data)
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp(-data)))
    np.testing.assert_allclose(x.softmax().numpy(), np.exp(data) / np.exp(data).sum(1, keepdims=True))
    np.testing.assert_allclose(x.logsumexp(axis=0).numpy(), np.log(np.exp(data).sum(0)))
    np.testing.assert_allclose(x.max(axis=1).numpy(), data.max(1))
    np.testing.assert_allclose(x.var(axis=0).numpy(), data.var(0))
    np.testing.assert_allclose(x.clip(-0.5, 0.5).numpy(), np.clip(data, -0.5, 0.5))


def test_softmax_family_is_stable_for_huge_inputs():
    x = pydl.tensor(np.array([[1000.0, 0.0, -1000.0]]))
    assert np.isfinite(x.softmax().numpy()).all()
    assert np.isfinite(x.log_softmax().numpy()).all()
    assert x.logsumexp().item() == pytest.approx(1000.0)
    assert np.isfinite(pydl.tensor(np.array([-800.0, 800.0])).sigmoid().numpy()).all()


def test_max_ties_share_the_gradient():
    x = pydl.tensor(np.array([2.0, 2.0, 1.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.0])


def test_integer_array_indexing_with_repeats_accumulates():
    x = pydl.tensor(np.arange(4.0), requires_grad=True)
    x[[1, 1, 3, 1]].sum().backward()
    np.testing.assert_allclose(x.grad, [0, 3, 0, 1])


def test_indexing_with_tensor_indices():
    x = pydl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    rows = pydl.tensor(np.array([1, 0]))
    np.testing.assert_array_equal(x[rows, pydl.tensor(np.array([2, 2]))].numpy(), [5.0, 2.0])


def test_astype_passes_gradients_back_in_the_input_dtype():
    x = pydl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x.astype("float32") * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_repr_shows_values_dtype_and_op():
    x = pydl.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "op=mul" in repr(x * 2)


def test_reduction_axis_out_of_range_is_refused():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        pydl.tensor(np.ones((2, 2))).sum(axis=2)


def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        pydl.tensor(np.ones((2, 3))).reshape(4, 2)
