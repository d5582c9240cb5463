"""The convnet page's "reuse a trained network" card: :func:`pydl.applications.digits_transfer.compare` (the
numbers of README's transfer table) as training loops the page steps in slices, so it stays responsive.

>>> run = TransferRun(per_class=2, steps=4)
>>> while not run.done:
...     _ = run.step(1.0)
>>> sorted(run.results), run.progress
(['feature_extraction', 'fine_tuning', 'from_scratch'], 1.0)
"""

from __future__ import annotations

from pydl.applications import digits_transfer as transfer

__all__ = ["WAYS", "TransferRun", "trainable_count"]

# Each way, in the order compare() trains them: (key, the words a page shows).
WAYS = (("from_scratch", "from scratch (fresh weights, as many batches as the two ways below)"),
        ("feature_extraction", "feature extraction (the 0-4 base frozen, a new classifier)"),
        ("fine_tuning", "then fine-tuning (top block unfrozen, rate 10x lower)"))


def trainable_count(model) -> int:
    """The number of weights training will change (a frozen base's are not among them)."""
    return int(sum(w.numpy().size for w in model.trainable_weights))


class TransferRun:
    """``compare(per_class, seed, steps)`` stepped a slice at a time; ``results`` fills way by way with the same
    test accuracies as ``compare`` returns, bit for bit (its ``fit`` calls are these loops stepped to the end).

    Attributes:
        split: the :class:`~pydl.applications.digits_transfer.FewShotDigits` trained on.
        epochs: epochs of feature extraction and of fine-tuning (from scratch trains twice as many).
        results: ``{way: test accuracy on the new digits}`` of the ways finished.
        trainable: ``{way: trainable weights}`` of the ways started.
        current: the way training now (None when done).
    """

    def __init__(self, per_class: int = 20, seed: int = 0, steps: int = transfer.STEPS):
        self.split = transfer.few_shot_digits(per_class, seed)
        self.seed, self.epochs = seed, transfer.epochs_for(self.split, steps)
        self.results, self.trainable = {}, {}
        self._ways = [way for way, _ in WAYS]
        self._model = self._loop = None
        self._loop_epochs = 0
        self.current = None
        self._start(self._ways[0])

    def _start(self, way: str) -> None:
        split, seed = self.split, self.seed
        if way == "from_scratch":
            self._model, epochs = transfer.scratch_model(split, seed), 2 * self.epochs
        elif way == "feature_extraction":
            self._model, epochs = transfer.feature_extraction_model(split, seed), self.epochs
        else:  # fine-tuning continues the feature-extraction model
            self._model, epochs = transfer.unfreeze_top(self._model), self.epochs
        self.current = way
        self.trainable[way] = trainable_count(self._model)
        self._loop, self._loop_epochs = transfer.training_loop(self._model, split, epochs, seed), epochs

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def progress(self) -> float:
        """The share of all batches trained (from scratch has half of them)."""
        if self.done:
            return 1.0
        loop = self._loop
        weight = {"from_scratch": 2, "feature_extraction": 1, "fine_tuning": 1}
        before = sum(weight[w] for w in self._ways[:self._ways.index(self.current)])
        inside = (loop.epoch + loop.batch / loop.steps) / self._loop_epochs
        return (before + weight[self.current] * inside) / 4

    def step(self, max_seconds: float) -> bool:
        """Train for about ``max_seconds``; True if a way finished (its result is in ``results``)."""
        if self.done:
            return False
        self._loop.step(max_seconds=max_seconds)
        if not self._loop.done:
            return False
        self.results[self.current] = transfer.test_accuracy(self._model, self.split)
        following = self._ways.index(self.current) + 1
        if following < len(self._ways):
            self._start(self._ways[following])
        else:
            self.current = None
        return True
