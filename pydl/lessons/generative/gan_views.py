"""What the GAN cards show, each computed from the models: D's decision surface, G's manifold, the gradient arrows
on the generated points, and one JSON-ready frame holding them all.

>>> import numpy as np
>>> from pydl.lessons.generative.gan import GanSettings, GanTraining
>>> from pydl.lessons.generative.targets import make_target
>>> training = GanTraining(GanSettings(seed=1), make_target("ring"))
>>> decision_surface(training.discriminator, 5).shape, len(manifold(training.generator, lines=3, points=4))
((5, 5), 6)
"""

from __future__ import annotations

import pydl
from pydl import losses
from pydl.backend import np
from pydl.lessons.generative.diagnosis import diagnose
from pydl.lessons.generative.targets import VIEW

__all__ = ["grid_points", "predict", "decision_surface", "manifold", "generator_gradients", "FrameSampler", "frame", "rounded",
           "target_preview"]

SURFACE_SIZE = 40  # cells a side of the heat map: smooth enough on a 400 px canvas, 1,600 D evaluations
SHOWN_POINTS = 200  # real and generated points drawn each frame
ARROW_POINTS = 60  # generated points that get an arrow: more would hide the points themselves


def grid_points(size: int) -> np.ndarray:
    """The centres of a ``size`` x ``size`` grid over the plane, row by row from the top (y = +VIEW) down."""
    centres = (np.arange(size) + 0.5) / size * 2 * VIEW - VIEW
    x, y = np.meshgrid(centres, centres[::-1])
    return np.stack([x.ravel(), y.ravel()], axis=1)


def predict(model, inputs: np.ndarray) -> np.ndarray:
    """``model.predict`` in one batch, float64: the page draws a few thousand points a frame, and predict's default
    batches of 32 cost 50 calls for the heat map alone (measured: 63 ms instead of 2 ms natively)."""
    return np.asarray(model.predict(inputs, batch_size=len(inputs), verbose=0), dtype=np.float64)


def decision_surface(discriminator, size: int = SURFACE_SIZE) -> np.ndarray:
    """D's probability "real" at each cell of a ``size`` x ``size`` grid (rows from the top), float64."""
    return predict(discriminator, grid_points(size)).reshape(size, size)


def manifold(generator, lines: int = 9, points: int = 25) -> list:
    """Where G sends the noise square's grid lines: ``2 * lines`` polylines, each ``(points, 2)`` float64.

    The first ``lines`` run along noise x (one per noise y), the rest along noise y: the drawn grid is the noise
    plane as G deforms it, so folds and stretches show where G piles up or spreads out its points.
    """
    ticks, along = np.linspace(-1.0, 1.0, lines), np.linspace(-1.0, 1.0, points)
    rows = [np.stack([along, np.full(points, t)], axis=1) for t in ticks]
    columns = [np.stack([np.full(points, t), along], axis=1) for t in ticks]
    noise = np.concatenate(rows + columns)
    mapped = predict(generator, noise)
    return list(mapped.reshape(2 * lines, points, 2))


def generator_gradients(discriminator, fakes: np.ndarray) -> np.ndarray:
    """The gradient of G's loss with respect to each generated point, ``(n, 2)``.

    G's loss on a point x is the binary cross-entropy of D(x) against the label "real": -log D(x). Summed over
    the points (not averaged), so each row is that point's own gradient, whatever the batch size. G moves its
    points against it: ``-gradient`` is where G wants each point to go.
    """
    points = pydl.tensor(np.asarray(fakes), requires_grad=True)
    probability = discriminator(points, training=False)
    # the very loss gan.train_on_batch minimises (per point), so the arrows are its gradient and nothing else
    loss = losses.binary_crossentropy(np.ones((len(fakes), 1)), probability).sum()
    loss.backward()
    return np.asarray(points.grad, dtype=np.float64)


class FrameSampler:
    """Fixed noise and real points for the frames, so that from one frame to the next the same generated points
    move (and arrows follow them) instead of a fresh random cloud each time."""

    def __init__(self, target, seed: int = 0):
        rng = np.random.default_rng(seed + 1)
        self.noise = rng.uniform(-1.0, 1.0, (SHOWN_POINTS, 2))
        self.reals = target.sample(SHOWN_POINTS, rng)

    def reals_shown(self) -> list:
        return rounded(self.reals)


def rounded(array, digits: int = 3) -> list:
    """An array as nested lists of floats rounded to ``digits`` (a thousandth of the plane: finer than a pixel)."""
    return np.round(np.asarray(array, dtype=np.float64), digits).tolist()


def frame(training, sampler: FrameSampler, surface_size: int = SURFACE_SIZE) -> dict:
    """Everything the plane and the status show at this moment, as lists of numbers (JSON-ready).

    Keys: ``reals``, ``fakes`` (``[[x, y], ...]``), ``arrows`` (``[[x, y, dx, dy], ...]``, dx, dy = -gradient),
    ``surface`` (rows from the top), ``manifold`` (polylines), ``step``, ``d_loss``, ``g_loss``, ``diagnosis``.
    """
    fakes = predict(training.generator, sampler.noise)
    arrowed = fakes[:ARROW_POINTS]
    moves = -generator_gradients(training.discriminator, arrowed)
    last = training.history[-1] if training.history else (0, None, None)
    return {"step": training.steps, "d_loss": last[1], "g_loss": last[2],
            "reals": sampler.reals_shown(), "fakes": rounded(fakes),
            "arrows": rounded(np.concatenate([arrowed, moves], axis=1), 4),
            "surface": rounded(decision_surface(training.discriminator, surface_size)),
            "manifold": [rounded(line) for line in manifold(training.generator)],
            "diagnosis": diagnose(training.target, fakes, training.steps).as_dict()}


def target_preview(target) -> list:
    """The points a page shows for a target before any training: the frames' own real points."""
    return FrameSampler(target).reals_shown()
