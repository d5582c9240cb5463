"""Vectorizing text (Keras 2's ``keras.preprocessing.text`` and ``.sequence``): words to integer indices with a
:class:`Tokenizer`, then sequences of one length with :func:`pad_sequences`, ready for an ``Embedding``.

Importable from :mod:`pydl.preprocessing` too, as in Keras. Host NumPy only; runs natively and inside Pyodide.

>>> tokenizer = Tokenizer(num_words=1000)
>>> tokenizer.fit_on_texts(["The sun is out.", "The rain is back!"])
>>> sequences = tokenizer.texts_to_sequences(["the sun is back"])
>>> sequences
[[1, 3, 2, 6]]
>>> pad_sequences(sequences, maxlen=6)  # zeros in front, so the last steps an RNN reads are the words
array([[0, 0, 1, 3, 2, 6]], dtype=int32)
"""

from __future__ import annotations

from pydl.backend import np

__all__ = ["pad_sequences", "Tokenizer", "text_to_word_sequence", "DEFAULT_FILTERS"]

# Keras' default: the ASCII punctuation except the apostrophe (so "don't" stays one word), tabs and line breaks.
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "freq", "tfidf")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0):
    """Cut or pad sequences of different lengths into one array of shape ``(len(sequences), maxlen)``.

    Args:
        sequences: a list of sequences (lists or arrays of word indices; items may be arrays of one shape).
        maxlen: the common length; None takes the longest sequence's.
        dtype: dtype of the result.
        padding: "pre" fills with ``value`` in front (Keras' default: an RNN then ends on real words), "post" after.
        truncating: "pre" drops the start of longer sequences (keeps the end), "post" drops their end.
        value: the filler, 0 by default (the index no word gets).

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    >>> pad_sequences([[1, 2, 3], [4]], padding="post", truncating="post", value=-1)
    array([[ 1,  2,  3],
           [ 4, -1, -1]], dtype=int32)
    """
    for argument, choice in (("padding", padding), ("truncating", truncating)):
        if choice not in ("pre", "post"):
            raise ValueError(f'pad_sequences: {argument} must be "pre" or "post", got {choice!r}.')
    if isinstance(sequences, str) or not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences needs a list of sequences, got {type(sequences).__name__}.")
    arrays = [_as_sequence(sequence, position) for position, sequence in enumerate(sequences)]
    if maxlen is None:
        maxlen = max((len(a) for a in arrays), default=0)
    elif int(maxlen) < 0:
        raise ValueError(f"pad_sequences: maxlen must be at least 0, got {maxlen!r}.")
    maxlen = int(maxlen)
    item_shape = next((a.shape[1:] for a in arrays if len(a)), ())
    out = np.full((len(arrays), maxlen) + item_shape, value, dtype=dtype)
    for row, array in enumerate(arrays):
        kept = (array[-maxlen:] if truncating == "pre" else array[:maxlen]) if maxlen else array[:0]  # [-0:] is all
        if len(kept) == 0:
            continue
        if kept.shape[1:] != item_shape:
            raise ValueError(f"pad_sequences: sequence {row} has items of shape {kept.shape[1:]}, the others "
                             f"{item_shape}.")
        if padding == "pre":
            out[row, maxlen - len(kept):] = kept
        else:
            out[row, :len(kept)] = kept
    return out


def _as_sequence(sequence, position: int):
    if isinstance(sequence, str) or not hasattr(sequence, "__len__"):
        raise ValueError(f"pad_sequences: item {position} is not a sequence of indices: {sequence!r}. Pass a list "
                         "of lists, e.g. from Tokenizer.texts_to_sequences.")
    return np.asarray(sequence)


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ") -> list:
    """The words of ``text``: lower-cased, every character of ``filters`` turned into ``split``, split on it.

    >>> text_to_word_sequence("Sunny, warm -- and  BRIGHT!")
    ['sunny', 'warm', 'and', 'bright']
    """
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({character: split for character in filters}))
    return [word for word in text.split(split) if word]


