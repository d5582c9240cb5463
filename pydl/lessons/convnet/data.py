"""The convnet lab's data: digits (optionally upscaled), MNIST IDX files or CIFAR-10's binary files, augmentation,
and drawn digits.

Images everywhere are float32 ``(n, size, size, channels)`` in [0, 1] (channels-last, as ``Conv2D`` expects: 1 for
digits, 3 for CIFAR-10's colour); labels are int64 0..9. Resizing, augmentation and drawing preprocessing are
vectorised NumPy: no loop runs over pixels.

>>> data = load_digits_data()
>>> data.x_train.shape, data.x_val.shape, data.x_test.shape
((1149, 8, 8, 1), (288, 8, 8, 1), (360, 8, 8, 1))
"""

from __future__ import annotations

from dataclasses import dataclass

from pydl.applications.digits_augmentation import augment
from pydl.backend import np
from pydl.datasets import cifar10, load_digits, read_idx
from pydl.preprocessing import train_test_split
from pydl.preprocessing.resizing import resize

__all__ = ["LabData", "SIZES", "load_digits_data", "load_idx_data", "load_cifar_data", "augment", "sample_indices",
           "preprocess_drawing", "VALIDATION_FRACTION"]

SIZES = (8, 16, 28)  # digits as shipped, upscaled 2x, and upscaled to MNIST's size
VALIDATION_FRACTION = 0.2  # held out of the training images for the live validation curve


@dataclass
class LabData:
    """One data set ready for training: images (n, size, size, 1) float32 in [0, 1] and int64 labels."""

    name: str
    x_train: object
    y_train: object
    x_val: object
    y_val: object
    x_test: object
    y_test: object
    style: str  # "digits" (8x8 ink counts, maybe upscaled), "mnist" or "cifar" (colour: nothing to draw)
    class_names: tuple = tuple(str(d) for d in range(10))

    @property
    def size(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def input_shape(self) -> tuple:
        return tuple(int(d) for d in self.x_train.shape[1:])

    def describe(self) -> str:
        return (f"{self.name}: {len(self.x_train)} training, {len(self.x_val)} validation and {len(self.x_test)} "
                f"test images of {self.size}x{self.size} pixels")


# ----------------------------------------------------------------------------------------------- loading
def _split_validation(x, y, seed):
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=VALIDATION_FRACTION, seed=seed, stratify=y)
    return x_train, y_train, x_val, y_val


def _as_input(images, vmax, size=None):
    x = np.asarray(images, dtype=np.float64) / vmax
    if size is not None and size != x.shape[-1]:
        x = np.clip(resize(x, size, "bilinear"), 0.0, 1.0)
    return x.astype(np.float32)[..., None]


def load_digits_data(size: int = 8, seed: int = 0) -> LabData:
    """``pydl.datasets.load_digits`` scaled to [0, 1], optionally upscaled, with 20% of training held out.

    Args:
        size: 8 (as shipped), 16 or 28 (bilinear upscaling: the same digits, more pixels to convolve).
        seed: seed of the stratified validation split.
    """
    if size not in SIZES:
        raise ValueError(f"Digit images can be shown at {', '.join(map(str, SIZES))} pixels; got {size!r}.")
    (x_train, y_train), (x_test, y_test) = load_digits()
    x_train, y_train, x_val, y_val = _split_validation(x_train, y_train, seed)
    name = "digits" if size == 8 else f"digits upscaled to {size}x{size}"
    return LabData(name, _as_input(x_train, 16.0, size), y_train, _as_input(x_val, 16.0, size), y_val,
                   _as_input(x_test, 16.0, size), y_test, "digits")


def _parse(name, raw):
    try:
        return read_idx(raw)
    except ValueError as error:
        message = str(error)
        if message.startswith("IDX data"):
            message = message[len("IDX data"):].lstrip(": ")
        raise ValueError(f"{name}: {message}") from None


