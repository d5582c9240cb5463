"""Differentiable operations, one small class per op with ``forward`` and ``backward`` side by side.

Families: :mod:`arithmetic` (+ - * / ** @), :mod:`elementwise` (exp, log, relu, ...), :mod:`reduction`
(sum, mean, max, softmax, ...) and :mod:`shape` (reshape, indexing, concatenate, ...).
"""

from pydl.ops import arithmetic, elementwise, reduction, shape  # noqa: F401
from pydl.ops import conv, normalization, pooling  # noqa: F401,E402
from pydl.ops import losses  # noqa: F401,E402  (fused cross-entropies used by pydl.losses)
