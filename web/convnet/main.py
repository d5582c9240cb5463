"""The convnet lab's page glue: controls in, pictures and numbers out.

Every number shown comes from pydl.lessons.convnet (tested natively in tests/lessons/test_convnet.py); this file
only reads controls, calls it, and writes HTML. Training steps the model's own training loop (model.fit's, through
pydl.lessons.convnet.training_loop) in slices of about 0.03 s with an `await` between them, so clicks (drawing, the
views' controls) are handled while a model trains; between two slices it reads the Pause request that
../common/training_controls.js wrote into the training card on the page's thread. The views of the weights cost
seconds, so they are redrawn (a view at a time) when training pauses or ends, not after every epoch. Cards carry
data-* attributes with their state and key numbers for people and tests.

Loading: main() fills the controls and the data card and wires the events, and the page is then ready (its
controls respond). The rest is prepared in the background, one part at a time with an `await` between (see
prepare()): the baseline, the model and its table, then the views of cards 5-7. Each of those cards says
"preparing…" (data-state="pending" in index.html) until its part arrives (data-state="ready"); #lab gets
data-state="ready" (and aria-busy="false") once all have. A handler that needs those parts waits for them; a new
data set does not wait, it replaces them.
"""

import asyncio
import html
import time
import traceback

from pyscript import document, window
from pyodide.ffi import create_proxy

import views
import views_inside
from pydl_page import LineChart, apply, element, page, run_page
from slice_runner import SliceRunner
from views import figure, ink_image, pct, show_message

# Training time between two looks at the Pause button: a pause waits for at most one slice (or one batch and the
# validation pass, at an epoch's end), in a worker as on the page's thread (opened from disk).
SLICE_SECONDS = 0.03


class Lab:
    data = None
    baseline = None
    model = None
    loop = None  # the TrainingLoop of the last Train
    clock = None  # its WallClock: the time the learner waited
    views_show = None  # (model, epoch, batch) the views were last drawn for
    charts = None  # the (loss, accuracy) LineCharts of the run shown
    # Train, Pause and Stop (in the training card); an error in training is shown in the model card's message
    runner = SliceRunner("train-card", "pause", "stop", "train-card", "spec-message", {"class": "msg error"})
    previous_val = None  # validation accuracy of the previous run, drawn for comparison
    evaluation = None
    epochs_trained = 0
    cell = None  # the confusion-matrix cell shown
    preparing = None  # the background task of prepare(), started by main()
    drawn = None  # the drawn digit as the model's input, once there is one
    ascent_generation = 0  # bumped to stop card 8's animation
    # card 10's Compare (Stop only); an error in it is shown where its status is
    transfer_runner = SliceRunner("transfer-card", None, "transfer-stop", "transfer-card", "transfer-status",
                                  {"class": "msg error"})


lab = Lab()


# ------------------------------------------------------------------------------------------------ small helpers
def guarded(message_id, wait=True):
    """Show a handler's ValueError (a person's mistake) or any other error in the card, never only in the console.

    wait: first let prepare() finish (the handler needs the baseline, the model or its views); a handler that loads
    new data passes False: it replaces all of those itself.
    """

    def wrap(handler):
        async def run(*args):
            try:
                if wait and lab.preparing is not None and not lab.preparing.done():
                    await asyncio.wait([lab.preparing])  # never raises; prepare() reports its own failures
                result = handler(*args)
                if asyncio.iscoroutine(result):
                    await result
            except ValueError as error:
                show_message(message_id, str(error), "error")
            except Exception as error:  # a bug: say so where the learner looks, with the details
                show_message(message_id, f"Something went wrong: {type(error).__name__}: {error}", "error")
                print(traceback.format_exc())

        return run

    return wrap


# ------------------------------------------------------------------------------------------------ 1. data
# The cards that prepare() fills after the page is ready (each is data-state="pending" in index.html until then).
PREPARED_CARDS = ("baseline-card", "model-card", "arith-card", "learned-card", "draw-card", "ascent-card",
                  "looks-card")


