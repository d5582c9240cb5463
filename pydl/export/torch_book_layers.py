"""The layers of the book's Keras (issue 16) in torch: the activation layers, Conv2DTranspose, upsampling, padding,
cropping, Permute, RepeatVector, TimeDistributed, and the layers that act only while training.

GaussianNoise and the Random* augmentations compute nothing at inference (pydl's ``predict``, Keras'), so the
module passes values through them, with a comment where they were: a module trained further in torch trains
without that noise or augmentation. Rescaling always computes, so it is written out.

Handlers as in :mod:`pydl.export.torch_layers`: ``handler(writer, call, attribute, known)``.
"""

from __future__ import annotations

from pydl import layers
from pydl.backend import np
from pydl.export.common import Call, ExportError, weight_array, window_value
from pydl.export.torch_layers import activation_code, window_arguments
from pydl.ops.conv_transpose import conv_transpose_layout

__all__ = ["BOOK_HANDLERS"]

ANY_LAYOUT = ("cl", "cf", "flat")  # elementwise layers read values in whatever layout they are


# ----------------------------------------------------------------------------------------------- activations
def leaky_relu(w, call, attribute, known):
    expression, layout = w.read(call.inputs[0], ANY_LAYOUT)
    w.set(call.outputs[0], f"F.leaky_relu({expression}, {call.layer.negative_slope!r})", layout)


def elu(w, call, attribute, known):
    expression, layout = w.read(call.inputs[0], ANY_LAYOUT)
    alpha = "" if call.layer.alpha == 1.0 else f", alpha={call.layer.alpha!r}"
    w.set(call.outputs[0], f"F.elu({expression}{alpha})", layout)


def relu(w, call, attribute, known):
    """Keras' ReLU term by term: ``x`` above the threshold (else 0), capped at max_value, minus
    ``negative_slope * relu(threshold - x)``."""
    layer = call.layer
    x, layout = w.read(call.inputs[0], ANY_LAYOUT)
    kept = f"torch.relu({x})" if layer.threshold == 0 else f"{x} * ({x} > {layer.threshold!r})"
    if layer.max_value is not None:
        kept = f"torch.clamp({kept}, 0.0, {layer.max_value!r})"
    if layer.negative_slope:
        below = f"torch.relu(-{x})" if layer.threshold == 0 else f"torch.relu({layer.threshold!r} - {x})"
        kept = f"{kept} - {layer.negative_slope!r} * {below}"
    w.set(call.outputs[0], kept, layout)


def prelu(w, call, attribute, known):
    """nn.PReLU where the slopes follow the channels only (or are one number); else the slopes as a parameter of
    pydl's shape, broadcast over pydl's layout."""
    layer, tensor = call.layer, call.inputs[0]
    alpha = weight_array(layer.alpha)
    per_channel = alpha.ndim == 1 or all(d == 1 for d in alpha.shape[:-1])
    if alpha.size == 1 or per_channel:
        accepted = ANY_LAYOUT if alpha.size == 1 else (("cl",) if len(tensor.shape) == 2 else ("cf",))
        expression, layout = w.read(tensor, accepted)
        if not known:
            count = "" if alpha.size == 1 else str(alpha.size)
            w.add_module(attribute, f"nn.PReLU({count})", {"weight": alpha.reshape(-1)})
        w.set(call.outputs[0], f"self.{attribute}({expression})", layout)
        return
    x, _ = w.read(tensor, ("cl",))
    if not known:
        w.add_parameter(attribute, alpha)
    w.set(call.outputs[0], f"torch.relu({x}) - self.{attribute} * torch.relu(-{x})", "cl")


def softmax(w, call, attribute, known):
    x, _ = w.read(call.inputs[0], ("cl",))
    axis = call.layer.axis
    if isinstance(axis, int):
        w.set(call.outputs[0], f"torch.softmax({x}, dim={axis})", "cl")
    else:  # several axes: exp(x - logsumexp over them), Keras' formula
        w.set(call.outputs[0], f"torch.exp({x} - torch.logsumexp({x}, dim={tuple(axis)!r}, keepdim=True))", "cl")


