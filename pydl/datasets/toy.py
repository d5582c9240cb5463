"""Two-dimensional toy data sets in the style of TensorFlow Playground.

Each generator is ``fn(n, noise=0.0, seed=None) -> (x, y)`` with ``x`` float32 of shape ``(n, 2)`` inside roughly
[-6, 6]. Classification sets return int64 labels (0/1, or 0..k-1 for ``blobs`` and ``multi_spiral``), exactly
balanced and in shuffled order; regression sets return float32 targets in [-1, 1].

``noise`` means what it means in the Playground, whose slider runs from 0 to 0.5:

- ``circle``, ``xor``, ``plane``, ``multi_gauss``: the points stay where they are; each label (or target) is read at a
  copy of the point moved by up to ``noise`` times the data's half-width, so noise flips labels near the boundary.
- ``gauss``, ``blobs``: the variance of each cloud grows from 0.5 (noise 0) to 4 (noise 0.5).
- ``spiral``, ``multi_spiral``: each point moves by up to ``noise`` in each coordinate.
- ``moons`` (scikit-learn's shape, not in the Playground): Gaussian jitter with standard deviation ``noise`` in the
  moons' own units, as in ``sklearn.datasets.make_moons``.

``seed`` is an int (same seed, same data) or a NumPy ``Generator`` to draw from; with ``seed=None`` the numbers come
from pydl's shared generator, which ``pydl.seed(n)`` resets.
"""

from __future__ import annotations

from pydl.backend import np
from pydl.random import generator

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "moons", "blobs", "multi_spiral")
REGRESSION = ("plane", "multi_gauss")


def _check(n, noise, classes: int = 1) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < classes:
        raise ValueError(f"n must be an integer of at least {classes} (one point per class); got {n!r}.")
    if not noise >= 0:  # also rejects NaN
        raise ValueError(f"noise must be 0 or more (the Playground's slider runs 0 to 0.5); got {noise!r}.")


def _class_sizes(n: int, classes: int) -> np.ndarray:
    """``n`` split over the classes as evenly as possible (the first ``n % classes`` get one more)."""
    return n // classes + (np.arange(classes) < n % classes)


def _labels(n: int, classes: int) -> np.ndarray:
    return np.repeat(np.arange(classes, dtype=np.int64), _class_sizes(n, classes))


def _shuffled(x, y, rng):
    # The generators build the classes one after another; shuffling makes any slice a fair sample.
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order]


def _polar(r, angle):
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def circle(n: int = 200, noise: float = 0.0, seed=None):
    """A disc of radius 2.5 (label 1) inside a ring of radii 3.5..5 (label 0).

    >>> x, y = circle(100, seed=0)
    >>> bool(((np.hypot(x[:, 0], x[:, 1]) < 2.5) == (y == 1)).all())
    True
    """
    _check(n, noise, 2)
    rng = generator(seed)
    n_out, n_in = _class_sizes(n, 2)
    # Draw every number whatever the noise, so one seed gives the same points at every noise level.
    r = np.concatenate([rng.uniform(3.5, 5.0, n_out), rng.uniform(0.0, 2.5, n_in)])
    x = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    moved = x + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    y = (np.hypot(moved[:, 0], moved[:, 1]) < 2.5).astype(np.int64)
    return _shuffled(x, y, rng)


def xor(n: int = 200, noise: float = 0.0, seed=None):
    """Label 1 where both coordinates share a sign (quadrants I and III), 0 elsewhere; no point within 0.3 of an axis.

    >>> x, y = xor(100, seed=0)
    >>> bool(((x[:, 0] * x[:, 1] > 0) == (y == 1)).all())
    True
    """
    _check(n, noise, 2)
    rng = generator(seed)
    # The Playground draws from the whole square; drawing per label keeps the two labels exactly balanced at noise 0.
    magnitude = rng.uniform(0.3, 5.3, (n, 2))
    sign_x = rng.choice([-1.0, 1.0], n)
    same = _labels(n, 2) == 1
    x = magnitude * np.stack([sign_x, np.where(same, sign_x, -sign_x)], axis=1)
    moved = x + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    y = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return _shuffled(x, y, rng)


def _gaussians(n, centres, noise, rng):
    std = np.sqrt(0.5 + 7.0 * noise)  # the Playground's variance scale: 0.5 at noise 0, 4 at noise 0.5
    y = _labels(n, len(centres))
    x = np.asarray(centres, dtype=np.float64)[y] + rng.normal(0.0, std, (n, 2))
    return _shuffled(x, y, rng)


