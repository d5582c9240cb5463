"""The GAN card's "the code" box: the Keras-style script of the run the page trains, written out for the learner's
settings. Run natively or in the lab, it computes the same numbers as :class:`~.gan.GanTraining` with those settings
(tests/lessons/test_gan_code.py executes the text and compares the weights).

>>> text = gan_code(GanSettings(k=2), "ring", steps=10)
>>> "discriminator.trainable = False" in text and "for _ in range(2):" in text
True
"""

from __future__ import annotations

from pydl.lessons.generative.gan import GanSettings

__all__ = ["gan_code"]

_TEMPLATE = '''\
import numpy as np
import pydl
from pydl import layers, models, optimizers
from pydl.lessons.generative.targets import make_target

target = make_target({target_args})   # the real points: target.sample(count, rng)
batch_size = {batch_size}
pydl.seed({seed})                      # the weights' initial values
rng = np.random.default_rng({seed})    # noise and real points


def dense_stack(inputs, units, activation):
    hidden = inputs
    for size in units:
        hidden = layers.Dense(size, activation=activation)(hidden)
    return hidden


noise = layers.Input(shape=(2,), name="noise")    # uniform in [-1, 1]^2
generator = models.Model(noise, layers.Dense(2, name="point")(dense_stack(noise, {g_units}, "{activation}")),
                         name="generator")
point = layers.Input(shape=(2,), name="point")
discriminator = models.Model(point, layers.Dense(1, activation="sigmoid", name="real")(
    dense_stack(point, {d_units}, "{activation}")), name="discriminator")
discriminator.compile(optimizer={d_optimizer}, loss="binary_crossentropy")

discriminator.trainable = False  # frozen inside gan only: its own compile above already fixed that it trains
gan_input = layers.Input(shape=(2,), name="noise")
gan = models.Model(gan_input, discriminator(generator(gan_input)), name="gan")
gan.compile(optimizer={g_optimizer}, loss="binary_crossentropy")

for step in range({steps}):
    for _ in range({k}):  # k discriminator steps per generator step
        random_noise = rng.uniform(-1.0, 1.0, (batch_size, 2))                       # 1. draw noise
        generated = generator.predict(random_noise, verbose=0)                      # 2. generate points
        combined = np.concatenate([generated, target.sample(batch_size, rng)])      # 3. mix with real ones
        labels = np.concatenate([np.zeros((batch_size, 1)), np.ones((batch_size, 1))])  # 4. 0 fake, 1 real
        d_loss = discriminator.train_on_batch(combined, labels)                     # 5. train D
    random_noise = rng.uniform(-1.0, 1.0, (batch_size, 2))
    misleading = np.ones((batch_size, 1))                                           # 6. "all real"
    g_loss = gan.train_on_batch(random_noise, misleading)                           #    train G through frozen D
    if step % 500 == 0:
        print(f"step {{step}}: D loss {{d_loss:.3f}}, G loss {{g_loss:.3f}}")

samples = generator.predict(rng.uniform(-1.0, 1.0, (1000, 2)), verbose=0)
print("generated mean", samples.mean(axis=0).round(2), "spread", samples.std(axis=0).round(2))
'''


def _optimizer(name: str, rate: float) -> str:
    if name == "adam":
        return f"optimizers.Adam(learning_rate={rate!r}, beta_1=0.5)"  # beta_1: see gan.make_optimizer
    return {"rmsprop": "optimizers.RMSprop", "sgd": "optimizers.SGD"}[name] + f"(learning_rate={rate!r})"


def gan_code(settings: GanSettings, target_name: str, drawn=None, steps: int = 2000) -> str:
    """The script for ``settings`` on the target ``target_name`` (with its ``drawn`` points), ``steps`` steps."""
    target_args = repr(target_name)
    if target_name == "drawn":
        target_args += ", " + repr([[round(float(x), 3), round(float(y), 3)] for x, y in drawn])
    return _TEMPLATE.format(
        target_args=target_args, batch_size=settings.batch_size, seed=settings.seed, steps=steps, k=settings.k,
        g_units=list(settings.generator_units), d_units=list(settings.discriminator_units),
        activation=settings.activation, d_optimizer=_optimizer(settings.optimizer, settings.discriminator_rate),
        g_optimizer=_optimizer(settings.optimizer, settings.generator_rate))
