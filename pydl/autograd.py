"""The reverse-mode engine: grad mode, :class:`Function` and the backward pass.

Every operation on tensors is a :class:`Function`: its ``forward`` computes the value from plain arrays and its
``backward`` turns the gradient of the output into gradients of the inputs. ``Function.apply`` records which
tensors fed the result, so ``loss.backward()`` (:func:`backward`) can walk the graph backwards.

Which tensors keep a gradient, as in PyTorch:
    * leaves that require grad (parameters, inputs) get ``.grad``, summed over backward calls until zeroed;
    * intermediate results do not, unless asked with ``t.retain_grad()`` (then they sum too). Each intermediate
      gradient is freed as soon as its inputs' gradients are computed, so a backward pass holds at most the
      gradients of one "front" of the graph rather than one per tensor.

>>> import pydl
>>> x = pydl.tensor([1.0, 2.0], requires_grad=True)
>>> y = x * x
>>> y.retain_grad()
>>> y.sum().backward()
>>> x.grad, y.grad
(array([2., 4.], dtype=float32), array([1., 1.], dtype=float32))
"""

from __future__ import annotations

import functools

from pydl import backend
from pydl.backend import np

_numpy = np  # the array module of every op when CuPy is absent (checked once per op in Function.apply)

__all__ = ["Function", "backward", "no_grad", "enable_grad", "is_grad_enabled", "topological_order"]

_grad_enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations are being recorded for ``backward``."""
    return _grad_enabled


class _GradMode:
    """Context manager (and decorator) that switches recording of operations on or off."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.previous = True

    def __enter__(self):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, self.enabled
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def no_grad() -> _GradMode:
    """Do not record operations (evaluation, optimizer updates): ``with pydl.no_grad(): ...``."""
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Record operations again inside a ``no_grad`` block."""
    return _GradMode(True)


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` from output gradient to input gradients.

    Subclasses implement ``forward(self, *arrays, **options)`` returning an array and ``backward(self, grad)``
    returning one gradient (or ``None``) per input: a tuple with exactly as many entries as ``apply`` was given
    inputs (a single array is accepted for a one-input op). ``self.xp`` is the array module and
    ``self.needs_input_grad`` says which inputs need a gradient, so expensive ones can be skipped. Gradients may
    have a broadcast shape: the autograd core reduces them to each input's shape, in one place.

    Call ``MyFunction.apply(*inputs, **options)``, never ``forward`` directly: ``apply`` converts inputs, checks
    devices and records the graph.
    """

    name = "function"
    parents: tuple = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()

    @classmethod
    def apply(cls, *inputs, **options) -> Tensor:
        # Every small op pays for this method, so it is written as plain loops (no generator expressions, no
        # helper calls in the common all-Tensor case): it is most of pydl's per-op overhead.
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor) and x is not None:  # a Python number or array: convert them all
                like = next((x for x in inputs if isinstance(x, Tensor)), None)
                tensors = tuple(None if x is None else as_tensor(x, like) for x in inputs)
                break
        arrays, needs_grad, any_grad = [], [], False
        for t in tensors:
            if t is None:
                arrays.append(None)
                needs_grad.append(False)
            else:
                arrays.append(t.data)
                needs_grad.append(t.requires_grad)
                any_grad = any_grad or t.requires_grad
        fn = cls()
        fn.xp = _numpy if backend.cupy is None else backend.get_array_module(*arrays, op=cls.name)
        fn.needs_input_grad = tuple(needs_grad)
        out = fn.forward(*arrays, **options)
        if any_grad and _grad_enabled:
            fn.parents = tensors
            return Tensor._wrap(out, True, fn)
        return Tensor._wrap(out)

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError


