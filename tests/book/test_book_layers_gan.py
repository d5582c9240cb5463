"""The book's 8.5 GAN training step, its code with ``keras`` names mapped to pydl's, at a small size (8 x 8 images,
a latent space of 8, fewer filters; the book's 32 x 32 frogs and 256 filters are the same code with bigger numbers):
Conv2DTranspose and LeakyReLU in the generator, a discriminator frozen inside the GAN model."""

import warnings

import numpy as np

import pydl
from pydl import layers, models, optimizers
from tests.learning import assert_below

latent_dim = 8
height = 8
width = 8
channels = 3


def _book_gan():
    generator_input = pydl.Input(shape=(latent_dim,))

    # First, transform the input into a 4x4 16-channels feature map
    x = layers.Dense(16 * 4 * 4)(generator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((4, 4, 16))(x)

    # Then, add a convolution layer
    x = layers.Conv2D(32, 5, padding='same')(x)
    x = layers.LeakyReLU()(x)

    # Upsample to 8x8
    x = layers.Conv2DTranspose(32, 4, strides=2, padding='same')(x)
    x = layers.LeakyReLU()(x)

    # Produce an 8x8 3-channel feature map
    x = layers.Conv2D(channels, 7, activation='tanh', padding='same')(x)
    generator = models.Model(generator_input, x)

    discriminator_input = layers.Input(shape=(height, width, channels))
    x = layers.Conv2D(16, 3)(discriminator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(16, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Flatten()(x)

    # One dropout layer - important trick!
    x = layers.Dropout(0.4)(x)

    # Classification layer
    x = layers.Dense(1, activation='sigmoid')(x)

    discriminator = models.Model(discriminator_input, x)

    # NOTE: the book adds clipvalue=1.0, decay=1e-8 (optimizer options are another part of issue 16)
    discriminator_optimizer = optimizers.RMSprop(lr=0.0008)
    discriminator.compile(optimizer=discriminator_optimizer, loss='binary_crossentropy')

    # Set discriminator weights to non-trainable
    # (will only apply to the `gan` model)
    discriminator.trainable = False

    gan_input = pydl.Input(shape=(latent_dim,))
    gan_output = discriminator(generator(gan_input))
    gan = models.Model(gan_input, gan_output)

    gan_optimizer = optimizers.RMSprop(lr=0.0004)
    gan.compile(optimizer=gan_optimizer, loss='binary_crossentropy')
    return generator, discriminator, gan


def _weights(model):
    return [w.copy() for w in model.get_weights()]


def _book_batch(generator, x_train, rng, batch_size=20):
    """The book's loop body up to the discriminator's step: fakes and reals, labels with noise."""
    random_latent_vectors = rng.normal(size=(batch_size, latent_dim))
    generated_images = generator.predict(random_latent_vectors, verbose=0)
    real_images = x_train[0:batch_size]
    combined_images = np.concatenate([generated_images, real_images])
    labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))])
    labels += 0.05 * rng.random(labels.shape)
    return combined_images, labels


def test_the_gan_step_moves_the_generator_and_leaves_the_frozen_discriminator():
    generator, discriminator, gan = _book_gan()
    assert gan.layers[1] is generator and gan.layers[2] is discriminator
    lines = []
    generator.summary(print_fn=lines.append)
    assert any(line.startswith("conv2d_transpose (Conv2DTranspose)") and "(None, 8, 8, 32)" in line
               and " 16,416 " in line for line in lines)  # 4 * 4 * 32 * 32 + 32, as Keras counts
    rng = np.random.default_rng(0)
    batch_size = 20
    discriminator_before, generator_before = _weights(discriminator), _weights(generator)

    # the book's step for the generator
    random_latent_vectors = rng.normal(size=(batch_size, latent_dim))
    misleading_targets = np.zeros((batch_size, 1))
    a_loss = gan.train_on_batch(random_latent_vectors, misleading_targets)

    for a, b in zip(discriminator_before, _weights(discriminator)):
        np.testing.assert_array_equal(a, b)  # frozen inside the GAN: not one value moved
    moved = [not np.array_equal(a, b) for a, b in zip(generator_before, _weights(generator))]
    assert all(moved) and len(moved) == 8  # every generator kernel and bias, Conv2DTranspose's included
    assert np.isfinite(a_loss)


def test_the_book_loop_alternates_discriminator_and_gan_steps():
    """The loop of the book as printed: the discriminator, frozen after it was compiled, still trains in its own
    step (its compile chose its weights, as Keras 2 did, and warned as Keras 2 did) and stays frozen in the GAN."""
    generator, discriminator, gan = _book_gan()
    rng = np.random.default_rng(0)
    x_train = rng.random((60, height, width, channels)).astype("float32")  # the "real" images
    for step in range(3):
        combined_images, labels = _book_batch(generator, x_train, rng)
        before = _weights(discriminator)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d_loss = discriminator.train_on_batch(combined_images, labels)
        said = [str(w.message) for w in caught if "changed after it was compiled" in str(w.message)]
        assert len(said) == (1 if step == 0 else 0)  # once per compile, not once per step
        assert all(not np.array_equal(a, b) for a, b in zip(before, _weights(discriminator)))
        frozen, generator_before = _weights(discriminator), _weights(generator)
        random_latent_vectors = rng.normal(size=(20, latent_dim))
        a_loss = gan.train_on_batch(random_latent_vectors, np.zeros((20, 1)))
        assert all(np.array_equal(a, b) for a, b in zip(frozen, _weights(discriminator)))
        assert all(not np.array_equal(a, b) for a, b in zip(generator_before, _weights(generator)))
        assert np.isfinite(d_loss) and np.isfinite(a_loss)


def test_gan_steps_lower_the_adversarial_loss_on_a_fixed_discriminator():
    """The generator learns to fool the frozen discriminator: 30 GAN steps on fixed latent vectors lower the
    adversarial loss (the discriminator's verdict on the fakes moves towards "real")."""
    pydl.backend.set_floatx("float64")
    generator, discriminator, gan = _book_gan()
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(20, latent_dim))
    targets = np.zeros((20, 1))
    first = gan.evaluate(latent, targets, verbose=0)
    for _ in range(30):
        gan.train_on_batch(latent, targets)
    assert_below(gan.evaluate(latent, targets, verbose=0), first - 0.1, "adversarial loss after 30 GAN steps")
