"""What the exports refuse (by name, listing what they support, writing nothing) and what the code they write
looks like: plain torch or Keras, no pydl, compilable."""

from __future__ import annotations

import ast

import pytest

from pydl import layers, models
from pydl.export import KERAS_LAYERS, TORCH_LAYERS, ExportError, to_keras, to_torch
from pydl.ops.elementwise import relu
from tests.export.exported import MODELS


class HalfLayer(layers.Layer):
    """A layer of the user's own: neither framework has it."""

    def call(self, inputs, training=None):
        return inputs * 0.5


def _folder_untouched(folder, before):
    return {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("export, supported", [(to_torch, TORCH_LAYERS), (to_keras, KERAS_LAYERS)])
def test_a_layer_of_ones_own_is_refused_by_name_and_nothing_is_written(export, supported, tmp_path):
    inner = models.Sequential([layers.Input((3,)), HalfLayer(name="halve")], name="inner")
    model = models.Sequential([layers.Input((3,)), layers.Dense(3), inner, layers.Dense(1)])
    (tmp_path / "model.py").write_text("# the user's own file\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ExportError) as caught:
        export(model, tmp_path)
    message = str(caught.value)
    assert 'layer "inner/halve" is a HalfLayer' in message
    assert all(kind in message for kind in supported) and "Nothing was written" in message
    assert _folder_untouched(tmp_path, before)
    with pytest.raises(ExportError):
        export(model, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_subclass_of_a_supported_layer_is_refused_not_guessed(tmp_path):
    class WiderDense(layers.Dense):
        pass

    model = models.Sequential([layers.Input((3,)), WiderDense(2, name="wide")])
    with pytest.raises(ExportError, match='layer "wide" is a WiderDense'):
        to_torch(model, tmp_path)


def test_an_activation_of_ones_own_is_refused(tmp_path):
    model = models.Sequential([layers.Input((3,)), layers.Dense(2, activation=lambda x: relu(x) * 2, name="odd")])
    for export in (to_torch, to_keras):
        with pytest.raises(ExportError, match='layer "odd" \\(Dense\\): its activation'):
            export(model, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("layer, reason", [
    (layers.LSTM(4, activation="relu", name="relu_lstm"), 'not "relu" with "sigmoid"'),
    (layers.SimpleRNN(4, activation="sigmoid", name="sigmoid_rnn"), 'not activation="sigmoid"'),
    (layers.Bidirectional(layers.GRU(4, activation="relu"), name="both_ways"), 'not "relu" with "sigmoid"'),
])
def test_recurrent_variants_torch_cannot_compute_are_refused_for_torch_only(layer, reason, tmp_path):
    model = models.Sequential([layers.Input((5, 3)), layer])
    with pytest.raises(ExportError, match=f'layer "{layer.name}"') as caught:
        to_torch(model, tmp_path / "torch")
    assert reason in str(caught.value)
    assert not (tmp_path / "torch").exists()
    assert to_keras(model, tmp_path / "keras").exists()  # Keras has every variant


def test_same_padding_with_a_stride_on_inputs_of_unknown_size_is_refused_for_torch(tmp_path):
    model = models.Sequential([layers.Input((None, None, 3)), layers.Conv2D(2, 3, strides=2, padding="same",
                                                                            name="strided")])
    with pytest.raises(ExportError, match='layer "strided" \\(Conv2D\\) uses padding="same" with stride 2'):
        to_torch(model, tmp_path / "torch")
    assert not (tmp_path / "torch").exists()


@pytest.mark.parametrize("export", [to_torch, to_keras])
def test_time_distributed_of_a_layer_it_cannot_wrap_is_refused_naming_what_it_can(export, tmp_path):
    model = models.Sequential([layers.Input((4, 3)), layers.TimeDistributed(HalfLayer(), name="every_step")])
    with pytest.raises(ExportError) as caught:
        export(model, tmp_path / "out")
    message = str(caught.value)
    assert 'layer "every_step" (TimeDistributed): it wraps a HalfLayer' in message
    assert "TimeDistributed of Dense, Activation, Dropout, Flatten, Conv1D, Conv2D" in message
    assert not (tmp_path / "out").exists()


def test_training_only_layers_are_marked_where_torch_passes_values_through(tmp_path):
    code = to_torch(MODELS["book_augmented"](), tmp_path).read_text()
    for name, kind in (("random_flip", "RandomFlip"), ("gaussian_noise", "GaussianNoise")):
        assert any(line.strip().startswith(f"# {name}") and f"a {kind}, which acts only while training" in line
                   for line in code.splitlines())


def test_an_unbuilt_model_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(ExportError, match="not built"):
        to_keras(models.Sequential([layers.Dense(2)]), tmp_path)


@pytest.mark.parametrize("export, framework", [(to_torch, "torch"), (to_keras, "keras")])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_code_imports_only_its_framework_and_numpy_compiles_and_reads_well(export, framework, name, tmp_path):
    code = export(MODELS[name](), tmp_path).read_text()
    tree = ast.parse(code)
    compile(code, "model.py", "exec")
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {framework, "numpy", "pathlib", "math"} and framework in imported
    assert "pickle" not in code.replace("allow_pickle=False", "")
    assert max(len(line) for line in code.splitlines()) <= 120
    assert [n.name for n in tree.body if isinstance(n, ast.FunctionDef)][-1] == "build"
