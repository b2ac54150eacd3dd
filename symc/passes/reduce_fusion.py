"""Reduction fusion: a reduction of an elementwise result used by nothing else becomes one
``Reduce(..., pre=Composite)`` over the elementwise node's inputs, so the intermediate array
is never made (``Sum{Composite{le((sqr(i0) + sqr(i1)), 1.0)}, axis=0, ...}``). Any fold, any
axes and any number of inputs."""

from __future__ import annotations

from symc.graph.basic import Apply
from symc.graph.fg import FunctionGraph
from symc.graph.rewrite import replace_outputs
from symc.ops.composite import Composite, composite_from_graph
from symc.ops.elemwise import Elemwise
from symc.ops.reduce import Reduce
from symc.passes.fusion import interface
from symc.passes.patterns import only_client


def fused_reduction(fgraph: FunctionGraph, node: Apply) -> Apply | None:
    """The fused replacement of the Reduce ``node``, or None when it does not apply."""
    op = node.op
    if not isinstance(op, Reduce) or op.pre is not None:
        return None
    (x,) = node.inputs
    source = x.owner
    if source is None or not isinstance(source.op, Elemwise) or len(source.outputs) != 1:
        return None
    if not only_client(fgraph, x, node):
        return None  # another user needs the array anyway
    if isinstance(source.op.scalar_op, Composite):
        pre, inputs = source.op.scalar_op, source.inputs
    else:
        inputs, _ = interface(fgraph, [source])
        if not inputs:
            return None  # all constants: constant folding's job
        pre = composite_from_graph(inputs, [x])
    fused = Reduce(op.fold, op.axis, op.dtype, pre=pre).make_node(*inputs)
    return fused


def fuse_reductions(fgraph: FunctionGraph) -> int:
    """The reduction-fusion pass; returns the number of reductions fused."""
    made = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        fused = fused_reduction(fgraph, node)
        if fused is None:
            continue
        replace_outputs(fgraph, node, [(node.out, fused.out)], "fuse_reductions")
        made += 1
    return made
