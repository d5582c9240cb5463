"""What every model shares, whatever its shape: a model is a :class:`~pydl.layers.Layer` holding layers (so it nests
in another model, freezes as one and shows as one summary row, as in Keras 3), the weights of its layers, the
summary table and saving.

:class:`~pydl.models.Sequential` (a stack, a thin front over the graph it records) and :class:`~pydl.models.Model`
(a graph) add how their layers connect; training comes from :class:`~pydl.models.training.Trainer`, files from
:mod:`pydl.models.saving`. Like every layer class, each model class registers itself in :mod:`pydl.registry`
(kind ``"layer"``), which is how a file, or a graph holding a model among its layers, finds it by name.

>>> from pydl import layers, models
>>> base = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,))], name="base")
>>> model = models.Sequential([base, layers.Dense(1)])
>>> base.trainable = False
>>> model.count_params(), sum(w.size for w in model.trainable_weights)
(21, 5)
"""

from __future__ import annotations

import warnings

from pydl import backend
from pydl.backend import np
from pydl.layers.base import Layer
from pydl.layers.symbolic import record_call, symbolic_inputs
from pydl.models import saving
from pydl.models.training import Trainer
from pydl.tensor import Tensor

__all__ = ["BaseModel"]


class BaseModel(Layer, Trainer):
    """Weights, freezing, calls, summary and saving over ``self.layers`` (each layer once, even when it is called
    several times).

    Subclasses set ``layers`` and ``built`` and provide ``inputs``, ``outputs``, ``_forward(list, training)``,
    ``_pack_outputs(list)`` and ``_graph()`` (the functional :class:`~pydl.models.Model` that computes them).

    Freezing follows Keras 3: ``model.trainable = False`` sets every layer it holds to False (a BatchNormalization
    among them then runs in inference mode), and a layer set trainable again inside a frozen model still trains
    only once the model is trainable too. Which weights ``fit``/``train_on_batch`` update is fixed by ``compile()``
    (at the first training step for a model not built yet), as Keras 2 collected them when compiling: change
    ``trainable`` later and call ``compile()`` again for the change to count (a warning says so, as Keras 2's
    did). That is the book's GAN recipe: compile the discriminator, set ``discriminator.trainable = False`` "(will
    only apply to the gan model)", compile the GAN; each keeps training what it chose. Keras 3 differs here (it
    trains whatever is trainable at each step, so the book's discriminator would not train); pydl keeps the book's
    rule on purpose.
    """

    _shows_connections = True  # the summary's "Connected to" column; a Sequential stack has nothing to show there
    holds_layers = True  # what tells a model class from another layer class in the registry (see saving)

    @classmethod
    def from_config(cls, config: dict):
        """Sequential and Model rebuild themselves from their configs; any other model class cannot."""
        raise ValueError(f"the model class {cls.__name__} cannot be rebuilt from a config (it defines no "
                         "from_config; Sequential and Model do).")

    def __init__(self, name: str, trainable: bool = True):
        Layer.__init__(self, name=name, trainable=trainable)
        Trainer.__init__(self)
        self._weights_in_training = None  # what fit updates: fixed by compile (Keras 2's rule)
        self._gradient_flags = None  # (every weight, whether it tracks gradients while this model trains)
        self._warned_trainable_change = False

    # ----------------------------------------------------------------- what trains: Keras' compile rule
    def compile(self, *args, **kwargs) -> None:
        super().compile(*args, **kwargs)
        self._weights_in_training = None
        self._warned_trainable_change = False
        if self.built:  # an unbuilt model's weights do not exist yet: its first training step fixes them
            self._fix_weights_in_training()
    compile.__doc__ = Trainer.compile.__doc__

    def _fix_weights_in_training(self) -> None:
        everything = self.weights
        self._weights_in_training = self.trainable_weights
        chosen = {id(w) for w in self._weights_in_training}
        self._gradient_flags = (everything, [id(w) in chosen for w in everything])

    def _train_step(self, xs: list, ys: list, weights: list):
        """One step that updates exactly the weights fixed after the last compile: only those track gradients
        during it (a layer frozen since still learns, one unfrozen since does not, until compile is called)."""
        if self._weights_in_training is None:
            self._fix_weights_in_training()
        everything, wanted = self._gradient_flags
        flags = [w.requires_grad for w in everything]
        if flags == wanted:  # the usual case: nothing changed since compile
            return super()._train_step(xs, ys, weights)
        if not self._warned_trainable_change:
            self._warned_trainable_change = True
            warnings.warn(f'The trainable weights of model "{self.name}" changed after it was compiled; '
                          "as in Keras 2, training still updates the weights chosen then. Call compile() again to "
                          "train the new choice.", UserWarning, stacklevel=3)
        for w, flag in zip(everything, wanted):
            w.requires_grad = flag
        try:
            return super()._train_step(xs, ys, weights)
        finally:
            for w, flag in zip(everything, flags):
                w.requires_grad = flag
                if not flag:
                    w.grad = None  # a frozen weight keeps no gradient, as freezing it clears one

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f'Model "{self.name}" is not built yet, so {what} is unknown. Give the first layer '
                "input_shape=..., start with layers.Input(shape), call model.build((None, ...)) or fit it on data."
            )

    def get_layer(self, name: str):
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f'Model "{self.name}" has no layer "{name}"; its layers: {[l.name for l in self.layers]}.')

    # ----------------------------------------------------------------- calls: a model is a layer
    def __call__(self, inputs, training=None):
        """The outputs for ``inputs`` (one array or Tensor per model input; a list in order or a dict by name).

        On symbolic tensors (an ``Input``, another layer's output) the call is recorded as ONE node of the bigger
        graph, whose layer is this model, as in Keras: its own layers are not called again.
        """
        flat = self._flatten(inputs, self.input_names, "input")
        found = [None if isinstance(item, Tensor) else symbolic_inputs(item) for item in flat]
        if all(item is None for item in found):
            return self.call(inputs, training=training)
        if any(item is None for item in found):
            raise TypeError(f'Model "{self.name}" was called on a mix of symbolic tensors and data; in a functional '
                            "graph every input must come from an Input or another layer.")
        if not self.built:
            self._build_for(found[0])
        for tensor, given in zip(self.inputs, found):
            tensor.node.layer(given)  # the model's Input checks the shape, as on data (and refuses a list)
        outputs = record_call(self, found if len(found) > 1 else found[0])
        return self._pack_outputs(outputs if isinstance(outputs, list) else [outputs])

    def call(self, inputs, training=None):
        """Run the model on data: the outputs in the structure it was built with (one, a list or a dict)."""
        return self._pack_outputs(self._forward(self._flatten(inputs, self.input_names, "input"), training))

    def _build_for(self, symbolic) -> None:
        """Build an unbuilt model for the symbolic tensor it is first called on (only a Sequential can be unbuilt)."""
        self.build(symbolic.shape)

    def _build_or_check(self, input_shape) -> None:
        """The shapes were checked by the model's Inputs before the call was recorded; nothing to build."""

    def compute_output_shape(self, input_shape):
        """The output shape(s) for inputs of ``input_shape`` (a list for several inputs), worked out layer by layer
        through the graph, so a dimension the model leaves open (None) takes the caller's size."""
        graph = self._graph()
        given = input_shape if isinstance(input_shape, list) else [input_shape]
        shapes = {tensor: tuple(d if d is not None else own for d, own in zip(shape, tensor.shape))
                  for tensor, shape in zip(graph.inputs, given)}
        for node in graph._nodes:
            args = [shapes[t] for t in node.inputs]
            result = node.layer.compute_output_shape(args if node.takes_list else args[0])
            shapes.update(zip(node.outputs, result if node.returns_list else [result]))
        outputs = [shapes[t] for t in graph.outputs]
        return outputs if len(outputs) > 1 else outputs[0]

    @property
    def dtype(self) -> str:
        """The dtype of the model's (first) output: what a node of this model carries in a bigger graph."""
        return self._graph().outputs[0].dtype if self.built and self.layers else backend.floatx()

    # ----------------------------------------------------------------- weights
    def _unique(self, weights) -> list:
        """``weights`` without repeats (a layer used directly and through an inner model counts once, as in Keras)."""
        return list({id(w): w for w in weights}.values())

    @property
    def weights(self) -> list:
        return self._unique(w for layer in self.layers for w in layer.weights)

    def _on_weights_device(self, data: list) -> list:
        """Host arrays moved to the GPU when this model's weights live there, as Keras takes NumPy batches on any
        device. Tensors are left as they are: a CPU Tensor meeting GPU weights still names the op that mixes them."""
        if backend.cupy is None:
            return data
        first = next((w for layer in self.layers for w in layer.weights), None)
        return data if first is None else [backend.on_device_of(x, first.data) for x in data]

    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        return self._unique(w for layer in self.layers for w in layer.trainable_weights)

    @property
    def non_trainable_weights(self) -> list:
        if not self._trainable:
            return self.weights
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Set the model's flag and every layer's (Keras 3): a frozen model holds only frozen layers."""
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = value

    @property
    def losses(self) -> list:
        """Regularization penalties of every layer (Tensors computed from the current weights)."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def get_weights(self) -> list:
        """Copies of every weight as NumPy arrays, in the order of :attr:`weights`."""
        return [backend.to_numpy(w.data).copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Assign NumPy arrays to every weight; nothing changes unless the count and every shape match."""
        weights = list(weights)
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f'Model "{self.name}" has {len(own)} weight arrays but set_weights got {len(weights)}.')
        for w, value in zip(own, weights):
            if tuple(np.shape(value)) != tuple(w.shape):
                raise ValueError(f'Weight "{w.name}" has shape {tuple(w.shape)} but set_weights got '
                                 f"{tuple(np.shape(value))}. Nothing was assigned.")
        for w, value in zip(own, weights):
            xp = backend.get_array_module(w.data)
            w.data[...] = xp.asarray(backend.to_numpy(value) if xp is np else value, dtype=w.dtype)

    def count_params(self) -> int:
        self._require_built("the number of parameters")
        return int(sum(w.size for w in self.weights))

    # ----------------------------------------------------------------- description
    def _summary_rows(self) -> list:
        """One row per layer of the graph, in order: an inner model is ONE row (its name, class, output shape and
        all its parameters), as in Keras. A Sequential stack leaves out its Input and the "Connected to" column."""
        graph = self._graph()
        nodes = [t.node for t in graph.inputs] + graph._nodes
        index = {}
        for node in nodes:
            index[node] = sum(1 for other in index if other.layer is node.layer)
        rows = [("Layer (type)", "Output Shape", "Param #") + (("Connected to",) if self._shows_connections else ())]
        for layer in graph.layers:
            if layer.is_placeholder and not self._shows_connections:
                continue  # the stack's Input placeholder
            own = [node for node in nodes if node.layer is layer]
            shapes = [t.shape for t in own[0].outputs]
            cells = (f"{layer.name} ({type(layer).__name__})", str(shapes[0] if len(shapes) == 1 else shapes),
                     f"{layer.count_params():,}")
            if self._shows_connections:
                sources = [f"{t.node.layer.name}[{index[t.node]}][{t.index}]" for node in own for t in node.inputs]
                cells += (", ".join(sources) or "-",)
            rows.append(cells)
        return rows

    def summary(self, print_fn=None, line_length: int | None = None) -> None:
        """Print a table of layers (name and type), output shapes and parameter counts, as Keras does; a graph
        model adds which layer outputs feed each layer ("Connected to"). The trainable and non-trainable totals
        follow freezing (``model.trainable``, ``layer.trainable``), as Keras counts them.

        NOTE: two deliberate differences from Keras 3: an inner functional model's row names its class ``Model``
        (pydl's class; Keras 3 writes ``Functional``, Keras 2 and the book's first edition wrote ``Model``), and the
        optimizer's slots are not counted (Keras 3 adds an "Optimizer params" line once the optimizer has state).

        Args:
            print_fn: called with each line (``print`` by default), e.g. ``lines.append``.
            line_length: total width of the table (80 for a stack, 100 for a graph by default).
        """
        self._require_built("the summary")
        print_fn = print_fn or print
        header, *rows = self._summary_rows()
        # the first two columns take 45 % and 30 % of the line, the parameter count is right-aligned after them,
        # and a graph's "Connected to" column comes last
        if len(header) == 3:
            line_length = line_length or 80
            widths = [int(line_length * 0.45), int(line_length * 0.30)]
        else:
            line_length = line_length or 100
            widths = [int(line_length * 0.32), int(line_length * 0.2), int(line_length * 0.12)]
        widths.append(line_length - sum(widths))
        # a column widens to its longest cell (plus the space before the next), so long names keep rows aligned
        margins = [1, 1, 0] if len(header) == 3 else [1, 1, 2, 0]
        widths = [max(width, margin + max(len(cells[i]) for cells in [header, *rows]))
                  for i, (width, margin) in enumerate(zip(widths, margins))]
        line_length = sum(widths)

        def row(cells):
            parts = [cells[0].ljust(widths[0] - 1) + " ", cells[1].ljust(widths[1] - 1) + " "]
            if len(cells) == 3:
                return "".join(parts) + cells[2].rjust(widths[2])
            return "".join(parts) + cells[2].rjust(widths[2] - 2) + "  " + cells[3]

        trainable = sum(w.size for w in self.trainable_weights)
        frozen = sum(w.size for w in self.non_trainable_weights)
        nbytes = sum(w.data.nbytes for w in self.weights)
        lines = [f'Model: "{self.name}"', "_" * line_length, row(header), "=" * line_length]
        for i, cells in enumerate(rows):
            lines.append(row(cells))
            lines.append("_" * line_length if i < len(rows) - 1 else "=" * line_length)
        if not rows:
            lines.append("=" * line_length)
        lines += [f"Total params: {trainable + frozen:,} ({_size(nbytes)})",
                  f"Trainable params: {trainable:,}", f"Non-trainable params: {frozen:,}", "_" * line_length]
        for line in lines:
            print_fn(line)

    # ----------------------------------------------------------------- saving
    def save(self, filepath) -> None:
        """Write architecture, compile settings, weights and optimizer state to ONE zip file (``config.json``,
        ``weights.npz`` and, once the optimizer has state, ``optimizer.npz``), so training can resume exactly.

        ``filepath`` may be a path or a writable binary file object; see :func:`pydl.models.load_model`.
        """
        saving.save_model(self, filepath)

    def to_bytes(self) -> bytes:
        """The saved model as bytes (for a browser download); :func:`pydl.models.from_bytes` reads them back."""
        return saving.model_to_bytes(self)

    def save_weights(self, filepath) -> None:
        """Same file format as :meth:`save`; :meth:`load_weights` only takes the weights back."""
        saving.save_model(self, filepath)

    def load_weights(self, filepath) -> None:
        """Read weights saved by :meth:`save`/:meth:`save_weights`; validated completely before any is assigned."""
        saving.load_weights_into(self, filepath)


def _size(nbytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.2f} {unit}" if unit != "B" else f"{nbytes} B"
        nbytes /= 1024
