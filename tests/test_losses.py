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


# name, pydl fn of a float64 input tensor (the per-sample losses), input values, torch fn of a torch tensor (torch's
# reduction="none" losses, averaged over the last axis where Keras does so per sample)
CASES = [
    ("mse", lambda t: losses.mean_squared_error(REGRESSION, t), RNG.standard_normal((N, 3)),
     lambda t: F.mse_loss(t, torch.tensor(REGRESSION), reduction="none").mean(-1)),
    # inputs kept away from the kink |error| = 0 (mae) and |error| = delta (huber)
    ("mae", lambda t: losses.mean_absolute_error(REGRESSION, t), REGRESSION + RNG.choice([-1, 1], (N, 3)) * 0.5,
     lambda t: F.l1_loss(t, torch.tensor(REGRESSION), reduction="none").mean(-1)),
    ("huber", lambda t: losses.huber(REGRESSION, t), REGRESSION + RNG.choice([-1, 1], (N, 3)) * np.tile([0.3, 2.0, 0.7], (N, 1)),
     lambda t: F.huber_loss(t, torch.tensor(REGRESSION), delta=1.0, reduction="none").mean(-1)),
    ("huber_delta", lambda t: losses.Huber(delta=0.5, reduction="none")(REGRESSION, t),
     REGRESSION + RNG.choice([-1, 1], (N, 3)) * np.tile([0.2, 2.0, 0.7], (N, 1)),
     lambda t: F.huber_loss(t, torch.tensor(REGRESSION), delta=0.5, reduction="none").mean(-1)),
    ("bce_probs", lambda t: losses.binary_crossentropy(BINARY, t), RNG.uniform(0.05, 0.95, (N, 3)),
     lambda t: F.binary_cross_entropy(t, torch.tensor(BINARY), reduction="none").mean(-1)),
    ("bce_sigmoid_fused", lambda t: losses.binary_crossentropy(BINARY, pydl.sigmoid(t)), RNG.standard_normal((N, 3)),
     lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(BINARY), reduction="none").mean(-1)),
    ("bce_logits", lambda t: losses.binary_crossentropy(BINARY, t, from_logits=True), RNG.standard_normal((N, 3)) * 3,
     lambda t: F.binary_cross_entropy_with_logits(t, torch.tensor(BINARY), reduction="none").mean(-1)),
    # Keras renormalizes probabilities to sum to one, so the reference does too (it changes the gradient).
    ("cce_probs", lambda t: losses.categorical_crossentropy(ONE_HOT, t), _probabilities(RNG, (N, C)),
     lambda t: F.nll_loss(torch.log(t / t.sum(-1, keepdim=True)), torch.tensor(LABELS), reduction="none")),
    ("cce_softmax_fused", lambda t: losses.categorical_crossentropy(ONE_HOT, pydl.softmax(t)), RNG.standard_normal((N, C)),
     lambda t: F.cross_entropy(t, torch.tensor(ONE_HOT), reduction="none")),
    ("cce_logits", lambda t: losses.CategoricalCrossentropy(from_logits=True, reduction="none")(ONE_HOT, t),
     RNG.standard_normal((N, C)), lambda t: F.cross_entropy(t, torch.tensor(ONE_HOT), reduction="none")),
    ("scce_probs", lambda t: losses.sparse_categorical_crossentropy(LABELS, t), _probabilities(RNG, (N, C)),
     lambda t: F.nll_loss(torch.log(t / t.sum(-1, keepdim=True)), torch.tensor(LABELS), reduction="none")),
    ("scce_softmax_fused", lambda t: losses.sparse_categorical_crossentropy(LABELS, pydl.softmax(t)),
     RNG.standard_normal((N, C)), lambda t: F.cross_entropy(t, torch.tensor(LABELS), reduction="none")),
    ("scce_logits", lambda t: losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(LABELS, t),
     RNG.standard_normal((N, C)), lambda t: F.cross_entropy(t, torch.tensor(LABELS), reduction="none")),
]
WEIGHTS = RNG.uniform(0.0, 2.0, N)
WEIGHTS[1] = 0.0  # a dropped sample still counts in the divisor of sum_over_batch_size


@pytest.mark.parametrize("name, fn, values, reference", CASES, ids=[c[0] for c in CASES])
def test_gradcheck_float64(name, fn, values, reference):
    assert pydl.gradcheck(fn, [_x(values)])


