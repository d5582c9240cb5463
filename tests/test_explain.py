"""pydl.explain against a direct computation with autograd (float64, a hand-built path through the layers), against
finite differences, and against the book's claim about Grad-CAM on the digits."""

import numpy as np
import pytest

import pydl
from pydl import Input, activations, backend, layers, models
from pydl.applications import digits_convnet, digits_convnet_preprocess
from pydl.datasets import load_digits
from pydl.explain import grad_cam, maximize_activation, saliency
from pydl.preprocessing.resizing import resize
from tests.learning import assert_at_least


@pytest.fixture
def small_convnet():
    """A float64 convnet with seeded random weights, shifted off zero so that every ReLU is live somewhere."""
    backend.set_floatx("float64")
    pydl.seed(3)
    model = models.Sequential([
        Input((6, 6, 2)),
        layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a", bias_initializer="ones"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Conv2D(5, 2, activation="relu", name="conv_b", bias_initializer="ones"),
        layers.Flatten(name="flatten"),
        layers.Dense(3, activation="softmax", name="scores"),
    ])
    image = np.random.default_rng(1).uniform(0, 1, (6, 6, 2))
    return model, image


def _by_hand(model, x, upto: str):
    """Run ``model``'s layers on ``x`` up to and including ``upto``; the rest as a function of that output. The
    last Dense is applied without its softmax, as its kernel and bias say."""
    names = [layer.name for layer in model.layers]
    cut = names.index(upto) + 1
    for layer in model.layers[:cut]:
        x = layer(x)

    def rest(maps):
        y = maps
        for layer in model.layers[cut:-1]:
            y = layer(y)
        last = model.layers[-1]
        return y @ last.kernel + last.bias

    return x, rest


def test_a_layer_output_is_a_model_output_next_to_the_model_output(small_convnet):
    model, image = small_convnet
    probe = models.Model(model.input, [model.get_layer("conv_b").output, model.output])
    maps, probabilities = probe(image[None])
    by_hand, _ = _by_hand(model, pydl.tensor(image[None]), "conv_b")
    np.testing.assert_array_equal(maps.numpy(), by_hand.numpy())
    np.testing.assert_array_equal(probabilities.numpy(), model.predict(image[None]))