# ----------------------------------------------------------------------------------------------- images
def conv_transpose(w, call, attribute, known):
    """nn.ConvTranspose2d, whose ``padding`` crops both ends alike and ``output_padding`` gives back rows at the
    end; where Keras crops otherwise (an odd kernel with "same"), the rest is sliced off the result."""
    layer, tensor = call.layer, call.inputs[0]
    expression, _ = w.read(tensor, ("cf",))
    padding, output_padding, cuts = [], [], []
    extra = layer.output_padding or (None, None)
    for size, k, s, p in zip(tensor.shape[1:3], layer.kernel_size, layer.strides, extra):
        size = 4 if size is None else size  # the crops do not depend on the size
        start, out = conv_transpose_layout(size, k, s, layer.padding, p)
        end = (size - 1) * s + k - start - out  # entries Keras crops from the end (negative: it adds them)
        if 0 <= start - end < s:
            padding.append(start), output_padding.append(start - end), cuts.append((0, 0))
        elif start >= 0 and end >= 0:
            both = min(start, end)
            padding.append(both), output_padding.append(0), cuts.append((start - both, end - both))
        else:
            raise ExportError(f'layer "{layer.name}" (Conv2DTranspose) crops {start} and {end} entries, which '
                              "torch's ConvTranspose2d cannot give.")
    if not known:
        kernel = weight_array(layer.kernel)  # (kh, kw, filters, in): torch's is (in, filters, kh, kw)
        arrays = {"weight": kernel.transpose(3, 2, 0, 1)}
        if layer.use_bias:
            arrays["bias"] = weight_array(layer.bias)
        arguments = window_arguments(layer.kernel_size, layer.strides, tuple(padding))
        if any(output_padding):
            arguments += f", output_padding={window_value(tuple(output_padding))}"
        bias = "" if layer.use_bias else ", bias=False"
        w.add_module(attribute, f"nn.ConvTranspose2d({kernel.shape[3]}, {layer.filters}, {arguments}{bias})", arrays)
    result = f"self.{attribute}({expression})"
    if any(any(cut) for cut in cuts):
        result += "[:, :, " + ", ".join(_cut(*cut) for cut in cuts) + "]"
    w.set(call.outputs[0], activation_code(layer.activation, result, "cf"), "cf")


def _cut(start: int, end: int) -> str:
    return f"{start or ''}:{-end if end else ''}"


def upsampling2d(w, call, attribute, known):
    layer = call.layer
    expression, _ = w.read(call.inputs[0], ("cf",))
    if not known:
        mode = "" if layer.interpolation == "nearest" else f', mode="{layer.interpolation}"'
        w.add_module(attribute, f"nn.Upsample(scale_factor={window_value(layer.size)}{mode})", {})
    w.set(call.outputs[0], f"self.{attribute}({expression})", "cf")


def zero_padding2d(w, call, attribute, known):
    (top, bottom), (left, right) = call.layer.padding
    expression, _ = w.read(call.inputs[0], ("cf",))
    w.set(call.outputs[0], f"F.pad({expression}, {(left, right, top, bottom)!r})", "cf")


def cropping2d(w, call, attribute, known):
    (top, bottom), (left, right) = call.layer.cropping
    expression, _ = w.read(call.inputs[0], ("cf",))
    w.set(call.outputs[0], f"{expression}[:, :, {_cut(top, bottom)}, {_cut(left, right)}]", "cf")


# ----------------------------------------------------------------------------------------------- sequences, axes
def upsampling1d(w, call, attribute, known):
    expression, _ = w.read(call.inputs[0], ("cl",))
    w.set(call.outputs[0], f"{expression}.repeat_interleave({call.layer.size}, dim=1)", "cl")


