"""What every model shares, whatever its shape: the weights of its layers, the summary table and saving.

:class:`~pydl.models.Sequential` (a stack) and :class:`~pydl.models.Model` (a graph) add how their layers connect;
training comes from :class:`~pydl.models.training.Trainer`, files from :mod:`pydl.models.saving`.
"""

from __future__ import annotations

from pydl.backend import np
from pydl.models import saving
from pydl.models.training import Trainer

__all__ = ["BaseModel"]


class BaseModel(Trainer):
    """Weights, summary and saving over ``self.layers`` (each layer once, even when it is called several times).

    Subclasses set ``name``, ``layers`` and ``built`` and provide ``_summary_rows()``.
    """

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

    # ----------------------------------------------------------------- weights
    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def trainable(self) -> bool:
        return all(layer.trainable for layer in self.layers)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self.layers:
            layer.trainable = value

    @property
    def losses(self) -> list:
        """Regularization penalties of every layer (Tensors computed from the current weights)."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def get_weights(self) -> list:
        """Copies of every weight as NumPy arrays, layer by layer."""
        return [w for layer in self.layers for w in layer.get_weights()]

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
        start = 0
        for layer in self.layers:
            count = len(layer.weights)
            layer.set_weights(weights[start:start + count])
            start += count

    def count_params(self) -> int:
        self._require_built("the number of parameters")
        return sum(layer.count_params() for layer in self.layers)

    # ----------------------------------------------------------------- description
    def summary(self, print_fn=None, line_length: int | None = None) -> None:
        """Print a table of layers (name and type), output shapes and parameter counts, as Keras does; a graph
        model adds which layer outputs feed each layer ("Connected to")."""
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
