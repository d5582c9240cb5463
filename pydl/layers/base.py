"""The :class:`Layer` contract every pydl layer follows (Keras 3 style).

* ``__init__`` stores configuration only; no weights exist yet.
* ``build(input_shape)`` creates the weights with :meth:`Layer.add_weight`, once the input shape is known.
* ``call(inputs, training=None)`` does the maths with pydl ops.
* ``get_config()`` / ``from_config(config)`` round-trip the configuration through plain JSON.
* ``compute_output_shape(input_shape)`` gives the output shape without computing: calling a layer on an ``Input``
  (or on another layer's symbolic output) builds it and records the call in a graph (:mod:`pydl.layers.symbolic`),
  the functional API of :class:`pydl.models.Model`.
* ``layer.input`` / ``layer.output`` are the symbolic tensors of that call (a built ``Sequential`` model calls its
  layers on an ``Input`` too), so ``Model(model.input, [layer.output for layer in model.layers[:3]])`` extracts
  intermediate activations with the same layers and weights; a layer called several times answers
  ``layer.get_output_at(i)``.

Shapes passed to ``build`` and ``compute_output_shape`` include the batch axis as ``None``: ``(None, 784)``.

>>> import pydl
>>> from pydl.layers import Dense
>>> layer = Dense(3)
>>> y = layer(pydl.backend.np.ones((2, 4)))
>>> y.shape, layer.built, layer.count_params()
((2, 3), True, 15)
"""

from __future__ import annotations

import re

from pydl import backend, registry
from pydl.backend import np
from pydl.layers import weight_budget
from pydl.layers.symbolic import record_call, symbolic_inputs
from pydl.tensor import Tensor

__all__ = ["Layer", "reset_name_counters"]

_name_counters: dict = {}


def reset_name_counters() -> None:
    """Start automatic layer names from scratch ("dense", "dense_1", ...), e.g. between tests."""
    _name_counters.clear()


