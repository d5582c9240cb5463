"""A seeded float64 training run written with the pydl Tensor API; run natively and inside Pyodide.

The per-epoch losses of both runs must agree to a relative 1e-9: same library, same NumPy semantics,
same arithmetic order, so only floating-point library differences (exp, log, tanh) may show.
"""

import numpy as np

import pydl


def spiral_data(points_per_class=60, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label in range(classes):
        radius = np.linspace(0.05, 1.0, points_per_class)
        angle = np.linspace(label * 4.0, (label + 1) * 4.0, points_per_class) + rng.normal(0, 0.2, points_per_class)
        xs.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        ys.append(np.full(points_per_class, label))
    return np.concatenate(xs), np.concatenate(ys)


def train(epochs=15, hidden=16, learning_rate=0.5, batch_size=30, seed=0):
    """Mini-batch SGD on a 2-16-3 tanh MLP with softmax cross-entropy; returns the mean loss of each epoch."""
    x, y = spiral_data(seed=seed)
    rng = np.random.default_rng(seed)
    one_hot = np.eye(3)[y]
    w1 = pydl.tensor(rng.normal(0, 1.0, (2, hidden)), requires_grad=True)
    b1 = pydl.tensor(np.zeros(hidden), requires_grad=True)
    w2 = pydl.tensor(rng.normal(0, 1.0 / np.sqrt(hidden), (hidden, 3)), requires_grad=True)
    b2 = pydl.tensor(np.zeros(3), requires_grad=True)
    params = [w1, b1, w2, b2]
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        epoch_losses = []
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            hidden_out = pydl.tanh(pydl.tensor(x[batch]) @ w1 + b1)
            log_probs = pydl.log_softmax(hidden_out @ w2 + b2, axis=-1)
            loss = -(log_probs * pydl.tensor(one_hot[batch])).sum() / len(batch)
            for p in params:
                p.grad = None
            loss.backward()
            for p in params:
                p.data -= learning_rate * p.grad  # plain SGD keeps the arithmetic identical on both sides
            epoch_losses.append(loss.item())
        losses.append(float(np.mean(epoch_losses)))
    return losses


RESULT = {"losses": train(), "dtype": str(pydl.tensor(np.zeros(1)).dtype)}
