"""What the trained convnet does and learned, computed from its real weights: the arithmetic of one output,
filters and feature maps as images, the confusion matrix and its misclassified images, and class probabilities.

>>> from pydl.lessons.convnet.data import load_digits_data
>>> from pydl.lessons.convnet.model import DEFAULT_SPEC, build_model
>>> data = load_digits_data()
>>> model = build_model(DEFAULT_SPEC, data.input_shape)
>>> step = conv_arithmetic(model, data.x_test[0], "conv1", filter_index=0, row=3, col=4)
>>> step["matches"], step["pool"]["matches"]
(True, True)
"""

from __future__ import annotations

from pydl import layers, metrics
from pydl.activations import serialize as activation_name
from pydl.backend import np
from pydl.lessons.convnet import images
from pydl.ops.conv import layout
from pydl.autograd import no_grad

__all__ = ["layer_outputs", "conv_layers", "conv_arithmetic", "filter_images", "feature_maps", "evaluate_test",
           "misclassified", "predict_probabilities"]


def layer_outputs(model, image) -> list:
    """``[(layer, output (h, w, c) or (units,) array)]`` for one image (h, w, 1), each layer run on the one before."""
    x = np.asarray(image, dtype=np.float32)[None]
    outputs = []
    with no_grad():
        for layer in model.layers:
            x = layer(x, training=False)
            outputs.append((layer, x.numpy()[0]))
    return outputs


def conv_layers(model) -> list:
    return [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]


def _layer(model, name):
    for index, layer in enumerate(model.layers):
        if layer.name == name:
            return index, layer
    names = ", ".join(layer.name for layer in model.layers)
    raise ValueError(f"The model has no layer {name!r}; its layers are {names}.")


def _close(a, b) -> bool:
    # float32 sums of up to a few hundred products: agree to a relative 1e-4
    return bool(np.isclose(a, b, rtol=1e-4, atol=1e-5))


def conv_arithmetic(model, image, layer_name: str, filter_index: int, row: int, col: int) -> dict:
    """Every number behind one output of a conv layer, and the max-pooling step after it.

    For output ``(row, col)`` of filter ``filter_index`` of conv layer ``layer_name``: the input patch the kernel
    covers (zeros where "same" padding reaches outside the input), the kernel, their elementwise products, the sum,
    the bias, the activation, and the layer's own output there (``matches`` says they agree). When a 2x2 max-pool
    follows, ``pool`` holds its window (the activations around the output), which cell wins, and the pool layer's own
    output there.

    Returns:
        A dict of plain numbers and NumPy arrays (``patch``/``kernel``/``products`` are (kh, kw, channels)).
    """
    index, layer = _layer(model, layer_name)
    if not isinstance(layer, layers.Conv2D):
        raise ValueError(f"{layer_name} is a {type(layer).__name__}; pick a conv layer.")
    if layer.dilation_rate != (1, 1):
        raise ValueError(f"{layer_name} has dilation_rate {layer.dilation_rate}; the step-by-step view shows "
                         "undilated kernels only.")
    outputs = layer_outputs(model, image)
    x = np.asarray(image, dtype=np.float32) if index == 0 else outputs[index - 1][1]
    out = outputs[index][1]
    oh, ow, filters = out.shape
    if not 0 <= filter_index < filters:
        raise ValueError(f"{layer_name} has filters 0..{filters - 1}; got {filter_index}.")
    if not (0 <= row < oh and 0 <= col < ow):
        raise ValueError(f"{layer_name}'s output is {oh}x{ow}: rows 0..{oh - 1}, columns 0..{ow - 1}; "
                         f"got ({row}, {col}).")
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    # The library's own padding rule, so "same" pads exactly as the layer did.
    (top, _, left, _), _ = layout((1,) + x.shape, (kh, kw), (sh, sw), layer.padding)
    h, w, channels = x.shape
    rows, cols = np.arange(kh) + row * sh - top, np.arange(kw) + col * sw - left
    inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    patch = np.zeros((kh, kw, channels), dtype=np.float64)
    patch[inside] = x[np.clip(rows, 0, h - 1)[:, None], np.clip(cols, 0, w - 1)[None, :]][inside]
    kernel = layer.kernel.numpy()[:, :, :, filter_index].astype(np.float64)
    bias = float(layer.bias.numpy()[filter_index]) if layer.bias is not None else 0.0
    products = patch * kernel
    total = float(products.sum())
    activation = activation_name(layer.activation)
    pre = total + bias
    value = max(pre, 0.0) if activation == "relu" else pre
    layer_value = float(out[row, col, filter_index])
    result = {
        "layer": layer_name, "filter": int(filter_index), "row": int(row), "col": int(col),
        "input_rows": rows.tolist(), "input_cols": cols.tolist(), "inside": inside,
        "patch": patch, "kernel": kernel, "products": products, "channel_sums": products.sum(axis=(0, 1)),
        "sum": total, "bias": bias, "pre_activation": pre, "activation": activation, "value": value,
        "layer_value": layer_value, "matches": _close(value, layer_value), "output_shape": out.shape, "pool": None,
    }
    following = model.layers[index + 1] if index + 1 < len(model.layers) else None
    if isinstance(following, layers.MaxPooling2D):
        result["pool"] = _pool_step(following, out[:, :, filter_index], outputs[index + 1][1][:, :, filter_index],
                                    row, col)
    return result


