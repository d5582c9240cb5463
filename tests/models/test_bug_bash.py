"""Regression tests from a bug bash of the functional API, saving and training."""

import pytest

from pydl import Input, layers, models


def test_a_single_input_model_called_on_a_list_of_symbolic_tensors_names_its_input_and_the_shapes():
    # It used to turn the list into an array of objects: 'expects input shape (None, 10, 4), but got (2,)'.
    inputs = Input((10, 4), name="a")
    model = models.Model(inputs, layers.LSTM(3)(inputs))
    with pytest.raises(ValueError, match=r'Input "a" takes one tensor of shape \(None, 10, 4\), but got a list of 2 '
                                         r"with shapes \[\(None, 10, 4\), \(None, 10, 4\)\]"):
        model([Input((10, 4)), Input((10, 4))])
    assert model(Input((10, 4))).shape == (None, 3)


def _rows(model, names):
    lines = []
    model.summary(print_fn=lines.append)
    return lines, [next(line for line in lines if line.startswith(name + " (")) for name in names]


def test_summary_columns_stay_aligned_with_long_layer_names():
    # "global_average_pooling1d (GlobalAveragePooling1D)" (50 characters) overflowed its 36-character column and
    # pushed its shape and count right of everyone else's.
    model = models.Sequential([layers.Embedding(20, 4, input_length=6), layers.BatchNormalization(),
                               layers.GlobalAveragePooling1D(), layers.Dense(1)])
    lines, rows = _rows(model, ["embedding", "batch_normalization", "global_average_pooling1d", "dense"])
    assert {row.index("(None") for row in rows} == {lines[2].index("Output Shape")}
    assert {len(row) for row in rows} == {len(lines[2])}  # the counts are right-aligned under "Param #"
    assert rows[2].split()[-1] == "0" and rows[0].split()[-1] == "80"
    assert {len(line) for line in lines if set(line) <= {"_", "="}} == {len(lines[2])}

    inputs = Input((6, 4), name="a_rather_long_input_name_for_the_sequence")
    pooled = layers.GlobalAveragePooling1D(name="global_average_pooling_of_every_step")(inputs)
    graph = models.Model(inputs, layers.Dense(1, name="out")(pooled))
    lines, rows = _rows(graph, ["a_rather_long_input_name_for_the_sequence", "global_average_pooling_of_every_step",
                                "out"])
    assert {row.index("(None") for row in rows} == {lines[2].index("Output Shape")}
    assert {row.rindex("  ") + 2 for row in rows} == {lines[2].index("Connected to")}
