"""Keras 2's ``keras.preprocessing.image``: augmenting images on the fly, and reading folders of image files.

``ImageDataGenerator`` draws a random rotation, shift, shear, zoom and flip for each image it yields (a new one every
time an image comes round again), so a small training set looks larger; ``.flow(x, y)`` walks arrays,
``.flow_from_directory(folder)`` a folder with one sub-folder of JPEG/PNG files per class. The geometry is NumPy
(:mod:`pydl.preprocessing.affine`, no SciPy): bilinear interpolation with SciPy's edge rules, as Keras' own
generator uses. Decoding files needs Pillow (:mod:`pydl.preprocessing.image_files`).

>>> datagen = ImageDataGenerator(rescale=1 / 255, rotation_range=40, width_shift_range=0.2,
...                              height_shift_range=0.2, shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
>>> x = np.random.default_rng(0).integers(0, 256, (10, 16, 16, 3)).astype("float32")
>>> batch_x, batch_y = next(datagen.flow(x, np.arange(10), batch_size=4, seed=0))
>>> batch_x.shape, batch_y.shape, bool(0 <= batch_x.min() and batch_x.max() <= 1)
((4, 16, 16, 3), (4,), True)

One deliberate difference from Keras 3's copy of this class (``keras.src.legacy``): there, ``height_shift_range``
moves images sideways and ``width_shift_range`` up and down, and a non-square image turns about an off-centre point,
since a swap of x and y was added to its transform without swapping its callers. Here ``height_shift_range``
moves rows and every rotation is about the centre; for square images and for the same ``apply_transform``
parameters both give the same pixels (tests/test_preprocessing_image.py compares them).
"""

from __future__ import annotations

import math
import warnings

from pydl.backend import np
from pydl.preprocessing.affine import resample
from pydl.preprocessing.image_files import (
    FORMATS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, array_to_img, img_to_array, load_img, load_pillow, save_img,
)
from pydl.preprocessing.image_dataframe import DataFrameIterator
from pydl.preprocessing.image_iterators import DirectoryIterator, NumpyArrayIterator
from pydl.random import generator

__all__ = ["ImageDataGenerator", "NumpyArrayIterator", "DirectoryIterator", "DataFrameIterator",
           "apply_affine_transform", "apply_brightness_shift",
           "load_img", "img_to_array", "array_to_img", "save_img", "load_pillow",
           "MAX_IMAGE_PIXELS", "MAX_IMAGE_BYTES", "FORMATS"]

_GENERATOR_FILL_MODES = ("nearest", "constant", "reflect", "wrap")


def _affine_matrix(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, height=1, width=1):
    """The 3x3 map from an output pixel (x=col, y=row, 1) to the input point it reads, about the image centre.

    Composed as Keras composes it (rotation, shift, shear, zoom, in degrees and pixels), in float64.
    """
    matrix = np.eye(3)
    if theta:
        angle = np.deg2rad(theta)
        matrix = matrix @ np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    if tx or ty:
        matrix = matrix @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1.0]])
    if shear:
        angle = np.deg2rad(shear)
        matrix = matrix @ np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        matrix = matrix @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1.0]])
    centre_x, centre_y = width / 2 - 0.5, height / 2 - 0.5
    to_centre = np.array([[1, 0, centre_x], [0, 1, centre_y], [0, 0, 1.0]])
    from_centre = np.array([[1, 0, -centre_x], [0, 1, -centre_y], [0, 0, 1.0]])
    return to_centre @ matrix @ from_centre