def gauss(n: int = 200, noise: float = 0.0, seed=None):
    """Two Gaussian clouds: label 1 around (2, 2), label 0 around (-2, -2).

    >>> x, y = gauss(200, seed=0)
    >>> bool(x[y == 1].mean() > 0 > x[y == 0].mean())
    True
    """
    _check(n, noise, 2)
    return _gaussians(n, [(-2.0, -2.0), (2.0, 2.0)], noise, generator(seed))


def blobs(n: int = 300, classes: int = 3, noise: float = 0.0, seed=None):
    """``classes`` Gaussian clouds (labels 0..classes-1) centred evenly on a circle of radius 4.

    >>> x, y = blobs(300, classes=4, seed=0)
    >>> x.shape, sorted(set(y.tolist()))
    ((300, 2), [0, 1, 2, 3])
    """
    if not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"classes must be an integer of at least 2; got {classes!r}.")
    _check(n, noise, classes)
    angle = 2 * np.pi * np.arange(classes) / classes
    return _gaussians(n, _polar(np.full(classes, 4.0), angle), noise, generator(seed))


def multi_spiral(n: int = 300, classes: int = 3, noise: float = 0.0, seed=None):
    """``classes`` interleaved spiral arms (labels 0..classes-1), each 1.75 turns out to radius 5.

    >>> x, y = multi_spiral(300, classes=3, seed=0)
    >>> x.shape, y.dtype.name
    ((300, 2), 'int64')
    """
    if not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"classes must be an integer of at least 2; got {classes!r}.")
    _check(n, noise, classes)
    rng = generator(seed)
    y = _labels(n, classes)
    sizes = _class_sizes(n, classes)
    # Position along its arm, 0 at the centre to just under 1 at the end, as in the Playground's i / n.
    s = np.concatenate([np.arange(m) / m for m in sizes])
    angle = 1.75 * 2 * np.pi * s + 2 * np.pi * y / classes
    x = _polar(5.0 * s, angle) + rng.uniform(-1.0, 1.0, (n, 2)) * noise
    return _shuffled(x, y, rng)


def spiral(n: int = 200, noise: float = 0.0, seed=None):
    """Two interleaved spiral arms (labels 0 and 1), the Playground's hardest set.

    >>> x, y = spiral(200, seed=0)
    >>> int(y.sum())
    100
    """
    return multi_spiral(n, classes=2, noise=noise, seed=seed)


def moons(n: int = 200, noise: float = 0.0, seed=None):
    """Two interleaving half circles, scikit-learn's ``make_moons`` centred and scaled by 3 (label 0 on top).

    >>> x, y = moons(200, seed=0)
    >>> bool(x[y == 0, 1].mean() > x[y == 1, 1].mean())
    True
    """
    _check(n, noise, 2)
    rng = generator(seed)
    n_top, n_bottom = _class_sizes(n, 2)
    t_top, t_bottom = np.linspace(0, np.pi, n_top), np.linspace(0, np.pi, n_bottom)
    x = np.concatenate([
        np.stack([np.cos(t_top), np.sin(t_top)], axis=1),
        np.stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)], axis=1),
    ])
    x = (x + rng.normal(0.0, noise, (n, 2)) - (0.5, 0.25)) * 3.0
    return _shuffled(x, _labels(n, 2), rng)


def _regression(n, noise, rng, target):
    x = rng.uniform(-6.0, 6.0, (n, 2))
    moved = x + rng.uniform(-6.0, 6.0, (n, 2)) * noise
    return x.astype(np.float32), target(moved).astype(np.float32)


def plane(n: int = 200, noise: float = 0.0, seed=None):
    """Regression on a tilted plane: target ``(x0 + x1) / 10`` clipped to [-1, 1].

    The Playground leaves the corners' targets at up to +-1.2; pydl clips them, as a tanh output cannot reach them.

    >>> x, y = plane(100, seed=0)
    >>> bool(np.allclose(y, np.clip(x.sum(axis=1) / 10, -1, 1)))
    True
    """
    _check(n, noise)
    return _regression(n, noise, generator(seed), lambda p: np.clip(p.sum(axis=1) / 10.0, -1.0, 1.0))


_BUMPS = np.array([(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)], float)


def _bump_height(p):
    d = np.hypot(p[:, None, 0] - _BUMPS[:, 0], p[:, None, 1] - _BUMPS[:, 1])
    heights = _BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)  # each bump falls linearly to 0 at distance 2
    return heights[np.arange(len(p)), np.abs(heights).argmax(axis=1)]  # the bump tallest in absolute value wins


def multi_gauss(n: int = 200, noise: float = 0.0, seed=None):
    """Regression on six bumps of height +-1 on a 3x2 grid, alternating in sign, 0 far from all of them.

    >>> x, y = multi_gauss(100, seed=0)
    >>> bool(y.min() >= -1 and y.max() <= 1)
    True
    """
    _check(n, noise)
    return _regression(n, noise, generator(seed), _bump_height)
