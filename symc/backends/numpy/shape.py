"""NumPy rules for the shape ops and basic indexing."""

from __future__ import annotations

import numpy as np

from symc.backends.numpy.dispatch import numpy_thunk
from symc.ops.shape import MakeVector, Reshape, Shape, ShapeI, Subtensor


@numpy_thunk.register(Shape)
def _shape(op, node):
    return lambda x: np.array(np.shape(x), dtype=np.int64)


@numpy_thunk.register(ShapeI)
def _shape_i(op, node):
    i = op.i
    return lambda x: np.int64(np.shape(x)[i])


@numpy_thunk.register(MakeVector)
def _make_vector(op, node):
    dtype = np.dtype(op.dtype)
    return lambda *scalars: np.array(scalars, dtype=dtype)


@numpy_thunk.register(Reshape)
def _reshape(op, node):
    return lambda x, shape: np.reshape(x, tuple(int(d) for d in shape))


@numpy_thunk.register(Subtensor)
def _subtensor(op, node):
    build = op.build_index

    def run(x, *values):
        return np.asarray(x)[build(values)]

    return run
