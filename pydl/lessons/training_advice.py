"""What a finished training run says about its learning rate, in words a page can show.

A classifier trained with a cross-entropy loss starts near the *chance loss*: the loss of answering every input with
the class frequencies, ``-sum(p_c * ln p_c)`` (``ln 10 = 2.30`` for ten balanced classes). From the training loss of
each epoch, :func:`diagnose_training` tells apart the runs whose advice differs:

- ``"diverged"``: the loss became NaN or infinite: the rate is too high.
- ``"grew"``: the last epoch's loss is well above the lowest one: steps overshoot the valley: the rate is too high.
- ``"stuck"``: the loss stays at the chance loss and is not falling steadily (or the first epoch's loss overshot
  above chance): the steps are so large that the network ends up answering every image alike (Adam at a rate of
  0.1-1 on the convnet page: first epoch 2.5-104, then 2.31-2.45 for ever): the rate is too high.
- ``"overshot"``: the first epoch's mean loss was several times the chance loss (random weights start at it) and
  the loss never got far below chance: the first steps threw the weights far off: the rate is too high (Adam at a
  rate of 1: 104 in the first epoch, then near chance, sometimes a little under it).
- ``"slow"``: the loss is still at chance but falls a little every epoch: the rate is too low (or training too
  short): raise it, or train longer.
- ``"learning"``: the loss fell below chance and did not grow back: the rate is fine; accuracy decides what next.

>>> diagnose_training([104.2, 2.40, 2.39, 2.45, 2.41], chance_loss([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).verdict
'stuck'
>>> diagnose_training([1.30, 0.30, 0.14, 0.08], 2.3026).verdict
'learning'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydl.backend import np

__all__ = ["TrainingAdvice", "VERDICTS", "chance_loss", "diagnose_training", "AT_CHANCE", "OVERSHOOT", "GREW",
           "GREW_BY", "BLEW_UP", "RECOVERED"]

VERDICTS = ("diverged", "grew", "stuck", "overshot", "slow", "learning")
# A loss within 3 % of the chance loss has learned nothing that shows (a real start, e.g. the convnet page's default
# at a rate of 1e-4, is below it after 4 epochs: 2.19 against 2.30).
AT_CHANCE = 0.97
# A first epoch whose mean loss is 5 % above chance overshot: random weights start within 1 % of it (2.314 at 2.303).
OVERSHOOT = 1.05
# A first epoch at 3x the chance loss blew up (a working rate's first epoch is below chance: 1.30 at 0.01); a run
# that then ends under half the chance loss recovered and learned.
BLEW_UP, RECOVERED = 3.0, 0.5
# The last loss 20 % above the lowest, and by 5 % of the chance loss: not the epoch-to-epoch noise of a learning run
# (a few % at most; near zero a loss of 0.010 then 0.015 is noise, not growth).
GREW, GREW_BY = 1.2, 0.05


@dataclass(frozen=True)
class TrainingAdvice:
    """A verdict of :data:`VERDICTS`, a sentence for the learner, and whether the rate should come down."""

    verdict: str
    message: str
    rate_too_high: bool


def chance_loss(labels) -> float:
    """The cross-entropy of answering every input with the class frequencies of ``labels`` (in nats)."""
    _, counts = np.unique(np.asarray(labels), return_counts=True)  # not bincount: it refuses int64 on 32-bit wasm
    if counts.size == 0:
        raise ValueError("chance_loss needs at least one label; got none.")
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def diagnose_training(losses, chance: float) -> TrainingAdvice:
    """The verdict on a run from its per-epoch training losses and the chance loss (see the module docstring).

    Args:
        losses: the mean training loss of each epoch so far (``history["loss"]``), at least one.
        chance: the chance loss of the task (:func:`chance_loss` of the training labels).

    Raises:
        ValueError: no losses, or a chance loss that is not a positive number.
    """
    losses = [float(v) for v in losses]
    if not losses:
        raise ValueError("diagnose_training needs the loss of at least one epoch; got none.")
    if not (math.isfinite(chance) and chance > 0):
        raise ValueError(f"diagnose_training needs a positive chance loss; got {chance!r}.")
    high = "The learning rate is too high: lower it ten-fold and train again."
    if not all(math.isfinite(v) for v in losses):
        return TrainingAdvice("diverged", "The loss became NaN or infinite: the weights blew up. " + high, True)
    first, last, lowest = losses[0], losses[-1], min(losses)
    if last > GREW * lowest and last - lowest > GREW_BY * chance:
        return TrainingAdvice("grew", f"The loss grew from {_fmt(lowest)} back to {_fmt(last)}: the steps jump "
                                      "past the valley instead of down into it. " + high, True)
    if last >= AT_CHANCE * chance:
        recent = losses[-4:]
        falling = all(later < earlier for earlier, later in zip(recent, recent[1:]))
        if falling and first < OVERSHOOT * chance:
            return TrainingAdvice("slow", f"The loss is still near chance ({_fmt(last)}; guessing gives "
                                          f"{_fmt(chance)}) but falls a little each epoch: the learning rate is too "
                                          "low for this many epochs. Raise it ten-fold, or train longer.", False)
        return TrainingAdvice("stuck", f"The loss stayed at chance or above ({_fmt(last)}; guessing gives "
                                       f"{_fmt(chance)})"
                                       + (f" after a first epoch at {_fmt(first)}" if first >= OVERSHOOT * chance
                                          else "")
                                       + ": the steps are so large that the network answers every image alike. "
                                       + high, True)
    if first > BLEW_UP * chance and last > RECOVERED * chance:
        return TrainingAdvice("overshot", f"The first epoch's loss averaged {_fmt(first)}, {first / chance:.0f} times "
                                          f"what guessing gives ({_fmt(chance)}), and it only fell to {_fmt(last)}: the "
                                          "first steps threw the weights far off. " + high, True)
    return TrainingAdvice("learning", f"The loss fell from {_fmt(first)} to {_fmt(last)} (guessing gives "
                                      f"{_fmt(chance)}): the learning rate works.", False)
