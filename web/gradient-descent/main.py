"""The gradient-descent page's glue: read the controls, call pydl.lessons.gradient_descent, show the results.

Every number shown comes from the lesson module (tests/lessons/test_gradient_descent.py checks the same
numbers natively). The charts are the shared LineChart, the loss surface is drawn by surface.js, and DOM
changes go through pydl_page.apply in batches, because each call from this worker is a round trip.
"""

import asyncio
import base64
import html
import json
import time
import traceback

from pyscript import window

from pydl_page import LineChart, apply, message_op, read, run_page, wire

gd = None  # pydl.lessons.gradient_descent, imported once pydl is loaded
surface_canvas = window.lossSurface
MINI_COLOUR, FULL_COLOUR = "#2563eb", "#16a34a"  # one colour per model in every chart and table of card 3
LESSON_CHART = {"y_axis_width": 64, "live_legend": False, "zoom": False}  # room for 1.7e12; nothing moves on hover


def invalid_ops(field_labels, message):
    """Flag the field whose label starts the message (the lesson's messages name the field first)."""
    return [{"id": field, "attrs": {"aria-invalid": "true" if message and message.startswith(label) else "false"}}
            for field, label in field_labels.items()]


def show_message(box_id, message):
    apply([message_op(box_id, message)])


class FieldsSection:
    """A card whose form fields set its lesson: sync() picks up edits and starts the lesson over when they changed."""
    FIELDS: dict = {}  # field id -> label
    MESSAGE = ""       # id of the card's message element

    def checked(self):
        """(values, "") from the card's fields, or (None, message) naming what is wrong."""
        raise NotImplementedError

    def sync(self):
        """Pick up edited fields; False (message shown, state kept) when one is invalid."""
        values, message = self.checked()
        apply([message_op(self.MESSAGE, message), *invalid_ops(self.FIELDS, message)])
        if values is None:
            return False
        if values != self.values:
            self.values = values
            self.restart()
        return True


# ---------------------------------------------------------------------------------------------- one weight
class OneWeightSection(FieldsSection):
    FIELDS = {"ow-x": "Input", "ow-target": "Target", "ow-weight": "Weight", "ow-rate": "Learning rate"}
    MESSAGE = "ow-message"
    KEYS = {"ow-x": "x", "ow-target": "target", "ow-weight": "weight", "ow-rate": "learning_rate"}

    def __init__(self):
        self.values = dict(gd.ONE_WEIGHT_DEFAULTS)
        self.weight_text = None  # what render last wrote into the Weight field
        self.chart = LineChart("ow-chart", [
            {"label": "loss", "color": "#2563eb", "width": 2, "points": False},
            {"label": "tangent", "color": "#ea580c", "width": 2, "dash": [6, 4], "points": False},
            {"label": "visited", "color": "#6b7280", "line": False, "points": 7},
            {"label": "current weight", "color": "#dc2626", "line": False, "points": 12},
        ], x_label="weight", y_label="loss", height=280, **LESSON_CHART)
        self.restart()

    def checked(self):
        fields = read(*self.FIELDS)
        raw = {self.KEYS[f]: fields[f] for f in self.FIELDS}
        if raw["weight"] == self.weight_text:  # the field shows the current weight: not an edit of the start
            raw["weight"] = repr(self.values["weight"])
        return gd.check_one_weight(raw)

    def restart(self):
        self.lesson = gd.OneWeight(**self.values)
        self.stages, self.shown, self.updates = None, 0, 0
        self.render()

    def _begin_update(self):
        self.stages, self.shown = self.lesson.stages(), 0
        self.updates += 1

    def _commit(self):
        self.shown = len(self.stages)
        self.lesson.update()

    def step(self):
        if not self.sync() or self.lesson.blown_up:
            return self.render()
        if self.stages is None or self.shown == len(self.stages):
            self._begin_update()
        self.shown += 1
        if self.shown == len(self.stages):
            self._commit()
        self.render()

    def finish(self):
        if not self.sync() or self.lesson.blown_up:
            return self.render()
        if self.stages is None or self.shown == len(self.stages):
            self._begin_update()
        self._commit()
        self.render()

    def run(self, count=10):
        if not self.sync():
            return self.render()
        for _ in range(count):
            if self.lesson.blown_up:
                break
            self._begin_update()
            self._commit()
        self.render()

    def reset(self):
        if self.sync():
            self.restart()

    def render(self):
        rows = []
        stages = self.stages or [{"key": k, "label": label, "formula": formula, "arithmetic": "", "text": ""}
                                 for k, label, formula in zip(gd.OneWeight.STAGES, (
                                     "Prediction", "Error", "Loss", "Slope of the loss", "Step", "New weight"), (
                                     "input \u00d7 weight", "prediction \u2212 target", "error\u00b2",
                                     "2 \u00d7 error \u00d7 input", "learning rate \u00d7 slope", "weight \u2212 step"))]
        for index, stage in enumerate(stages):
            shown = index < self.shown
            latest = shown and index == self.shown - 1
            value = html.escape(stage["text"]) if shown else ""
            if shown and stage["key"] == "slope":
                value += (f'<span class="check" title="pydl autograd gives the same slope">autograd: '
                          f'{html.escape(gd.fmt(stage["autograd"]))} \u2713</span>')
            rows.append(
                f'<tr data-key="{stage["key"]}" data-shown="{str(shown).lower()}" '
                f'data-value="{html.escape(stage["text"]) if shown else ""}"{" class=latest" if latest else ""}>'
                f'<td>{html.escape(stage["label"])}</td><td>{html.escape(stage["formula"])}</td>'
                f'<td>{html.escape(stage["arithmetic"]) if shown else ""}</td><td class="value">{value}</td></tr>')
        lesson = self.lesson
        counter = f"weight now {gd.fmt(lesson.weight.item())}, loss {gd.fmt(lesson.losses[-1])}"
        if self.updates:
            counter = f"update {self.updates}: " + counter
        status = lesson.status()
        self.weight_text = gd.fmt(lesson.weight.item(), 10)
        apply([
            {"id": "ow-weight", "value": self.weight_text},
            {"sel": "#ow-stages tbody", "html": "".join(rows)},
            {"id": "ow-counter", "text": counter, "data": {"updates": str(self.updates)}},
            {"id": "ow-status", "text": status["message"], "data": {"state": status["state"]}},
        ])
        self.draw()

    def draw(self):
        curve = self.lesson.curve()
        self.chart.set_data(curve["w"], loss=curve["loss"], tangent=curve["tangent"], visited=curve["visited"],
                            **{"current weight": curve["current"]})


