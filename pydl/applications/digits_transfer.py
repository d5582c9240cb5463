"""Reusing a trained network on a task it never saw, measured (the book's 5.3): the digits 5 to 9 learned from a
few images each, on top of the convolutional base that was trained on the digits 0 to 4 only.

Three ways on the same few images, judged on the test split's 5-9:

- **from scratch**: the same network with fresh weights;
- **feature extraction**: the pretrained base frozen, a new classifier on top;
- **fine-tuning**: then the top block (``block2_conv``) unfrozen too, at a ten times lower rate.

>>> split = few_shot_digits(per_class=3, seed=0)
>>> split.x_train.shape, sorted(set(split.y_train.tolist())), split.digits
((15, 8, 8, 1), [0, 1, 2, 3, 4], (5, 6, 7, 8, 9))
"""

from __future__ import annotations

from dataclasses import dataclass

import pydl
from pydl import layers, optimizers
from pydl.applications.digits_convnet import digits_convnet, digits_convnet_preprocess
from pydl.backend import np
from pydl.datasets import load_digits
from pydl.models.sequential import Sequential

__all__ = ["FewShotDigits", "few_shot_digits", "from_scratch", "feature_extraction", "fine_tune", "compare",
           "test_accuracy", "epochs_for", "scratch_model", "feature_extraction_model", "unfreeze_top",
           "training_loop", "NEW_DIGITS", "TOP_BLOCK"]

NEW_DIGITS = (5, 6, 7, 8, 9)  # the digits the "pretrained_0_4" base never saw
TOP_BLOCK = ("block2_conv",)  # what fine-tuning unfreezes (max-pooling has no weights)
LEARNING_RATE = 0.003  # the rate the shipped networks were trained at
FINE_TUNING_RATE = 0.0003  # ten times lower: large updates would wreck the features the base brings
STEPS = 300  # batches of each phase (whole epochs, at least); from scratch gets both phases' batches
BATCH_SIZE = 16


@dataclass
class FewShotDigits:
    """``per_class`` training images of each new digit and every test image of them; labels 0..4 stand for
    ``digits`` in order."""

    x_train: object
    y_train: object
    x_test: object
    y_test: object
    digits: tuple


def few_shot_digits(per_class: int = 20, seed: int = 0, digits: tuple = NEW_DIGITS) -> FewShotDigits:
    """``per_class`` training images of each of ``digits``, drawn with ``numpy.random.default_rng(seed)`` from
    ``load_digits``' training split, and the test split's images of those digits, prepared for the network.

    Raises:
        ValueError: ``per_class`` outside 1 .. the images a digit has.
    """
    (x_train, y_train), (x_test, y_test) = load_digits()
    digits = tuple(int(d) for d in digits)
    available = min(int((y_train == d).sum()) for d in digits)
    if isinstance(per_class, bool) or not isinstance(per_class, int) or not 1 <= per_class <= available:
        raise ValueError(f"per_class must be a whole number from 1 to {available} (the training images of the "
                         f"rarest digit); got {per_class!r}.")
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.choice(np.flatnonzero(y_train == d), per_class, replace=False) for d in digits])
    test = np.isin(y_test, digits)
    index = np.asarray(digits)
    return FewShotDigits(digits_convnet_preprocess(x_train[picked]), np.searchsorted(index, y_train[picked]),
                         digits_convnet_preprocess(x_test[test]), np.searchsorted(index, y_test[test]), digits)


