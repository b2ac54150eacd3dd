"""Stabilization: expressions that lose precision or overflow become stable equivalents.

``log(1+x) -> log1p(x)``, ``exp(x)-1 -> expm1(x)``, ``log(sigmoid(x)) -> -softplus(-x)``,
``log(1-sigmoid(x)) -> -softplus(x)`` and ``log(sum(exp(x))) -> m + log(sum(exp(x - m)))``.
Values change only where the original rounded badly (that is the point); NaN, inf and -inf
come out where NumPy gives them on the original graph. Integer inputs are left alone when
the original's integer arithmetic could wrap (``int8_x + 1`` at 127).
"""

from __future__ import annotations

from symc.graph.basic import Apply, Variable, constant
from symc.graph.fg import FunctionGraph
from symc.graph.types import is_float
from symc.ops.elemwise import DimShuffle, cast, elemwise
from symc.ops.reduce import Reduce, keepdims_order
from symc.passes.patterns import RULES, fits, is_constant, owner_of


def _other_operand(node: Apply, value) -> Variable | None:
    """The operand of a binary ``node`` beside a constant equal to ``value``."""
    a, b = node.inputs
    if is_constant(b, value):
        return a
    if is_constant(a, value):
        return b
    return None


def _checked(result: Variable, node: Apply):
    return [result] if fits(result, node.out) else None


@RULES.register("stabilize", tracks=("log",))
def log_one_plus(fgraph: FunctionGraph, node: Apply):
    """``log(1 + x) -> log1p(x)`` when ``1 + x`` is float arithmetic (no integer wrap)."""
    total = node.inputs[0]
    add = owner_of(total, "add")
    if add is None or not is_float(total.dtype):
        return None
    x = _other_operand(add, 1)
    if x is None:
        return None
    return _checked(elemwise("log1p", cast(x, total.dtype)), node)


@RULES.register("stabilize", tracks=("sub", "add"))
def exp_minus_one(fgraph: FunctionGraph, node: Apply):
    """``exp(x) - 1`` (or ``exp(x) + -1``) -> ``expm1(x)`` when no dtype changes."""
    a, b = node.inputs
    if node.op.scalar_op.name == "sub":
        candidates = [(a, b, 1)]
    else:
        candidates = [(a, b, -1), (b, a, -1)]
    for exp_out, minus, value in candidates:
        exp = owner_of(exp_out, "exp")
        if exp is not None and is_constant(minus, value) and exp_out.dtype == node.out.dtype:
            return _checked(elemwise("expm1", exp.inputs[0]), node)
    return None


def _sigmoid_argument(var: Variable) -> Variable | None:
    """``x`` (in the sigmoid's float dtype) when ``var`` is ``sigmoid(x)``."""
    node = owner_of(var, "sigmoid")
    return None if node is None else cast(node.inputs[0], var.dtype)


@RULES.register("stabilize", tracks=("log",))
def log_sigmoid(fgraph: FunctionGraph, node: Apply):
    """``log(sigmoid(x)) -> -softplus(-x)`` and ``log(1 - sigmoid(x)) -> -softplus(x)``."""
    arg = node.inputs[0]
    x = _sigmoid_argument(arg)
    if x is not None:
        return _checked(elemwise("neg", elemwise("softplus", elemwise("neg", x))), node)
    sub = owner_of(arg, "sub")
    if sub is None or not is_constant(sub.inputs[0], 1) or sub.out.dtype != arg.dtype:
        return None
    x = _sigmoid_argument(sub.inputs[1])
    if x is None or sub.inputs[1].dtype != arg.dtype:
        return None
    return _checked(elemwise("neg", elemwise("softplus", x)), node)


def _shifted_by_max(x: Variable) -> bool:
    """True when ``x`` is ``a - m`` with ``m`` (broadcast, guarded) the max of ``a``: the
    shape of ``log_sum_exp``'s own result."""
    sub = owner_of(x, "sub")
    if sub is None:
        return False
    m = sub.inputs[1]
    if m.owner is not None and isinstance(m.owner.op, DimShuffle):
        m = m.owner.inputs[0]
    guard = owner_of(m, "switch")
    if guard is not None:
        m = guard.inputs[1]
    node = m.owner
    return (node is not None and isinstance(node.op, Reduce) and node.op.fold == "maximum"
            and node.inputs[0] is sub.inputs[0])


def _sum_of_exp(var: Variable):
    """``(sum node, x, dimshuffle op or None)`` when ``var`` is ``sum(exp(x))`` (maybe
    reshaped by a DimShuffle, as ``keepdims`` does)."""
    shuffle = None
    if var.owner is not None and isinstance(var.owner.op, DimShuffle):
        shuffle, var = var.owner.op, var.owner.inputs[0]
    node = var.owner
    if node is None or not isinstance(node.op, Reduce) or node.op.fold != "add":
        return None
    if node.op.pre is not None or not node.op.axis:
        return None
    exp = owner_of(node.inputs[0], "exp")
    if exp is None or _shifted_by_max(exp.inputs[0]):
        return None  # already stable: our own output must not match again
    x = exp.inputs[0]
    if not is_float(x.dtype) or {x.dtype, exp.out.dtype, node.out.dtype} != {x.dtype}:
        return None
    if any(x.type.shape[a] == 0 for a in node.op.axis):
        return None  # max of an empty axis raises; the original gives -inf
    return node, x, shuffle


@RULES.register("stabilize", tracks=("log",))
def log_sum_exp(fgraph: FunctionGraph, node: Apply):
    """``log(sum(exp(x))) -> m + log(sum(exp(x - m)))`` with ``m = max(x)``, no overflow.

    Where ``m`` is not finite (all -inf, some +inf, NaN) it is replaced by 0, which gives
    exactly the original's -inf/inf/NaN. An axis that is empty at run time makes ``max``
    raise where the original returns -inf.
    """
    found = _sum_of_exp(node.inputs[0])
    if found is None:
        return None
    total, x, shuffle = found
    axis = total.op.axis
    m = Reduce("maximum", axis, x.dtype)(x)
    finite = elemwise("lt", elemwise("abs", m), constant(float("inf")))
    m = elemwise("switch", finite, m, constant(0.0))
    m_wide = DimShuffle(m.ndim, keepdims_order(x.ndim, axis))(m)
    shifted = Reduce("add", axis, total.op.dtype)(elemwise("exp", elemwise("sub", x, m_wide)))
    result = elemwise("add", m, elemwise("log", shifted))
    if shuffle is not None:
        result = shuffle(result)
    return _checked(result, node)
