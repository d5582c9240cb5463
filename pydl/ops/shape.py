"""Shape and layout: reshape, transpose, expand_dims, squeeze, indexing, concatenate, stack, unstack, casts,
devices."""

from __future__ import annotations

import itertools

from pydl import backend
from pydl.autograd import Function
from pydl.ops.dispatch import records_in_graphs
from pydl.tensor import Tensor


class Reshape(Function):
    def forward(self, x, shape=None):
        self.input_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.size} elements) "
                             f"into shape {tuple(shape)}.") from None

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Transpose(Function):
    def forward(self, x, axes=None):
        self.axes = axes
        return x.transpose(axes) if axes is not None else x.T

    def backward(self, grad):
        if self.axes is None:
            return grad.T
        return grad.transpose(self.xp.argsort(self.xp.asarray(self.axes)).tolist())


class ExpandDims(Function):
    name = "expand_dims"

    def forward(self, x, axis=0):
        self.input_shape = x.shape
        return self.xp.expand_dims(x, axis)

    def backward(self, grad):
        return grad.reshape(self.input_shape)


class Squeeze(Function):
    def forward(self, x, axis=None):
        self.input_shape = x.shape
        return self.xp.squeeze(x, axis)

    def backward(self, grad):
        return grad.reshape(self.input_shape)


def _is_basic_index(index) -> bool:
    """True for indices made of ints, slices, None and Ellipsis (no element is picked twice)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class GetItem(Function):
    name = "getitem"

    def forward(self, x, index=None):
        self.input_shape, self.index = x.shape, index
        return x[index]

    def backward(self, grad):
        full = self.xp.zeros(self.input_shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            full[self.index] = grad
        else:  # integer-array indexing may repeat an element; add.at accumulates instead of overwriting
            self.xp.add.at(full, self.index, grad)
        return full


class Concatenate(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.boundaries = list(itertools.accumulate(a.shape[axis] for a in arrays))[:-1]
        return self.xp.concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(self.xp.split(grad, self.boundaries, axis=self.axis))


class Pad(Function):
    """Constant padding (``numpy.pad`` with ``mode="constant"``); the gradient is the unpadded middle."""

    def forward(self, x, pad_width=(), value=0):
        self.inside = tuple(slice(before, before + size) for (before, _), size in zip(pad_width, x.shape))
        return self.xp.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.inside]


class Stack(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, grad):
        count = grad.shape[self.axis]
        return tuple(self.xp.take(grad, i, axis=self.axis) for i in range(count))


class UnstackSource(Function):
    """The input side of :func:`unstack`. Its output is a 0-d stand-in that every part depends on; the parts
    write their gradients into ``self.collected`` (one slot each), and this node hands the whole of it to ``x``
    once, after all parts (the graph order guarantees that)."""

    name = "unstack"

    def forward(self, x, axis=0):
        self.axis, self.input_shape, self.collected = axis, x.shape, None
        return self.xp.zeros((), dtype=x.dtype)

    def collect(self, index, grad):
        if self.collected is None:
            self.collected = self.xp.zeros(self.input_shape, dtype=grad.dtype)
        self.collected[(slice(None),) * self.axis + (index,)] += grad

    def backward(self, grad):
        collected, self.collected = self.collected, None  # a later backward pass starts from zero again
        return collected


class UnstackPart(Function):
    """One slice of :func:`unstack`'s input: its value is a view of ``x``, its gradient goes to the source."""

    name = "unstack_part"

    def forward(self, token, part=None, source=None, index=0):
        self.source, self.index = source, index
        return part

    def backward(self, grad):
        self.source.collect(self.index, grad)
        return self.xp.zeros((), dtype=grad.dtype)  # only tells the autograd core that the source was reached


class AsType(Function):
    name = "astype"

    def forward(self, x, dtype=None):
        self.input_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.input_dtype)


class ToDevice(Function):
    name = "to"

    def forward(self, x, device="cpu"):
        self.source = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, grad):
        return backend.to_device(grad, self.source)


@records_in_graphs
def reshape(x, shape):
    return Reshape.apply(x, shape=tuple(shape))


@records_in_graphs
def transpose(x, axes=None):
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


@records_in_graphs
def expand_dims(x, axis):
    return ExpandDims.apply(x, axis=axis)


@records_in_graphs
def squeeze(x, axis=None):
    return Squeeze.apply(x, axis=axis)


@records_in_graphs
def getitem(x, index):
    """``x[index]`` for basic (ints, slices) and advanced (integer arrays, masks) indices."""
    def unwrap(part):
        return part.data if isinstance(part, Tensor) else part

    index = tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)
    if isinstance(index, list):
        index = backend.get_array_module(x.data).asarray(index)
    return GetItem.apply(x, index=index)


@records_in_graphs
def concatenate(tensors, axis=0):
    return Concatenate.apply(*tensors, axis=axis)


@records_in_graphs
def pad(x, pad_width, value=0):
    """``x`` with ``pad_width[i] = (before, after)`` entries of ``value`` added along axis ``i`` (one pair per axis).

    >>> import pydl
    >>> pad(pydl.tensor([[1.0, 2.0]]), [(0, 0), (1, 2)]).tolist()
    [[0.0, 1.0, 2.0, 0.0, 0.0]]
    """
    pad_width = tuple((int(before), int(after)) for before, after in pad_width)
    if len(pad_width) != len(x.shape) or min((min(p) for p in pad_width), default=0) < 0:
        raise ValueError(f"pad: needs one (before, after) pair of non-negative ints per axis of the shape "
                         f"{tuple(x.shape)}, got {pad_width}.")
    return Pad.apply(x, pad_width=pad_width, value=value)


@records_in_graphs
def stack(tensors, axis=0):
    return Stack.apply(*tensors, axis=axis)


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a list of tensors without that axis (the inverse of :func:`stack`).

    ``[x[:, t] for t in range(T)]`` would give the same values, but the gradient of each slice is a zero array
    as large as ``x`` with one slot filled, and the autograd core adds those T arrays up: T times the size of
    ``x`` in work, which dominates a recurrent layer over 500 timesteps. Here every part writes its gradient
    straight into one shared array, so the backward pass costs one ``x``, whatever T is.

    >>> import pydl
    >>> x = pydl.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    >>> [part.tolist() for part in unstack(x, axis=1)]
    [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    >>> (unstack(x, axis=1)[2] * 10.0).sum().backward()
    >>> x.grad.tolist()
    [[0.0, 0.0, 10.0], [0.0, 0.0, 10.0]]
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    axis = axis % x.ndim
    token = UnstackSource.apply(x, axis=axis)
    source = token._ctx  # None when nothing needs a gradient: the parts are then plain slices
    parts = []
    for index in range(x.shape[axis]):
        part = x.data[(slice(None),) * axis + (index,)]
        parts.append(Tensor._wrap(part) if source is None
                     else UnstackPart.apply(token, part=part, source=source, index=index))
    return parts


@records_in_graphs
def cast(x, dtype):
    """``x`` converted to ``dtype``; the gradient flows back converted to the input's dtype."""
    return AsType.apply(x, dtype=backend.np.dtype(dtype).name)


@records_in_graphs
def shape_of(x):
    """The shape of ``x`` as a 1-d int64 tensor (no gradient). On a symbolic tensor it is a graph node whose value
    is the shape of the data that flows, batch size included (Keras 2's ``K.shape``)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return Tensor(backend.get_array_module(x.data).asarray(x.shape, dtype="int64"))


def to_device(x, device):
    return ToDevice.apply(x, device=device)