@pytest.mark.parametrize("name, fn, values, reference", CASES, ids=[c[0] for c in CASES])
def test_per_sample_losses_and_gradients_match_torch(name, fn, values, reference):
    ours = _x(values)
    loss = fn(ours)
    assert loss.shape == (N,) and loss.dtype == np.float64
    (loss * pydl.tensor(WEIGHTS)).sum().backward()
    theirs = torch.tensor(values, requires_grad=True)
    expected = reference(theirs)
    (expected * torch.tensor(WEIGHTS)).sum().backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name, fn, values, reference", CASES, ids=[c[0] for c in CASES])
def test_sample_weighted_reduction_is_torch_none_losses_times_weights_over_the_batch_size(name, fn, values,
                                                                                          reference):
    ours = _x(values)
    weighted = losses.reduce_weighted(fn(ours), WEIGHTS)
    assert weighted.shape == ()
    weighted.backward()
    theirs = torch.tensor(values, requires_grad=True)
    expected = (reference(theirs) * torch.tensor(WEIGHTS)).sum() / N
    expected.backward()
    assert weighted.item() == pytest.approx(expected.item(), rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-15)


def _keras_formula(per_sample, sample_weight, reduction):
    """Keras 3's reduce_weighted_values, written out in NumPy for per-sample losses and 1-D weights."""
    weighted = per_sample * sample_weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight":
        return weighted.sum() / sample_weight.sum()
    return weighted.sum() / per_sample.size  # "sum_over_batch_size" and "mean"


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none"])
@pytest.mark.parametrize("loss_class, y_true, values", [
    (losses.MeanSquaredError, REGRESSION, RNG.standard_normal((N, 3))),
    (losses.BinaryCrossentropy, BINARY, RNG.uniform(0.05, 0.95, (N, 3))),
    (losses.CategoricalCrossentropy, ONE_HOT, _probabilities(RNG, (N, C))),
    (losses.SparseCategoricalCrossentropy, LABELS, _probabilities(RNG, (N, C))),
], ids=["mse", "bce", "cce", "scce"])
def test_loss_classes_reduce_with_keras_formula(loss_class, y_true, values, reduction):
    p = np.clip(values, 1e-7, 1 - 1e-7)
    per_sample = {
        losses.MeanSquaredError: lambda: ((values - REGRESSION) ** 2).mean(-1),
        losses.BinaryCrossentropy: lambda: -(BINARY * np.log(p) + (1 - BINARY) * np.log(1 - p)).mean(-1),
        losses.CategoricalCrossentropy: lambda: -(ONE_HOT * np.log(np.clip(values / values.sum(-1, keepdims=True),
                                                                            1e-7, 1 - 1e-7))).sum(-1),
        losses.SparseCategoricalCrossentropy: lambda: -np.log(np.clip(values / values.sum(-1, keepdims=True),
                                                                      1e-7, 1 - 1e-7)[np.arange(N), LABELS]),
    }[loss_class]()
    loss = loss_class(reduction=reduction)
    ours = loss(y_true, pydl.tensor(values, dtype="float64"), sample_weight=WEIGHTS).data
    np.testing.assert_allclose(ours, _keras_formula(per_sample, WEIGHTS, reduction), rtol=1e-13, atol=1e-15)
    unweighted = loss(y_true, pydl.tensor(values, dtype="float64")).data
    np.testing.assert_allclose(unweighted, _keras_formula(per_sample, np.ones(N), reduction), rtol=1e-13, atol=1e-15)


