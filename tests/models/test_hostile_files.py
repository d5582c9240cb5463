"""Model files a user or an attacker gets wrong: each refused with a message that says what to do, nothing left
behind, the caller's model unchanged."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from pydl import layers, models
from pydl.models import ModelFileError


def small_model():
    return models.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])


def rewritten(data: bytes, config=None, weights=None) -> bytes:
    """A copy of a model file with its config.json edited by ``config(header)`` or its weights.npz replaced."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            content = source.read(name)
            if name == "config.json" and config is not None:
                header = json.loads(content)
                config(header)
                content = json.dumps(header).encode()
            if name == "weights.npz" and weights is not None:
                content = weights
            archive.writestr(name, content)
    return out.getvalue()


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def leftovers(folder):
    return [name for name in os.listdir(folder) if ".tmp-" in name]


def test_a_save_that_fails_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "model.pydl"
    target.mkdir()  # a folder where the file should go: os.replace refuses
    with pytest.raises(OSError):
        models.save_model(small_model(), target)
    assert leftovers(tmp_path) == []


def test_a_save_interrupted_after_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    def interrupted(source, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        models.save_model(small_model(), tmp_path / "model.pydl")
    assert leftovers(tmp_path) == [] and not (tmp_path / "model.pydl").exists()


def test_a_model_file_opened_in_text_mode_says_to_open_it_in_binary_mode(tmp_path):
    path = tmp_path / "model.pydl"
    models.save_model(small_model(), path)
    with open(path) as text, pytest.raises(TypeError, match=r"opened in text mode.*open it with mode 'rb'"):
        models.load_model(text)
    with open(path, encoding="latin-1") as text, pytest.raises(TypeError, match="mode 'rb'"):
        small_model().load_weights(text)


def test_npz_arrays_under_other_names_are_named_in_the_refusal():
    model = small_model()
    weights = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    data = rewritten(model.to_bytes(), weights=npz(**weights))
    with pytest.raises(ModelFileError, match=r"holds arrays named \['w0.npy', 'w1.npy', 'w2.npy', 'w3.npy'\], which "
                                             r"config.json does not list: it lists 4 arrays named arr_0.npy to "
                                             r"arr_3.npy"):
        models.from_bytes(data)