def permute(w, call, attribute, known):
    expression, _ = w.read(call.inputs[0], ("cl",))
    w.set(call.outputs[0], f"{expression}.permute{(0,) + tuple(call.layer.dims)!r}", "cl")


def repeat_vector(w, call, attribute, known):
    expression, _ = w.read(call.inputs[0], ("cl",))
    w.set(call.outputs[0], f"{expression}.unsqueeze(1).repeat(1, {call.layer.n}, 1)", "cl")


class _Frames:
    """The values of a TimeDistributed layer with the time axis folded into the batch: what its inner layer sees."""

    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = tuple(shape)


def time_distributed(w, call, attribute, known):
    """The inner layer on every step: directly where torch's layer takes any leading axes (nn.Linear, elementwise
    ones), else on the steps folded into the batch (``flatten(0, 1)``) and unfolded after."""
    from pydl.export.torch_layers import HANDLERS

    inner, tensor, result = call.layer.layer, call.inputs[0], call.outputs[0]
    handler = HANDLERS[type(inner)]
    if isinstance(inner, (layers.Dense, layers.Activation, layers.Dropout)):
        handler(w, Call(inner, [tensor], [result], False), attribute, known)
        return
    frames, frame_results = _Frames((None,) + tuple(tensor.shape[2:])), _Frames((None,) + tuple(result.shape[2:]))
    w.variables[frames] = w.local(f"{attribute}_steps")
    w.variables[frame_results] = w.local(f"{attribute}_out")
    expression, _ = w.read(tensor, ("cl",))
    w.set(frames, f"{expression}.flatten(0, 1)", "cl")
    handler(w, Call(inner, [frames], [frame_results], False), attribute, known)
    folded, _ = w.read(frame_results, ("cl",))
    w.set(result, f"{folded}.unflatten(0, (len({w.values[tensor][0]}), -1))", "cl")


# ----------------------------------------------------------------------------------------------- training only
def only_while_training(w, call, attribute, known):
    expression, layout = w.read(call.inputs[0], ANY_LAYOUT)
    w.line(f"# {call.layer.name}: a {type(call.layer).__name__}, which acts only while training")
    w.record(call.outputs[0], expression, layout)


def rescaling(w, call, attribute, known):
    layer = call.layer
    scale, offset = np.asarray(layer.scale, dtype=np.float64), np.asarray(layer.offset, dtype=np.float64)
    per_channel = scale.size > 1 or offset.size > 1
    expression, layout = w.read(call.inputs[0], ("cl",) if per_channel else ANY_LAYOUT)
    variable = w.values[call.inputs[0]][0]
    if expression != variable:  # channels moved last first, on a line of its own
        w.set(call.outputs[0], expression, layout)
        expression = variable = w.variable(call.outputs[0])

    def constant(value):
        return repr(float(value)) if value.size == 1 else f"torch.tensor({value.tolist()!r}, dtype={variable}.dtype)"

    result = f"{expression} * {constant(scale)}"
    if np.any(offset != 0):
        result += f" + {constant(offset)}"
    w.set(call.outputs[0], result, layout)


BOOK_HANDLERS = {
    layers.LeakyReLU: leaky_relu, layers.ELU: elu, layers.ReLU: relu, layers.PReLU: prelu,
    layers.Softmax: softmax, layers.Conv2DTranspose: conv_transpose, layers.UpSampling2D: upsampling2d,
    layers.ZeroPadding2D: zero_padding2d, layers.Cropping2D: cropping2d, layers.UpSampling1D: upsampling1d,
    layers.Permute: permute, layers.RepeatVector: repeat_vector, layers.TimeDistributed: time_distributed,
    layers.GaussianNoise: only_while_training, layers.RandomFlip: only_while_training,
    layers.RandomRotation: only_while_training, layers.RandomTranslation: only_while_training,
    layers.RandomZoom: only_while_training, layers.RandomContrast: only_while_training,
    layers.Rescaling: rescaling,
}
