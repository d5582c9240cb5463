"""Sequential builds on shapes alone (Keras 3): no data flows at build, and a layer that does not fit the shape it
would get is refused by add(), naming the layer and both shapes, leaving the stack and its graph as they were."""

import numpy as np
import pytest

from pydl import Input, layers, models


def test_a_layer_that_does_not_fit_is_refused_at_add_and_leaves_the_stack_as_it_was():
    model = models.Sequential([layers.Dense(8, input_shape=(4,), name="wide")])
    wide = model.layers[0]
    calls = len(wide._inbound_nodes)
    with pytest.raises(ValueError, match=r'"bad_reshape" cannot reshape input shape \(None, 8\) \(8 values per '
                                         r"sample\) to target_shape \(3, 2\)"):
        model.add(layers.Reshape((3, 2), name="bad_reshape"))
    with pytest.raises(ValueError, match=r'"big_window".*smaller than the window'):
        model.add(layers.Reshape((2, 2, 2)))
        model.add(layers.Conv2D(1, 3, name="big_window"))
    assert [layer.name for layer in model.layers] == ["wide", "reshape"]
    model.pop()
    assert model.output.node.layer is wide and model.output_shape == (None, 8)
    assert len(wide._inbound_nodes) == calls  # refused and replaced builds leave no call behind
    np.testing.assert_array_equal(model.predict(np.ones((2, 4))), wide(np.ones((2, 4))).numpy())


def test_reshape_checks_sizes_from_shapes_and_infers_the_free_axis():
    assert layers.Reshape((-1, 2))(Input(shape=(6,))).shape == (None, 3, 2)
    assert layers.Reshape((-1, 2))(Input(shape=(None,))).shape == (None, None, 2)  # unknown until data comes
    with pytest.raises(ValueError, match=r"cannot reshape input shape \(None, 6\) .* to target_shape \(-1, 4\)"):
        layers.Reshape((-1, 4))(Input(shape=(6,)))


def test_a_first_layer_that_does_not_fit_leaves_no_input_shape_and_an_emptied_stack_is_unbuilt():
    model = models.Sequential()
    with pytest.raises(ValueError, match='"bad" cannot reshape'):
        model.add(layers.Reshape((5,), input_shape=(4,), name="bad"))
    assert model.layers == [] and model.input_shape is None and not model.built
    model.add(layers.Dense(2, input_shape=(3,)))
    assert model.output_shape == (None, 2)
    model.pop()
    assert not model.built
    with pytest.raises(ValueError, match="is not built yet, so the summary is unknown"):
        model.summary()
