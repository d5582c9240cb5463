"""Tensor: an array that records the operations applied to it.

A :class:`Tensor` wraps an array of the current backend (NumPy or CuPy). Its operators and methods call the
differentiable operations of :mod:`pydl.ops`; the engine that records them and runs ``backward`` is
:mod:`pydl.autograd`.

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

__all__ = ["Tensor", "tensor", "as_tensor"]


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

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "name", "__weakref__")
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
        self._retains_grad = False
        self.name = name

    @classmethod
    def _wrap(cls, array, requires_grad=False, ctx=None) -> Tensor:
        """Fast constructor for operation results: ``array`` is already a backend array."""
        out = object.__new__(cls)
        out.data = array
        out.grad = None
        out.requires_grad = requires_grad
        out._ctx = ctx
        out._retains_grad = False
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
        return _ops.shape.cast(self, dtype)

    def zero_grad(self) -> None:
        self.grad = None

    def retain_grad(self) -> None:
        """Keep this intermediate tensor's ``.grad`` after ``backward`` (leaves always keep theirs), as in PyTorch.

        Without it an intermediate result's gradient is freed as soon as it has been passed on, so a backward pass
        does not hold one gradient per tensor of the graph.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "retain_grad() on a tensor that does not require grad: no gradient will ever reach it. Call it on "
                "a result computed from tensors with requires_grad=True, outside pydl.no_grad()."
            )
        if self._ctx is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """Whether ``backward`` keeps this intermediate tensor's ``.grad`` (False for leaves, as in PyTorch)."""
        return self._retains_grad

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

        Gradients of leaves (parameters, inputs) add up across calls until zeroed. Intermediate tensors keep no
        ``.grad`` unless :meth:`retain_grad` was called on them before (:func:`pydl.graph.retain_grads` asks for
        a whole graph, to inspect it with :func:`pydl.trace`).

        Args:
            grad: the gradient of the final objective with respect to this tensor. Optional for a one-element
                tensor (a loss); required, with this tensor's shape, otherwise.
        """
        _autograd.backward(self, grad)

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


# The engine and the operations import Tensor, so they load after it.
from pydl import autograd as _autograd  # noqa: E402
from pydl import ops as _ops  # noqa: E402
