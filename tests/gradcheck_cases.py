"""Finite-difference gradient checks of every core operation, as plain data.

The same cases run natively (tests/ops/test_gradients.py) and inside Pyodide (tests/pyodide/), so this module
imports nothing but pydl and NumPy and needs no pytest.

Each case names an operation, a function of tensors and the input shapes. Inputs are float64 and drawn away from
kinks (relu and abs at 0, ties of max) so finite differences are meaningful there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import pydl


@dataclass(frozen=True)
class Case:
    name: str
    fn: object
    shapes: tuple
    values: str = "normal"  # "normal", "positive" (log, sqrt, pow bases) or "away_from_zero" (kinks at 0)


def _mask(shape):
    return np.arange(int(np.prod(shape))).reshape(shape) % 3 == 0


CASES = [
    # arithmetic and broadcasting
    Case("add", lambda a, b: a + b, ((3, 4), (3, 4))),
    Case("add broadcast row", lambda a, b: a + b, ((3, 4), (4,))),
    Case("add broadcast column and row", lambda a, b: a + b, ((3, 1), (1, 4))),
    Case("add scalar tensor", lambda a, b: a + b, ((2, 3), ())),
    Case("sub broadcast", lambda a, b: a - b, ((2, 3, 4), (3, 1))),
    Case("mul broadcast", lambda a, b: a * b, ((2, 3, 4), (1, 4))),
    Case("div", lambda a, b: a / b, ((3, 4), (3, 4)), "away_from_zero"),
    Case("div broadcast", lambda a, b: a / b, ((3, 4), (4,)), "away_from_zero"),
    Case("pow scalar exponent", lambda a: a ** 3, ((3, 4),)),
    Case("pow fractional exponent", lambda a: a ** 1.5, ((5,),), "positive"),
    Case("pow tensor exponent", lambda a, b: a ** b, ((3, 4), (3, 4)), "positive"),
    Case("neg", lambda a: -a, ((3, 4),)),
    Case("reflected sub", lambda a: 2.0 - a, ((3, 4),)),
    Case("reflected div", lambda a: 2.0 / a, ((3, 4),), "away_from_zero"),
    Case("reflected pow", lambda a: 2.0 ** a, ((3, 4),)),
    Case("reflected array add", lambda a: np.ones((2, 3, 4)) + a, ((3, 4),)),
    Case("matmul 2d", lambda a, b: a @ b, ((3, 4), (4, 5))),
    Case("matmul vector right", lambda a, b: a @ b, ((3, 4), (4,))),
    Case("matmul vector left", lambda a, b: a @ b, ((4,), (4, 5))),
    Case("matmul dot", lambda a, b: a @ b, ((4,), (4,))),
    Case("matmul batched broadcast", lambda a, b: a @ b, ((2, 3, 4), (4, 5))),
    Case("matmul batched both", lambda a, b: a @ b, ((2, 1, 3, 4), (3, 4, 2))),
    # elementwise
    Case("exp", lambda a: a.exp(), ((3, 4),)),
    Case("log", lambda a: a.log(), ((3, 4),), "positive"),
    Case("sqrt", lambda a: a.sqrt(), ((3, 4),), "positive"),
    Case("abs", lambda a: a.abs(), ((3, 4),), "away_from_zero"),
    Case("tanh", lambda a: a.tanh(), ((3, 4),)),
    Case("sigmoid", lambda a: a.sigmoid(), ((3, 4),)),
    Case("relu", lambda a: a.relu(), ((3, 4),), "away_from_zero"),
    Case("leaky_relu", lambda a: pydl.leaky_relu(a, 0.1), ((3, 4),), "away_from_zero"),
    Case("elu", lambda a: pydl.elu(a), ((3, 4),), "away_from_zero"),
    Case("clip", lambda a: a.clip(-0.5, 0.5), ((4, 5),), "away_from_zero"),
    Case("maximum", lambda a, b: pydl.maximum(a, b), ((3, 4), (3, 4))),
    Case("maximum broadcast", lambda a, b: a.maximum(b), ((3, 4), (4,))),
    Case("minimum", lambda a, b: pydl.minimum(a, b), ((3, 4), (3, 4))),
    Case("where", lambda a, b: pydl.where(_mask((3, 4)), a, b), ((3, 4), (3, 4))),
    Case("where broadcast", lambda a, b: pydl.where(_mask((3, 4)), a, b), ((3, 4), (1, 4))),
    # reductions
    Case("sum all", lambda a: a.sum(), ((3, 4),)),
    Case("sum axis", lambda a: a.sum(axis=1), ((3, 4, 2),)),
    Case("sum axes keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), ((3, 4, 2),)),
    Case("sum negative axis", lambda a: a.sum(axis=-1), ((3, 4),)),
    Case("mean all", lambda a: a.mean(), ((3, 4),)),
    Case("mean axis keepdims", lambda a: a.mean(axis=0, keepdims=True), ((3, 4),)),
    Case("var axis", lambda a: a.var(axis=0), ((5, 3),)),
    Case("prod all", lambda a: pydl.ops.reduction.prod(a), ((2, 3),)),
    Case("prod axes keepdims", lambda a: pydl.ops.reduction.prod(a, axis=(0, 2), keepdims=True), ((2, 3, 2),)),
    Case("prod with a zero entry", lambda a: pydl.ops.reduction.prod(pydl.concatenate([a, a * 0.0], 1), 1),
         ((3, 2),)),
    Case("max all", lambda a: a.max(), ((3, 4),)),
    Case("max axis", lambda a: a.max(axis=1), ((3, 4),)),
    Case("min axis keepdims", lambda a: a.min(axis=0, keepdims=True), ((3, 4),)),
    Case("logsumexp", lambda a: a.logsumexp(axis=1), ((3, 4),)),
    Case("logsumexp all", lambda a: pydl.logsumexp(a), ((3, 4),)),
    Case("softmax", lambda a: a.softmax(axis=-1), ((3, 4),)),
    Case("softmax axis 0", lambda a: pydl.softmax(a, axis=0), ((3, 4),)),
    Case("log_softmax", lambda a: a.log_softmax(axis=-1), ((3, 4),)),
    # shape and indexing
    Case("reshape", lambda a: a.reshape(4, 3), ((3, 4),)),
    Case("reshape infer", lambda a: a.reshape((2, -1)), ((3, 4),)),
    Case("transpose", lambda a: a.transpose(), ((3, 4),)),
    Case("transpose axes", lambda a: a.transpose(2, 0, 1), ((2, 3, 4),)),
    Case("T", lambda a: a.T, ((3, 4),)),
    Case("expand_dims", lambda a: a.expand_dims(1), ((3, 4),)),
    Case("squeeze", lambda a: a.squeeze(1), ((3, 1, 4),)),
    Case("flatten", lambda a: a.flatten(), ((3, 4),)),
    Case("slice", lambda a: a[1:, ::2], ((3, 4),)),
    Case("slice negative step", lambda a: a[::-1, 1], ((3, 4),)),
    Case("index ellipsis newaxis", lambda a: a[..., None, 0], ((2, 3, 4),)),
    Case("integer array with repeats", lambda a: a[[0, 2, 0, 0]], ((3, 4),)),
    Case("integer arrays pairwise", lambda a: a[[0, 1, 1], [3, 0, 0]], ((3, 4),)),
    Case("boolean mask", lambda a: a[_mask((3, 4))], ((3, 4),)),
    Case("concatenate", lambda a, b: pydl.concatenate([a, b], axis=1), ((3, 2), (3, 4))),
    Case("concatenate same input", lambda a: pydl.concatenate([a, a * 2.0], axis=0), ((2, 3),)),
    Case("stack", lambda a, b: pydl.stack([a, b], axis=1), ((3, 4), (3, 4))),
    # compositions: shared nodes, long chains
    Case("node used twice", lambda a: a * a + a, ((3, 4),)),
    Case("diamond", lambda a, b: (a * b).exp() * (a + b), ((3,), (3,))),
    Case("two layer network", lambda x, w1, w2: ((x @ w1).tanh() @ w2).log_softmax(axis=1), ((4, 3), (3, 5), (5, 2))),
    Case("unstack", lambda a: pydl.stack([p * (i + 1.0) for i, p in enumerate(pydl.unstack(a, axis=1))]),
         ((2, 3, 4),)),
]


def _layer_case(name, make_layer, input_shape, values="normal", training=None):
    """A case whose inputs are the layer's input and every weight (kernel, recurrent_kernel, bias, ...).

    ``make_layer`` returns a fresh float64 layer; it is built once here only to learn the weight shapes. The
    case's function builds another one and puts the checked tensors in place of its weights, found by name (in
    the layers that own them: a Bidirectional's are its two copies'). With ``training=True`` a layer with dropout
    draws its masks; give it a ``seed`` so every fresh layer draws the same ones and the function stays fixed.
    """
    shapes = (input_shape,) + tuple(tuple(w.shape) for w in _built(make_layer(), input_shape).weights)

    def fn(x, *weights):
        layer = _built(make_layer(), input_shape)
        checked = iter(weights)
        for owner in _weight_owners(layer):
            for own in owner.weights:
                setattr(owner, own.name.split("/")[-1], next(checked))
        return layer.call(x, training=training)

    return Case(name, fn, shapes, values)


def _weight_owners(layer) -> list:
    """The layers whose attributes hold ``layer``'s weights, in the order ``layer.weights`` lists them."""
    wrapped = [getattr(layer, direction, None) for direction in ("forward_layer", "backward_layer")]
    if all(wrapped):
        return wrapped
    return [layer.layer] if isinstance(layer, pydl.layers.TimeDistributed) else [layer]