def _warp(images, matrices, fill_mode: str, cval: float, order: int):
    """Each image of ``images`` (N, H, W, C) through its 3x3 ``matrices[i]`` (SciPy's edge rules)."""
    n, height, width, _ = images.shape
    rows = np.arange(height, dtype=np.float64)[:, None]
    cols = np.arange(width, dtype=np.float64)[None, :]
    m = np.asarray(matrices, dtype=np.float64).reshape(n, 3, 3)[:, :, :, None, None]
    src_cols = m[:, 0, 0] * cols + m[:, 0, 1] * rows + m[:, 0, 2]
    src_rows = m[:, 1, 0] * cols + m[:, 1, 1] * rows + m[:, 1, 2]
    interpolation = "nearest" if order == 0 else "bilinear"
    return resample(images, src_rows, src_cols, fill_mode, cval, interpolation, edges="point")


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0, col_axis=1, channel_axis=2,
                           fill_mode="nearest", cval=0.0, order=1):
    """Rotate (``theta`` degrees, counter-clockwise), shift (``tx`` pixels along the width, ``ty`` along the height),
    shear (``shear`` degrees) and zoom (``zx``, ``zy``; above 1 shows more of the image, smaller) one image.

    ``x`` has 3 axes; ``row_axis``, ``col_axis`` and ``channel_axis`` say which is which (channels first or last).
    ``order`` 1 interpolates bilinearly, 0 takes the nearest pixel. Returns a new float array of ``x``'s shape.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"apply_affine_transform: x must be one image of 3 axes; got shape {x.shape}.")
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2] or channel_axis not in (0, 2):
        raise ValueError("apply_affine_transform: row_axis, col_axis and channel_axis must be 0, 1, 2 in some order, "
                         f"with the channels first or last; got {row_axis}, {col_axis}, {channel_axis}.")
    _check_choice("apply_affine_transform", "fill_mode", fill_mode, _GENERATOR_FILL_MODES)
    if order not in (0, 1):
        raise ValueError(f"apply_affine_transform: order must be 0 (nearest) or 1 (bilinear); got {order!r}.")
    if not (theta or tx or ty or shear) and zx == 1 and zy == 1:
        return x
    image = np.transpose(x, (row_axis, col_axis, channel_axis))[None]
    matrix = _affine_matrix(theta, tx, ty, shear, zx, zy, image.shape[1], image.shape[2])
    out = _warp(image.astype(np.result_type(x.dtype, np.float32)), matrix, fill_mode, cval, order)[0]
    return np.transpose(out, np.argsort((row_axis, col_axis, channel_axis)))


def _check_choice(where: str, name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{where}: {name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


def _range_pair(name: str, value) -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return 1 - value, 1 + value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return float(value[0]), float(value[1])
    raise ValueError(f"ImageDataGenerator: {name} must be a number or a pair of numbers; got {value!r}.")


class ImageDataGenerator:
    """Random augmentation and normalisation of images, as Keras' ``ImageDataGenerator`` (channels last by default).

    Args:
        rotation_range: degrees; each image turns by a uniform draw in ``[-rotation_range, rotation_range]``.
        width_shift_range, height_shift_range: a float below 1 is a fraction of the width (height), a number of at
            least 1 a count of pixels, drawn uniformly in ``[-range, range]``; a list of numbers is drawn from (with
            a random sign).
        shear_range: degrees of shear, counter-clockwise, uniform in ``[-shear_range, shear_range]``.
        zoom_range: ``z`` or ``[lower, upper]``; the zoom along each axis is drawn in ``[1 - z, 1 + z]``.
        channel_shift_range: a uniform shift added to every channel, clipped to the image's own range.
        brightness_range: ``[lower, upper]``: each image's brightness is multiplied by a uniform draw in it, as
            Keras does it with Pillow's ``ImageEnhance.Brightness`` (here in NumPy, to the same values): the image
            is rounded down to 8-bit pixels (those outside 0-255 first stretched onto 0-255, and back after),
            multiplied, clipped to 0-255 and rounded down again.
        fill_mode: ``"nearest"``, ``"constant"`` (with ``cval``), ``"reflect"`` or ``"wrap"``: how points outside
            the image are filled.
        horizontal_flip, vertical_flip: flip half the images.
        rescale: multiply every value (after the transform), e.g. ``1 / 255``.
        preprocessing_function: a function of one image (H, W, C) returning one, run after the augmentation.
        featurewise_center, featurewise_std_normalization: subtract the mean (divide by the standard deviation) per
            channel learnt by :meth:`fit`; samplewise_center, samplewise_std_normalization: of each image itself.
        zca_whitening: decorrelate the pixels with the ZCA matrix :meth:`fit` learns (after feature-wise
            centring, which it turns on; it turns ``featurewise_std_normalization`` off, with a warning, as Keras);
            zca_epsilon: added to the singular values before inverting them.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        validation_split: the fraction ``subset="validation"`` takes (the start of the data; of each class folder).
        interpolation_order: 1 bilinear (default) or 0 nearest.
        dtype: of the batches (float32).
    """

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype="float32"):
        if brightness_range is not None:
            if not (isinstance(brightness_range, (tuple, list)) and len(brightness_range) == 2 and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in brightness_range)):
                raise ValueError("ImageDataGenerator: brightness_range must be a pair of non-negative numbers "
                                 f"[lower, upper] (1 keeps the brightness); got {brightness_range!r}.")
            brightness_range = (float(brightness_range[0]), float(brightness_range[1]))
        if zca_whitening and featurewise_std_normalization:
            warnings.warn("ImageDataGenerator: zca_whitening overrides featurewise_std_normalization (whitening "
                          "already scales every direction); it is turned off, as Keras does.", UserWarning,
                          stacklevel=2)
            featurewise_std_normalization = False
        _check_choice("ImageDataGenerator", "fill_mode", fill_mode, _GENERATOR_FILL_MODES)
        data_format = "channels_last" if data_format is None else data_format
        _check_choice("ImageDataGenerator", "data_format", data_format, ("channels_last", "channels_first"))
        if interpolation_order not in (0, 1):
            raise ValueError("ImageDataGenerator: interpolation_order must be 0 (nearest) or 1 (bilinear); got "
                             f"{interpolation_order!r}.")
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"ImageDataGenerator: validation_split must be in (0, 1); got {validation_split!r}.")
        self.featurewise_center = featurewise_center or featurewise_std_normalization or bool(zca_whitening)
        self.zca_whitening, self.zca_epsilon = bool(zca_whitening), float(zca_epsilon)
        self.brightness_range = brightness_range
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_center = samplewise_center or samplewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.rotation_range, self.shear_range = rotation_range, shear_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.zoom_range = _range_pair("zoom_range", zoom_range)
        self.channel_shift_range = channel_shift_range
        self.fill_mode, self.cval = fill_mode, cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.data_format, self.dtype = data_format, np.dtype(dtype)
        self.channel_axis, self.row_axis, self.col_axis = (3, 1, 2) if data_format == "channels_last" else (1, 2, 3)
        self._validation_split = validation_split
        self.interpolation_order = interpolation_order
        self.mean = self.std = self.zca_whitening_matrix = None

    # ------------------------------------------------------------------ the iterators
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, subset=None):
        """Batches of augmented ``x`` (4 axes), with ``y`` (and ``sample_weight``) when given: an endless iterator
        that is also a Sequence of ``len()`` batches per epoch (see :class:`NumpyArrayIterator`)."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, subset=subset)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, follow_links=False,
                            subset=None, interpolation="nearest", keep_aspect_ratio=False):
        """Batches of augmented images read from ``directory``'s class sub-folders (see :class:`DirectoryIterator`)."""
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 follow_links=follow_links, subset=subset, interpolation=interpolation,
                                 keep_aspect_ratio=keep_aspect_ratio)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class", weight_col=None,
                            target_size=(256, 256), color_mode="rgb", classes=None, class_mode="categorical",
                            batch_size=32, shuffle=True, seed=None, subset=None, interpolation="nearest",
                            validate_filenames=True, keep_aspect_ratio=False):
        """Batches of augmented images whose files (and labels) a table names: a pandas DataFrame, or any mapping
        of column name to values (see :class:`DataFrameIterator`)."""
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
                                 target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 subset=subset, interpolation=interpolation, validate_filenames=validate_filenames,
                                 keep_aspect_ratio=keep_aspect_ratio)

    # ------------------------------------------------------------------ one image
    def _shift(self, value, size: int, rng) -> float:
        if np.size(value) == 0 or not np.any(value):
            return 0.0
        if isinstance(value, (list, tuple, np.ndarray)):
            shift = float(rng.choice(np.asarray(value))) * rng.choice([-1, 1])
        elif isinstance(value, (int, np.integer)):  # whole pixels in (-value, value), as Keras draws them
            shift = float(rng.integers(0, value)) * rng.choice([-1, 1])
        else:
            shift = rng.uniform(-value, value)
        return shift * size if np.max(value) < 1 else shift

    def get_random_transform(self, img_shape, seed=None, rng=None) -> dict:
        """Random parameters for one image of ``img_shape`` (3 axes), in the names ``apply_transform`` takes:
        theta, tx (along the width), ty (along the height), shear, zx, zy, flip_horizontal, flip_vertical,
        channel_shift_intensity, brightness."""
        rng = rng if rng is not None else generator(seed)
        height, width = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        theta = rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0.0
        ty = self._shift(self.height_shift_range, height, rng)
        tx = self._shift(self.width_shift_range, width, rng)
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0.0
        if self.zoom_range == (1.0, 1.0):
            zx = zy = 1.0
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": float(zx), "zy": float(zy),
                "flip_horizontal": bool(self.horizontal_flip and rng.random() < 0.5),
                "flip_vertical": bool(self.vertical_flip and rng.random() < 0.5),
                "channel_shift_intensity": (rng.uniform(-self.channel_shift_range, self.channel_shift_range)
                                            if self.channel_shift_range else None),
                "brightness": (rng.uniform(*self.brightness_range) if self.brightness_range is not None else None)}

    def apply_transform(self, x, transform_parameters: dict):
        """One image (3 axes) transformed by ``transform_parameters`` (as ``get_random_transform`` returns)."""
        return self._transform_batch(np.asarray(x)[None], [transform_parameters])[0]

    def random_transform(self, x, seed=None):
        """One image with a fresh random transform."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _transform_batch(self, batch, parameters: list):
        """A batch (4 axes, this generator's data format) through one parameter dict per image; a new array."""
        x = np.array(batch, dtype=np.result_type(batch.dtype, np.float32))  # a copy: the shifts work in place
        if self.data_format == "channels_first":
            x = x.transpose(0, 2, 3, 1)
        height, width = x.shape[1], x.shape[2]
        moving = [i for i, p in enumerate(parameters) if p.get("theta", 0) or p.get("tx", 0) or p.get("ty", 0)
                  or p.get("shear", 0) or p.get("zx", 1) != 1 or p.get("zy", 1) != 1]
        if moving:
            matrices = [_affine_matrix(*(parameters[i].get(k, d) for k, d in _MATRIX_KEYS), height, width)
                        for i in moving]
            x[moving] = _warp(x[moving], matrices, self.fill_mode, self.cval, self.interpolation_order)
        for i, p in enumerate(parameters):
            if p.get("channel_shift_intensity") is not None:
                x[i] = np.clip(x[i] + p["channel_shift_intensity"], x[i].min(), x[i].max())
            if p.get("flip_horizontal"):
                x[i] = x[i, :, ::-1]
            if p.get("flip_vertical"):
                x[i] = x[i, ::-1]
            if p.get("brightness") is not None:
                x[i] = apply_brightness_shift(x[i], p["brightness"])
        return x.transpose(0, 3, 1, 2) if self.data_format == "channels_first" else x

    # ------------------------------------------------------------------ normalisation
    def standardize(self, x):
        """Normalise one image or a batch as configured (preprocessing_function per image, then rescale, sample-
        and feature-wise centring and scaling); ``x`` is changed in place and returned, as in Keras."""
        if self.preprocessing_function:
            if x.ndim == 4:
                for i in range(len(x)):
                    x[i] = self.preprocessing_function(x[i])
            else:
                x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        per_image = tuple(range(x.ndim - 3, x.ndim))
        if self.samplewise_center:
            x -= np.mean(x, axis=per_image, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=per_image, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is None:
                raise RuntimeError("ImageDataGenerator: featurewise_center needs statistics; call "
                                   "datagen.fit(x_train) first.")
            x -= self.mean
        if self.featurewise_std_normalization:
            x /= self.std + 1e-6
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                raise RuntimeError("ImageDataGenerator: zca_whitening needs the whitening matrix; call "
                                   "datagen.fit(x_train) first.")
            size = self.zca_whitening_matrix.shape[0]
            if math.prod(x.shape[-3:]) != size:
                raise ValueError(f"ImageDataGenerator: zca_whitening was fit on images of {size} values; got shape "
                                 f"{x.shape}.")
            x = (x.reshape(-1, size) @ self.zca_whitening_matrix).reshape(x.shape)
        return x

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Learn the per-channel mean and standard deviation of ``x`` (4 axes, after ``rescale``; over ``rounds``
        augmented copies with ``augment=True``) for the feature-wise options, and the ZCA matrix (of size pixels x
        channels squared) for ``zca_whitening``."""
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: x must have 4 axes (a batch of images); got shape {x.shape}.")
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = generator(seed)
            x = np.concatenate([self._transform_batch(x, [self.get_random_transform(x.shape[1:], rng=rng)
                                                         for _ in range(len(x))]) for _ in range(rounds)])
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
        if self.zca_whitening:
            # Keras' formula: the singular vectors of the centred data, each direction scaled to unit variance
            flat = x.reshape(len(x), -1)
            u, singular, _ = np.linalg.svd(flat.T, full_matrices=False)
            self.zca_whitening_matrix = (u * (np.sqrt(len(x)) / (singular + self.zca_epsilon))) @ u.T
        return self

    def _batch(self, images, rng):
        """A batch of images augmented (one fresh draw per image) and standardised: what the iterators yield."""
        parameters = [self.get_random_transform(images.shape[1:], rng=rng) for _ in range(len(images))]
        return self.standardize(self._transform_batch(images, parameters).astype(self.dtype, copy=False))


def apply_brightness_shift(x, brightness):
    """One image (3 axes, channels last) with its brightness multiplied by ``brightness``, to the values Keras'
    Pillow-based ``apply_brightness_shift(x, brightness, scale=False)`` gives: 8-bit pixels (rounded down; an image
    with values outside 0-255 is stretched onto 0-255 first and back after), multiplied in float32, clipped to
    0-255, rounded down. A fourth (alpha) channel is kept, as Pillow keeps it."""
    x = np.asarray(x, dtype=np.float32)
    low, high = x.min(), x.max()
    stretched = bool(low < 0 or high > 255)
    pixels = x - low if stretched else x.copy()
    if stretched and pixels.max() != 0:
        pixels = pixels / pixels.max() * np.float32(255)
    pixels = pixels.astype(np.uint8).astype(np.float32)
    colours = slice(0, 3) if x.shape[-1] == 4 else slice(None)
    pixels[..., colours] = np.floor(np.clip(np.float32(brightness) * pixels[..., colours], 0, 255))
    return pixels / np.float32(255) * (high - low) + low if stretched else pixels


_MATRIX_KEYS = (("theta", 0), ("tx", 0), ("ty", 0), ("shear", 0), ("zx", 1), ("zy", 1))

