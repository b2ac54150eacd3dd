"""Merge: equal constants and equal subexpressions are computed once."""

from __future__ import annotations

import numpy as np

import symc
from symc.graph.basic import constant
from symc.passes.merge import merge

from .graphs import FIXED_POINT, ops, rewritten

pytestmark = FIXED_POINT


def test_equal_subexpressions_merge():
    x, y = symc.vector("x"), symc.vector("y")
    fgraph = rewritten([x, y], [symc.exp(x + y) * 2, symc.exp(x + y) * 2], merge)
    assert ops(fgraph) == ["add", "exp", "mul"]
    assert fgraph.outputs[0] is fgraph.outputs[1]


def test_equal_constants_merge_and_unequal_ones_do_not():
    x = symc.vector("x")
    outs = [x + constant(np.array([1.0, 2.0])), x * constant(np.array([1.0, 2.0])),
            x - constant(np.array([1.0, 2.0], dtype="float32")), x + 0.0, x - (-0.0)]
    fgraph = rewritten([x], outs, merge)
    consts = {id(v) for node in fgraph.toposort() for v in node.inputs
              if isinstance(v, symc.Constant)}
    assert len(consts) == 4  # the two float64 vectors merged; float32, 0.0 and -0.0 did not


def test_different_ops_on_the_same_inputs_do_not_merge():
    x = symc.vector("x")
    fgraph = rewritten([x], [x.sum(axis=0), x.max(axis=0), x.astype("float32"),
                             x.astype("int32")], merge)
    assert len(fgraph.toposort()) == 4
