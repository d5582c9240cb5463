"""The convnet lab's page glue: controls in, pictures and numbers out.

Every number shown comes from pydl.lessons.convnet (tested natively in tests/lessons/test_convnet.py); this file
only reads controls, calls it, and writes HTML. Training runs in slices of about 0.1 s with an `await` between
them, so clicks (pause, resume, drawing) are handled while a model trains. Cards carry data-* attributes with
their state and key numbers for people and tests.
"""

import asyncio
import base64
import html
import time
import traceback

from pyscript import document, when, window

from pydl_page import LineChart, element, run_page

SLICE_SECONDS = 0.1  # training time between two yields to the browser


class Lab:
    data = None
    baseline = None
    model = None
    run = None
    paused = False
    generation = 0  # bumped to stop a running training loop
    previous_val = None  # validation accuracy of the previous run, drawn for comparison
    evaluation = None
    epochs_trained = 0
    cell = None  # the confusion-matrix cell shown
    generation_stopped = True  # no training loop is running


lab = Lab()


# ------------------------------------------------------------------------------------------------ small helpers
def show_message(element_id, text="", kind="info"):
    box = element(element_id)
    box.textContent = text
    box.className = f"msg {kind}" if text else "msg"


def guarded(message_id):
    """Show a handler's ValueError (a person's mistake) or any other error in the card, never only in the console."""

    def wrap(handler):
        async def run(*args):
            try:
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


def img(array, css="", title="", extra=""):
    from pydl.lessons.convnet.images import png_data_url

    return (f'<img class="px {css}" src="{png_data_url(array)}" alt="{html.escape(title)}" '
            f'title="{html.escape(title)}" {extra}>')


def figure(array, caption, css="", title=""):
    return f'<figure>{img(array, css, str(title or caption))}<figcaption>{html.escape(str(caption))}</figcaption></figure>'


def ink_image(image):
    from pydl.lessons.convnet.images import ink

    return ink(image[..., 0])


def pct(value):
    return f"{100 * value:.1f}%"


def number(element_id, low=0, high=None, name="value"):
    raw = element(element_id).value
    try:
        value = int(float(raw))
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}.") from None
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be from {low} to {high}, got {value}.")
    return value


# ------------------------------------------------------------------------------------------------ 1. data
def show_data():
    from pydl.lessons.convnet import evaluate_baseline, sample_indices

    data = lab.data
    element("data-summary").textContent = data.describe() + "."
    picks = sample_indices(data.y_train, 3)
    element("samples").innerHTML = "".join(figure(ink_image(data.x_train[i]), int(data.y_train[i]), "sample")
                                           for i in picks)
    lab.baseline = evaluate_baseline(data.x_train, data.y_train, data.x_test, data.y_test, data.x_val, data.y_val)
    show_baseline()
    show_augmentation()
    for field in ("arith-image", "fm-image"):
        element(field).max = str(len(data.x_test) - 1)
    lab.previous_val = None
    reset_model(force=True)


def show_baseline():
    from pydl.lessons.convnet.images import ink

    result = lab.baseline
    element("baseline-means").innerHTML = "".join(
        figure(ink(result["means"][c][..., 0]), f"mean {c}", "mean") for c in range(10))
    acc, val = result["accuracy"], result["val_accuracy"]
    best = result["best"]
    box = element("baseline-result")
    box.innerHTML = (
        '<table class="small"><tr><th>distance</th><th>validation accuracy</th><th>test accuracy</th></tr>'
        + "".join(f'<tr class="{"best" if m == best else ""}"><td>{"L1 (mean |a − b|)" if m == "l1" else "RMSE"}</td>'
                  f"<td>{pct(val[m])}</td><td>{pct(acc[m])}</td></tr>" for m in ("l1", "rmse"))
        + f"</table><p>The number to beat: <strong>{pct(acc[best])}</strong> on the test set "
        f"({'L1' if best == 'l1' else 'RMSE'}).</p>")
    box.dataset.testAccuracy = str(acc[best])
    box.dataset.valAccuracy = str(max(val.values()))


def show_augmentation():
    from pydl.lessons.convnet import augment

    on = bool(element("augment").checked)
    element("augment-box").hidden = not on
    if not on or lab.data is None:
        return
    x = lab.data.x_train[:1].repeat(8, axis=0)
    variants = augment(x[1:], seed=7)
    element("augment-preview").innerHTML = figure(ink_image(x[0]), "original") + "".join(
        figure(ink_image(v), f"copy {i + 1}") for i, v in enumerate(variants))


