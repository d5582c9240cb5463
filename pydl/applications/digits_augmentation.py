"""Data augmentation's effect, measured (the book's 5.2): the digits convnet trained from scratch on a small subset of
the digits, with and without randomly shifted and rotated copies, judged by validation accuracy and by the gap
between training and validation accuracy (how much it overfits).

The augmentation is Keras 3's preprocessing layers (:func:`augmentation`: ``RandomTranslation`` up to one pixel of
eight each way, then ``RandomRotation`` up to 12 degrees, blank paper outside), fresh copies every epoch; the convnet
page trains with the same :func:`augment`.

>>> subset = small_digits(per_class=2, seed=0)
>>> subset.x_train.shape, subset.x_val.shape
((20, 8, 8, 1), (1417, 8, 8, 1))
"""

from __future__ import annotations

from dataclasses import dataclass

import pydl
from pydl import layers, optimizers
from pydl.applications.digits_convnet import digits_convnet, digits_convnet_preprocess
from pydl.backend import np
from pydl.datasets import load_digits
from pydl.models.sequential import Sequential

__all__ = ["SmallDigits", "small_digits", "train", "compare", "augmentation", "augment", "TRANSFORMATIONS",
           "EPOCHS", "LAST_EPOCHS", "MAX_SHIFT", "MAX_DEGREES"]

MAX_SHIFT = 0.125  # of the image's height and width, each way: one pixel of an 8x8 digit
MAX_DEGREES = 12.0  # either way: a slanted digit is still the same digit
# What :func:`augment` does to each image, in words (the convnet page names them under its preview).
TRANSFORMATIONS = (f"shifted up to {MAX_SHIFT:g} of its size up/down and left/right (RandomTranslation)",
                   f"turned up to ±{MAX_DEGREES:g}° about its centre (RandomRotation)")

EPOCHS = 40
LAST_EPOCHS = 5  # the accuracies are averaged over the last epochs: one epoch of 200 images is a noisy reading
BATCH_SIZE = 16
LEARNING_RATE = 0.003


@dataclass
class SmallDigits:
    """``per_class`` training images a digit, and every other image of the training split for validation."""

    x_train: object
    y_train: object
    x_val: object
    y_val: object


def augmentation(seed=None, max_shift: float = MAX_SHIFT, max_degrees: float = MAX_DEGREES) -> Sequential:
    """The augmentation layers: ``RandomTranslation(max_shift, max_shift)`` then ``RandomRotation`` by up to
    ``max_degrees``, both bilinear with zeros (blank paper) outside the image, drawing from ``seed`` (an int or a
    NumPy Generator, shared by both); they change images only when called with ``training=True``."""
    return Sequential([
        layers.RandomTranslation(max_shift, max_shift, fill_mode="constant", seed=seed, name="shift"),
        layers.RandomRotation(max_degrees / 360.0, fill_mode="constant", seed=seed, name="rotate"),
    ], name="augmentation")


def augment(images, seed, max_shift: float = MAX_SHIFT, max_degrees: float = MAX_DEGREES):
    """Randomly shifted and rotated copies of ``images`` (n, h, w, c) by :func:`augmentation`, in their dtype,
    reproducible from ``seed`` (an int, a list of ints, or a NumPy Generator to draw from)."""
    x = np.asarray(images)
    rng = np.random.default_rng(seed)
    return augmentation(rng, max_shift, max_degrees)(x, training=True).numpy().astype(x.dtype)


def small_digits(per_class: int = 20, seed: int = 0) -> SmallDigits:
    """``per_class`` images of each digit drawn with ``numpy.random.default_rng(seed)`` from ``load_digits``'
    training split; the rest of that split validates.

    Raises:
        ValueError: ``per_class`` outside 1 .. 138 (a validation image of every digit stays).
    """
    (x, y), _ = load_digits()
    most = int(np.bincount(y).min()) - 1
    if isinstance(per_class, bool) or not isinstance(per_class, int) or not 1 <= per_class <= most:
        raise ValueError(f"per_class must be a whole number from 1 to {most}; got {per_class!r}.")
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.choice(np.flatnonzero(y == d), per_class, replace=False) for d in range(10)])
    rest = np.setdiff1d(np.arange(len(y)), picked)
    return SmallDigits(digits_convnet_preprocess(x[picked]), y[picked], digits_convnet_preprocess(x[rest]), y[rest])


def train(subset: SmallDigits, augmented: bool, seed: int = 0, epochs: int = EPOCHS,
          validate_last: int | None = None) -> dict:
    """Train a fresh digits convnet (``pydl.seed(seed)``) on ``subset``, with fresh augmented copies of the
    training images every epoch when ``augmented``.

    Args:
        validate_last: validate after only the last this many epochs (None: after every epoch, for curves);
            validating the 1,237 images costs more than training on 200, and changes no weight.

    Returns:
        ``{"accuracy": [...], "val_accuracy": [...]}``: per epoch, the accuracy on the batches it trained on (the
        augmented copies, with dropout, as ``fit`` reports it and as the book's curves show it), and on the
        validation images after each validated epoch.
    """
    pydl.seed(seed)
    model = digits_convnet(weights=None)
    model.compile(optimizer=optimizers.Adam(learning_rate=LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = {"accuracy": [], "val_accuracy": []}
    for epoch in range(epochs):
        x = augment(subset.x_train, seed=[seed, epoch]) if augmented else subset.x_train
        logs = model.fit(x, subset.y_train, batch_size=BATCH_SIZE, epochs=1, verbose=0).history
        history["accuracy"].append(logs["accuracy"][-1])
        if validate_last is None or epoch >= epochs - validate_last:
            history["val_accuracy"].append(float(model.evaluate(subset.x_val, subset.y_val, batch_size=512, verbose=0,
                                                            return_dict=True)["accuracy"]))
    return history


def compare(per_class: int = 20, seed: int = 0, epochs: int = EPOCHS) -> dict:
    """Both runs on the same subset and initial weights: for ``"plain"`` and ``"augmented"``, the training and
    validation accuracy (means of the last :data:`LAST_EPOCHS` epochs) and their ``"gap"``."""
    subset = small_digits(per_class, seed)
    results = {}
    for name, augmented in (("plain", False), ("augmented", True)):
        history = train(subset, augmented, seed, epochs, validate_last=LAST_EPOCHS)
        accuracy = float(np.mean(history["accuracy"][-LAST_EPOCHS:]))
        validation = float(np.mean(history["val_accuracy"][-LAST_EPOCHS:]))
        results[name] = {"accuracy": accuracy, "val_accuracy": validation, "gap": accuracy - validation}
    return results
