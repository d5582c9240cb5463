"""The VAE as the book writes it (Deep Learning with Python, 8.4), as text: what the page shows in its "the code"
box and what it runs. :func:`run_code` executes :data:`CODE` into a fresh namespace, so the page's model is built by
exactly these lines; :data:`TRAIN_CODE` is how the box (and the lab's VAE cell) trains it with ``fit``.

NOTE: text, not module code, because the book's loss layer is the learner's own ``Layer`` subclass called on a list
of four tensors, which pydl allows for layers written outside the ``pydl`` package (its own layers take one input).
"""

__all__ = ["CODE", "TRAIN_CODE", "run_code"]

CODE = '''# A variational autoencoder with a 2-D latent space, written as the book's Keras code (Deep Learning with
# Python, 8.4) on pydl's 8x8 digits. The encoder squeezes each digit into a mean and a log-variance of two
# numbers; the sampling layer draws a point near that mean; the decoder turns the point back into a digit.
# The loss is added by a layer: reconstruction (how far the decoded digit is from the input) plus
# kl_weight x KL (how far each digit's cloud of codes is from a standard normal), so compile() gets loss=None.
import numpy as np

import pydl
from pydl import datasets, layers, losses
from pydl import keras_backend as K
from pydl.models import Model

img_shape = (8, 8, 1)
pixels = 64
latent_dim = 2


def sampling(args):
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0., stddev=1.)
    # exp(log_var / 2) is the standard deviation (the book's listing writes exp(z_log_var), the variance)
    return z_mean + K.exp(0.5 * z_log_var) * epsilon


def reconstruction_loss(x, z_decoded):
    """Binary cross-entropy summed over the 64 pixels: one value per digit."""
    return pixels * losses.binary_crossentropy(K.batch_flatten(x), K.batch_flatten(z_decoded))


def kl_loss(z_mean, z_log_var):
    """KL divergence of each digit's code distribution from a standard normal: one value per digit."""
    return -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)


class VAELoss(layers.Layer):
    """Adds mean(reconstruction + kl_weight * KL) with add_loss; passes the input image through."""

    def __init__(self, kl_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight

    def call(self, inputs):
        x, z_decoded, z_mean, z_log_var = inputs
        loss = reconstruction_loss(x, z_decoded) + self.kl_weight * kl_loss(z_mean, z_log_var)
        self.add_loss(K.mean(loss), inputs=inputs)
        return x

    def get_config(self):
        return {**super().get_config(), "kl_weight": self.kl_weight}


def build_vae(kl_weight=1.0, hidden=64, learning_rate=0.003):
    """The encoder (digit -> z_mean, z_log_var), the decoder (z -> digit) and the VAE that trains both."""
    input_img = layers.Input(shape=img_shape)
    x = layers.Flatten()(input_img)
    x = layers.Dense(hidden, activation='relu')(x)
    z_mean = layers.Dense(latent_dim, name='z_mean')(x)
    z_log_var = layers.Dense(latent_dim, name='z_log_var')(x)
    z = layers.Lambda(sampling)([z_mean, z_log_var])
    encoder = Model(input_img, [z_mean, z_log_var], name='encoder')

    decoder_input = layers.Input((latent_dim,))
    x = layers.Dense(hidden, activation='relu')(decoder_input)
    x = layers.Dense(pixels, activation='sigmoid')(x)
    x = layers.Reshape(img_shape)(x)
    decoder = Model(decoder_input, x, name='decoder')

    z_decoded = decoder(z)
    y = VAELoss(kl_weight)([input_img, z_decoded, z_mean, z_log_var])
    vae = Model(input_img, y, name='vae')
    vae.compile(optimizer=pydl.optimizers.Adam(learning_rate=learning_rate), loss=None)
    return encoder, decoder, vae


def load_images():
    """The digits as (n, 8, 8, 1) float32 ink in [0, 1], with their labels."""
    (x_train, y_train), (x_test, y_test) = datasets.load_digits()
    x_train = (x_train.astype('float32') / 16.).reshape(x_train.shape + (1,))
    x_test = (x_test.astype('float32') / 16.).reshape(x_test.shape + (1,))
    return x_train, y_train, x_test, y_test
'''

TRAIN_CODE = '''train_images, train_labels, test_images, test_labels = load_images()
pydl.seed(0)
encoder, decoder, vae = build_vae(kl_weight=1.0)
vae_history = vae.fit(train_images, None, epochs=30, batch_size=32, validation_data=(test_images, None),
                      verbose=0)
'''


def run_code() -> dict:
    """A namespace with :data:`CODE` run in it: ``build_vae``, ``load_images``, ``sampling``, ``VAELoss``,
    ``reconstruction_loss``, ``kl_loss``, ``latent_dim``, ..."""
    namespace = {"__name__": "vae_code"}
    exec(compile(CODE, "<the VAE code>", "exec"), namespace)
    return namespace
