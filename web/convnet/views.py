"""The convnet lab's views of the model: filters, feature maps, one output's arithmetic, the confusion matrix and
the drawn digit's probabilities, as HTML written into the page (main.py holds the state and wires the events).

Each ``render_*`` takes the page's state ``lab`` (data, model, evaluation) and reads its own controls.
"""

import base64
import html

from pyscript import window

from pydl_page import element


def show_message(element_id, text="", kind="info"):
    box = element(element_id)
    box.textContent = text
    box.className = f"msg {kind}" if text else "msg"


def img(array, css="", title="", extra=""):
    from pydl.lessons.convnet.images import png_data_url

    return (f'<img class="px {css}" src="{png_data_url(array)}" alt="{html.escape(title)}" '
            f'title="{html.escape(title)}" {extra}>')


def figure(array, caption, css="", title=""):
    picture = img(array, css, str(title or caption))
    return f'<figure>{picture}<figcaption>{html.escape(str(caption))}</figcaption></figure>'


def ink_image(image):
    """A data image as shown: a digit's ink dark on white, a colour photo in its colours."""
    from pydl.lessons.convnet.images import ink, to_uint8

    return to_uint8(image, 0.0, 1.0) if image.shape[-1] == 3 else ink(image[..., 0])


def pct(value):
    return f"{100 * value:.1f}%"


def number(element_id, low=0, high=None, name="value"):
    raw = element(element_id).value
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not value.is_integer():  # 2.5 is no row: say so rather than use row 2
        raise ValueError(f"{name} must be a whole number, got {raw!r}.") from None
    value = int(value)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be from {low} to {high}, got {value}.")
    return value


def trained_note(lab):
    n = lab.epochs_trained
    return "untrained: random weights" if not n else f"after {n} epoch{'' if n == 1 else 's'}"


def render_filters(lab):
    from pydl.lessons.convnet import filter_images

    parts = []
    for group in filter_images(lab.model):
        kh, kw, cin, f = group["shape"]
        css = "filter" if cin == 1 or group["colour"] else "filter multi"
        tiles = "".join(figure(t, i, css, f"{group['layer']} filter {i}") for i, t in enumerate(group["filters"]))
        parts.append(f'<div class="layer-row" data-layer="{group["layer"]}"><h4>{group["layer"]}: {f} filters of '
                     f'{kh}×{kw}×{cin} ({trained_note(lab)}; '
                     + ("drawn as the colour each pixel responds to, grey = 0, " if group["colour"] else "")
                     + f'full colour = ±{group["scale"]:.2f})</h4>'
                     f'<div class="gallery">{tiles}</div></div>')
    element("filters").innerHTML = "".join(parts)


def render_feature_maps(lab):
    from pydl.lessons.convnet import feature_maps

    data = lab.data
    show_message("fm-message")
    index = number("fm-image", 0, len(data.x_test) - 1, "Test image")
    image = data.x_test[index]
    name = data.class_names[int(data.y_test[index])]
    parts = [f'<div class="layer-row"><h4>input: test image {index}, a {name}</h4>'
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
            text = fmt.format(values[r, c] + 0.0) if fmt else ""  # + 0.0: no "-0.00" for padding
            cells.append(f'<td class="{" ".join(classes)}"{style} {attrs}>{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="grid {css}">' + "".join(rows) + "</table>"


def rgb(color):
    return f"rgb({int(color[0])},{int(color[1])},{int(color[2])})"


def render_arithmetic(lab):
    from pydl.backend import np
    from pydl.lessons.convnet import conv_arithmetic, layer_outputs
    from pydl.lessons.convnet.images import diverging, heat

    show_message("arith-message")
    data, model = lab.data, lab.model
    index = number("arith-image", 0, len(data.x_test) - 1, "Test image")
    name = element("arith-layer").value
    layer_index = [layer.name for layer in model.layers].index(name)
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
    box.dataset.matches = "true" if step["matches"] else "false"
    box.dataset.value = str(step["value"])
    box.dataset.layerValue = str(step["layer_value"])
    box.dataset.poolMatches = "" if not (pool and pool["covered"]) else ("true" if pool["matches"] else "false")
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
        f'<p class="hint">Numbers of the model as it is now: {trained_note(lab)}. '
        'Grey cells are “same” padding (zeros).</p>')



def render_confusion(lab):
    ev = lab.evaluation
    matrix = ev["matrix"]
    peak = max(int(matrix.max()), 1)
    head = "".join(f"<th>{c}</th>" for c in range(10))
    rows = []
    for t in range(10):
        cells = []
        for p in range(10):
            n = int(matrix[t, p])
            kind = "zero" if not n else ("diag" if t == p else "miss")  # every empty cell alike: a grey 0
            alpha = 0.12 + 0.88 * n / peak if n else 0
            color = f"rgba(37,99,235,{alpha:.2f})" if t == p else f"rgba(220,38,38,{min(0.25 + alpha, 1):.2f})"
            style = f' style="background:{color}"' if n else ""
            cells.append(f'<td class="{kind}"{style}><button data-true="{t}" data-pred="{p}" '
                         f'title="true {t}, predicted {p}: {n}">{n}</button></td>')
        rows.append(f"<tr><th>{t}</th>{''.join(cells)}</tr>")
    box = element("confusion")
    box.innerHTML = (f'<table class="confusion"><thead><tr><th class="corner">true ↓ / predicted →</th>{head}</tr>'
                     f'</thead><tbody>{"".join(rows)}</tbody></table>'
                     f'<p class="summary">Test accuracy {pct(ev["accuracy"])} ({trained_note(lab)}), '
                     f'{int(matrix.sum())} test images.</p>')
    box.dataset.total = str(int(matrix.sum()))
    box.dataset.accuracy = str(ev["accuracy"])


def render_cell(lab):
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


def decode_ink():
    from pydl.backend import np

    text = str(window.convnetDraw.ink())
    size, payload = text.split(":", 1)
    w, h = (int(v) for v in size.split("x"))
    return np.frombuffer(base64.b64decode(payload), dtype=np.uint8).reshape(h, w) / 255.0


def render_drawing(lab):
    from pydl.lessons.convnet import predict_probabilities, preprocess_drawing

    canvas = element("draw-canvas")
    if canvas.getAttribute("data-drawn") != "true":
        lab.drawn = None
        show_message("draw-message", "Draw a digit in the box: the model's answer appears here.", "info")
        element("probabilities").innerHTML = ""
        return
    try:
        image = preprocess_drawing(decode_ink(), lab.data.size, lab.data.style)
    except ValueError as error:
        show_message("draw-message", str(error), "error")
        return
    lab.drawn = image
    probs = predict_probabilities(lab.model, image)
    best = int(probs.argmax())
    element("draw-input").innerHTML = figure(ink_image(image), f"{lab.data.size}×{lab.data.size} input", "drawn")
    show_message("draw-message", f"The model says {best} ({pct(probs[best])} sure), {trained_note(lab)}.", "ok")
    bars = "".join(
        f'<div class="bar-row{" top" if c == best else ""}" data-class="{c}" data-probability="{float(probs[c])!r}">'
        f'<span class="digit">{c}</span><span class="bar"><span style="width:{100 * probs[c]:.1f}%"></span></span>'
        f'<span class="pct">{pct(probs[c])}</span></div>' for c in range(10))
    box = element("probabilities")
    box.dataset.sum = repr(float(probs.sum()))  # before the bars, so whoever sees the bars sees their sum
    box.innerHTML = bars
