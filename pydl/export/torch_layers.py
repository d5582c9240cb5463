"""How each pydl layer kind becomes torch code: its submodule, its forward line(s), and its weights converted to
torch's layouts (kernels transposed, channels first, recurrent gates reordered, biases split).

Every handler is ``handler(writer, call, attribute, known)``: ``writer`` is the :class:`ModuleWriter` of the model
(``read`` a value in a layout, ``add_module``, ``set`` an output), ``attribute`` the submodule's name and ``known``
whether an earlier call of the same layer already added the submodule.
"""

from __future__ import annotations

import math

from pydl import layers
from pydl.backend import np
from pydl.export.common import ExportError, stock_activation, weight_array, window_value

__all__ = ["HANDLERS", "recurrent_problem", "activation_code"]


# ----------------------------------------------------------------------------------------------- shared pieces
def activation_code(layer_activation, expression: str, layout) -> str:
    """``expression`` passed through the activation (softmax over the channels, wherever they are)."""
    name = stock_activation(layer_activation)
    if name == "linear":
        return expression
    if name == "softmax":
        return f"torch.softmax({expression}, dim={1 if layout == 'cf' else -1})"
    return {"relu": "torch.relu({})", "sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})",
            "elu": "F.elu({})", "leaky_relu": "F.leaky_relu({}, 0.2)"}[name].format(expression)


