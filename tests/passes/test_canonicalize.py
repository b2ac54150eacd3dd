"""Canonicalization: each rule fires where it keeps values and dtypes, and only there."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.ops.elemwise import Elemwise
from symc.ops.scalar import Cast
from symc.passes.merge import merge
from symc.passes.pipeline import canonicalize

from .graphs import FIXED_POINT, QUIET_NUMPY, assert_same_values, ops, rewritten

pytestmark = [QUIET_NUMPY, FIXED_POINT]


@pytest.mark.parametrize("build", [
    lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0, lambda x: 0 + x, lambda x: x - 0,
    lambda x: x / 1, lambda x: x * np.float64(1.0),
], ids=["x*1", "1*x", "x+0", "0+x", "x-0", "x/1", "x*float64(1)"])
def test_identity_operand_is_dropped(build):
    x = symc.vector("x")
    fgraph = rewritten([x], build(x), canonicalize)
    assert ops(fgraph) == [] and fgraph.outputs[0] is fgraph.inputs[0]


def test_identity_operand_on_integers_and_bools():
    i, b = symc.ivector("i"), symc.vector("b", dtype="bool")
    assert ops(rewritten([i], i + 0, canonicalize)) == []
    assert ops(rewritten([b], b | False, canonicalize)) == []


@pytest.mark.parametrize("build, dtype", [
    (lambda x: x + np.int64(0), "int64"),   # int8 + a strong int64 is int64: keep the add
    (lambda x: x / 1, "float64"),           # int8 / 1 is float64
    (lambda x: x * 1.0, "float64"),         # a Python float makes int8 float64
])
def test_identity_operand_kept_when_the_dtype_changes(build, dtype):
    x = symc.bvector("x")
    out = build(x)
    assert out.dtype == dtype
    fgraph = rewritten([x], out, canonicalize)
    assert len(ops(fgraph)) == 1
    assert_same_values([x], out, [np.array([-128, 5, 127], dtype="int8")])


def test_times_zero_is_not_zero():
    x = symc.vector("x")
    fgraph = rewritten([x], x * 0, canonicalize)
    assert ops(fgraph) == ["mul"]
    got = assert_same_values([x], x * 0, [np.array([np.inf, np.nan, 2.0])])
    assert np.isnan(got[0]).tolist() == [True, True, False]


def test_identity_operand_kept_when_it_broadcasts():
    x = symc.vector("x")
    out = x * np.ones((2, 1))  # the constant adds a dimension and a length
    fgraph = rewritten([x], out, canonicalize)
    assert "mul" in ops(fgraph)


def test_double_negation():
    x = symc.bvector("x")
    out = symc.neg(symc.neg(x))
    assert ops(rewritten([x], out, canonicalize)) == []
    assert_same_values([x], out, [np.array([-128, 0, 127], dtype="int8")])  # exact wrap


def test_double_negation_needs_two_negations():
    x = symc.vector("x")
    assert ops(rewritten([x], -abs(x), canonicalize)) == ["abs", "neg"]


def test_subtracting_a_negation_is_adding():
    x, y = symc.vector("x"), symc.vector("y")
    assert ops(rewritten([x, y], x - (-y), canonicalize)) == ["add"]


def test_value_preserving_cast_chain_collapses():
    x = symc.bvector("x")
    out = x.astype("int32").astype("float64")
    fgraph = rewritten([x], out, canonicalize)
    (node,) = fgraph.toposort()
    assert node.op.scalar_op == Cast("float64") and node.inputs[0] is fgraph.inputs[0]


@pytest.mark.parametrize("chain", [("float64", "float32", "float64"),   # rounds in the middle
                                   ("int32", "int8", "int32"),          # wraps in the middle
                                   ("float32", "float64", "int32")])    # float -> int
def test_lossy_cast_chain_is_kept(chain):
    src, mid, dst = chain
    x = symc.vector("x", dtype=src)
    out = x.astype(mid).astype(dst)
    assert len(ops(rewritten([x], out, canonicalize))) == 2
    values = np.array([1.0000000001, 300.7, -2.5]).astype(src)
    assert_same_values([x], out, [values])


def test_cast_to_own_dtype_is_dropped():
    x = symc.vector("x")
    out = Elemwise(Cast("float64"))(x)
    assert ops(rewritten([x], out, canonicalize)) == []


def test_weak_int_meeting_a_float_becomes_a_float():
    x = symc.vector("x", dtype="float32")
    fgraph = rewritten([x], x <= 1, canonicalize)
    (node,) = fgraph.toposort()
    const = node.inputs[1]
    assert const.weak and const.dtype == "float64" and const.data.item() == 1.0


def test_weak_int_meeting_ints_stays_an_int():
    x = symc.ivector("x")
    fgraph = rewritten([x], x <= 1, canonicalize)
    (node,) = fgraph.toposort()
    assert node.inputs[1].dtype == "int64"


def test_commutative_operands_are_ordered_so_equal_products_merge():
    x, y = symc.vector("x"), symc.vector("y")
    fgraph = rewritten([x, y], [x * y, y * x, 2 * x], canonicalize, merge)
    assert ops(fgraph).count("mul") == 2
    assert fgraph.outputs[0] is fgraph.outputs[1]
    (scaled,) = [n for n in fgraph.toposort() if n.outputs[0] is fgraph.outputs[2]]
    assert isinstance(scaled.inputs[1], symc.Constant)


def test_integer_chain_constants_combine_with_wraparound():
    x, y = symc.bvector("x"), symc.bvector("y")
    out = ((x + 100) + y) + 100
    fgraph = rewritten([x, y], out, canonicalize)
    assert ops(fgraph) == ["add", "add"]
    assert_same_values([x, y], out, [np.array([0, 100, -128], "int8"),
                                     np.array([1, 1, 1], "int8")])


def test_float_chain_constants_are_not_reassociated():
    x = symc.vector("x")
    out = (x + 1e308) + -1e308  # reassociated it would be x; NumPy gives inf for x = 1e308
    assert ops(rewritten([x], out, canonicalize)) == ["add", "add"]
    assert_same_values([x], out, [np.array([1e308, 1.0])])