def _built(layer, input_shape):
    layer.build((None,) + tuple(input_shape[1:]))
    return layer


def _embedding_case():
    """The table is the checked input; the indices repeat a token, so the scatter-add must accumulate."""
    indices = np.array([[0, 3, 3, 1], [4, 0, 3, 2]])

    def fn(table):
        layer = _built(pydl.layers.Embedding(5, 3, dtype="float64", name="case"), (2, 4))
        layer.embeddings = table
        return layer.call(pydl.tensor(pydl.backend.get_array_module(table.data).asarray(indices)))  # same device

    return Case("Embedding lookup with repeated tokens", fn, ((5, 3),))


def _sequence_layer_cases():
    from pydl import layers

    f64 = dict(dtype="float64", name="case")
    cases = [_embedding_case()]
    for return_sequences in (False, True):
        suffix = " return_sequences" if return_sequences else ""
        for cls in (layers.SimpleRNN, layers.LSTM, layers.GRU):
            cases.append(_layer_case(f"{cls.__name__}{suffix}", lambda c=cls, r=return_sequences: c(
                3, return_sequences=r, **f64), (2, 4, 3)))
    cases += [
        _layer_case("GRU reset_after=False", lambda: layers.GRU(3, reset_after=False, **f64), (2, 3, 2)),
        # other activations than tanh/sigmoid run the step-by-step definition instead of the fused op
        _layer_case("LSTM relu (step by step)", lambda: layers.LSTM(3, activation="relu", **f64), (2, 4, 3)),
        _layer_case("GRU hard sigmoid gates (step by step)", lambda: layers.GRU(
            3, recurrent_activation=lambda x: (x * 0.2 + 0.5).clip(0.0, 1.0), **f64), (2, 4, 3)),
        _layer_case("LSTM without bias", lambda: layers.LSTM(2, use_bias=False, **f64), (2, 3, 2)),
        *_dropout_cases(f64),
        _layer_case("Bidirectional LSTM concat", lambda: layers.Bidirectional(layers.LSTM(2, **f64)), (2, 3, 2)),
        _layer_case("Bidirectional GRU ave return_sequences", lambda: layers.Bidirectional(
            layers.GRU(2, return_sequences=True, **f64), merge_mode="ave"), (2, 3, 2)),
        _layer_case("Bidirectional SimpleRNN mul with dropout", lambda: layers.Bidirectional(layers.SimpleRNN(
            3, dropout=0.3, recurrent_dropout=0.3, seed=2, **f64), merge_mode="mul"), (3, 4, 3), training=True),
        _layer_case("Conv1D valid", lambda: layers.Conv1D(3, 3, activation="tanh", **f64), (2, 6, 2)),
        _layer_case("Conv1D same strided", lambda: layers.Conv1D(2, 2, strides=2, padding="same", **f64), (2, 5, 3)),
        _layer_case("Conv1D causal dilated", lambda: layers.Conv1D(
            2, 3, padding="causal", dilation_rate=2, activation="tanh", **f64), (2, 6, 2)),
        _layer_case("Conv1D valid dilated strided", lambda: layers.Conv1D(
            2, 2, strides=2, dilation_rate=3, **f64), (2, 8, 2)),
        _layer_case("Conv1D causal strided", lambda: layers.Conv1D(3, 2, strides=2, padding="causal", **f64),
                    (2, 5, 2)),
        _layer_case("MaxPooling1D", lambda: layers.MaxPooling1D(2, **f64), (2, 6, 3)),
        _layer_case("AveragePooling1D same", lambda: layers.AveragePooling1D(2, padding="same", **f64), (2, 5, 3)),
        _layer_case("GlobalMaxPooling1D", lambda: layers.GlobalMaxPooling1D(**f64), (2, 5, 3)),
        _layer_case("GlobalAveragePooling1D", lambda: layers.GlobalAveragePooling1D(**f64), (2, 5, 3)),
    ]
    return cases