def _pairs(named):
    """Group parsed IDX arrays into (images, labels, images name, labels name): by "t10k"/"test" in the names, else
    by size."""
    images = [(n, a) for n, a in named if a.ndim == 3]
    labels = [(n, a) for n, a in named if a.ndim == 1]
    others = [f"{n} (shape {a.shape})" for n, a in named if a.ndim not in (1, 3)]
    if others:
        raise ValueError(f"Expected image files (n, rows, cols) and label files (n,), but got {', '.join(others)}.")
    if len(images) != len(labels) or len(images) not in (1, 2):
        raise ValueError(f"Choose one images file with its labels file, or MNIST's four files (train and t10k); got "
                         f"{len(images)} image file(s) and {len(labels)} label file(s).")

    def is_test(name):
        return "t10k" in name.lower() or "test" in name.lower()

    images.sort(key=lambda p: (is_test(p[0]), -len(p[1])))
    labels.sort(key=lambda p: (is_test(p[0]), -len(p[1])))
    pairs = []
    for (img_name, img), (lab_name, lab) in zip(images, labels):
        if len(img) != len(lab):
            raise ValueError(f"{img_name} has {len(img)} images but {lab_name} has {len(lab)} labels; "
                             "pick files that belong together.")
        pairs.append((img, lab, img_name, lab_name))
    return pairs


def load_idx_data(files, max_train: int = 2000, max_test: int = 1000, seed: int = 0) -> LabData:
    """MNIST-style data from IDX files the learner picked (``[(file name, bytes), ...]``, gzipped or not).

    With four files (train and t10k, images and labels) the test images come from t10k; with one images file and its
    labels a sixth is set aside for testing. Random subsets of ``max_train`` and ``max_test`` images keep training
    fast in a browser.

    Raises:
        ValueError: a file is not IDX, or the files do not fit together; the message names the file.
    """
    named = [(name, _parse(name, raw)) for name, raw in files]
    if not named:
        raise ValueError("No file chosen: pick MNIST's IDX files (e.g. train-images-idx3-ubyte and its labels).")
    pairs = _pairs(named)
    for images, labels, name, labels_name in pairs:
        if images.dtype != np.uint8:
            raise ValueError(f"{name}: expected uint8 pixels like MNIST's, got {images.dtype}.")
        if images.shape[1] != images.shape[2] or not 8 <= images.shape[1] <= 64:
            raise ValueError(f"{name}: expected square images between 8x8 and 64x64 pixels, got "
                             f"{images.shape[1]}x{images.shape[2]}.")
        if labels.min() < 0 or labels.max() > 9:
            raise ValueError(f"{labels_name}: labels must be digits 0..9; this file's range from {labels.min()} "
                             f"to {labels.max()}.")
    rng = np.random.default_rng(seed)
    if len(pairs) == 2:
        (x_train, y_train, *_), (x_test, y_test, *_) = pairs
        if x_train.shape[1:] != x_test.shape[1:]:
            raise ValueError(f"Training images are {x_train.shape[1:]} but test images {x_test.shape[1:]}.")
    else:
        x, y, *_ = pairs[0]
        x_train, y_train, x_test, y_test = _split_test(x, y, rng)
    x_train, y_train, x_val, y_val, x_test, y_test = _subsets(x_train, y_train, x_test, y_test, max_train, max_test,
                                                              rng, seed)
    return LabData("MNIST files", _as_input(x_train, 255.0), y_train, _as_input(x_val, 255.0), y_val,
                   _as_input(x_test, 255.0), y_test.astype(np.int64), "mnist")


