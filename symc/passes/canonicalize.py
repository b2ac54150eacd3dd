"""Canonicalization: simpler equivalent forms (``x*1 -> x``, ``--x -> x``, ...).

Every rule keeps the output dtype and broadcast shape and the NumPy backend's values. So
``x*0`` is never ``0`` (NaN and inf exist), float chains are never reassociated (that can
overflow), and a rule that would change a dtype does not fire: ``x + 0`` with a weak ``0`` keeps
``x``'s dtype and is dropped, ``int8_x + np.int64(0)`` is int64 and stays. One liberty, as in
optimizing compilers' "no signed zeros" mode: the sign of a zero result may differ (``x + 0.0
-> x`` keeps a ``-0.0`` input as ``-0.0`` where NumPy gives ``+0.0``; ``maximum(-0.0, 0.0)``
depends on the operand order). The two zeros compare equal.
"""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import FunctionGraph
from symc.graph.types import TensorType, is_float
from symc.ops.elemwise import Elemwise, cast, elemwise
from symc.ops.scalar import SCALAR_OPS
from symc.passes.patterns import RULES, fits, is_constant, owner_of

#: op -> the constant that leaves the other operand unchanged: on the right, and (for
#: commutative ops) on either side.
RIGHT_IDENTITY = {"add": 0, "sub": 0, "mul": 1, "true_div": 1, "or_": 0, "xor": 0}
COMMUTATIVE_IDENTITY = ("add", "mul", "or_", "xor")


@RULES.register("canonicalize", tracks=tuple(RIGHT_IDENTITY))
def remove_identity_operand(fgraph: FunctionGraph, node: Apply):
    """``x*1``, ``1*x``, ``x+0``, ``x-0``, ``x/1``, ``x|0``, ``x^0`` -> ``x`` (same type only)."""
    name = node.op.scalar_op.name
    identity = RIGHT_IDENTITY[name]
    out = node.out
    candidates = [(node.inputs[0], node.inputs[1])]
    if name in COMMUTATIVE_IDENTITY:
        candidates.append((node.inputs[1], node.inputs[0]))
    for keep, other in candidates:
        if is_constant(other, identity) and fits(keep, out):
            return [keep]
    return None


@RULES.register("canonicalize", tracks=("neg",))
def remove_double_negation(fgraph: FunctionGraph, node: Apply):
    """``-(-x) -> x``; exact for floats and for wrapping integers (``-(-MIN) == MIN``)."""
    inner = owner_of(node.inputs[0], "neg")
    if inner is not None and fits(inner.inputs[0], node.out):
        return [inner.inputs[0]]
    return None


def _cast_chain_is_exact(src: str, mid: str, dst: str) -> bool:
    """True when ``src -> mid -> dst`` gives the values of ``src -> dst`` for every input."""
    if not np.can_cast(src, mid, "safe"):
        return False  # the middle step may round or wrap
    # float -> int of an out-of-range value is undefined in C; NumPy's result may depend on the
    # float width, so keep such chains as written.
    return not (is_float(src) and not is_float(dst) and dst != "bool")


@RULES.register("canonicalize", tracks=("cast",))
def collapse_casts(fgraph: FunctionGraph, node: Apply):
    """``x.astype(A).astype(B) -> x.astype(B)`` when ``A`` holds every value of ``x``;
    ``x.astype(x.dtype) -> x``."""
    x = node.inputs[0]
    if x.dtype == node.out.dtype:
        return [x]
    inner = owner_of(x, "cast")
    if inner is None:
        return None
    src = inner.inputs[0]
    if not _cast_chain_is_exact(src.dtype, x.dtype, node.out.dtype):
        return None
    return [cast(src, node.out.dtype)]


def _weak_float(var: Variable) -> Constant | None:
    value = var.data.item()
    if not isinstance(value, (bool, int)) or abs(int(value)) > 2**53:
        return None
    data = np.asarray(float(value)).reshape(var.data.shape)
    return Constant(TensorType("float64", data.shape), data, weak=True)


