"""The iterators ``ImageDataGenerator.flow`` and ``.flow_from_directory`` return (``.flow_from_dataframe``'s is in
:mod:`pydl.preprocessing.image_dataframe`).

Each is endless (``next()`` yields batch after batch, reshuffling at every pass, as a Keras 2 generator does) and
also a Sequence: ``len()`` batches per epoch, ``it[i]`` the i-th batch of the current order, ``on_epoch_end()``
reshuffles. Every batch is augmented afresh, from the iterator's own generator (``seed=``), else pydl's shared one
(``pydl.seed``). Files are decoded one batch at a time, so memory holds one batch, whatever the folder holds.
"""

from __future__ import annotations

import math
import os

from pydl.backend import np
from pydl.preprocessing.image_files import FORMATS, img_to_array, load_img
from pydl.random import generator

__all__ = ["NumpyArrayIterator", "DirectoryIterator"]

CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
_COLOR_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


class _BatchIterator:
    """Batches of ``n`` samples in a (shuffled) order; subclasses make the batch for a list of indices."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"{type(self).__name__}: batch_size must be a positive integer; got {batch_size!r}.")
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), shuffle, seed
        self._rng = generator(seed) if seed is not None else None
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None

    @property
    def rng(self):
        return self._rng if self._rng is not None else generator()

    def _set_index_array(self) -> None:
        self.index_array = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx: int):
        if not 0 <= idx < len(self):
            raise IndexError(f"{type(self).__name__}: batch {idx} asked for, but an epoch has {len(self)} batches "
                             f"({self.n} samples in batches of {self.batch_size}).")
        if self.index_array is None:
            self._set_index_array()
        self.total_batches_seen += 1
        return self._batch(self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)])

    def on_epoch_end(self) -> None:
        self._set_index_array()

    def reset(self) -> None:
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.n == 0:
            raise ValueError(f"{type(self).__name__}: there are no samples to yield batches of.")
        if self.batch_index == 0:
            self._set_index_array()
        start = self.batch_index * self.batch_size
        indices = self.index_array[start:start + self.batch_size]
        self.batch_index = self.batch_index + 1 if start + self.batch_size < self.n else 0
        self.total_batches_seen += 1
        return self._batch(indices)

    def _batch(self, indices):
        raise NotImplementedError


def _split_bounds(datagen, subset, where: str):
    if subset is None:
        return None
    if subset not in ("training", "validation"):
        raise ValueError(f'{where}: subset must be "training", "validation" or None; got {subset!r}.')
    if not datagen._validation_split:
        raise ValueError(f"{where}: subset={subset!r} needs ImageDataGenerator(validation_split=...) to be set.")
    split = datagen._validation_split
    return (0.0, split) if subset == "validation" else (split, 1.0)


class NumpyArrayIterator(_BatchIterator):
    """Augmented batches of the arrays ``x`` (4 axes) and ``y``: ``(x, y)``, ``(x, y, sample_weight)``, or ``x``
    alone when ``y`` is None."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 subset=None):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.flow: x must have 4 axes (images, height, width, channels); got "
                             f"shape {x.shape}.")
        for name, other in (("y", y), ("sample_weight", sample_weight)):
            if other is not None and len(other) != len(x):
                raise ValueError(f"ImageDataGenerator.flow: x and {name} must have one entry per image; got "
                                 f"x.shape {x.shape} and {name} of length {len(other)}.")
        y = None if y is None else np.asarray(y)
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        bounds = _split_bounds(image_data_generator, subset, "ImageDataGenerator.flow")
        if bounds is not None:
            part = slice(int(bounds[0] * len(x)), int(bounds[1] * len(x)))
            x = x[part]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.image_data_generator = image_data_generator
        super().__init__(len(x), batch_size, shuffle, seed)

    def _batch(self, indices):
        batch_x = self.image_data_generator._batch(self.x[indices], self.rng)
        if self.y is None:
            return batch_x
        if self.sample_weight is None:
            return batch_x, self.y[indices]
        return batch_x, self.y[indices], self.sample_weight[indices]