class Tokenizer:
    """Indexes the words of a corpus by frequency and turns texts into index sequences or word-vector matrices.

    Index 0 is never a word (it is the padding); the most frequent word is 1, then 2, ... with ties in order of first
    appearance; the ``oov_token``, when given, takes index 1 and stands for every unknown (or too rare) word.

    Args:
        num_words: keep only the words with an index below ``num_words`` (the ``num_words - 1`` most frequent)
            when converting; ``word_index`` still holds every word. None keeps all.
        lower: lower-case the texts first.
        split: the separator between words.
        filters: characters removed (replaced by ``split``); Keras' default punctuation, tabs and newlines.
        oov_token: the token that replaces out-of-vocabulary words; None drops them.

    Attributes (after :meth:`fit_on_texts`):
        word_index: word -> index. index_word: index -> word.
        word_counts: word -> number of occurrences, in order of first appearance.
        word_docs: word -> number of texts containing it. document_count: the number of texts seen.

    >>> tokenizer = Tokenizer(oov_token="<?>")
    >>> tokenizer.fit_on_texts(["rain rain go away", "sun come back"])
    >>> tokenizer.word_index["<?>"], tokenizer.word_index["rain"], tokenizer.texts_to_sequences(["sun or rain"])
    (1, 2, [[5, 1, 2]])
    """

    def __init__(self, num_words=None, lower=True, split=" ", filters=DEFAULT_FILTERS, oov_token=None):
        if num_words is not None and int(num_words) < 1:
            raise ValueError(f"Tokenizer: num_words must be at least 1 (or None for every word), got {num_words!r}.")
        self.num_words = None if num_words is None else int(num_words)
        self.lower, self.split, self.filters, self.oov_token = bool(lower), split, filters, oov_token
        self.word_counts: dict = {}  # insertion-ordered: first appearance
        self.word_docs: dict = {}
        self.document_count = 0
        self.word_index: dict = {}
        self.index_word: dict = {}

    def _words(self, text) -> list:
        """A text's words: a string is split; a list is taken as its words already (lower-cased if ``lower``)."""
        if isinstance(text, str):
            return text_to_word_sequence(text, self.filters, self.lower, self.split)
        return [word.lower() if self.lower else word for word in text]

    def fit_on_texts(self, texts) -> None:
        """Count the words of ``texts`` (a list of strings, or of word lists) and rebuild ``word_index``; calling it
        again adds to the counts."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts needs a list of texts, got one string; wrap it: [text].")
        for text in texts:
            words = self._words(text)
            self.document_count += 1
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(words):
                self.word_docs[word] = self.word_docs.get(word, 0) + 1
        # sorted() is stable: words seen as often keep their order of first appearance, as in Keras.
        by_frequency = sorted(self.word_counts, key=self.word_counts.get, reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary += [word for word in by_frequency if word != self.oov_token]
        self.word_index = {word: index for index, word in enumerate(vocabulary, start=1)}
        self.index_word = {index: word for word, index in self.word_index.items()}

    def texts_to_sequences(self, texts) -> list:
        """Each text as a list of word indices; unknown words and words with an index of ``num_words`` or more
        become the ``oov_token``'s index, or are dropped without one."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.texts_to_sequences needs a list of texts, got one string; wrap it: [text].")
        return [self._indices(self._words(text)) for text in texts]

    def _indices(self, words) -> list:
        return self._known([self.word_index.get(word) for word in words])

    def _known(self, indices) -> list:
        """``indices`` with the unknown ones (None) and those of ``num_words`` or more replaced by the
        ``oov_token``'s index, or dropped without one."""
        unknown = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        kept = [index if index is not None and (self.num_words is None or index < self.num_words) else unknown
                for index in indices]
        return [index for index in kept if index is not None]

    def sequences_to_texts(self, sequences) -> list:
        """Back from indices to words joined by spaces, to read a sequence. Padding (0) is skipped; other unknown
        or too rare indices become the ``oov_token``, or are skipped without one.

        >>> tokenizer = Tokenizer()
        >>> tokenizer.fit_on_texts(["cold wind", "cold rain"])
        >>> tokenizer.sequences_to_texts([[0, 0, 1, 3]])
        ['cold rain']
        """
        return [" ".join(self.index_word[index] for index in self._known(
            [int(i) if int(i) in self.index_word else None for i in sequence if int(i) != 0]))
            for sequence in sequences]

    def texts_to_matrix(self, texts, mode: str = "binary"):
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``: one row per text."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode)

    def sequences_to_matrix(self, sequences, mode: str = "binary"):
        """One float32 row per sequence, one column per word index (``num_words`` columns, or 1 + the vocabulary).

        Modes: "binary" 1 where the word occurs; "count" its occurrences; "freq" occurrences / sequence length;
        "tfidf" ``(1 + log(count)) * log(1 + document_count / (1 + texts containing the word))``.
        Column 0 counts the padding (0) in ``sequences``, as in Keras; ``texts_to_matrix`` leaves it 0. With
        ``num_words`` no fitting is needed, except for "tfidf".

        >>> tokenizer = Tokenizer()
        >>> tokenizer.fit_on_texts(["wet wet cold", "dry"])
        >>> tokenizer.texts_to_matrix(["wet wet dry"], mode="count")
        array([[0., 2., 0., 1.]], dtype=float32)
        """
        if mode not in MATRIX_MODES:
            raise ValueError(f"Tokenizer: mode must be one of {', '.join(map(repr, MATRIX_MODES))}, got {mode!r}.")
        # As in Keras, num_words alone gives the width; without it the columns are the fitted words, and tfidf
        # always needs the fitted document counts.
        if not self.word_index and (self.num_words is None or mode == "tfidf"):
            raise ValueError("Tokenizer: call fit_on_texts before making matrices (the columns are its words, and "
                             "tfidf needs its document counts), or give num_words.")
        width = self.num_words or len(self.word_index) + 1
        out = np.zeros((len(sequences), width), dtype=np.float32)
        for row, sequence in enumerate(sequences):
            indices = np.asarray(sequence, dtype=np.int64).ravel()
            if (indices < 0).any():
                raise ValueError(f"Tokenizer: sequence {row} holds a negative index {indices.min()}.")
            words, counts = np.unique(indices[indices < width], return_counts=True)
            out[row, words] = self._weights(mode, words, counts, len(indices))
        return out

    def _weights(self, mode: str, words, counts, length: int):
        if mode == "binary":
            return 1.0
        if mode == "count":
            return counts
        if mode == "freq":
            return counts / length
        texts_with_word = np.array([self.word_docs.get(self.index_word.get(int(w)), 0) for w in words])
        return (1 + np.log(counts)) * np.log(1 + self.document_count / (1 + texts_with_word))
