"""The convnet lab's looks inside the model (cards 8 and 9) and the transfer card's table (card 10), as HTML
written into the page; the numbers and pictures come from pydl.lessons.convnet.inside and .transfer."""

import html

from pydl_page import apply, element
from views import figure, number, pct, show_message, trained_note


def ascent_layers(lab):
    """The layer picker of card 8: the model's conv layers, the chosen one kept."""
    from pydl.lessons.convnet import conv_layers

    names = [layer.name for layer in conv_layers(lab.model)]
    select = element("ascent-layer")
    chosen = select.value if select.value in names else names[0]
    select.innerHTML = "".join(f'<option{" selected" if n == chosen else ""}>{n}</option>' for n in names)


def ascent_choice(lab):
    """(layer name, filter index) from card 8's controls, or a ValueError that names the field and its range."""
    name = element("ascent-layer").value
    layer = next(layer for layer in lab.model.layers if layer.name == name)
    filters = int(layer.filters)
    element("ascent-filter").max = str(filters - 1)
    return name, number("ascent-filter", 0, filters - 1, f"Filter of {name}")


def ascent_frame_ops(lab, ascent, step):
    from pydl.lessons.convnet.images import png_data_url

    last = len(ascent["frames"]) - 1
    activation = ascent["activations"][step]
    return [{"id": "ascent-image", "attrs": {"src": png_data_url(ascent["frames"][step]),
                                             "title": f"{ascent['layer']} filter {ascent['filter']}, step {step}"}},
            {"id": "ascent-caption", "text": f"{ascent['layer']}, filter {ascent['filter']} "
                                             f"({trained_note(lab)}): step {step} of {last}, mean activation "
                                             f"{activation:.4f} (it started at {ascent['activations'][0]:.4f})."},
            {"id": "ascent-card", "data": {"step": str(step), "activation": repr(activation),
                                           "state": "done" if step == last else "running"}}]


def looks_html(looks, image, caption):
    from pydl.lessons.convnet.inside import picture

    cam_caption = f"Grad-CAM for {looks['class_index']}"
    return (f'<div class="gallery">{figure(picture(image), caption, "look")}'
            f'{figure(looks["overlay"], cam_caption, "look")}'
            f'{figure(looks["saliency"], "saliency", "look")}</div>'
            f'<p class="summary">Explained: the answer {looks["class_index"]}, from {looks["layer"]}\'s maps. '
            f'Mean brightness of the map on the ink {looks["ink"]:.2f}, on the blank paper '
            f'{looks["background"]:.2f}.</p>')


def render_looks(lab):
    """Card 9 for the chosen test image, and for the drawn digit once there is one."""
    from pydl.lessons.convnet.inside import where_it_looks

    data = lab.data
    show_message("looks-message")
    index = number("looks-image", 0, len(data.x_test) - 1, "Test image")
    looks = where_it_looks(lab.model, data.x_test[index])
    name = data.class_names[int(data.y_test[index])]
    # One round trip: whoever sees the new pictures also reads their numbers.
    apply([{"id": "looks", "html": looks_html(looks, data.x_test[index], f"test image {index}, a {name}"),
            "data": {"classIndex": str(looks["class_index"]), "ink": repr(looks["ink"]),
                     "background": repr(looks["background"])}}])
    render_looks_drawn(lab)


def render_looks_drawn(lab):
    from pydl.lessons.convnet.inside import where_it_looks

    drawn = lab.drawn
    if drawn is None:
        apply([{"id": "looks-drawn", "html": '<p class="hint">Draw a digit in step 7 to see where the model looks in '
                                             'it.</p>', "data": {"classIndex": ""}}])
        return
    looks = where_it_looks(lab.model, drawn)
    apply([{"id": "looks-drawn", "html": "<h4>Your drawing</h4>" + looks_html(looks, drawn, "your digit"),
            "data": {"classIndex": str(looks["class_index"])}}])


