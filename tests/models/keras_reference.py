"""Keras 3 as a numerical reference in float64.

Two settings make it compute in float64 while a comparison runs: floatx (so its learning-rate variable and
optimizer slots are float64 like the variables: in float32 the rate 0.05 is 0.0500000007, a 1e-8 difference after
one step), and its type promotion, which on every backend but TensorFlow turns a float64 result into float32 to
follow JAX's default (keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE): ``keras.ops.matmul`` of two float64
arrays is otherwise 2.5e-7 away from NumPy's. Both are put back afterwards. The global dtype policy too: Keras
fixes it from floatx when the first layer of the process is made, so after any earlier test made a layer a new
floatx alone no longer reaches new layers (a Rescaling then computes in float32).
"""

import contextlib


@contextlib.contextmanager
def keras_in_float64():
    import keras
    from keras.src.backend.common import dtypes

    previous, demoted = keras.config.floatx(), dtypes.BIT64_TO_BIT32_DTYPE.get("float64")
    policy = keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    try:
        yield keras
    finally:
        keras.config.set_floatx(previous)
        keras.config.set_dtype_policy(policy)
        dtypes.BIT64_TO_BIT32_DTYPE["float64"] = demoted
