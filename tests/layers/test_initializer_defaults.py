"""An initializer argument given as None means the layer's default for it, as in Keras (it used to build zeros)."""

import numpy as np
import pytest

import pydl
from pydl import layers

# layer factory (with the initializer arguments as keywords), input shape, initializer arguments it takes
CASES = {
    "Dense": (lambda **kw: layers.Dense(4, **kw), (None, 3), ["kernel_initializer", "bias_initializer"]),
    "Conv1D": (lambda **kw: layers.Conv1D(2, 3, **kw), (None, 6, 2), ["kernel_initializer", "bias_initializer"]),
    "Conv2D": (lambda **kw: layers.Conv2D(2, 3, **kw), (None, 5, 5, 2), ["kernel_initializer", "bias_initializer"]),
    "DepthwiseConv2D": (lambda **kw: layers.DepthwiseConv2D(3, **kw), (None, 5, 5, 2),
                        ["depthwise_initializer", "bias_initializer"]),
    "SeparableConv2D": (lambda **kw: layers.SeparableConv2D(3, 3, **kw), (None, 5, 5, 2),
                        ["depthwise_initializer", "pointwise_initializer", "bias_initializer"]),
    "Embedding": (lambda **kw: layers.Embedding(10, 4, **kw), (None, 5), ["embeddings_initializer"]),
    "BatchNormalization": (lambda **kw: layers.BatchNormalization(**kw), (None, 3),
                           ["beta_initializer", "gamma_initializer", "moving_mean_initializer",
                            "moving_variance_initializer"]),
    **{name: (lambda cls=getattr(layers, name), **kw: cls(3, **kw), (None, 4, 2),
              ["kernel_initializer", "recurrent_initializer", "bias_initializer"])
       for name in ("SimpleRNN", "LSTM", "GRU")},
}


def _built_weights(factory, input_shape, **options):
    pydl.seed(7)
    layer = factory(**options)
    layer.build(input_shape)
    return layer, layer.get_weights()


@pytest.mark.parametrize("name", sorted(CASES))
def test_none_initializers_build_the_same_weights_as_the_defaults(name):
    factory, input_shape, arguments = CASES[name]
    layer, defaults = _built_weights(factory, input_shape)
    clone, with_none = _built_weights(factory, input_shape, **{argument: None for argument in arguments})
    assert len(with_none) == len(defaults) >= 1
    for got, expected in zip(with_none, defaults):
        np.testing.assert_array_equal(got, expected)
    assert any(w.any() for w in with_none)  # a kernel of zeros would pass the comparison only if defaults were zeros
    assert {**clone.get_config(), "name": None} == {**layer.get_config(), "name": None}


def test_add_weight_with_no_initializer_is_glorot_uniform_as_in_keras():
    layer = layers.Layer()
    pydl.seed(3)
    weight = layer.add_weight("w", (20, 30), initializer=None)
    limit = np.sqrt(6.0 / (20 + 30))
    assert weight.numpy().std() > limit / 3 and np.abs(weight.numpy()).max() <= limit
