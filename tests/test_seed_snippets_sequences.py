"""The study notes' chapter 6 snippets (Deep Learning with Python: text and sequences) run with only the import
line changed (``from keras... import`` becomes ``from pydl... import``)."""

import numpy as np
from tests.learning import assert_at_least


# Keras' summary of the notes' stacked SimpleRNN model: one Embedding(10000, 32), four SimpleRNN(32).
KERAS_STACKED_RNN_PARAMS = [320000, 2080, 2080, 2080, 2080]


def test_embedding_layer_line():
    # --- snippet (seed 001, chapter 6), import changed ---
    from pydl.layers import Embedding

    # The 1000 is the number of possible tokens (1 + maximum word index).
    # The 64 is the dimensionality of the embeddings.
    embedding_layer = Embedding(1000, 64)
    # --- end ---
    samples = np.array([[0, 5, 999], [12, 12, 3]])  # (samples, sequence_length), as the notes describe
    assert embedding_layer(samples).shape == (2, 3, 64)  # (samples, sequence_length, embedding_dimensionality)
    assert embedding_layer.count_params() == 64000


def _stacked_rnn():
    # --- snippet (seed 001, chapter 6), imports changed ---
    from pydl.models import Sequential
    from pydl.layers import Embedding, SimpleRNN

    model = Sequential()
    model.add(Embedding(10000, 32))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32))
    # --- end ---
    return model


def _summary_lines(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def _assert_keras_counts(lines, lengths):
    """Keras' parameter counts, and its output shapes with a sequence length from ``lengths``."""
    rows = [line for line in lines if "(Embedding)" in line or "(SimpleRNN)" in line]
    assert [int(row.split()[-1].replace(",", "")) for row in rows] == KERAS_STACKED_RNN_PARAMS
    shapes = [row[row.index("(None"):row.rindex(")") + 1] for row in rows]
    assert shapes in [[f"(None, {length}, 32)"] * 4 + ["(None, 32)"] for length in lengths]
    assert any(line.startswith("Total params: 328,320") for line in lines)


def test_stacked_simple_rnn_summary_before_any_data():
    model = _stacked_rnn()
    model.summary()  # the snippet's last line, as written
    _assert_keras_counts(_summary_lines(model), [None])


def test_stacked_simple_rnn_summary_counts_match_keras_once_it_has_seen_data():
    model = _stacked_rnn()
    sequences = np.random.default_rng(0).integers(0, 10000, (4, 20))
    assert model.predict(sequences).shape == (4, 32)
    _assert_keras_counts(_summary_lines(model), [20, None])  # None once Sequential builds before data


def test_the_stack_trains_through_time_and_depth():
    """Sequences of words 0..99 versus words 100..199: held-out sequences reuse the words, never the sequences."""
    model = _stacked_rnn()
    from pydl.layers import Dense

    model.add(Dense(1, activation="sigmoid"))
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 200)
    sequences = rng.integers(0, 100, (200, 10)) + 100 * (1 - labels[:, None])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(sequences[:150], labels[:150], epochs=3, batch_size=16, verbose=0)
    _, accuracy = model.evaluate(sequences[150:], labels[150:], verbose=0)
    assert_at_least(accuracy, 0.8, "embedding snippet: test accuracy")
