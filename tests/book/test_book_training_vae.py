"""The book's variational autoencoder (Deep Learning with Python, first edition, 8.4): a custom layer computes the
VAE loss and hands it to ``add_loss``, the model is compiled with ``loss=None`` and fit on images alone
(``fit(x=x_train, y=None, ..., validation_data=(x_test, None))``).

Kept as the book writes it (``Lambda(sampling)`` with ``K``), on pydl's 8x8 digits instead of MNIST (nothing is
downloaded here), with these changes: the encoder and decoder are small Dense stacks for 8x8 images, and the loss
layer receives ``z_mean`` and ``z_log_var`` as inputs instead of reading them as globals (a layer computes on the
data of its inputs only); ``keras.metrics.binary_crossentropy`` is ``pydl.losses.binary_crossentropy``, given the
flattened batch as one sample, which is what the book's flattening makes of it.
"""

import numpy as np

import pydl
from pydl import datasets, layers, losses
from pydl import keras_backend as K
from pydl.models import Model
from tests.learning import assert_below

img_shape = (8, 8, 1)
latent_dim = 2


def sampling(args):
    z_mean, z_log_var = args
    epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim),
                              mean=0., stddev=1.)
    return z_mean + K.exp(z_log_var) * epsilon


class CustomVariationalLayer(layers.Layer):

    def vae_loss(self, x, z_decoded, z_mean, z_log_var):
        x = K.flatten(x)
        z_decoded = K.flatten(z_decoded)
        xent_loss = losses.binary_crossentropy(K.expand_dims(x, 0), K.expand_dims(z_decoded, 0))
        kl_loss = -5e-4 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
        return K.mean(xent_loss + kl_loss)

    def call(self, inputs):
        x, z_decoded, z_mean, z_log_var = inputs
        loss = self.vae_loss(x, z_decoded, z_mean, z_log_var)
        self.add_loss(loss, inputs=inputs)
        # We don't use this output.
        return x


def _digits():
    (x_train, _), (x_test, _) = datasets.load_digits()
    x_train = (x_train.astype("float32") / 16.).reshape(x_train.shape + (1,))
    x_test = (x_test.astype("float32") / 16.).reshape(x_test.shape + (1,))
    return x_train, x_test


def test_the_books_vae_trains_on_its_added_loss_and_reconstructs_held_out_digits():
    pydl.seed(0)
    x_train, x_test = _digits()
    batch_size = 16

    input_img = layers.Input(shape=img_shape)
    x = layers.Flatten()(input_img)
    x = layers.Dense(64, activation='relu')(x)
    x = layers.Dense(32, activation='relu')(x)
    z_mean = layers.Dense(latent_dim)(x)
    z_log_var = layers.Dense(latent_dim)(x)
    z = layers.Lambda(sampling)([z_mean, z_log_var])

    # This is the input where we will feed `z`.
    decoder_input = layers.Input((latent_dim,))
    x = layers.Dense(32, activation='relu')(decoder_input)
    x = layers.Dense(64, activation='relu')(x)
    x = layers.Dense(int(np.prod(img_shape)), activation='sigmoid')(x)
    x = layers.Reshape(img_shape)(x)
    # This is our decoder model.
    decoder = Model(decoder_input, x)
    # We then apply it to `z` to recover the decoded `z`.
    z_decoded = decoder(z)

    # We call our custom layer on the input and the decoded output,
    # to obtain the score. Note that the objective is computed by
    # this special final layer.
    y = CustomVariationalLayer()([input_img, z_decoded, z_mean, z_log_var])

    vae = Model(input_img, y)
    vae.compile(optimizer='rmsprop', loss=None)
    history = vae.fit(x=x_train, y=None, shuffle=True, epochs=20, batch_size=batch_size,
                      validation_data=(x_test, None), verbose=0)

    loss = history.history["loss"]
    assert sorted(history.history) == ["loss", "val_loss"]
    assert_below(loss[-1], 0.8 * loss[0], "VAE training loss after 20 epochs, against 0.8 x the first epoch's")
    # Held out: encode each test digit to its mean code, decode it, and compare with the digit. The bar is what the
    # best single image (the mean training digit) reaches without looking at the input. Measured: 0.57-0.61 of it
    # over seed salts 0-2 and the Haswell and Prescott kernels.
    encoder = Model(input_img, z_mean)
    reconstruction = decoder.predict(encoder.predict(x_test))
    error = float(np.mean((reconstruction - x_test) ** 2))
    mean_digit_error = float(np.mean((x_train.mean(axis=0) - x_test) ** 2))
    assert_below(error, 0.65 * mean_digit_error, "held-out reconstruction MSE against 0.65 x the mean digit's")
