"""Mode collapse, measured: how far the generated points spread compared with the target, and how many of the
target's modes (regions, see :mod:`.targets`) they cover; when either is far too low, say so and what to change.

>>> import numpy as np
>>> from pydl.lessons.generative.targets import make_target
>>> ring = make_target("ring")
>>> collapsed = np.full((200, 2), 0.7) + 0.01 * np.random.default_rng(0).standard_normal((200, 2))
>>> result = diagnose(ring, collapsed, steps=1000)
>>> result.collapsed, result.covered, len(ring.modes)
(True, 1, 8)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pydl.backend import np
from pydl.lessons.generative.targets import nearest_mode

__all__ = ["JUDGE_AFTER_STEPS", "spread", "mode_coverage", "Diagnosis", "diagnose", "COLLAPSE_ADVICE"]

# An untrained generator sends every point near the origin; that is where GANs start, not collapse. GAN Lab-sized
# runs on these targets spread out within 100-300 steps, so a judgement waits until then.
JUDGE_AFTER_STEPS = 300
# Collapse when the generated spread is under this fraction of the target's (a ring's points piled on one arc give
# 0.1-0.3, a good run 0.85-1.05) ...
MIN_SPREAD_RATIO = 0.5
# ... or when at most this fraction of the modes is covered (a good run covers all, a collapse one to three) while
# most points sit inside the covered ones (a run still smeared between a mixture's modes covers few, but is not
# collapsed: its points are between them).
MAX_COVERED_FRACTION_IN_COLLAPSE = 0.5
MIN_INSIDE_IN_COLLAPSE = 0.5
# A mode counts as covered when it gets at least this fraction of the share of generated points it would get if G
# matched the target (its share of a large target sample): a quarter tolerates unevenness, not emptiness.
COVERED_SHARE = 0.25
COLLAPSE_ADVICE = ("Lower the generator's learning rate (or raise the discriminator's)",
                   "take more discriminator steps per generator step (k)", "give the generator more units",
                   "train again with another seed")


def spread(points: np.ndarray) -> float:
    """The root mean squared distance of the points from their mean: one number for how spread out they are."""
    points = np.asarray(points, dtype=np.float64)
    return float(np.sqrt(np.mean(np.sum((points - points.mean(axis=0)) ** 2, axis=1))))


def mode_coverage(target, fakes: np.ndarray) -> tuple:
    """``(flags, inside)``: one flag per mode of ``target``, whether the generated points cover it (see
    :data:`COVERED_SHARE`), and the fraction of generated points that lie inside some mode.

    A generated point counts for its nearest mode only if it lies within that mode's reach
    (:attr:`~.targets.Target.mode_reach`), so points thrown into empty space cover nothing.
    """
    fakes = np.asarray(fakes, dtype=np.float64)
    owner = nearest_mode(fakes, target.modes)
    inside = np.linalg.norm(fakes - target.modes[owner], axis=1) <= target.mode_reach[owner]
    got = np.bincount(owner[inside], minlength=len(target.modes)) / len(fakes)
    return got >= COVERED_SHARE * target.mode_shares, float(inside.mean())


@dataclass
class Diagnosis:
    """What the generated points measure against the target, and what it means."""

    spread: float
    target_spread: float
    covered: int
    modes: int
    inside: float  # fraction of the generated points that lie on the target (inside one of its modes)
    judged: bool  # False before JUDGE_AFTER_STEPS steps: too early to call anything collapse
    collapsed: bool
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def diagnose(target, fakes: np.ndarray, steps: int) -> Diagnosis:
    """Spread and coverage of ``fakes`` against ``target`` after ``steps`` training steps, in words."""
    mine = spread(fakes)
    theirs = target.spread
    flags, inside = mode_coverage(target, fakes)
    covered, modes = int(flags.sum()), len(flags)
    measured = (f"The generated points spread {mine:.2f} (the target: {theirs:.2f}) and cover {covered} of the "
                f"target's {modes} regions.")
    judged = steps >= JUDGE_AFTER_STEPS
    piled = covered <= MAX_COVERED_FRACTION_IN_COLLAPSE * modes and inside >= MIN_INSIDE_IN_COLLAPSE
    collapsed = judged and (mine < MIN_SPREAD_RATIO * theirs or piled)
    if not judged:
        message = f"{measured} Too early to judge: a GAN starts with every point near the centre."
    elif collapsed:
        message = (f"Mode collapse: {measured} The generator found a few points that fool the discriminator and "
                   f"makes only those. What to change: {'; '.join(COLLAPSE_ADVICE)}.")
    elif inside < MIN_INSIDE_IN_COLLAPSE:
        message = (f"{measured} Only {100 * inside:.0f} % of them lie on the target: they are still smeared between "
                   "its regions. Keep training.")
    elif covered < modes:
        message = f"{measured} Not collapsed, but some regions are still empty: keep training."
    else:
        message = f"{measured} Every region is covered: no mode collapse."
    return Diagnosis(round(mine, 4), round(theirs, 4), covered, modes, round(inside, 4), judged, collapsed, message)
