"""``FunctionGraph``: cloning, the client map, ``replace`` and the ``check()`` verifier that the
test suite runs after every pass."""

from __future__ import annotations

import pytest

import symc
from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import OUTPUT, FunctionGraph, GraphError
from symc.graph.types import TensorType
from symc.ops.elemwise import Elemwise
from symc.ops.scalar import SCALAR_OPS


def small_graph():
    """x, y -> a = x * y; b = exp(a); out = b + a (``a`` has two clients)."""
    x, y = symc.dvector("x"), symc.dvector("y")
    a = x * y
    b = symc.exp(a)
    out = b + a
    return x, y, a, b, out


def test_clone_leaves_the_users_graph_alone():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out])
    assert fg.inputs[0] is not x and fg.outputs[0] is not out
    assert fg.memo[x] is fg.inputs[0] and fg.memo[out] is fg.outputs[0]
    assert fg.inputs[0].name == "x" and fg.inputs[0].type == x.type
    assert len(fg.apply_nodes) == 3 and out.owner not in fg.apply_nodes
    fg.check()
    fg.replace(fg.memo[a], fg.memo[x])
    assert out.owner.inputs == [b, a] and b.owner.inputs == [a]  # the originals did not change


def test_clone_false_uses_the_given_variables():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    assert fg.inputs == [x, y] and fg.outputs == [out]
    assert fg.apply_nodes == {a.owner, b.owner, out.owner}
    fg.check()


def test_clients():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    assert sorted(fg.clients[a], key=lambda c: id(c[0])) == sorted(
        [(b.owner, 0), (out.owner, 1)], key=lambda c: id(c[0]))
    assert fg.clients[x] == [(a.owner, 0)] and fg.clients[y] == [(a.owner, 1)]
    assert fg.clients[out] == [(OUTPUT, 0)]
    assert {x, y, a, b, out} <= fg.variables


def test_toposort_orders_users_after_producers():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    order = fg.toposort()
    assert order.index(a.owner) < order.index(b.owner) < order.index(out.owner)
    assert set(order) == fg.apply_nodes


def test_replace_rewires_clients_and_prunes_dead_nodes():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    new_b = symc.sin(a)
    fg.replace(b, new_b, reason="test")
    assert out.owner.inputs[0] is new_b
    assert b.owner not in fg.apply_nodes and new_b.owner in fg.apply_nodes
    assert (out.owner, 0) in fg.clients[new_b] and (new_b.owner, 0) in fg.clients[a]
    assert (b.owner, 0) not in fg.clients[a]
    fg.check()


def test_replace_an_output():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    fg.replace(out, a)
    assert fg.outputs == [a] and fg.apply_nodes == {a.owner}
    assert (OUTPUT, 0) in fg.clients[a]
    fg.check()


def test_replace_with_a_constant_and_replace_all():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    two = symc.constant(2.0)
    fg.replace_all([(b, symc.exp(x)), (a, x + two)])
    fg.check()
    assert a.owner not in fg.apply_nodes
    assert y in fg.inputs  # an input stays an input even when nothing uses it any more


def test_replace_refuses_a_different_type():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    with pytest.raises(GraphError):
        fg.replace(a, symc.fvector("f"))
    with pytest.raises(GraphError):
        fg.replace(a, symc.dmatrix("m"))
    assert issubclass(GraphError, ValueError)
    fg.check()


# -- check() catches broken graphs ----------------------------------------------------------------

def test_check_catches_a_variable_that_is_not_computed_before_its_use():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    stray = symc.dvector("stray")  # neither an input nor computed by the graph
    fg.clients.setdefault(stray, []).append((b.owner, 0))
    b.owner.inputs[0] = stray
    with pytest.raises(GraphError):
        fg.check()


def test_check_catches_a_node_that_uses_a_later_result():
    x = symc.dvector("x")
    first = symc.exp(x)
    second = symc.sin(first)
    fg = FunctionGraph([x], [second], clone=False)
    fg.check()
    first.owner.inputs[0] = second  # a cycle: exp now needs sin's result
    fg.clients[second].append((first.owner, 0))
    with pytest.raises(ValueError, match="cycle"):  # GraphError is a ValueError too
        fg.check()


def test_check_catches_a_type_mismatch():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    b.owner.outputs[0].type = TensorType("float32", (None,))
    with pytest.raises(GraphError, match="exp|float32"):
        fg.check()


def test_check_catches_a_wrong_rank():
    x = symc.dvector("x")
    out = symc.exp(x)
    fg = FunctionGraph([x], [out], clone=False)
    out.type = TensorType("float64", (None, None))
    with pytest.raises(GraphError):
        fg.check()


def test_check_catches_a_missing_client_entry():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    fg.clients[a].remove((b.owner, 0))
    with pytest.raises(GraphError, match="client"):
        fg.check()


def test_check_catches_an_unreachable_node_in_apply_nodes():
    x, y, a, b, out = small_graph()
    fg = FunctionGraph([x, y], [out], clone=False)
    orphan = Apply(Elemwise(SCALAR_OPS["neg"]), [x], [TensorType("float64", (None,))])
    fg.apply_nodes.add(orphan)
    with pytest.raises(GraphError):
        fg.check()


def test_check_accepts_constants_and_shared_variables():
    x = symc.dvector("x")
    w = symc.shared([1.0, 2.0], name="w")
    out = x * w + Constant(TensorType("float64", ()), 3.0)
    fg = FunctionGraph([x, w], [out])
    fg.check()
    assert isinstance(fg.outputs[0], Variable)