def topological_order(root: Tensor, include_constants: bool = False) -> list:
    """Tensors of the graph behind ``root``, every tensor after the tensors it was computed from.

    Iterative depth-first search: a chain of 10,000 operations must not hit Python's recursion limit.
    Inputs that need no gradient are skipped unless ``include_constants`` (graph drawings show them).
    """
    # Tensors hash by identity (Tensor.__hash__ is object.__hash__; distinct live objects never share a hash, so
    # the elementwise __eq__ is never called by the set), so they go into the set directly, without id().
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        ctx = node._ctx
        if ctx is not None:
            for parent in ctx.parents:
                if parent is not None and (include_constants or parent.requires_grad) and parent not in visited:
                    stack.append((parent, False))
    return order


def _reduce_to_shape(grad, tensor: Tensor):
    """Sum a gradient over the axes that broadcasting expanded, and match the tensor's dtype.

    This is the one place where broadcasting is undone: operations return gradients in the broadcast shape.
    """
    shape = tensor.data.shape
    if grad.shape != shape:
        extra = grad.ndim - len(shape)
        if extra > 0:
            grad = grad.sum(axis=tuple(range(extra)))
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
        if grad.shape != shape:  # a gradient smaller than its input (a scalar standing for all elements)
            grad = backend.get_array_module(grad).broadcast_to(grad, shape).copy()
    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
    return grad


def _wrong_count(ctx, count: int) -> RuntimeError:
    expected = len(ctx.parents)
    return RuntimeError(
        f"{type(ctx).__name__} (op {ctx.name!r}).backward returned {count} gradient{'s' * (count != 1)}, but the op "
        f"has {expected} input{'s' * (expected != 1)}: return exactly one gradient (or None) per input given to "
        "apply, in the same order."
    )


def backward(root: Tensor, grad=None) -> None:
    """Fill ``.grad`` on the leaves ``root`` depends on (and on tensors that asked with ``retain_grad``).

    This is :meth:`Tensor.backward`; see it for the arguments.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad: none of its inputs had "
            "requires_grad=True (or it was computed inside pydl.no_grad())."
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() without an argument needs a scalar (one-element) tensor, but this tensor has shape "
                f"{root.shape}. Reduce it first (e.g. loss.mean()) or pass backward(grad) with shape {root.shape}."
            )
        grad = backend.get_array_module(root.data).ones_like(root.data)
    else:
        grad = _to_array(grad, root.data.dtype)
        if grad.shape != root.shape:
            raise ValueError(f"backward(grad): grad has shape {grad.shape}, but the tensor has shape {root.shape}.")
    _run_backward(root, grad)


def _run_backward(root: Tensor, grad) -> None:
    pending = {root: grad}  # tensor -> gradient summed so far (tensors hash by identity); popped once used
    for node in reversed(topological_order(root)):
        g = pending.pop(node, None)
        if g is None:
            continue
        ctx = node._ctx
        if ctx is None or node._retains_grad:
            # Out of place on purpose: a gradient array may be shared by several inputs (x + x).
            node.grad = g if node.grad is None else node.grad + g
            if ctx is None:
                continue
        input_grads = ctx.backward(g)
        parents = ctx.parents
        if not isinstance(input_grads, tuple):
            if len(parents) != 1:
                raise _wrong_count(ctx, 1)
            input_grads = (input_grads,)
        elif len(input_grads) != len(parents):
            raise _wrong_count(ctx, len(input_grads))
        for parent, parent_grad in zip(parents, input_grads):
            if parent_grad is None or parent is None or not parent.requires_grad:
                continue
            data = parent.data
            if parent_grad.shape != data.shape or parent_grad.dtype != data.dtype:  # checked inline: the usual
                parent_grad = _reduce_to_shape(parent_grad, parent)  # case needs no call at all
            if parent in pending:
                pending[parent] = pending[parent] + parent_grad
            else:
                pending[parent] = parent_grad


# Tensor wraps every result and Tensor.backward calls back here: whichever module loads first, each finds the
# other's names defined by the time it needs them.
from pydl.tensor import Tensor, _to_array, as_tensor  # noqa: E402
