"""Constant folding: a node whose inputs are all constants becomes constants.

Passes may not import a backend, so the values are computed here, backend-neutrally, from the
op table's NumPy implementations with the NumPy backend's conventions: weak (Python) scalars
are passed as Python scalars, and results take the graph's dtype.
"""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Apply, Constant
from symc.graph.fg import FunctionGraph
from symc.graph.types import TensorType
from symc.ops.elemwise import DimShuffle, Elemwise
from symc.ops.linalg import Dot
from symc.ops.reduce import REDUCTIONS, Argmax, Reduce
from symc.ops.shape import MakeVector, Reshape, Shape, ShapeI, Subtensor
from symc.passes.patterns import RULES

#: Folding stops at results bigger than this many elements: a huge constant costs memory in
#: the compiled function and is as cheap to compute at run time.
MAX_FOLDED_SIZE = 1 << 20


def _dimshuffle(op: DimShuffle, node, x):
    x = np.asarray(x)
    if op.dropped:
        x = np.squeeze(x, axis=op.dropped)
    rank = {axis: k for k, axis in enumerate(sorted(op.perm))}
    x = x.transpose([rank[a] for a in op.perm])
    return x[tuple(None if d == "x" else slice(None) for d in op.new_order)]


def _reduce(op: Reduce, node, *args):
    x = op.pre.impl(*args) if op.pre is not None else args[0]
    fn = REDUCTIONS[op.fold][1]
    if op.fold in ("add", "mul"):
        return fn(x, axis=op.axis, dtype=op.dtype)
    return fn(x, axis=op.axis)


#: op class -> ``perform(op, node, *values)``: each op's meaning, as the NumPy backend runs it.
PERFORM = {
    Elemwise: lambda op, node, *args: op.scalar_op.impl(*args),
    DimShuffle: _dimshuffle,
    Reduce: _reduce,
    Argmax: lambda op, node, x: op.numpy_fn(x, axis=op.axis),
    Shape: lambda op, node, x: np.array(np.shape(x), dtype=np.int64),
    ShapeI: lambda op, node, x: np.shape(x)[op.i],
    MakeVector: lambda op, node, *xs: np.array(xs, dtype=op.dtype),
    Reshape: lambda op, node, x, shape: np.reshape(x, tuple(int(d) for d in shape)),
    Subtensor: lambda op, node, x, *values: np.asarray(x)[op.build_index(values)],
    Dot: lambda op, node, a, b: np.dot(a, b),
}


def perform(node: Apply, values: list) -> list[np.ndarray] | None:
    """The node's output values for input ``values``, or None when the op is unknown here."""
    for cls in type(node.op).__mro__:
        fn = PERFORM.get(cls)
        if fn is not None:
            break
    else:
        return None
    with np.errstate(all="ignore"):
        result = fn(node.op, node, *values)
    results = result if len(node.outputs) > 1 else (result,)
    return [_as_type(np.asarray(r).astype(o.dtype, copy=False), o.type)
            for r, o in zip(results, node.outputs, strict=True)]


def _as_type(value: np.ndarray, t: TensorType) -> np.ndarray:
    """``value`` with the output's static shape: weak constants are computed as Python
    scalars, so ``sub`` of two length-1 weak constants gives a 0-d result."""
    if value.shape != t.shape and None not in t.shape and value.size == int(np.prod(t.shape)):
        return value.reshape(t.shape)
    return value


@RULES.register("canonicalize", "constant_folding")
def fold_constants(fgraph: FunctionGraph, node: Apply):
    """A node of constants -> its constant results (skipped when it would raise at run time)."""
    if not node.inputs or not all(isinstance(v, Constant) for v in node.inputs):
        return None
    try:
        values = perform(node, [v.argument() for v in node.inputs])
    except Exception:  # the run-time error stays where the user will see it: at run time
        return None
    if values is None or any(v.size > MAX_FOLDED_SIZE for v in values):
        return None
    return [Constant(TensorType(v.dtype, v.shape), v) for v in values]
