"""Colour on the convnet page: CIFAR-10's binary files read into the lab's data (small files of that format written
here), a model trained on them, and its first filters drawn in colour."""

from __future__ import annotations

import numpy as np
import pytest

from pydl.datasets import cifar10
from pydl.lessons.convnet import (
    DEFAULT_SPEC, build_model, conv_arithmetic, evaluate_baseline, feature_maps, filter_images, load_cifar_data,
    preprocess_drawing, train_slice, training_loop,
)
from pydl.lessons.convnet.inside import where_it_looks


def batch_bytes(labels, seed):
    """A CIFAR-10 binary batch: per record one label byte, then the 32x32 red, green and blue planes. Each class gets
    its own colour (class c: red 25c, blue 255 - 25c) plus noise, so a model can learn it."""
    rng = np.random.default_rng(seed)
    records = []
    for label in labels:
        planes = np.stack([np.full((32, 32), 25 * label), rng.integers(0, 256, (32, 32)),
                           np.full((32, 32), 255 - 25 * label)]).astype(np.int64)
        planes = np.clip(planes + rng.integers(-20, 21, planes.shape), 0, 255).astype(np.uint8)
        records.append(bytes([label]) + planes.tobytes())
    return b"".join(records)


@pytest.fixture(scope="module")
def files():
    return [("data_batch_1.bin", batch_bytes(np.arange(200) % 10, 0)),
            ("test_batch.bin", batch_bytes(np.arange(60) % 10, 1))]


def test_cifar_files_become_colour_images_in_0_1(files):
    data = load_cifar_data(files, max_train=1000)
    assert data.x_train.shape[1:] == (32, 32, 3) and data.x_train.dtype == np.float32
    assert len(data.x_train) + len(data.x_val) == 200 and len(data.x_test) == 60
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.class_names == cifar10.CLASSES and data.style == "cifar"
    # Pixels and labels as the format says: the red plane of a class-c image is about 25c.
    image, label = data.x_test[0], int(data.y_test[0])
    assert abs(float(image[..., 0].mean()) * 255 - 25 * label) < 3
    without_test = load_cifar_data(files[:1])
    assert len(without_test.x_test) == 200 // 6


@pytest.mark.parametrize("picked, message", [
    ([], "No file chosen"),
    ([("test_batch.bin", batch_bytes([1, 2], 0))], "at least one training file"),
    ([("data_batch_1.bin", batch_bytes([1, 2], 0)[:-7])], r"^data_batch_1\.bin: .*truncated"),
    ([("data_batch_2.bin", b"\x0c" + batch_bytes([1], 0)[1:])], r"^data_batch_2\.bin: record 0 has label 12"),
])
def test_bad_cifar_files_are_named(picked, message):
    with pytest.raises(ValueError, match=message):
        load_cifar_data(picked)


def test_a_convnet_learns_the_colours_and_draws_its_first_filters_in_colour(files):
    data = load_cifar_data(files, max_train=1000)
    model = build_model({**DEFAULT_SPEC, "learning_rate": 0.003}, data.input_shape)
    loop = training_loop(model, data, 8, 16, seed=0)
    while not loop.done:
        train_slice(loop, 1.0)
    accuracy = float((model.predict(data.x_test).argmax(axis=1) == data.y_test).mean())
    # Ten flat colours and noise: the baseline (class means) already separates them; the network must too.
    baseline = evaluate_baseline(data.x_train, data.y_train, data.x_test, data.y_test)["accuracy"]["l1"]
    assert accuracy > 0.5 and baseline > 0.9
    first, second = filter_images(model)
    assert first["colour"] and not second["colour"]
    assert first["filters"][0].shape == (3, 3, 3)
    kernel = model.get_layer("conv1").kernel.numpy().astype(np.float64)
    expected = np.round(np.clip(0.5 + kernel[..., 0] / (2 * first["scale"]), 0, 1) * 255)
    np.testing.assert_array_equal(first["filters"][0], expected)
    assert [group["shape"] for group in feature_maps(model, data.x_test[0])][0] == (32, 32, 16)
    assert conv_arithmetic(model, data.x_test[0], "conv1", 2, 5, 7)["matches"]
    assert where_it_looks(model, data.x_test[0])["overlay"].shape == (32, 32, 3)
    with pytest.raises(ValueError, match="Drawing is for digits"):
        preprocess_drawing(np.ones((10, 10)), 32, "cifar")
