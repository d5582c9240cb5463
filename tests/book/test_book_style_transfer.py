"""The book's 8.3 "Neural style transfer" (Deep Learning with Python, first edition), its code as printed with the
imports changed to pydl's: the three images in one batch through ``K.concatenate`` of two ``K.constant`` images and
a ``K.placeholder``, ``content_loss``, ``gram_matrix`` (``K.batch_flatten``, ``K.permute_dimensions``, ``K.dot``,
``K.transpose``), ``style_loss``, ``total_variation_loss`` (slices of the placeholder, ``K.pow``), ``K.gradients``,
the ``Evaluator`` class and SciPy's L-BFGS over the pixels.

Changed besides the imports, because nothing can be downloaded here: VGG19 with ImageNet weights is a small seeded
convnet with VGG19's layer names on the same ``input_tensor`` (``_small_vgg19``), and ``vgg19.preprocess_input`` is
Keras' formula for it (RGB to BGR, ImageNet mean pixel subtracted); the portrait and the style picture are small
PNGs the test writes, the generated image is 24 pixels high instead of 400 and L-BFGS runs 4 rounds instead of 20
(fewer epochs, as everywhere in tests/book); ``scipy.misc.imsave`` (gone from SciPy since 1.2) is pydl's
``save_img``; the script part runs in the test function. The printed loss values are what the test reads.
"""

import re
from types import SimpleNamespace

import numpy as np

import pydl
from pydl import layers, models
from pydl import keras_backend as K  # the book: from keras import backend as K
from pydl.preprocessing.image import load_img, img_to_array  # the book: from keras.preprocessing.image import ...
from tests.learning import assert_below


def _vgg19_preprocess_input(x):
    """Keras' vgg19.preprocess_input ("caffe" mode): RGB to BGR, then the ImageNet mean pixel subtracted."""
    x = x[..., ::-1].copy()
    return x - np.array([103.939, 116.779, 123.68])


vgg19 = SimpleNamespace(preprocess_input=_vgg19_preprocess_input)


def _small_vgg19(input_tensor):
    """VGG19's five blocks with one or two small convolutions each, named as VGG19's, on ``input_tensor``."""
    pydl.seed(5)
    x = input_tensor
    for block, (filters, convs) in enumerate([(8, 2), (12, 1), (16, 1), (16, 1), (16, 2)], start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}")(x)
        if block < 5:
            x = layers.AveragePooling2D(2, name=f"block{block}_pool")(x)
    return models.Model(_source_input(input_tensor), x)


def _source_input(tensor):
    """The Input placeholder ``tensor`` is computed from, as Keras' get_source_inputs finds it for VGG19."""
    from pydl.layers.gradients import _inputs_of

    (placeholder,), _ = _inputs_of(tensor)
    return placeholder


def _pictures(folder):
    rows, cols = np.mgrid[0:30, 0:40]
    portrait = np.stack([120 + 80 * np.exp(-((rows - 15) ** 2 + (cols - 20) ** 2) / 60.0)] * 3, axis=-1)
    style = np.stack([128 + 110 * np.sin(cols / 1.5 + rows / 3.0), 128 + 110 * np.cos(rows / 2.0),
                      128 + 110 * np.sin((rows + cols) / 2.5)], axis=-1)
    pydl.preprocessing.image.save_img(folder / "portrait.png", portrait.astype("uint8"), scale=False)
    pydl.preprocessing.image.save_img(folder / "popova.png", style.astype("uint8"), scale=False)