def _pool_step(pool, fmap, pooled, row, col):
    """The max-pool window that contains (row, col) of ``fmap`` (first window, for overlapping pools)."""
    (ph, pw), (sh, sw) = pool.pool_size, pool.strides
    (top, _, left, _), (oh, ow) = layout((1,) + fmap.shape + (1,), (ph, pw), (sh, sw), pool.padding)
    py, px = (row + top) // sh, (col + left) // sw
    if not (py < oh and px < ow and (row + top) - py * sh < ph and (col + left) - px * sw < pw):
        return {"covered": False, "message": f"Row {row}, column {col} falls outside every {ph}x{pw} pooling window "
                                             "('valid' pooling drops the last odd row/column)."}
    rows, cols = np.arange(ph) + py * sh - top, np.arange(pw) + px * sw - left
    inside = ((rows >= 0) & (rows < fmap.shape[0]))[:, None] & ((cols >= 0) & (cols < fmap.shape[1]))[None, :]
    window = np.full((ph, pw), -np.inf)
    clipped = fmap[np.clip(rows, 0, fmap.shape[0] - 1)[:, None], np.clip(cols, 0, fmap.shape[1] - 1)[None, :]]
    window[inside] = clipped[inside]
    winner = np.unravel_index(int(np.argmax(window)), window.shape)  # the first maximum, as the layer takes it
    maximum, layer_value = float(window[winner]), float(pooled[py, px])
    return {"covered": True, "layer": pool.name, "row": int(py), "col": int(px), "window": window,
            "window_rows": rows.tolist(), "window_cols": cols.tolist(), "winner": (int(winner[0]), int(winner[1])),
            "max": maximum, "layer_value": layer_value, "matches": _close(maximum, layer_value),
            "chosen": (int(rows[winner[0]]), int(cols[winner[1]])) == (row, col)}


def filter_images(model) -> list:
    """For each conv layer: ``{"layer", "shape", "scale", "filters": [RGB uint8 image per filter]}``.

    A filter of a layer with C input channels is drawn as its C kernel slices side by side in a grid; blue is
    negative, red positive, on one colour scale per layer (its largest |weight|), so filters compare fairly. The
    first layer's filters on a colour (RGB) input are drawn in colour instead (``"colour": True``): each weight
    triple as the colour it responds to most, grey for zero, ``0.5 + w / (2 * scale)`` per channel.
    """
    out = []
    for index, layer in enumerate(conv_layers(model)):
        kernel = layer.kernel.numpy().astype(np.float64)  # (kh, kw, C, F)
        scale = float(np.abs(kernel).max()) or 1.0
        kh, kw, channels, filters = kernel.shape
        colour = index == 0 and channels == 3
        tiles = []
        for f in range(filters):
            if colour:
                tiles.append(images.to_uint8(0.5 + kernel[:, :, :, f] / (2 * scale), 0.0, 1.0))
                continue
            slices = images.diverging(np.moveaxis(kernel[:, :, :, f], -1, 0), scale)  # (C, kh, kw, 3)
            tiles.append(images.tile(slices, gap=1, fill=215) if channels > 1 else slices[0])
        out.append({"layer": layer.name, "shape": kernel.shape, "scale": scale, "filters": tiles, "colour": colour})
    return out


def feature_maps(model, image) -> list:
    """For each layer with image-shaped output (conv and pooling): ``{"layer", "kind", "shape", "max", "maps"}``,
    ``maps`` one RGB image per channel on one brightness scale per layer (its largest activation)."""
    out = []
    for layer, value in layer_outputs(model, image):
        if value.ndim != 3:
            continue
        vmax = float(value.max())
        maps = images.heat(np.moveaxis(value, -1, 0), vmax if vmax > 0 else 1.0)
        out.append({"layer": layer.name, "kind": type(layer).__name__, "shape": value.shape, "max": vmax,
                    "maps": list(maps)})
    return out


def evaluate_test(model, x_test, y_test) -> dict:
    """Predictions on the test set and their confusion matrix (rows: true class, columns: predicted class)."""
    probabilities = model.predict(x_test, batch_size=256)
    predicted = probabilities.argmax(axis=1)
    y_test = np.asarray(y_test)
    matrix = metrics.confusion_matrix(y_test, predicted, num_classes=10)
    return {"matrix": matrix, "predicted": predicted, "accuracy": float((predicted == y_test).mean()),
            "probabilities": probabilities}


def misclassified(y_true, y_pred, true_class: int, predicted_class: int):
    """Indices of the test images of one confusion-matrix cell (true ``true_class``, predicted ``predicted_class``)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.flatnonzero((y_true == int(true_class)) & (y_pred == int(predicted_class)))


def predict_probabilities(model, image):
    """The model's 10 class probabilities for one image (h, w, 1)."""
    return model.predict(np.asarray(image, dtype=np.float32)[None])[0].astype(np.float64)
