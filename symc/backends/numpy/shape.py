"""NumPy rules for the shape ops and basic indexing."""

from __future__ import annotations

import numpy as np

from symc.backends.numpy.dispatch import numpy_thunk
from symc.graph.basic import Constant, toposort
from symc.ops.indexmap import IndexMap
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


@numpy_thunk.register(IndexMap)
def _index_map(op, node):
    inner = toposort([op.output])
    thunks = [(n, numpy_thunk(n.op, n)) for n in inner]
    dtype = np.dtype(node.outputs[0].dtype)

    def value_of(env, var):
        if var in env:
            return env[var]
        if isinstance(var, Constant):  # as the linker passes them
            return var.argument()
        raise ValueError(f"IndexMap: the inner graph needs {var}, which is not bound")

    def run(n, *values):
        bound = dict(zip(op.inputs, values, strict=True))
        rows = []
        for k in range(int(n)):
            env = {**bound, op.index: np.int64(k)}
            for inner_node, fn in thunks:
                out = fn(*(value_of(env, v) for v in inner_node.inputs))
                outs = out if len(inner_node.outputs) > 1 else (out,)
                env.update(zip(inner_node.outputs, outs, strict=True))
            rows.append(np.asarray(value_of(env, op.output), dtype=dtype))
        if rows:
            return np.stack(rows)
        return np.zeros((0,) + np.shape(values[op.like]), dtype=dtype)

    return run
