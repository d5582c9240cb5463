# Tensors and broadcasting.
# A pydl Tensor wraps a NumPy array and remembers how it was computed, so it can
# differentiate. Shapes broadcast exactly like NumPy's.
import numpy as np
import pydl

x = pydl.tensor([[1.0, 2.0, 3.0],
                 [4.0, 5.0, 6.0]], requires_grad=True)   # shape (2, 3)
b = pydl.tensor([10.0, 20.0, 30.0], requires_grad=True)  # shape (3,)

y = x * 2 + b          # b is broadcast: added to both rows
print("y.shape:", y.shape)
print(y.numpy())

# Gradients of a scalar flow back through the broadcast: b was used twice
# (once per row), so each of its gradients is 2.
loss = (y ** 2).mean()
loss.backward()
print("d loss / d x =\n", x.grad)
print("d loss / d b =", b.grad)

# The same numbers by hand with NumPy, as a check.
y_np = x.numpy() * 2 + b.numpy()
assert np.allclose(x.grad, 2 * 2 * y_np / y_np.size)
assert np.allclose(b.grad, (2 * y_np / y_np.size).sum(axis=0))
print("gradients match the hand-derived formulas")