def ready_ops(*cards):
    return [{"id": card, "data": {"state": "ready"}} for card in cards]


ALL_PREPARED = ready_ops(*PREPARED_CARDS) + [{"id": "lab", "attrs": {"aria-busy": "false"}, "data": {"state": "ready"}}]


def data_ops():
    """The data card (summary and samples) and the test-image fields' limits, as apply() ops (one round trip)."""
    from pydl.lessons.convnet import sample_indices

    data = lab.data
    picks = sample_indices(data.y_train, 3)
    last = str(len(data.x_test) - 1)
    names = data.class_names
    return [{"id": "data-summary", "text": data.describe() + "."},
            {"id": "samples", "html": "".join(figure(ink_image(data.x_train[i]), names[int(data.y_train[i])], "sample")
                                              for i in picks)},
            {"id": "arith-image", "attrs": {"max": last}}, {"id": "fm-image", "attrs": {"max": last}},
            {"id": "looks-image", "attrs": {"max": last}}]


def show_data():
    """Everything that depends on the data, at once: a new data set replaces the baseline, the model and the views."""
    apply(data_ops())
    compute_baseline()
    show_augmentation()
    lab.previous_val = None
    reset_model(force=True)
    apply(ALL_PREPARED)  # a data set picked while prepare() ran: prepare() stops, everything is shown now


def compute_baseline():
    from pydl.lessons.convnet import evaluate_baseline

    data = lab.data
    lab.baseline = evaluate_baseline(data.x_train, data.y_train, data.x_test, data.y_test, data.x_val, data.y_val)
    show_baseline()


def show_baseline():
    result = lab.baseline
    acc, val = result["accuracy"], result["val_accuracy"]
    best = result["best"]
    names = lab.data.class_names
    means = "".join(figure(ink_image(result["means"][c]), f"mean {names[c]}", "mean") for c in range(10))
    table = (
        '<table class="small"><tr><th>distance</th><th>validation accuracy</th><th>test accuracy</th></tr>'
        + "".join(f'<tr class="{"best" if m == best else ""}"><td>{"L1 (mean |a − b|)" if m == "l1" else "RMSE"}</td>'
                  f"<td>{pct(val[m])}</td><td>{pct(acc[m])}</td></tr>" for m in ("l1", "rmse"))
        + f"</table><p>The number to beat: <strong>{pct(acc[best])}</strong> on the test set "
        f"({'L1' if best == 'l1' else 'RMSE'}).</p>")
    apply([{"id": "baseline-means", "html": means},
           {"id": "baseline-result", "html": table,
            "data": {"testAccuracy": str(acc[best]), "valAccuracy": str(max(val.values()))}}]
          + ready_ops("baseline-card"))


def show_augmentation():
    from pydl.applications.digits_augmentation import TRANSFORMATIONS
    from pydl.lessons.convnet import augment

    on = bool(element("augment").checked)
    element("augment-box").hidden = not on
    if not on or lab.data is None:
        return
    x = lab.data.x_train[:1].repeat(8, axis=0)
    variants = augment(x[1:], seed=7)
    apply([{"id": "augment-preview", "html": figure(ink_image(x[0]), "original", "augmented") + "".join(
               figure(ink_image(v), f"copy {i + 1}", "augmented") for i, v in enumerate(variants))},
           {"id": "augment-steps", "html": "".join(f"<li>{html.escape(t)}</li>" for t in TRANSFORMATIONS)}])


async def on_dataset_change(event=None):
    from pydl.lessons.convnet import load_digits_data

    if element("dataset").value in ("mnist", "cifar"):
        return  # the entries that stand for the learner's files; picking files loads them
    stop_training()
    lab.data = load_digits_data(int(element("dataset").value))
    show_message("data-message")
    show_data()


