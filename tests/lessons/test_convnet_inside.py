"""The convnet page's looks inside the learner's model (pydl.lessons.convnet.inside) and its transfer card's runner
(pydl.lessons.convnet.transfer): the pictures are pydl.explain's numbers, the runner is compare()'s, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from pydl import explain
from pydl.applications import digits_transfer
from pydl.lessons.convnet import DEFAULT_SPEC, build_model, load_digits_data
from pydl.lessons.convnet.inside import filter_ascent, overlay, picture, where_it_looks
from pydl.lessons.convnet.transfer import TransferRun


@pytest.fixture(scope="module")
def data():
    return load_digits_data(8)


@pytest.fixture(scope="module")
def model(data):
    model = build_model(DEFAULT_SPEC, data.input_shape)
    model.fit(data.x_train, data.y_train, epochs=2, batch_size=32, verbose=0, seed=0)
    return model


def test_filter_ascent_draws_maximize_activation_frame_by_frame(model):
    ascent = filter_ascent(model, "conv2", 5, steps=12)
    reference = explain.maximize_activation(model, "conv2", 5, steps=12, learning_rate=0.02, seed=0)
    assert len(ascent["frames"]) == 13 and ascent["activations"] == reference.activations
    for frame, image in zip(ascent["frames"], reference.images):
        np.testing.assert_array_equal(frame, picture(image))
    assert ascent["activations"][-1] > ascent["activations"][0]
    with pytest.raises(ValueError, match="from 0 to 31"):
        filter_ascent(model, "conv2", 32)


def test_picture_draws_one_channel_as_ink_and_three_in_colour():
    grey = np.array([[0.0, 0.5], [1.0, 0.25]])[..., None]
    np.testing.assert_array_equal(picture(grey), [[255, 127], [0, 191]])
    colour = np.zeros((2, 2, 3))
    colour[0, 0] = [1.0, 0.5, 0.0]
    assert picture(colour)[0, 0].tolist() == [255, 128, 0] and picture(colour).shape == (2, 2, 3)
    with pytest.raises(ValueError, match=r"\(4,\)"):
        picture(np.zeros(4))


def test_where_it_looks_is_grad_cam_and_saliency_of_the_answer(model, data):
    image = data.x_test[7]
    looks = where_it_looks(model, image)
    cam = explain.grad_cam(model, image)
    assert looks["class_index"] == cam.class_index == int(model.predict(image[None]).argmax())
    np.testing.assert_array_equal(looks["heatmap"], cam.heatmap)
    np.testing.assert_array_equal(looks["overlay"], overlay(image, cam.heatmap))
    assert looks["overlay"].shape == (8, 8, 3) and looks["saliency"].shape == (8, 8, 3)
    other = where_it_looks(model, image, class_index=(cam.class_index + 1) % 10)
    assert other["class_index"] == (cam.class_index + 1) % 10


def test_ink_and_background_are_the_map_s_means_there(model, data):
    image = data.x_test[3]
    looks = where_it_looks(model, image)
    pixels = image[..., 0]
    assert looks["ink"] == pytest.approx(looks["heatmap"][pixels >= 0.5 * pixels.max()].mean(), rel=1e-12)
    assert looks["background"] == pytest.approx(looks["heatmap"][pixels == 0].mean(), rel=1e-12)


def test_transfer_run_in_slices_gives_compare_s_numbers_bit_for_bit():
    run = TransferRun(per_class=3, seed=0, steps=10)
    seen = [run.progress]
    while not run.done:
        run.step(0.01)
        seen.append(run.progress)
    assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 1.0
    assert run.results == digits_transfer.compare(per_class=3, seed=0, steps=10)
    # The frozen base leaves only the new classifier to train; fine-tuning adds the top block's weights.
    assert run.trainable["feature_extraction"] < run.trainable["fine_tuning"] < run.trainable["from_scratch"]


def test_transfer_run_refuses_a_bad_count():
    with pytest.raises(ValueError, match="per_class must be a whole number"):
        TransferRun(per_class=0)


def test_the_what_to_try_claims_hold(data):
    """The convnet page's "What to try" list, items 2 and 3, on the default model."""
    from pydl.lessons.convnet import DEFAULT_SPEC, layer_table, validate_spec

    def output_params(spec):
        return {row["name"]: row["params"] for row in layer_table(validate_spec(spec), data.input_shape)}["output"]

    unpooled = {**DEFAULT_SPEC, "conv": [DEFAULT_SPEC["conv"][0], {**DEFAULT_SPEC["conv"][1], "pool": False}]}
    assert (output_params(DEFAULT_SPEC), output_params(unpooled)) == (1290, 5130)
    model = build_model(DEFAULT_SPEC, data.input_shape)
    before = [filter_ascent(model, "conv1", f)["activations"][-1] for f in range(16)]
    model.fit(data.x_train, data.y_train, epochs=3, batch_size=32, verbose=0, seed=0)
    after = [filter_ascent(model, "conv1", f)["activations"][-1] for f in range(16)]
    assert all(a > b for a, b in zip(after, before)), (before, after)
    # The numbers the list quotes (0.093 and 0.399 measured), to the 2 digits it shows; another BLAS's float32
    # rounding over 3 epochs moves them by far less than 0.01.
    assert before[0] == pytest.approx(0.09, abs=0.01) and after[0] == pytest.approx(0.40, abs=0.01)
