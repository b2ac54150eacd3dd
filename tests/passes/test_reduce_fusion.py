"""Reduction fusion, and the pi graph that motivates it."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.graph.fg import FunctionGraph
from symc.ops.composite import Composite
from symc.ops.elemwise import Elemwise
from symc.ops.reduce import Reduce
from symc.passes.fusion import fuse_elemwise
from symc.passes.reduce_fusion import fuse_reductions

from .graphs import FIXED_POINT, assert_same_values, ops, rewritten

pytestmark = FIXED_POINT


def pi_graph():
    x, y = symc.vector("x"), symc.vector("y")
    return [x, y], 4 * (x ** 2 + y ** 2 <= 1).sum() / x.shape[0]


def test_pi_is_one_fused_reduction_over_x_and_y_plus_scalar_ops():
    inputs, out = pi_graph()
    fgraph = rewritten(inputs, out)
    (reduction,) = [n for n in fgraph.toposort() if isinstance(n.op, Reduce)]
    assert reduction.inputs == fgraph.inputs
    assert str(reduction.op) == ("Sum{Composite{le((sqr(i0) + sqr(i1)), 1.0)}, axis=0, "
                                 "acc_dtype=int64}")
    for node in fgraph.toposort():
        if node is not reduction:  # Shape_i{0}(x) and the scalar tail
            assert all(o.ndim == 0 for o in node.outputs)
    assert len(fgraph.toposort()) == 3


def test_pi_debugprint_shows_the_fused_reduction():
    printing = pytest.importorskip("symc.printing")
    inputs, out = pi_graph()
    text = printing.debugprint(symc.function(inputs, out), file="str")
    assert "Sum{Composite{le((sqr(i0) + sqr(i1)), 1.0)}, axis=0, acc_dtype=int64}" in text


def test_pi_values(mode):
    inputs, out = pi_graph()
    rng = np.random.default_rng(0)
    xv, yv = rng.uniform(-1, 1, 1000), rng.uniform(-1, 1, 1000)
    got = symc.function(inputs, out, mode=mode)(xv, yv)
    assert got == 4 * np.sum(xv ** 2 + yv ** 2 <= 1) / 1000


@pytest.mark.parametrize("method, axis", [
    ("sum", None), ("prod", 1), ("max", 0), ("min", (0, 1)), ("any", 1), ("all", 0),
])
def test_every_fold_and_axes(method, axis):
    m = symc.matrix("m")
    out = getattr(symc.abs(m) - 0.5, method)(axis=axis)
    fgraph = rewritten([m], out)
    (node,) = fgraph.toposort()
    assert isinstance(node.op, Reduce) and isinstance(node.op.pre, Composite)
    assert_same_values([m], out, [np.array([[0.1, -2.0, 0.5], [3.0, 0.25, -1.0]])],
                       rtol=1e-15)


def test_single_elementwise_node_is_fused():
    m = symc.matrix("m")
    out = symc.abs(m).max(axis=1)
    (node,) = rewritten([m], out).toposort()
    assert str(node.op) == "Max{Composite{abs(i0)}, axis=1}"


def test_multi_input_reduction_with_broadcasting():
    m, v = symc.matrix("m"), symc.vector("v")
    out = (m * v).sum(axis=0)
    (node,) = [n for n in rewritten([m, v], out).toposort() if isinstance(n.op, Reduce)]
    assert len(node.inputs) == 2
    assert_same_values([m, v], out, [np.ones((3, 2)), np.array([1.0, 2.0])], rtol=1e-15)


def test_elementwise_result_used_elsewhere_is_not_recomputed():
    x = symc.vector("x")
    a = symc.exp(x)
    fgraph = rewritten([x], [a.sum(), a])
    (node,) = [n for n in fgraph.toposort() if isinstance(n.op, Reduce)]
    assert node.op.pre is None


def test_reduction_of_an_input_is_left_alone():
    x = symc.vector("x")
    fgraph = FunctionGraph([x], [x.sum()])
    fuse_elemwise(fgraph)
    assert fuse_reductions(fgraph) == 0
    assert ops(fgraph) == ["Reduce"]


def test_fused_reduction_of_a_plain_elementwise_node():
    x = symc.vector("x")
    fgraph = rewritten([x], symc.exp(x).sum(), fuse_reductions)
    (node,) = fgraph.toposort()
    assert isinstance(node.op.pre, Composite) and not isinstance(node.op, Elemwise)
