"""The Reuters newswire topics as ``keras.datasets.reuters`` gives them, from the ``reuters.npz`` a user has.

11,228 newswires as lists of word indices, each labelled with one of 46 topics. pydl ships and downloads none of
it: ``load_data`` reads the file Keras keeps in ``~/.keras/datasets/reuters.npz`` (or any ``path=``), through the
allow-list reader of :mod:`pydl.datasets.npz`, and splits it as Keras does.

Example, with the file in place (tests/datasets/test_imdb_reuters.py runs the same calls on small files)::

    from pydl.datasets import reuters
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)
    len(x_train), len(x_test)   # (8982, 2246)
"""

from __future__ import annotations

from pydl.backend import np
from pydl.datasets.word_sequences import index_words, read_sequences, read_word_index, shuffled

__all__ = ["load_data", "get_word_index"]

_WHAT = "the Reuters newswires (reuters.npz, with x and y)"


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, start_char=1,
              oov_char=2, index_from=3):
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them: the first ``1 - test_split`` of the shuffled
    newswires train, the rest test. The other arguments are :func:`pydl.datasets.imdb.load_data`'s."""
    if not 0 <= test_split < 1:
        raise ValueError(f"reuters.load_data: test_split must be in [0, 1); got {test_split!r}.")
    ((sequences, labels),) = read_sequences(path, "reuters.load_data", _WHAT, (("x", "y"),))
    rng = np.random.RandomState(seed)
    ((xs, ys),) = index_words([shuffled(rng, sequences, labels)], num_words, skip_top, maxlen, start_char, oov_char,
                              index_from, "reuters.load_data")
    cut = int(len(xs) * (1 - test_split))
    return (xs[:cut], ys[:cut]), (xs[cut:], ys[cut:])


def get_word_index(path="reuters_word_index.json") -> dict:
    """``{word: index}`` from Keras' ``reuters_word_index.json``."""
    return read_word_index(path, "reuters.get_word_index", "reuters_word_index.json")
