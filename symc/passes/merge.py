"""Merge: equal constants become one, and nodes applying equal ops to the same inputs become one
(common subexpression elimination)."""

from __future__ import annotations

from symc.graph.basic import Constant
from symc.graph.fg import FunctionGraph
from symc.graph.rewrite import replace_outputs


def merge_constants(fgraph: FunctionGraph) -> int:
    """Make every use of equal constants (type, weakness, bits) use one of them."""
    first: dict[tuple, Constant] = {}
    merged = 0
    for var in list(fgraph.clients):
        if not isinstance(var, Constant) or not fgraph.clients.get(var):
            continue
        kept = first.setdefault(var.signature(), var)
        if kept is not var:
            fgraph.replace(var, kept, "merge_constants")
            merged += 1
    return merged


def merge_nodes(fgraph: FunctionGraph) -> int:
    """Replace each node by an earlier one with an equal op and the same inputs.

    One walk in topological order suffices: when a node is reached, its inputs have already
    been merged, so equal subexpressions have identical inputs.
    """
    seen: dict[tuple, object] = {}
    merged = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        key = (node.op, tuple(node.inputs))
        kept = seen.setdefault(key, node)
        if kept is node:
            continue
        replace_outputs(fgraph, node, list(zip(node.outputs, kept.outputs, strict=True)),
                        "merge_nodes")
        merged += 1
    return merged


def merge(fgraph: FunctionGraph) -> None:
    """The merge pass: constants first, then nodes."""
    merge_constants(fgraph)
    merge_nodes(fgraph)
