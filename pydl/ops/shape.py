"""Shape and layout: reshape, transpose, expand_dims, squeeze, indexing, concatenate, stack, casts, devices."""

from __future__ import annotations

import itertools

from pydl import backend
from pydl.tensor import Function, Tensor


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


class Stack(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, grad):
        count = grad.shape[self.axis]
        return tuple(self.xp.take(grad, i, axis=self.axis) for i in range(count))


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


def reshape(x, shape):
    return Reshape.apply(x, shape=tuple(shape))


def transpose(x, axes=None):
    return Transpose.apply(x, axes=None if axes is None else tuple(axes))


def expand_dims(x, axis):
    return ExpandDims.apply(x, axis=axis)


def squeeze(x, axis=None):
    return Squeeze.apply(x, axis=axis)


def getitem(x, index):
    """``x[index]`` for basic (ints, slices) and advanced (integer arrays, masks) indices."""
    def unwrap(part):
        return part.data if isinstance(part, Tensor) else part

    index = tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)
    if isinstance(index, list):
        index = backend.get_array_module(x.data).asarray(index)
    return GetItem.apply(x, index=index)


def concatenate(tensors, axis=0):
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    return Stack.apply(*tensors, axis=axis)


def astype(x, dtype):
    return AsType.apply(x, dtype=dtype)


def to_device(x, device):
    return ToDevice.apply(x, device=device)
