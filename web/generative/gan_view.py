"""The GAN cards of the generative page: read the fields, step pydl.lessons.generative's GAN, show its frames.

Every number shown comes from pydl.lessons.generative (tests/lessons/test_gan*.py run the same functions natively);
gan_plane.js only paints them. Training runs in slices of about SLICE_SECONDS (a frame is a slice of its own) through
slice_runner.SliceRunner, which between two slices reads the Pause/Stop request that ../common/training_controls.js wrote
into #gan-controls, so a click takes effect at once.
"""

import json
import time

from pydl_page import LineChart, apply, message_op, read, wire
from slice_runner import SliceRunner
from pyscript import window

SLICE_SECONDS = 0.04
FRAME_SECONDS = 0.4  # a frame (heat map, manifold, arrows, measurements) costs several steps: a few a second
CHART_POINTS = 300  # the loss chart shows at most this many steps (evenly spaced), so redrawing it stays cheap
LN2 = 0.6931471805599453
FIELD_KEYS = ("generator_units", "discriminator_units", "activation", "optimizer", "generator_rate",
              "discriminator_rate", "k", "batch_size", "seed")

gan = None  # the pydl.lessons.generative modules, imported once pydl is loaded


def field_id(key):
    return "gan-" + key.replace("_", "-")


class Lessons:
    """The library modules the card calls, imported after pydl is installed."""

    def __init__(self):
        from pydl.lessons.generative import gan_checks, gan_code, gan_slow_motion, gan_views, targets
        from pydl.lessons.generative.gan import GanTraining

        self.checks, self.code, self.slow, self.views, self.targets = (gan_checks, gan_code, gan_slow_motion,
                                                                       gan_views, targets)
        self.GanTraining = GanTraining


def number(value):
    return "\u2013" if value is None else f"{value:.3f}"