# ---------------------------------------------------------------------------------------------- race
class RaceSection:
    FIELDS = {"race-rate": "SGD learning rate", "race-adaptive": "RMSprop/Adam learning rate",
              "race-momentum": "Momentum"}
    RESOLUTION = 240
    FRAME_BUDGET_S = 0.03  # computing time per animation frame; the rest of the frame is the browser's

    def __init__(self):
        options = "".join(f'<option value="{key}">{html.escape(s.title)}</option>' for key, s in gd.SURFACES.items())
        apply([{"id": "race-surface", "html": options}])
        self.playing = False
        self.task = None
        self.set_surface("bowl")

    def set_surface(self, key):
        self.surface = gd.SURFACES[key]
        self.start = self.surface.start
        pixels = gd.contour_image(gd.surface_grid(self.surface, self.RESOLUTION))
        rate_position = gd.RATE_SLIDER.position(self.surface.rate)
        adaptive_position = gd.RATE_SLIDER.position(self.surface.adaptive_rate)
        apply([  # sliders, their labels and the note change together, so they never disagree
            {"id": "race-surface", "value": key},
            {"id": "race-rate", "value": str(rate_position)},
            {"id": "race-rate-label", "text": gd.fmt(gd.RATE_SLIDER.value(rate_position))},
            {"id": "race-adaptive", "value": str(adaptive_position)},
            {"id": "race-adaptive-label", "text": gd.fmt(gd.RATE_SLIDER.value(adaptive_position))},
            {"id": "race-note", "text": self.surface.note},
        ])
        x0, x1, y0, y1 = self.surface.domain
        meta = {
            "width": self.RESOLUTION, "height": self.RESOLUTION,
            "minima": [self.surface.fraction_of(*m) for m in self.surface.minima],
            "start": self.surface.fraction_of(*self.start),
            "racers": [{"key": k, "label": label, "colour": colour} for k, label, colour in gd.RACERS],
            "axes": {"bottomLeft": f"x {gd.fmt(x0)}, y {gd.fmt(y0)}", "bottomRight": f"x {gd.fmt(x1)}",
                     "topRight": f"y {gd.fmt(y1)}"},
        }
        surface_canvas.setSurface("race-canvas", base64.b64encode(pixels.tobytes()).decode("ascii"), json.dumps(meta))
        self.new_race()

    def settings(self):
        fields = read(*self.FIELDS)
        raw = {
            "rate": gd.RATE_SLIDER.value(fields["race-rate"]),
            "adaptive_rate": gd.RATE_SLIDER.value(fields["race-adaptive"]),
            "momentum": fields["race-momentum"],
        }
        values, message = gd.check_race(raw)
        ops = [message_op("race-message", message)]
        if values:  # the labels always show the values the race runs with
            ops += [{"id": "race-rate-label", "text": gd.fmt(values["rate"])},
                    {"id": "race-adaptive-label", "text": gd.fmt(values["adaptive_rate"])},
                    {"id": "race-momentum-label", "text": f"{values['momentum']:.2f}"}]
        apply(ops)
        return values

    def new_race(self):
        values = self.settings()
        if values is None:
            return
        self.race = gd.Race(self.surface, self.start, values["rate"], values["adaptive_rate"], values["momentum"])
        self.sent = {}
        self.push(reset=True)

    def push(self, reset=False):
        race = self.race
        append = race.fractions(self.sent)
        self.sent = {r["key"]: len(r["path"]) for r in race.racers}
        update = {"reset": reset, "append": append, "start": self.surface.fraction_of(*self.start)}
        surface_canvas.race("race-canvas", json.dumps(update))
        rows = []
        for row in race.summary():
            rows.append(
                f'<tr data-racer="{row["key"]}"><td><span class="swatch" style="background:{row["colour"]}"></span>'
                f'{html.escape(row["label"])}</td><td class="num">{row["steps"]}</td><td class="num">{row["x"]}</td>'
                f'<td class="num">{row["y"]}</td><td class="num">{row["loss"]}</td>'
                f'<td><span class="state" data-state="{row["state"]}">{row["state_text"]}</span></td></tr>')
        done = " (finished)" if race.finished else ""
        start = (f"Start: x = {gd.fmt(self.start[0])}, y = {gd.fmt(self.start[1])}, "
                 f"loss {gd.fmt(self.surface.value(*self.start), 4)}.")
        apply([
            {"sel": "#race-table tbody", "html": "".join(rows)},
            {"id": "race-steps", "text": f"step {race.steps} of {race.MAX_STEPS}{done}",
             "data": {"steps": str(race.steps)}},
            {"id": "race-start", "text": start},
        ])

    def step(self):
        self.race.step(1)
        self.push()

    def set_playing(self, playing):
        self.playing = playing
        apply([{"id": "race-play", "text": "Pause" if playing else "Play"}])
        if playing and (self.task is None or self.task.done()):
            self.task = asyncio.ensure_future(self.loop())

    async def loop(self):
        try:
            while self.playing:
                if self.race.finished:
                    self.set_playing(False)
                    break
                started = time.perf_counter()
                while not self.race.finished and time.perf_counter() - started < self.FRAME_BUDGET_S:
                    self.race.step(1)
                self.push()
                await asyncio.sleep(0.015)  # let the browser paint and deliver clicks (Pause!)
        except Exception as error:
            traceback.print_exc()
            self.playing = False
            apply([{"id": "race-play", "text": "Play"}])
            show_message("race-message", f"The race stopped: {type(error).__name__}: {error}")

    def toggle(self):
        if not self.playing and self.race.finished:
            self.new_race()
        self.set_playing(not self.playing)

    def reset(self):
        self.new_race()

    def pick(self):
        pick = json.loads(surface_canvas.lastPick("race-canvas"))
        self.start = self.surface.point_at(pick["x"], pick["y"])
        self.new_race()

    def choose_surface(self):
        self.set_surface(read("race-surface")["race-surface"])


