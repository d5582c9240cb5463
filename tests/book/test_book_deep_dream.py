"""The book's 8.2 "DeepDream" (Deep Learning with Python, first edition), its code as printed with the imports
changed to pydl's: the layer-contribution loss built with ``K.prod(K.cast(K.shape(activation), 'float32'))`` on a
model whose batch and image sizes are unknown (``model.input`` is ``(None, None, None, 3)``), ``K.gradients``,
``fetch_loss_and_grads = K.function([dream], [loss, grads])``, and gradient ascent over three octaves with SciPy's
resize.

Changed besides the imports, because nothing can be downloaded here: InceptionV3 with ImageNet weights is a small
seeded convnet with layers named as the book's four "mixed" layers (``_small_inception``), and
``inception_v3.preprocess_input`` is Keras' formula for it (``x / 127.5 - 1``); the photo is a small PNG the test
writes; ``scipy.misc.imsave`` (gone from SciPy since 1.2) is ``image.save_img``; the script part runs in the test
function. The printed loss values are what the test reads.
"""

import re
from types import SimpleNamespace

import numpy as np
import scipy.ndimage  # noqa: F401  (the book's resize_img calls scipy.ndimage.zoom after `import scipy`)

import pydl
from pydl import layers, models
from pydl import keras_backend as K  # the book: from keras import backend as K
from pydl.preprocessing import image  # the book: from keras.preprocessing import image
from tests.learning import assert_at_least

# Keras' inception_v3.preprocess_input ("tf" mode): pixels from [0, 255] to [-1, 1]
inception_v3 = SimpleNamespace(preprocess_input=lambda x: x / 127.5 - 1.0)


def _small_inception():
    """A fully convolutional net taking images of any size, its layers named as the book reads InceptionV3's."""
    pydl.seed(3)
    inputs = layers.Input(shape=(None, None, 3))
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2d_1")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="mixed2")(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="mixed3")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(24, 3, padding="same", activation="relu", name="mixed4")(x)
    x = layers.Conv2D(24, 3, padding="same", activation="relu", name="mixed5")(x)
    return models.Model(inputs, x)


def _photo(path):
    """A smooth 48 x 64 colour picture: stripes and a blob, so every octave has structure to work on."""
    rows, cols = np.mgrid[0:48, 0:64]
    picture = np.stack([128 + 100 * np.sin(cols / 5.0), 128 + 100 * np.cos(rows / 7.0),
                        255 * np.exp(-((rows - 24) ** 2 + (cols - 30) ** 2) / 300.0)], axis=-1)
    image.save_img(path, picture.astype("uint8"), scale=False)


