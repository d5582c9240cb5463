# A Keras Sequential model on the 8x8 digits (1,797 images of handwritten 0-9).
from pydl import datasets, layers, models, optimizers
import pydl

pydl.seed(0)  # same weights, same shuffles, same result every run
(x_train, y_train), (x_test, y_test) = datasets.load_digits()
print("train:", x_train.shape, "test:", x_test.shape)

# Pixels are 0..16; flatten each 8x8 image to 64 features scaled to 0..1.
x_train = x_train.reshape(len(x_train), 64).astype("float32") / 16.0
x_test = x_test.reshape(len(x_test), 64).astype("float32") / 16.0

digits_model = models.Sequential([
    layers.Dense(64, activation="relu", input_shape=(64,)),
    layers.Dense(10, activation="softmax"),
])
# adam's default step (0.001) needs ~50 epochs here; 0.01 gets there in 20.
digits_model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
                     loss="sparse_categorical_crossentropy",
                     metrics=["accuracy"])
history = digits_model.fit(x_train, y_train, epochs=20, batch_size=32,
                           validation_split=0.1, verbose=0)
print("final training loss:", round(history.history["loss"][-1], 4))

test_loss, test_accuracy = digits_model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {test_accuracy:.3f}")

predictions = digits_model.predict(x_test[:8], verbose=0)
print("predicted:", predictions.argmax(axis=1).tolist())
print("actual:   ", y_test[:8].tolist())
