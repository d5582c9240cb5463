"""A VAE's map of the digits: everything the generative page's VAE cards compute, importable and tested natively.

The model is the book's code in :mod:`.vae_code` (run as the page shows it), trained on ``pydl.datasets.
load_digits`` (the 8x8 digits of the convnet and rnn pages: 1437 training and 360 test images) in slices of its own
``training_loop`` (``fit``'s loop), so a page can pause or stop between slices. After each epoch the two terms of
the loss are measured on the held-out test digits, apart: reconstruction (nats per digit) and KL (nats per digit).

>>> values, message = check_training({"kl_weight": "-1", "epochs": "5", "learning_rate": "0.003"})
>>> values, message
(None, 'KL weight must be at least 0, got -1.')
"""

from __future__ import annotations

import pydl
from pydl.backend import np
from pydl.lessons.convnet import WallClock, progress, train_slice
from pydl.lessons.generative.vae_code import CODE, TRAIN_CODE, run_code
from pydl.lessons.gradient_descent.validation import InputError, parse_number

__all__ = ["CODE_TEXT", "VAE_DEFAULTS", "VAE_LIMITS", "FIELD_LABELS", "BATCH_SIZE", "check_training", "VAELesson", "loss_terms",
           "latent_means", "decode", "decode_grid", "plane_bounds", "centroid_accuracy", "map_report"]

# 30 epochs of a 64-unit VAE take about 2 s natively: short enough to watch the map form in the browser.
VAE_DEFAULTS = {"kl_weight": 1.0, "epochs": 30, "learning_rate": 0.003}
VAE_LIMITS = {"kl_weight": (0.0, 50.0), "epochs": (1, 200), "learning_rate": (1e-4, 0.1)}
FIELD_LABELS = {"kl_weight": "KL weight", "epochs": "Epochs", "learning_rate": "Learning rate"}
BATCH_SIZE = 32
# The page's "the code" box and the lab's VAE cell: the code the lesson runs, then the fit that the page steps.
CODE_TEXT = CODE + "\n\n" + TRAIN_CODE
# Below this RMS distance from the origin the test digits' means have collapsed onto one point: the KL term won and
# the decoder ignores its input (measured: 0.01-0.02 at KL weight 10, 0.9-1.3 at 1, 3-5 at 0).
COLLAPSED_SPREAD = 0.1


def check_training(raw: dict) -> tuple:
    """``(values, None)`` from the page's fields (text as typed), or ``(None, message)`` naming the wrong field."""
    try:
        values = {key: parse_number(raw.get(key, ""), FIELD_LABELS[key], *VAE_LIMITS[key], integer=key == "epochs")
                  for key in FIELD_LABELS}
    except InputError as error:
        return None, str(error)
    return values, None


def loss_terms(code: dict, encoder, decoder, x, seed: int = 0) -> dict:
    """The two terms of the VAE loss on images ``x``, each the mean over the images of nats per image, measured
    with the code's own ``reconstruction_loss`` and ``kl_loss``: ``{"reconstruction", "kl"}``.

    The reconstruction decodes one sampled code per image, with noise drawn from ``seed`` (not pydl's generator, so
    measuring changes nothing in training and the same weights always measure the same).
    """
    z_mean, z_log_var = encoder.predict(x, batch_size=512, verbose=0)
    noise = np.random.default_rng(seed).standard_normal(z_mean.shape).astype(z_mean.dtype)
    decoded = decoder.predict(z_mean + np.exp(0.5 * z_log_var) * noise, batch_size=512, verbose=0)
    reconstruction = code["reconstruction_loss"](x, decoded).numpy()
    kl = code["kl_loss"](z_mean, z_log_var).numpy()
    return {"reconstruction": float(np.mean(reconstruction)), "kl": float(np.mean(kl))}


def latent_means(encoder, x):
    """(n, 2) float64: where the encoder puts each image's code (z_mean, without the sampling noise)."""
    return np.asarray(encoder.predict(x, batch_size=512, verbose=0)[0], dtype=np.float64)


def decode(decoder, point):
    """The digit the decoder draws for one point ``(z1, z2)`` of the latent plane: (8, 8) float64 ink in [0, 1]."""
    point = np.asarray(point, dtype=np.float64).reshape(-1)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"decode: a point of the latent plane is two finite numbers (z1, z2), got {point.tolist()}.")
    return np.asarray(decoder.predict(point[None], verbose=0)[0, :, :, 0], dtype=np.float64)


def decode_grid(decoder, bounds: tuple, n: int = 9):
    """(n, n, 8, 8): the decoded digits at an n x n grid of points spanning ``bounds = (low, high)`` on both axes,
    row 0 at the top (largest z2), column 0 at the left (smallest z1), as the plane is drawn."""
    if int(n) != n or not 2 <= n <= 30:
        raise ValueError(f"decode_grid: n (points per side) must be a whole number from 2 to 30, got {n!r}.")
    low, high = (float(b) for b in bounds)
    if not low < high:
        raise ValueError(f"decode_grid: bounds must be (low, high) with low < high, got ({low}, {high}).")
    steps = np.linspace(low, high, int(n))
    z1, z2 = np.meshgrid(steps, steps[::-1])
    points = np.stack([z1.ravel(), z2.ravel()], axis=1)
    images = decoder.predict(points, batch_size=512, verbose=0)[..., 0]
    return np.asarray(images, dtype=np.float64).reshape(int(n), int(n), 8, 8)