def _image_files(folder: str, follow_links: bool) -> list[str]:
    """The image files under ``folder`` (by extension, any depth), in Keras' order: folders sorted, then names."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        found += [os.path.join(root, name) for name in sorted(files)
                  if os.path.splitext(name)[1][1:].lower() in FORMATS]
    return found


class _FileIterator(_BatchIterator):
    """Batches of image files (``self.filepaths``), decoded to ``target_size`` and augmented; subclasses add the
    targets."""

    def _set_image_options(self, where, image_data_generator, target_size, color_mode, interpolation,
                           keep_aspect_ratio) -> None:
        channels = _COLOR_CHANNELS.get(color_mode)
        if channels is None:
            raise ValueError(f'{where}: color_mode must be "rgb", "rgba" or "grayscale"; got {color_mode!r}.')
        self.image_data_generator, self.color_mode = image_data_generator, color_mode
        self.target_size = tuple(target_size)
        self.interpolation, self.keep_aspect_ratio = interpolation, keep_aspect_ratio
        height, width = self.target_size
        self.image_shape = ((height, width, channels) if image_data_generator.data_format == "channels_last"
                            else (channels, height, width))

    def _images(self, indices):
        datagen = self.image_data_generator
        images = np.empty((len(indices),) + self.image_shape, dtype=datagen.dtype)
        for i, j in enumerate(indices):
            img = load_img(self.filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
            images[i] = img_to_array(img, data_format=datagen.data_format, dtype=datagen.dtype)
            img.close()
        return datagen._batch(images, self.rng)


class DirectoryIterator(_FileIterator):
    """Augmented batches of the images in ``directory``'s sub-folders, one class per sub-folder (sorted by name,
    or ``classes`` in that order): labels one-hot (``"categorical"``), 0/1 (``"binary"``, two classes), class
    indices (``"sparse"``), the images themselves (``"input"``) or none (``None``: batches of images only).

    Attributes: ``filenames`` (relative to ``directory``), ``filepaths``, ``classes`` (per file),
    ``class_indices`` (name to index), ``samples``, ``num_classes``, ``image_shape``.
    """

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False):
        where = "ImageDataGenerator.flow_from_directory"
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{where}: {directory!r} is not a folder; pass a folder with one sub-folder of "
                                    "images per class.")
        if class_mode not in CLASS_MODES:
            raise ValueError(f"{where}: class_mode must be one of {', '.join(map(repr, CLASS_MODES))}; got "
                             f"{class_mode!r}.")
        self._set_image_options(where, image_data_generator, target_size, color_mode, interpolation,
                                keep_aspect_ratio)
        if classes is None:
            classes = sorted(name for name in os.listdir(directory) if os.path.isdir(os.path.join(directory, name)))
        missing = [name for name in classes if not os.path.isdir(os.path.join(directory, name))]
        if missing:
            raise FileNotFoundError(f"{where}: no sub-folder {', '.join(map(repr, missing))} in {directory!r}.")
        if class_mode == "binary" and len(classes) != 2:
            raise ValueError(f'{where}: class_mode="binary" needs exactly 2 class folders; {directory!r} has '
                             f"{len(classes)}: {classes}. Use class_mode=\"categorical\" or \"sparse\".")
        bounds = _split_bounds(image_data_generator, subset, where)
        self.directory, self.class_mode = directory, class_mode
        self.class_indices = {name: i for i, name in enumerate(classes)}
        self.num_classes = len(classes)
        self.filenames, labels = [], []
        for name in classes:
            files = _image_files(os.path.join(directory, name), follow_links)
            if bounds is not None:
                files = files[int(bounds[0] * len(files)):int(bounds[1] * len(files))]
            self.filenames += [os.path.relpath(path, directory) for path in files]
            labels += [self.class_indices[name]] * len(files)
        self.classes = np.array(labels, dtype=np.int32)
        self.samples = len(self.filenames)
        self.filepaths = [os.path.join(directory, name) for name in self.filenames]
        self.labels = self.classes
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _batch(self, indices):
        datagen = self.image_data_generator
        batch_x = self._images(indices)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, self.classes[indices].astype(datagen.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(indices), self.num_classes), dtype=datagen.dtype)
            batch_y[np.arange(len(indices)), self.classes[indices]] = 1.0
            return batch_x, batch_y
        return batch_x