def test_the_books_deep_dream_raises_its_loss_at_every_octave(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the book saves its dreams in the working folder
    _photo(tmp_path / "original_photo_deep_dream.png")

    # ---- the book's code, unchanged but for the model ------------------------------------------------------------
    model = _small_inception()  # the book: inception_v3.InceptionV3(weights='imagenet', include_top=False)

    layer_contributions = {
        'mixed2': 0.2,
        'mixed3': 3.,
        'mixed4': 2.,
        'mixed5': 1.5,
    }

    # Get the symbolic outputs of each "key" layer (we gave them unique names).
    layer_dict = dict([(layer.name, layer) for layer in model.layers])

    # Define the loss.
    loss = K.variable(0.)
    for layer_name in layer_contributions:
        # Add the L2 norm of the features of a layer to the loss.
        coeff = layer_contributions[layer_name]
        activation = layer_dict[layer_name].output

        # We avoid border artifacts by only involving non-border pixels in the loss.
        scaling = K.prod(K.cast(K.shape(activation), 'float32'))
        loss += coeff * K.sum(K.square(activation[:, 2: -2, 2: -2, :])) / scaling

    # This holds our generated image
    dream = model.input

    # Compute the gradients of the dream with regard to the loss.
    grads = K.gradients(loss, dream)[0]

    # Normalize gradients.
    grads /= K.maximum(K.mean(K.abs(grads)), 1e-7)

    # Set up function to retrieve the value
    # of the loss and gradients given an input image.
    outputs = [loss, grads]
    fetch_loss_and_grads = K.function([dream], outputs)

    def eval_loss_and_grads(x):
        outs = fetch_loss_and_grads([x])
        loss_value = outs[0]
        grad_values = outs[1]
        return loss_value, grad_values

    def gradient_ascent(x, iterations, step, max_loss=None):
        for i in range(iterations):
            loss_value, grad_values = eval_loss_and_grads(x)
            if max_loss is not None and loss_value > max_loss:
                break
            print('...Loss value at', i, ':', loss_value)
            x += step * grad_values
        return x

    def resize_img(img, size):
        img = np.copy(img)
        factors = (1,
                   float(size[0]) / img.shape[1],
                   float(size[1]) / img.shape[2],
                   1)
        return scipy.ndimage.zoom(img, factors, order=1)

    def save_img(img, fname):
        pil_img = deprocess_image(np.copy(img))
        image.save_img(fname, pil_img)  # the book: scipy.misc.imsave(fname, pil_img)

    def preprocess_image(image_path):
        # Util function to open, resize and format pictures
        # into appropriate tensors.
        img = image.load_img(image_path)
        img = image.img_to_array(img)
        img = np.expand_dims(img, axis=0)
        img = inception_v3.preprocess_input(img)
        return img

    def deprocess_image(x):
        # Util function to convert a tensor into a valid image.
        if K.image_data_format() == 'channels_first':
            x = x.reshape((3, x.shape[2], x.shape[3]))
            x = x.transpose((1, 2, 0))
        else:
            x = x.reshape((x.shape[1], x.shape[2], 3))
        x /= 2.
        x += 0.5
        x *= 255.
        x = np.clip(x, 0, 255).astype('uint8')
        return x

    # Playing with these hyperparameters will also allow you to achieve new effects

    step = 0.01  # Gradient ascent step size
    num_octave = 3  # Number of scales at which to run gradient ascent
    octave_scale = 1.4  # Size ratio between scales
    iterations = 20  # Number of ascent steps per scale

    # If our loss gets larger than 10,
    # we will interrupt the gradient ascent process, to avoid ugly artifacts
    max_loss = 10.

    # Fill this to the path to the image you want to use
    base_image_path = 'original_photo_deep_dream.png'

    # Load the image into a Numpy array
    img = preprocess_image(base_image_path)

    # We prepare a list of shape tuples
    # defining the different scales at which we will run gradient ascent
    original_shape = img.shape[1:3]
    successive_shapes = [original_shape]
    for i in range(1, num_octave):
        shape = tuple([int(dim / (octave_scale ** i)) for dim in original_shape])
        successive_shapes.append(shape)

    # Reverse list of shapes, so that they are in increasing order
    successive_shapes = successive_shapes[::-1]

    # Resize the Numpy array of the image to our smallest scale
    original_img = np.copy(img)
    shrunk_original_img = resize_img(img, successive_shapes[0])

    for shape in successive_shapes:
        print('Processing image shape', shape)
        img = resize_img(img, shape)
        img = gradient_ascent(img,
                              iterations=iterations,
                              step=step,
                              max_loss=max_loss)
        upscaled_shrunk_original_img = resize_img(shrunk_original_img, shape)
        same_size_original = resize_img(original_img, shape)
        lost_detail = same_size_original - upscaled_shrunk_original_img

        img += lost_detail
        shrunk_original_img = resize_img(original_img, shape)
        save_img(img, fname='dream_at_scale_' + str(shape) + '.png')

    save_img(img, fname='final_dream.png')
    # ---------------------------------------------------------------------------------------------------------------

    printed = capsys.readouterr().out
    assert successive_shapes == [(24, 32), (34, 45), (48, 64)]
    octaves = [[float(v) for v in re.findall(r"\.\.\.Loss value at \d+ : (\S+)", part)]
               for part in printed.split("Processing image shape")[1:]]
    assert [len(losses) for losses in octaves] == [iterations] * num_octave, printed[-500:]
    for losses in octaves:
        assert losses[0] > 0, losses
        assert_at_least(losses[-1] / losses[0], 1.5, "deep-dream loss after 20 ascent steps / before")
        assert sum(b > a for a, b in zip(losses, losses[1:])) >= 17, losses  # ascent: nearly every step
    assert image.img_to_array(image.load_img("final_dream.png")).shape == (48, 64, 3)
    for shape in successive_shapes:
        assert image.load_img('dream_at_scale_' + str(shape) + '.png').size == (shape[1], shape[0])
