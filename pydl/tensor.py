"""Tensor and reverse-mode automatic differentiation.

A :class:`Tensor` wraps an array of the current backend (NumPy or CuPy). Every operation on tensors is a
:class:`Function`: its ``forward`` computes the value from plain arrays and its ``backward`` turns the gradient of
the output into gradients of the inputs. ``Function.apply`` records which tensors fed the result, so
``loss.backward()`` can walk the graph backwards and fill ``.grad`` on every tensor that requires it.

Dtype policy:
    * Python numbers and lists become float32 (the usual deep-learning precision).
    * Arrays keep their dtype, so float64 stays float64 end to end (gradient checks rely on it).
    * A Python scalar combined with a tensor takes the tensor's floating dtype (``x * 2`` keeps float64).
    * Integer and boolean tensors hold data (labels, indices, masks); they cannot require gradients.

>>> import pydl
>>> x = pydl.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
array([2., 4., 6.], dtype=float32)
"""

from __future__ import annotations

from pydl import backend
from pydl.backend import np

_numpy = np  # the array module of every op when CuPy is absent (checked once per op in Function.apply)

__all__ = ["Tensor", "Function", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "as_tensor"]

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
        import functools

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


def _to_array(data, dtype=None):
    """An array of the right backend for ``data``, following the dtype policy in the module docstring."""
    if isinstance(data, Tensor):
        data = data.data
    if backend.cupy is not None and isinstance(data, backend.cupy.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    xp = backend.xp()
    if dtype is not None:
        return xp.asarray(data, dtype=dtype)
    if isinstance(data, (int, float, list, tuple)) and not isinstance(data, bool):
        array = np.asarray(data)
        # Python numbers become float32; nested lists of bools stay bool (masks).
        if array.dtype.kind != "b":
            array = array.astype(np.float32)
        return xp.asarray(array)
    return xp.asarray(data)


class Tensor:
    """An n-dimensional array that can record the operations applied to it and compute gradients.

    Args:
        data: a Python number, (nested) list, NumPy or CuPy array, or another Tensor.
        requires_grad: whether ``backward`` should compute ``.grad`` for this tensor.
        dtype: optional dtype (``"float32"``, ``"float64"``, ``"int64"``, ...).
        name: optional label, shown by :func:`pydl.trace` and in graph drawings.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "__weakref__")
    # NumPy defers to Tensor's reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        self.data = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"Only floating-point tensors can require gradients, but this tensor has dtype {self.data.dtype}. "
                "Integer tensors hold labels or indices; create a float tensor with dtype='float32' or 'float64'."
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx = None
        self.name = name

    @classmethod
    def _wrap(cls, array, requires_grad=False, ctx=None) -> Tensor:
        """Fast constructor for operation results: ``array`` is already a backend array."""
        out = object.__new__(cls)
        out.data = array
        out.grad = None
        out.requires_grad = requires_grad
        out._ctx = ctx
        out.name = None
        return out

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def op(self) -> str:
        """Name of the operation that produced this tensor (``"leaf"`` for inputs and parameters)."""
        return "leaf" if self._ctx is None else self._ctx.name

    def numpy(self):
        """The values as a NumPy array (copied from the GPU when needed); never part of the graph."""
        return backend.to_numpy(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with exactly one element, but this one has shape {self.shape}.")
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self) -> Tensor:
        """A tensor sharing the same values, cut from the graph (no gradient flows through it)."""
        return Tensor._wrap(self.data)

    def to(self, device: str) -> Tensor:
        """This tensor on ``"cpu"`` (NumPy) or ``"gpu"`` (CuPy); gradients flow back across the move."""
        return _ops.shape.to_device(self, device)

    def astype(self, dtype) -> Tensor:
        return _ops.shape.astype(self, dtype)

    def zero_grad(self) -> None:
        self.grad = None

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self) -> str:
        values = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = f", dtype={self.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True" if self._ctx is None else f", op={self.op}"
        if self.device != "cpu":
            extra += f", device={self.device}"
        return f"tensor({values}{extra})"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__  # == is elementwise, so identity hashing must be restored explicitly

    # ----------------------------------------------------------------- autograd
    def backward(self, grad=None) -> None:
        """Compute the gradient of this tensor with respect to every tensor it depends on.

        Gradients of leaves (parameters, inputs) add up across calls until zeroed; intermediate tensors keep the
        gradient of the latest call, so a graph can be inspected after ``backward`` (see :func:`pydl.trace`).

        Args:
            grad: the gradient of the final objective with respect to this tensor. Optional for a one-element
                tensor (a loss); required, with this tensor's shape, otherwise.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: none of its inputs had "
                "requires_grad=True (or it was computed inside pydl.no_grad())."
            )
        xp = backend.get_array_module(self.data)
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without an argument needs a scalar (one-element) tensor, but this tensor has shape "
                    f"{self.shape}. Reduce it first (e.g. loss.mean()) or pass backward(grad) with shape {self.shape}."
                )
            grad = xp.ones_like(self.data)
        else:
            grad = _to_array(grad, self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(grad): grad has shape {grad.shape}, but the tensor has shape {self.shape}.")
        _run_backward(self, grad)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _ops.arithmetic.add(self, other)

    def __radd__(self, other):
        return _ops.arithmetic.add(other, self)

    def __sub__(self, other):
        return _ops.arithmetic.sub(self, other)

    def __rsub__(self, other):
        return _ops.arithmetic.sub(other, self)

    def __mul__(self, other):
        return _ops.arithmetic.mul(self, other)

    def __rmul__(self, other):
        return _ops.arithmetic.mul(other, self)

    def __truediv__(self, other):
        return _ops.arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return _ops.arithmetic.div(other, self)

    def __pow__(self, other):
        return _ops.arithmetic.pow(self, other)

    def __rpow__(self, other):
        return _ops.arithmetic.pow(other, self)

    def __matmul__(self, other):
        return _ops.arithmetic.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.arithmetic.matmul(other, self)

    def __neg__(self):
        return _ops.arithmetic.neg(self)

    def __pos__(self):
        return self

    # Comparisons give boolean tensors outside the graph: they have no useful gradient.
    def __lt__(self, other):
        return Tensor._wrap(self.data < _data(other))

    def __le__(self, other):
        return Tensor._wrap(self.data <= _data(other))

    def __gt__(self, other):
        return Tensor._wrap(self.data > _data(other))

    def __ge__(self, other):
        return Tensor._wrap(self.data >= _data(other))

    def __eq__(self, other):
        return Tensor._wrap(self.data == _data(other))

    def __ne__(self, other):
        return Tensor._wrap(self.data != _data(other))

    # ----------------------------------------------------------------- elementwise
    def exp(self):
        return _ops.elementwise.exp(self)

    def log(self):
        return _ops.elementwise.log(self)

    def sqrt(self):
        return _ops.elementwise.sqrt(self)

    def abs(self):
        return _ops.elementwise.abs(self)

    def tanh(self):
        return _ops.elementwise.tanh(self)

    def sigmoid(self):
        return _ops.elementwise.sigmoid(self)

    def relu(self):
        return _ops.elementwise.relu(self)

    def clip(self, min=None, max=None):
        return _ops.elementwise.clip(self, min, max)

    def maximum(self, other):
        return _ops.elementwise.maximum(self, other)

    def minimum(self, other):
        return _ops.elementwise.minimum(self, other)

    # ----------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False):
        return _ops.reduction.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.reduction.mean(self, axis, keepdims)

    def var(self, axis=None, keepdims=False):
        return _ops.reduction.var(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.reduction.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops.reduction.min(self, axis, keepdims)

    def argmax(self, axis=None):
        return Tensor._wrap(self.data.argmax(axis=axis))

    def argmin(self, axis=None):
        return Tensor._wrap(self.data.argmin(axis=axis))

    def logsumexp(self, axis=None, keepdims=False):
        return _ops.reduction.logsumexp(self, axis, keepdims)

    def softmax(self, axis=-1):
        return _ops.reduction.softmax(self, axis)

    def log_softmax(self, axis=-1):
        return _ops.reduction.log_softmax(self, axis)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        return _ops.shape.reshape(self, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)

    def transpose(self, *axes):
        return _ops.shape.transpose(self, axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes or None)

    @property
    def T(self):
        return _ops.shape.transpose(self, None)

    def expand_dims(self, axis):
        return _ops.shape.expand_dims(self, axis)

    def squeeze(self, axis=None):
        return _ops.shape.squeeze(self, axis)

    def flatten(self):
        return _ops.shape.reshape(self, (-1,))

    def __getitem__(self, index):
        return _ops.shape.getitem(self, index)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def tensor(data, requires_grad: bool = False, dtype=None, name: str | None = None) -> Tensor:
    """Create a tensor (same as ``Tensor(...)``, in the style of ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; a Python scalar takes the floating dtype of ``like`` (so ``x64 * 2`` stays float64)."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float)) and not isinstance(x, bool):
        if like.dtype.kind == "f" or isinstance(x, int):  # a float scalar with an int tensor follows the policy
            return Tensor._wrap(backend.get_array_module(like.data).asarray(x, dtype=like.dtype))
    return Tensor(x)


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` from output gradient to input gradients.

    Subclasses implement ``forward(self, *arrays, **options)`` returning an array and ``backward(self, grad)``
    returning one gradient (or ``None``) per input. ``self.xp`` is the array module and
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


def _topological_order(root: Tensor, include_constants: bool = False) -> list:
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


def _run_backward(root: Tensor, grad) -> None:
    pending = {root: grad}  # tensor -> gradient summed so far (tensors hash by identity)
    for node in reversed(_topological_order(root)):
        g = pending.pop(node, None)
        if g is None:
            continue
        ctx = node._ctx
        if ctx is None:
            # Out of place on purpose: a gradient array may be shared by several inputs (x + x).
            node.grad = g if node.grad is None else node.grad + g
            continue
        node.grad = g
        input_grads = ctx.backward(g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, parent_grad in zip(ctx.parents, input_grads):
            if parent_grad is None or parent is None or not parent.requires_grad:
                continue
            data = parent.data
            if parent_grad.shape != data.shape or parent_grad.dtype != data.dtype:  # checked inline: the usual
                parent_grad = _reduce_to_shape(parent_grad, parent)  # case needs no call at all
            if parent in pending:
                pending[parent] = pending[parent] + parent_grad
            else:
                pending[parent] = parent_grad


from pydl import ops as _ops  # noqa: E402  (operations import Tensor, so they load after it)
