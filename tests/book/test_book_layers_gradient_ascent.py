"""The book's 5.4 "visualizing convnet filters" recipe, its code as printed with ``from keras import backend as K``
changed to pydl's: gradient ascent in input space on a pydl convnet (the book uses VGG16, which cannot be fetched
here; this is the book's own small cats-vs-dogs convnet of 5.2, with the images the recipe's 150 x 150 made 64)."""

import numpy as np

import pydl
from pydl import layers, models
from pydl import keras_backend as K  # the book: from keras import backend as K
from tests.learning import assert_at_least


def _book_convnet():
    """5.2's convnet (conv 32-64-128-128 with max pooling), on 64 x 64 colour images."""
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(64, 64, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu", name="block3_conv1"))
    return model


# ---- the book's code, unchanged ------------------------------------------------------------------------------
def deprocess_image(x):
    # normalize tensor: center on 0., ensure std is 0.1
    x -= x.mean()
    x /= (x.std() + 1e-5)
    x *= 0.1

    # clip to [0, 1]
    x += 0.5
    x = np.clip(x, 0, 1)

    # convert to RGB array
    x *= 255
    x = np.clip(x, 0, 255).astype('uint8')
    return x


def generate_pattern(model, layer_name, filter_index, size=150):
    # Build a loss function that maximizes the activation
    # of the nth filter of the layer considered.
    layer_output = model.get_layer(layer_name).output
    loss = K.mean(layer_output[:, :, :, filter_index])

    # Compute the gradient of the input picture wrt this loss
    grads = K.gradients(loss, model.input)[0]

    # Normalization trick: we normalize the gradient
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)

    # This function returns the loss and grads given the input picture
    iterate = K.function([model.input], [loss, grads])

    # We start from a gray image with some noise
    input_img_data = np.random.random((1, size, size, 3)) * 20 + 128.

    # Run gradient ascent for 40 steps
    step = 1.
    losses = []  # added: the test reads the activation at every step
    for i in range(40):
        loss_value, grads_value = iterate([input_img_data])
        input_img_data += grads_value * step
        losses.append(float(loss_value))

    img = input_img_data[0]
    return deprocess_image(img), losses
# ---------------------------------------------------------------------------------------------------------------


def test_gradient_ascent_raises_the_filter_activation():
    model = _book_convnet()
    # with random weights (no ImageNet training here) some ReLU filters are dead on a gray image and get no
    # gradient; ascend the two the start image activates least among the live ones
    start = model.predict(np.full((1, 64, 64, 3), 138.0), verbose=0).mean(axis=(0, 1, 2))
    live = [int(i) for i in np.argsort(start) if start[i] > 0][:2]
    assert len(live) == 2
    np.random.seed(0)
    for filter_index in live:
        pattern, losses = generate_pattern(model, "block3_conv1", filter_index, size=64)
        assert pattern.shape == (64, 64, 3) and pattern.dtype == np.uint8
        assert losses[0] > 0, losses[::8]
        assert_at_least(losses[-1] / losses[0], 1.5, "filter activation after 40 ascent steps / before")
        rises = sum(later > earlier for earlier, later in zip(losses, losses[1:]))
        assert rises >= 35, losses  # ascent: nearly every one of the 39 steps raises the activation


def test_the_first_iterate_call_on_zeros_as_in_the_book():
    model = _book_convnet()
    layer_output = model.get_layer("block3_conv1").output
    loss = K.mean(layer_output[:, :, :, 0])
    grads = K.gradients(loss, model.input)[0]
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
    iterate = K.function([model.input], [loss, grads])
    loss_value, grads_value = iterate([np.zeros((1, 64, 64, 3))])
    assert loss_value.shape == () and grads_value.shape == (1, 64, 64, 3)
    expected = model.predict(np.zeros((1, 64, 64, 3)), verbose=0)  # the model's own output: block3_conv1
    np.testing.assert_allclose(loss_value, expected[..., 0].mean(), rtol=1e-6)