def same_padding(layer, spatial: tuple, kernel: tuple, strides: tuple, dilation: tuple):
    """Keras' "same" padding as ``(symmetric padding per axis, None)`` when every axis pads alike on both sides,
    else ``(None, F.pad widths)``: the odd pixel goes at the end, as in Keras."""
    totals = []
    for size, k, s, d in zip(spatial, kernel, strides, dilation):
        span = d * (k - 1) + 1
        if size is None:
            if s != 1:
                raise ExportError(f'layer "{layer.name}" ({type(layer).__name__}) uses padding="same" with stride {s} '
                                  "on inputs of unknown size, whose padding torch cannot fix ahead; give the model a "
                                  "fixed input size.")
            totals.append(span - 1)
        else:
            totals.append(max((math.ceil(size / s) - 1) * s + span - size, 0))
    if all(total % 2 == 0 for total in totals):
        return tuple(total // 2 for total in totals), None
    widths = []
    for total in reversed(totals):  # F.pad lists the last axis first
        widths += [total // 2, total - total // 2]
    return None, tuple(widths)


def padding_of(layer, tensor, kernel, strides, dilation):
    """``(padding argument, F.pad widths)`` for a window layer over ``tensor`` (its pydl shape)."""
    spatial = tuple(tensor.shape[1:-1])
    if layer.padding == "valid":
        return None, None
    if layer.padding == "causal":  # only the start of the sequence is padded
        return None, (dilation[0] * (kernel[0] - 1), 0)
    return same_padding(layer, spatial, kernel, strides, dilation)


def window_arguments(kernel, strides, padding, dilation=None, stride_default=None) -> str:
    """The arguments of nn.Conv*d / nn.*Pool*d after the channel counts, defaults left out."""
    parts = [window_value(kernel)]
    if tuple(strides) != tuple(stride_default or (1,) * len(strides)):
        parts.append(f"stride={window_value(strides)}")
    if padding is not None and any(padding):
        parts.append(f"padding={window_value(padding)}")
    if dilation is not None and any(d != 1 for d in dilation):
        parts.append(f"dilation={window_value(dilation)}")
    return ", ".join(parts)


def padded(expression: str, widths, fill=None) -> str:
    if widths is None:
        return expression
    return f"F.pad({expression}, {widths}{', value=-math.inf' if fill == 'max' else ''})"


def _tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


# ----------------------------------------------------------------------------------------------- core layers
def dense(w, call, attribute, known):
    layer = call.layer
    # One call after a Flatten of channels-first values reads them as they are, its rows permuted to match; a
    # shared layer's calls must all read one order, pydl's.
    expression, layout = w.read(call.inputs[0], ("cl", "flat") if w.call_counts[id(layer)] == 1 else ("cl",))
    if not known:
        kernel = weight_array(layer.kernel)
        if isinstance(layout, tuple):  # after torch.flatten of channels-first values: rows in (c, h, w) order
            shape = layout[1]
            kernel = np.moveaxis(kernel.reshape(*shape, layer.units), len(shape) - 1, 0).reshape(kernel.shape)
        arrays = {"weight": kernel.T}
        if layer.use_bias:
            arrays["bias"] = weight_array(layer.bias)
        bias = "" if layer.use_bias else ", bias=False"
        w.add_module(attribute, f"nn.Linear({kernel.shape[0]}, {layer.units}{bias})", arrays)
    w.set(call.outputs[0], activation_code(layer.activation, f"self.{attribute}({expression})", "cl"), "cl")


def activation(w, call, attribute, known):
    expression, layout = w.read(call.inputs[0], ("cl", "cf", "flat"))
    w.set(call.outputs[0], activation_code(call.layer.activation, expression, layout), layout)


def dropout(w, call, attribute, known):
    expression, layout = w.read(call.inputs[0], ("cl", "cf", "flat"))
    if not known:
        w.add_module(attribute, f"nn.Dropout({call.layer.rate})", {})
    w.set(call.outputs[0], f"self.{attribute}({expression})", layout)


def flatten(w, call, attribute, known):
    tensor = call.inputs[0]
    expression, layout = w.read(tensor, ("cl", "cf", "flat"))
    if len(tensor.shape) == 2:
        w.record(call.outputs[0], expression, layout)  # already flat
    elif layout == "cf" and None not in tensor.shape[1:]:
        w.set(call.outputs[0], f"torch.flatten({expression}, 1)", ("flat", tuple(tensor.shape[1:])))
    else:
        expression, _ = w.read(tensor, ("cl",))
        w.set(call.outputs[0], f"torch.flatten({expression}, 1)", "cl")


def reshape(w, call, attribute, known):
    expression, _ = w.read(call.inputs[0], ("cl",))
    target = ", ".join(map(str, call.layer.target_shape))
    w.set(call.outputs[0], f"{expression}.reshape(len({expression}), {target})", "cl")


def embedding(w, call, attribute, known):
    layer = call.layer
    expression, _ = w.read(call.inputs[0], ("cl",))
    if not known:
        w.add_module(attribute, f"nn.Embedding({layer.input_dim}, {layer.output_dim})",
                     {"weight": weight_array(layer.embeddings)})
    w.set(call.outputs[0], f"self.{attribute}({expression}.long())", "cl")  # token indices as torch wants them


# ----------------------------------------------------------------------------------------------- convolutions
def convolution(w, call, attribute, known):
    layer, tensor = call.layer, call.inputs[0]
    expression, _ = w.read(tensor, ("cf",))
    one_d = isinstance(layer, layers.Conv1D)
    kernel_size = _tuple(layer.kernel_size)
    strides, dilation = _tuple(layer.strides), _tuple(layer.dilation_rate)
    padding, widths = padding_of(layer, tensor, kernel_size, strides, dilation)
    if not known:
        kernel = weight_array(layer.kernel)
        arrays = {"weight": kernel.transpose(2, 1, 0) if one_d else kernel.transpose(3, 2, 0, 1)}
        if layer.use_bias:
            arrays["bias"] = weight_array(layer.bias)
        arguments = window_arguments(kernel_size, strides, padding, dilation)
        bias = "" if layer.use_bias else ", bias=False"
        w.add_module(attribute, f"nn.Conv{1 if one_d else 2}d({kernel.shape[-2]}, {layer.filters}, {arguments}{bias})",
                     arrays)
    convolved = f"self.{attribute}({padded(expression, widths)})"
    w.set(call.outputs[0], activation_code(layer.activation, convolved, "cf"), "cf")


def depthwise(w, call, attribute, known):
    """DepthwiseConv2D and SeparableConv2D: a grouped convolution (one group per input channel, output channel
    ``c * depth_multiplier + j`` as in Keras), then for SeparableConv2D a 1x1 convolution."""
    layer, tensor = call.layer, call.inputs[0]
    expression, _ = w.read(tensor, ("cf",))
    separable = isinstance(layer, layers.SeparableConv2D)
    padding, widths = padding_of(layer, tensor, layer.kernel_size, layer.strides, (1, 1))
    depthwise_attribute = w.names.identifier(("depthwise", id(layer)), f"{attribute}_depthwise") if separable \
        else attribute
    pointwise_attribute = w.names.identifier(("pointwise", id(layer)), f"{attribute}_pointwise") if separable \
        else None
    if not known:
        kernel = weight_array(layer.depthwise_kernel)
        kh, kw, channels, multiplier = kernel.shape
        arrays = {"weight": kernel.reshape(kh, kw, channels * multiplier).transpose(2, 0, 1)[:, None]}
        has_bias = layer.use_bias and not separable
        if has_bias:
            arrays["bias"] = weight_array(layer.bias)
        arguments = window_arguments(layer.kernel_size, layer.strides, padding)
        bias = "" if has_bias else ", bias=False"
        w.add_module(depthwise_attribute,
                     f"nn.Conv2d({channels}, {channels * multiplier}, {arguments}, groups={channels}{bias})", arrays)
        if separable:
            pointwise = weight_array(layer.pointwise_kernel)
            arrays = {"weight": pointwise.transpose(3, 2, 0, 1)}
            if layer.use_bias:
                arrays["bias"] = weight_array(layer.bias)
            bias = "" if layer.use_bias else ", bias=False"
            w.add_module(pointwise_attribute, f"nn.Conv2d({channels * multiplier}, {layer.filters}, 1{bias})", arrays)
    result = f"self.{depthwise_attribute}({padded(expression, widths)})"
    if separable:
        w.set(call.outputs[0], result, "cf")
        result = f"self.{pointwise_attribute}({w.variable(call.outputs[0])})"
    w.set(call.outputs[0], activation_code(layer.activation, result, "cf"), "cf")


# ----------------------------------------------------------------------------------------------- pooling
AVERAGE_INSIDE = '''def average_inside(x, pool_size, strides, widths):
    """Keras' "same" average pooling where the padding is uneven: each window's mean over the cells inside the
    input, the padding not counted."""
    pool = F.avg_pool2d if x.dim() == 4 else F.avg_pool1d
    inside = torch.ones_like(x[:, :1])
    return pool(F.pad(x, widths), pool_size, strides) / pool(F.pad(inside, widths), pool_size, strides)'''


def pooling(w, call, attribute, known):
    layer, tensor = call.layer, call.inputs[0]
    expression, _ = w.read(tensor, ("cf",))
    is_max = isinstance(layer, (layers.MaxPooling1D, layers.MaxPooling2D))
    dims = len(tensor.shape) - 2
    pool, strides = _tuple(layer.pool_size), _tuple(layer.strides)
    padding, widths = padding_of(layer, tensor, pool, strides, (1,) * dims)
    if widths is not None and not is_max:
        helper = w.program.helper("average_inside", AVERAGE_INSIDE)
        w.set(call.outputs[0], f"{helper}({expression}, {window_value(pool)}, {window_value(strides)}, {widths})",
              "cf")
        return
    if not known:
        arguments = window_arguments(pool, strides, padding, stride_default=pool)
        if padding is not None and any(padding) and not is_max:
            arguments += ", count_include_pad=False"  # Keras averages the cells inside the input only
        w.add_module(attribute, f"nn.{'Max' if is_max else 'Avg'}Pool{dims}d({arguments})", {})
    w.set(call.outputs[0], f"self.{attribute}({padded(expression, widths, 'max')})", "cf")


def global_pooling(w, call, attribute, known):
    layer, tensor = call.layer, call.inputs[0]
    expression, layout = w.read(tensor, ("cf", "cl"))
    rank = len(tensor.shape)
    axes = tuple(range(2, rank)) if layout == "cf" else tuple(range(1, rank - 1))
    method = "amax" if layer.reduction == "max" else "mean"
    keep = ", keepdim=True" if layer.keepdims else ""
    w.set(call.outputs[0], f"{expression}.{method}(dim={window_value(axes)}{keep})",
          layout if layer.keepdims else "cl")


def batch_normalization(w, call, attribute, known):
    layer, tensor = call.layer, call.inputs[0]
    rank = len(tensor.shape)
    if rank not in (2, 3, 4):
        raise ExportError(f'layer "{layer.name}" (BatchNormalization) normalizes {rank}-D values; torch\'s '
                          "BatchNorm1d/2d take 2-, 3- and 4-D ones.")
    expression, _ = w.read(tensor, ("cl",) if rank == 2 else ("cf",))
    if not known:
        channels = tensor.shape[-1]
        mean, variance = weight_array(layer.moving_mean), weight_array(layer.moving_variance)
        arrays = {}
        if layer.scale or layer.center:  # one of them alone: the other is its fixed value, 1 or 0
            arrays["weight"] = weight_array(layer.gamma) if layer.scale else np.ones_like(mean)
            arrays["bias"] = weight_array(layer.beta) if layer.center else np.zeros_like(mean)
        arrays.update(running_mean=mean, running_var=variance, num_batches_tracked=np.array(0, dtype=np.int64))
        affine = "" if arrays.get("weight") is not None else ", affine=False"
        # torch's momentum is the weight of the new batch, Keras' that of the old average
        momentum = round(1.0 - layer.momentum, 10)
        w.add_module(attribute, f"nn.BatchNorm{2 if rank == 4 else 1}d({channels}, eps={layer.epsilon}, "
                                f"momentum={momentum}{affine})", arrays)
    w.set(call.outputs[0], f"self.{attribute}({expression})", "cl" if rank == 2 else "cf")


# ----------------------------------------------------------------------------------------------- merges
def merge(w, call, attribute, known):
    layer, tensors = call.layer, call.inputs
    rank = len(tensors[0].shape)
    layouts = [w.layout(t) for t in tensors]
    concatenate = isinstance(layer, layers.Concatenate)
    same = all(layout == layouts[0] for layout in layouts) and not (concatenate and isinstance(layouts[0], tuple))
    wanted = layouts[0] if same else ("cf" if rank == 4 else "cl")
    kind = "flat" if isinstance(wanted, tuple) else wanted
    values = [w.read(t, (kind,))[0] for t in tensors]
    if concatenate:
        axis = layer._axis(rank)
        dim = axis if wanted == "cl" else (1 if axis == rank - 1 else axis + 1)
        expression = f"torch.cat([{', '.join(values)}], dim={dim})"
    elif isinstance(layer, layers.Subtract):
        expression = f"{values[0]} - {values[1]}"
    elif isinstance(layer, layers.Multiply):
        expression = " * ".join(values)
    elif isinstance(layer, layers.Average):
        expression = f"({' + '.join(values)}) / {len(values)}"
    else:
        expression = " + ".join(values)
    w.set(call.outputs[0], expression, wanted)


from pydl.export.torch_recurrent import bidirectional, recurrent, recurrent_problem  # noqa: E402

HANDLERS = {
    layers.Dense: dense, layers.Activation: activation, layers.Dropout: dropout, layers.Flatten: flatten,
    layers.Reshape: reshape, layers.Embedding: embedding, layers.Conv1D: convolution, layers.Conv2D: convolution,
    layers.DepthwiseConv2D: depthwise, layers.SeparableConv2D: depthwise,
    layers.MaxPooling1D: pooling, layers.AveragePooling1D: pooling, layers.MaxPooling2D: pooling,
    layers.AveragePooling2D: pooling, layers.GlobalMaxPooling1D: global_pooling,
    layers.GlobalAveragePooling1D: global_pooling, layers.GlobalAveragePooling2D: global_pooling,
    layers.BatchNormalization: batch_normalization, layers.SimpleRNN: recurrent, layers.LSTM: recurrent,
    layers.GRU: recurrent, layers.Bidirectional: bidirectional,
    layers.Add: merge, layers.Subtract: merge, layers.Multiply: merge, layers.Average: merge,
    layers.Concatenate: merge,
}

from pydl.export.torch_book_layers import BOOK_HANDLERS  # noqa: E402  (they use the shared pieces above)

HANDLERS.update(BOOK_HANDLERS)