@RULES.register("canonicalize")
def weak_ints_to_floats(fgraph: FunctionGraph, node: Apply):
    """A Python int meeting a float operand becomes a Python float: ``le(x, 1) -> le(x, 1.0)``.

    NumPy converts it to the float loop dtype anyway (exactly, below 2**53); the canonical
    form lets equal expressions merge and prints as Theano does.
    """
    if not any(isinstance(v, Constant) and v.weak and v.dtype in ("int64", "bool")
               for v in node.inputs):
        return None
    scalar_op = node.op.scalar_op if isinstance(node.op, Elemwise) else None
    if scalar_op is None or SCALAR_OPS.get(scalar_op.name) != scalar_op:
        return None  # table ops only: casts ignore promotion, a Composite fixes its dtypes
    if not any(is_float(v.dtype) and not isinstance(v, Constant) for v in node.inputs):
        return None
    inputs = list(node.inputs)
    changed = False
    for k, var in enumerate(inputs):
        if isinstance(var, Constant) and var.weak and var.dtype in ("int64", "bool"):
            as_float = _weak_float(var)
            if as_float is not None:
                inputs[k], changed = as_float, True
    if not changed:
        return None
    try:
        new = node.op.make_node(*inputs)
    except TypeError:
        return None
    if [o.type for o in new.outputs] != [o.type for o in node.outputs]:
        return None
    return new.outputs


def _operand_order(var: Variable) -> tuple:
    return (isinstance(var, Constant), var.id)


@RULES.register("canonicalize", tracks=("add", "mul", "maximum", "minimum", "eq", "neq",
                                        "and_", "or_", "xor"))
def sort_commutative_operands(fgraph: FunctionGraph, node: Apply):
    """Put a commutative op's operands in one order (constants last), so ``a*b`` and ``b*a``
    merge and rules find constants on the right."""
    a, b = node.inputs
    if _operand_order(a) <= _operand_order(b):
        return None
    return [elemwise(node.op.scalar_op, b, a)]


def _int_chain_terms(fgraph, node: Apply, name: str, dtype: str) -> list[Variable]:
    """The operands of a tree of ``name`` nodes of ``dtype`` whose inner results feed it alone."""
    terms, stack = [], list(reversed(node.inputs))
    while stack:
        var = stack.pop()
        inner = owner_of(var, name)
        if (inner is not None and var.dtype == dtype and len(fgraph.clients.get(var, ())) == 1):
            stack.extend(reversed(inner.inputs))
        else:
            terms.append(var)
    return terms


@RULES.register("canonicalize", tracks=("add", "mul"))
def flatten_integer_chain(fgraph: FunctionGraph, node: Apply):
    """``(x + 3) + y + 4 -> (x + y) + 7`` for integer adds and muls: the constants of a chain
    combine into one. Exact, because integers wrap modulo ``2**bits`` whatever the order; float
    chains are left alone (reassociation can overflow)."""
    name, dtype = node.op.scalar_op.name, node.out.dtype
    if dtype == "bool" or is_float(dtype):
        return None
    terms = _int_chain_terms(fgraph, node, name, dtype)
    consts = [t for t in terms if isinstance(t, Constant)]
    others = [t for t in terms if not isinstance(t, Constant)]
    if len(consts) < 2 or not others or any(t.dtype != dtype for t in others):
        return None
    ufunc = node.op.scalar_op.impl
    with np.errstate(all="ignore"):
        values = [np.asarray(c.argument()) for c in consts]
        if any(not np.array_equal(v.astype(dtype), v) for v in values):
            return None  # a weak constant out of the dtype's range raises at run time: keep it
        total = values[0].astype(dtype)
        for v in values[1:]:
            total = ufunc(total, v.astype(dtype)).astype(dtype)
    result = others[0]
    for term in others[1:]:
        result = elemwise(name, result, term)
    result = elemwise(name, result, Constant(TensorType(dtype, total.shape), total))
    return [result] if fits(result, node.out) else None


@RULES.register("canonicalize", tracks=("sub",))
def subtract_negation(fgraph: FunctionGraph, node: Apply):
    """``x - (-y) -> x + y``: exact in IEEE arithmetic and in wrapping integers."""
    inner = owner_of(node.inputs[1], "neg")
    if inner is None:
        return None
    result = elemwise("add", node.inputs[0], inner.inputs[0])
    return [result] if fits(result, node.out) else None

