# A DCGAN-style GAN on the 8x8 digits (the book's 8.5, at a small size).
# The generator turns 16 random numbers into a digit: Dense, then Conv2DTranspose doubles 4x4 to 8x8.
# The discriminator tells real digits from generated ones. The GAN model chains the two with the
# discriminator FROZEN, so training the GAN moves only the generator, towards fooling the discriminator.
# Each step, as in the book: generate fakes, train the discriminator on fakes and reals, then train the
# GAN on fresh noise labelled "real". GANs seek an equilibrium, not a minimum: watch both losses hover.
import time
import warnings

import numpy as np

import pydl
from pydl import datasets, layers, optimizers
from pydl.models import Model

latent_dim = 16
(digit_images, digit_labels), (test_images, _) = datasets.load_digits()
digit_images = (digit_images.astype("float32") / 16.).reshape(-1, 8, 8, 1)
test_images = (test_images.astype("float32") / 16.).reshape(-1, 8, 8, 1)

pydl.seed(0)
generator_input = layers.Input(shape=(latent_dim,))
x = layers.Dense(4 * 4 * 32)(generator_input)
x = layers.LeakyReLU()(x)
x = layers.Reshape((4, 4, 32))(x)
x = layers.Conv2DTranspose(16, 4, strides=2, padding='same')(x)  # upsample 4x4 -> 8x8
x = layers.LeakyReLU()(x)
x = layers.Conv2D(1, 3, padding='same', activation='sigmoid')(x)  # ink in [0, 1], as the digits
generator = Model(generator_input, x)

discriminator_input = layers.Input(shape=(8, 8, 1))
x = layers.Conv2D(16, 3, strides=2, padding='same')(discriminator_input)
x = layers.LeakyReLU()(x)
x = layers.Flatten()(x)
x = layers.Dropout(0.3)(x)
x = layers.Dense(1, activation='sigmoid')(x)  # 1: generated, 0: real (the book's labels)
discriminator = Model(discriminator_input, x)
discriminator.compile(optimizer=optimizers.Adam(learning_rate=0.001, beta_1=0.5), loss='binary_crossentropy')

discriminator.trainable = False  # frozen inside the GAN only: it was compiled (and trains) on its own above
# pydl says, as Keras 2 did, that the discriminator's trainable weights changed after its compile():
# here that is the point (its own training keeps the weights chosen at its compile).
warnings.filterwarnings("ignore", message="The trainable weights of model")
gan_input = layers.Input(shape=(latent_dim,))
gan = Model(gan_input, discriminator(generator(gan_input)))
gan.compile(optimizer=optimizers.Adam(learning_rate=0.001, beta_1=0.5), loss='binary_crossentropy')


def nearest_real(images):
    """For each image, the mean squared distance to its nearest real digit, and that digit's label."""
    flat, real = images.reshape(len(images), -1), digit_images.reshape(len(digit_images), -1)
    distances = (flat ** 2).sum(1)[:, None] - 2 * flat @ real.T + (real ** 2).sum(1)[None]
    return np.maximum(distances.min(axis=1), 0) / flat.shape[1], digit_labels[distances.argmin(axis=1)]


rng = np.random.default_rng(0)
probe = rng.normal(size=(200, latent_dim))  # the same noise before and after training
before, _ = nearest_real(generator.predict(probe, verbose=0))

batch_size, steps = 48, 200
started = time.perf_counter()
for step in range(steps):
    random_latent_vectors = rng.normal(size=(batch_size, latent_dim))
    generated_images = generator.predict(random_latent_vectors, verbose=0)
    offset = rng.integers(0, len(digit_images) - batch_size)
    real_images = digit_images[offset:offset + batch_size]
    combined_images = np.concatenate([generated_images, real_images])
    real_fake_labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))])
    real_fake_labels += 0.05 * rng.random(real_fake_labels.shape)  # noisy labels: the book's trick
    d_loss = discriminator.train_on_batch(combined_images, real_fake_labels)

    random_latent_vectors = rng.normal(size=(batch_size, latent_dim))
    misleading_targets = np.zeros((batch_size, 1))  # "these are real"
    a_loss = gan.train_on_batch(random_latent_vectors, misleading_targets)
    if step % 50 == 0 or step == steps - 1:
        print(f"step {step:3d}: discriminator loss {float(d_loss):.3f}, adversarial loss {float(a_loss):.3f}")

after, looks_like = nearest_real(generator.predict(probe, verbose=0))
print(f"{steps} steps in {time.perf_counter() - started:.1f} s")
print(f"distance from a generated digit to its nearest real one: {before.mean():.4f} untrained, "
      f"{after.mean():.4f} trained (a real test digit's: {nearest_real(test_images)[0].mean():.4f})")
print(f"the digits the generated ones look most like: {[int(np.sum(looks_like == d)) for d in range(10)]}")
