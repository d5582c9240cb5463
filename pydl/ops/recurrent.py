"""The LSTM's and the GRU's loop over time as one op each, with backpropagation through time written out.

``pydl.layers.LSTM``/``GRU`` define a timestep as ordinary pydl ops (their ``step`` methods), and autograd
differentiates through the Python loop. That definition is exact but records about twenty small nodes per
timestep, and their bookkeeping, not the arithmetic, is most of the time of a small recurrent layer. For the stock
activations (tanh and sigmoid) the layers call these ops instead: the same arithmetic in the same order (so the
same numbers, to rounding; ``tests/layers/test_recurrent_fused.py`` checks both paths against each other and
against finite differences in float64), one graph node per sequence, and a backward pass that loops over time
once in NumPy and multiplies the recurrent kernel's gradient in one product over all timesteps.

Inputs are the input's share of every step, ``projected = x @ kernel + bias`` (batch, timesteps, gates * units),
computed by the layer before the loop; the recurrent kernel (units, gates * units); and the recurrent dropout
factors (batch, units) or None. The output is every step's output (batch, timesteps, units).
"""

from __future__ import annotations

from pydl import backend
from pydl.autograd import Function

__all__ = ["LSTMSequence", "GRUSequence"]


def _sigmoid_(z, xp):
    """sigmoid(z) in place, as ``pydl.sigmoid`` computes it (0.5 * tanh(z / 2) + 0.5: never overflows)."""
    z *= 0.5
    xp.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def _overflow_allowed(xp, steps):
    """``steps``, iterated with NumPy's overflow warning off (an exp reaching inf is the intended limit here)."""
    if xp is not backend.np:
        yield from steps
        return
    with xp.errstate(over="ignore"):
        yield from steps


def _sigmoid_derivative(s):
    return s * (1 - s)


class LSTMSequence(Function):
    """Keras' LSTM over a whole sequence, gates in the order i, f, c, o; zero initial output and carry."""

    name = "lstm_sequence"

    def forward(self, projected, recurrent_kernel, recurrent_mask=None):
        xp = self.xp
        batch, timesteps, width = projected.shape
        units = width // 4
        # One pass activates all four gates: sigmoid(z) = 1 / (1 + exp(-z)) on i, f, o and, on the candidate,
        # tanh(z) = 2 sigmoid(2 z) - 1 (exact to rounding, and an exp is about half the cost of NumPy's tanh).
        # exp(-z) overflows to inf for very negative z, which gives the right limits (0, and -1).
        minus_scale = xp.full(width, -1.0, dtype=projected.dtype)
        minus_scale[2 * units:3 * units] = -2.0
        gates = projected.transpose(1, 0, 2).copy()  # the pre-activations, then (in place) the gates
        outputs = xp.zeros((timesteps + 1, batch, units), dtype=projected.dtype)  # outputs[0]: the zero start
        carries = xp.zeros((timesteps + 1, batch, units), dtype=projected.dtype)
        tanh_carries = xp.empty((timesteps, batch, units), dtype=projected.dtype)
        fed_back = outputs[:-1] if recurrent_mask is None else xp.empty((timesteps, batch, units), projected.dtype)
        for t in _overflow_allowed(xp, range(timesteps)):
            if recurrent_mask is not None:
                xp.multiply(outputs[t], recurrent_mask, out=fed_back[t])
            z = gates[t]
            z += backend.matmul(fed_back[t], recurrent_kernel)
            z *= minus_scale
            xp.exp(z, out=z)
            z += 1.0
            xp.reciprocal(z, out=z)
            i, f, candidate, o = (z[:, k * units:(k + 1) * units] for k in range(4))
            candidate *= 2.0
            candidate -= 1.0
            xp.multiply(f, carries[t], out=carries[t + 1])
            carries[t + 1] += i * candidate
            xp.tanh(carries[t + 1], out=tanh_carries[t])
            xp.multiply(o, tanh_carries[t], out=outputs[t + 1])
        self.gates, self.carries, self.tanh_carries, self.fed_back = gates, carries, tanh_carries, fed_back
        self.recurrent_kernel, self.recurrent_mask = recurrent_kernel, recurrent_mask
        return outputs[1:].transpose(1, 0, 2)

    def backward(self, grad):
        xp, gates, tanh_carries = self.xp, self.gates, self.tanh_carries
        timesteps, batch, width = gates.shape
        grad = grad.transpose(1, 0, 2)
        units = width // 4
        i, f, candidate, o = (gates[..., k * units:(k + 1) * units] for k in range(4))
        # d loss / d pre-activation of each gate = (d loss / d carry, or / d output for o) * partner * derivative,
        # the partner being what the gate multiplies: candidate, previous carry, input gate, tanh(carry).
        factors = xp.concatenate([candidate, self.carries[:-1], i, tanh_carries], axis=-1)
        derivative = _sigmoid_derivative(gates)
        derivative[..., 2 * units:3 * units] = 1 - candidate * candidate
        factors *= derivative
        output_to_carry = o * (1 - tanh_carries * tanh_carries)
        # batch-major, as the layer's projection that receives it: its bias sum and reshape then need no copy
        grad_gates = xp.empty((batch, timesteps, width), dtype=grad.dtype)
        grad_by_gate = grad_gates.reshape(batch, timesteps, 4, units)
        grad_output = xp.zeros((batch, units), dtype=grad.dtype)  # flowing back into step t's output
        grad_carry = xp.zeros((batch, units), dtype=grad.dtype)
        kernel_t = self.recurrent_kernel.T
        for t in reversed(range(timesteps)):
            grad_output += grad[t]
            grad_carry += grad_output * output_to_carry[t]
            grad_by_gate[:, t, :3] = grad_carry[:, None, :]
            grad_by_gate[:, t, 3] = grad_output
            step_grad = grad_gates[:, t]
            step_grad *= factors[t]
            if t == 0:
                break  # what flows further back reaches the zero start, a constant
            grad_carry *= f[t]
            grad_output = backend.matmul(step_grad, kernel_t)
            if self.recurrent_mask is not None:
                grad_output *= self.recurrent_mask
        grad_projected = grad_gates if self.needs_input_grad[0] else None
        fed_back = self.fed_back.transpose(1, 0, 2)  # batch-major like grad_gates (a copy 4 times smaller)
        return (grad_projected, _kernel_grad(self, fed_back, grad_gates), None)[:len(self.needs_input_grad)]


