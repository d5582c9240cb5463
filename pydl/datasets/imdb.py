"""The IMDB movie-review sentiment data as ``keras.datasets.imdb`` gives it, from the ``imdb.npz`` a user has.

25,000 training and 25,000 test reviews, each a list of word indices (by frequency: 1 is the most common word),
labelled 1 (positive) or 0 (negative). pydl ships and downloads none of it: ``load_data`` reads the file Keras keeps
in ``~/.keras/datasets/imdb.npz`` (or any ``path=``), through the allow-list reader of :mod:`pydl.datasets.npz`.

Example, with the file in place (tests/datasets/test_imdb_reuters.py runs the same calls on small files)::

    from pydl.datasets import imdb
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)
    word_index = imdb.get_word_index()           # from imdb_word_index.json
    reverse = {i + 3: w for w, i in word_index.items()}  # 0, 1, 2: padding, start, unknown
    " ".join(reverse.get(i, "?") for i in x_train[0])
"""

from __future__ import annotations

from pydl.backend import np
from pydl.datasets.word_sequences import index_words, read_sequences, read_word_index, shuffled

__all__ = ["load_data", "get_word_index"]

_WHAT = "the IMDB reviews (imdb.npz, with x_train, y_train, x_test, y_test)"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3):
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them.

    Args:
        path: the ``.npz`` file; looked up in ``~/.keras/datasets/`` when it is not found as given.
        num_words: keep the ``num_words - 1`` most frequent words (indices below ``num_words`` after the shift);
            the rest become ``oov_char``. None keeps all.
        skip_top: also replace the ``skip_top`` most frequent indices by ``oov_char``.
        maxlen: drop the reviews of ``maxlen`` words or more. None keeps all.
        seed: of the shuffle (Keras' own order for the same seed).
        start_char: put in front of every review (None: nothing); oov_char: the index of a dropped word (None:
            leave it out); index_from: added to every word index (0, 1 and 2 are padding, start and unknown).

    Returns:
        Object arrays of lists of ints (x), and int arrays of labels 0/1 (y).
    """
    (train, train_labels), (test, test_labels) = read_sequences(
        path, "imdb.load_data", _WHAT, (("x_train", "y_train"), ("x_test", "y_test")))
    rng = np.random.RandomState(seed)
    parts = [shuffled(rng, train, train_labels), shuffled(rng, test, test_labels)]
    (x_train, y_train), (x_test, y_test) = index_words(parts, num_words, skip_top, maxlen, start_char, oov_char,
                                                       index_from, "imdb.load_data")
    return (x_train, y_train), (x_test, y_test)


def get_word_index(path="imdb_word_index.json") -> dict:
    """``{word: index}`` from Keras' ``imdb_word_index.json`` (indices before ``index_from``'s shift)."""
    return read_word_index(path, "imdb.get_word_index", "imdb_word_index.json")
