"""Losses: finite-difference gradients in float64, values and gradients against PyTorch, label checks, registry."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import pydl
from pydl import losses

RNG = np.random.default_rng(0)
N, C = 6, 4


def _probabilities(rng, shape):
    z = rng.standard_normal(shape)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _one_hot(labels, classes=C):
    return np.eye(classes)[labels]


LABELS = RNG.integers(0, C, N)
ONE_HOT = _one_hot(LABELS)
BINARY = RNG.integers(0, 2, (N, 3)).astype(np.float64)
REGRESSION = RNG.standard_normal((N, 3))


def _x(values):
    return pydl.tensor(values, dtype="float64", requires_grad=True)


# name, pydl fn of a float64 input tensor, input values, torch fn of a torch tensor
CASES = [
    ("mse", lambda t: losses.mean_squared_error(REGRESSION, t), RNG.standard_normal((N, 3)),
     lambda t: F.mse_loss(t, torch.tensor(REGRESSION))),
    # inputs kept away from the kink |error| = 0 (mae) and |error| = delta (huber)
    ("mae", lambda t: losses.mean_absolute_error(REGRESSION, t), REGRESSION + RNG.choice([-1, 1], (N, 3)) * 0.5,
     lambda t: F.l1_loss(t, torch.tensor(REGRESSION))),
    ("huber", lambda t: losses.huber(REGRESSION, t), REGRESSION + RNG.choice([-1, 1], (N, 3)) * np.tile([0.3, 2.0, 0.7], (N, 1)),
     lambda t: F.huber_loss(t, torch.tensor(REGRESSION), delta=1.0)),
    ("huber_delta", lambda t: losses.Huber(delta=0.5)(REGRESSION, t),
     REGRESSION + RNG.choice([-1, 1], (N, 3)) * np.tile([0.2, 2.0, 0.7], (N, 1)),
     lambda t: F.huber_loss(t, torch.tensor(REGRESSION), delta=0.5)),
    ("bce_probs", lambda t: losses.binary_crossentropy(BINARY, t), RNG.uniform(0.05, 0.95, (N, 3)),
     lambda t: F.binary_cross_entropy(t, torch.tensor(BINARY))),
    ("bce_sigmoid_fused", lambda t: losses.binary_crossentropy(BINARY, pydl.sigmoid(t)), RNG.standard_normal((N, 3)),
     lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(BINARY))),
    ("bce_logits", lambda t: losses.binary_crossentropy(BINARY, t, from_logits=True), RNG.standard_normal((N, 3)) * 3,
     lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(BINARY))),
    # Keras renormalizes probabilities to sum to one, so the reference does too (it changes the gradient).
    ("cce_probs", lambda t: losses.categorical_crossentropy(ONE_HOT, t), _probabilities(RNG, (N, C)),
     lambda t: F.nll_loss(torch.log(t / t.sum(-1, keepdim=True)), torch.tensor(LABELS))),
    ("cce_softmax_fused", lambda t: losses.categorical_crossentropy(ONE_HOT, pydl.softmax(t)), RNG.standard_normal((N, C)),
     lambda t: F.cross_entropy(t, torch.tensor(ONE_HOT))),
    ("cce_logits", lambda t: losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, t), RNG.standard_normal((N, C)),
     lambda t: F.cross_entropy(t, torch.tensor(ONE_HOT))),
    ("scce_probs", lambda t: losses.sparse_categorical_crossentropy(LABELS, t), _probabilities(RNG, (N, C)),
     lambda t: F.nll_loss(torch.log(t / t.sum(-1, keepdim=True)), torch.tensor(LABELS))),
    ("scce_softmax_fused", lambda t: losses.sparse_categorical_crossentropy(LABELS, pydl.softmax(t)),
     RNG.standard_normal((N, C)), lambda t: F.cross_entropy(t, torch.tensor(LABELS))),
    ("scce_logits", lambda t: losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, t),
     RNG.standard_normal((N, C)), lambda t: F.cross_entropy(t, torch.tensor(LABELS))),
]


@pytest.mark.parametrize("name, fn, values, reference", CASES, ids=[c[0] for c in CASES])
def test_gradcheck_float64(name, fn, values, reference):
    assert pydl.gradcheck(fn, [_x(values)])


@pytest.mark.parametrize("name, fn, values, reference", CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradient_match_torch(name, fn, values, reference):
    ours = _x(values)
    loss = fn(ours)
    assert loss.shape == () and loss.dtype == np.float64
    loss.backward()
    theirs = torch.tensor(values, requires_grad=True)
    expected = reference(theirs)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_fused_path_bypasses_the_softmax_and_has_gradient_p_minus_y():
    z = _x(RNG.standard_normal((N, C)))
    p = pydl.softmax(z)
    loss = losses.categorical_crossentropy(ONE_HOT, p)
    assert loss.op == "softmax_cross_entropy" and loss._ctx.parents[0] is z
    loss.backward()
    np.testing.assert_allclose(z.grad, (p.data - ONE_HOT) / N, atol=1e-12)


def test_fused_path_is_stable_for_huge_logits():
    z = pydl.tensor([[1000.0, -1000.0, 0.0]], dtype="float32", requires_grad=True)
    loss = losses.sparse_categorical_crossentropy([1], pydl.softmax(z))
    assert loss.item() == pytest.approx(2000.0)
    loss.backward()
    np.testing.assert_allclose(z.grad, [[1.0, -1.0, 0.0]], atol=1e-6)
    bce = losses.binary_crossentropy([[1.0]], pydl.sigmoid(pydl.tensor([[-500.0]], requires_grad=True)))
    assert bce.item() == pytest.approx(500.0)


def test_probabilities_are_clipped_like_keras():
    # A zero probability for the true class costs -log(1e-7), not infinity.
    loss = losses.categorical_crossentropy([[1.0, 0.0]], pydl.tensor([[0.0, 1.0]]))
    assert loss.item() == pytest.approx(-np.log(1e-7), rel=1e-4)
    assert np.isfinite(losses.binary_crossentropy([[1.0]], pydl.tensor([[0.0]])).item())


def test_keras_reference_values():
    # Values from the Keras documentation examples.
    y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    assert losses.binary_crossentropy(y_true, pydl.tensor(y_pred)).item() == pytest.approx(0.815, abs=1e-3)
    assert losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], pydl.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])).item() \
        == pytest.approx(1.177, abs=1e-3)
    assert losses.mean_squared_error(y_true, pydl.tensor([[1.0, 1.0], [1.0, 0.0]])).item() == pytest.approx(0.5)


def test_labels_of_shape_n_against_one_output_column():
    y_pred = pydl.tensor([[0.5], [2.0]], dtype="float64")
    assert losses.mse([1.0, 2.0], y_pred).item() == pytest.approx(0.125)
    with pytest.raises(ValueError, match="shape"):
        losses.mse([1.0, 2.0, 3.0], y_pred)


def test_integer_labels_given_to_categorical_crossentropy_point_to_sparse():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(LABELS, pydl.tensor(_probabilities(RNG, (N, C))))


def test_one_hot_labels_given_to_sparse_crossentropy_point_to_categorical():
    with pytest.raises(ValueError, match="loss='categorical_crossentropy'"):
        losses.sparse_categorical_crossentropy(ONE_HOT, pydl.tensor(_probabilities(RNG, (N, C))))


def test_wrong_class_count_is_reported():
    with pytest.raises(ValueError, match="5 classes.*outputs 4"):
        losses.categorical_crossentropy(np.eye(5)[:N], pydl.tensor(_probabilities(RNG, (N, C))))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        losses.sparse_categorical_crossentropy(np.full(N, 7), pydl.tensor(_probabilities(RNG, (N, C))))


def test_binary_crossentropy_on_multiclass_output_points_to_sparse():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.binary_crossentropy(LABELS, pydl.tensor(_probabilities(RNG, (N, C))))


def test_get_by_name_class_and_config():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MAE") is losses.mean_absolute_error
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    loss = losses.Huber(delta=2.0)
    assert losses.get(losses.serialize(loss)).get_config() == loss.get_config()
    assert losses.get(losses.serialize(losses.binary_crossentropy)) is losses.binary_crossentropy
    with pytest.raises(ValueError, match="Valid names: binary_crossentropy"):
        losses.get("cross_entropy")


def test_y_true_never_gets_a_gradient_and_float32_stays_float32():
    y_pred = pydl.tensor([[0.2, 0.8]], requires_grad=True)
    loss = losses.categorical_crossentropy(np.array([[0, 1]]), y_pred)
    assert loss.dtype == np.float32
    loss.backward()
    assert y_pred.grad.dtype == np.float32