def transfer_ops(run):
    """Card 10's table and status for a TransferRun, as apply() ops."""
    from pydl.lessons.convnet.transfer import WAYS

    rows = "".join(
        f'<tr data-way="{way}" data-accuracy="{run.results[way]!r}"><td>{html.escape(words)}</td>'
        f'<td class="num">{run.trainable[way]:,}</td><td class="num"><strong>{pct(run.results[way])}</strong></td></tr>'
        for way, words in WAYS if way in run.results)
    return [{"sel": "#transfer-table tbody", "html": rows}, {"id": "transfer-table", "hidden": not rows},
            {"sel": "#transfer-progress > div", "attrs": {"style": f"width: {100 * run.progress:.1f}%"}}]


# ------------------------------------------------------------------------------------------------ handlers
FRAME_SECONDS = 0.06  # one ascent step shown every 60 ms: 40 steps play in under 3 s, clicks taken between


async def run_ascent(lab):
    """Card 8: the whole ascent is computed at once (44 ms natively on the default model), then played a step at a
    time with an await between frames; a new click or a new model stops the old animation."""
    import asyncio

    from pydl.lessons.convnet.inside import filter_ascent

    show_message("ascent-message")
    name, index = ascent_choice(lab)
    lab.ascent_generation += 1
    generation, model = lab.ascent_generation, lab.model
    ascent = filter_ascent(model, name, index)
    for step in range(len(ascent["frames"])):
        if generation != lab.ascent_generation or model is not lab.model:
            return
        apply(ascent_frame_ops(lab, ascent, step))
        await asyncio.sleep(FRAME_SECONDS)


def run_transfer(lab, slice_seconds):
    """Card 10: the three ways trained in slices (pydl.lessons.convnet.transfer.TransferRun) by lab.transfer_runner;
    Stop (written into the card by common/training_controls.js) ends it after the current slice, keeping the ways
    finished."""
    from pydl.lessons.convnet.transfer import WAYS, TransferRun

    per_class, steps = int(element("transfer-images").value), int(element("transfer-steps").value)
    run = TransferRun(per_class=per_class, seed=0, steps=steps)
    words = dict(WAYS)
    apply([{"id": "transfer-card", "data": {"control": "run", "state": "training"}},
           {"id": "transfer-stop", "disabled": False}, {"id": "transfer-run", "text": "Compare again"}]
          + transfer_ops(run))

    def train_slice():
        finished = run.step(slice_seconds)
        ops = transfer_ops(run) if finished else [transfer_ops(run)[-1]]
        if not run.done:
            ops.append({"id": "transfer-status", "text": f"Training {words[run.current]}: {pct(run.progress)} of "
                                                         f"all batches ({per_class} images a digit)…"})
        apply(ops)

    def finish(state):
        best = max(run.results, key=run.results.get) if run.results else None
        text = (f"{'Done' if run.done else 'Stopped'}: {len(run.results)} of 3 ways, {per_class} training images of "
                f"each new digit, tested on the {len(run.split.y_test)} test images of 5-9."
                + (f" Best: {words[best].split(' (')[0]}." if best else ""))
        apply([{"id": "transfer-status", "text": text}, {"id": "transfer-stop", "disabled": True},
               {"id": "transfer-card", "data": {"state": state, "control": "run"}}])

    lab.transfer_runner.start(lambda: "done" if run.done else None, train_slice, finish)


def offer_model(lab, file_name):
    """A download button: the model as it is now, in the format of ``file_name`` (pydl.lessons.convnet.download)."""
    from pydl.lessons.convnet.download import FORMATS, exported_zip
    from pydl_page import offer_download

    if file_name == "convnet.pydl":
        data = lab.model.to_bytes()
    else:
        data = exported_zip(lab.model, "pytorch" if "pytorch" in file_name else "keras")
    offer_download(file_name, data, "application/zip" if file_name.endswith(".zip") else "application/octet-stream")
    show_message("download-message", f"Saved {file_name} ({len(data):,} bytes; {FORMATS[file_name]}), the model "
                                     f"{trained_note(lab)}.", "ok")
    element("download-box").dataset.last = file_name
    element("download-box").dataset.bytes = str(len(data))
