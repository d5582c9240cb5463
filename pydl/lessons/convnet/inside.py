"""The convnet page's looks inside the learner's own model: what a filter responds to and where the model looks,
as pictures from :mod:`pydl.explain` (which computes them with autograd; this module only draws).

>>> from pydl.lessons.convnet import DEFAULT_SPEC, build_model, load_digits_data
>>> data = load_digits_data()
>>> model = build_model(DEFAULT_SPEC, data.input_shape)
>>> ascent = filter_ascent(model, "conv1", 0, steps=5)
>>> len(ascent["frames"]), ascent["frames"][0].shape
(6, (8, 8))
>>> looks = where_it_looks(model, data.x_test[0])
>>> looks["overlay"].shape, looks["layer"]
((8, 8, 3), 'conv2')
"""

from __future__ import annotations

from pydl.backend import np
from pydl.explain import grad_cam, maximize_activation, saliency
from pydl.lessons.convnet import images

__all__ = ["ASCENT_STEPS", "ASCENT_RATE", "picture", "filter_ascent", "where_it_looks", "overlay"]

ASCENT_STEPS = 40  # 44 ms natively on the default model: computed at once, then played a frame at a time
ASCENT_RATE = 0.02  # pydl.explain's default: 40 steps move each pixel about 0.8, most of the input range


def picture(image):
    """An input-shaped array (h, w, 1) or (h, w, 3) as a uint8 picture on its own min-max scale (the book's
    ``deprocess_image``): one channel as ink (high values dark, like the digits' ink), three as RGB colour."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim == 3 and array.shape[-1] == 3:
        return images.to_uint8(array)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ValueError(f"picture expects an image (h, w), (h, w, 1) or (h, w, 3); got shape {array.shape}.")
    return 255 - images.to_uint8(array)


def filter_ascent(model, layer_name: str, filter_index: int, steps: int = ASCENT_STEPS) -> dict:
    """What filter ``filter_index`` of ``layer_name`` responds to: :func:`pydl.explain.maximize_activation` from a
    grey start (seed 0), as ``{"frames": [picture per step], "activations": [mean activation per step], "layer",
    "filter"}`` (``steps + 1`` frames: the start and the image after each step).

    Raises:
        ValueError: an unknown layer or a filter out of range, named (from pydl.explain).
    """
    result = maximize_activation(model, layer_name, filter_index, steps=steps, learning_rate=ASCENT_RATE, seed=0)
    return {"frames": [picture(image) for image in result.images], "activations": list(result.activations),
            "layer": layer_name, "filter": int(filter_index)}


def overlay(image, heatmap, alpha: float = 0.55):
    """The heat colours of ``heatmap`` (h, w) in [0, 1] laid over the picture of ``image`` (RGB uint8)."""
    base = picture(image).astype(np.float64)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=-1)
    return np.round((1 - alpha) * base + alpha * images.heat(heatmap, 1.0)).astype(np.uint8)


def where_it_looks(model, image, class_index: int | None = None) -> dict:
    """Grad-CAM and saliency of ``image`` for ``class_index`` (default: the class the model answers):
    ``{"class_index", "layer", "heatmap", "overlay", "saliency", "ink", "background"}``.

    ``ink`` and ``background`` are the map's mean brightness on the pixels at least half inked and on the blank
    ones (the measure of tests/test_explain.py): ``ink > background`` means the model looks at the digit.
    """
    cam = grad_cam(model, image, class_index=class_index)
    gradient = saliency(model, image, class_index=cam.class_index)
    values = np.asarray(image, dtype=np.float64).mean(axis=-1)
    inked, blank = values >= 0.5 * values.max(), values <= values.min()
    return {"class_index": int(cam.class_index), "layer": cam.layer_name, "heatmap": cam.heatmap,
            "overlay": overlay(image, cam.heatmap), "saliency": images.heat(gradient.heatmap, 1.0),
            "ink": float(cam.heatmap[inked].mean()), "background": float(cam.heatmap[blank].mean()) if blank.any()
            else 0.0}
