# Two inputs, one model: the functional API.
# A Sequential model is a single stack: one input in, one output out. In the functional API
# you call each layer like a function on a tensor, and the model is the graph that runs from
# its Inputs to its outputs, so it can take several inputs, branch and merge.
# Here every digit arrives as two separate inputs: its top four rows and its bottom four rows.
from collections import Counter

from pydl import Input, datasets, layers, models, optimizers
import pydl

pydl.seed(0)
(digit_images, digit_labels), (test_images, test_labels) = datasets.load_digits()


def top_and_bottom(images):
    """Rows 0-3 and rows 4-7 of each 8x8 image, each flattened to 32 pixels in 0..1."""
    images = images.astype("float32") / 16.0
    return images[:, :4].reshape(len(images), 32), images[:, 4:].reshape(len(images), 32)


top_train, bottom_train = top_and_bottom(digit_images)
top_test, bottom_test = top_and_bottom(test_images)

# One Dense branch per half; concatenate lays the two feature vectors side by side
# (32 + 32 = 64 numbers), and one softmax layer decides the digit from both.
top = Input(shape=(32,), name="top")
bottom = Input(shape=(32,), name="bottom")
top_features = layers.Dense(32, activation="relu", name="top_dense")(top)
bottom_features = layers.Dense(32, activation="relu", name="bottom_dense")(bottom)
both = layers.concatenate([top_features, bottom_features], name="merged")
digit_output = layers.Dense(10, activation="softmax", name="digit")(both)
two_input_model = models.Model([top, bottom], digit_output)
two_input_model.summary(line_length=80)  # "Connected to" shows the graph: merged takes both


def train_and_test(model, train_inputs, test_inputs):
    """compile / fit / evaluate work as for Sequential; several inputs go in as a list."""
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_inputs, digit_labels, epochs=10, batch_size=32, verbose=0)
    return model.evaluate(test_inputs, test_labels, verbose=0)[1]


both_accuracy = train_and_test(two_input_model, [top_train, bottom_train],
                               [top_test, bottom_test])

# The lesson: is the second input worth having? Give the top half alone a model just as
# wide (64 hidden units, like the two branches together) and the same training.
top_only = Input(shape=(32,), name="top")
top_hidden = layers.Dense(64, activation="relu")(top_only)
top_only_model = models.Model(top_only, layers.Dense(10, activation="softmax")(top_hidden))
top_only_accuracy = train_and_test(top_only_model, top_train, top_test)

print(f"test accuracy, top and bottom halves: {both_accuracy:.3f}")
print(f"test accuracy, top half only:         {top_only_accuracy:.3f}")

# Where does the bottom half help? Digits whose tops look alike (a 9 and an 8 share the
# loop on top) differ below. Take the top-only model's most frequent mistake and count
# how often each model makes it.
top_guess = top_only_model.predict(top_test, verbose=0).argmax(axis=1)
both_guess = two_input_model.predict([top_test, bottom_test], verbose=0).argmax(axis=1)
wrong = top_guess != test_labels
mistakes = Counter(zip(test_labels[wrong].tolist(), top_guess[wrong].tolist()))
(digit, mistaken_for), times = mistakes.most_common(1)[0]
still = int(((test_labels == digit) & (both_guess == mistaken_for)).sum())
print(f"most common top-half mistake, {digit} taken for {mistaken_for}: {times} times; "
      f"with both halves: {still}")