class GRUSequence(Function):
    """Keras' GRU with ``reset_after=True`` (its default, cuDNN's and PyTorch's formula) over a whole sequence,
    gates in the order z, r, h; zero initial state. ``recurrent_bias`` is the bias's second row, or None."""

    name = "gru_sequence"

    def forward(self, projected, recurrent_kernel, recurrent_bias=None, recurrent_mask=None):
        xp = self.xp
        batch, timesteps, width = projected.shape
        units = width // 3
        outputs = xp.zeros((batch, timesteps + 1, units), dtype=projected.dtype)
        gates = xp.empty((batch, timesteps, 2 * units), dtype=projected.dtype)  # z, r
        candidates = xp.empty((batch, timesteps, units), dtype=projected.dtype)
        recurrent_candidates = xp.empty((batch, timesteps, units), dtype=projected.dtype)  # h_h: what r scales
        fed_back = outputs[:, :-1] if recurrent_mask is None else xp.empty((batch, timesteps, units), projected.dtype)
        for t in range(timesteps):
            if recurrent_mask is not None:
                xp.multiply(outputs[:, t], recurrent_mask, out=fed_back[:, t])
            recurrent = backend.matmul(fed_back[:, t], recurrent_kernel)
            if recurrent_bias is not None:
                recurrent += recurrent_bias
            z_r = gates[:, t]
            xp.add(projected[:, t, :2 * units], recurrent[:, :2 * units], out=z_r)
            _sigmoid_(z_r, xp)
            update, reset = z_r[:, :units], z_r[:, units:]
            recurrent_candidates[:, t] = recurrent[:, 2 * units:]
            candidate = candidates[:, t]
            xp.multiply(reset, recurrent[:, 2 * units:], out=candidate)
            candidate += projected[:, t, 2 * units:]
            xp.tanh(candidate, out=candidate)
            # h_t = z * h_{t-1} + (1 - z) * candidate, in pydl.layers.GRU.step's order of operations
            xp.multiply(update, outputs[:, t], out=outputs[:, t + 1])
            outputs[:, t + 1] += (1.0 - update) * candidate
        self.outputs, self.gates, self.candidates = outputs, gates, candidates
        self.recurrent_candidates, self.fed_back = recurrent_candidates, fed_back
        self.recurrent_kernel, self.recurrent_mask = recurrent_kernel, recurrent_mask
        return outputs[:, 1:]

    def backward(self, grad):
        xp, units = self.xp, self.recurrent_kernel.shape[0]
        batch, timesteps, _ = self.gates.shape
        update, reset, candidates = self.gates[..., :units], self.gates[..., units:], self.candidates
        # what each pre-activation's gradient is, given d loss / d output (update) or / d candidate (the others)
        to_update = (self.outputs[:, :-1] - candidates) * _sigmoid_derivative(update)
        to_candidate = (1.0 - update) * (1 - candidates * candidates)
        to_reset = self.recurrent_candidates * _sigmoid_derivative(reset)
        grad_inputs = xp.empty((batch, timesteps, 3 * units), dtype=grad.dtype)  # d loss / d projected
        grad_recurrent = xp.empty((batch, timesteps, 3 * units), dtype=grad.dtype)  # d loss / d (h @ U + b1)
        grad_output = xp.zeros((batch, units), dtype=grad.dtype)
        kernel_t = self.recurrent_kernel.T
        for t in reversed(range(timesteps)):
            grad_output += grad[:, t]
            grad_candidate = grad_output * to_candidate[:, t]
            g_in, g_rec = grad_inputs[:, t], grad_recurrent[:, t]
            xp.multiply(grad_output, to_update[:, t], out=g_in[:, :units])
            xp.multiply(grad_candidate, to_reset[:, t], out=g_in[:, units:2 * units])
            g_in[:, 2 * units:] = grad_candidate
            g_rec[:, :2 * units] = g_in[:, :2 * units]
            xp.multiply(grad_candidate, reset[:, t], out=g_rec[:, 2 * units:])
            if t == 0:
                break  # what flows further back reaches the zero start, a constant
            fed_back_grad = backend.matmul(g_rec, kernel_t)
            if self.recurrent_mask is not None:
                fed_back_grad *= self.recurrent_mask
            grad_output = grad_output * update[:, t] + fed_back_grad
        need_bias = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        grad_bias = grad_recurrent.sum(axis=(0, 1)) if need_bias else None
        return ((grad_inputs if self.needs_input_grad[0] else None), _kernel_grad(self, self.fed_back, grad_recurrent), grad_bias,
                None)[:len(self.needs_input_grad)]


def _kernel_grad(fn, fed_back, grad_steps):
    """The recurrent kernel's gradient from the outputs fed back at each step and the gradients of their product
    with the kernel, both (batch, timesteps, ...) or both (timesteps, batch, ...): one product over all steps at
    once. None when the kernel needs none."""
    if not fn.needs_input_grad[1]:
        return None
    units, width = fn.recurrent_kernel.shape
    return backend.matmul(fed_back.reshape(-1, units).T, grad_steps.reshape(-1, width))