def _split_test(x, y, rng):
    """A sixth of one labelled set set aside for testing (at least one image)."""
    order = rng.permutation(len(x))
    cut = len(x) - max(len(x) // 6, 1)
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def _subsets(x_train, y_train, x_test, y_test, max_train, max_test, rng, seed):
    """Random subsets of at most ``max_train`` and ``max_test`` images, and the validation split of the training
    part; int64 labels."""
    pick = rng.permutation(len(x_train))[:max_train]
    x_train, y_train = x_train[pick], y_train[pick].astype(np.int64)
    pick = rng.permutation(len(x_test))[:max_test]
    x_test, y_test = x_test[pick], y_test[pick].astype(np.int64)
    if len(np.unique(y_train)) < 2 or len(x_train) < 10:
        raise ValueError(f"Too few training images ({len(x_train)}) or classes to learn from.")
    try:
        x_train, y_train, x_val, y_val = _split_validation(x_train, y_train, seed)
    except ValueError:  # a class too rare to stratify: a plain split still works
        x_train, x_val, y_train, y_val = train_test_split(x_train, y_train, test_size=VALIDATION_FRACTION, seed=seed)
    return x_train, y_train, x_val, y_val, x_test, y_test


def load_cifar_data(files, max_train: int = 2000, max_test: int = 1000, seed: int = 0) -> LabData:
    """Colour images from CIFAR-10's binary files the learner picked (``[(file name, bytes), ...]``: any of
    ``data_batch_1.bin`` .. ``data_batch_5.bin``, and ``test_batch.bin`` for the test images; without it a sixth of
    the training images is set aside). Images are float32 (n, 32, 32, 3) in [0, 1].

    Raises:
        ValueError: no file, or a file that is not a CIFAR-10 binary batch (the message names it).
    """
    if not files:
        raise ValueError("No file chosen: pick CIFAR-10's binary files (data_batch_1.bin .. and test_batch.bin).")
    train, test = [], []
    for name, raw in files:
        try:
            images, labels = cifar10.load_batch(bytes(raw))
        except ValueError as error:
            raise ValueError(f"{name}: {str(error).removeprefix('CIFAR-10 batch: ')}") from None
        (test if "test" in name.lower() else train).append((images, labels))
    if not train:
        raise ValueError("Only a test file was chosen; pick at least one training file (data_batch_1.bin ...) too.")
    rng = np.random.default_rng(seed)
    x_train, y_train = np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train])
    if test:
        x_test, y_test = np.concatenate([x for x, _ in test]), np.concatenate([y for _, y in test])
    else:
        x_train, y_train, x_test, y_test = _split_test(x_train, y_train, rng)
    x_train, y_train, x_val, y_val, x_test, y_test = _subsets(x_train, y_train, x_test, y_test, max_train, max_test,
                                                              rng, seed)

    def colour(x):
        return (np.asarray(x, dtype=np.float32) / 255.0).astype(np.float32)

    return LabData("CIFAR-10 files", colour(x_train), y_train, colour(x_val), y_val, colour(x_test), y_test,
                   "cifar", cifar10.CLASSES)


def sample_indices(labels, per_class: int = 3):
    """Indices of the first ``per_class`` images of each class, class by class (for a grid of samples)."""
    labels = np.asarray(labels)
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)]).astype(np.int64)


# ----------------------------------------------------------------------------------------------- drawn digits
def _crop(gray, threshold=0.1):
    rows, cols = np.flatnonzero((gray > threshold).any(axis=1)), np.flatnonzero((gray > threshold).any(axis=0))
    if len(rows) == 0:
        raise ValueError("The canvas is empty: draw a digit first.")
    return gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _square(gray):
    h, w = gray.shape
    side = max(h, w)
    out = np.zeros((side, side))
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = gray
    return out


def preprocess_drawing(gray, size: int = 8, style: str = "digits"):
    """A drawing as the model's input: float32 (size, size, 1) in [0, 1], prepared like the training images.

    Args:
        gray: (H, W) ink amounts in [0, 1] (0 = paper), e.g. a canvas' alpha channel / 255.
        size: the model's input size.
        style: "digits": like the UCI digits, the digit's box scaled to 32x32, thresholded, and each 4x4 block's ink
            pixels counted (0..16), then upscaled like the data set if ``size`` > 8. "mnist": like MNIST, the digit
            fitted into 20x20 and placed in 28x28 with its centre of mass in the middle.

    Raises:
        ValueError: the drawing is empty.
    """
    gray = np.clip(np.asarray(gray, dtype=np.float64), 0.0, 1.0)
    if gray.ndim != 2:
        raise ValueError(f"preprocess_drawing expects a 2-D (H, W) image, got shape {gray.shape}.")
    digit = _square(_crop(gray))
    if style == "digits":
        bitmap = resize(digit, 32, "area") >= 0.5
        counts = bitmap.reshape(8, 4, 8, 4).sum(axis=(1, 3)) / 16.0
        image = counts if size == 8 else np.clip(resize(counts, size, "bilinear"), 0, 1)
    elif style == "cifar":
        raise ValueError("Drawing is for digits: the model now classifies CIFAR-10's colour photos. Pick digits "
                         "under Images to draw again.")
    elif style == "mnist":
        small = np.clip(resize(digit, 20, "area"), 0, 1)
        frame = np.zeros((28, 28))
        frame[4:24, 4:24] = small
        total = frame.sum()
        gy, gx = np.mgrid[0:28, 0:28]
        shift_y = int(round(13.5 - (gy * frame).sum() / total))
        shift_x = int(round(13.5 - (gx * frame).sum() / total))
        frame = np.roll(np.roll(frame, np.clip(shift_y, -4, 4), axis=0), np.clip(shift_x, -4, 4), axis=1)
        image = frame if size == 28 else np.clip(resize(frame, size, "area"), 0, 1)
    else:
        raise ValueError(f"style must be 'digits' or 'mnist', got {style!r}.")
    return image.astype(np.float32)[..., None]
