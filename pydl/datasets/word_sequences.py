"""What IMDB and Reuters share: ragged lists of word indices read from Keras' ``.npz``, checked, shuffled, shifted
and cut as ``keras.datasets.imdb.load_data`` and ``reuters.load_data`` do (the same shuffles, by NumPy's
``RandomState``, so a seed gives Keras' own split and order)."""

from __future__ import annotations

import json
import os

from pydl.backend import np
from pydl.datasets.npz import find_data_file, load_npz

__all__ = ["read_sequences", "index_words", "read_word_index"]


def _check(sequences, labels, where: str):
    """``sequences`` as a list of lists of non-negative ints, and ``labels`` as an int array of one per sequence."""
    if not isinstance(sequences, np.ndarray) or sequences.ndim != 1:
        raise ValueError(f"{where}: expected a 1-D array of word-index lists; got "
                         f"{getattr(sequences, 'shape', type(sequences).__name__)}.")
    checked = []
    for i, sequence in enumerate(sequences):
        if isinstance(sequence, np.ndarray) and sequence.ndim == 1 and sequence.dtype.kind in "iu":
            sequence = sequence.tolist()
        if not isinstance(sequence, list) or not all(type(w) is int and w >= 0 for w in sequence):
            kind = type(sequence).__name__ if not isinstance(sequence, list) else "a list holding something else"
            raise ValueError(f"{where}: sequence {i} is {kind}, not a list of word indices (non-negative ints).")
        checked.append(sequence)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(checked):
        raise ValueError(f"{where}: expected one integer label per sequence ({len(checked)}); got labels of "
                         f"shape {labels.shape} and dtype {labels.dtype}.")
    return checked, labels


def read_sequences(path, loader: str, what: str, names: tuple) -> list:
    """The (sequences, labels) pairs ``names`` (e.g. ``(("x_train", "y_train"), ...)``) of a Keras ``.npz``."""
    found = find_data_file(path, loader, what)
    arrays = load_npz(found, what)
    pairs = []
    for x_name, y_name in names:
        missing = [n for n in (x_name, y_name) if n not in arrays]
        if missing:
            raise ValueError(f"{found}: no {', '.join(missing)} array; Keras' {what} has {x_name} and {y_name} "
                             f"(this file has {', '.join(sorted(arrays)) or 'none'}).")
        pairs.append(_check(arrays[x_name], arrays[y_name], f"{found}: {x_name}"))
    return pairs


def shuffled(rng, sequences: list, labels):
    order = np.arange(len(sequences))
    rng.shuffle(order)
    return [sequences[i] for i in order], labels[order]


def index_words(parts: list, num_words, skip_top: int, maxlen, start_char, oov_char, index_from: int, loader: str):
    """Keras' shift, filter and cut of each (sequences, labels) part; returns them as (object array, labels)."""
    for name, value in (("skip_top", skip_top), ("index_from", index_from)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{loader}: {name} must be a non-negative integer; got {value!r}.")
    if num_words is not None and (not isinstance(num_words, int) or num_words < 1):
        raise ValueError(f"{loader}: num_words must be a positive integer or None; got {num_words!r}.")
    shifted = []
    for sequences, labels in parts:
        if start_char is not None:
            sequences = [[start_char] + [w + index_from for w in x] for x in sequences]
        else:
            sequences = [[w + index_from for w in x] for x in sequences]
        if maxlen:
            kept = [i for i, x in enumerate(sequences) if len(x) < maxlen]
            sequences, labels = [sequences[i] for i in kept], labels[kept]
        shifted.append((sequences, labels))
    if maxlen and not all(sequences for sequences, _ in shifted):
        raise ValueError(f"{loader}: no sequence is shorter than maxlen={maxlen}; increase maxlen.")
    if not num_words:
        num_words = max((max(x) for sequences, _ in shifted for x in sequences if x), default=0)
    out = []
    for sequences, labels in shifted:
        if oov_char is not None:
            sequences = [[w if skip_top <= w < num_words else oov_char for w in x] for x in sequences]
        else:
            sequences = [[w for w in x if skip_top <= w < num_words] for x in sequences]
        array = np.empty(len(sequences), dtype=object)
        array[:] = sequences
        out.append((array, labels))
    return out


def read_word_index(path, loader: str, what: str) -> dict:
    """``{word: index}`` from the JSON file Keras keeps (``imdb_word_index.json``, ``reuters_word_index.json``)."""
    found = find_data_file(path, loader, what)
    with open(found, encoding="utf-8") as file:
        try:
            index = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{found}: not JSON ({error}).") from None
    if not isinstance(index, dict) or not all(isinstance(k, str) and type(v) is int for k, v in index.items()):
        raise ValueError(f"{found}: expected a JSON object of word -> integer index.")
    return index
