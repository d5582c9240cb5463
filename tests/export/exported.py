"""Models to export and the helpers that run what the exports wrote, shared by the export tests.

Every model gets random weights from a seeded generator (biases and batch-norm statistics included, so a weight
copied to the wrong place or in the wrong layout changes the outputs); ``TRAINED`` adds models trained by ``fit``.
"""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np

from pydl import Input, layers, models
from pydl.export.common import is_model

_loaded = itertools.count()


def load_generated(folder):
    """The generated ``folder/model.py`` as a module, imported from its path (no subprocess, no sys.path change)."""
    spec = importlib.util.spec_from_file_location(f"exported_model_{next(_loaded)}", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randomize(model, seed=0):
    """Give every weight seeded random values: kernels and biases around 0, batch-norm variances in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        shape = weight.data.shape
        if weight.name.endswith("moving_variance"):
            values = rng.uniform(0.5, 1.5, shape)
        else:
            fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[:-1])) if len(shape) > 2 else 4
            values = rng.normal(0.0, 1.0 / np.sqrt(max(fan_in, 1)), shape)
        weight.data[...] = values.astype(weight.data.dtype)
    return model


def sample_inputs(model, batch=4, steps=7, seed=1):
    """Random inputs for ``model`` (token indices for an input read by an Embedding), a list with one per input."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (batch,) + tuple(steps if d is None else d for d in tensor.shape[1:])
        readers = [node.layer for node in _readers(model, tensor)]
        if readers and all(isinstance(r, layers.Embedding) for r in readers):
            arrays.append(rng.integers(0, readers[0].input_dim, shape).astype("int64"))
        else:
            arrays.append(rng.normal(0.0, 1.0, shape).astype("float32"))
    return arrays


def _readers(model, tensor):
    return [node for node in model._graph()._nodes if any(t is tensor for t in node.inputs)]


def leaf_layers(model):
    """Every layer of ``model`` that is not a model, nested models walked into."""
    for layer in model.layers:
        if is_model(layer):
            yield from leaf_layers(layer)
        else:
            yield layer


def as_list(outputs):
    if isinstance(outputs, dict):
        return list(outputs.values())
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


# ----------------------------------------------------------------------------------------------- the models
def mlp():
    return models.Sequential([layers.Input((8, 8)), layers.Flatten(), layers.Dense(32, activation="relu"),
                              layers.BatchNormalization(center=False, scale=False), layers.Dropout(0.3),
                              layers.Dense(16, activation="tanh"), layers.BatchNormalization(center=False),
                              layers.Dense(10, activation="softmax")])


def convnet_batch_norm():
    """Convolutions with "same" padding at stride 1 (symmetric) and 2 (uneven), batch norm, both poolings, and a
    Flatten after a convolution: the case whose Dense rows torch reads in another order."""
    return models.Sequential([
        layers.Input((23, 23, 3)), layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(2, padding="same"),
        layers.Conv2D(6, 3, strides=2, padding="same", activation="elu"), layers.BatchNormalization(),
        layers.AveragePooling2D(2, strides=1), layers.Conv2D(4, (2, 3), dilation_rate=(1, 2), use_bias=False),
        layers.Flatten(), layers.Dense(12, activation="leaky_relu"), layers.Dense(3, activation="softmax")])


def separable_convnet():
    return models.Sequential([
        layers.Input((12, 12, 4)), layers.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"),
        layers.SeparableConv2D(5, 3, strides=2, padding="same", depth_multiplier=2),
        layers.AveragePooling2D(3, strides=1, padding="same"), layers.AveragePooling2D(2, padding="same"), layers.GlobalAveragePooling2D(keepdims=True), layers.Flatten(),
        layers.Dense(2)])


def stacked_recurrent():
    return models.Sequential([
        layers.Input((None, 5)), layers.LSTM(8, return_sequences=True), layers.GRU(6, return_sequences=True),
        layers.SimpleRNN(4), layers.Dense(3, activation="sigmoid")])


def keras2_gru():
    """GRU(reset_after=False), which torch's nn.GRU cannot compute: an explicit module in the torch export."""
    return models.Sequential([
        layers.Input((6, 3)), layers.GRU(5, reset_after=False, return_sequences=True),
        layers.Bidirectional(layers.GRU(4, reset_after=False, use_bias=False, return_sequences=True),
                             merge_mode="mul"),
        layers.Dense(3, activation="tanh"),  # on every step
        layers.Bidirectional(layers.GRU(3, reset_after=False)), layers.Dense(2)])


def sequence_convnet():
    return models.Sequential([
        layers.Input((12, 3)), layers.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu"),
        layers.BatchNormalization(scale=False), layers.MaxPooling1D(3, strides=1, padding="same"), layers.MaxPooling1D(2),
        layers.Conv1D(4, 3, padding="same", strides=2),
        layers.AveragePooling1D(2, padding="same"), layers.GlobalMaxPooling1D(), layers.Dense(2)])


def residual_functional():
    inputs = Input(shape=(6, 6, 4), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="first")(inputs)
    x = layers.Conv2D(4, 3, padding="same", name="second")(x)
    x = layers.add([x, inputs], name="residual")
    x = layers.Activation("relu", name="after_residual")(x)
    x = layers.concatenate([x, inputs], name="with_input")  # along the channels: torch's dim 1
    x = layers.Conv2D(3, 1, activation="softmax", name="mix")(x)  # softmax over the channels
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return models.Model(inputs, layers.Dense(3, activation="softmax", name="scores")(x), name="residual_net")


def bidirectional_text():
    return models.Sequential([
        layers.Embedding(30, 8, input_length=None), layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
        layers.Bidirectional(layers.GRU(4), merge_mode="ave"), layers.Dense(1, activation="sigmoid")])


def embedding_bag():
    return models.Sequential([layers.Embedding(50, 6, input_length=9), layers.Flatten(), layers.Dense(4)])


def average_of_words():
    return models.Sequential([layers.Embedding(40, 6), layers.GlobalAveragePooling1D(), layers.Dense(2)])


def two_inputs_two_outputs():
    question, text = Input(shape=(16,), name="question"), Input(shape=(5, 3), name="text")
    encoded = layers.Dense(8, activation="relu", name="encoded")(question)
    read = layers.SimpleRNN(8, activation="relu", name="reader")(text)
    merged = layers.concatenate([encoded, read], name="merged")
    shared = layers.Dense(8, activation="tanh", name="shared")
    first, second = shared(encoded), shared(read)  # one layer called twice: one set of weights
    difference = layers.subtract([first, second], name="difference")
    product = layers.multiply([first, second, encoded], name="product")
    mean = layers.average([difference, product], name="mean")
    answer = layers.Dense(5, activation="softmax", name="answer")(layers.concatenate([merged, mean], name="all"))
    score = layers.Dense(1, name="score")(mean)
    return models.Model([question, text], [answer, score], name="two_way")


def nested():
    """A convolutional base (a Sequential model) and an encoder (a functional one) used as layers."""
    base = models.Sequential([layers.Input((8, 8, 2)), layers.Conv2D(4, 3, activation="relu"),
                              layers.MaxPooling2D(2)], name="conv_base")
    inner_input = Input(shape=(3, 3, 4), name="features")
    flat = layers.Flatten(name="flat")(inner_input)
    encoder = models.Model(inner_input, [layers.Dense(6, name="code")(flat), layers.Dense(2, name="side")(flat)],
                           name="encoder")
    image = Input(shape=(8, 8, 2), name="image")
    code, side = encoder(base(image))
    out = layers.Dense(3, name="out")(layers.concatenate([code, side], name="joined"))
    return models.Model(image, [out, base(image)], name="outer")


def reshape_image():
    """A Reshape to an image, a Dense on every pixel, and an image returned as is (channels first in torch)."""
    return models.Sequential([layers.Input((48,)), layers.Dense(48), layers.Reshape((4, 4, 3)),
                              layers.Conv2D(2, 3, padding="same", activation="softmax"), layers.Dense(3)])


MODELS = {fn.__name__: fn for fn in (mlp, convnet_batch_norm, separable_convnet, stacked_recurrent, keras2_gru,
                                     sequence_convnet, residual_functional, bidirectional_text, embedding_bag, average_of_words,
                                     two_inputs_two_outputs, nested, reshape_image)}


def trained_digits_convnet():
    """A small convnet trained on the 8x8 digits by fit (BatchNormalization's moving statistics then are real)."""
    from pydl import datasets

    (x_train, y_train), _ = datasets.load_digits()
    x = (x_train[:400] / 16.0).astype("float32")[..., None]
    model = models.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(8, 3, activation="relu"),
                               layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y_train[:400], epochs=2, batch_size=32, verbose=0, seed=0)
    return model, [x[:16]]