def test_sample_weight_shapes_follow_keras_rank_rules_and_bad_ones_are_named():
    per_sample = pydl.tensor(np.arange(1.0, 5.0), dtype="float64")
    column = losses.reduce_weighted(per_sample, np.array([[1.0], [0.0], [2.0], [1.0]]))
    assert column.item() == pytest.approx((1 + 6 + 4) / 4)
    # one weight per sample against a loss per time step weights every step of that sample
    per_step = pydl.tensor(np.arange(6.0).reshape(2, 3), dtype="float64")
    assert losses.reduce_weighted(per_step, [1.0, 0.0]).item() == pytest.approx((0 + 1 + 2) / 6)
    with pytest.raises(ValueError, match=r"sample_weight has shape \(3,\) but the losses have shape \(4,\)"):
        losses.reduce_weighted(per_sample, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        losses.MeanSquaredError(reduction="avg")


def test_fused_path_bypasses_the_softmax_and_has_gradient_p_minus_y():
    z = _x(RNG.standard_normal((N, C)))
    p = pydl.softmax(z)
    per_sample = losses.categorical_crossentropy(ONE_HOT, p)
    assert per_sample.op == "softmax_cross_entropy" and per_sample._ctx.parents[0] is z
    losses.CategoricalCrossentropy()(ONE_HOT, p).backward()
    np.testing.assert_allclose(z.grad, (p.data - ONE_HOT) / N, atol=1e-12)


def test_the_fused_path_is_found_by_the_op_type_not_its_name():
    z = _x(RNG.standard_normal((N, C)))
    p = pydl.softmax(z)
    p._ctx.name = "renamed"  # a name is only a label: the Softmax op is still recognised
    assert losses.categorical_crossentropy(ONE_HOT, p).op == "softmax_cross_entropy"
    impostor = pydl.tensor(_probabilities(RNG, (N, C)), dtype="float64", requires_grad=True) * 1.0
    impostor._ctx.name = "softmax"  # a multiply called "softmax" is not a softmax
    assert losses.categorical_crossentropy(ONE_HOT, impostor).op != "softmax_cross_entropy"
    sigmoid_out = pydl.sigmoid(_x(RNG.standard_normal((N, 3))))
    assert losses.binary_crossentropy(BINARY, sigmoid_out)._ctx.parents[0].op == "sigmoid_cross_entropy"


def test_fused_path_is_stable_for_huge_logits():
    z = pydl.tensor([[1000.0, -1000.0, 0.0]], dtype="float32", requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy()([1], pydl.softmax(z))
    assert loss.item() == pytest.approx(2000.0)
    loss.backward()
    np.testing.assert_allclose(z.grad, [[1.0, -1.0, 0.0]], atol=1e-6)
    bce = losses.BinaryCrossentropy()([[1.0]], pydl.sigmoid(pydl.tensor([[-500.0]], requires_grad=True)))
    assert bce.item() == pytest.approx(500.0)


def test_probabilities_are_clipped_like_keras():
    # A zero probability for the true class costs -log(1e-7), not infinity.
    loss = losses.categorical_crossentropy([[1.0, 0.0]], pydl.tensor([[0.0, 1.0]]))
    assert loss.shape == (1,) and loss.data[0] == pytest.approx(-np.log(1e-7), rel=1e-4)
    assert np.isfinite(losses.binary_crossentropy([[1.0]], pydl.tensor([[0.0]])).data).all()


def test_keras_reference_values():
    # Values from the Keras documentation examples (the classes reduce; the functions give one value per sample).
    y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]
    assert losses.BinaryCrossentropy()(y_true, pydl.tensor(y_pred)).item() == pytest.approx(0.815, abs=1e-3)
    assert losses.binary_crossentropy(y_true, pydl.tensor(y_pred)).tolist() == pytest.approx([0.916, 0.714], abs=1e-3)
    assert losses.BinaryCrossentropy()(y_true, pydl.tensor(y_pred), sample_weight=[1, 0]).item() == \
        pytest.approx(0.458, abs=1e-3)
    cce_true, cce_pred = [[0, 1, 0], [0, 0, 1]], pydl.tensor([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert losses.CategoricalCrossentropy()(cce_true, cce_pred).item() == pytest.approx(1.177, abs=1e-3)
    assert losses.categorical_crossentropy(cce_true, cce_pred).tolist() == pytest.approx([0.0513, 2.303], abs=1e-3)
    assert losses.CategoricalCrossentropy()(cce_true, cce_pred, sample_weight=[0.3, 0.7]).item() == \
        pytest.approx(0.814, abs=1e-3)
    mse_pred = pydl.tensor([[1.0, 1.0], [1.0, 0.0]])
    assert losses.MeanSquaredError()(y_true, mse_pred).item() == pytest.approx(0.5)
    assert losses.MeanSquaredError()(y_true, mse_pred, sample_weight=[0.7, 0.3]).item() == pytest.approx(0.25)
    assert losses.MeanSquaredError(reduction="sum")(y_true, mse_pred).item() == pytest.approx(1.0)


def test_labels_of_shape_n_against_one_output_column():
    y_pred = pydl.tensor([[0.5], [2.0]], dtype="float64")
    assert losses.mse([1.0, 2.0], y_pred).tolist() == pytest.approx([0.25, 0.0])
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
