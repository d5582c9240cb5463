"""The one place where an op called on a symbolic tensor (a layer's output in a functional graph) turns into a graph
node instead of computing: ``pydl.mean(layer_output)`` works like ``keras.ops.mean`` on a KerasTensor.

Each public op of :mod:`pydl.ops` is wrapped by :func:`records_in_graphs`. On Tensors (training, the hot path) the
wrapper only checks the argument types; when an argument is symbolic it hands the call to
:func:`pydl.layers.operation.record_op`, which records it (see there).
"""

from __future__ import annotations

import functools

from pydl.tensor import Tensor

__all__ = ["records_in_graphs"]

_has_symbolic = None
# arguments that are never symbolic, checked by type alone: most calls are Tensor op Tensor or Tensor op number
_PLAIN = frozenset({Tensor, float, int, bool, str, type(None), slice})


def _symbolic(value) -> bool:
    global _has_symbolic
    if _has_symbolic is None:  # pydl.layers imports pydl.ops, so the check is imported on first use
        from pydl.layers.operation import has_symbolic

        _has_symbolic = has_symbolic
    return _has_symbolic(value)


def records_in_graphs(fn):
    """``fn`` (an eager op on Tensors), recorded as a graph node when any argument is symbolic."""
    name = fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        for value in args:
            if type(value) not in _PLAIN and _symbolic(value):
                return _record(name, args, kwargs)
        for value in kwargs.values():
            if type(value) not in _PLAIN and _symbolic(value):
                return _record(name, args, kwargs)
        return fn(*args, **kwargs)

    op.eager = fn
    return op


def _record(name, args, kwargs):
    from pydl.layers.operation import record_op

    return record_op(name, args, kwargs)
