"""The 2-D distributions the GAN learns to imitate, each seeded, and the regions ("modes") a generator must cover.

Every target lives inside the square ``[-VIEW, VIEW]^2`` that the page draws. A target's modes are where its mass
sits: the mixture's centres, or for a connected shape (ring, moons, line, drawn points) the centres of
:data:`SHAPE_MODES` k-means clusters of a large seeded sample, so that "covers the ring" means "puts points all
around it" and can be counted.

>>> import numpy as np
>>> target = make_target("mixture")
>>> target.sample(4, np.random.default_rng(0)).shape, len(target.modes)
((4, 2), 6)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pydl.backend import np

__all__ = ["TARGET_NAMES", "VIEW", "SHAPE_MODES", "MIN_DRAWN", "MAX_DRAWN", "Target", "make_target", "check_drawn",
           "nearest_mode"]

VIEW = 2.0  # the page shows [-2, 2] x [-2, 2]
SHAPE_MODES = 8  # enough regions that a generator stuck on part of a ring or a moon shows up as collapse
MIN_DRAWN, MAX_DRAWN = 5, 400
DRAWN_JITTER = 0.04  # each drawn point stands for a small blob, so the target is a distribution, not 5 dots
TARGET_NAMES = {"ring": "a ring", "moons": "two moons", "mixture": "six gaussians", "line": "a line",
                "drawn": "your points"}
_MIXTURE_CENTRES = np.array([[np.cos(a), np.sin(a)] for a in np.arange(6) * np.pi / 3])
_MIXTURE_STD = 0.08
_MODE_SEED, _MODE_SAMPLE = 12345, 3000


def _ring(count, rng):
    angle = rng.uniform(0.0, 2.0 * np.pi, count)
    radius = 1.0 + 0.05 * rng.standard_normal(count)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def _moons(count, rng):
    # scikit-learn's two half circles, shifted to centre them and scaled to fit the view
    upper = rng.random(count) < 0.5
    angle = rng.uniform(0.0, np.pi, count)
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    points = 0.9 * np.stack([x - 0.5, y - 0.25], axis=1)
    return points + 0.05 * rng.standard_normal((count, 2))


def _mixture(count, rng):
    picked = rng.integers(0, len(_MIXTURE_CENTRES), count)
    return _MIXTURE_CENTRES[picked] + _MIXTURE_STD * rng.standard_normal((count, 2))


def _line(count, rng):
    along = rng.uniform(-1.0, 1.0, count)
    return np.stack([1.2 * along, 0.6 * along], axis=1) + 0.03 * rng.standard_normal((count, 2))


_SHAPES = {"ring": _ring, "moons": _moons, "mixture": _mixture, "line": _line}


def check_drawn(points) -> np.ndarray:
    """Drawn points as a float64 ``(n, 2)`` array rounded to 3 decimals (as the code box writes them, so that
    its script draws the same target), or a ValueError saying what is wrong with them."""
    try:
        array = np.round(np.asarray(points, dtype=np.float64), 3)
    except (TypeError, ValueError):
        raise ValueError("Your points: expected a list of (x, y) pairs of numbers.") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"Your points: expected a list of (x, y) pairs, got an array of shape {array.shape}.")
    if len(array) < MIN_DRAWN:
        raise ValueError(f"Your points: draw at least {MIN_DRAWN} points (click or touch the plane), "
                         f"you have {len(array)}.")
    if len(array) > MAX_DRAWN:
        raise ValueError(f"Your points: at most {MAX_DRAWN} points, you have {len(array)}. Clear and draw fewer.")
    if not np.isfinite(array).all() or np.abs(array).max() > VIEW:
        raise ValueError(f"Your points must lie inside the plane [-{VIEW:g}, {VIEW:g}] x [-{VIEW:g}, {VIEW:g}].")
    return array


@dataclass
class Target:
    """A distribution to imitate: ``sample(count, rng)`` draws from it; ``modes`` are the regions to cover."""

    name: str
    drawn: np.ndarray | None = None
    modes: np.ndarray = field(init=False)

    def __post_init__(self):
        if self.name not in TARGET_NAMES:
            raise ValueError(f"Target: unknown distribution {self.name!r}; choose one of {', '.join(TARGET_NAMES)}.")
        if self.name == "drawn":
            self.drawn = check_drawn(self.drawn)
        self.modes = _MIXTURE_CENTRES.copy() if self.name == "mixture" else _kmeans(
            self.sample(_MODE_SAMPLE, np.random.default_rng(_MODE_SEED)), min(SHAPE_MODES, self._distinct()))

    def _distinct(self) -> int:
        return SHAPE_MODES if self.drawn is None else len(np.unique(np.round(self.drawn, 3), axis=0))

    @cached_property
    def reference(self) -> np.ndarray:
        """A large fixed sample that measurements compare against (drawn once: the page measures every frame)."""
        return self.sample(4000, np.random.default_rng(7))

    @cached_property
    def mode_shares(self) -> np.ndarray:
        """The fraction of the target's points nearest to each mode."""
        return np.bincount(nearest_mode(self.reference, self.modes), minlength=len(self.modes)) / len(self.reference)

    @cached_property
    def mode_reach(self) -> np.ndarray:
        """How far each mode reaches: the 95th percentile distance of its own target points to it (0.25 at least,
        so a tight gaussian still counts a generated point slightly off its centre)."""
        nearest = nearest_mode(self.reference, self.modes)
        return np.array([max(0.25, np.percentile(np.linalg.norm(self.reference[nearest == j] - mode, axis=1), 95))
                         if np.any(nearest == j) else 0.25 for j, mode in enumerate(self.modes)])

    @cached_property
    def spread(self) -> float:
        """The root mean squared distance of the target's points from their mean."""
        centred = self.reference - self.reference.mean(axis=0)
        return float(np.sqrt(np.mean(np.sum(centred ** 2, axis=1))))

    @property
    def label(self) -> str:
        return TARGET_NAMES[self.name]

    def sample(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """``count`` points, float64 ``(count, 2)``, drawn with ``rng`` (same generator state, same points)."""
        if self.name != "drawn":
            return _SHAPES[self.name](count, rng)
        picked = rng.integers(0, len(self.drawn), count)
        return self.drawn[picked] + DRAWN_JITTER * rng.standard_normal((count, 2))


def nearest_mode(points: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """The index of the nearest mode for each point."""
    return np.argmin(((points[:, None, :] - modes[None]) ** 2).sum(-1), axis=1)


def make_target(name: str, drawn=None) -> Target:
    """The target called ``name`` (a key of :data:`TARGET_NAMES`); ``drawn``: the (x, y) points for "drawn"."""
    return Target(name, drawn)


def _kmeans(points: np.ndarray, clusters: int, rounds: int = 20) -> np.ndarray:
    """Lloyd's k-means from a farthest-point start (deterministic: no random restarts needed on these shapes)."""
    centres = [points[0]]
    for _ in range(clusters - 1):
        distance = np.min([np.sum((points - c) ** 2, axis=1) for c in centres], axis=0)
        centres.append(points[np.argmax(distance)])
    centres = np.array(centres)
    for _ in range(rounds):
        nearest = nearest_mode(points, centres)
        centres = np.array([points[nearest == j].mean(axis=0) if np.any(nearest == j) else centres[j]
                            for j in range(clusters)])
    return centres
