"""``evaluate`` and ``predict`` over arrays, generators or Sequences, and Keras 2's ``*_generator`` names.

:class:`Evaluation` is the half of :class:`~pydl.models.training.Trainer` that reads a model without training it;
both halves draw their batches from :mod:`pydl.models.batch_sources`.
"""

from __future__ import annotations

import warnings

from pydl import backend
from pydl import callbacks as callbacks_module
from pydl.autograd import no_grad
from pydl.backend import np
from pydl.models.batch_sources import ArrayBatches, batch_source, is_batch_source, is_sequence
from pydl.models.loop import LogMeans
from pydl.models.training_data import whole_number

__all__ = ["Evaluation"]


class Evaluation:
    """Mixin: ``evaluate``, ``predict`` and ``fit_generator``/``evaluate_generator``/``predict_generator``. The model
    provides what :class:`~pydl.models.training.Trainer` does (``_test_step``, ``_forward``, ``_arrays``...)."""

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None,
                 return_dict: bool = False):
        """Loss and metrics over ``(x, y)`` in inference mode (dropout off, no regularization penalties; losses a
        layer adds with ``add_loss`` count, as in Keras).

        ``sample_weight`` weights each sample's loss (and the ``weighted_metrics``) as in :meth:`fit`. ``x`` may be a
        generator or :class:`pydl.utils.Sequence` of ``(x, y)`` batches, read for ``steps`` batches (all of a
        Sequence, or a generator until it is exhausted, when None).

        Returns:
            The loss, or ``[loss, *output losses, *metrics]`` in compile order (a dict with ``return_dict=True``).
        """
        self._require_compiled("evaluate()")
        steps = None if steps is None else whole_number(steps, "evaluate(): steps", 1)
        if is_batch_source(x):
            self._refuse_with_batches(x, "evaluate()", y=y, batch_size=batch_size, sample_weight=sample_weight)
            what = f"the {'Sequence' if is_sequence(x) else 'generator'} given to evaluate()"
            source = batch_source(self, x, steps, "evaluate", what)
        else:
            if steps is not None:
                raise ValueError("evaluate(): steps is for a generator or Sequence; arrays are evaluated whole.")
            xs, ys = self._data_arrays(x, y, "", "evaluate()")
            if not len(xs[0]):
                raise ValueError("evaluate() got no samples: x and y are empty.")
            weights = self._sample_weights(sample_weight, len(xs[0]))
            batch_size = 32 if batch_size is None else whole_number(batch_size, "evaluate(): batch_size", 1)
            source = ArrayBatches(xs, ys, weights, batch_size)
        logs, seen = self._evaluate_source(source, steps, count=True)
        if verbose:
            print(f"{seen} samples - " + callbacks_module._format_logs(logs))
        return self._result(logs, return_dict)

    def _evaluate_source(self, source, steps=None, count: bool = False):
        """The logs over ``steps`` batches of ``source`` (all when None); with ``count``, also the samples seen."""
        means, seen = LogMeans(), 0
        source.begin_epoch(None)
        index = 0
        while steps is None or index < steps:
            batch = source.next_batch(index)
            if batch is None:
                break
            xb, yb, wb = batch
            n = len(xb[0])
            self._test_step(xb, yb, wb, means, n)
            seen, index = seen + n, index + 1
        source.end_epoch()
        if not seen:
            raise ValueError("evaluate() got no batch: the generator is exhausted (give validation_steps, or steps, "
                             "so that each evaluation draws that many batches from an endless generator).")
        logs = means.means()
        return (logs, seen) if count else logs

    @staticmethod
    def _refuse_with_batches(x, what: str, **given) -> None:
        named = [name for name, value in given.items() if value is not None]
        if named:
            raise ValueError(f"{what}: x is a {type(x).__name__}, which yields whole batches, so {', '.join(named)} "
                             "cannot be given too (the batches carry them).")

    def predict(self, x, batch_size=None, verbose=0, steps=None):
        """Model outputs for ``x`` as a NumPy array (a list or dict of them for several outputs), computed
        ``batch_size`` samples at a time in inference mode. ``x`` may be a generator or Sequence of batches (of
        inputs, or ``(x, y)`` tuples whose targets are ignored), read for ``steps`` batches (all when None)."""
        steps = None if steps is None else whole_number(steps, "predict(): steps", 1)
        if is_batch_source(x):
            self._refuse_with_batches(x, "predict()", batch_size=batch_size)
            what = f"the {'Sequence' if is_sequence(x) else 'generator'} given to predict()"
            source = batch_source(self, x, steps, "predict", what)
        else:
            if steps is not None:
                raise ValueError("predict(): steps is for a generator or Sequence; arrays are predicted whole.")
            batch_size = 32 if batch_size is None else whole_number(batch_size, "predict(): batch_size", 1)
            xs = self._arrays(x)
            source = ArrayBatches(xs, [], [None] * len(self.output_names), batch_size)
        batches, index = [], 0
        source.begin_epoch(None)
        with no_grad():
            while steps is None or index < steps:
                batch = source.next_batch(index)
                if batch is None:
                    break
                outs = self._forward_clean(batch[0], training=False)
                batches.append([backend.to_numpy(out.data) for out in outs])
                index += 1
        source.end_epoch()
        if not batches:
            raise ValueError("predict() got no samples.")
        return self._pack_outputs([parts[0] if len(parts) == 1 else np.concatenate(parts)
                                   for parts in zip(*batches)])

    # ----------------------------------------------------------------- Keras 2's names
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Keras 2's name for :meth:`fit` on a generator or Sequence (deprecated there too): the same training and
        numbers. ``max_queue_size``, ``workers`` and ``use_multiprocessing`` are accepted and unused (pydl draws the
        batches in the training thread, one at a time)."""
        _deprecated("fit_generator", "fit")
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """Keras 2's name for :meth:`evaluate` on a generator or Sequence (deprecated there too)."""
        _deprecated("evaluate_generator", "evaluate")
        return self.evaluate(generator, steps=steps, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """Keras 2's name for :meth:`predict` on a generator or Sequence (deprecated there too)."""
        _deprecated("predict_generator", "predict")
        return self.predict(generator, steps=steps, verbose=verbose)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"Model.{old} is Keras 2's name, deprecated since Keras 2.1; use Model.{new}, which takes "
                  "generators and Sequences (same results).", DeprecationWarning, stacklevel=3)
