"""The recurrent layers in torch: SimpleRNN, LSTM and GRU as ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (batch first), their
Keras weights transposed, the biases split in two and GRU's gates reordered; Keras 2's GRU (``reset_after=False``),
which no torch layer computes, as a small explicit module written into model.py; Bidirectional as torch's
``bidirectional=True`` (or two explicit modules, one reading the sequence backwards)."""

from __future__ import annotations

from pydl import layers
from pydl.backend import np
from pydl.export.common import stock_activation, weight_array

__all__ = ["recurrent", "bidirectional", "recurrent_problem"]

TORCH_RNN = {layers.SimpleRNN: "nn.RNN", layers.LSTM: "nn.LSTM", layers.GRU: "nn.GRU"}

GRU_RESET_BEFORE = '''class GRUResetBefore(nn.Module):
    """Keras' GRU with reset_after=False: the reset gate scales the state before the recurrent matrix product,
    which torch.nn.GRU does not compute. Weights as in Keras, gates z, r, h side by side; returns every step."""

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.hidden_size = hidden_size
        self.kernel = nn.Parameter(torch.zeros(input_size, 3 * hidden_size))
        self.recurrent_kernel = nn.Parameter(torch.zeros(hidden_size, 3 * hidden_size))
        self.bias = nn.Parameter(torch.zeros(3 * hidden_size)) if bias else None

    def forward(self, x):
        units = self.hidden_size
        projected = x @ self.kernel if self.bias is None else x @ self.kernel + self.bias
        h = x.new_zeros(x.shape[0], units)
        outputs = []
        for x_t in projected.unbind(1):
            x_z, x_r, x_h = x_t.split(units, dim=-1)
            h_z, h_r = (h @ self.recurrent_kernel[:, :2 * units]).split(units, dim=-1)
            z, r = torch.sigmoid(x_z + h_z), torch.sigmoid(x_r + h_r)
            candidate = torch.tanh(x_h + (r * h) @ self.recurrent_kernel[:, 2 * units:])
            h = z * h + (1 - z) * candidate
            outputs.append(h)
        return torch.stack(outputs, dim=1)'''


def _resets_before(layer) -> bool:
    return isinstance(layer, layers.GRU) and not layer.reset_after


def recurrent_problem(layer):
    """Why the torch export cannot compute ``layer`` exactly, or None (also for non-recurrent layers)."""
    inner = layer.layer if isinstance(layer, layers.Bidirectional) else layer
    if type(inner) not in TORCH_RNN:
        return None
    name = stock_activation(inner.activation)
    if isinstance(inner, layers.SimpleRNN):
        if name not in ("tanh", "relu"):
            return f'torch.nn.RNN computes tanh or relu steps, not activation="{name}"'
        return None
    gate = stock_activation(inner.recurrent_activation)
    if name != "tanh" or gate != "sigmoid":
        return (f'torch.nn.{type(inner).__name__} computes activation="tanh" with recurrent_activation="sigmoid", '
                f'not "{name}" with "{gate}"')
    return None


def _torch_rnn_weights(layer, suffix: str) -> dict:
    """weight_ih/hh and bias_ih/hh of one direction: Keras' kernels transposed; torch adds two biases, so the
    input side takes pydl's bias and the recurrent side zeros (GRU: its two bias rows); GRU's gates z, r, h become
    torch's r, z, n."""
    units = layer.units
    kernel, recurrent_kernel = weight_array(layer.kernel), weight_array(layer.recurrent_kernel)
    bias = weight_array(layer.bias) if layer.use_bias else None
    if isinstance(layer, layers.GRU):
        order = np.r_[units:2 * units, 0:units, 2 * units:3 * units]
        kernel, recurrent_kernel = kernel[:, order], recurrent_kernel[:, order]
        input_bias, recurrent_bias = (bias[0][order], bias[1][order]) if bias is not None else (None, None)
    else:
        input_bias = bias
        recurrent_bias = None if bias is None else np.zeros_like(bias)
    arrays = {f"weight_ih_l0{suffix}": kernel.T, f"weight_hh_l0{suffix}": recurrent_kernel.T}
    if bias is not None:
        arrays.update({f"bias_ih_l0{suffix}": input_bias, f"bias_hh_l0{suffix}": recurrent_bias})
    return arrays


