"""Elementwise fusion: which nodes become one Composite, and that values never change."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.ops.elemwise import DimShuffle, Elemwise
from symc.passes.fusion import fuse_elemwise
from symc.passes.merge import merge

from .graphs import FIXED_POINT, QUIET_NUMPY, assert_same_values, composites, ops, rewritten

pytestmark = [QUIET_NUMPY, FIXED_POINT]


def fused(inputs, outputs, max_operands=32):
    return rewritten(inputs, outputs, merge, lambda fg: fuse_elemwise(fg, max_operands))


def test_chain_becomes_one_composite_with_constants_inlined():
    x, y = symc.vector("x"), symc.vector("y")
    out = symc.exp(x * 2.0 + y) - 1.5
    fgraph = fused([x, y], out)
    (node,) = fgraph.toposort()
    assert str(node.op) == "Elemwise{Composite{(exp(((i0 * 2.0) + i1)) - 1.5)}}"
    assert node.inputs == fgraph.inputs


def test_repeated_input_is_one_operand():
    x = symc.vector("x")
    out = x * x + symc.exp(x) / x
    (node,) = fused([x], out).toposort()
    assert len(node.inputs) == 1
    assert_same_values([x], out, [np.array([0.5, 2.0])], rtol=1e-15)


def test_diamond_is_one_composite():
    x = symc.vector("x")
    a = symc.exp(x)
    out = (a + 1) * (a - 1)
    (node,) = fused([x], out).toposort()
    assert isinstance(node.op, Elemwise) and len(node.op.scalar_op.instrs) == 4


def test_node_consumed_twice():
    x, y = symc.vector("x"), symc.vector("y")
    a = symc.sin(x) + y
    outs = [a * a, a / 3]   # a feeds one node twice, and two nodes
    fgraph = fused([x, y], outs)
    (node,) = fgraph.toposort()
    assert len(node.outputs) == 2 and len(node.inputs) == 2
    assert_same_values([x, y], outs, [np.array([0.1, 2.0]), np.array([3.0, 4.0])], rtol=1e-15)


def test_intermediate_used_outside_is_an_extra_output():
    x, y = symc.vector("x"), symc.vector("y")
    a = x * y
    outs = [a.sum(), symc.exp(a) + x]
    fgraph = fused([x, y], outs)
    (node,) = composites(fgraph)
    assert len(node.outputs) == 2
    assert ops(fgraph).count("Composite") == 1 and ops(fgraph).count("Reduce") == 1
    assert_same_values([x, y], outs, [np.array([0.1, 2.0]), np.array([3.0, 4.0])], rtol=1e-15)


def test_intermediate_that_may_be_smaller_is_not_an_output():
    x, y = symc.vector("x"), symc.vector("y")
    a = symc.exp(x)
    outs = [a.sum(), a * y]   # with len(x) == 1, a is smaller than a * y
    fgraph = fused([x, y], outs)
    assert ops(fgraph).count("exp") == 1 and ops(fgraph).count("mul") == 1
    got = assert_same_values([x, y], outs, [np.array([0.5]), np.array([1.0, 2.0, 3.0])],
                             rtol=1e-15)
    assert got[0] == pytest.approx(np.exp(0.5))


def test_intermediate_with_a_static_full_shape_is_an_output():
    x = symc.tensor("x", shape=(3,))
    y = symc.vector("y")
    a = symc.exp(x)
    outs = [a.sum(), a * y]   # y must have length 1 or 3, so a has the full length
    fgraph = fused([x, y], outs)
    (node,) = composites(fgraph)
    assert len(node.outputs) == 2


def test_a_path_through_another_node_prevents_fusion():
    x = symc.vector("x")
    a = symc.exp(x)
    out = a + a.sum()   # fusing exp and add would make a cycle through the sum
    fgraph = fused([x], out)
    assert ops(fgraph) == ["exp", "Reduce", "DimShuffle", "add"]
    assert_same_values([x], out, [np.array([0.5, 2.0])], rtol=1e-15)


def test_broadcast_dimshuffle_stays_an_input():
    m, v = symc.matrix("m"), symc.vector("v")
    out = symc.exp(m) * v + m   # v is padded to a row by a DimShuffle
    fgraph = fused([m, v], out)
    (node,) = composites(fgraph)
    assert any(v.owner is not None and isinstance(v.owner.op, DimShuffle) for v in node.inputs)
    assert_same_values([m, v], out, [np.ones((2, 3)), np.arange(3.0)], rtol=1e-15)


def test_a_row_is_not_recomputed_for_every_row():
    m, r = symc.matrix("m"), symc.tensor("r", shape=(1, None))
    out = m + symc.exp(r)   # exp(r) has another static shape: it stays out of the loop
    fgraph = fused([m, r], out)
    assert ops(fgraph) == ["exp", "add"]


def test_operand_limit_splits_and_fuses_every_node():
    xs = [symc.vector(f"x{k}") for k in range(40)]
    out = xs[0]
    for x in xs[1:]:
        out = out * 1.5 + x
    fgraph = fused(xs, out, max_operands=16)
    nodes = fgraph.toposort()
    assert all(n in composites(fgraph) for n in nodes) and len(nodes) >= 3
    assert all(len(n.inputs) + len(n.outputs) <= 16 for n in nodes)
    values = [np.full(2, float(k)) for k in range(40)]
    assert_same_values(xs, out, values, rtol=1e-15)


def test_multi_output_operand_limit_counts_outputs():
    x = symc.vector("x")
    outs = [symc.exp(x) + k for k in range(10)]
    fgraph = fused([x], outs, max_operands=4)
    assert all(len(n.inputs) + len(n.outputs) <= 4 for n in fgraph.toposort())
    assert_same_values([x], outs, [np.array([0.5])], rtol=1e-15)


def test_scalars_fuse_too():
    a, b = symc.scalar("a"), symc.scalar("b")
    out = (a * 4) / b + 1
    (node,) = fused([a, b], out).toposort()
    assert str(node.op) == "Elemwise{Composite{(((i0 * 4) / i1) + 1)}}"


def test_site_of_the_fused_node_is_the_users_line():
    x = symc.vector("x")
    out = symc.exp(x) + 1
    (node,) = fused([x], out).toposort()
    assert node.site == out.owner.site
