"""The recurrent-network page's glue: read the controls, call pydl.lessons.rnn, show the results.

Every number shown comes from pydl.lessons.rnn (tests/lessons/test_rnn.py checks the same numbers natively). DOM
changes go through pydl_page.apply in batches, because each call from this worker is a round trip. Training steps
each model's own training loop (model.fit's) in slices of about 0.03 s through slice_runner.SliceRunner, which between
two slices reads the Pause/Stop request that ../common/training_controls.js wrote (on the page's thread) into
#train-controls, so they take effect at once. Handled clicks are counted on <body data-clicks>, so tests can tell
when the page has caught up with them.
"""

import asyncio
import html
import traceback

from pydl_page import LineChart, apply, message_op, read, run_page, wire
from slice_runner import SliceRunner

rnn = None  # pydl.lessons.rnn, imported once pydl is loaded
# Training time between two looks at Pause/Stop: a click waits for at most one slice (or one batch and the
# validation pass, at an epoch's end), in a worker as on the page's thread (opened from disk).
SLICE_SECONDS = 0.03
KIND_COLOURS = {"SimpleRNN": "#2563eb", "LSTM": "#ea580c", "GRU": "#16a34a"}


def pct(value):
    return "\u2013" if value is None else f"{100 * value:.1f} %"


def heat_style(value):
    """A state value in (-1, 1) as a cell colour: red positive, blue negative, white near 0."""
    rgb = "220, 38, 38" if value >= 0 else "37, 99, 235"
    ink = "#fff" if abs(value) > 0.55 else "inherit"
    return f"background: rgba({rgb}, {abs(value):.2f}); color: {ink}"


