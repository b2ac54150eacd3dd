"""Shape rewrites: ``x.shape[i]`` reads one length, or is a constant when the type knows it."""

from __future__ import annotations

import numpy as np

import symc
from symc.ops.shape import ShapeI
from symc.passes.pipeline import canonicalize

from .graphs import FIXED_POINT, assert_same_values, ops, rewritten

pytestmark = FIXED_POINT


def test_shape_subscript_is_a_shape_read():
    x = symc.matrix("x")
    fgraph = rewritten([x], x.shape[1], canonicalize)
    (node,) = fgraph.toposort()
    assert node.op == ShapeI(1) and node.inputs[0] is fgraph.inputs[0]
    assert_same_values([x], x.shape[-1], [np.zeros((2, 3))])


def test_static_length_is_a_constant():
    x = symc.tensor("x", shape=(None, 4))
    fgraph = rewritten([x], [x.shape[1], x.shape[0]], canonicalize)
    assert isinstance(fgraph.outputs[0], symc.Constant) and int(fgraph.outputs[0].data) == 4
    assert ops(fgraph) == ["ShapeI"]


def test_whole_static_shape_is_a_constant():
    x = symc.tensor("x", shape=(2, 4))
    fgraph = rewritten([x], x.shape, canonicalize)
    assert ops(fgraph) == [] and fgraph.outputs[0].data.tolist() == [2, 4]


def test_length_of_an_elementwise_result_is_read_from_its_input():
    x = symc.matrix("x")
    out = (symc.exp(x) + 1).T.shape[0]
    fgraph = rewritten([x], out, canonicalize)
    assert ops(fgraph) == ["ShapeI"]
    assert fgraph.toposort()[0].op == ShapeI(1)
    assert_same_values([x], out, [np.zeros((2, 3))])


def test_length_of_a_reduction_is_read_from_its_input():
    x = symc.tensor3("x")
    out = x.sum(axis=1).shape[1]
    fgraph = rewritten([x], out, canonicalize)
    assert ops(fgraph) == ["ShapeI"] and fgraph.toposort()[0].op == ShapeI(2)


def test_length_of_a_broadcast_sum_is_kept():
    x, y = symc.vector("x"), symc.vector("y")
    out = (x + y).shape[0]  # x or y may be the one of length 1: cannot tell before run time
    assert ops(rewritten([x, y], out, canonicalize)) == ["add", "ShapeI"]
    assert_same_values([x, y], out, [np.zeros(1), np.zeros(3)])


def test_symbolic_index_is_kept():
    x, i = symc.vector("x"), symc.lscalar("i")
    assert ops(rewritten([x, i], x.shape[i], canonicalize)) == ["Shape", "Subtensor"]
