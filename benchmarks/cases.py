"""The benchmark cases: one training step (or one small graph) written several ways, to be timed side by side.

Every case is a function ``case(size) -> {contender name: step}`` where ``step()`` runs one complete step
(forward, backward, parameter update) and returns nothing. A contender whose library is missing (PyTorch in
Pyodide, ``pydl.models`` before it exists) is simply absent, with the reason in :data:`SKIPPED`.

This module imports only NumPy and pydl at the top, so the same file runs natively and inside Pyodide.

Sizes come from :data:`SIZES` (``"full"``: the sizes the targets are stated for; ``"tiny"``: a few hundred
microseconds per step, for the smoke test).
"""

from __future__ import annotations

import numpy as np

SIZES = {
    "full": {"mlp": (128, 784, 512, 10), "convnet": (64, 28, 28, 1, 32, 64, 10), "chain": (1000, 8),
             "lstm": (64, 40, 32, 64, 10), "gru": (64, 40, 32, 64, 10), "simple_rnn": (64, 40, 32, 64, 10)},
    "tiny": {"mlp": (8, 20, 16, 4), "convnet": (2, 10, 10, 1, 2, 3, 4), "chain": (20, 8),
             "lstm": (4, 5, 3, 6, 2), "gru": (4, 5, 3, 6, 2), "simple_rnn": (4, 5, 3, 6, 2)},
}
LEARNING_RATE = 0.01
TORCH_DEVICE = "cpu"  # benchmarks/gpu.py sets "cuda" (and pydl's CuPy backend) to time the same steps on a GPU
SKIPPED: dict = {}  # "case/contender" -> why it is not measured


def _skip(case: str, contender: str, why: str) -> None:
    SKIPPED[f"{case}/{contender}"] = why


def _torch():
    """PyTorch, or None where it is not installed (Pyodide, minimal installs)."""
    try:
        import torch
    except Exception:
        return None
    return torch


def _to_torch(torch, array):
    return torch.from_numpy(array).to(TORCH_DEVICE)


def _on_pydl_device(array):
    """``array`` where pydl's current backend keeps data (on the GPU with CuPy), so that a GPU step, like
    PyTorch's there, is timed without a copy of its batch from the host."""
    from pydl import backend

    return backend.xp().asarray(array)


def set_threads(n: int) -> None:
    """Use ``n`` threads in PyTorch (NumPy's OpenBLAS reads OPENBLAS_NUM_THREADS at import; run.py sets it)."""
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(n)


def _glorot(rng, fan_in, fan_out, shape=None):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape or (fan_in, fan_out)).astype(np.float32)


# --------------------------------------------------------------------------- 1. MLP step


def mlp_data(size):
    """Inputs, one-hot targets and float32 weights for an ``n_in - hidden (relu) - n_out`` MLP."""
    batch, n_in, hidden, n_out = size
    rng = np.random.default_rng(0)
    x = rng.random((batch, n_in), dtype=np.float32)
    labels = rng.integers(0, n_out, batch)
    y = np.eye(n_out, dtype=np.float32)[labels]
    weights = [_glorot(rng, n_in, hidden), np.zeros(hidden, np.float32),
               _glorot(rng, hidden, n_out), np.zeros(n_out, np.float32)]
    return x, y, labels, weights


def numpy_mlp_step(x, y, weights, lr=LEARNING_RATE):
    """The reference: the same step written directly in NumPy, as a careful person would (in-place update)."""
    w1, b1, w2, b2 = weights
    h = x @ w1
    h += b1
    np.maximum(h, 0, out=h)
    z = h @ w2
    z += b2
    # Fused softmax cross-entropy: dL/dz = (softmax(z) - y) / batch.
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    dz = p - y
    dz *= 1.0 / len(x)
    dw2 = h.T @ dz
    db2 = dz.sum(axis=0)
    dh = dz @ w2.T
    dh *= h > 0
    dw1 = x.T @ dh
    db1 = dh.sum(axis=0)
    for w, g in zip(weights, (dw1, db1, dw2, db2)):
        w -= lr * g