async def on_dataset_change(event=None):
    from pydl.lessons.convnet import load_digits_data

    if element("dataset").value == "mnist":
        return  # the entry that stands for the learner's files; picking files loads them
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


async def on_idx_files(event):
    from pydl.lessons.convnet import load_idx_data

    files = event.target.files
    if not files or files.length == 0:
        return
    show_message("data-message", "Reading the files…")
    picked = await read_files(files)
    size = int(element("mnist-size").value)
    try:
        data = load_idx_data(picked, max_train=size, max_test=max(size // 2, 200))
    except ValueError as error:
        show_message("data-message", f"Could not use these files. {error}", "error")
        element("data-card").dataset.idx = "error"
        return
    finally:
        event.target.value = ""  # the same file can be picked again after a fix
    stop_training()
    lab.data = data
    element("data-card").dataset.idx = "loaded"
    option = element("dataset-mnist")
    option.hidden = False
    element("dataset").value = "mnist"
    show_message("data-message", f"Using your files ({', '.join(name for name, _ in picked)}). "
                                 "Choose digits under Images to go back to the bundled digits.", "ok")
    show_data()


# ------------------------------------------------------------------------------------------------ 3. model
def conv_row(i, block):
    def options(values, chosen):
        return "".join(f'<option{" selected" if str(v) == str(chosen) else ""}>{v}</option>' for v in values)

    return (f'<tr data-layer="{i}"><th>conv{i + 1}</th>'
            f'<td><input type="number" class="c-filters" min="1" max="64" value="{block["filters"]}" '
            f'aria-label="conv{i + 1} filters"></td>'
            f'<td><select class="c-kernel" aria-label="conv{i + 1} kernel size">{options(range(1, 8), block["kernel_size"])}</select></td>'
            f'<td><select class="c-stride" aria-label="conv{i + 1} stride">{options((1, 2, 3), block["strides"])}</select></td>'
            f'<td><select class="c-padding" aria-label="conv{i + 1} padding">{options(("same", "valid"), block["padding"])}</select></td>'
            f'<td><input type="checkbox" class="c-pool" aria-label="conv{i + 1} max-pool"'
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


def render_conv_rows(count):
    from pydl.lessons.convnet import DEFAULT_SPEC

    blocks = current_blocks() or [dict(b) for b in DEFAULT_SPEC["conv"]]
    while len(blocks) < count:
        last = blocks[-1]
        blocks.append({**last, "filters": min(int(float(last["filters"] or 8)) * 2, 64)})
    element("conv-controls").querySelector("tbody").innerHTML = "".join(
        conv_row(i, b) for i, b in enumerate(blocks[:count]))


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

    body = "".join(
        f'<tr data-name="{r["name"]}"><td>{r["name"]}</td><td>{r["kind"]}</td><td>{html.escape(r["description"])}</td>'
        f'<td class="num shape">{shape(r["output_shape"])}</td><td class="num params">{r["params"]:,}</td>'
        f'<td class="formula">{html.escape(r["formula"])}</td></tr>' for r in rows)
    table = element("layer-table")
    table.innerHTML = ('<thead><tr><th>layer</th><th>type</th><th>what it does</th><th>output shape</th>'
                       '<th>parameters</th><th>count</th></tr></thead>'
                       f'<tbody>{body}</tbody><tfoot><tr><td colspan="4">total</td>'
                       f'<td class="num">{total:,}</td><td></td></tr></tfoot>')
    table.dataset.totalParams = str(total)


def reset_model(force=False):
    """Show the model the controls describe. It replaces the page's model only when that one is untrained (or
    ``force``, for new data): a trained model stays in the views below until Train trains the new one."""
    from pydl.lessons.convnet import build_model

    show_message("spec-message")
    try:
        spec = read_spec()
        model = build_model(spec, lab.data.input_shape)
    except ValueError as error:
        show_message("spec-message", str(error), "error")
        element("train").disabled = True
        return
    element("train").disabled = False
    render_table(model)
    if force or (lab.epochs_trained == 0 and lab.generation_stopped):
        lab.model, lab.epochs_trained, lab.evaluation, lab.run = model, 0, None, None
        element("train-status").textContent = "Not trained yet: the model below has random weights."
        element("train-result").innerHTML = ""
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
    lab.generation += 1
    lab.generation_stopped = True
    lab.paused = False
    element("pause").disabled = True
    element("pause").textContent = "Pause"
    element("train-card").dataset.state = "idle"


async def on_train(event=None):
    from pydl.lessons.convnet import TrainingRun, build_model

    spec = read_spec()
    stop_training()
    if lab.run is not None and lab.run.history["val_accuracy"]:
        lab.previous_val = list(lab.run.history["val_accuracy"])
    model = build_model(spec, lab.data.input_shape)
    render_table(model)
    lab.model, lab.epochs_trained, lab.evaluation = model, 0, None
    lab.run = run = TrainingRun(model, lab.data, spec["epochs"], spec["batch_size"], spec["augment"], spec["seed"])
    lab.generation += 1
    lab.generation_stopped = False
    generation = lab.generation
    card = element("train-card")
    card.dataset.state = "training"
    card.dataset.epochs = "0"
    element("pause").disabled = False
    element("train").textContent = "Train again"
    element("train-result").innerHTML = ""
    show_message("spec-message")
    loss_chart = LineChart("chart-loss", ["train loss", "val loss"], title="loss", y_label="loss")
    acc_chart = LineChart("chart-accuracy", ["train", "validation", "baseline", "previous run"],
                          title="accuracy", y_label="accuracy")
    baseline_val = float(element("baseline-result").dataset.valAccuracy)
    bar = element("train-progress").firstElementChild
    bar.style.width = "0%"
    previous = lab.previous_val
    status = element("train-status")
    status.textContent = f"Training: epoch 1 of {run.epochs}…"
    last_update = 0.0
    while not run.done:
        if generation != lab.generation:
            return  # stopped, or a new run started
        if lab.paused:
            await asyncio.sleep(0.05)
            continue
        logs = run.step(SLICE_SECONDS)
        now = time.perf_counter()
        if logs is None and now - last_update > 0.25:
            last_update = now
            bar.style.width = f"{100 * run.progress / run.epochs:.1f}%"
            status.textContent = (f"Training: epoch {run.epoch + 1} of {run.epochs}, batch {run._batch} of "
                                  f"{run.batches_per_epoch}…")
        if logs is not None:
            epoch = logs["epoch"]
            lab.epochs_trained = epoch
            bar.style.width = f"{100 * run.progress / run.epochs:.1f}%"
            loss_chart.add(epoch, **{"train loss": logs["loss"], "val loss": logs["val_loss"]})
            acc_chart.add(epoch, train=logs["accuracy"], validation=logs["val_accuracy"], baseline=baseline_val,
                          **{"previous run": previous[epoch - 1] if previous and epoch <= len(previous) else None})
            seconds = sum(run.history["seconds"]) / len(run.history["seconds"])
            status.textContent = (f"Epoch {epoch} of {run.epochs}: validation accuracy {pct(logs['val_accuracy'])} "
                                  f"(baseline {pct(baseline_val)}) · {seconds:.1f} s per epoch in this browser.")
            card.dataset.epochs = str(epoch)
            card.dataset.valAccuracy = str(logs["val_accuracy"])
            card.dataset.epochSeconds = f"{seconds:.3f}"
            refresh_views()
        await asyncio.sleep(0)  # let the browser deliver clicks and repaint
    if generation != lab.generation:
        return
    lab.generation_stopped = True
    element("pause").disabled = True
    card.dataset.state = "done"
    show_result()


def show_result():
    ev, base = lab.evaluation, lab.baseline
    best = base["best"]
    beat = ev["accuracy"] > base["accuracy"][best]
    box = element("train-result")
    box.innerHTML = (f'<p class="{"ok" if beat else "bad"}">Test accuracy <strong>{pct(ev["accuracy"])}</strong> '
                     f'after {lab.epochs_trained} epochs, against the baseline\'s {pct(base["accuracy"][best])}: '
                     f'{"beaten" if beat else "not beaten yet; train longer or change the model"}.</p>')
    box.dataset.testAccuracy = str(ev["accuracy"])


async def on_pause(event=None):
    if lab.generation_stopped:
        return
    lab.paused = not lab.paused
    element("pause").textContent = "Resume" if lab.paused else "Pause"
    element("train-card").dataset.state = "paused" if lab.paused else "training"
    if lab.paused:
        element("train-status").textContent = (f"Paused after {lab.run.progress:.2f} epochs. Look around, then "
                                               "resume.")
        show_result_if_evaluated()


def show_result_if_evaluated():
    if lab.evaluation is not None and lab.epochs_trained:
        show_result()


# ------------------------------------------------------------------------------------------------ 5.-7. views
def refresh_views():
    """Redraw everything that depends on the model's weights."""
    from pydl.lessons.convnet import conv_layers, evaluate_test

    started = time.perf_counter()
    lab.evaluation = evaluate_test(lab.model, lab.data.x_test, lab.data.y_test)
    timings = {"evaluate": round(time.perf_counter() - started, 3)}
    names = [layer.name for layer in conv_layers(lab.model)]
    select = element("arith-layer")
    chosen = select.value if select.value in names else names[0]
    select.innerHTML = "".join(f'<option{" selected" if n == chosen else ""}>{n}</option>' for n in names)
    for view, message in ((render_filters, None), (render_feature_maps, "fm-message"), (render_arithmetic, None),
                          (render_confusion, None), (render_cell, None), (render_drawing, None)):
        began = time.perf_counter()
        try:
            view()
        except ValueError as error:  # a control out of range: that view says so, the others still draw
            show_message(message or "arith-message", str(error), "error")
        timings[view.__name__] = round(time.perf_counter() - began, 3)
    element("lab").dataset.epochs = str(lab.epochs_trained)
    element("lab").dataset.refreshSeconds = f"{time.perf_counter() - started:.3f}"
    element("lab").dataset.refreshTimings = repr(timings)


def trained_note():
    return "random weights (not trained yet)" if not lab.epochs_trained else f"after {lab.epochs_trained} epochs"


def render_filters():
    from pydl.lessons.convnet import filter_images

    parts = []
    for group in filter_images(lab.model):
        kh, kw, cin, f = group["shape"]
        css = "filter" if cin == 1 else "filter multi"
        tiles = "".join(figure(t, i, css, f"{group['layer']} filter {i}") for i, t in enumerate(group["filters"]))
        parts.append(f'<div class="layer-row" data-layer="{group["layer"]}"><h4>{group["layer"]}: {f} filters of '
                     f'{kh}×{kw}×{cin} ({trained_note()}; full colour = ±{group["scale"]:.2f})</h4>'
                     f'<div class="gallery">{tiles}</div></div>')
    element("filters").innerHTML = "".join(parts)


def render_feature_maps():
    from pydl.lessons.convnet import feature_maps

    data = lab.data
    show_message("fm-message")
    index = number("fm-image", 0, len(data.x_test) - 1, "Test image")
    image = data.x_test[index]
    parts = [f'<div class="layer-row"><h4>input: test image {index}, a {int(data.y_test[index])}</h4>'
             f'<div class="gallery">{figure(ink_image(image), "input", "fmap")}</div></div>']
    for group in feature_maps(lab.model, image):
        h, w, c = group["shape"]
        maps = "".join(figure(m, i, "fmap", f"{group['layer']} channel {i}") for i, m in enumerate(group["maps"]))
        parts.append(f'<div class="layer-row" data-layer="{group["layer"]}"><h4>{group["layer"]} → {h}×{w}×{c} '
                     f'(brightest = {group["max"]:.2f})</h4><div class="gallery">{maps}</div></div>')
    element("feature-maps").innerHTML = "".join(parts)


def grid(values, fmt="{:.2f}", css="", marks=None, mark_class="hit", pad=None, cell_attrs=None, colors=None):
    rows = []
    for r in range(values.shape[0]):
        cells = []
        for c in range(values.shape[1]):
            classes = []
            if marks is not None and marks[r][c]:
                classes.append(mark_class)
            if pad is not None and not pad[r][c]:
                classes.append("pad")
            attrs = cell_attrs(r, c) if cell_attrs else ""
            style = f' style="background:{colors(r, c)}"' if colors else ""
            text = fmt.format(values[r, c]) if fmt else ""
            cells.append(f'<td class="{" ".join(classes)}"{style} {attrs}>{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="grid {css}">' + "".join(rows) + "</table>"


def rgb(color):
    return f"rgb({int(color[0])},{int(color[1])},{int(color[2])})"


def render_arithmetic():
    from pydl.backend import np
    from pydl.lessons.convnet import conv_arithmetic, layer_outputs
    from pydl.lessons.convnet.images import diverging, heat

    show_message("arith-message")
    data, model = lab.data, lab.model
    index = number("arith-image", 0, len(data.x_test) - 1, "Test image")
    name = element("arith-layer").value
    layer_index = [layer.name for layer in model.layers].index(name)
    layer = model.layers[layer_index]
    outputs = layer_outputs(model, data.x_test[index])
    in_map = data.x_test[index] if layer_index == 0 else outputs[layer_index - 1][1]
    out_map = outputs[layer_index][1]
    oh, ow, filters = out_map.shape
    try:
        f = number("arith-filter", 0, filters - 1, f"Filter of {name}")
        row = number("arith-row", 0, oh - 1, f"Row of {name}'s {oh}×{ow} output")
        col = number("arith-col", 0, ow - 1, f"Column of {name}'s {oh}×{ow} output")
        channel = number("arith-channel", 0, in_map.shape[2] - 1, f"Input channel of {name}")
    except ValueError as error:
        show_message("arith-message", str(error), "error")
        element("arith").dataset.matches = ""
        return
    for field, top in (("arith-filter", filters - 1), ("arith-row", oh - 1), ("arith-col", ow - 1),
                       ("arith-channel", in_map.shape[2] - 1)):
        element(field).max = str(top)
    step = conv_arithmetic(model, data.x_test[index], name, f, row, col)
    kh, kw = step["kernel"].shape[:2]
    inside = step["inside"]

    # The input channel with the patch outlined, and the output map with the chosen cell outlined (clickable).
    in_values = in_map[:, :, channel]
    patch_mark = np.zeros(in_values.shape, dtype=bool)
    rr = [r for r in step["input_rows"] if 0 <= r < in_values.shape[0]]
    cc = [c for c in step["input_cols"] if 0 <= c < in_values.shape[1]]
    if rr and cc:
        patch_mark[rr[0]:rr[-1] + 1, cc[0]:cc[-1] + 1] = True
    in_colors = heat(in_values, max(float(in_map.max()), 1e-6))
    out_colors = heat(out_map[:, :, f], max(float(out_map[:, :, f].max()), 1e-6))
    out_mark = np.zeros((oh, ow), dtype=bool)
    out_mark[row, col] = True
    small = "tiny" if max(in_values.shape) > 12 else ""
    in_grid = grid(in_values, None, f"map {small}", patch_mark, colors=lambda r, c: rgb(in_colors[r, c]))
    out_grid = grid(out_map[:, :, f], None, f"map pick {'tiny' if max(oh, ow) > 12 else ''}", out_mark,
                    cell_attrs=lambda r, c: f'data-row="{r}" data-col="{c}" title="row {r}, column {c}"',
                    colors=lambda r, c: rgb(out_colors[r, c]))
    scale = float(np.abs(step["kernel"]).max()) or 1.0
    k_colors = diverging(step["kernel"][:, :, channel], scale)
    patch = grid(step["patch"][:, :, channel], css="numbers", pad=inside)
    kernel = grid(step["kernel"][:, :, channel], css="numbers", colors=lambda r, c: rgb(k_colors[r, c]))
    products = grid(step["products"][:, :, channel], css="numbers", pad=inside)
    channels = step["patch"].shape[2]
    in_label = "input image" if layer_index == 0 else f"{model.layers[layer_index - 1].name} output"
    if channels > 1:
        sums = step["channel_sums"]
        listed = " ".join(f'<span class="{"on" if i == channel else ""}">{s:+.2f}</span>' for i, s in enumerate(sums))
        sum_line = (f"<p>{channels} input channels: the products of each channel add up to</p>"
                    f'<p class="sums">{listed}</p><p>and those {channels} sums to <b>{step["sum"]:.4f}</b>.</p>')
    else:
        sum_line = f'<p>Sum of the {kh * kw} products: <b>{step["sum"]:.4f}</b></p>'
    ok = "✓ the same" if step["matches"] else "✗ different!"
    relu = (f'<p>ReLU: max({step["pre_activation"]:.4f}, 0) = <b>{step["value"]:.4f}</b></p>'
            if step["activation"] == "relu" else f'<p>{step["activation"]}: <b>{step["value"]:.4f}</b></p>')
    pool_html = ""
    pool = step["pool"]
    if pool is not None and pool["covered"]:
        win = pool["window"]
        mark = np.zeros(win.shape, dtype=bool)
        mark[pool["winner"]] = True
        chosen = "This output wins its window." if pool["chosen"] else "Another cell of the window is larger."
        pool_html = (f'<div class="arith-block"><h4>{pool["layer"]}: 2×2 max-pool</h4>'
                     f'{grid(win, css="numbers", marks=mark, mark_class="win")}'
                     f'<p>Window rows {pool["window_rows"][0]}–{pool["window_rows"][-1]}, columns '
                     f'{pool["window_cols"][0]}–{pool["window_cols"][-1]} of {name}, filter {f}. {chosen}</p>'
                     f'<p>max = <b>{pool["max"]:.4f}</b>; {pool["layer"]}\'s own output at ({pool["row"]}, '
                     f'{pool["col"]}): {pool["layer_value"]:.4f} {"✓" if pool["matches"] else "✗"}</p></div>')
    elif pool is not None:
        pool_html = f'<div class="arith-block"><h4>max-pool</h4><p>{html.escape(pool["message"])}</p></div>'
    box = element("arith")
    box.innerHTML = (
        f'<div class="arith-maps"><div><h4>{in_label}, channel {channel}</h4>{in_grid}</div>'
        f'<div><h4>{name} output, filter {f} (click a cell)</h4>{out_grid}</div></div>'
        f'<div class="arith-steps">'
        f'<div class="arith-block"><h4>input patch</h4>{patch}</div><div class="op">×</div>'
        f'<div class="arith-block"><h4>kernel</h4>{kernel}</div><div class="op">=</div>'
        f'<div class="arith-block"><h4>products</h4>{products}</div></div>'
        f'<div class="arith-sum">{sum_line}'
        f'<p>+ bias {step["bias"]:+.4f} = <b>{step["pre_activation"]:.4f}</b></p>{relu}'
        f'<p>{name}\'s own output at row {row}, column {col}, filter {f}: {step["layer_value"]:.4f} — {ok}</p>'
        f'</div>{pool_html}'
        f'<p class="hint">Numbers of the model as it is now: {trained_note()}. Grey cells are “same” padding (zeros).</p>')
    box.dataset.matches = "true" if step["matches"] else "false"
    box.dataset.value = str(step["value"])
    box.dataset.layerValue = str(step["layer_value"])
    box.dataset.poolMatches = "" if not (pool and pool["covered"]) else ("true" if pool["matches"] else "false")


async def on_arith_click(event):
    target = event.target
    row, col = target.getAttribute("data-row"), target.getAttribute("data-col")
    if row is None or col is None:
        return
    element("arith-row").value = str(row)
    element("arith-col").value = str(col)
    render_arithmetic()


def render_confusion():
    ev = lab.evaluation
    matrix = ev["matrix"]
    peak = max(int(matrix.max()), 1)
    head = "".join(f"<th>{c}</th>" for c in range(10))
    rows = []
    for t in range(10):
        cells = []
        for p in range(10):
            n = int(matrix[t, p])
            kind = "diag" if t == p else ("miss" if n else "zero")
            alpha = 0.12 + 0.88 * n / peak if n else 0
            color = f"rgba(37,99,235,{alpha:.2f})" if t == p else f"rgba(220,38,38,{min(0.25 + alpha, 1):.2f})"
            style = f' style="background:{color}"' if n else ""
            cells.append(f'<td class="{kind}"{style}><button data-true="{t}" data-pred="{p}" '
                         f'title="true {t}, predicted {p}: {n}">{n}</button></td>')
        rows.append(f"<tr><th>{t}</th>{''.join(cells)}</tr>")
    box = element("confusion")
    box.innerHTML = (f'<table class="confusion"><thead><tr><th class="corner">true ↓ / predicted →</th>{head}</tr>'
                     f'</thead><tbody>{"".join(rows)}</tbody></table>'
                     f'<p class="summary">Test accuracy {pct(ev["accuracy"])} ({trained_note()}), '
                     f'{int(matrix.sum())} test images.</p>')
    box.dataset.total = str(int(matrix.sum()))
    box.dataset.accuracy = str(ev["accuracy"])


def render_cell():
    from pydl.lessons.convnet import misclassified

    if lab.cell is None:
        element("cell-caption").textContent = "Click a red cell to see the images the model got wrong."
        element("cell-images").innerHTML = ""
        return
    t, p = lab.cell
    ev, data = lab.evaluation, lab.data
    picks = misclassified(data.y_test, ev["predicted"], t, p)
    what = "correctly classified" if t == p else "misclassified"
    element("cell-caption").textContent = (f"{len(picks)} test image(s) of a {t} {what} as {p}"
                                           + (" (first 40 shown)" if len(picks) > 40 else "") + ".")
    element("cell-images").innerHTML = "".join(
        figure(ink_image(data.x_test[i]), f"#{i}: {100 * ev['probabilities'][i, p]:.0f}% {p}", "sample")
        for i in picks[:40])
    element("cell-images").dataset.count = str(len(picks))


async def on_confusion_click(event):
    target = event.target
    t, p = target.getAttribute("data-true"), target.getAttribute("data-pred")
    if t is None or p is None:
        return
    lab.cell = (int(t), int(p))
    render_cell()


def decode_ink():
    from pydl.backend import np

    text = str(window.convnetDraw.ink())
    size, payload = text.split(":", 1)
    w, h = (int(v) for v in size.split("x"))
    return np.frombuffer(base64.b64decode(payload), dtype=np.uint8).reshape(h, w) / 255.0


def render_drawing():
    from pydl.lessons.convnet import predict_probabilities, preprocess_drawing

    canvas = element("draw-canvas")
    if canvas.getAttribute("data-drawn") != "true":
        show_message("draw-message", "Draw a digit in the box: the model's answer appears here.", "info")
        element("probabilities").innerHTML = ""
        return
    try:
        image = preprocess_drawing(decode_ink(), lab.data.size, lab.data.style)
    except ValueError as error:
        show_message("draw-message", str(error), "error")
        return
    probs = predict_probabilities(lab.model, image)
    best = int(probs.argmax())
    element("draw-input").innerHTML = figure(ink_image(image), f"{lab.data.size}×{lab.data.size} input", "drawn")
    show_message("draw-message", f"The model says {best} ({pct(probs[best])} sure), {trained_note()}.", "ok")
    bars = "".join(
        f'<div class="bar-row{" top" if c == best else ""}" data-class="{c}" data-probability="{float(probs[c])!r}">'
        f'<span class="digit">{c}</span><span class="bar"><span style="width:{100 * probs[c]:.1f}%"></span></span>'
        f'<span class="pct">{pct(probs[c])}</span></div>' for c in range(10))
    box = element("probabilities")
    box.innerHTML = bars
    box.dataset.sum = repr(float(probs.sum()))


async def on_clear(event=None):
    window.convnetDraw.clear()
    element("draw-input").innerHTML = ""
    render_drawing()


# ------------------------------------------------------------------------------------------------ wiring
async def main():
    from pydl.lessons.convnet import DEFAULT_SPEC, load_digits_data

    element("epochs").value = str(DEFAULT_SPEC["epochs"])
    element("batch-size").value = str(DEFAULT_SPEC["batch_size"])
    element("learning-rate").value = str(DEFAULT_SPEC["learning_rate"])
    element("dense").value = str(DEFAULT_SPEC["dense"])
    element("conv-count").value = str(len(DEFAULT_SPEC["conv"]))
    render_conv_rows(len(DEFAULT_SPEC["conv"]))
    lab.data = load_digits_data(8)
    show_data()

    when("change", "#dataset")(guarded("data-message")(on_dataset_change))
    when("change", "#idx-files")(guarded("data-message")(on_idx_files))
    when("change", "#conv-count")(guarded("spec-message")(on_conv_count))
    for selector in ("#conv-controls", "#dense", "#epochs", "#batch-size", "#learning-rate"):
        when("change", selector)(guarded("spec-message")(on_spec_change))
    when("change", "#augment")(guarded("spec-message")(lambda event: (show_augmentation(), on_spec_change())[1]))
    when("click", "#train")(guarded("spec-message")(on_train))
    when("click", "#pause")(guarded("spec-message")(on_pause))
    for selector in ("#arith-image", "#arith-layer", "#arith-filter", "#arith-row", "#arith-col", "#arith-channel"):
        when("change", selector)(guarded("arith-message")(lambda event: render_arithmetic()))
    when("click", "#arith")(guarded("arith-message")(on_arith_click))
    when("change", "#fm-image")(guarded("fm-message")(lambda event: render_feature_maps()))
    when("click", "#confusion")(guarded("arith-message")(on_confusion_click))
    when("digit-drawn", "#draw-canvas")(guarded("draw-message")(lambda event: render_drawing()))
    when("click", "#draw-clear")(guarded("draw-message")(on_clear))
    element("lab").setAttribute("aria-busy", "false")


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
