"""Shape rewrites: ``x.shape[i]`` becomes a cheap scalar read (``Shape_i``) of the variable
that really determines it, or a constant when the static type knows the length."""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import FunctionGraph
from symc.graph.types import TensorType
from symc.ops.elemwise import DimShuffle, Elemwise
from symc.ops.reduce import Reduce
from symc.ops.shape import Shape, ShapeI, Subtensor
from symc.passes.patterns import RULES, scalar_value


def length(n: int) -> Constant:
    """A (strong) int64 constant, the type ``Shape_i`` produces."""
    return Constant(TensorType("int64", ()), n)


def shape_i(x: Variable, i: int) -> Variable:
    """``x.shape[i]``: a constant when the type knows it, else a ``Shape_i`` node."""
    known = x.type.shape[i]
    return length(known) if known is not None else ShapeI(i)(x)


@RULES.register("canonicalize", tracks=(Subtensor,))
def shape_subscript(fgraph: FunctionGraph, node: Apply):
    """``Shape(x)[i] -> Shape_i{i}(x)`` for a constant ``i``: no shape vector is built."""
    vec = node.inputs[0]
    if node.op.idx_list != ("i",) or vec.owner is None or not isinstance(vec.owner.op, Shape):
        return None
    i = scalar_value(node.inputs[1])
    x = vec.owner.inputs[0]
    if i is None or not -x.ndim <= int(i) < x.ndim:
        return None  # out of range: the run-time IndexError stays
    return [shape_i(x, int(i) % x.ndim)]


@RULES.register("canonicalize", tracks=(Shape,))
def static_shape(fgraph: FunctionGraph, node: Apply):
    """``Shape(x)`` of a fully known static shape -> a constant vector."""
    shape = node.inputs[0].type.shape
    if None in shape:
        return None
    data = np.array(shape, dtype=np.int64)
    return [Constant(TensorType("int64", data.shape), data)]


def _source_dim(node: Apply, i: int) -> tuple[Variable, int] | int | None:
    """Where dimension ``i`` of ``node``'s output comes from: ``(var, dim)``, a known length,
    or None when it cannot be told without running the graph."""
    op = node.op
    if isinstance(op, DimShuffle):
        d = op.new_order[i]
        return 1 if d == "x" else (node.inputs[0], d)
    if isinstance(op, Reduce) and op.pre is None:
        kept = [d for d in range(node.inputs[0].ndim) if d not in op.axis]
        return node.inputs[0], kept[i]
    if isinstance(op, Elemwise):
        # The length is the one input's that is not statically 1 there, if there is only one.
        wide = [v for v in node.inputs if v.type.shape[i] != 1]
        if len(wide) == 1:
            return wide[0], i
        if not wide:
            return 1
    return None


@RULES.register("canonicalize", tracks=(ShapeI,))
def shape_i_source(fgraph: FunctionGraph, node: Apply):
    """``Shape_i`` of a known length -> a constant; of a view, reduction or elementwise result
    -> ``Shape_i`` of the input that has that length (so that node may be fused away)."""
    x, i = node.inputs[0], node.op.i
    if x.type.shape[i] is not None:
        return [length(x.type.shape[i])]
    if x.owner is None:
        return None
    source = _source_dim(x.owner, i)
    if source is None:
        return None
    if isinstance(source, int):
        return [length(source)]
    var, dim = source
    return [shape_i(var, dim)]
