"""The engine in pydl.autograd: gradient counts are checked, and only leaves (or tensors that ask) keep .grad."""

import numpy as np
import pytest
import torch

import pydl
from pydl import layers, losses, models
from pydl.autograd import Function, topological_order


class _ScaleBoth(Function):
    """a * b, whose backward returns however many gradients the test asks for."""

    def forward(self, a, b, count=2):
        self.a, self.b, self.count = a, b, count
        return a * b

    def backward(self, grad):
        grads = (grad * self.b, grad * self.a, grad)[: self.count]
        return grads[0] if self.count == 1 else grads


def _inputs():
    return pydl.tensor([1.0, 2.0], requires_grad=True), pydl.tensor([3.0, 4.0], requires_grad=True)


@pytest.mark.parametrize("count", [1, 3])
def test_backward_returning_the_wrong_number_of_gradients_names_the_op_and_both_counts(count):
    a, b = _inputs()
    out = _ScaleBoth.apply(a, b, count=count).sum()
    with pytest.raises(RuntimeError, match=rf"_ScaleBoth \(op '_scaleboth'\)\.backward returned {count} gradients?, "
                                           r"but the op has 2 inputs"):
        out.backward()


def test_backward_returning_one_gradient_per_input_works():
    a, b = _inputs()
    _ScaleBoth.apply(a, b).sum().backward()
    assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


def _both_graphs(retain):
    """The same small graph in pydl and in PyTorch (float64): a leaf, two intermediates, a loss."""
    values = np.array([0.5, -1.5, 2.0])
    ours, theirs = {}, {}
    for lib, out in ((pydl, ours), (torch, theirs)):
        x = lib.tensor(values, requires_grad=True)
        hidden = x * x
        squashed = hidden.tanh()
        if retain:
            hidden.retain_grad()
        out.update(x=x, hidden=hidden, squashed=squashed, loss=(squashed * 3.0).sum())
    return ours, theirs


@pytest.mark.parametrize("retain", [False, True])
def test_which_tensors_keep_grad_matches_pytorch(retain):
    ours, theirs = _both_graphs(retain)
    for _ in range(2):  # a second backward adds to every kept gradient, in both libraries
        ours["loss"].backward()
        theirs["loss"].backward(retain_graph=True)
    for name in ("x", "hidden", "squashed"):
        assert ours[name].retains_grad == theirs[name].retains_grad, name
        if not (theirs[name].is_leaf or theirs[name].retains_grad):  # PyTorch keeps no .grad (and warns if read)
            assert ours[name].grad is None, name
        else:
            np.testing.assert_allclose(ours[name].grad, theirs[name].grad.numpy(), rtol=1e-12, atol=0)
    assert (ours["hidden"].grad is not None) == retain and ours["squashed"].grad is None


def test_retain_grad_is_refused_where_no_gradient_can_arrive_and_is_a_no_op_on_leaves():
    with pytest.raises(RuntimeError, match="does not require grad"):
        pydl.tensor([1.0]).retain_grad()
    with pytest.raises(RuntimeError):  # PyTorch refuses it too
        torch.tensor([1.0]).retain_grad()
    leaf = pydl.tensor([1.0], requires_grad=True)
    leaf.retain_grad()
    assert not leaf.retains_grad and leaf.is_leaf


def _mlp_step_graph():
    pydl.seed(0)
    model = models.Sequential([layers.Input((20,)), layers.Dense(32, activation="relu"),
                               layers.Dense(32, activation="relu"), layers.Dense(3)])
    x = np.random.default_rng(0).standard_normal((16, 20))
    loss = losses.sparse_categorical_crossentropy(np.arange(16) % 3, pydl.softmax(model(pydl.tensor(x))))
    return model, loss


def _retained(loss):
    """(arrays kept as .grad, their bytes) over every tensor of the graph behind ``loss``."""
    grads = [node.grad for node in topological_order(loss) if node.grad is not None]
    return len(grads), sum(g.nbytes for g in grads)


def test_a_training_backward_keeps_only_the_parameters_gradients():
    model, loss = _mlp_step_graph()
    loss.backward()
    count, size = _retained(loss)
    assert count == len(model.trainable_weights) == 6
    assert size == sum(w.data.nbytes for w in model.trainable_weights)

    model, loss = _mlp_step_graph()
    every_tensor = [node for node in topological_order(loss) if node.requires_grad]
    pydl.graph.retain_grads(loss).backward()
    retained_count, retained_size = _retained(loss)
    assert retained_count == len(every_tensor) > 2 * count  # what every backward pass used to hold
    assert retained_size >= size + 6 * 16 * 32 * 4  # + matmul, bias-add, relu of both hidden layers, float32
