"""Constant folding: nodes of constants become constants, with the NumPy backend's values."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.graph.basic import constant
from symc.passes.pipeline import constant_folding

from .graphs import FIXED_POINT, REFERENCE, assert_same_values, ops, rewritten

pytestmark = FIXED_POINT


def test_folds_a_chain_of_constants():
    x = symc.vector("x")
    c = symc.exp(constant(np.array([0.0, 1.0]))) * 2 + constant(np.float32(1))
    out = x + c.sum()
    fgraph = rewritten([x], out, constant_folding)
    assert ops(fgraph) == ["add"]
    assert_same_values([x], out, [np.array([1.0, 2.0])], mode="FAST_COMPILE", rtol=0)


def test_folded_value_keeps_the_graph_dtype():
    c = constant(np.int8(100)) * 2  # int8 * Python int is int8: wraps to -56
    x = symc.bscalar("x")
    fgraph = rewritten([x], x + c, constant_folding)
    (node,) = fgraph.toposort()
    folded = node.inputs[1]
    assert folded.dtype == "int8" and int(folded.data) == -56 and not folded.weak


def test_folds_shapes_reshapes_and_indexing():
    c = constant(np.arange(6.0))
    out = c.reshape((2, 3)).T[1].sum() + c.shape[0]
    fgraph = rewritten([], out, constant_folding)
    assert ops(fgraph) == [] and float(fgraph.outputs[0].data) == 5.0 + 6  # [1, 4] + len


def test_a_node_that_raises_is_not_folded():
    out = constant(np.int8(100)) + 300  # NumPy raises OverflowError at run time
    fgraph = rewritten([], out, constant_folding)
    assert ops(fgraph) == ["add"]
    f = symc.function([], out, mode="FAST_COMPILE")
    with pytest.raises(OverflowError):
        f()
    with pytest.raises(OverflowError):
        symc.function([], out, mode=REFERENCE)()


def test_weak_constants_padded_to_length_one_keep_their_shape(mode):
    """``sub(2, 1)`` after both were padded to shape (1,) (as next to a vector): NumPy gets the
    weak constants as Python ints and answers 0-d; folding and the NumPy thunk keep (1,)."""
    from symc.ops.elemwise import elemwise, pad_rank

    x = symc.dvector("x")
    one = elemwise("sub", pad_rank(constant(2), 1), 1)
    assert one.type.shape == (1,)
    for m in (mode, symc.Mode(optimizer=None, backend=mode.backend)):
        f = symc.function([x], [x ** one, one * 1.5], mode=m)
        power, scaled = f(np.array([3.0, 4.0]))
        np.testing.assert_array_equal(power, [3.0, 4.0])
        assert scaled.shape == (1,) and scaled[0] == 1.5
    fgraph = rewritten([x], x ** one, constant_folding)
    assert "sub" not in ops(fgraph)
