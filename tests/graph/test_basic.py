"""The IR's nodes: ``Variable``, ``Constant``, ``Apply``, ``Op`` (equality by props), graph walks
and the creation site recorded on each node."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import symc
from symc.graph.basic import (
    Apply,
    Constant,
    Op,
    Variable,
    ancestors,
    as_variable,
    clone_replace,
    constant,
    toposort,
)
from symc.graph.types import TensorType
from symc.ops.elemwise import DimShuffle, Elemwise
from symc.ops.reduce import Reduce
from symc.ops.scalar import SCALAR_OPS, Cast

THIS_FILE = os.path.basename(__file__)


def test_variable_attributes():
    x = symc.tensor("x", dtype="int16", shape=(None, 1))
    assert isinstance(x, Variable) and x.owner is None and x.index is None
    assert x.name == "x" and x.dtype == "int16" and x.ndim == 2
    assert x.type == TensorType("int16", (None, 1)) and x.broadcastable == (False, True)
    assert str(x) == "x" and repr(x) == "x"
    anonymous = symc.dvector()
    assert anonymous.name is None and "float64" in repr(anonymous)
    with pytest.raises(TypeError):
        Variable("float64")
    with pytest.raises(TypeError):
        symc.dvector(3)


def test_variables_are_hashable_and_compare_by_identity():
    x, y = symc.dvector("x"), symc.dvector("x")
    assert x is not y and (x == y) is False and len({x, y}) == 2
    assert {x: 1, y: 2}[y] == 2


def test_variable_ids_are_unique_and_increasing():
    a, b = symc.dvector(), symc.dvector()
    assert b.id > a.id


def test_constants():
    c = constant(np.arange(3))
    assert isinstance(c, Constant) and c.dtype == "int64" and c.type.shape == (3,)
    assert not c.data.flags.writeable
    with pytest.raises(ValueError):
        c.data[0] = 5
    weak = constant(2.5)
    assert weak.weak and weak.dtype == "float64" and weak.ndim == 0 and str(weak) == "2.5"
    assert constant(3).dtype == "int64" and str(constant(3)) == "3"
    assert constant([1.0, 2.0], dtype="float32").dtype == "float32"
    assert constant(np.arange(3)).signature() == constant(np.arange(3)).signature()
    assert constant(np.arange(3)).signature() != constant(np.arange(3.0)).signature()
    assert constant(1).signature() != constant(np.int64(1)).signature()  # weak vs strong
    assert constant(c) is c
    source = np.arange(3.0)
    copied = constant(source)
    source[0] = 9.0
    assert copied.data[0] == 0.0


@pytest.mark.parametrize("bad", ["abc", b"x", 1 + 2j, np.array(["a"]), [1, "a"], object()])
def test_non_numeric_constants_raise_type_error(bad):
    with pytest.raises(TypeError):
        constant(bad)


def test_apply_node_structure():
    x, y = symc.dvector("x"), symc.dvector("y")
    out = x + y
    node = out.owner
    assert isinstance(node, Apply) and node.inputs == [x, y]
    assert node.outputs == [out] and out.index == 0 and node.out is out
    assert node.op == Elemwise(SCALAR_OPS["add"])


def test_apply_records_the_users_source_line():
    x = symc.dvector("x")
    line = sys._getframe().f_lineno + 1
    out = symc.exp(x)
    assert out.owner.site[1] == line and os.path.basename(out.owner.site[0]) == THIS_FILE
    assert f"{THIS_FILE}:{line}" in out.owner.site_text()


def test_site_is_kept_by_clone_replace():
    x, y = symc.dvector("x"), symc.dvector("y")
    line = sys._getframe().f_lineno + 1
    out = symc.sin(x) * 2
    (new,) = clone_replace([out], {x: y})
    assert new is not out and new.owner.site[1] == line
    assert new.owner.inputs[0].owner.inputs[0] is y


def test_apply_rejects_non_variables():
    with pytest.raises(TypeError, match="not a symbolic variable"):
        Apply(Elemwise(SCALAR_OPS["neg"]), [np.ones(3)], [TensorType("float64", (None,))])


def test_ops_are_equal_and_hashable_by_props():
    assert Elemwise(SCALAR_OPS["add"]) == Elemwise(SCALAR_OPS["add"])
    assert hash(Elemwise(SCALAR_OPS["add"])) == hash(Elemwise(SCALAR_OPS["add"]))
    assert Elemwise(SCALAR_OPS["add"]) != Elemwise(SCALAR_OPS["mul"])
    assert Elemwise(Cast("int8")) == Elemwise(Cast("int8")) != Elemwise(Cast("int16"))
    assert DimShuffle(2, (1, 0)) == DimShuffle(2, [1, 0])
    assert DimShuffle(2, (1, 0)) != DimShuffle(2, (0, 1))
    assert Reduce("add", (0,), "float64") == Reduce("add", (0,), "float64")
    assert Reduce("add", (0,), "float64") != Reduce("add", (1,), "float64")
    assert len({Elemwise(SCALAR_OPS["add"]), Elemwise(SCALAR_OPS["add"])}) == 1


def test_op_without_props():
    class Nothing(Op):
        pass

    assert Nothing() == Nothing() and hash(Nothing()) == hash(Nothing())
    with pytest.raises(NotImplementedError):
        Nothing().make_node()


def test_ancestors_and_toposort():
    x, y = symc.dvector("x"), symc.dvector("y")
    a = x * y
    b = symc.exp(a)
    out = b + a
    found = ancestors([out])
    assert {x, y, a, b, out} <= set(found) and len(found) == len({v.id for v in found})
    order = toposort([out])
    assert order.index(a.owner) < order.index(b.owner) < order.index(out.owner)
    assert len(order) == len(set(map(id, order)))
    assert toposort([out], stop_at=[a]) == [b.owner, out.owner]


def test_toposort_of_a_deep_graph_does_not_recurse():
    x = symc.dvector("x")
    out = x
    for _ in range(3000):
        out = out + 1.0
    assert len(toposort([out])) == 3000


def test_as_variable():
    x = symc.dvector("x")
    assert as_variable(x) is x
    assert isinstance(as_variable(2.0), Constant)
    with pytest.raises(TypeError):
        as_variable((x + 1).owner)


def test_toposort_detects_a_cycle():
    """Only a broken rewrite makes a cycle; the walk must then fail instead of running forever."""
    x = symc.dvector("x")
    a = symc.exp(x)
    b = symc.sin(a)
    a.owner.inputs[0] = b
    with pytest.raises(ValueError, match="cycle"):
        toposort([b])
