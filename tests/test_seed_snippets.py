"""The study notes' Keras snippets run with only the import line changed (``from keras import ...`` becomes
``from pydl import ...``). Data sets the notes download (MNIST, IMDB) are replaced by small local stand-ins."""

import numpy as np

from pydl.datasets import load_digits
from tests.learning import assert_at_least, assert_below


def _mnist_like(n=384):
    """Digits upscaled 3x and padded to 28x28, flattened like the notes' train_images; one-hot labels."""
    (x, y), _ = load_digits()
    images = np.kron(x[:n], np.ones((3, 3), dtype=np.uint8))
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return (images.reshape(n, 28 * 28).astype("float32") / 16), np.eye(10, dtype="float32")[y[:n]]


def test_deep_learning_with_python_first_network():
    train_images, train_labels = _mnist_like()
    # --- snippet (seed 000 / 001), import changed ---
    from pydl import models, layers

    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28*28,)))
    network.add(layers.Dense(10, activation="softmax"))

    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])

    network.fit(train_images, train_labels, epochs=5, batch_size=128)
    # --- end ---
    history = network.history.history
    assert history["loss"][-1] < history["loss"][0]
    assert_at_least(history["accuracy"][-1], 0.8, "chapter 2 network: last epoch's training accuracy")


def vectorize_sequences(sequences, dimensions=10000):
    # --- snippet (seed 001) ---
    results = np.zeros((len(sequences), dimensions))
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1
    return results


def _imdb_like(n=800):
    """Bags of word indices where words < 500 lean positive: a tiny learnable stand-in for IMDB."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    sequences = [rng.integers(0, 500, 30) if label else rng.integers(300, 10000, 30) for label in labels]
    return vectorize_sequences(sequences), np.asarray(labels).astype("float32")


def test_l2_and_dropout_with_rmsprop_and_binary_crossentropy():
    x, y = _imdb_like()
    x_train, y_train, x_test, y_test = x[:240], y[:240], x[240:], y[240:]
    # --- snippets (seed 001), imports changed ---
    from pydl import layers, models, regularizers
    from pydl import optimizers, losses, metrics

    model = models.Sequential()
    # Use L2 regularization with penalty of 0.001 * weight
    model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001),
        activation ='relu', input_shape=(10000,)))
    # Use both L1 and L2 regularization
    model.add(layers.Dense(16,
        kernel_regularizer=regularizers.l1_l2(l1=0.001, l2=0.001),
        activation ='relu', input_shape=(10000,)))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation='sigmoid'))

    model.compile(
      optimizer=optimizers.RMSprop(lr=0.001),
      loss=losses.binary_crossentropy,
      metrics=[metrics.binary_accuracy]
    )
    model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
    results = model.evaluate(x_test, y_test)
    model.predict(x_test)
    # --- end ---
    loss, accuracy = results
    assert_at_least(accuracy, 0.9, "chapter 3 digits: test accuracy")
    assert len(model.losses) == 2


def test_dropout_model_from_the_notes():
    x, y = _imdb_like()
    # --- snippet (seed 001), import changed ---
    from pydl import models, layers

    model = models.Sequential()
    model.add(layers.Dense(16, activation='relu', input_shape=(10000,)))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(16, activation='relu'))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation='sigmoid'))
    # --- end ---
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=32, validation_split=0.2, verbose=0)
    assert_at_least(history.history["val_accuracy"][-1], 0.8, "binary classifier: validation accuracy")


def test_datacamp_regression_with_adam_and_mse(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    predictors = rng.standard_normal((400, 5)).astype("float32")
    target = predictors @ np.array([2.0, -1.0, 0.5, 0.0, 1.5]) + 3.0
    n_cols = predictors.shape[1]
    monkeypatch.chdir(tmp_path)
    # --- snippets (seed 002), imports changed ---
    from pydl.models import Sequential
    from pydl.layers import Dense

    model = Sequential()
    model.add(Dense(100, activation='relu', input_shape=(n_cols, )))
    model.add(Dense(100, activation='relu'))
    model.add(Dense(1))

    model.compile(optimizer='adam', loss='mean_squared_error')

    model.fit(predictors, target)

    from pydl.models import load_model
    model.save('my_model.h5')
    mymodel = load_model('my_model.h5')
    pred = mymodel.predict(predictors)
    # --- end ---
    np.testing.assert_array_equal(pred, model.predict(predictors))
    before = model.evaluate(predictors, target, verbose=0)
    model.fit(predictors, target, epochs=30, verbose=0)
    assert_below(model.evaluate(predictors, target, verbose=0), 0.05 * before, "regression snippet: loss vs 0.05 x untrained")


def test_datacamp_classification():
    (x, y), (x_test, y_test) = load_digits()
    predictors, target = x.reshape(len(x), -1) / 16, np.eye(10)[y]
    n_cols = predictors.shape[1]
    from pydl.models import Sequential
    from pydl.layers import Dense

    model = Sequential()
    model.add(Dense(100, activation='relu', input_shape=(n_cols, )))
    model.add(Dense(100, activation='relu'))
    model.add(Dense(10, activation='softmax'))
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    model.fit(predictors, target, epochs=10, verbose=0)
    loss, accuracy = model.evaluate(x_test.reshape(len(x_test), -1) / 16, np.eye(10)[y_test], verbose=0)
    assert_at_least(accuracy, 0.9, "one-hot digits snippet: test accuracy")
