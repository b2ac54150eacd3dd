"""NumPy rules for the shape ops and basic indexing."""

from __future__ import annotations

import numpy as np

from symc.backends.numpy.dispatch import numpy_thunk
from symc.ops.shape import IncSubtensor, MakeVector, Reshape, Shape, ShapeI, Subtensor


@numpy_thunk.register(Shape)
def _shape(op, node):
    return lambda x: np.array(np.shape(x), dtype=np.int64)


class _Int64Scalars(dict):
    """``np.int64`` scalars by value, each made once: a shape entry then costs a dict lookup
    (~30 ns) instead of ``np.int64(...)`` (~0.2 µs). Compiled kernels read a NumPy scalar as
    directly as a 0-d array, and scalars are immutable, so sharing them is safe."""

    _LIMIT = 4096

    def __missing__(self, n: int) -> np.int64:
        if len(self) >= self._LIMIT:  # a process seeing many different lengths stays small
            self.clear()
        value = self[n] = np.int64(n)
        return value


INT64_SCALARS = _Int64Scalars()


@numpy_thunk.register(ShapeI)
def _shape_i(op, node):
    i = op.i

    def shape_i(x):
        try:
            return INT64_SCALARS[x.shape[i]]
        except AttributeError:  # not an array (a list given with trust_input=True)
            return np.int64(np.shape(x)[i])

    # The linker inlines this instead of calling the thunk (see symc.compile.linker). The
    # program's inputs are ndarrays (checked, or promised by trust_input) and intermediate
    # values are ndarrays or NumPy scalars, so ``.shape`` is there.
    shape_i.expression = f"_int64s[{{0}}.shape[{i}]]"
    shape_i.expression_globals = {"_int64s": INT64_SCALARS}
    return shape_i


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


@numpy_thunk.register(IncSubtensor)
def _inc_subtensor(op, node):
    build, dtype = op.build_index, np.dtype(node.outputs[0].dtype)

    def run(x, y, *values):
        out = np.array(x, dtype=dtype)  # a copy: the input is never written
        out[build(values)] += y
        return out

    return run
