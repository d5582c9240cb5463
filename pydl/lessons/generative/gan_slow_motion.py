"""Slow motion: one training step taken apart, the discriminator's k steps, then the generator's step, each
returning what it changed (and, by construction, nothing else: D's step moves no generated point, G's step leaves
the decision surface as it was).

>>> from pydl.lessons.generative.gan import GanSettings, GanTraining
>>> from pydl.lessons.generative.gan_views import FrameSampler
>>> from pydl.lessons.generative.targets import make_target
>>> training = GanTraining(GanSettings(seed=1), make_target("ring"))
>>> slow = SlowMotion(training, FrameSampler(training.target), surface_size=4)
>>> [slow.advance()["phase"], slow.advance()["phase"], slow.phase, training.steps]
['discriminator', 'generator', 'discriminator', 1]
"""

from __future__ import annotations

from pydl.backend import np
from pydl.lessons.generative.gan_views import SURFACE_SIZE, decision_surface, predict, rounded

__all__ = ["SlowMotion", "half_step_frames"]


class SlowMotion:
    """Alternates the two halves of a training step on ``training``; ``phase`` names the half that comes next."""

    def __init__(self, training, sampler, surface_size: int = SURFACE_SIZE):
        self.training, self.sampler, self.surface_size = training, sampler, surface_size
        self.phase = "discriminator"
        self._d_loss = None

    def _surface(self):
        return decision_surface(self.training.discriminator, self.surface_size)

    def _fakes(self):
        return predict(self.training.generator, self.sampler.noise)

    def advance(self) -> dict:
        """Run the next half; returns ``phase``, ``loss`` and before/after of the surface and of the shown points,
        with ``surface_change`` (mean absolute change of D's output over the grid) and ``mean_move`` (mean distance
        a shown generated point moved)."""
        training = self.training
        if training.stopped is not None:
            raise RuntimeError(training.stopped)
        surface_before, fakes_before = self._surface(), self._fakes()
        if self.phase == "discriminator":
            loss = self._d_loss = training.discriminator_phase()
        else:
            loss = training.generator_step()
            training.record(self._d_loss, loss)
        surface_after, fakes_after = self._surface(), self._fakes()
        done = self.phase
        self.phase = "generator" if done == "discriminator" else "discriminator"
        return {"phase": done, "loss": loss, "step": training.steps,
                "surface_before": surface_before, "surface_after": surface_after,
                "fakes_before": fakes_before, "fakes_after": fakes_after,
                "surface_change": float(np.mean(np.abs(surface_after - surface_before))),
                "mean_move": float(np.mean(np.linalg.norm(fakes_after - fakes_before, axis=1)))}


def half_step_frames(change: dict, sampler) -> tuple:
    """``(before, after)``: the two small planes of a half-step (from :meth:`SlowMotion.advance`), as frames for
    the page (heat map, real and generated points; after G's step ``moved_from`` holds where each point was)."""
    base = {"step": change["step"], "reals": sampler.reals_shown()}
    before = dict(base, surface=rounded(change["surface_before"]), fakes=rounded(change["fakes_before"]))
    after = dict(base, surface=rounded(change["surface_after"]), fakes=rounded(change["fakes_after"]))
    if change["phase"] == "generator":
        after["moved_from"] = before["fakes"]
    return before, after
