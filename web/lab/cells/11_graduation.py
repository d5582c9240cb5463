# Take your model to PyTorch and Keras.
# pydl's layers compute what Keras 3's compute, weight for weight, and PyTorch has the same building
# blocks, so a model trained here can leave as the code a person would write in either framework,
# with its trained weights beside it. Train a small convnet, then export it twice.
import zipfile
from pathlib import Path

import numpy as np
import pydl
from pydl import datasets, layers, models, optimizers
from pydl.export import to_keras, to_torch

pydl.seed(0)
(train_images, train_labels), (test_images, test_labels) = datasets.load_digits()
convnet_x = train_images[:600, :, :, None].astype("float32") / 16.0   # (600, 8, 8, 1): channels last
convnet_test_x = test_images[:, :, :, None].astype("float32") / 16.0

convnet = models.Sequential([
    layers.Input(shape=(8, 8, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(2),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
], name="digits_convnet")
convnet.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
convnet.fit(convnet_x, train_labels[:600], epochs=10, batch_size=32, verbose=0)
_, convnet_accuracy = convnet.evaluate(convnet_test_x, test_labels, verbose=0)
print(f"pydl convnet test accuracy: {convnet_accuracy:.3f}")

# Each export writes a folder: model.py (code, no pydl in it) and weights.npz (the trained weights).
torch_file = to_torch(convnet, "convnet_torch")
keras_file = to_keras(convnet, "convnet_keras")
with np.load(torch_file.parent / "weights.npz") as weights:
    exported = sum(weights[name].size for name in weights.files if not name.endswith("num_batches_tracked"))
print(f"{exported} weights exported, as many as the model's {convnet.count_params()} parameters")

# PyTorch wants images channels first, (batch, 1, 8, 8): the export moved the kernels' axes, and it
# reordered the Dense rows after Flatten, since torch flattens channel by channel, pydl pixel by pixel.
print(f"\n--- {torch_file} ---\n{torch_file.read_text()}")
# Keras is channels last like pydl, and holds the same weights in the same order: nothing to convert.
print(f"--- {keras_file} ---\n{keras_file.read_text()}")

# Both folders in one zip (the button below). At home: unzip, then in Python, inside a folder
#   from model import build; model = build()
# (with torch, or keras, installed) gives the trained model, predicting what pydl predicts here.
with zipfile.ZipFile("convnet_export.zip", "w") as archive:
    for folder in ("convnet_torch", "convnet_keras"):
        for path in sorted(Path(folder).iterdir()):
            archive.write(path)
print("convnet_export.zip:", ", ".join(zipfile.ZipFile("convnet_export.zip").namelist()))