def _dropout_cases(f64) -> list:
    """Each recurrent layer in training with both dropouts; its seed fixes the per-sequence masks. Batches of 3
    and rates of 0.4 leave some units dropped and some kept (seen at seed 1 for every layer)."""
    from pydl import layers

    return [_layer_case(f"{cls.__name__} with dropout and recurrent_dropout", lambda c=cls: c(
        3, dropout=0.4, recurrent_dropout=0.4, seed=1, return_sequences=True, **f64), (3, 4, 3), training=True)
        for cls in (layers.SimpleRNN, layers.LSTM, layers.GRU)]


def _image_layer_cases():
    """Depthwise separable convolutions: small images, odd sizes so "same" pads unevenly, multipliers above 1;
    and a dilated Conv2D."""
    from pydl import layers

    f64 = dict(dtype="float64", name="case")
    return [
        _layer_case("DepthwiseConv2D valid multiplier 2", lambda: layers.DepthwiseConv2D(
            (3, 2), depth_multiplier=2, activation="tanh", **f64), (2, 5, 4, 2)),
        _layer_case("DepthwiseConv2D same strided", lambda: layers.DepthwiseConv2D(
            3, strides=2, padding="same", **f64), (2, 5, 5, 3)),
        _layer_case("SeparableConv2D valid", lambda: layers.SeparableConv2D(3, 3, activation="tanh", **f64),
                    (2, 5, 4, 2)),
        _layer_case("Conv2D same dilated", lambda: layers.Conv2D(
            2, (2, 3), padding="same", dilation_rate=(2, 1), **f64), (2, 5, 4, 2)),
        _layer_case("SeparableConv2D same strided multiplier 2", lambda: layers.SeparableConv2D(
            2, 2, strides=2, padding="same", depth_multiplier=2, **f64), (2, 5, 3, 2)),
    ]