def functional_chain():
    """A functional model that is a chain: the Keras code must keep its input apart from the running ``x``."""
    inputs = Input(shape=(5, 3), name="steps")
    x = layers.LSTM(6, return_sequences=True, name="reader")(inputs)
    x = layers.GlobalMaxPooling1D(name="strongest")(x)
    return models.Model(inputs, layers.Dense(2, name="out")(x), name="chain")


def flattened_features():
    """Flattened convolution outputs read by other layers than one Dense (batch norm, a concatenation, a shared
    Dense, the model's output): each gets them back in pydl's order in torch."""
    image = Input(shape=(5, 5, 2), name="image")
    features = layers.Flatten(name="features")(layers.Conv2D(3, 2, name="conv")(image))
    pooled = layers.Flatten(name="pooled")(layers.MaxPooling2D(2, name="pool")(image))
    normalized = layers.BatchNormalization(name="normalized")(features)
    shared = layers.Dense(4, name="shared")
    joined = layers.concatenate([normalized, shared(pooled), shared(layers.Dense(8, name="widen")(pooled))],
                                name="joined")
    return models.Model(image, [layers.Dense(2, name="out")(joined), features], name="flattened")


def book_activations():
    """The activation layers of the book's Keras, on images (channels first in torch) and on a vector."""
    return models.Sequential([
        layers.Input((6, 6, 3)), layers.Conv2D(4, 3, padding="same"), layers.LeakyReLU(0.1),
        layers.PReLU(shared_axes=[1, 2]), layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
        layers.PReLU(shared_axes=[2]), layers.ELU(0.7), layers.ReLU(6.0), layers.Softmax(axis=[1, 2]),
        layers.Conv2D(3, 2), layers.Softmax(), layers.Flatten(), layers.Dense(6), layers.PReLU(),
        layers.ReLU(negative_slope=0.2), layers.PReLU(shared_axes=[1]), layers.Dense(2)])


