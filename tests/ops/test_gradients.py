"""Every core operation against central finite differences in float64 (cases in tests/gradcheck_cases.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pydl
from tests.gradcheck_cases import CASES, make_inputs, run_all


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_gradient_matches_finite_differences(case):
    assert pydl.gradcheck(case.fn, make_inputs(case))


def test_run_all_reports_every_case():
    count, failures = run_all(seeds=(3,))
    assert count == len(CASES) and failures == []


BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "maximum": pydl.maximum,
}


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(BINARY_OPS)), seed=st.integers(0, 2**16))
def test_broadcasting_gradients_for_any_compatible_shapes(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a, b = (pydl.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes.input_shapes)
    assert pydl.gradcheck(BINARY_OPS[op], [a, b])


@settings(max_examples=20, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
def test_reduction_gradients_for_any_axis(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    x = pydl.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert pydl.gradcheck(lambda t: t.sum(axis=axis, keepdims=keepdims) * t.mean(axis=axis, keepdims=keepdims), [x])
    assert pydl.gradcheck(lambda t: t.logsumexp(axis=axis, keepdims=keepdims), [x])


def test_gradcheck_catches_a_wrong_backward():
    class BadSquare(pydl.Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return grad * self.x  # wrong: the derivative is 2x

    x = pydl.tensor([0.3, -1.2], dtype="float64", requires_grad=True, name="weights")
    with pytest.raises(pydl.GradcheckError, match=r"weights shape \(2,\).*max abs error"):
        pydl.gradcheck(lambda t: BadSquare.apply(t), [x])