# ---------------------------------------------------------------------------------------------- mini-batch
class MiniBatchSection(FieldsSection):
    FIELDS = {"mb-batch": "Batch size", "mb-rate": "Learning rate"}
    MESSAGE = "mb-message"
    MAX_PLAY_STEPS = 300

    def __init__(self):
        self.values = None
        self.playing = False
        self.task = None
        self.data_chart = LineChart("mb-data", [
            {"label": "points", "color": "#94a3b8", "line": False, "points": 6},
            {"label": "this batch", "color": "#ea580c", "line": False, "points": 10},
            {"label": "mini-batch line", "color": MINI_COLOUR, "width": 2, "points": False},
            {"label": "full-batch line", "color": FULL_COLOUR, "width": 2, "dash": [6, 4], "points": False},
        ], x_label="x", y_label="y", height=260, **LESSON_CHART)
        self.sync()

    def checked(self):
        fields = read("mb-batch", "mb-rate", "mb-shuffle")
        return gd.check_mini_batch({"batch_size": fields["mb-batch"], "learning_rate": fields["mb-rate"],
                                    "shuffle": bool(fields["mb-shuffle"])})

    def restart(self):
        self.lesson = gd.MiniBatch(**self.values)
        self.chart = LineChart("mb-loss", [{"label": "mini-batch", "color": MINI_COLOUR},
                                           {"label": "full batch", "color": FULL_COLOUR}], title="loss on all 48 points",
                               x_label="update step", y_label="mean squared error")
        self.chart.add(0, **{"mini-batch": self.lesson.history["mini"][0],
                             "full batch": self.lesson.history["full"][0]})
        self.render()

    def step(self):
        if not self.sync():
            return
        self._advance()

    def _advance(self):
        lesson = self.lesson
        if lesson.blown_up:
            return self.render()
        lesson.step()
        if not lesson.blown_up:
            self.chart.add(lesson.steps, **{"mini-batch": lesson.history["mini"][-1],
                                            "full batch": lesson.history["full"][-1]})
        self.render()

    def render(self):
        view = self.lesson.view()
        y = self.lesson.y.tolist()
        batch = [v if hit else None for v, hit in zip(y, view["in_batch"])]
        self.data_chart.set_data(self.lesson.x.tolist(), points=y, **{
            "this batch": batch, "mini-batch line": view["fit_mini"], "full-batch line": view["fit_full"]})
        if view["steps"]:
            counters = (f"Step {view['steps']} \u00b7 epoch {view['epoch']}, batch {view['batch_in_epoch']} "
                                    f"of {view['batches_per_epoch']} \u00b7 {view['epochs']} epochs of data seen "
                                    f"by mini-batch SGD, {view['steps']} by full-batch descent")
        else:
            counters = "Press Step: each step draws the next batch and makes one update of each model."
        mini, full = view["mini"], view["full"]
        table = (
            f'<tr data-model="mini"><td><span class="swatch" style="background:{MINI_COLOUR}"></span>mini-batch</td><td class="num">{mini["w"]}</td>'
            f'<td class="num">{mini["b"]}</td><td class="num">{mini["loss"]}</td><td class="num">{mini["batch_loss"]}</td></tr>'
            f'<tr data-model="full"><td><span class="swatch" style="background:{FULL_COLOUR}"></span>full batch</td><td class="num">{full["w"]}</td>'
            f'<td class="num">{full["b"]}</td><td class="num">{full["loss"]}</td><td class="num">\u2013</td></tr>')
        ops = [{"id": "mb-counters", "text": counters, "data": {"steps": str(view["steps"]), "epoch": str(view["epoch"])}},
               {"sel": "#mb-table tbody", "html": table}]
        if view["message"]:
            ops.append(message_op("mb-message", view["message"]))
        apply(ops)

    def set_playing(self, playing):
        self.playing = playing
        apply([{"id": "mb-play", "text": "Pause" if playing else "Play"}])
        if playing and (self.task is None or self.task.done()):
            self.task = asyncio.ensure_future(self.loop())

    async def loop(self):
        try:
            limit = self.lesson.steps + self.MAX_PLAY_STEPS
            while self.playing and self.lesson.steps < limit and not self.lesson.blown_up:
                self._advance()
                await asyncio.sleep(0.06)
        except Exception as error:
            traceback.print_exc()
            show_message("mb-message", f"Training stopped: {type(error).__name__}: {error}")
        self.set_playing(False)

    def toggle(self):
        if self.playing:
            self.set_playing(False)
        elif self.sync():
            self.set_playing(True)

    def reset(self):
        self.set_playing(False)
        if self.sync():
            self.restart()

    def changed(self):
        """A field changed: restart with the new settings (sync does, when they differ and are valid)."""
        before = self.values
        if self.sync() and self.values is not before:
            self.set_playing(False)