def _keras_book_layer_cases():
    """The layers added for the book's notebooks (issue 16): activations with options, transposed convolutions
    (odd sizes, both paddings, output_padding), the reshaping layers, wrappers and noise in training."""
    from pydl import layers
    from pydl.ops.conv_transpose import conv_transpose2d
    from pydl.ops.shape import pad

    f64 = dict(dtype="float64", name="case")
    return [
        Case("pad", lambda a: pad(a, [(1, 0), (2, 3)]) * pad(a, [(0, 1), (0, 5)]), ((3, 4),)),
        Case("conv_transpose2d cropped and extended", lambda x, k, b: conv_transpose2d(
            x, k, b, strides=(2, 3), crop=(1, 0), out_hw=(7, 12)), ((2, 3, 4, 2), (3, 2, 3, 2), (3,))),
        _layer_case("ReLU max_value slope threshold", lambda: layers.ReLU(
            max_value=1.0, negative_slope=0.2, threshold=0.5, **f64), (3, 5), "away_from_zero"),
        _layer_case("LeakyReLU", lambda: layers.LeakyReLU(0.2, **f64), (3, 5), "away_from_zero"),
        _layer_case("PReLU shared axes", lambda: layers.PReLU(
            alpha_initializer="random_normal", shared_axes=[1], **f64), (2, 3, 4), "away_from_zero"),
        _layer_case("ELU", lambda: layers.ELU(0.7, **f64), (3, 5), "away_from_zero"),
        _layer_case("Softmax two axes", lambda: layers.Softmax(axis=[1, 2], **f64), (2, 3, 4)),
        _layer_case("Conv2DTranspose same strided", lambda: layers.Conv2DTranspose(
            2, 3, strides=2, padding="same", activation="tanh", **f64), (2, 3, 4, 2)),
        _layer_case("Conv2DTranspose valid output_padding", lambda: layers.Conv2DTranspose(
            3, (2, 3), strides=(3, 2), output_padding=(2, 1), **f64), (2, 3, 2, 2)),
        _layer_case("UpSampling1D", lambda: layers.UpSampling1D(3, **f64), (2, 3, 2)),
        _layer_case("UpSampling2D", lambda: layers.UpSampling2D((2, 3), **f64), (2, 3, 2, 2)),
        _layer_case("UpSampling2D bilinear", lambda: layers.UpSampling2D(3, interpolation="bilinear", **f64),
                    (2, 3, 2, 2)),
        _layer_case("ZeroPadding2D", lambda: layers.ZeroPadding2D(((1, 0), (2, 1)), **f64), (2, 3, 2, 2)),
        _layer_case("Cropping2D", lambda: layers.Cropping2D(((1, 0), (0, 2)), **f64), (2, 4, 5, 2)),
        _layer_case("Permute", lambda: layers.Permute((2, 3, 1), **f64), (2, 3, 4, 2)),
        _layer_case("RepeatVector", lambda: layers.RepeatVector(3, **f64), (2, 4)),
        _layer_case("TimeDistributed Dense", lambda: layers.TimeDistributed(
            layers.Dense(3, activation="tanh", dtype="float64"), **f64), (2, 4, 3)),
        _layer_case("GaussianNoise in training", lambda: layers.GaussianNoise(0.3, seed=4, **f64), (3, 4),
                    training=True),
    ]


