# A network with memory: an LSTM reads each digit one row at a time.
# A recurrent layer is a for loop over the steps of a sequence that carries a state from
# one step to the next. Here an 8x8 digit is a sequence of 8 steps, each step a row of
# 8 pixels; the classifier only sees what the state has kept after the last row.
import time

from pydl import datasets, layers, models, optimizers
import pydl

(train_rows, train_labels), (test_rows, test_labels) = datasets.load_digits()
train_rows = train_rows.astype("float32") / 16.0  # (1437, 8, 8): samples, steps, features
test_rows = test_rows.astype("float32") / 16.0


def read_rows(recurrent_layer):
    """Train the recurrent layer + a softmax on the rows: (model, test accuracy, seconds)."""
    pydl.seed(0)  # the same start and the same shuffles for each layer compared below
    model = models.Sequential([layers.Input((8, 8)), recurrent_layer,
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    started = time.perf_counter()
    model.fit(train_rows, train_labels, epochs=10, batch_size=32, verbose=0)
    seconds = time.perf_counter() - started
    return model, model.evaluate(test_rows, test_labels, verbose=0)[1], seconds


lstm_model, lstm_accuracy, lstm_seconds = read_rows(layers.LSTM(32))
lstm_weights = lstm_model.count_params()
print(f"LSTM test accuracy: {lstm_accuracy:.3f} "
      f"({lstm_weights:,} weights, {lstm_seconds:.1f} s)")

# Order matters: the LSTM learned in which order the strokes arrive.
# Feed it the same test rows bottom-up.
upside_down = lstm_model.evaluate(test_rows[:, ::-1], test_labels, verbose=0)[1]
print(f"same LSTM, rows fed bottom-up: {upside_down:.3f}")

# The baseline to beat: a SimpleRNN, the plain loop without the LSTM's gates and carry.
rnn_model, rnn_accuracy, rnn_seconds = read_rows(layers.SimpleRNN(32))
rnn_weights = rnn_model.count_params()
print(f"SimpleRNN test accuracy: {rnn_accuracy:.3f} "
      f"({rnn_weights:,} weights, {rnn_seconds:.1f} s)")

# Eight steps is a short memory, so the plain loop keeps up at a fraction of the cost.
# The LSTM's gates earn their extra weights on long sequences (sentences, timeseries),
# where a SimpleRNN's gradients fade away before they reach the early steps.
print(f"the LSTM costs {lstm_weights / rnn_weights:.1f}x the weights and "
      f"{lstm_seconds / rnn_seconds:.1f}x the training time "
      f"for {lstm_accuracy - rnn_accuracy:+.3f} accuracy")