# ---------------------------------------------------------------------------------------------- wiring
async def main():
    global gd
    from pydl.lessons import gradient_descent

    gd = gradient_descent
    one = OneWeightSection()
    wire("#ow-step", "click", "ow-message", one.step)
    wire("#ow-update", "click", "ow-message", one.finish)
    wire("#ow-run", "click", "ow-message", one.run)
    wire("#ow-reset", "click", "ow-message", one.reset)
    for field in OneWeightSection.FIELDS:
        wire(f"#{field}", "change", "ow-message", one.sync)  # restarts only when a value really changed

    race = RaceSection()
    wire("#race-play", "click", "race-message", race.toggle)
    wire("#race-step", "click", "race-message", race.step)
    wire("#race-reset", "click", "race-message", race.reset)
    wire("#race-surface", "change", "race-message", race.choose_surface)
    for slider in RaceSection.FIELDS:
        wire(f"#{slider}", "input", "race-message", race.new_race)
    wire("#race-canvas", "surfacepick", "race-message", race.pick)

    batches = MiniBatchSection()
    wire("#mb-step", "click", "mb-message", batches.step)
    wire("#mb-play", "click", "mb-message", batches.toggle)
    wire("#mb-reset", "click", "mb-message", batches.reset)
    for field in ("#mb-batch", "#mb-shuffle", "#mb-rate"):
        wire(field, "change", "mb-message", batches.changed)

    apply([{"id": button, "disabled": False} for button in (
        "ow-step", "ow-update", "ow-run", "ow-reset", "race-play", "race-step", "race-reset",
        "mb-step", "mb-play", "mb-reset")])


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
