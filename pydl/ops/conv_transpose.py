"""Transposed 2-D convolution in channels-last layout (Keras' ``Conv2DTranspose``, PyTorch's ``conv_transpose2d``).

Each input pixel spreads ``kernel[i, j] @ pixel`` over a (kh, kw) window of the output, windows ``stride`` pixels
apart: the gradient of a convolution with respect to its input, run forwards. The full result has
``(H - 1) * stride + kh`` rows; ``crop`` rows are cut from its start and the output keeps ``out_h`` rows from
there (rows past the full result are zeros): PyTorch's ``padding`` and ``output_padding`` are the symmetric case,
Keras 3's ``padding="same"`` crops asymmetrically (see :func:`conv_transpose_layout`).

Like conv2d's col2im, the loops run over the kh*kw kernel offsets only: each is one matrix product over the
whole batch and one strided add.

>>> import pydl
>>> from pydl.backend import np
>>> x = pydl.tensor(np.ones((1, 3, 3, 2)))
>>> kernel = pydl.tensor(np.ones((2, 2, 4, 2)))
>>> conv_transpose2d(x, kernel, strides=2, out_hw=(6, 6)).shape
(1, 6, 6, 4)
"""

from __future__ import annotations

from pydl import backend
from pydl.autograd import Function
from pydl.ops.conv import pair

__all__ = ["conv_transpose2d", "ConvTranspose2DFunction", "conv_transpose_layout"]


def conv_transpose_layout(length: int, kernel: int, stride: int, padding: str, output_padding=None) -> tuple:
    """(entries cropped from the start of the full result, output length) along one spatial axis, as Keras 3
    computes them on every backend (its JAX rule, which its PyTorch backend reproduces by cropping).

    With ``padding="same"`` and an odd kernel this crops one entry less at the start than PyTorch's symmetric
    ``padding`` would (kernel 3, stride 2: Keras keeps ``full[0:2H]``, PyTorch's padding=1, output_padding=1 keeps
    ``full[1:2H+1]``).

    >>> conv_transpose_layout(4, 3, 2, "same"), conv_transpose_layout(4, 3, 2, "valid"), conv_transpose_layout(4, 4, 2, "same")
    ((0, 8), (0, 9), (1, 8))
    """
    full = (length - 1) * stride + kernel
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return 0, full + extra
    pad_len = stride + kernel - 2 if output_padding is None else kernel + kernel % 2 - 2 + output_padding
    left_pad = min(pad_len // 2 + pad_len % 2, kernel - 1)
    right_pad = pad_len - left_pad
    crop_start, crop_end = kernel - 1 - left_pad, kernel - 1 - right_pad
    return crop_start, full - crop_start - crop_end


class ConvTranspose2DFunction(Function):
    """``full[n, y*sh + i, x*sw + j, f] += sum_c in[n, y, x, c] * kernel[i, j, f, c]``; the output is
    ``full[:, crop_h : crop_h + out_h, crop_w : crop_w + out_w] + bias``."""

    name = "conv_transpose2d"

    def forward(self, x, kernel, bias=None, strides=(1, 1), crop=(0, 0), out_hw=None):
        xp = self.xp
        if x.ndim != 4 or kernel.ndim != 4 or x.shape[3] != kernel.shape[3]:
            raise ValueError(f"conv_transpose2d: expected input (N, H, W, C) and kernel (kh, kw, filters, C) with "
                             f"matching C, got input {tuple(x.shape)} and kernel {tuple(kernel.shape)}.")
        n, h, w, c = x.shape
        kh, kw, f, _ = kernel.shape
        (sh, sw), (ch, cw) = strides, crop
        out_h, out_w = out_hw
        # the buffer covers the full result and the output window, whichever reaches further
        rows, cols = max((h - 1) * sh + kh, ch + out_h), max((w - 1) * sw + kw, cw + out_w)
        full = xp.zeros((n, rows, cols, f), dtype=xp.result_type(x, kernel))
        flat = x.reshape(-1, c)
        for i in range(kh):
            for j in range(kw):
                spread = backend.matmul(flat, kernel[i, j].T).reshape(n, h, w, f)
                full[:, i:i + sh * (h - 1) + 1:sh, j:j + sw * (w - 1) + 1:sw] += spread
        self.x, self.kernel, self.strides, self.crop, self.full_shape = x, kernel, strides, crop, full.shape
        out = full[:, ch:ch + out_h, cw:cw + out_w]
        if bias is not None:
            out = out + bias
        return xp.ascontiguousarray(out)

    def backward(self, grad):
        xp = self.xp
        need_x, need_k, need_b = (self.needs_input_grad + (False,) * 3)[:3]
        n, h, w, c = self.x.shape
        kh, kw, f, _ = self.kernel.shape
        (sh, sw), (ch, cw) = self.strides, self.crop
        full = xp.zeros(self.full_shape, dtype=grad.dtype)
        full[:, ch:ch + grad.shape[1], cw:cw + grad.shape[2]] = grad
        flat_x = self.x.reshape(-1, c)
        grad_x = xp.zeros(self.x.shape, dtype=grad.dtype) if need_x else None
        grad_k = xp.zeros(self.kernel.shape, dtype=grad.dtype) if need_k else None
        for i in range(kh):
            for j in range(kw):
                part = full[:, i:i + sh * (h - 1) + 1:sh, j:j + sw * (w - 1) + 1:sw].reshape(-1, f)
                if need_x:
                    grad_x += backend.matmul(part, self.kernel[i, j]).reshape(self.x.shape)
                if need_k:
                    grad_k[i, j] = backend.matmul(part.T, flat_x)
        grad_b = grad.reshape(-1, f).sum(axis=0) if need_b else None
        return grad_x, grad_k, grad_b


def conv_transpose2d(x, kernel, bias=None, strides=1, crop=0, out_hw=None):
    """Transposed 2-D convolution of channels-last input (the layout of Keras' ``Conv2DTranspose``).

    Args:
        x: Tensor (N, H, W, C_in).
        kernel: Tensor (kh, kw, filters, C_in), Keras' layout (PyTorch's is (C_in, filters, kh, kw)).
        bias: optional Tensor (filters,).
        strides: int or (sh, sw): how far apart the windows of neighbouring input pixels start.
        crop: int or (ch, cw): rows/columns cut from the start of the full result (PyTorch's ``padding``).
        out_hw: (out_h, out_w); by default the full result minus ``crop`` at both ends (PyTorch without
            ``output_padding``). :func:`conv_transpose_layout` gives Keras' crop and size.

    Returns:
        Tensor (N, out_h, out_w, filters).
    """
    strides, crop = pair(strides), pair(crop, "crop")
    if out_hw is None:
        h, w = x.shape[1:3]
        out_hw = tuple((size - 1) * s + k - 2 * p
                       for size, s, k, p in zip((h, w), strides, kernel.shape[:2], crop))
    return ConvTranspose2DFunction.apply(x, kernel, bias, strides=strides, crop=crop, out_hw=pair(out_hw, "out_hw"))
