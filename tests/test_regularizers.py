"""pydl.regularizers: Keras' penalties, configs, gradients."""

import numpy as np
import pytest

import pydl
from pydl import regularizers

W = np.array([[1.0, -2.0], [0.5, 3.0]])


@pytest.mark.parametrize("reg, expected", [
    (regularizers.l1(0.1), 0.1 * 6.5),
    (regularizers.l2(0.01), 0.01 * 14.25),  # Keras: no factor 1/2
    (regularizers.l1_l2(l1=0.1, l2=0.01), 0.1 * 6.5 + 0.01 * 14.25),
    (regularizers.L1L2(l2=0.5), 0.5 * 14.25),
])
def test_penalties(reg, expected):
    assert float(reg(pydl.tensor(W, dtype="float64"))) == pytest.approx(expected)


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4)])
def test_gradients_and_config_round_trip(reg):
    w = pydl.tensor(W, requires_grad=True)
    assert pydl.gradcheck(reg, [w])
    clone = regularizers.get(regularizers.serialize(reg))
    assert type(clone) is type(reg) and clone.get_config() == reg.get_config()


def test_get():
    assert regularizers.get(None) is None
    assert regularizers.get("l2").l2 == 0.01
    custom = lambda w: (w * 0).sum()  # noqa: E731
    assert regularizers.get(custom) is custom
    with pytest.raises(ValueError, match="Valid names"):
        regularizers.get("l3")


@pytest.mark.parametrize("make, named", [
    (lambda: regularizers.L2(float("nan")), "l2 must be a finite number >= 0, got l2=nan"),
    (lambda: regularizers.L1(float("inf")), "l1 must be a finite number >= 0, got l1=inf"),
    (lambda: regularizers.L1(10 ** 400), "l1 must be a finite number >= 0, got l1=inf"),
    (lambda: regularizers.L1L2(l1=0.1, l2=float("-inf")), "l2 must be a finite number >= 0, got l2=-inf"),
    (lambda: regularizers.l2(-0.01), "l2 must be a finite number >= 0, got l2=-0.01"),
    (lambda: regularizers.L2("strong"), "l2 must be a number, got l2='strong'"),
    (lambda: regularizers.get({"class_name": "L2", "config": {"l2": float("nan")}}),
     "l2 must be a finite number >= 0, got l2=nan"),
])
def test_non_finite_or_negative_factors_are_refused_by_name_and_value(make, named):
    with pytest.raises(ValueError, match=f"The regularization factor {named}"):
        make()