def test_grad_cam_is_the_direct_autograd_computation(small_convnet):
    model, image = small_convnet
    maps, rest = _by_hand(model, pydl.tensor(image[None]), "conv_b")
    leaf = pydl.tensor(maps.numpy(), requires_grad=True)
    logits = rest(leaf)
    cls = int(np.argmax(logits.numpy()[0]))
    logits[0, cls].backward()
    weights = leaf.grad[0].mean(axis=(0, 1))
    expected = np.maximum(leaf.numpy()[0] @ weights, 0)
    assert expected.max() > 0
    cam = grad_cam(model, image)  # defaults: the last conv layer, the predicted class
    assert (cam.layer_name, cam.class_index) == ("conv_b", cls)
    np.testing.assert_allclose(cam.weights, weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cam.coarse, expected / expected.max(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cam.heatmap, np.clip(resize(cam.coarse, (6, 6)), 0, 1), rtol=1e-12, atol=1e-15)
    assert cam.heatmap.shape == (6, 6) and cam.heatmap.min() >= 0 and cam.heatmap.max() <= 1


def test_grad_cam_of_another_class_and_layer(small_convnet):
    model, image = small_convnet
    maps, rest = _by_hand(model, pydl.tensor(image[None]), "conv_a")
    leaf = pydl.tensor(maps.numpy(), requires_grad=True)
    rest(leaf)[0, 2].backward()
    expected = np.maximum(leaf.numpy()[0] @ leaf.grad[0].mean(axis=(0, 1)), 0)
    cam = grad_cam(model, image[None], class_index=2, layer_name="conv_a")  # a batch of one works too
    scale = expected.max()
    np.testing.assert_allclose(cam.coarse, expected / scale if scale > 0 else expected, rtol=1e-12, atol=1e-15)
    assert cam.coarse.shape == cam.heatmap.shape == (6, 6)  # same size: the upsampling is the identity
    np.testing.assert_allclose(cam.heatmap, cam.coarse, rtol=1e-12, atol=1e-15)


def test_saliency_is_the_gradient_of_the_score_before_softmax(small_convnet):
    model, image = small_convnet
    scores = model.layers[-1]

    def logit_of_class_1(x):
        y = x
        for layer in model.layers[:-1]:
            y = layer(y)
        return (y @ scores.kernel + scores.bias)[0, 1]

    x = pydl.tensor(image[None], requires_grad=True)
    numeric = pydl.numerical_grad(logit_of_class_1, [x])[0][0]
    result = saliency(model, image, class_index=1)
    np.testing.assert_allclose(result.gradient, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(result.heatmap, np.abs(numeric).max(axis=-1) / np.abs(numeric).max(), rtol=1e-5)


def test_maximize_activation_takes_the_books_steps(small_convnet):
    model, _ = small_convnet
    result = maximize_activation(model, "conv_b", filter_index=3, steps=3, learning_rate=0.1, seed=5, noise=0.2)
    start = 0.5 + np.random.default_rng(5).uniform(-0.2, 0.2, (6, 6, 2))
    np.testing.assert_array_equal(result.images[0], start)
    image = start
    for step in range(3):
        x = pydl.tensor(image[None], requires_grad=True)
        maps, _ = _by_hand(model, x, "conv_b")
        loss = maps[..., 3].mean()
        assert result.activations[step] == pytest.approx(float(loss.numpy()), rel=1e-12)
        loss.backward()
        # the loss's gradient is right (finite differences), and the step is that gradient over its RMS
        numeric = pydl.numerical_grad(lambda t: _by_hand(model, t, "conv_b")[0][..., 3].mean(),
                                      [pydl.tensor(image[None], requires_grad=True)])[0]
        np.testing.assert_allclose(x.grad, numeric, rtol=1e-5, atol=1e-9)
        gradient = x.grad[0]
        image = image + 0.1 * gradient / (np.sqrt(np.mean(gradient ** 2)) + 1e-5)
        np.testing.assert_allclose(result.images[step + 1], image, rtol=1e-12, atol=1e-15)
    assert len(result.images) == len(result.activations) == 4
    np.testing.assert_array_equal(result.image, result.images[-1])
    assert result.activations[-1] > result.activations[0]


def test_explaining_changes_nothing_in_the_model(small_convnet):
    model, image = small_convnet
    model.get_layer("conv_a").trainable = False
    flags = [w.requires_grad for w in model.weights]
    before = model.predict(image[None])
    grad_cam(model, image)
    saliency(model, image)
    maximize_activation(model, "conv_a", 1, steps=2)
    assert [w.requires_grad for w in model.weights] == flags
    assert all(w.grad is None for w in model.weights)
    assert activations.serialize(model.get_layer("scores").activation) == "softmax"
    np.testing.assert_array_equal(model.predict(image[None]), before)


@pytest.mark.parametrize("call, message", [
    (lambda m, x: grad_cam(m, x[:5]), r"takes images of shape \(6, 6, 2\).*got an image of shape \(5, 6, 2\)"),
    (lambda m, x: grad_cam(m, x, layer_name="nope"), r'no layer "nope"; its layers: \[.*conv_a'),
    (lambda m, x: grad_cam(m, x, layer_name="flatten"), r'"flatten" outputs shape \(None, 20\).*image-shaped'),
    (lambda m, x: grad_cam(m, x, class_index=3), r"class_index must be a whole number from 0 to 2.*3 classes.*got 3"),
    (lambda m, x: saliency(m, x * np.nan), "NaN or infinite"),
    (lambda m, x: maximize_activation(m, "conv_b", 5), r'filter_index must be .* 0 to 4 \(layer "conv_b" has 5'),
    (lambda m, x: maximize_activation(m, "pool", 0, steps=0), "steps must be a whole number of at least 1; got 0"),
    (lambda m, x: maximize_activation(m, "pool", 0, learning_rate=-1), "learning_rate must be a positive number"),
])
def test_bad_requests_are_refused_by_name(small_convnet, call, message):
    model, image = small_convnet
    with pytest.raises(ValueError, match=message):
        call(model, image)


def test_a_model_without_conv_layers_needs_a_layer_name():
    model = models.Sequential([Input((4,)), layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="has no Conv2D/DepthwiseConv2D/SeparableConv2D layer"):
        grad_cam(model, np.zeros(4))


@pytest.fixture(scope="module")
def digits_test():
    _, (x_test, y_test) = load_digits()
    return x_test, y_test


def test_grad_cam_lights_the_ink_for_most_test_digits(digits_test):
    """The book's claim, measured: on the shipped digits convnet, the map of the true class is brighter on the ink
    (pixels at least half inked) than on the blank background."""
    x_test, y_test = digits_test
    model = digits_convnet()
    images = digits_convnet_preprocess(x_test)
    cam_lit = saliency_lit = 0
    for image, label in zip(images, y_test):
        ink, background = image[..., 0] >= 0.5, image[..., 0] == 0
        cam = grad_cam(model, image, class_index=int(label)).heatmap
        cam_lit += cam[ink].mean() > cam[background].mean()
        sal = saliency(model, image, class_index=int(label)).heatmap
        saliency_lit += sal[ink].mean() > sal[background].mean()
    # Measured 0.756 (272 of 360) for Grad-CAM on its 4x4 maps and 0.975 for saliency (pixel-sharp); taken after
    # the softmax (the book's way) Grad-CAM lit 0.686. The fixed weights leave only rounding to vary.
    assert_at_least(cam_lit / len(y_test), 0.6, "Grad-CAM brighter on ink than background: share of test digits")
    assert_at_least(saliency_lit / len(y_test), 0.9, "saliency brighter on ink than background: share of test digits")


def test_gradient_ascent_raises_every_live_filter_of_the_shipped_model():
    model = digits_convnet()
    raised = []
    for f in range(32):
        result = maximize_activation(model, "block1_conv", f)
        raised.append(result.activations[-1] / result.activations[0])
    # Each of the 32 first-layer filters rose from 0.03-0.12 to 0.25-0.8 in 40 steps (at least 4x) from seed 0.
    assert_at_least(min(raised), 2.0, "gradient ascent: smallest rise of a block1_conv filter's mean activation")