class GanSection:
    def __init__(self):
        self.training = self.sampler = self.slow = self.chart = None
        self.runner = SliceRunner("gan-controls", "gan-pause", "gan-stop", "gan-status", "gan-message")
        self.last_frame = 0.0
        self.show_target()

    # ------------------------------------------------------------------ fields
    def target_choice(self):
        return read("gan-target")["gan-target"]

    def show_target(self, event=None):
        """A target chosen: preview its points (or say how to draw your own)."""
        name = self.target_choice()
        ops = [{"id": "gan-draw-help", "hidden": name != "drawn"}]
        if name != "drawn":
            window.ganPlane.preview(json.dumps(gan.views.target_preview(gan.targets.make_target(name))))
        apply(ops)

    def checked(self):
        """``(settings, target)`` from the fields, or None with the message shown and the field flagged."""
        typed = read(*(field_id(key) for key in FIELD_KEYS), "gan-target")
        raw = {key: typed[field_id(key)] for key in FIELD_KEYS}
        bad, message, result = None, None, None
        try:
            settings = gan.checks.check_settings(raw)
            name = typed["gan-target"]
            drawn = json.loads(str(window.ganPlane.drawnJson())) if name == "drawn" else None
            try:
                target = gan.targets.make_target(name, drawn)
            except ValueError as error:
                bad, message = "target", str(error)
            else:
                result = settings, target
        except gan.checks.FieldError as error:
            bad, message = error.field, str(error)
        flags = [{"id": field_id(key), "attrs": {"aria-invalid": str(key == bad).lower()}}
                 for key in (*FIELD_KEYS, "target")]
        apply([message_op("gan-message", message)] + flags)
        return result

    def new_training(self):
        checked = self.checked()
        if checked is None:
            return False
        settings, target = checked
        self.runner.end()  # a run still going ends
        self.training = gan.GanTraining(settings, target)
        self.sampler = gan.views.FrameSampler(target, settings.seed)
        self.slow = gan.slow.SlowMotion(self.training, self.sampler)
        self.chart = LineChart("gan-chart", [{"label": "D loss", "color": "#15803d", "points": False},
                                             {"label": "G loss", "color": "#7c3aed", "points": False},
                                             {"label": "ln 2", "color": "#9ca3af", "dash": [6, 4], "points": False,
                                              "width": 1}],
                               title="losses", x_label="step", y_label="cross-entropy")
        drawn = target.drawn.tolist() if target.drawn is not None else None
        apply([{"id": "gan-code", "text": gan.code.gan_code(settings, target.name, drawn)},
               {"id": "gan-slow-view", "hidden": True}])
        return True

    # ------------------------------------------------------------------ training in slices
    def start(self, event=None):
        if not self.new_training():
            return  # the message says why; a run already going carries on
        apply([{"id": "gan-controls", "data": {"control": "run"}},
               {"id": "gan-pause", "disabled": False, "text": "Pause"}, {"id": "gan-stop", "disabled": False},
               {"id": "gan-slow", "disabled": True}, {"id": "gan-train", "text": "Train again"},
               {"id": "gan-status", "text": "Training\u2026", "data": {"state": "training", "step": "0"}}])
        self.show_frame()
        self.runner.start(self.ended, self.train_slice, self.finish, self.show_pause)

    def ended(self):
        return None if self.training.stopped is None else "diverged"

    def train_slice(self):
        if time.perf_counter() - self.last_frame > FRAME_SECONDS:
            self.show_frame()  # a slice of its own: Pause and Stop are looked at between it and the steps
            return
        training = self.training
        ends = time.perf_counter() + SLICE_SECONDS
        while time.perf_counter() < ends and training.stopped is None:
            training.step()

    def status_text(self):
        training = self.training
        last = training.history[-1] if training.history else (0, None, None)
        return (f"Step {training.steps}: D loss {number(last[1])}, G loss {number(last[2])} "
                f"(equilibrium: both ln 2 = 0.693).")

    def show_frame(self):
        """Draw the plane, the chart, the status and the diagnosis for the training as it is now."""
        self.last_frame = time.perf_counter()
        shown = gan.views.frame(self.training, self.sampler)
        window.ganPlane.draw("gan-plane", json.dumps(shown))
        diagnosis = shown["diagnosis"]
        apply([{"id": "gan-status", "text": self.status_text(), "data": {"step": str(shown["step"])}},
               {"id": "gan-diagnosis", "text": diagnosis["message"], "hidden": False,
                "data": {"collapsed": str(diagnosis["collapsed"]).lower(), "judged": str(diagnosis["judged"]).lower(),
                         "covered": str(diagnosis["covered"]), "spread": str(diagnosis["spread"])}}])
        self.draw_chart()

    def draw_chart(self):
        losses = self.training.losses()
        count = len(losses["step"])
        stride = max(1, -(-count // CHART_POINTS))
        picked = list(range(0, count, stride))
        if count and picked[-1] != count - 1:
            picked.append(count - 1)
        self.chart.set_data([losses["step"][i] for i in picked],
                            **{"D loss": [losses["d_loss"][i] for i in picked],
                               "G loss": [losses["g_loss"][i] for i in picked], "ln 2": [LN2] * len(picked)})

    def show_pause(self, paused):
        status = {"id": "gan-status", "data": {"state": "paused" if paused else "training"}}
        if paused:  # the status says at once where it paused; the plane follows with the frame of that step
            status.update(text=self.status_text())
            status["data"]["step"] = str(self.training.steps)
        apply([{"id": "gan-pause", "text": "Resume" if paused else "Pause"},
               {"id": "gan-slow", "disabled": not paused}, status])
        if paused:
            self.show_frame()

    def finish(self, state):
        self.show_frame()
        stopped = self.training.stopped
        text = stopped if state == "diverged" else f"Stopped. {self.status_text()}"
        apply([{"id": "gan-pause", "disabled": True, "text": "Pause"}, {"id": "gan-stop", "disabled": True},
               {"id": "gan-slow", "disabled": state == "diverged"},
               {"id": "gan-status", "text": text, "data": {"state": state}}]
              + ([message_op("gan-message", stopped)] if state == "diverged" else []))

    # ------------------------------------------------------------------ slow motion
    def slow_step(self, event=None):
        """One half-step (D's k steps, or G's step), with the plane before and after it."""
        if self.training is None and not self.new_training():
            return
        if self.training.stopped is not None:
            apply([message_op("gan-message", self.training.stopped)])
            return
        change = self.slow.advance()
        before, after = gan.slow.half_step_frames(change, self.sampler)
        window.ganPlane.draw("gan-before", json.dumps(before))
        window.ganPlane.draw("gan-after", json.dumps(after))
        k = self.training.settings.k
        if change["phase"] == "discriminator":
            title = f"D's turn ({k} step{'s' if k > 1 else ''}): D learns, G is frozen"
            text = (f"D's loss on its batch: {change['loss']:.3f}. Its heat map changed by "
                    f"{change['surface_change']:.4f} on average; the generated points did not move "
                    f"({change['mean_move']:.4f}). Next: G's turn.")
        else:
            title = "G's turn: G learns through the frozen D"
            text = (f"G's loss: {change['loss']:.3f}. The generated points moved {change['mean_move']:.4f} on "
                    f"average (orange: from where they were), following the arrows; D's heat map did not change "
                    f"({change['surface_change']:.4f}). Step {change['step']} done. Next: D's turn.")
        apply([{"id": "gan-slow-view", "hidden": False, "data": {"phase": change["phase"]}},
               {"id": "gan-slow-title", "text": title},
               {"id": "gan-slow-text", "text": text,
                "data": {"surfaceChange": repr(change["surface_change"]), "meanMove": repr(change["mean_move"])}},
               {"id": "gan-status", "data": {"state": self.state_after_slow()}}])
        self.show_frame()

    def state_after_slow(self):
        return "paused" if self.runner.paused else "slow"


async def setup():
    """Fill the GAN cards' controls and wire their events."""
    global gan
    gan = Lessons()
    section = GanSection()
    for selector, handler in (("#gan-train", section.start), ("#gan-slow", section.slow_step)):
        wire(selector, "click", "gan-message", handler)
    wire("#gan-target", "change", "gan-message", section.show_target)
    apply([{"id": field, "disabled": False} for field in ("gan-target", "gan-activation", "gan-optimizer",
                                                           "gan-train", "gan-slow")])
