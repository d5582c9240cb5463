"""Transfer learning measured: the digits 5-9 from 20 images each, on the base pretrained on 0-4 (frozen, then its
top block fine-tuned) against the same network trained from scratch, on the test split's 5-9 over three seeds."""

import numpy as np
import pytest

from pydl.applications import digits_transfer
from pydl.applications.digits_convnet import digits_convnet
from tests.learning import assert_at_least

SEEDS = (0, 1, 2)


def _run(seed):
    split = digits_transfer.few_shot_digits(20, seed)
    epochs = digits_transfer.epochs_for(split)
    scratch, _ = digits_transfer.from_scratch(split, 2 * epochs, seed)
    model, _ = digits_transfer.feature_extraction(split, epochs, seed)
    extracted = {w.name: w.numpy().copy() for w in model.layers[0].weights}
    accuracy = {"from_scratch": digits_transfer.test_accuracy(scratch, split),
                "feature_extraction": digits_transfer.test_accuracy(model, split)}
    digits_transfer.fine_tune(model, split, epochs, seed)
    accuracy["fine_tuning"] = digits_transfer.test_accuracy(model, split)
    tuned = {w.name: w.numpy().copy() for w in model.layers[0].weights}
    return accuracy, extracted, tuned


@pytest.fixture(scope="module")
def runs():
    return [_run(seed) for seed in SEEDS]


def test_few_shot_split_holds_20_new_digits_each_and_their_test_images():
    split = digits_transfer.few_shot_digits(20, seed=0)
    assert split.x_train.shape == (100, 8, 8, 1) and np.bincount(split.y_train).tolist() == [20] * 5
    assert len(split.x_test) == 179 and set(split.y_test.tolist()) == {0, 1, 2, 3, 4}
    other = digits_transfer.few_shot_digits(20, seed=1)
    assert not np.array_equal(split.x_train, other.x_train)  # the seed draws other images
    np.testing.assert_array_equal(split.x_test, other.x_test)
    with pytest.raises(ValueError, match="per_class must be a whole number from 1 to 139.*got 500"):
        digits_transfer.few_shot_digits(500)


def test_feature_extraction_keeps_the_base_and_fine_tuning_moves_only_the_top_block(runs):
    shipped = {w.name: w.numpy() for w in digits_convnet("pretrained_0_4", include_top=False).weights}
    for _, extracted, tuned in runs:
        for name, value in shipped.items():
            np.testing.assert_array_equal(extracted[name], value)  # frozen: not one bit moved
            if name.startswith("block1_"):
                np.testing.assert_array_equal(tuned[name], value)
            else:
                assert not np.array_equal(tuned[name], value), name


def test_each_way_learns_the_new_digits_from_20_images_each(runs):
    mean = {way: float(np.mean([accuracy[way] for accuracy, _, _ in runs])) for way in runs[0][0]}
    # Test accuracy on the 179 test images of 5-9, mean of seeds 0-2 (seed 3 too, in the README's figures):
    # from scratch 0.955 (0.933-0.972), feature extraction 0.931 (0.911-0.944), fine-tuning 0.946 (0.927-0.966).
    # A base trained on 720 images of five digits brings features no better than the network learns from these
    # 100 images itself (a ridge probe on its frozen features: 0.926, on random conv features 0.911, on the pixels
    # 0.906), so it does not beat training from scratch here; fine-tuning its top block wins back most of the gap.
    assert_at_least(mean["from_scratch"], 0.93, "5-9 from 20 a class, from scratch: mean test accuracy")
    assert_at_least(mean["feature_extraction"], 0.90, "5-9 from 20 a class, feature extraction: mean test accuracy")
    assert_at_least(mean["fine_tuning"], 0.92, "5-9 from 20 a class, fine-tuning: mean test accuracy")