async def read_files(files):
    from pyodide.http import pyfetch

    out = []
    for i in range(files.length):
        file = files.item(i)
        url = window.URL.createObjectURL(file)  # a local blob: URL; the bytes never leave this browser
        try:
            response = await pyfetch(url)
            out.append((str(file.name), await response.bytes()))
        finally:
            window.URL.revokeObjectURL(url)
    return out


async def on_picked_files(event, kind):
    """The learner picked data files: MNIST's IDX files (kind "mnist") or CIFAR-10's binary files ("cifar")."""
    from pydl.lessons.convnet import load_cifar_data, load_idx_data

    files = event.target.files
    if not files or files.length == 0:
        return
    show_message("data-message", "Reading the files…")
    picked = await read_files(files)
    size = int(element("mnist-size").value)
    load = load_idx_data if kind == "mnist" else load_cifar_data
    try:
        data = load(picked, max_train=size, max_test=max(size // 2, 200))
    except ValueError as error:
        show_message("data-message", f"Could not use these files. {error}", "error")
        element("data-card").dataset.idx = "error"
        return
    finally:
        event.target.value = ""  # the same file can be picked again after a fix
    stop_training()
    lab.data = data
    element("data-card").dataset.idx = "loaded"
    element(f"dataset-{kind}").hidden = False
    element("dataset").value = kind
    show_message("data-message", f"Using your files ({', '.join(name for name, _ in picked)}). "
                                 "Choose digits under Images to go back to the bundled digits.", "ok")
    show_data()


# ------------------------------------------------------------------------------------------------ 3. model
def conv_row(i, block):
    def options(values, chosen):
        return "".join(f'<option{" selected" if str(v) == str(chosen) else ""}>{v}</option>' for v in values)

    def select(kind, label, values, chosen):
        return (f'<td><select class="c-{kind}" aria-label="conv{i + 1} {label}">'
                f'{options(values, chosen)}</select></td>')

    return (f'<tr data-layer="{i}"><th>conv{i + 1}</th>'
            f'<td><input type="number" class="c-filters" min="1" max="64" value="{block["filters"]}" '
            f'aria-label="conv{i + 1} filters"></td>'
            + select("kernel", "kernel size", range(1, 8), block["kernel_size"])
            + select("stride", "stride", (1, 2, 3), block["strides"])
            + select("padding", "padding", ("same", "valid"), block["padding"])
            + f'<td><input type="checkbox" class="c-pool" aria-label="conv{i + 1} max-pool"'
            f'{" checked" if block["pool"] else ""}></td></tr>')


def current_blocks():
    blocks = []
    for row in document.querySelectorAll("#conv-controls tbody tr"):
        blocks.append({"filters": row.querySelector(".c-filters").value,
                       "kernel_size": row.querySelector(".c-kernel").value,
                       "strides": row.querySelector(".c-stride").value,
                       "padding": row.querySelector(".c-padding").value,
                       "pool": bool(row.querySelector(".c-pool").checked)})
    return blocks


def conv_rows_html(count, blocks=None):
    from pydl.lessons.convnet import DEFAULT_SPEC

    blocks = blocks or [dict(b) for b in DEFAULT_SPEC["conv"]]
    while len(blocks) < count:
        last = blocks[-1]
        blocks.append({**last, "filters": min(int(float(last["filters"] or 8)) * 2, 64)})
    return "".join(conv_row(i, b) for i, b in enumerate(blocks[:count]))


def render_conv_rows(count):
    apply([{"sel": "#conv-controls tbody", "html": conv_rows_html(count, current_blocks())}])


def read_spec():
    from pydl.lessons.convnet import validate_spec

    return validate_spec({
        "conv": current_blocks(), "dense": element("dense").value, "epochs": element("epochs").value,
        "batch_size": element("batch-size").value, "learning_rate": element("learning-rate").value,
        "augment": bool(element("augment").checked), "seed": 0,
    })


def render_table(model):
    from pydl.lessons.convnet import layer_table

    rows = layer_table(model)
    total = sum(r["params"] for r in rows)

    def shape(s):
        return "(" + ", ".join("None" if d is None else str(d) for d in s) + ")"

    # data-label names each cell's column: on a phone the table's rows become stacked blocks (convnet.css).
    body = "".join(
        f'<tr data-name="{r["name"]}"><td class="name" data-label="layer">{r["name"]}</td>'
        f'<td data-label="type">{r["kind"]}</td><td data-label="what it does">{html.escape(r["description"])}</td>'
        f'<td class="num shape" data-label="output shape">{shape(r["output_shape"])}</td>'
        f'<td class="num params" data-label="parameters">{r["params"]:,}</td>'
        f'<td class="formula" data-label="count">{html.escape(r["formula"])}</td></tr>' for r in rows)
    table = element("layer-table")
    table.innerHTML = ('<thead><tr><th>layer</th><th>type</th><th>what it does</th><th>output shape</th>'
                       '<th>parameters</th><th>count</th></tr></thead>'
                       f'<tbody>{body}</tbody><tfoot><tr><td colspan="4">total</td>'
                       f'<td class="num" data-label="parameters">{total:,}</td><td></td></tr></tfoot>')
    table.dataset.totalParams = str(total)


def reset_model(force=False, refresh=True):
    """Show the model the controls describe. It replaces the page's model only when that one is untrained (or
    ``force``, for new data): a trained model stays in the views below until Train trains the new one.
    refresh=False leaves redrawing the views to the caller (prepare() does it a view at a time)."""
    from pydl.lessons.convnet import build_model

    show_message("spec-message")
    try:
        spec = read_spec()
        model = build_model(spec, lab.data.input_shape)
    except ValueError as error:
        element("train").disabled = True  # before the message: whoever sees the reason finds Train already off
        show_message("spec-message", str(error), "error")
        return
    element("train").disabled = False
    render_table(model)
    apply(ready_ops("model-card"))
    if force or (lab.epochs_trained == 0 and not lab.runner.running):
        lab.model, lab.epochs_trained, lab.evaluation, lab.loop = model, 0, None, None
        apply(clear_run_ops("Not trained yet: the model below has random weights."))
        new_charts()
        if refresh:
            refresh_views()
    else:
        show_message("spec-message", "The table shows the model that Train will build; the views below still show "
                                     "the model trained last.", "info")


async def on_spec_change(event=None):
    reset_model()


async def on_conv_count(event=None):
    render_conv_rows(int(element("conv-count").value))
    await on_spec_change()


# ------------------------------------------------------------------------------------------------ 4. training
def stop_training():
    lab.runner.end()
    apply([{"id": "pause", "disabled": True, "text": "Pause"}, {"id": "stop", "disabled": True},
           {"id": "train-card", "data": {"state": "idle", "control": "run"}}])


def new_charts():
    """Empty loss and accuracy charts (a new run, or a new untrained model: no curves of an older run beside it)."""
    lab.charts = (LineChart("chart-loss", ["train loss", "val loss"], title="loss", y_label="loss"),
                  LineChart("chart-accuracy", ["train", "validation", "baseline", "previous run"],
                            title="accuracy", y_label="accuracy"))
    for chart in lab.charts:
        chart.set_data([])
    return lab.charts


def clear_run_ops(status):
    """apply() ops that show no run: ``status``, an empty progress bar and result, the card's numbers removed."""
    return [{"id": "train-status", "text": status}, {"sel": "#train-progress > div", "attrs": {"style": "width: 0%"}},
            {"id": "train-result", "html": "", "data": {"testAccuracy": "", "advice": ""}},
            {"id": "train-card", "data": {"epochs": "0", "valAccuracy": ""}}]


def bar_op(loop, epochs):
    from pydl.lessons.convnet import progress

    return {"sel": "#train-progress > div", "attrs": {"style": f"width: {100 * progress(loop) / epochs:.1f}%"}}


async def on_train(event=None):
    from pydl.lessons.convnet import WallClock, build_model, training_loop

    spec = read_spec()
    stop_training()
    if lab.loop is not None and lab.loop.history.history.get("val_accuracy"):
        lab.previous_val = list(lab.loop.history.history["val_accuracy"])
    model = build_model(spec, lab.data.input_shape)
    render_table(model)
    lab.model, lab.epochs_trained, lab.evaluation = model, 0, None
    lab.loop = training_loop(model, lab.data, spec["epochs"], spec["batch_size"], spec["augment"], spec["seed"])
    lab.clock = WallClock()
    apply(clear_run_ops(f"Training: epoch 1 of {spec['epochs']}…")
          + [{"id": "train-card", "data": {"state": "training", "control": "run"}},
             {"id": "pause", "disabled": False, "text": "Pause"}, {"id": "stop", "disabled": False},
             {"id": "train", "text": "Train again"}])
    show_message("spec-message")
    run = TrainingRun(spec["epochs"], float(element("baseline-result").dataset.valAccuracy), lab.previous_val)
    lab.clock.start()
    lab.runner.start(run.ended, run.train_slice, run.finish, pause_or_resume, run.show_progress)


class TrainingRun:
    """The parts of one Train that slice_runner.SliceRunner calls: a slice, the charts after an epoch, the end."""

    def __init__(self, epochs, baseline_val, previous):
        self.loop, self.epochs = lab.loop, epochs
        self.baseline_val, self.previous = baseline_val, previous  # drawn beside this run's accuracy
        self.loss_chart, self.acc_chart = new_charts()

    def ended(self):
        loop = self.loop
        return "done" if loop.done else "stopped" if loop.history.stop_reason else None

    async def train_slice(self):
        from pydl.lessons.convnet import train_slice

        loop = self.loop
        epoch_ended = train_slice(loop, SLICE_SECONDS)
        if loop.history.stop_reason:  # the loss became NaN: the loop stopped, the views show the last weights
            show_message("spec-message", loop.history.stop_reason, "error")
            return True
        if not epoch_ended:
            return False
        generation = lab.runner.generation
        await asyncio.sleep(0)  # that slice ended with the validation pass: the browser's turn before the charts
        if generation != lab.runner.generation:
            return True
        logs = {key: values[-1] for key, values in loop.history.history.items()}
        lab.epochs_trained = done = loop.epoch
        epochs, previous = self.epochs, self.previous
        self.loss_chart.add(done, **{"train loss": logs["loss"], "val loss": logs["val_loss"]})
        self.acc_chart.add(done, train=logs["accuracy"], validation=logs["val_accuracy"], baseline=self.baseline_val,
                           **{"previous run": previous[done - 1] if previous and done <= len(previous) else None})
        seconds = lab.clock.seconds() / done  # what the learner waited per epoch, drawing included
        apply([bar_op(loop, epochs), {"id": "train-status", "text": f"Epoch {done} of {epochs}: validation accuracy "
                                              f"{pct(logs['val_accuracy'])} (baseline {pct(self.baseline_val)}) · "
                                              f"{seconds:.1f} s per epoch in this browser."},
               {"id": "train-card", "data": {"epochs": str(done), "valAccuracy": str(logs["val_accuracy"]),
                                             "epochSeconds": f"{seconds:.3f}"}}])
        return True

    def show_progress(self):
        loop = self.loop
        apply([bar_op(loop, self.epochs), {"id": "train-status", "text": f"Training: epoch {loop.epoch + 1} of "
                                                                         f"{self.epochs}, batch {loop.batch} of "
                                                                         f"{loop.steps}…"}])

    async def finish(self, state):
        from pydl.lessons.convnet import progress

        loop, stopped = self.loop, state == "stopped"
        # The views of the weights cost seconds in the browser (more than an epoch of the default model): they are
        # redrawn when training pauses or ends, not after every epoch, a view at a time with clicks taken between.
        apply([{"id": "pause", "disabled": True, "text": "Pause"}, {"id": "stop", "disabled": True}])
        lab.clock.resume()
        if not await redraw_views(lambda: True):
            return
        waited = lab.clock.seconds()  # now with the last views drawn: all the learner waited for
        seconds = waited / max(progress(loop), 1e-9)
        ran = f"{progress(loop):.2f} of {self.epochs} epochs" if stopped else f"{lab.epochs_trained} epochs"
        apply([{"id": "train-status", "text": f"{'Stopped after ' if stopped else ''}{ran} in {waited:.1f} s: "
                                              f"{seconds:.1f} s per epoch in this browser, drawing included."
                                              + (" Train again starts over." if stopped else "")},
               {"id": "train-card", "data": {"epochSeconds": f"{seconds:.3f}", "control": "run"}}])
        show_result("stopped" if stopped else "done")
        # last: tests (and people) read every result after it
        element("train-card").dataset.state = "stopped" if stopped else "done"


def result_html(evaluation, baseline, loop, chance, state):
    """The run's verdict: its test accuracy against the baseline, and what its losses say about the learning rate
    (pydl.lessons.training_advice, from the training loss of each finished epoch)."""
    from pydl.lessons.convnet import progress
    from pydl.lessons.training_advice import diagnose_training

    best = baseline["best"]
    beat = evaluation["accuracy"] > baseline["accuracy"][best]
    losses = loop.history.history.get("loss", [])
    advice = diagnose_training(losses, chance) if losses else None
    epochs = f"{loop.epoch} epoch{'' if loop.epoch == 1 else 's'}"
    when = f"after {epochs}" if state == "done" else f"after {progress(loop):.2f} epochs ({state})"
    if beat:
        verdict = "beaten"
    elif advice is not None and advice.verdict != "learning":
        verdict = "not beaten"
    else:
        verdict = "not beaten yet; train longer or change the model"
    text = (f'<p class="{"ok" if beat else "bad"}">Test accuracy <strong>{pct(evaluation["accuracy"])}</strong> '
            f'{when}, against the baseline\'s {pct(baseline["accuracy"][best])}: {verdict}.</p>')
    if advice is not None and advice.verdict != "learning":
        text += f'<p class="advice">{html.escape(advice.message)}</p>'
    return text, (advice.verdict if advice is not None else "")


def show_result(state="done"):
    from pydl.lessons.training_advice import chance_loss

    text, verdict = result_html(lab.evaluation, lab.baseline, lab.loop, chance_loss(lab.data.y_train), state)
    apply([{"id": "train-result", "html": text,
            "data": {"testAccuracy": str(lab.evaluation["accuracy"]), "advice": verdict, "state": state}}])


def pause_or_resume(paused):
    return pause() if paused else resume()


async def pause():
    """The card asked for a pause: say so at once, then bring the views up to the paused model."""
    from pydl.lessons.convnet import progress

    lab.clock.pause()
    # One round trip, the status first of all: the learner sees at once that the pause took effect.
    apply([{"id": "train-card", "data": {"state": "paused"}}, {"id": "pause", "text": "Resume"},
           {"id": "train-status", "text": f"Paused after {progress(lab.loop):.2f} epochs. Look around, then "
                                          "resume."}])
    card = element("train-card")
    if await redraw_views(lambda: card.getAttribute("data-control") == "pause"):
        show_result_if_evaluated("paused")


def resume():
    """Training goes on: the paused run's result would soon be stale, so it goes."""
    lab.clock.resume()
    apply([{"id": "train-card", "data": {"state": "training"}}, {"id": "pause", "text": "Pause"},
           {"id": "train-result", "html": "", "data": {"testAccuracy": "", "advice": "", "state": ""}}])


async def redraw_views(still_wanted) -> bool:
    """refresh_steps() with a yield between views, unless the views show this model already; False if it was cut
    short (a new run, or ``still_wanted()`` turned False: a resume does not wait for the views)."""
    shown = (lab.model, lab.loop.epoch, lab.loop.batch)
    if lab.views_show == shown:
        return True
    lab.views_show = None
    generation = lab.runner.generation
    for _ in refresh_steps():
        await asyncio.sleep(0)
        if generation != lab.runner.generation or not still_wanted():
            return False
    lab.views_show = shown
    return True


def show_result_if_evaluated(state):
    if lab.evaluation is not None and lab.epochs_trained:
        show_result(state)


# ------------------------------------------------------------------------------------------------ 5.-7. views
def refresh_views():
    """Redraw everything that depends on the model's weights."""
    for _ in refresh_steps():
        pass


def refresh_steps():
    """refresh_views() a view at a time: a generator that yields between views (prepare() awaits there)."""
    from pydl.lessons.convnet import conv_layers, evaluate_test

    started = time.perf_counter()
    lab.evaluation = evaluate_test(lab.model, lab.data.x_test, lab.data.y_test)
    timings = {"evaluate": round(time.perf_counter() - started, 3)}
    names = [layer.name for layer in conv_layers(lab.model)]
    select = element("arith-layer")
    chosen = select.value if select.value in names else names[0]
    select.innerHTML = "".join(f'<option{" selected" if n == chosen else ""}>{n}</option>' for n in names)
    views_inside.ascent_layers(lab)
    shown = ((views.render_filters, None), (views.render_feature_maps, "fm-message"), (views.render_arithmetic, None),
             (views.render_confusion, None), (views.render_cell, None), (views.render_drawing, None),
             (views_inside.render_looks, "looks-message"))
    for view, message in shown:
        yield
        began = time.perf_counter()
        try:
            view(lab)
        except ValueError as error:  # a control out of range: that view says so, the others still draw
            show_message(message or "arith-message", str(error), "error")
        timings[view.__name__] = round(time.perf_counter() - began, 3)
    element("lab").dataset.epochs = str(lab.epochs_trained)
    element("lab").dataset.refreshSeconds = f"{time.perf_counter() - started:.3f}"
    element("lab").dataset.refreshTimings = repr(timings)


async def on_arith_click(event):
    target = event.target
    row, col = target.getAttribute("data-row"), target.getAttribute("data-col")
    if row is None or col is None:
        return
    element("arith-row").value = str(row)
    element("arith-col").value = str(col)
    views.render_arithmetic(lab)


async def on_confusion_click(event):
    target = event.target
    t, p = target.getAttribute("data-true"), target.getAttribute("data-pred")
    if t is None or p is None:
        return
    lab.cell = (int(t), int(p))
    views.render_cell(lab)


async def on_clear(event=None):
    window.convnetDraw.clear()
    element("draw-input").innerHTML = ""
    views.render_drawing(lab)
    views_inside.render_looks_drawn(lab)


def on_drawn(event=None):
    views.render_drawing(lab)
    views_inside.render_looks_drawn(lab)


# ------------------------------------------------------------------------------------------------ wiring
async def on_augment(event=None):
    show_augmentation()
    await on_spec_change()


# Events are delegated: one "change" and one "click" listener on #lab find the handler by the target's id (each
# listener costs round trips to the page while it loads). Conv-layer fields have no id: they are "conv-controls".
ON_CHANGE = {
    "dataset": guarded("data-message", wait=False)(on_dataset_change),
    "idx-files": guarded("data-message", wait=False)(lambda event: on_picked_files(event, "mnist")),
    "cifar-files": guarded("data-message", wait=False)(lambda event: on_picked_files(event, "cifar")),
    "conv-count": guarded("spec-message")(on_conv_count),
    **{name: guarded("spec-message")(on_spec_change)
       for name in ("conv-controls", "dense", "epochs", "batch-size", "learning-rate")},
    "augment": guarded("spec-message")(on_augment),
    **{name: guarded("arith-message")(lambda event: views.render_arithmetic(lab))
       for name in ("arith-image", "arith-layer", "arith-filter", "arith-row", "arith-col", "arith-channel")},
    "fm-image": guarded("fm-message")(lambda event: views.render_feature_maps(lab)),
    "looks-image": guarded("looks-message")(lambda event: views_inside.render_looks(lab)),
}
ON_CLICK = {
    "train": guarded("spec-message")(on_train),
    "draw-clear": guarded("draw-message")(on_clear),
    "ascent-run": guarded("ascent-message")(lambda event: views_inside.run_ascent(lab)),
    "transfer-run": guarded("transfer-status")(lambda event: views_inside.run_transfer(lab, SLICE_SECONDS)),
    **{f"download-{kind}": guarded("download-message")(
        lambda event: views_inside.offer_model(lab, str(event.target.dataset.file)))
       for kind in ("pydl", "pytorch", "keras")},
}
on_arith_click_guarded = guarded("arith-message")(on_arith_click)
on_confusion_click_guarded = guarded("arith-message")(on_confusion_click)


async def on_change(event):
    target = event.target
    name = str(target.id or "")
    if not name and target.closest("#conv-controls") is not None:
        name = "conv-controls"
    handler = ON_CHANGE.get(name)
    if handler is not None:
        await handler(event)


async def on_click(event):
    target = event.target
    handler = ON_CLICK.get(str(target.id or ""))
    if handler is not None:
        await handler(event)
    elif target.hasAttribute("data-row"):  # a cell of the arithmetic view's output map
        await on_arith_click_guarded(event)
    elif target.hasAttribute("data-true"):  # a cell of the confusion matrix
        await on_confusion_click_guarded(event)


def preparation():
    """What the page shows after it is ready, a part at a time (a generator: prepare() awaits at each yield)."""
    compute_baseline()
    yield
    show_augmentation()
    lab.previous_val = None
    reset_model(force=True, refresh=False)  # the model and its table
    if lab.model is not None:
        yield from refresh_steps()
    apply(ALL_PREPARED)


async def prepare():
    """Run preparation() in the background, yielding to the browser between parts so that clicks are handled."""
    data = lab.data
    steps = preparation()
    try:
        while True:
            await asyncio.sleep(0)
            if lab.data is not data:
                return  # new data was picked meanwhile: show_data() has shown everything for it
            if next(steps, StopIteration) is StopIteration:
                return
    except Exception as error:  # a bug: the page is not usable, say so where run_page says it
        page.fail(f"{type(error).__name__}: {error}", traceback.format_exc())
        raise


async def main():
    from pydl.lessons.convnet import DEFAULT_SPEC, load_digits_data

    lab.data = load_digits_data(8)
    box = element("lab")
    box.addEventListener("change", create_proxy(on_change))
    box.addEventListener("click", create_proxy(on_click))
    element("draw-canvas").addEventListener(  # "digit-drawn" does not bubble
        "digit-drawn", create_proxy(guarded("draw-message")(on_drawn)))
    # The first view, in one round trip: the controls' defaults, the conv-layer rows and the data card.
    apply([{"id": "epochs", "value": str(DEFAULT_SPEC["epochs"])},
           {"id": "batch-size", "value": str(DEFAULT_SPEC["batch_size"])},
           {"id": "learning-rate", "value": str(DEFAULT_SPEC["learning_rate"])},
           {"id": "dense", "value": str(DEFAULT_SPEC["dense"])},
           {"id": "conv-count", "value": str(len(DEFAULT_SPEC["conv"]))},
           {"sel": "#conv-controls tbody", "html": conv_rows_html(len(DEFAULT_SPEC["conv"]))}] + data_ops())
    lab.preparing = asyncio.ensure_future(prepare())  # starts once the page is flagged ready


# Training uses OpenBLAS for matrix products (default model: 0.40 -> 0.28 s an epoch here; the Conv32-Conv64 step of
# benchmarks/ about 3x faster); it loads in the background once the page is ready.
await run_page(main, browser_blas=True)  # noqa: F704  (PyScript runs this file with top-level await)
