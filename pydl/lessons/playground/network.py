"""The network of a playground run: built from a :class:`State` with pydl's layers, models and optimizers.

Binary classification follows TensorFlow Playground (tanh output, labels -1/+1, squared error); more classes use a
softmax output with cross-entropy; regression a linear output with squared error.

>>> from pydl.lessons.playground.state import State
>>> model = build_model(State(network_shape=(3,), layer_activations=("relu",)), n_inputs=2, kind="binary")
>>> [layer.name for layer in model.layers], model.count_params()
(['hidden_1', 'output'], 13)
"""

from __future__ import annotations

import pydl
from pydl import layers, models, optimizers, regularizers
from pydl.backend import np
from pydl.lessons.playground.state import State
from pydl.autograd import no_grad
from pydl.tensor import Tensor

__all__ = ["build_model", "make_optimizer", "make_regularizer", "loss_name", "output_spec", "dense_layers",
           "layer_outputs"]


def output_spec(kind: str, classes: int) -> tuple:
    """``(units, activation)`` of the output layer for a problem kind."""
    if kind == "multiclass":
        return classes, "softmax"
    return 1, ("tanh" if kind == "binary" else "linear")


def loss_name(kind: str) -> str:
    return "sparse_categorical_crossentropy" if kind == "multiclass" else "mse"


def make_optimizer(state: State):
    """The optimizer the state names, at the state's learning rate (momentum means SGD with momentum 0.9)."""
    lr = state.learning_rate
    if state.optimizer == "momentum":
        return optimizers.SGD(learning_rate=lr, momentum=0.9)
    if state.optimizer == "rmsprop":
        return optimizers.RMSprop(learning_rate=lr)
    if state.optimizer == "adam":
        return optimizers.Adam(learning_rate=lr)
    return optimizers.SGD(learning_rate=lr)


def make_regularizer(state: State):
    """A fresh L1/L2 penalty for one layer's kernel, or None (also when the rate is 0: no penalty either way)."""
    if state.regularization == "none" or state.regularization_rate == 0:
        return None
    rate = state.regularization_rate
    return regularizers.l1(rate) if state.regularization == "L1" else regularizers.l2(rate)


def build_model(state: State, n_inputs: int, kind: str, classes: int = 2):
    """A compiled Sequential model for the state; ``pydl.seed(state.seed)`` first, so the weights repeat."""
    pydl.seed(state.seed)
    stack = [layers.Input(shape=(n_inputs,))]
    for i, (units, activation) in enumerate(zip(state.network_shape, state.layer_activations), start=1):
        stack.append(layers.Dense(units, activation=activation, kernel_regularizer=make_regularizer(state),
                                  name=f"hidden_{i}"))
        if state.dropout > 0:
            stack.append(layers.Dropout(state.dropout, name=f"dropout_{i}"))
    units, activation = output_spec(kind, classes)
    stack.append(layers.Dense(units, activation=activation, kernel_regularizer=make_regularizer(state), name="output"))
    model = models.Sequential(stack, name="playground")
    model.compile(optimizer=make_optimizer(state), loss=loss_name(kind))
    return model


def dense_layers(model) -> list:
    """The model's Dense layers in order: the hidden layers, then the output layer."""
    return [layer for layer in model.layers if isinstance(layer, layers.Dense)]


def layer_outputs(model, inputs: np.ndarray) -> list:
    """Every Dense layer's output (after its activation) for ``inputs``, in inference mode: one pass, no graph.

    >>> from pydl.lessons.playground.state import State
    >>> model = build_model(State(), n_inputs=2, kind="binary")
    >>> [a.shape for a in layer_outputs(model, np.zeros((5, 2), np.float32))]
    [(5, 4), (5, 2), (5, 1)]
    """
    outputs = []
    h = Tensor(inputs)
    with no_grad():
        for layer in model.layers:
            h = layer(h, training=False)
            if isinstance(layer, layers.Dense):
                outputs.append(h.numpy())
    return outputs