def book_generator():
    """A GAN generator's upsampling: transposed convolutions (Keras' crops, odd and even kernels), upsampling,
    padding and cropping."""
    return models.Sequential([
        layers.Input((4, 5, 3)), layers.Conv2DTranspose(6, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(4, 4, strides=2, padding="same"), layers.Conv2DTranspose(4, 3, activation="tanh"),
        layers.Conv2DTranspose(3, (3, 2), strides=(2, 3), output_padding=(1, 2), use_bias=False),
        layers.UpSampling2D((2, 1)), layers.ZeroPadding2D(((1, 2), (0, 1))), layers.Cropping2D(((2, 1), (1, 3))),
        layers.UpSampling2D(2, interpolation="bilinear"), layers.Conv2D(2, 3, strides=2)])


def book_sequences():
    """Vectors repeated into sequences, axes permuted, steps upsampled, a Dense on every step, noise."""
    return models.Sequential([
        layers.Input((5,)), layers.RepeatVector(4), layers.Permute((2, 1)), layers.UpSampling1D(2),
        layers.TimeDistributed(layers.Dense(3, activation="tanh")), layers.GaussianNoise(0.3),
        layers.Permute((2, 1)), layers.Flatten(), layers.Dense(2)])


def book_video():
    """A convnet on every frame (TimeDistributed Conv2D, pooling, Flatten), then an LSTM over the frames."""
    return models.Sequential([
        layers.Input((3, 8, 8, 2)), layers.TimeDistributed(layers.Conv2D(4, 3, padding="same", activation="relu")),
        layers.TimeDistributed(layers.MaxPooling2D(2)), layers.TimeDistributed(layers.BatchNormalization()),
        layers.TimeDistributed(layers.Flatten()), layers.LSTM(5), layers.Dense(2)])


def book_augmented():
    """Keras 3's preprocessing layers in front of a convnet: Rescaling computes, the Random* layers and
    GaussianNoise only while training (so not in predictions)."""
    return models.Sequential([
        layers.Input((8, 8, 3)), layers.Rescaling(1 / 255, offset=-0.5), layers.RandomFlip("horizontal", seed=1),
        layers.RandomRotation(0.1, seed=2), layers.RandomTranslation(0.1, 0.2, fill_mode="nearest", seed=3),
        layers.RandomZoom(0.2, seed=4), layers.RandomContrast(0.3, seed=5), layers.GaussianNoise(0.1),
        layers.Conv2D(3, 3), layers.Rescaling([1.0, 2.0, 0.5], offset=[0.0, 0.1, 0.0]),
        layers.GlobalAveragePooling2D(), layers.Dense(2)])


MODELS[functional_chain.__name__] = functional_chain
MODELS[flattened_features.__name__] = flattened_features
MODELS.update({fn.__name__: fn for fn in (book_activations, book_generator, book_sequences, book_video,
                                          book_augmented)})