# ---------------------------------------------------------------------------------------------- 1. one step at a time
class ReadingSection:
    def __init__(self):
        self.layer = rnn.make_reader()
        self.samples = rnn.digit_samples()
        self.picked, self.shown, self.unit = 3, 0, 0
        self.digit = self.samples[self.picked].copy()
        self.lesson = rnn.ReadingLesson(self.layer, self.digit)
        apply([{"id": "read-weights", "html": self.weights_html()}])
        self.render()

    def weights_html(self):
        def table(name, matrix):
            rows = "".join("<tr>" + "".join(f"<td>{rnn.number(v)}</td>" for v in row) + "</tr>" for row in matrix)
            return f'<table class="rnn-table rnn-matrix"><caption>{name}</caption>{rows}</table>'

        lesson = self.lesson
        return (table("W (8 pixels \u00d7 4 units)", lesson.kernel) + table("U (4 \u00d7 4)", lesson.recurrent_kernel)
                + table("b", [lesson.bias]))

    def set_digit(self, digit, picked=None):
        """A new or edited digit: the steps already shown are recomputed for it at once."""
        self.digit, self.picked = digit, picked
        self.lesson = rnn.ReadingLesson(self.layer, digit)
        self.render()

    def pick(self, event):
        value = event.target.getAttribute("data-digit")
        if value is not None:
            self.set_digit(self.samples[int(value)].copy(), int(value))

    def clear(self, event=None):
        self.set_digit(self.digit * 0.0)  # a blank grid to draw on

    def toggle_pixel(self, event):
        row, col = event.target.getAttribute("data-row"), event.target.getAttribute("data-col")
        if row is None or col is None:
            return
        digit = self.digit.copy()
        digit[int(row), int(col)] = rnn.next_ink(digit[int(row), int(col)])
        self.set_digit(digit)

    def step(self, event=None):
        self.shown = min(self.shown + 1, rnn.ROWS)
        self.render()

    def read_all(self, event=None):
        self.shown = rnn.ROWS
        self.render()

    def reset(self, event=None):
        self.shown = 0
        self.render()

    def choose_unit(self, event=None):
        self.unit = int(read("read-unit")["read-unit"])
        self.render()

    def grid_html(self):
        rows = []
        for r, pixels in enumerate(self.digit):
            state = "current" if r == self.shown - 1 else "read" if r < self.shown else "unread"
            cells = "".join(
                f'<button class="rnn-px" data-row="{r}" data-col="{c}" style="--ink: {ink:.3f}" '
                f'aria-label="row {r + 1}, column {c + 1}, ink {rnn.number(ink)}"></button>'
                for c, ink in enumerate(pixels))
            rows.append(f'<div class="rnn-grid-row" data-state="{state}">{cells}</div>')
        return "".join(rows)

    def heatmap_html(self):
        states = self.lesson.states(self.shown)
        rows = []
        for t in range(rnn.ROWS):
            if t < self.shown:
                cells = "".join(f'<td style="{heat_style(v)}">{rnn.number(v)}</td>' for v in states[t])
            else:
                cells = "<td></td>" * self.layer.units
            current = ' class="current"' if t == self.shown - 1 else ""
            rows.append(f"<tr{current}><th>{t + 1}</th>{cells}</tr>")
        return "".join(rows)

    def step_ops(self):
        if self.shown == 0:
            return [{"id": "read-step-view", "hidden": True, "data": {"t": ""}}]
        t = self.shown - 1
        lesson = self.lesson
        row = ", ".join(rnn.number(v) for v in lesson.steps[t].row)
        table = "".join(
            f'<tr data-key="{key}"><th>{html.escape(label)}</th>'
            + "".join(f'<td data-unit="{j}">{text}</td>' for j, text in enumerate(texts)) + "</tr>"
            for key, label, texts in lesson.rows(t))
        sums = lesson.expansion(t, self.unit)
        unit = self.unit + 1
        names = {"from_input": f"x\u209c W, unit {unit}", "from_previous": f"h\u209c\u208b\u2081 U, unit {unit}",
                 "total": f"the sum, unit {unit}", "state": f"h\u209c, unit {unit}"}
        terms = "".join(f'<dt>{names[key]}</dt><dd data-key="{key}">{html.escape(text)}</dd>'
                        for key, text in sums.items())
        return [{"id": "read-step-view", "hidden": False, "data": {"t": str(t)}},
                {"id": "read-input", "html": f"<strong>Step {t + 1}</strong>: x\u209c is row {t + 1} of the digit: "
                                             f"[{row}]"},
                {"sel": "#read-numbers tbody", "html": table},
                {"id": "read-sums", "html": terms}]

    def render(self):
        shown = self.shown
        if shown == 0:
            counter = "Nothing read yet: the state starts at zero. Press Step to read row 1."
        elif shown < rnn.ROWS:
            counter = f"Step {shown} of {rnn.ROWS}: row {shown} read."
        else:
            counter = f"All {rnn.ROWS} rows read: the last state summarises the whole digit."
        ops = [{"id": "read-grid", "html": self.grid_html()},
               {"sel": "#read-heatmap tbody", "html": self.heatmap_html()},
               {"id": "read-counter", "text": counter, "data": {"shown": str(shown)}},
               {"id": "read-step", "disabled": shown == rnn.ROWS}]
        ops += [{"sel": f'.rnn-digit[data-digit="{d}"]', "attrs": {"aria-pressed": str(d == self.picked).lower()}}
                for d in range(10)]
        apply(ops + self.step_ops())


# ---------------------------------------------------------------------------------------------- 2. train it
def result_row(kind, result, curve):
    """One model's row of the results table; data-* attributes carry the exact numbers for tests."""
    seconds = result["seconds_per_epoch"]
    return (f'<tr data-kind="{kind}" data-test-accuracy="{result["test_accuracy"]!r}" data-epochs="{result["epochs"]}">'
            f'<td><span class="rnn-swatch" style="background:{KIND_COLOURS[kind]}"></span>{kind}</td>'
            f'<td class="num" data-label="parameters">{result["params"]:,}</td>'
            f'<td class="num" data-label="epochs">{result["epochs"]}</td>'
            f'<td class="num" data-label="validation accuracy">{pct(curve[-1] if curve else None)}</td>'
            f'<td class="num" data-label="test accuracy"><strong>{pct(result["test_accuracy"])}</strong></td>'
            f'<td class="num" data-label="seconds per epoch">{pct(None) if seconds is None else f"{seconds:.2f}"}</td>'
            '</tr>')


