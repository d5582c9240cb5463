"""Check autograd against finite differences, in the package so it also runs in the browser.

>>> import pydl
>>> x = pydl.tensor([0.5, -1.5, 2.0], dtype="float64", requires_grad=True)
>>> pydl.gradcheck(lambda t: (t * t).tanh().sum(), [x])
True
"""

from __future__ import annotations

import warnings

from pydl import backend
from pydl.backend import np
from pydl.autograd import no_grad
from pydl.tensor import Tensor

__all__ = ["gradcheck", "numerical_grad", "GradcheckError"]


class GradcheckError(AssertionError):
    """Autograd and finite differences disagree; the message holds a per-input report."""


def _objective(fn, inputs, output_weights):
    """The scalar that both methods differentiate: sum(fn(inputs) * output_weights)."""
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}.")
    return out if output_weights is None else (out * output_weights).sum()


def numerical_grad(fn, inputs, eps: float = 1e-6, output_weights=None) -> list:
    """Central finite-difference gradients of ``sum(fn(*inputs) * output_weights)``.

    Each element of each input that requires grad is nudged by ``+eps`` and ``-eps``; the slope is
    ``(f(x + eps) - f(x - eps)) / (2 eps)``. Returns one NumPy array per input (None for inputs without grad).
    ``output_weights`` may be omitted when ``fn`` returns one element.
    """
    grads = []
    with no_grad():
        for t in inputs:
            if not (isinstance(t, Tensor) and t.requires_grad):
                grads.append(None)
                continue
            original = t.data
            flat = backend.to_numpy(original).astype(np.float64 if original.dtype.kind == "f" else original.dtype)
            flat = flat.reshape(-1).copy()
            grad = np.zeros(flat.shape, dtype=np.float64)
            xp = backend.get_array_module(original)
            for i in range(flat.size):
                saved = flat[i]
                values = []
                for step in (eps, -eps):
                    flat[i] = saved + step
                    t.data = xp.asarray(flat.reshape(original.shape), dtype=original.dtype)
                    values.append(float(_objective(fn, inputs, output_weights).data.sum()))
                flat[i] = saved
                grad[i] = (values[0] - values[1]) / (2 * eps)
            t.data = original
            grads.append(grad.reshape(original.shape))
    return grads


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Compare the gradients autograd computes for ``fn(*inputs)`` with central finite differences.

    A non-scalar output is projected on fixed random weights, so every output element is checked. Inputs
    should be float64 (float32 is too coarse for ``eps=1e-6``; a warning says so).

    Returns:
        True when every element satisfies ``|autograd - numeric| <= atol + rtol * |numeric|``.

    Raises:
        GradcheckError: with, for each failing input, the largest absolute and relative error and where it is.
    """
    inputs = list(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check.")
    if any(t.dtype != np.float64 for t in checked):
        warnings.warn("gradcheck: inputs are not float64; finite differences will be inaccurate.", stacklevel=2)

    with no_grad():
        probe = fn(*inputs)
    output_weights = None
    if probe.size != 1:
        rng = np.random.default_rng(seed)
        weights = rng.standard_normal(probe.shape).astype(backend.to_numpy(probe.data).dtype)
        output_weights = Tensor._wrap(backend.get_array_module(probe.data).asarray(weights))

    saved = [(t.grad, t._retains_grad) for t in checked]
    for t in checked:
        t.grad = None
        t._retains_grad = not t.is_leaf  # an input computed by an op keeps its gradient only when asked
    try:
        _objective(fn, inputs, output_weights).sum().backward()
        analytic = [None if not (isinstance(t, Tensor) and t.requires_grad) else t.grad for t in inputs]
    finally:
        for t, (grad, retains) in zip(checked, saved):
            t.grad, t._retains_grad = grad, retains
    numeric = numerical_grad(fn, inputs, eps, output_weights)

    failures = []
    for position, (t, auto, num) in enumerate(zip(inputs, analytic, numeric)):
        if num is None:
            continue
        label = t.name or f"input {position}"
        if auto is None:
            failures.append(f"{label}: autograd produced no gradient (is the input used by fn?)")
            continue
        auto = backend.to_numpy(auto).astype(np.float64)
        error = np.abs(auto - num)
        bad = error > atol + rtol * np.abs(num)
        if bad.any():
            relative = error / np.maximum(np.abs(num), 1e-12)
            worst = np.unravel_index(int(np.argmax(np.where(bad, error, -1))), num.shape)
            failures.append(
                f"{label} shape {t.shape}: {int(bad.sum())} of {num.size} elements differ; "
                f"max abs error {error.max():.3g}, max rel error {relative.max():.3g}; "
                f"worst at index {tuple(int(i) for i in worst)}: autograd {auto[worst]:.8g} vs numeric {num[worst]:.8g}"
            )
    if failures:
        raise GradcheckError("gradcheck failed:\n  " + "\n  ".join(failures))
    return True