def mlp(size):
    x, y, labels, init = mlp_data(size)
    steps = {}

    weights = [w.copy() for w in init]
    steps["numpy"] = lambda: numpy_mlp_step(x, y, weights)

    import pydl
    from pydl.ops.losses import softmax_cross_entropy

    params = [pydl.Tensor(w.copy(), requires_grad=True) for w in init]
    xt, yt = pydl.Tensor(x), pydl.Tensor(y)

    def pydl_tensor_step():
        w1, b1, w2, b2 = params
        loss = softmax_cross_entropy((xt @ w1 + b1).relu() @ w2 + b2, yt).mean()
        loss.backward()
        for p in params:  # plain SGD on the arrays: the update is not part of any graph
            p.data -= LEARNING_RATE * p.grad
            p.grad = None

    steps["pydl_tensor"] = pydl_tensor_step

    model = _pydl_sequential_mlp(size, init)
    if model is not None:
        x_batch, y_batch = _on_pydl_device(x), _on_pydl_device(y)
        steps["pydl_sequential"] = lambda: model.train_on_batch(x_batch, y_batch)

    torch = _torch()
    if torch is None:
        _skip("mlp", "torch", "PyTorch is not installed")
    else:
        steps["torch"] = _torch_mlp_step(torch, x, labels, init)
    return steps


def _pydl_sequential_mlp(size, init):
    try:
        from pydl import layers, losses, models, optimizers

        models.Sequential, optimizers.SGD  # noqa: B018  (both are being written in parallel)
    except (ImportError, AttributeError) as error:
        _skip("mlp", "pydl_sequential", f"pydl.models/optimizers not usable yet ({error})")
        return None
    _, n_in, hidden, n_out = size
    model = models.Sequential([layers.Input((n_in,)), layers.Dense(hidden, activation="relu"), layers.Dense(n_out)])
    model.compile(optimizer=optimizers.SGD(learning_rate=LEARNING_RATE),
                  loss=losses.CategoricalCrossentropy(from_logits=True))
    model.build((None, n_in)) if not model.built else None
    model.set_weights([w.copy() for w in init])
    return model