def _compiled(model, rate: float):
    model.compile(optimizer=optimizers.Adam(learning_rate=rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def epochs_for(split: FewShotDigits, steps: int = STEPS) -> int:
    """Whole epochs of the split's training images that make at least ``steps`` batches."""
    batches = -(-len(split.x_train) // BATCH_SIZE)
    return -(-steps // batches)


def training_loop(model, split: FewShotDigits, epochs: int, seed: int = 0):
    """The training of each way as a :class:`~pydl.models.TrainingLoop` (a page steps it in slices); stepped to the
    end it is the ``fit`` of :func:`from_scratch`, :func:`feature_extraction` and :func:`fine_tune`, bit for bit."""
    return model.training_loop(split.x_train, split.y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=0,
                               seed=seed)


def _fit(model, split: FewShotDigits, epochs: int, seed: int):
    return model.fit(split.x_train, split.y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, seed=seed).history


def test_accuracy(model, split: FewShotDigits) -> float:
    """The share of the split's test images (the new digits) that ``model`` classifies right."""
    return float(model.evaluate(split.x_test, split.y_test, batch_size=256, verbose=0, return_dict=True)["accuracy"])


def from_scratch(split: FewShotDigits, epochs: int, seed: int = 0):
    """The digits convnet with fresh weights (``pydl.seed(seed)``) trained on the few images: (model, history)."""
    model = scratch_model(split, seed)
    return model, _fit(model, split, epochs, seed)


def scratch_model(split: FewShotDigits, seed: int = 0):
    """The compiled, untrained model of :func:`from_scratch`."""
    pydl.seed(seed)
    return _compiled(digits_convnet(weights=None, classes=len(split.digits)), LEARNING_RATE)


def feature_extraction(split: FewShotDigits, epochs: int, seed: int = 0, base: str = "pretrained_0_4"):
    """The pretrained convolutional base, frozen, under a new classifier (Flatten, Dropout 0.3, Dense softmax, as
    the network's own top) trained on the few images: (model, history). The base is ``model.layers[0]``."""
    model = feature_extraction_model(split, seed, base)
    return model, _fit(model, split, epochs, seed)


def feature_extraction_model(split: FewShotDigits, seed: int = 0, base: str = "pretrained_0_4"):
    """The compiled model of :func:`feature_extraction` before training: the frozen base and a new classifier."""
    pydl.seed(seed)
    conv_base = digits_convnet(weights=base, include_top=False)
    conv_base.trainable = False
    model = Sequential([conv_base, layers.Flatten(name="flatten"), layers.Dropout(0.3, name="dropout"),
                        layers.Dense(len(split.digits), activation="softmax", name="predictions")],
                       name="feature_extraction")
    return _compiled(model, LEARNING_RATE)


def fine_tune(model, split: FewShotDigits, epochs: int, seed: int = 0, unfreeze: tuple = TOP_BLOCK):
    """Continue a :func:`feature_extraction` model with the base's ``unfreeze`` layers trainable too, at
    ``FINE_TUNING_RATE`` (recompiled, so the change counts): the history of this phase."""
    return _fit(unfreeze_top(model, unfreeze), split, epochs, seed)


def unfreeze_top(model, unfreeze: tuple = TOP_BLOCK):
    """A :func:`feature_extraction` model made ready for :func:`fine_tune`: the base's ``unfreeze`` layers
    trainable, recompiled at ``FINE_TUNING_RATE``; returns the model."""
    conv_base = model.layers[0]
    conv_base.trainable = True
    for layer in conv_base.layers:
        layer.trainable = layer.name in unfreeze
    return _compiled(model, FINE_TUNING_RATE)


def compare(per_class: int = 20, seed: int = 0, steps: int = STEPS) -> dict:
    """Test accuracy on the new digits of the three ways, on the same ``per_class`` images a digit (``seed``
    picks the images and the initial weights): ``{"from_scratch", "feature_extraction", "fine_tuning"}``.

    Feature extraction and fine-tuning train :func:`epochs_for` ``steps`` each; from scratch trains as many
    epochs as the two together.
    """
    split = few_shot_digits(per_class, seed)
    epochs = epochs_for(split, steps)
    scratch, _ = from_scratch(split, 2 * epochs, seed)
    model, _ = feature_extraction(split, epochs, seed)
    results = {"from_scratch": test_accuracy(scratch, split), "feature_extraction": test_accuracy(model, split)}
    fine_tune(model, split, epochs, seed)
    results["fine_tuning"] = test_accuracy(model, split)
    return results
