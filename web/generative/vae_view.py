"""The VAE cards of the generative page: read the controls, call pydl.lessons.generative.vae, show what it returns.

Every number shown comes from pydl.lessons.generative.vae (tests/lessons/test_vae.py checks the same numbers
natively); vae.js only draws them and turns clicks on the map into latent points. Training steps the VAE's own
training loop (fit's) in slices of about 0.03 s through slice_runner.SliceRunner, which between two slices reads the
Pause/Stop request that ../common/training_controls.js wrote into #vae-controls, so a click takes effect at once, and
a point picked on the map is decoded by the model as it is at that moment.
"""

import json

from pydl_page import LineChart, apply, element, message_op, read, wire
from slice_runner import SliceRunner
from pyscript import window

vae = None  # pydl.lessons.generative.vae, imported once pydl is loaded
SLICE_SECONDS = 0.03  # a Pause click waits for at most one slice (or an epoch's end and its redraw)
GRID_SIDE = 9
FIELDS = {"vae-kl": "kl_weight", "vae-epochs": "epochs", "vae-rate": "learning_rate"}


def pixels(image):
    """An (8, 8) image as 64 numbers rounded for the page (4 decimals: finer than any shade of grey)."""
    return [round(float(v), 4) for v in image.reshape(-1)]


class VAESection:
    def __init__(self):
        values, _ = vae.check_training({key: str(value) for key, value in vae.VAE_DEFAULTS.items()})
        self.lesson = vae.VAELesson(values)  # untrained: the map shows where a fresh encoder puts the digits
        self.runner = SliceRunner("vae-controls", "vae-pause", "vae-stop", "vae-status", "vae-message")
        self.finished = None  # the logs of an epoch that ended in the last slice, drawn in a slice of its own
        self.point = None
        self.chart = None
        self.draw_plane()
        apply([{"id": "vae-code", "text": vae.CODE_TEXT}])

    def checked(self, event=None):
        """The fields' values, or None with the message shown and the field flagged."""
        fields = read(*FIELDS)
        values, message = vae.check_training({key: fields[field] for field, key in FIELDS.items()})
        flagged = [{"id": field, "attrs": {"aria-invalid": str(bool(
            message and message.startswith(vae.FIELD_LABELS[key]))).lower()}} for field, key in FIELDS.items()]
        apply([message_op("vae-message", message)] + flagged)
        return values

    def start(self, event=None):
        values = self.checked()
        if values is None:
            return  # the message says why; a run already going carries on
        self.finished = None
        self.lesson = vae.VAELesson(values)
        self.chart = LineChart("vae-chart", [{"label": "reconstruction", "color": "#2563eb"},
                                             {"label": "KL", "color": "#ea580c"}],
                               title="loss terms on the test digits", x_label="epoch", y_label="nats per digit")
        apply([{"id": "vae-controls", "data": {"control": "run"}},
               {"id": "vae-pause", "disabled": False, "text": "Pause"}, {"id": "vae-stop", "disabled": False},
               {"id": "vae-start", "text": "Train again"}, {"id": "vae-report", "text": ""},
               {"sel": "#vae-progress > div", "attrs": {"style": "width: 0%"}},
               {"id": "vae-status", "text": "Training\u2026", "data": {"state": "training", "epochs": "0"}}])
        self.draw_plane()
        self.runner.start(self.ended, self.train_slice, self.finish, self.show_pause, self.show_progress)

    def ended(self):
        return "done" if self.lesson.done and self.finished is None else None

    def train_slice(self):
        if self.finished is not None:  # an epoch ended in the last slice: redraw now, as a slice of its own
            self.show_finished()
            return True
        self.finished = self.lesson.step(SLICE_SECONDS)
        return self.finished is not None  # its progress line would only be overwritten by the epoch's

    def show_finished(self):
        """Draw the epoch that ended in the last slice, if one did."""
        if self.finished is not None:
            self.show_epoch(self.finished)
            self.finished = None

    def show_progress(self):
        lesson = self.lesson
        apply(self.progress_ops(f"Training: epoch {lesson.loop.epoch + 1} of {lesson.values['epochs']}\u2026"))

    def progress_ops(self, text):
        return [{"sel": "#vae-progress > div", "attrs": {"style": f"width: {100 * self.lesson.progress:.1f}%"}},
                {"id": "vae-status", "text": text}]

    def show_epoch(self, logs):
        lesson = self.lesson
        text = (f"Epoch {logs['epoch']} of {lesson.values['epochs']}: reconstruction {logs['reconstruction']:.2f}, "
                f"KL {logs['kl']:.2f} nats per test digit.")
        ops = self.progress_ops(text) + [{"id": "vae-status", "data": {"epochs": str(logs["epoch"])}}]
        apply(ops[:1] + ops[2:] if self.runner.paused else ops)  # paused: the status keeps saying so
        terms = lesson.terms
        self.chart.set_data(list(range(1, len(terms) + 1)), reconstruction=[t["reconstruction"] for t in terms],
                            KL=[t["kl"] for t in terms])
        self.draw_plane()

    def draw_plane(self):
        """The map, the grid, the report and (if a point is picked) its decode, for the model as it is now."""
        lesson = self.lesson
        summary = lesson.summary()
        low, high = summary["bounds"]
        window.vaeView.map(json.dumps({"means": [[round(float(a), 4), round(float(b), 4)] for a, b in summary["means"]],
                                       "labels": [int(y) for y in summary["labels"]], "bounds": [low, high],
                                       "point": self.point}))
        grid = vae.decode_grid(lesson.decoder, (low, high), GRID_SIDE)
        window.vaeView.grid(json.dumps({"n": GRID_SIDE, "tiles": [pixels(image) for row in grid for image in row]}))
        if lesson.terms:
            apply([{"id": "vae-report", "text": summary["report"],
                    "data": {"accuracy": repr(summary["accuracy"]), "baseline": repr(summary["baseline"]),
                             "spread": repr(summary["spread"]), "kl": repr(summary["terms"]["kl"]),
                             "reconstruction": repr(summary["terms"]["reconstruction"])}}])
        if self.point is not None:
            self.show_decode(self.point)

    def decode_asked(self):
        """The point vae.js put on the map (a click or drag), decoded."""
        try:
            self.show_decode(json.loads(element("vae-map").getAttribute("data-ask")))
        except Exception:
            window.vaeView.answered()  # drawing the answer frees vae.js for the next point; a failure must too
            raise

    def show_decode(self, point):
        image = vae.decode(self.lesson.decoder, point)
        self.point = [float(point[0]), float(point[1])]
        state = "trained" if self.lesson.loop.epoch else "untrained"
        caption = f"The {state} decoder at ({self.point[0]:.2f}, {self.point[1]:.2f})."
        window.vaeView.digit(json.dumps({"pixels": pixels(image), "point": self.point, "caption": caption}))

    def finish(self, state):
        self.show_finished()
        lesson = self.lesson
        seconds = lesson.clock.seconds()
        verb = "Finished" if state == "done" else "Stopped"
        epochs = lesson.loop.epoch
        if lesson.terms:
            last = lesson.terms[-1]
            text = (f"{verb} after {epochs} epochs in {seconds:.1f} s: reconstruction {last['reconstruction']:.2f}, "
                    f"KL {last['kl']:.2f} nats per test digit.")
        else:
            text = f"{verb} before the first epoch ended."
        apply([{"id": "vae-pause", "disabled": True, "text": "Pause"}, {"id": "vae-stop", "disabled": True},
               {"id": "vae-status", "text": text, "data": {"state": state, "epochs": str(epochs),
                                                            "seconds": f"{seconds:.2f}"}}])

    def show_pause(self, paused):
        clock = self.lesson.clock
        clock.pause() if paused else clock.resume()
        ops = [{"id": "vae-pause", "text": "Resume" if paused else "Pause"},
               {"id": "vae-status", "data": {"state": "paused" if paused else "training"}}]
        if paused:
            ops[1]["text"] = (f"Paused at {100 * self.lesson.progress:.0f} % of the training. Pick points on the map, "
                              "then Resume.")
        apply(ops)  # the status says so first; the map catches up after
        if paused:
            self.show_finished()


async def setup():
    """Fill the VAE cards' controls and wire their events."""
    global vae
    from pydl.lessons.generative import vae as lesson

    vae = lesson
    section = VAESection()
    wire("#vae-start", "click", "vae-message", section.start)
    for field in FIELDS:
        wire(f"#{field}", "change", "vae-message", section.checked)  # say what is wrong before Train is pressed
    wire("#vae-inbox", "click", "vae-message", section.decode_asked)
    apply([{"id": "vae-start", "disabled": False},
           {"id": "vae-status", "text": "Not trained yet: the map shows where the untrained encoder puts the test "
                                        "digits. Press Train."}])