CASES += _sequence_layer_cases() + _image_layer_cases() + _keras_book_layer_cases()


def make_inputs(case: Case, seed: int = 0) -> list:
    """Float64 tensors for ``case``, requiring grad, with values kept away from the case's kinks."""
    rng = np.random.default_rng(seed)
    inputs = []
    for position, shape in enumerate(case.shapes):
        values = rng.standard_normal(shape)
        if case.values == "positive":
            values = rng.uniform(0.5, 2.0, shape)
        elif case.values == "away_from_zero":
            values = np.sign(values + 1e-12) * (np.abs(values) + 0.1)
        inputs.append(pydl.tensor(np.asarray(values, dtype=np.float64), requires_grad=True, name=f"x{position}"))
    return inputs


def run_case(case: Case, seed: int = 0) -> bool:
    return pydl.gradcheck(case.fn, make_inputs(case, seed))


def run_all(seeds=(0, 1)) -> tuple[int, list[str]]:
    """Run every case for every seed; returns (number of checks run, failure messages)."""
    count, failures = 0, []
    for case in CASES:
        for seed in seeds:
            count += 1
            try:
                run_case(case, seed)
            except Exception as error:  # report every failure, not just the first
                failures.append(f"{case.name} (seed {seed}): {type(error).__name__}: {error}")
    return count, failures


if __name__ == "__main__":
    total, problems = run_all()
    print(f"{total - len(problems)} passed, {len(problems)} failed")
    for problem in problems:
        print(problem)