def _snake_case(name: str) -> str:
    """``BatchNormalization`` -> ``batch_normalization``, ``Conv2D`` -> ``conv2d`` (Keras' rule)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique_name(base: str) -> str:
    count = _name_counters.get(base, 0)
    _name_counters[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _dtype_name(dtype) -> str | None:
    return None if dtype is None else np.dtype(dtype).name


def _shape_tuple(shape) -> tuple:
    """A shape as a tuple of ints and Nones (an int alone means a 1-D shape)."""
    if isinstance(shape, int):
        return (shape,)
    return tuple(None if d is None else int(d) for d in shape)


_TAKES_TRAINING: dict = {}


def _call_takes_training(layer_class) -> bool:
    """Whether ``layer_class.call`` accepts ``training=`` (by name or through ``**kwargs``); asked once a class."""
    if layer_class not in _TAKES_TRAINING:
        import inspect
        parameters = inspect.signature(layer_class.call).parameters.values()
        _TAKES_TRAINING[layer_class] = any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in parameters)
    return _TAKES_TRAINING[layer_class]


def _shape_of(tensors):
    """The shape of a symbolic tensor, or the list of shapes of a list of them."""
    return [t.shape for t in tensors] if isinstance(tensors, list) else tensors.shape


def _compatible(expected: tuple, actual: tuple) -> bool:
    """Same rank and every known (non-None) dimension equal."""
    return len(expected) == len(actual) and all(e is None or a is None or e == a for e, a in zip(expected, actual))


class Layer:
    """Base class of all layers: configuration, lazy weights, the call protocol and serialisation.

    Args:
        name: unique name; by default the snake-cased class name with a counter ("dense", "dense_1", ...).
        trainable: False freezes the layer: its weights get no gradients and no optimizer updates.
        input_shape: shape of one sample (no batch axis), for the first layer of a model, e.g. ``(784,)``.
        dtype: float dtype of the weights and of the computation; ``backend.floatx()`` when None.
        batch_input_shape: alternative to ``input_shape`` with the batch axis, e.g. ``(None, 784)``.
        input_dim: shorthand for ``input_shape=(input_dim,)`` (Keras 2).
        batch_size: fixed batch size that completes ``input_shape`` (rarely needed).

    Subclasses override ``build``, ``call``, ``compute_output_shape`` and ``get_config``.

    >>> from pydl.layers import Dense
    >>> Dense(512, input_shape=(784,)).get_config()["batch_input_shape"]
    [None, 784]
    """

    is_placeholder = False  # only an Input stands for its own output when given where a tensor is expected

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):  # every layer class registers itself, so a saved config finds it
            registry.register("layer", cls, implicit=True)

    def __init__(self, name=None, trainable=True, input_shape=None, dtype=None, **kwargs):
        allowed = {"batch_input_shape", "input_dim", "batch_size"}
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            valid = sorted(self._valid_kwargs() | allowed)
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s) {', '.join(map(repr, unknown))}. "
                f"Valid arguments: {', '.join(valid)}."
            )
        batch_input_shape = kwargs.get("batch_input_shape")
        if input_shape is None and kwargs.get("input_dim") is not None:
            input_shape = (int(kwargs["input_dim"]),)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (kwargs.get("batch_size"),) + _shape_tuple(input_shape)
        self.batch_input_shape = None if batch_input_shape is None else _shape_tuple(batch_input_shape)
        self.name = name if name is not None else _unique_name(_snake_case(type(self).__name__))
        self._dtype = _dtype_name(dtype)
        self._trainable = bool(trainable)
        self._weights: list = []  # [(Tensor, trainable flag, regularizer or None)] in creation order
        self._added_losses: list = []  # what call() gave add_loss in the model's last forward pass
        self.built = False
        self.input_spec_shape = None
        self._inbound_nodes: list = []  # one symbolic.Node per call on symbolic tensors, in call order (Keras' name)

    def _valid_kwargs(self) -> set:
        """Argument names of this class' constructors, for the unknown-argument error."""
        import inspect

        names = set()
        for klass in type(self).__mro__:
            init = klass.__dict__.get("__init__")
            if init is not None:
                names |= {p for p in inspect.signature(init).parameters if p not in ("self", "kwargs")}
        return names

    # ----------------------------------------------------------------- dtype and trainability
    @property
    def dtype(self) -> str:
        """The float dtype of this layer's weights and computation (fixed when the layer is built)."""
        return self._dtype or backend.floatx()

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for weight, weight_trainable, _ in self._weights:
            weight.requires_grad = self._trainable and weight_trainable
            if not weight.requires_grad:
                weight.grad = None  # a stale gradient must not be applied to a frozen weight

    # ----------------------------------------------------------------- weights
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None, trainable=True) -> Tensor:
        """Create, track and return a weight Tensor of ``shape`` in ``self.dtype``.

        Args:
            name: short name; the Tensor is named ``"<layer name>/<name>"``.
            shape: tuple of ints.
            initializer: name, class instance or callable ``(shape, dtype) -> array`` (see :mod:`pydl.initializers`);
                None means ``"glorot_uniform"``, as in Keras.
            regularizer: None, name or callable ``weight -> scalar Tensor`` (see :mod:`pydl.regularizers`).
            trainable: False for state updated outside gradient descent (BatchNormalization's moving mean).
        """
        from pydl import initializers, regularizers

        shape = _shape_tuple(shape)
        weight_budget.charge(self, name, shape)  # a model loaded from a file creates no more than the file lists
        values = initializers.get(initializer, default="glorot_uniform")(shape, dtype=self.dtype)
        weight = Tensor(backend.to_numpy(values), dtype=self.dtype, name=f"{self.name}/{name}")
        weight.requires_grad = bool(trainable) and self._trainable
        self._weights.append((weight, bool(trainable), regularizers.get(regularizer)))
        return weight

    @property
    def weights(self) -> list:
        """Every weight, in creation order."""
        return [w for w, _, _ in self._weights]

    @property
    def trainable_weights(self) -> list:
        """Weights that gradient descent updates (none while the layer is frozen)."""
        return [w for w, t, _ in self._weights if t] if self._trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if not self._trainable:
            return self.weights
        return [w for w, t, _ in self._weights if not t]

    @property
    def losses(self) -> list:
        """The losses :meth:`add_loss` got in the last forward pass, then the regularization penalties (scalar
        Tensors) computed from the current weights: what training adds to the loss."""
        return [*self._added_losses, *(reg(w) for w, _, reg in self._weights if reg is not None)]

    def add_loss(self, loss, inputs=None) -> None:
        """Add ``loss`` (a Tensor computed in :meth:`call`; summed if not a scalar) to the model's training loss and
        to ``evaluate``'s, as Keras' ``add_loss``; a model compiled with ``loss=None`` trains on these alone. Each
        forward pass of the model starts them afresh. ``inputs`` is Keras 2's argument, accepted and unused."""
        if not isinstance(loss, Tensor):
            raise TypeError(f'Layer "{self.name}": add_loss() takes a Tensor computed in call() from its inputs, got '
                            f"{type(loss).__name__}.")
        self._added_losses.append(loss)

    def get_weights(self) -> list:
        """Copies of the weights as NumPy arrays, in creation order."""
        return [backend.to_numpy(w.data).copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Assign NumPy arrays to the weights; nothing is assigned unless the count and every shape match."""
        weights = list(weights)
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f'Layer "{self.name}" has {len(own)} weight(s) but set_weights got {len(weights)}. '
                f"Expected shapes: {[tuple(w.shape) for w in own]}."
            )
        for i, (w, value) in enumerate(zip(own, weights)):
            if tuple(np.shape(value)) != tuple(w.shape):
                raise ValueError(
                    f'Layer "{self.name}" weight {i} ("{w.name}") has shape {tuple(w.shape)}, '
                    f"but set_weights got shape {tuple(np.shape(value))}. Nothing was assigned."
                )
        for w, value in zip(own, weights):
            xp = backend.get_array_module(w.data)
            w.data[...] = xp.asarray(backend.to_numpy(value) if xp is np else value, dtype=w.dtype)

    def count_params(self) -> int:
        """Number of scalars in all weights; the layer must be built."""
        if not self.built:
            raise ValueError(
                f'Layer "{self.name}" is not built yet, so it has no weights to count. '
                "Call it on data or call build(input_shape) first."
            )
        return int(sum(w.size for w in self.weights))

    # ----------------------------------------------------------------- the call protocol
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis None; a list of shapes for a list of
        inputs). The default creates none."""
        self.input_spec_shape = ([_shape_tuple(shape) for shape in input_shape] if isinstance(input_shape, list)
                                 else _shape_tuple(input_shape))
        self.built = True

    def call(self, inputs, training=None):
        """The computation; subclasses override it. ``training`` is True, False or None (= inference)."""
        return inputs

    def compute_output_shape(self, input_shape) -> tuple:
        """The output shape for ``input_shape``, batch axis None. The default is the identity."""
        return _shape_tuple(input_shape)

    def _convert_input(self, inputs) -> Tensor:
        """``inputs`` as a Tensor; numbers (uint8 images, float64 arrays) are cast to the layer dtype."""
        if isinstance(inputs, (list, tuple)) and self._takes_lists():
            return [self._convert_input(x) for x in inputs]
        dtype = np.dtype(self.dtype)
        if not isinstance(inputs, Tensor):
            array = inputs if hasattr(inputs, "dtype") else np.asarray(inputs)
            return Tensor(array, dtype=dtype if np.dtype(array.dtype).kind in "iuf" else None)
        if inputs.dtype.kind in "iuf" and inputs.dtype != dtype:
            return inputs.astype(dtype)
        return inputs

    def _check_shape(self, expected, actual) -> None:
        if not _compatible(expected, actual):
            raise ValueError(
                f'Layer "{self.name}" expects input shape {expected}, but got {actual}. '
                "Reshape the data or change the layer's input shape."
            )

    def _build_or_check_list(self, shapes: list) -> None:
        if self.built:
            if not (isinstance(self.input_spec_shape, list) and len(shapes) == len(self.input_spec_shape)
                    and all(map(_compatible, self.input_spec_shape, shapes))):
                raise ValueError(f'Layer "{self.name}" expects input shapes {self.input_spec_shape}, but got '
                                 f"{shapes}.")
            return
        if self._dtype is None:
            self._dtype = backend.floatx()
        self.build([(None,) + shape[1:] for shape in shapes])
        self.built = True
        self.input_spec_shape = [(None,) + shape[1:] for shape in shapes]

    def _build_or_check(self, input_shape) -> None:
        """On the first call, build for ``input_shape`` (fixing the dtype); later, check it against that shape.

        Shared by calls on data and on symbolic tensors (``Input``), so both check the same way.
        """
        if isinstance(input_shape, list) and self._takes_lists():
            self._build_or_check_list([_shape_tuple(shape) for shape in input_shape])
            return
        if isinstance(input_shape, list):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) takes one input, but was called on a list of '
                f"{len(input_shape)} with shapes {input_shape}. Merge them first, e.g. layers.concatenate([...])."
            )
        if self.built:
            self._check_shape(self.input_spec_shape, input_shape)
            return
        if self._dtype is None:
            self._dtype = backend.floatx()  # fixed at build: a later set_floatx does not change built layers
        if self.batch_input_shape is not None:
            self._check_shape(self.batch_input_shape, input_shape)
        self.build((None,) + tuple(input_shape[1:]))
        self.built = True
        if self.input_spec_shape is None:
            self.input_spec_shape = (None,) + tuple(input_shape[1:])

    def __call__(self, inputs, training=None):
        """Compute on data; on an ``Input`` or a symbolic tensor, record the call in a graph instead."""
        if not isinstance(inputs, Tensor):  # Tensors, the hot path of training, are never symbolic
            symbolic = symbolic_inputs(inputs)
            if symbolic is not None:
                return record_call(self, symbolic)
        inputs = self._convert_input(inputs)
        self._build_or_check([tuple(t.shape) for t in inputs] if isinstance(inputs, list) else tuple(inputs.shape))
        return self._run_call(inputs, training)

    def _run_call(self, inputs, training):
        """``call``, given ``training`` only if it takes it: the book's own layers write ``def call(self, x)``."""
        if _call_takes_training(type(self)):
            return self.call(inputs, training=training)
        return self.call(inputs)

    def _takes_lists(self) -> bool:
        """Whether a list of inputs reaches ``call`` as a list. pydl's single-input layers refuse one (merge it
        first); merges and Lambda say yes; a layer written outside pydl takes one, as in Keras (the book's VAE
        loss layer is called on ``[x, z_decoded]``)."""
        return not type(self).__module__.startswith("pydl.")

    # ----------------------------------------------------------------- its calls in graphs
    @property
    def input(self):
        """The symbolic tensor (a list for a merge) this layer was called on in a graph.

        Raises:
            AttributeError: naming the layer when it was never called on a symbolic tensor, or was called several
                times (then ``get_input_at(i)`` picks a call).
        """
        return self.get_input_at(self._only_call("input"))

    @property
    def output(self):
        """The symbolic tensor (a list for a layer with several outputs) this layer produced in a graph, e.g. to
        build a model of intermediate activations: ``Model(model.input, [l.output for l in model.layers[:3]])``.

        Raises:
            AttributeError: naming the layer when it was never called on a symbolic tensor, or was called several
                times (then ``get_output_at(i)`` picks a call).
        """
        return self.get_output_at(self._only_call("output"))

    @property
    def input_shape(self):
        """The shape of :attr:`input` (a list of shapes for a merge), batch axis None."""
        return self._shape_of_calls("input", self.get_input_at)

    @property
    def output_shape(self):
        """The shape of :attr:`output` (a list of shapes for several outputs), batch axis None."""
        return self._shape_of_calls("output", self.get_output_at)

    def get_input_at(self, node_index: int):
        """What call ``node_index`` (0 for the first) of this layer in a graph read: one symbolic tensor, or a list."""
        node = self._node_at(node_index)
        tensors = node.inputs or node.outputs  # an Input's placeholder is its own input, as in Keras
        return list(tensors) if node.takes_list else tensors[0]

    def get_output_at(self, node_index: int):
        """What call ``node_index`` (0 for the first) of this layer in a graph produced: one symbolic tensor, or a
        list for a layer with several outputs."""
        node = self._node_at(node_index)
        return list(node.outputs) if node.returns_list else node.outputs[0]

    def _node_at(self, node_index: int):
        calls = len(self._inbound_nodes)
        if not 0 <= node_index < calls:
            raise ValueError(f'Layer "{self.name}" has been called {calls} time(s) on symbolic tensors; there is no '
                             f"call {node_index}.")
        return self._inbound_nodes[node_index]

    def _only_call(self, what: str) -> int:
        """0, the index of this layer's one call in a graph; AttributeError (as in Keras) when there is none or
        several, since ``layer.<what>`` would then be undefined or ambiguous."""
        calls = len(self._inbound_nodes)
        if calls == 0:
            raise AttributeError(
                f'Layer "{self.name}" has never been called on a symbolic tensor, so it has no {what} tensor. Call it '
                "on a layers.Input(...) or on another layer's output, or put it in a model whose input shape is "
                "known (a Sequential model calls its layers on an Input once it is built).")
        if calls > 1:
            raise AttributeError(
                f'Layer "{self.name}" has been called {calls} times on symbolic tensors (it is shared: called on '
                f'several tensors, or put in several models), so "layer.{what}" is ambiguous. Use '
                f"layer.get_{what}_at(i) for call i (0 to {calls - 1}).")
        return 0

    def _shape_of_calls(self, what: str, tensors_at):
        """The shape every call of this layer in a graph agrees on (Keras' rule for shared layers)."""
        if len(self._inbound_nodes) <= 1:
            return _shape_of(tensors_at(self._only_call(what)))
        shapes = []
        for index in range(len(self._inbound_nodes)):
            shape = _shape_of(tensors_at(index))
            if shape not in shapes:
                shapes.append(shape)
        if len(shapes) > 1:
            raise AttributeError(f'Layer "{self.name}" was called on symbolic tensors with different {what} shapes '
                                 f"{shapes}; use layer.get_{what}_at(i).shape for call i.")
        return shapes[0]

    # ----------------------------------------------------------------- serialisation
    def get_config(self) -> dict:
        """JSON-serialisable configuration; ``type(layer).from_config(config)`` makes an equivalent layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "input_shape" in config and "batch_input_shape" in config:
            config.pop("input_shape")  # both describe the same thing; batch_input_shape wins
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"
