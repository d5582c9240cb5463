"""A GAN on 2-D points, built and trained as the book does it (chapter 8.5), with pydl's Keras API.

The generator turns 2-D noise, uniform in ``[-1, 1]^2`` (so that its deformation of the noise square can be drawn),
into points; the discriminator outputs the probability that a point is real. The book's recipe, exactly: compile
the discriminator, set ``discriminator.trainable = False``, then compile
``gan = Model(z, discriminator(generator(z)))``, so that training ``gan`` moves only the generator (pydl fixes what
trains at compile, Keras 2's rule).

One training step is k discriminator steps, then one generator step, each the book's six steps:
draw noise, generate, mix with real points, label them (1 real, 0 generated; the book uses the opposite
convention), train D on the mix, and train G through the frozen D with "all real" labels.

>>> from pydl.lessons.generative.targets import make_target
>>> training = GanTraining(GanSettings(seed=1), make_target("ring"))
>>> losses = training.step()
>>> sorted(losses), training.steps
(['d_loss', 'g_loss'], 1)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pydl
from pydl import layers, models, optimizers
from pydl.backend import np
from pydl.lessons.generative.targets import Target

__all__ = ["NOISE_DIM", "OPTIMIZERS", "ACTIVATIONS", "SETTINGS_LIMITS", "GanSettings", "build_generator",
           "build_discriminator", "build_gan", "make_optimizer", "draw_noise", "GanTraining"]

NOISE_DIM = 2
OPTIMIZERS = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}
ACTIVATIONS = ("relu", "tanh", "leaky_relu", "elu", "sigmoid")
# Sizes that train a few steps per 0.05 s slice in the browser; rates past 1 only diverge.
SETTINGS_LIMITS = {"layers": (1, 4), "units": (1, 64), "rate": (1e-5, 1.0), "k": (1, 10), "batch_size": (8, 256),
                   "seed": (0, 2**31 - 1)}
# Past this, generated points have left the plane for good: a diverged run, stopped with a message.
DIVERGED_DISTANCE = 1e3


@dataclass(frozen=True)
class GanSettings:
    """Everything a learner chooses (the page's fields: :func:`pydl.lessons.generative.gan_checks.check_settings`)."""

    generator_units: tuple = (16, 16)
    discriminator_units: tuple = (16, 16)
    activation: str = "relu"
    optimizer: str = "adam"
    generator_rate: float = 0.002
    discriminator_rate: float = 0.002
    k: int = 1  # discriminator steps per generator step
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self):
        """Refuse what cannot train, naming the argument (the page's fields are checked before, with their labels)."""
        for name in ("generator_units", "discriminator_units"):
            units = getattr(self, name)
            low, high = SETTINGS_LIMITS["layers"]
            if not (isinstance(units, tuple) and low <= len(units) <= high and all(
                    isinstance(u, int) and SETTINGS_LIMITS["units"][0] <= u <= SETTINGS_LIMITS["units"][1]
                    for u in units)):
                raise ValueError(f"GanSettings: {name} must be a tuple of {low} to {high} layer sizes, each "
                                 f"{SETTINGS_LIMITS['units'][0]} to {SETTINGS_LIMITS['units'][1]}; got {units!r}.")
        for name, allowed in (("activation", ACTIVATIONS), ("optimizer", tuple(OPTIMIZERS))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"GanSettings: {name} must be one of {', '.join(allowed)}; got "
                                 f"{getattr(self, name)!r}.")
        for name, limits in (("generator_rate", "rate"), ("discriminator_rate", "rate"), ("k", "k"),
                             ("batch_size", "batch_size"), ("seed", "seed")):
            low, high = SETTINGS_LIMITS[limits]
            value = getattr(self, name)
            whole = limits != "rate"
            if not (isinstance(value, (int, float)) and low <= value <= high) or (whole and value != int(value)):
                raise ValueError(f"GanSettings: {name} must be {'a whole number' if whole else 'a number'} "
                                 f"from {low:g} to {high:g}; got {value!r}.")


def make_optimizer(name: str, rate: float):
    """The optimizer called ``name`` (a key of :data:`OPTIMIZERS`) at learning rate ``rate``. Adam gets
    ``beta_1=0.5``, the DCGAN paper's advice for GANs: a shorter memory of old gradients suits a moving target."""
    if name == "adam":
        return optimizers.Adam(learning_rate=rate, beta_1=0.5)
    return getattr(optimizers, OPTIMIZERS[name])(learning_rate=rate)


def build_generator(units, activation: str):
    """Noise ``(batch, 2)`` -> points ``(batch, 2)``: Dense layers of ``units`` each, then a linear Dense(2)."""
    noise = layers.Input(shape=(NOISE_DIM,), name="noise")
    hidden = noise
    for size in units:
        hidden = layers.Dense(size, activation=activation)(hidden)
    return models.Model(noise, layers.Dense(2, name="point")(hidden), name="generator")