def plane_bounds(means) -> tuple:
    """A square ``(low, high)`` for drawing the latent plane: it holds all but the 1 % most extreme coordinates of
    ``means`` with a 15 % margin, and at least the standard normal's +-2 (the prior every code is pulled towards)."""
    means = np.asarray(means, dtype=np.float64)
    reach = float(np.percentile(np.abs(means), 99)) * 1.15 if len(means) else 0.0
    reach = max(reach, 2.0)
    return -reach, reach


def centroid_accuracy(train_means, y_train, test_means, y_test) -> float:
    """How well the classes separate in the plane: each test digit's mean is given the class of the nearest class
    centroid of the training digits' means; the fraction right (chance: about 0.1)."""
    train_means, test_means = np.asarray(train_means, dtype=np.float64), np.asarray(test_means, dtype=np.float64)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    classes = np.unique(y_train)
    centroids = np.stack([train_means[y_train == c].mean(axis=0) for c in classes])
    distances = ((test_means[:, None, :] - centroids[None]) ** 2).sum(axis=-1)
    return float(np.mean(classes[distances.argmin(axis=1)] == y_test))


def map_report(kl_weight: float, terms: dict, spread: float, accuracy: float, baseline: float) -> str:
    """One or two sentences on what the KL weight did to the map, from the measured numbers."""
    pct = f"{100 * accuracy:.0f} %"
    separation = (f"A nearest-centroid rule names {pct} of the test digits from their two numbers alone "
                  f"(an untrained encoder: {100 * baseline:.0f} %).")
    if spread < COLLAPSED_SPREAD:
        return (f"The KL term won (KL weight {kl_weight:g}): the digits' codes sit at an RMS distance of "
                f"{spread:.3f} from the origin and the KL term is {terms['kl']:.2f} nats, so the decoder learns to "
                f"ignore its input and draws much the same blurry digit everywhere. {separation} Lower the KL weight.")
    if kl_weight == 0:
        return (f"With no KL pull the codes spread as far as helps reconstruction (RMS distance {spread:.2f} from "
                f"the origin; the KL term is {terms['kl']:.1f} nats): a map with gaps, where points between the "
                f"clusters decode to nothing in particular. {separation}")
    return (f"KL weight {kl_weight:g} keeps the codes near a standard normal (RMS distance {spread:.2f} from the "
            f"origin, KL term {terms['kl']:.2f} nats) while they still tell the digits apart, so the whole plane "
            f"decodes to digit-like images. {separation}")


class VAELesson:
    """One VAE (the book's code with ``values`` from :func:`check_training`) trained in slices on the digits.

    ``terms`` holds, per finished epoch, :func:`loss_terms` on the test digits; ``loop.history`` holds ``fit``'s
    training loss. ``baseline`` is :func:`centroid_accuracy` of the same architecture untrained (seeded alike):
    what the map must beat to say the classes separate because of training.
    """

    def __init__(self, values: dict, seed: int = 0):
        self.values, self.seed = dict(values), seed
        self.code = code = run_code()
        self.x_train, self.y_train, self.x_test, self.y_test = code["load_images"]()
        pydl.seed(seed)
        self.encoder, self.decoder, self.vae = code["build_vae"](values["kl_weight"],
                                                                 learning_rate=values["learning_rate"])
        self.baseline = self.separation()
        # fit's arguments in TRAIN_CODE, unseeded as there: the same numbers as the code box's fit, bit for bit
        self.loop = self.vae.training_loop(self.x_train, None, batch_size=BATCH_SIZE, epochs=values["epochs"],
                                           validation_data=(self.x_test, None), verbose=0)
        self.terms: list = []
        self.clock = WallClock()

    @property
    def done(self) -> bool:
        return self.loop.done

    @property
    def progress(self) -> float:
        """Fraction of the epochs done, 0 to 1."""
        return progress(self.loop) / self.values["epochs"]

    def step(self, max_seconds: float = 0.05) -> dict | None:
        """Train for about ``max_seconds`` (never past an epoch's end); the epoch's loss terms if it finished one."""
        if self.loop.done:
            return None
        if self.clock.seconds() == 0.0:
            self.clock.start()
        if not train_slice(self.loop, max_seconds):
            return None
        self.terms.append(loss_terms(self.code, self.encoder, self.decoder, self.x_test, self.seed))
        return {"epoch": self.loop.epoch, "loss": self.loop.history.history["loss"][-1], **self.terms[-1]}

    def train(self) -> None:
        """Run the rest of the training at once (what the tests do)."""
        while not self.done:
            self.step(1.0)

    def test_means(self):
        return latent_means(self.encoder, self.x_test)

    def separation(self, test_means=None) -> float:
        """:func:`centroid_accuracy` of the model as it is now (``test_means``: the test digits' means, if known)."""
        test_means = self.test_means() if test_means is None else test_means
        return centroid_accuracy(latent_means(self.encoder, self.x_train), self.y_train, test_means, self.y_test)

    def summary(self) -> dict:
        """What the map card shows now: the test means with their classes, the plane's bounds, the spread, the
        separation and its baseline, the latest loss terms and the sentence on the KL weight."""
        means = self.test_means()
        terms = self.terms[-1] if self.terms else loss_terms(self.code, self.encoder, self.decoder, self.x_test,
                                                             self.seed)
        spread = float(np.sqrt(np.mean(np.sum(means ** 2, axis=1))))
        accuracy = self.separation(means)
        return {"means": means, "labels": np.asarray(self.y_test), "bounds": plane_bounds(means), "spread": spread,
                "accuracy": accuracy, "baseline": self.baseline, "terms": terms,
                "report": map_report(self.values["kl_weight"], terms, spread, accuracy, self.baseline)}
