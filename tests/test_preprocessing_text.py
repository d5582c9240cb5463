"""Text vectorizing: Tokenizer and pad_sequences against hand-computed Keras results, and a tiny text classifier
(Tokenizer -> pad_sequences -> Embedding -> ... -> Dense) trained on a hand-written weather corpus."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pydl
from pydl import layers, models, optimizers
from pydl.backend import np
from pydl.preprocessing import KFold, Tokenizer, pad_sequences, text_to_word_sequence
from tests.weather_corpus import LABELS, TEXTS
from tests.learning import assert_at_least

CORPUS = ["The cat sat on the mat.", "The dog sat!", "A cat, a dog; the end"]
# Counted by hand: the x4; cat, sat, dog, a x2 (first seen in that order); on, mat, end x1.
WORD_INDEX = {"the": 1, "cat": 2, "sat": 3, "dog": 4, "a": 5, "on": 6, "mat": 7, "end": 8}


def _fitted(**options):
    tokenizer = Tokenizer(**options)
    tokenizer.fit_on_texts(CORPUS)
    return tokenizer


# ---- text_to_word_sequence and Tokenizer -------------------------------------------------------------------------

def test_words_are_lowered_and_split_on_keras_default_punctuation_but_not_apostrophes():
    assert text_to_word_sequence("Don't stop -- it's (really) GREAT!\tok") == [
        "don't", "stop", "it's", "really", "great", "ok"]
    assert text_to_word_sequence("A,b,,C", filters="", lower=False, split=",") == ["A", "b", "C"]


def test_word_index_is_by_frequency_with_ties_in_order_of_first_appearance():
    tokenizer = _fitted()
    assert tokenizer.word_index == WORD_INDEX
    assert list(tokenizer.word_counts.items()) == [("the", 4), ("cat", 2), ("sat", 2), ("on", 1), ("mat", 1),
                                                   ("dog", 2), ("a", 2), ("end", 1)]
    assert tokenizer.word_docs == {"the": 3, "cat": 2, "sat": 2, "on": 1, "mat": 1, "dog": 2, "a": 1, "end": 1}
    assert tokenizer.document_count == 3 and tokenizer.index_word[4] == "dog"


def test_texts_to_sequences_drops_unknown_words_or_maps_them_to_the_oov_token():
    assert _fitted().texts_to_sequences(["The dog and the cat!", ""]) == [[1, 4, 1, 2], []]
    with_oov = _fitted(oov_token="<OOV>")
    assert with_oov.word_index == {"<OOV>": 1, **{word: index + 1 for word, index in WORD_INDEX.items()}}
    assert with_oov.texts_to_sequences(["The dog and the cat!"]) == [[2, 5, 1, 2, 3]]


def test_num_words_keeps_the_indices_below_it():
    sentence = ["the cat sat on a dog"]
    assert _fitted(num_words=4).texts_to_sequences(sentence) == [[1, 2, 3]]
    assert _fitted(num_words=4, oov_token="<OOV>").texts_to_sequences(sentence) == [[2, 3, 1, 1, 1, 1]]
    assert len(_fitted(num_words=4).word_index) == 8  # the index keeps every word, as in Keras


@pytest.mark.parametrize("mode, row", [
    ("binary", [0, 1, 1, 0, 1]), ("count", [0, 2, 1, 0, 1]), ("freq", [0, 0.5, 0.25, 0, 0.25]),
    # (1 + log count) * log(1 + 3 texts / (1 + texts with the word)): "the" is in 3 texts, "cat" and "dog" in 2.
    ("tfidf", [0, (1 + math.log(2)) * math.log(1 + 3 / 4), math.log(2), 0, math.log(2)]),
])
def test_texts_to_matrix_modes(mode, row):
    matrix = _fitted().texts_to_matrix(["the cat the dog", "unknown words only"], mode=mode)
    assert matrix.shape == (2, 9) and matrix.dtype == np.float32  # 1 + the vocabulary of 8: column 0 is padding
    np.testing.assert_allclose(matrix[0], row + [0] * 4, rtol=1e-6)
    assert not matrix[1].any()


def test_num_words_sets_the_matrix_width_and_rare_words_are_dropped_before_counting():
    tokenizer = _fitted(num_words=3)
    np.testing.assert_array_equal(tokenizer.texts_to_matrix(["the cat the dog"], mode="count"), [[0, 2, 1]])
    np.testing.assert_allclose(tokenizer.texts_to_matrix(["the cat the dog"], mode="freq"), [[0, 2 / 3, 1 / 3]])


def test_case_word_lists_refitting_and_reading_back():
    tokenizer = Tokenizer(lower=False)
    tokenizer.fit_on_texts(["Sun sun", ["sun", "Rain"]])  # a list is taken as its words already
    assert tokenizer.word_index == {"sun": 1, "Sun": 2, "Rain": 3}
    tokenizer.fit_on_texts(["Rain Rain Rain"])  # counts add up; the index is rebuilt
    assert tokenizer.word_index == {"Rain": 1, "sun": 2, "Sun": 3} and tokenizer.document_count == 3
    assert _fitted().sequences_to_texts([[0, 0, 1, 4, 99]]) == ["the dog"]
    assert _fitted(oov_token="?").sequences_to_texts([[0, 2, 99]]) == ["the ?"]


def test_tokenizer_errors():
    with pytest.raises(TypeError, match="one string"):
        Tokenizer().fit_on_texts("the cat sat")
    with pytest.raises(ValueError, match="fit_on_texts before"):
        Tokenizer().texts_to_matrix(["the cat"])
    with pytest.raises(ValueError, match="mode must be one of 'binary', 'count', 'freq', 'tfidf', got 'tf'"):
        _fitted().texts_to_matrix(["the cat"], mode="tf")
    with pytest.raises(ValueError, match="num_words must be at least 1"):
        Tokenizer(num_words=0)



def test_sequences_to_matrix_with_num_words_needs_no_fitting_as_in_keras():
    # Keras: "Specify a dimension (num_words argument), or fit on some text data first"; num_words is the width.
    matrix = Tokenizer(num_words=5).sequences_to_matrix([[1, 2, 2, 7], []], mode="count")
    np.testing.assert_array_equal(matrix, [[0, 1, 2, 0, 0], [0, 0, 0, 0, 0]])
    assert Tokenizer(num_words=3).sequences_to_matrix([[1]]).tolist() == [[0.0, 1.0, 0.0]]
    with pytest.raises(ValueError, match="fit_on_texts before"):  # tfidf needs the document counts
        Tokenizer(num_words=5).sequences_to_matrix([[1]], mode="tfidf")

# ---- pad_sequences -----------------------------------------------------------------------------------------------

SEQUENCES = [[1, 2, 3], [4, 5], [6]]


@pytest.mark.parametrize("options, expected", [
    ({}, [[1, 2, 3], [0, 4, 5], [0, 0, 6]]),
    ({"padding": "post"}, [[1, 2, 3], [4, 5, 0], [6, 0, 0]]),
    ({"maxlen": 2}, [[2, 3], [4, 5], [0, 6]]),
    ({"maxlen": 2, "truncating": "post"}, [[1, 2], [4, 5], [0, 6]]),
    ({"maxlen": 4, "padding": "post", "value": -1}, [[1, 2, 3, -1], [4, 5, -1, -1], [6, -1, -1, -1]]),
])
def test_pad_sequences_matches_keras(options, expected):
    padded = pad_sequences(SEQUENCES, **options)
    assert padded.dtype == np.int32 and padded.tolist() == expected


def test_pad_sequences_edge_cases():
    assert pad_sequences([[1], [], [2, 3]]).tolist() == [[0, 1], [0, 0], [2, 3]]
    assert pad_sequences([]).shape == (0, 0) and pad_sequences([], maxlen=3).shape == (0, 3)
    assert pad_sequences(SEQUENCES, maxlen=0).shape == (3, 0)
    assert pad_sequences([[0.5, 1.5]], maxlen=3, dtype="float32").tolist() == [[0.0, 0.5, 1.5]]
    vectors = pad_sequences([np.ones((2, 3)), np.ones((1, 3))], maxlen=2)  # items may be vectors
    assert vectors.shape == (2, 2, 3) and vectors[1, 0].tolist() == [0, 0, 0]
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match='padding must be "pre" or "post", got \'middle\''):
        pad_sequences(SEQUENCES, padding="middle")
    with pytest.raises(ValueError, match="item 1 is not a sequence"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="sequence 1 has items of shape"):
        pad_sequences([np.ones((2, 3)), np.ones((1, 2))])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(1, 99), max_size=8), min_size=1, max_size=6), st.integers(0, 10),
       st.sampled_from(["pre", "post"]), st.sampled_from(["pre", "post"]))
def test_every_row_holds_its_kept_words_in_order_and_padding_elsewhere(sequences, maxlen, padding, truncating):
    padded = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    assert padded.shape == (len(sequences), maxlen)
    for row, sequence in zip(padded.tolist(), sequences):
        kept = (sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]) if maxlen else []
        fill = [0] * (maxlen - len(kept))
        assert row == (fill + kept if padding == "pre" else kept + fill)


# ---- end to end --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reader", ["average of word vectors", "LSTM", "Bidirectional LSTM with dropout"])
def test_a_tiny_weather_classifier_beats_the_majority_baseline(reader):
    """84 hand-written remarks, pleasant or not, each held out once in 4-fold cross-validation: 84 held-out
    predictions, where one split of 21 would let a single remark move the score by 5 points. The Tokenizer sees
    only each fold's training texts, so held-out words it never saw are dropped."""
    texts, labels = np.array(TEXTS, dtype=object), np.array(LABELS)
    correct = 0
    for fold, (train, held_out) in enumerate(KFold(4, shuffle=True, seed=0).split(len(texts))):
        tokenizer = Tokenizer()
        tokenizer.fit_on_texts(list(texts[train]))
        x_train, x_test = (pad_sequences(tokenizer.texts_to_sequences(list(texts[part])), maxlen=10)
                           for part in (train, held_out))
        middle = {"average of word vectors": lambda: layers.GlobalAveragePooling1D(),
                  "LSTM": lambda: layers.LSTM(8),
                  "Bidirectional LSTM with dropout": lambda: layers.Bidirectional(
                      layers.LSTM(8, dropout=0.2, recurrent_dropout=0.2))}[reader]
        pydl.seed(fold)
        model = models.Sequential([layers.Embedding(len(tokenizer.word_index) + 1, 8), middle(),
                                   layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="binary_crossentropy",
                      metrics=["accuracy"])
        model.fit(x_train, labels[train], epochs=30, batch_size=8, verbose=0)
        predicted = model.predict(x_test, verbose=0)[:, 0] > 0.5
        correct += int(np.sum(predicted == labels[held_out].astype(bool)))
    assert labels.mean() == 0.5  # 42 of each: the majority baseline is 0.5
    assert_at_least(correct / len(texts), 0.8, f"{reader}: 4-fold held-out accuracy")
