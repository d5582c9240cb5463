"""Regression tests from a bug bash of the sequence, separable-convolution and merge layers."""

import numpy as np
import pytest

from pydl import layers


WINDOWED = [
    (lambda: layers.Conv1D(2, 5, name="win"), (3, 2)),
    (lambda: layers.MaxPooling1D(5, name="win"), (3, 2)),
    (lambda: layers.AveragePooling1D(4, strides=1, name="win"), (3, 2)),
    (lambda: layers.Conv2D(2, 5, name="win"), (3, 6, 2)),
    (lambda: layers.MaxPooling2D(4, name="win"), (6, 3, 2)),
    (lambda: layers.DepthwiseConv2D(5, name="win"), (3, 3, 2)),
    (lambda: layers.SeparableConv2D(4, (1, 5), name="win"), (6, 3, 2)),
]


@pytest.mark.parametrize("make, sample_shape", WINDOWED)
def test_window_larger_than_a_symbolic_input_fails_when_the_graph_is_built(make, sample_shape):
    # It used to give an output shape with a 0 (Conv1D(2, 5) on 3 steps: (None, 0, 2)), so the model was built and
    # only predict failed, with an error that named no layer.
    with pytest.raises(ValueError, match=r'"win" \(\w+\) got input shape \(None, [\d, ]+\), smaller than the '
                                         r'window .* output shape would be \(None, .*0'):
        make()(layers.Input(sample_shape))


@pytest.mark.parametrize("make, sample_shape", WINDOWED)
def test_window_larger_than_the_data_names_the_layer_and_the_shapes(make, sample_shape):
    layer = make()
    with pytest.raises(ValueError, match=r'"win" \(\w+\) got input shape \(2, [\d, ]+\), smaller than the window'):
        layer(np.zeros((2,) + sample_shape))


def test_a_built_conv1d_refuses_a_later_sequence_shorter_than_its_window_by_name():
    layer = layers.Conv1D(2, 3, name="c")
    assert layer(np.zeros((1, 5, 2))).shape == (1, 3, 2)
    assert layer(layers.Input((None, 2))).shape == (None, None, 2)  # unknown lengths are not refused
    with pytest.raises(ValueError, match=r'"c" \(Conv1D\) got input shape \(1, 2, 2\), smaller than the window '
                                         r"\(3,\)"):
        layer(np.zeros((1, 2, 2)))
    assert layers.Conv1D(2, 5, padding="same")(layers.Input((3, 2))).shape == (None, 3, 2)