def _rnn_constructor(layer, features: int, bidirectional_: bool) -> str:
    extra = ""
    if isinstance(layer, layers.SimpleRNN) and stock_activation(layer.activation) == "relu":
        extra += ', nonlinearity="relu"'
    if not layer.use_bias:
        extra += ", bias=False"
    if bidirectional_:
        extra += ", bidirectional=True"
    return f"{TORCH_RNN[type(layer)]}({features}, {layer.units}, batch_first=True{extra})"


def _add_reset_before(w, attribute: str, layer, features: int) -> None:
    w.program.helper("GRUResetBefore", GRU_RESET_BEFORE)
    arrays = {"kernel": weight_array(layer.kernel), "recurrent_kernel": weight_array(layer.recurrent_kernel)}
    if layer.use_bias:
        arrays["bias"] = weight_array(layer.bias)
    w.add_module(attribute, f"GRUResetBefore({features}, {layer.units}{'' if layer.use_bias else ', bias=False'})",
                 arrays)


def recurrent(w, call, attribute, known):
    layer, tensor = call.layer, call.inputs[0]
    expression, _ = w.read(tensor, ("cl",))
    name = w.variable(call.outputs[0])
    if _resets_before(layer):
        if not known:
            _add_reset_before(w, attribute, layer, tensor.shape[-1])
        w.line(f"{name} = self.{attribute}({expression})")
    else:
        if not known:
            w.add_module(attribute, _rnn_constructor(layer, tensor.shape[-1], False), _torch_rnn_weights(layer, ""))
        w.line(f"{name}, _ = self.{attribute}({expression})")
    if not layer.return_sequences:
        w.line(f"{name} = {name}[:, -1]  # the last step")
    w.record(call.outputs[0], name, "cl")


def bidirectional(w, call, attribute, known):
    layer, tensor = call.layer, call.inputs[0]
    expression, _ = w.read(tensor, ("cl",))
    forward_layer, backward_layer = layer.forward_layer, layer.backward_layer
    name, units = w.variable(call.outputs[0]), forward_layer.units
    if _resets_before(forward_layer):
        forward_attribute = w.names.identifier(("forward", id(layer)), f"{attribute}_forward")
        backward_attribute = w.names.identifier(("backward", id(layer)), f"{attribute}_backward")
        if not known:
            _add_reset_before(w, forward_attribute, forward_layer, tensor.shape[-1])
            _add_reset_before(w, backward_attribute, backward_layer, tensor.shape[-1])
        backward_name = w.local(f"{name}_backward")
        w.line(f"{backward_name} = self.{backward_attribute}({expression}.flip(1)).flip(1)  # read from the end")
        w.line(f"{name} = self.{forward_attribute}({expression})")
        forward, backward, joined = name, backward_name, False
    else:
        if not known:
            arrays = {**_torch_rnn_weights(forward_layer, ""), **_torch_rnn_weights(backward_layer, "_reverse")}
            w.add_module(attribute, _rnn_constructor(forward_layer, tensor.shape[-1], True), arrays)
        w.line(f"{name}, _ = self.{attribute}({expression})")
        forward, backward, joined = f"{name}[..., :{units}]", f"{name}[..., {units}:]", True
    if layer.return_sequences:
        if joined and layer.merge_mode == "concat":
            w.record(call.outputs[0], name, "cl")  # torch's output is already the two side by side
            return
    else:  # the forward direction's last step and the backward one's, which read the sequence from the end
        forward, backward = (f"{name}[:, -1, :{units}]", f"{name}[:, 0, {units}:]") if joined else (
            f"{forward}[:, -1]", f"{backward}[:, 0]")
    merged = {"concat": f"torch.cat([{forward}, {backward}], dim=-1)", "sum": f"{forward} + {backward}",
              "mul": f"{forward} * {backward}", "ave": f"({forward} + {backward}) / 2"}[layer.merge_mode]
    w.set(call.outputs[0], merged, "cl")