def _torch_mlp_step(torch, x, labels, init):
    _, n_in = x.shape
    hidden, n_out = init[0].shape[1], init[2].shape[1]
    net = torch.nn.Sequential(torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_out))
    with torch.no_grad():  # same starting point as the others; torch keeps weights as (out, in)
        for layer, (w, b) in zip((net[0], net[2]), ((init[0], init[1]), (init[2], init[3]))):
            layer.weight.copy_(torch.from_numpy(w.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    net.to(TORCH_DEVICE)
    opt = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, lt = _to_torch(torch, x), _to_torch(torch, labels)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(net(xt), lt).backward()
        opt.step()

    return step


# --------------------------------------------------------------------------- 2. convnet step


def convnet_data(size):
    batch, h, w, c, f1, f2, n_out = size
    rng = np.random.default_rng(0)
    x = rng.random((batch, h, w, c), dtype=np.float32)
    labels = rng.integers(0, n_out, batch)
    y = np.eye(n_out, dtype=np.float32)[labels]
    return x, y, labels


def convnet(size):
    """Conv2D(f1, 3)-ReLU-MaxPool-Conv2D(f2, 3)-ReLU-MaxPool-Flatten-Dense(n_out), SGD, softmax cross-entropy."""
    x, y, labels = convnet_data(size)
    batch, h, w, c, f1, f2, n_out = size
    steps = {}
    step = _pydl_convnet_step(size, x, y)
    if step is not None:
        steps[step[0]] = step[1]
    torch = _torch()
    if torch is None:
        _skip("convnet", "torch", "PyTorch is not installed")
    else:
        torch.manual_seed(0)
        flat = f2 * (((h - 2) // 2 - 2) // 2) * (((w - 2) // 2 - 2) // 2)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(c, f1, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(f1, f2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(flat, n_out)).to(TORCH_DEVICE)
        opt = torch.optim.SGD(net.parameters(), lr=LEARNING_RATE)
        loss_fn = torch.nn.CrossEntropyLoss()
        xt, lt = _to_torch(torch, x.transpose(0, 3, 1, 2).copy()), _to_torch(torch, labels)  # torch is NCHW

        def torch_step():
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt), lt).backward()
            opt.step()

        steps["torch"] = torch_step
    return steps


def _convnet_layers(size):
    from pydl import layers

    batch, h, w, c, f1, f2, n_out = size
    return [layers.Input((h, w, c)),
            layers.Conv2D(f1, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(f2, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dense(n_out)]


def _pydl_convnet_step(size, x, y):
    """``("pydl_sequential", step)`` once pydl.models exists, else the same layers driven by a hand-written loop."""
    import pydl

    pydl.seed(0)
    try:
        from pydl import losses, models, optimizers

        model = models.Sequential(_convnet_layers(size))
        model.compile(optimizer=optimizers.SGD(learning_rate=LEARNING_RATE),
                      loss=losses.CategoricalCrossentropy(from_logits=True))
        x_batch, y_batch = _on_pydl_device(x), _on_pydl_device(y)
        return "pydl_sequential", lambda: model.train_on_batch(x_batch, y_batch)
    except (ImportError, AttributeError) as error:
        _skip("convnet", "pydl_sequential", f"pydl.models/optimizers not usable yet ({error}); "
                                            "timed the same layers in a hand-written loop instead")
    from pydl.ops.losses import softmax_cross_entropy

    stack = _convnet_layers(size)
    xt, yt = pydl.Tensor(x), pydl.Tensor(y)

    def step():
        out = xt
        for layer in stack:
            out = layer(out, training=True)
        softmax_cross_entropy(out, yt).mean().backward()
        for layer in stack:
            for p in layer.trainable_weights:
                p.data -= LEARNING_RATE * p.grad
                p.grad = None

    return "pydl_layers", step


# --------------------------------------------------------------------------- 3. autograd overhead


def chain(size):
    """``ops`` small operations on ``width``-element tensors, then sum and backward: the cost of bookkeeping.

    The ops cycle through multiply, add, tanh and multiply-by-a-Python-number, the mix of a typical model's
    scalar code. Divide the step time by ``ops`` for the cost per op.
    """
    ops, width = size
    rng = np.random.default_rng(0)
    a0, b0, c0 = (rng.uniform(0.5, 1.0, width).astype(np.float32) for _ in range(3))
    steps = {}

    import pydl

    def graph(a, b, c, tanh):
        y = a
        for i in range(ops // 4):
            y = tanh((y * b + c) * 0.9)
        return y

    a, b, c = (pydl.Tensor(v, requires_grad=True) for v in (a0, b0, c0))

    def pydl_step():
        graph(a, b, c, pydl.tanh).sum().backward()
        a.grad = b.grad = c.grad = None

    steps["pydl"] = pydl_step
    torch = _torch()
    if torch is None:
        _skip("chain", "torch", "PyTorch is not installed")
    else:
        ta, tb, tc = (torch.tensor(v, requires_grad=True) for v in (a0, b0, c0))

        def torch_step():
            graph(ta, tb, tc, torch.tanh).sum().backward()
            ta.grad = tb.grad = tc.grad = None

        steps["torch"] = torch_step
    return steps


# --------------------------------------------------------------------------- 4. recurrent steps

_TORCH_RECURRENT = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "RNN"}
_PYDL_RECURRENT = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}


def recurrent(kind):
    """The case for one recurrent layer: ``(batch, timesteps, features, units, classes)``, the layer reading the
    whole sequence, Dense(classes) on its last output, softmax cross-entropy, SGD.

    Each library starts from its own default initial weights: a recurrent step's cost does not depend on their
    values (the same products and the same elementwise functions run whatever they are).
    """

    def case(size):
        batch, timesteps, features, units, n_out = size
        rng = np.random.default_rng(0)
        x = rng.random((batch, timesteps, features), dtype=np.float32)
        labels = rng.integers(0, n_out, batch)
        y = np.eye(n_out, dtype=np.float32)[labels]
        import pydl
        from pydl import layers, losses, models, optimizers

        pydl.seed(0)
        model = models.Sequential([layers.Input((timesteps, features)), getattr(layers, _PYDL_RECURRENT[kind])(units),
                                   layers.Dense(n_out)])
        model.compile(optimizer=optimizers.SGD(learning_rate=LEARNING_RATE),
                      loss=losses.CategoricalCrossentropy(from_logits=True))
        x_batch, y_batch = _on_pydl_device(x), _on_pydl_device(y)
        steps = {"pydl_sequential": lambda: model.train_on_batch(x_batch, y_batch)}
        torch = _torch()
        if torch is None:
            _skip(kind, "torch", "PyTorch is not installed")
            return steps
        torch.manual_seed(0)
        rnn = getattr(torch.nn, _TORCH_RECURRENT[kind])(features, units, batch_first=True).to(TORCH_DEVICE)
        head = torch.nn.Linear(units, n_out).to(TORCH_DEVICE)
        opt = torch.optim.SGD([*rnn.parameters(), *head.parameters()], lr=LEARNING_RATE)
        loss_fn = torch.nn.CrossEntropyLoss()
        xt, lt = _to_torch(torch, x), _to_torch(torch, labels)

        def torch_step():
            opt.zero_grad(set_to_none=True)
            outputs, _ = rnn(xt)
            loss_fn(head(outputs[:, -1]), lt).backward()
            opt.step()

        steps["torch"] = torch_step
        return steps

    case.__name__ = kind
    return case


CASES = {"mlp": mlp, "convnet": convnet, "chain": chain,
         "lstm": recurrent("lstm"), "gru": recurrent("gru"), "simple_rnn": recurrent("simple_rnn")}
