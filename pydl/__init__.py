"""pydl: a readable deep-learning library on NumPy that runs natively and in the browser.

>>> import pydl
>>> w = pydl.tensor([[0.5], [-0.25]], requires_grad=True)
>>> loss = ((pydl.tensor([[1.0, 2.0]]) @ w - 1.0) ** 2).mean()
>>> loss.backward()
>>> w.grad.ravel().tolist()
[-2.0, -4.0]
"""

from pydl import backend
from pydl.tensor import Tensor, tensor
from pydl.autograd import Function, enable_grad, is_grad_enabled, no_grad
from pydl.gradcheck import GradcheckError, gradcheck, numerical_grad
from pydl.graph import trace
from pydl.ops.elementwise import abs, clip, elu, exp, leaky_relu, log, maximum, minimum, relu, sigmoid, sqrt, tanh, where
from pydl.ops.reduction import log_softmax, logsumexp, max, mean, min, softmax, sum, var
from pydl.ops.shape import concatenate, expand_dims, reshape, squeeze, stack, transpose, unstack
from pydl.ops.arithmetic import matmul
from pydl.random import seed
from pydl.ops.conv import conv2d, depthwise_conv2d
from pydl.ops.pooling import avg_pool2d, max_pool2d
from pydl import graph  # noqa: E402  (pydl.graph.to_svg / to_dot)

# The Keras-style API, importable as `from pydl import layers, models, ...`.
from pydl import (  # noqa: E402
    activations, callbacks, datasets, initializers, layers, losses, metrics, models, optimizers, preprocessing,
    registry, regularizers,
)
from pydl.layers.core import Input  # noqa: E402  (`from keras import Input` becomes `from pydl import Input`)
from pydl.models.functional import Model  # noqa: E402  (keras.Model)

__version__ = "0.1.0"