class TrainingSection:
    FIELDS = {"train-units": "units", "train-epochs": "epochs", "train-rate": "learning_rate"}

    def __init__(self):
        self.data = rnn.sequence_data()
        self.chance = rnn.chance_accuracy(self.data)
        self.comparison = None
        self.kind = None  # the model kind the last slice trained
        self.runner = SliceRunner("train-controls", "train-pause", "train-stop", "train-status", "train-message")
        apply([{"id": "train-chance", "text": f"{self.data.describe()}. Always answering the most common digit "
                                              f"scores {pct(self.chance)} on the test digits: chance level."}])

    def checked(self, event=None):
        """The fields' values, or None with the message shown and the field flagged."""
        kinds = {f"train-{kind}": kind for kind in rnn.MODEL_KINDS}
        fields = read(*self.FIELDS, *kinds)
        raw = {key: fields[field] for field, key in self.FIELDS.items()}
        raw["kinds"] = [kind for field, kind in kinds.items() if fields[field]]
        values, message = rnn.check_training(raw)
        flagged = [{"id": field, "attrs": {"aria-invalid": str(bool(
            message and message.startswith(rnn.FIELD_LABELS[key]))).lower()}} for field, key in self.FIELDS.items()]
        apply([message_op("train-message", message)] + flagged)
        return values

    def start(self, event=None):
        values = self.checked()
        if values is None:
            return  # the message says why; a run already going carries on
        self.comparison = rnn.Comparison(values, self.data)
        series = [{"label": kind, "color": KIND_COLOURS[kind]} for kind in values["kinds"]]
        self.chart = LineChart("train-chart", series, title="validation accuracy", x_label="epoch", y_label="accuracy")
        apply([{"id": "train-controls", "data": {"control": "run"}},
               {"id": "train-pause", "disabled": False, "text": "Pause"}, {"id": "train-stop", "disabled": False},
               {"id": "train-start", "text": "Train again"}, {"id": "train-results", "hidden": True},
               {"sel": "#train-progress > div", "attrs": {"style": "width: 0%"}},
               {"id": "train-status", "text": "Training\u2026", "data": {"state": "training"}}])
        self.runner.start(self.ended, self.train_slice, self.finish, self.show_pause, self.show_progress)

    def ended(self):
        return "done" if self.comparison.done else None

    def train_slice(self):
        self.kind, logs = self.comparison.step(SLICE_SECONDS)
        if logs is not None:  # an epoch ended: its numbers now, the progress line at most a few times a second
            self.show_progress(logs)
        return logs

    def show_progress(self, logs=None):
        kind, comparison = self.kind, self.comparison
        epochs = comparison.values["epochs"]
        if logs is None:
            text = f"Training {kind}: epoch {comparison.loops[kind].epoch + 1} of {epochs}\u2026"
        else:
            text = (f"{kind}: epoch {logs['epoch']} of {epochs} done, validation accuracy "
                    f"{pct(logs['val_accuracy'])}.")
        ops = [{"sel": "#train-progress > div", "attrs": {"style": f"width: {100 * comparison.progress:.1f}%"}},
               {"id": "train-status", "text": text}]
        apply(ops)
        if logs is not None:
            curves = comparison.validation_curves()
            epochs = max(len(curve) for curve in curves.values())
            self.chart.set_data(list(range(1, epochs + 1)),
                                **{kind: curve + [None] * (epochs - len(curve)) for kind, curve in curves.items()})

    def finish(self, state):
        """Show each model's held-out test accuracy as it is now ("done", or "stopped" early)."""
        from pydl.lessons.training_advice import chance_loss, diagnose_training

        comparison = self.comparison
        results = comparison.results()
        curves = comparison.validation_curves()
        rows = "".join(result_row(kind, result, curves[kind]) for kind, result in results.items())
        seconds = comparison.clock.seconds()  # the time the learner waited, pauses left out
        best = max(results, key=lambda kind: results[kind]["test_accuracy"])
        verb = "Finished" if state == "done" else "Stopped"
        text = (f"{verb} after {seconds:.1f} s in this browser. Best on the test digits: {best}, "
                f"{pct(results[best]['test_accuracy'])} (chance: {pct(self.chance)}).")
        # What the best model's losses say about the learning rate (all models share it): too high, too low or fine.
        losses = comparison.loops[best].history.history.get("loss", [])
        advice = diagnose_training(losses, chance_loss(self.data.y_train)) if losses else None
        if advice is not None and advice.verdict != "learning":
            text += " " + advice.message
        apply([{"sel": "#train-results tbody", "html": rows}, {"id": "train-results", "hidden": False},
               {"id": "train-pause", "disabled": True, "text": "Pause"}, {"id": "train-stop", "disabled": True},
               {"id": "train-status", "text": text, "data": {"state": state, "seconds": f"{seconds:.2f}",
                                                             "advice": advice.verdict if advice else ""}}])

    def show_pause(self, paused):
        if paused:
            self.comparison.clock.pause()
        else:
            self.comparison.clock.resume()
        apply([{"id": "train-pause", "text": "Resume" if paused else "Pause"},
               {"id": "train-status", "data": {"state": "paused" if paused else "training"},
                **({"text": f"Paused at {pct(self.comparison.progress)} of the training. Resume when ready."}
                   if paused else {})}])