def test_the_books_style_transfer_lowers_its_loss_with_l_bfgs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _pictures(tmp_path)

    # ---- the book's code, unchanged but for the model, the image height and the number of rounds -----------------
    # This is the path to the image you want to transform.
    target_image_path = 'portrait.png'
    # This is the path to the style image.
    style_reference_image_path = 'popova.png'

    # Dimensions of the generated picture.
    width, height = load_img(target_image_path).size
    img_height = 24  # the book: 400
    img_width = int(width * img_height / height)

    def preprocess_image(image_path):
        img = load_img(image_path, target_size=(img_height, img_width))
        img = img_to_array(img)
        img = np.expand_dims(img, axis=0)
        img = vgg19.preprocess_input(img)
        return img

    def deprocess_image(x):
        # Remove zero-center by mean pixel
        x[:, :, 0] += 103.939
        x[:, :, 1] += 116.779
        x[:, :, 2] += 123.68
        # 'BGR'->'RGB'
        x = x[:, :, ::-1]
        x = np.clip(x, 0, 255).astype('uint8')
        return x

    target_image = K.constant(preprocess_image(target_image_path))
    style_reference_image = K.constant(preprocess_image(style_reference_image_path))

    # This placeholder will contain our generated image
    combination_image = K.placeholder((1, img_height, img_width, 3))

    # We combine the 3 images into a single batch
    input_tensor = K.concatenate([target_image,
                                  style_reference_image,
                                  combination_image], axis=0)

    # We build the VGG19 network with our batch of 3 images as input.
    model = _small_vgg19(input_tensor)  # the book: vgg19.VGG19(input_tensor=input_tensor, weights='imagenet', ...)
    print('Model loaded.')

    def content_loss(base, combination):
        return K.sum(K.square(combination - base))

    def gram_matrix(x):
        features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
        gram = K.dot(features, K.transpose(features))
        return gram

    def style_loss(style, combination):
        S = gram_matrix(style)
        C = gram_matrix(combination)
        channels = 3
        size = img_height * img_width
        return K.sum(K.square(S - C)) / (4. * (channels ** 2) * (size ** 2))

    def total_variation_loss(x):
        a = K.square(
            x[:, :img_height - 1, :img_width - 1, :] - x[:, 1:, :img_width - 1, :])
        b = K.square(
            x[:, :img_height - 1, :img_width - 1, :] - x[:, :img_height - 1, 1:, :])
        return K.sum(K.pow(a + b, 1.25))

    # Dict mapping layer names to activation tensors
    outputs_dict = dict([(layer.name, layer.output) for layer in model.layers])
    # Name of layer used for content loss
    content_layer = 'block5_conv2'
    # Name of layers used for style loss
    style_layers = ['block1_conv1',
                    'block2_conv1',
                    'block3_conv1',
                    'block4_conv1',
                    'block5_conv1']
    # Weights in the weighted average of the loss components
    total_variation_weight = 1e-4
    style_weight = 1.
    content_weight = 0.025

    # Define the loss by adding all components to a `loss` variable
    loss = K.variable(0.)
    layer_features = outputs_dict[content_layer]
    target_image_features = layer_features[0, :, :, :]
    combination_features = layer_features[2, :, :, :]
    loss += content_weight * content_loss(target_image_features,
                                          combination_features)
    for layer_name in style_layers:
        layer_features = outputs_dict[layer_name]
        style_reference_features = layer_features[1, :, :, :]
        combination_features = layer_features[2, :, :, :]
        sl = style_loss(style_reference_features, combination_features)
        loss += (style_weight / len(style_layers)) * sl
    loss += total_variation_weight * total_variation_loss(combination_image)

    # Get the gradients of the generated image wrt the loss
    grads = K.gradients(loss, combination_image)[0]

    # Function to fetch the values of the current loss and the current gradients
    fetch_loss_and_grads = K.function([combination_image], [loss, grads])

    class Evaluator(object):

        def __init__(self):
            self.loss_value = None
            self.grads_values = None

        def loss(self, x):
            assert self.loss_value is None
            x = x.reshape((1, img_height, img_width, 3))
            outs = fetch_loss_and_grads([x])
            loss_value = outs[0]
            grad_values = outs[1].flatten().astype('float64')
            self.loss_value = loss_value
            self.grad_values = grad_values
            return self.loss_value

        def grads(self, x):
            assert self.loss_value is not None
            grad_values = np.copy(self.grad_values)
            self.loss_value = None
            self.grad_values = None
            return grad_values

    evaluator = Evaluator()

    from scipy.optimize import fmin_l_bfgs_b
    from pydl.preprocessing.image import save_img as imsave  # the book: from scipy.misc import imsave
    import time

    result_prefix = 'style_transfer_result'
    iterations = 4  # the book: 20

    # Run scipy-based optimization (L-BFGS) over the pixels of the generated image
    # so as to minimize the neural style loss.
    # This is our initial state: the target image.
    # Note that `scipy.optimize.fmin_l_bfgs_b` can only process flat vectors.
    x = preprocess_image(target_image_path)
    x = x.flatten()
    for i in range(iterations):
        print('Start of iteration', i)
        start_time = time.time()
        x, min_val, info = fmin_l_bfgs_b(evaluator.loss, x,
                                         fprime=evaluator.grads, maxfun=20)
        print('Current loss value:', min_val)
        # Save current generated image
        img = x.copy().reshape((img_height, img_width, 3))
        img = deprocess_image(img)
        fname = result_prefix + '_at_iteration_%d.png' % i
        imsave(fname, img)
        end_time = time.time()
        print('Image saved as', fname)
        print('Iteration %d completed in %ds' % (i, end_time - start_time))
    # ---------------------------------------------------------------------------------------------------------------

    printed = capsys.readouterr().out
    assert (img_height, img_width) == (24, 32) and img.shape == (24, 32, 3) and img.dtype == np.uint8
    start = float(fetch_loss_and_grads([preprocess_image(target_image_path)])[0])
    rounds = [float(v) for v in re.findall(r"Current loss value: (\S+)", printed)]
    assert len(rounds) == iterations, printed
    assert all(later <= earlier for earlier, later in zip(rounds, rounds[1:])), rounds
    assert_below(rounds[-1], 0.1 * start, "style-transfer loss after 4 L-BFGS rounds, against 0.1 x the start's")
    assert load_img(result_prefix + '_at_iteration_3.png').size == (img_width, img_height)
