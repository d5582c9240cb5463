"""A small convnet for the 8x8 digits, shipped pretrained: the network a learner reuses (feature extraction,
fine-tuning) and looks inside (:mod:`pydl.explain`), as the book's chapter 5 does with VGG16.

Two blocks of convolution and max-pooling, then a dense classifier, as a functional model whose layers are named by
block (``block1_conv``, ``block1_pool``, ``block2_conv``, ``block2_pool``, then ``flatten``, ``dropout``,
``predictions``), so ``model.get_layer("block2_conv")`` finds the top block. The weights are made by
:mod:`pydl.applications.train_digits_convnet` and described, with the data they came from, in SOURCE.md beside this
file.

>>> from pydl.datasets import load_digits
>>> (x_train, y_train), (x_test, y_test) = load_digits()
>>> model = digits_convnet()
>>> probabilities = model.predict(digits_convnet_preprocess(x_test[:3]))
>>> probabilities.argmax(axis=1).tolist() == y_test[:3].tolist()
True
>>> digits_convnet(include_top=False).output_shape
(None, 2, 2, 64)
"""

from __future__ import annotations

import os

from pydl import backend, layers
from pydl.backend import np
from pydl.models.functional import Model

__all__ = ["digits_convnet", "digits_convnet_preprocess", "WEIGHTS", "INPUT_SHAPE"]

INPUT_SHAPE = (8, 8, 1)
_HERE = os.path.dirname(os.path.abspath(__file__))
# weights name -> (file beside this module, the digits it was trained on)
WEIGHTS = {
    "pretrained": ("digits_convnet.npz", tuple(range(10))),
    "pretrained_0_4": ("digits_convnet_0_4.npz", (0, 1, 2, 3, 4)),
}


def digits_convnet_preprocess(images):
    """Digits as ``pydl.datasets.load_digits`` gives them (ink counts 0..16, shape (n, 8, 8) or (8, 8)) to the
    network's input: float (n, 8, 8, 1) in [0, 1], in the default float type (``pydl.backend.floatx()``).

    Raises:
        ValueError: naming the shape when it is not (n, 8, 8), (8, 8) or (n, 8, 8, 1), or a value outside 0..16.
    """
    x = np.asarray(images)
    if x.shape == (8, 8):
        x = x[None]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (8, 8):
        raise ValueError(f"digits_convnet_preprocess expects digits of shape (n, 8, 8), (8, 8) or (n, 8, 8, 1) as "
                         f"load_digits returns them; got shape {np.asarray(images).shape}.")
    if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 16):
        raise ValueError(f"digits_convnet_preprocess expects ink counts from 0 to 16 (load_digits' scale); got values "
                         f"from {x.min()} to {x.max()}. Images already in [0, 1] need only x[..., None].")
    return (x.astype(np.float64) / 16.0).astype(backend.floatx())[..., None]


def _network(include_top: bool, classes: int, name: str) -> Model:
    inputs = layers.Input(INPUT_SHAPE, name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="block1_conv")(inputs)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="block2_conv")(x)
    x = layers.MaxPooling2D(2, name="block2_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dropout(0.3, name="dropout")(x)
        x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return Model(inputs, x, name=name)


def digits_convnet(weights: str | None = "pretrained", include_top: bool = True, classes: int | None = None):
    """The digits convnet, a functional :class:`~pydl.models.Model` on 8x8x1 images (see
    :func:`digits_convnet_preprocess`), not compiled.

    Args:
        weights: ``"pretrained"`` (trained on the training split of all ten digits: 98.6 % on the test split),
            ``"pretrained_0_4"`` (trained on the digits 0 to 4 only, a base for learning 5 to 9 from few images), or
            None (fresh weights from pydl's seeded generator, for training from scratch).
        include_top: with the classifier (``flatten``, ``dropout``, ``predictions``); False ends at ``block2_pool``
            (2x2x64 features), the convolutional base.
        classes: outputs of the classifier; by default the number of digits the weights were trained on (10, or 5
            for ``"pretrained_0_4"``). Pretrained weights with a top need their own count.

    Raises:
        ValueError: an unknown ``weights`` name, or ``classes`` that pretrained top weights do not have.
    """
    if weights is not None and weights not in WEIGHTS:
        raise ValueError(f"digits_convnet: weights must be one of {sorted(WEIGHTS)} or None; got {weights!r}.")
    trained_on = WEIGHTS[weights][1] if weights else tuple(range(10))
    classes = len(trained_on) if classes is None else classes
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 2:
        raise ValueError(f"digits_convnet: classes must be a whole number of at least 2; got {classes!r}.")
    if weights and include_top and classes != len(trained_on):
        raise ValueError(f"digits_convnet: the {weights!r} classifier has {len(trained_on)} outputs, not "
                         f"classes={classes}; use include_top=False and add your own classifier.")
    model = _network(include_top, classes, name="digits_convnet" if include_top else "digits_convnet_base")
    if weights:
        _load(model, os.path.join(_HERE, WEIGHTS[weights][0]))
    return model


def weight_arrays(model) -> dict:
    """``{weight name: NumPy array}`` of a digits convnet (``block1_conv/kernel``, ...): what the files hold."""
    return {w.name: backend.to_numpy(w.data) for w in model.weights}


def _load(model, path: str) -> None:
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    own = model.weights
    missing = [w.name for w in own if w.name not in arrays]
    if missing:  # a packaging mistake, not a user's: say which file lacks what
        raise ValueError(f"{path} holds no {missing}; rerun python -m pydl.applications.train_digits_convnet.")
    model.set_weights([arrays[w.name] for w in own])