# ---------------------------------------------------------------------------------------------- 3. why memory fades
class FadingSection:
    def __init__(self):
        self.dirty = False
        self.task = None
        self.render()

    def request(self, event=None):
        """A control moved: redraw once with its latest value, however many input events arrive meanwhile."""
        self.dirty = True
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self.redraw())

    async def redraw(self):
        try:
            while self.dirty:
                self.dirty = False
                await asyncio.sleep(0)  # events queued meanwhile only mark the picture out of date
                self.render()
        except Exception as error:
            traceback.print_exc()
            apply([message_op("fade-message", f"Something went wrong: {type(error).__name__}: {error}")])

    def render(self):
        fields = read("fade-digits", "fade-scale", "fade-bias", "fade-log")
        values, message = rnn.check_fading({"digits": fields["fade-digits"], "recurrent_scale": fields["fade-scale"],
                                            "forget_bias": fields["fade-bias"]})
        ops = [message_op("fade-message", message)]
        if values is None:
            return apply(ops)
        result = rnn.fading(**values)
        ops += [{"id": "fade-scale-label", "text": rnn.readable(values["recurrent_scale"])},
                {"id": "fade-bias-label", "text": f"{rnn.number(values['forget_bias'])} "
                                                  f"(gate {result['forget_gate']:.3f})"},
                {"id": "fade-chart", "data": {"steps": str(result["steps"])}},
                {"id": "fade-sentences", "html": "".join(f"<li>{html.escape(result[kind]['sentence'])}</li>"
                                                         for kind in ("SimpleRNN", "LSTM"))}]
        heights = "log_heights" if fields["fade-log"] else "heights"
        for kind in ("SimpleRNN", "LSTM"):
            bars = "".join(
                f'<span class="rnn-bar" style="height: {height:.1f}%" data-step="{t + 1}" data-value="{value!r}" '
                f'title="step {t + 1}: {rnn.number(value)}"></span>'
                for t, (value, height) in enumerate(zip(result[kind]["gradients"], result[kind][heights])))
            ops.append({"id": f"fade-{kind}", "html": bars, "attrs": {"aria-label": result[kind]["sentence"]},
                        "data": {"bars": str(result["steps"])}})
        apply(ops)


# ---------------------------------------------------------------------------------------------- wiring
async def main():
    global rnn
    from pydl.lessons import rnn as lesson

    rnn = lesson
    reading = ReadingSection()
    wire(".rnn-digit", "click", "read-message", reading.pick)
    wire("#read-clear", "click", "read-message", reading.clear)
    wire("#read-grid", "click", "read-message", reading.toggle_pixel)
    wire("#read-step", "click", "read-message", reading.step)
    wire("#read-all", "click", "read-message", reading.read_all)
    wire("#read-reset", "click", "read-message", reading.reset)
    wire("#read-unit", "change", "read-message", reading.choose_unit)

    training = TrainingSection()
    wire("#train-start", "click", "train-message", training.start)
    for field in TrainingSection.FIELDS:
        wire(f"#{field}", "change", "train-message", training.checked)  # say what is wrong before Train is pressed

    fading = FadingSection()
    for control in ("#fade-digits", "#fade-log"):
        wire(control, "change", "fade-message", fading.request)
    for slider in ("#fade-scale", "#fade-bias"):
        wire(slider, "input", "fade-message", fading.request)

    apply([{"sel": f'.rnn-digit[data-digit="{d}"]', "disabled": False} for d in range(10)]
          + [{"id": control, "disabled": False} for control in (
              "read-clear", "read-step", "read-all", "read-reset", "read-unit", "train-start", "fade-digits",
              "fade-scale", "fade-bias", "fade-log")])


# Training uses OpenBLAS for its matrix products once it has loaded, in the background after the page is ready.
await run_page(main, browser_blas=True)  # noqa: F704  (PyScript runs this file with top-level await)
