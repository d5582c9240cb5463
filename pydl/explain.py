"""Looking inside a trained convnet (the book's 5.4): what a filter responds to, where the model looks, and which
pixels its answer hangs on, each computed with autograd from the model's own weights.

- :func:`maximize_activation`: gradient ascent in input space, from a grey image with a little noise, on the mean
  activation of one filter (the picture of what that filter is looking for).
- :func:`grad_cam`: the class activation map of Grad-CAM: the last conv layer's maps weighted by the mean gradient
  of the class score over each map, ReLU, scaled to [0, 1] and upsampled to the input.
- :func:`saliency`: the gradient of the class score with respect to the pixels.

Each reads a layer's output through the functional API (``Model(model.input, [layer.output, model.output])``), so
it works for a ``Sequential`` or functional model built on an ``Input``, on any of its top-level layers. The
model is not changed: its weights get no gradients and keep their ``trainable`` flags.

>>> from pydl.applications import digits_convnet, digits_convnet_preprocess
>>> from pydl.datasets import load_digits
>>> _, (x_test, y_test) = load_digits()
>>> model = digits_convnet()
>>> cam = grad_cam(model, digits_convnet_preprocess(x_test[0])[0])
>>> cam.layer_name, bool(cam.class_index == y_test[0]), cam.heatmap.shape, cam.coarse.shape
('block2_conv', True, (8, 8), (4, 4))
>>> ascent = maximize_activation(model, "block1_conv", filter_index=0, steps=10)
>>> ascent.activations[-1] > ascent.activations[0]
True
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from pydl import activations, layers
from pydl.backend import np, to_numpy
from pydl.models.functional import Model
from pydl.preprocessing.resizing import resize
from pydl.tensor import Tensor

__all__ = ["maximize_activation", "grad_cam", "saliency", "ActivationMaximization", "ClassActivationMap",
           "SaliencyMap"]

_RMS_EPSILON = 1e-5  # the book's guard against dividing by a zero gradient (a filter dead on the image)


@dataclass
class ActivationMaximization:
    """What :func:`maximize_activation` found.

    Attributes:
        image: the final input (h, w, c), unclipped: draw it on its own min-max scale, as the book's
            ``deprocess_image`` does.
        images: the input before each step and after the last, ``steps + 1`` arrays (for an animation).
        activations: the filter's mean activation on each of ``images``.
    """

    image: object
    images: list
    activations: list


@dataclass
class ClassActivationMap:
    """A Grad-CAM map.

    Attributes:
        heatmap: (H, W) in [0, 1] at the input's size: ``coarse`` upsampled bilinearly (pixel centres aligned).
        coarse: (h, w) in [0, 1] at the conv layer's size, before upsampling.
        class_index: the class explained.
        layer_name: the conv layer whose maps were weighted.
        weights: (channels,) the mean gradient of the class score over each map.
    """

    heatmap: object
    coarse: object
    class_index: int
    layer_name: str
    weights: object


@dataclass
class SaliencyMap:
    """A saliency map.

    Attributes:
        heatmap: (H, W) in [0, 1]: the largest |gradient| over the channels of each pixel, over its image maximum.
        gradient: (H, W, C) the gradient of the class score with respect to the input.
        class_index: the class explained.
    """

    heatmap: object
    gradient: object
    class_index: int


# ----------------------------------------------------------------------------------------------- the model's parts
def _layer(model, name: str):
    names = [layer.name for layer in model.layers]
    if name not in names:
        raise ValueError(f'Model "{model.name}" has no layer "{name}"; its layers: {names}. (A layer inside a nested '
                         "model: explain that inner model.)")
    return model.layers[names.index(name)]


def _output_of(model, layer):
    try:
        return layer.output
    except AttributeError as error:  # called several times: which call is meant is ambiguous
        raise ValueError(f'Layer "{layer.name}" of model "{model.name}" is called more than once, so its output is '
                         f"ambiguous: {error}") from None


def _input_of(model):
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f'pydl.explain works on a model with one input and one output; model "{model.name}" has '
                         f"{len(model.inputs)} inputs and {len(model.outputs)} outputs.")
    symbolic = model.inputs[0]
    if any(d is None for d in symbolic.shape[1:]):
        raise ValueError(f'Model "{model.name}" takes inputs of shape {symbolic.shape}; pydl.explain needs every size '
                         "but the batch fixed (build it on an Input with a whole shape).")
    return symbolic


def _channels(model, layer, what: str) -> int:
    shape = _output_of(model, layer).shape
    if len(shape) < 2:
        raise ValueError(f'Layer "{layer.name}" outputs shape {shape}, without a channel axis to pick {what} from.')
    return int(shape[-1])


def _index(value, count: int, what: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
        raise ValueError(f"{what} must be a whole number from 0 to {count - 1} ({owner}); got {value!r}.")
    return int(value)


def _image_batch(model, image) -> Tensor:
    """One image (h, w, c) or a batch of one (1, h, w, c) as a (1, h, w, c) Tensor that tracks its gradient."""
    symbolic = _input_of(model)
    expected = tuple(symbolic.shape[1:])
    array = np.asarray(to_numpy(image.data) if isinstance(image, Tensor) else image)
    if array.shape == (1,) + expected:
        array = array[0]
    if array.shape != expected:
        raise ValueError(f'Model "{model.name}" takes images of shape {expected} (or a batch of one, '
                         f"{(1,) + expected}); got an image of shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError("The image holds NaN or infinite values; give finite pixel values.")
    return Tensor(array[None].astype(symbolic.dtype), requires_grad=True)


@contextmanager
def _weights_without_gradients(model):
    """The weights stop tracking gradients for the duration, so explaining leaves no ``.grad`` on them (and costs
    no weight gradients); their flags come back afterwards."""
    weights = model.weights
    flags = [w.requires_grad for w in weights]
    for w in weights:
        w.requires_grad = False
    try:
        yield
    finally:
        for w, flag in zip(weights, flags):
            w.requires_grad = flag


@contextmanager
def _scores_before_softmax(model):
    """The model's output layer computes its scores without a final softmax for the duration (its activation comes
    back afterwards). The class score of Grad-CAM and saliency is the one before softmax, as in both papers: a
    probability near 1 is flat, and its gradient mixes in every other class."""
    layer = model.outputs[0].node.layer
    activation = getattr(layer, "activation", None)
    try:
        swap = activation is not None and activations.serialize(activation) == "softmax"
    except ValueError:  # a custom callable: not softmax
        swap = False
    if swap:
        layer.activation = activations.get("linear")
    try:
        yield
    finally:
        if swap:
            layer.activation = activation


def _class_score(model, scores, class_index):
    if scores.ndim != 2:
        raise ValueError(f'Model "{model.name}" outputs shape {tuple(scores.shape)}; a class score needs an output of '
                         "(batch, classes).")
    classes = int(scores.shape[1])
    if class_index is None:
        class_index = int(np.argmax(to_numpy(scores.data)[0]))
    class_index = _index(class_index, classes, "class_index", f'model "{model.name}" has {classes} classes')
    return scores[0, class_index], class_index


def _unit_scale(values):
    """``values`` over their maximum (all zeros when nothing is positive)."""
    top = float(values.max())
    return values / top if top > 0 else np.zeros_like(values)


# ----------------------------------------------------------------------------------------------- the three views
def maximize_activation(model, layer_name: str, filter_index: int, steps: int = 40, learning_rate: float = 0.02,
                        seed: int = 0, noise: float = 0.05) -> ActivationMaximization:
    """The input that a filter responds to most, found by gradient ascent from a grey image (the book's 5.4.2).

    The loss is the mean activation of filter ``filter_index`` of layer ``layer_name`` over its whole map; each step
    adds ``learning_rate`` times its gradient with respect to the input, divided by the gradient's root mean square
    (+1e-5), so every step has the same size whatever the layer's scale. The start is grey (0.5, the middle of
    inputs in [0, 1]) plus uniform noise in [-``noise``, ``noise``] drawn from ``numpy.random.default_rng(seed)``.

    Args:
        model: a model built on an ``Input`` of a whole shape (h, w, c).
        layer_name: one of its layers (conv layers are the usual choice; for a Dense layer a filter is a unit).
        filter_index: the channel (last axis) of that layer's output.
        steps: gradient-ascent steps.
        learning_rate: the step size in input units.
        seed: the seed of the start's noise.
        noise: half the range of that noise.

    Raises:
        ValueError: an unknown layer, a filter index out of range, steps under 1, or a non-positive rate, named.
    """
    layer = _layer(model, layer_name)
    filters = _channels(model, layer, "a filter")
    filter_index = _index(filter_index, filters, "filter_index", f'layer "{layer_name}" has {filters} filters')
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1; got {steps!r}.")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number; got {learning_rate!r}.")
    symbolic = _input_of(model)
    probe = Model(model.input, _output_of(model, layer), name=f"{model.name}_{layer_name}")
    rng = np.random.default_rng(seed)
    image = (0.5 + rng.uniform(-noise, noise, symbolic.shape[1:])).astype(symbolic.dtype)
    images, activations = [image], []
    with _weights_without_gradients(model):
        for step in range(steps + 1):
            x = Tensor(image[None], requires_grad=True)
            activation = probe(x, training=False)[..., filter_index].mean()
            activations.append(float(to_numpy(activation.data)))
            if step == steps:
                break
            activation.backward()
            gradient = to_numpy(x.grad)[0]
            gradient = gradient / (np.sqrt(np.mean(gradient.astype(np.float64) ** 2)) + _RMS_EPSILON)
            image = (image + learning_rate * gradient).astype(symbolic.dtype)
            images.append(image)
    return ActivationMaximization(image=image, images=images, activations=activations)


def _last_conv_layer(model):
    convs = [layer for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D))]
    if not convs:
        raise ValueError(f'Model "{model.name}" has no Conv2D/DepthwiseConv2D/SeparableConv2D layer among its layers '
                         f"{[layer.name for layer in model.layers]}; pass layer_name= of a layer with image-shaped "
                         "output.")
    return convs[-1]


def grad_cam(model, image, class_index: int | None = None, layer_name: str | None = None) -> ClassActivationMap:
    """Where the model looks for a class: Grad-CAM (Selvaraju et al. 2017; the book's 5.4.3).

    With ``A`` the (h, w, k) maps of the conv layer for ``image`` and ``y`` the class score (the model's output
    for the class, taken before the softmax when the output layer ends in one, as the paper and Keras' Grad-CAM
    example do; the book takes the probability, which on the digits convnet lights the ink of 69 % of the test
    images instead of 76 %), each map's weight is the mean of dy/dA over its h x w positions; the map is ReLU(sum of weight x map), divided by its
    maximum (all zeros when no position raises the score), then resized to the input's size by bilinear
    interpolation with pixel centres aligned (``pydl.preprocessing.resizing.resize``), which keeps it in [0, 1].

    Args:
        model: a model with one input of a whole shape (H, W, C) and an output (batch, classes).
        image: one image (H, W, C) or a batch of one.
        class_index: the class to explain; by default the one the model predicts.
        layer_name: a layer with (batch, h, w, k) output; by default the last conv layer.

    Raises:
        ValueError: an image of another shape, an unknown layer, a layer without maps, or a class out of range.
    """
    x = _image_batch(model, image)
    layer = _layer(model, layer_name) if layer_name is not None else _last_conv_layer(model)
    if len(_output_of(model, layer).shape) != 4:
        raise ValueError(f'Layer "{layer.name}" outputs shape {_output_of(model, layer).shape}; Grad-CAM needs '
                         "image-shaped maps (batch, h, w, channels): pick a conv or pooling layer.")
    probe = Model(model.input, [_output_of(model, layer), model.output], name=f"{model.name}_grad_cam")
    with _weights_without_gradients(model), _scores_before_softmax(model):
        maps, scores = probe(x, training=False)
        score, class_index = _class_score(model, scores, class_index)
        maps.retain_grad()
        score.backward()
    values = to_numpy(maps.data)[0].astype(np.float64)
    weights = to_numpy(maps.grad)[0].astype(np.float64).mean(axis=(0, 1))
    coarse = _unit_scale(np.maximum(values @ weights, 0.0))
    heatmap = np.clip(resize(coarse, tuple(x.shape[1:3]), "bilinear"), 0.0, 1.0)
    return ClassActivationMap(heatmap=heatmap, coarse=coarse, class_index=class_index, layer_name=layer.name,
                              weights=weights)


def saliency(model, image, class_index: int | None = None) -> SaliencyMap:
    """Which pixels the class score is most sensitive to: the gradient of the class score (before a final softmax,
    as for :func:`grad_cam`) with respect to the input (Simonyan et al. 2014), drawn as the largest |gradient| over each pixel's channels over its
    image maximum.

    Args:
        model, image, class_index: as for :func:`grad_cam`.
    """
    x = _image_batch(model, image)
    with _weights_without_gradients(model), _scores_before_softmax(model):
        scores = model(x, training=False)
        score, class_index = _class_score(model, scores, class_index)
        score.backward()
    gradient = to_numpy(x.grad)[0].astype(np.float64)
    return SaliencyMap(heatmap=_unit_scale(np.abs(gradient).max(axis=-1)), gradient=gradient, class_index=class_index)