def build_discriminator(units, activation: str):
    """Points ``(batch, 2)`` -> the probability that each is real ``(batch, 1)``."""
    point = layers.Input(shape=(2,), name="point")
    hidden = point
    for size in units:
        hidden = layers.Dense(size, activation=activation)(hidden)
    return models.Model(point, layers.Dense(1, activation="sigmoid", name="real")(hidden), name="discriminator")


def build_gan(settings: GanSettings) -> tuple:
    """``(generator, discriminator, gan)``, seeded by ``settings.seed``, wired and compiled as the book does."""
    pydl.seed(settings.seed)
    generator = build_generator(settings.generator_units, settings.activation)
    discriminator = build_discriminator(settings.discriminator_units, settings.activation)
    discriminator.compile(optimizer=make_optimizer(settings.optimizer, settings.discriminator_rate),
                          loss="binary_crossentropy")
    discriminator.trainable = False  # only inside gan: compile above fixed that the discriminator trains on its own
    noise = layers.Input(shape=(NOISE_DIM,), name="noise")
    gan = models.Model(noise, discriminator(generator(noise)), name="gan")
    gan.compile(optimizer=make_optimizer(settings.optimizer, settings.generator_rate), loss="binary_crossentropy")
    return generator, discriminator, gan


def draw_noise(count: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, (count, NOISE_DIM))


class GanTraining:
    """A GAN and its target, stepped one training step (k D steps + 1 G step) at a time.

    ``history`` holds one ``(step, d_loss, g_loss)`` per step; ``stopped`` is None while training can go on, else
    the reason it cannot (NaN, or points gone far out of the plane), said for a learner.
    """

    def __init__(self, settings: GanSettings, target: Target):
        self.settings, self.target = settings, target
        self.generator, self.discriminator, self.gan = build_gan(settings)
        self.rng = np.random.default_rng(settings.seed)
        self.steps = 0
        self.history = []
        self.stopped = None
        self.last_generated = None  # the generated points of the last D step, checked for divergence

    def generate(self, noise: np.ndarray) -> np.ndarray:
        return self.generator.predict(noise, verbose=0)

    def discriminator_step(self) -> float:
        """Steps 1-5: noise, generated points, mixed with as many real ones, labelled, D trained on the mix."""
        size = self.settings.batch_size
        generated = self.last_generated = self.generate(draw_noise(size, self.rng))
        mixed = np.concatenate([generated, self.target.sample(size, self.rng)])
        labels = np.concatenate([np.zeros((size, 1)), np.ones((size, 1))])
        with warnings.catch_warnings():
            # The book's pattern on purpose: D was frozen after its compile, and still trains (Keras 2's rule).
            warnings.filterwarnings("ignore", message="The trainable weights of model")
            return float(self.discriminator.train_on_batch(mixed, labels))

    def generator_step(self) -> float:
        """Step 6: fresh noise through the frozen D, every point labelled real: G learns to fool D."""
        size = self.settings.batch_size
        return float(self.gan.train_on_batch(draw_noise(size, self.rng), np.ones((size, 1))))

    def discriminator_phase(self) -> float:
        """The k discriminator steps of one training step; returns their mean loss."""
        return sum(self.discriminator_step() for _ in range(self.settings.k)) / self.settings.k

    def step(self) -> dict:
        """One training step; returns its losses (D's: the mean of its k steps). Does nothing once stopped."""
        if self.stopped is not None:
            return {}
        return self.record(self.discriminator_phase(), self.generator_step())

    def record(self, d_loss: float, g_loss: float) -> dict:
        """Count a finished training step (k D steps, then the G step) and check it did not diverge."""
        self.steps += 1
        self.history.append((self.steps, d_loss, g_loss))
        self.stopped = self.divergence(d_loss, g_loss)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def divergence(self, d_loss: float, g_loss: float) -> str | None:
        """Why training cannot go on, or None: a NaN loss, or generated points far outside the plane."""
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            return (f"Training stopped at step {self.steps}: a loss became NaN or infinite (D {d_loss:.3g}, "
                    f"G {g_loss:.3g}). The learning rates are too high for {self.settings.optimizer}: lower them "
                    "(try 0.002) and train again.")
        probe = self.last_generated
        distance = float(np.abs(probe).max()) if np.isfinite(probe).all() else math.inf
        if distance > DIVERGED_DISTANCE:
            return (f"Training stopped at step {self.steps}: the generated points flew off to {distance:.3g} "
                    f"from the centre (the plane is ±2). Lower the generator's learning rate and train again.")
        return None

    def losses(self) -> dict:
        """The history as three lists: ``{"step": [...], "d_loss": [...], "g_loss": [...]}``."""
        steps, d, g = zip(*self.history) if self.history else ((), (), ())
        return {"step": list(steps), "d_loss": list(d), "g_loss": list(g)}
