"""Reverse-mode differentiation: ``symc.grad(cost, wrt)``, ``jacobian`` and ``hessian``, as
in Theano.

The gradient is a symbolic graph like any other: ``grad`` walks the nodes between ``wrt`` and
``cost`` from the cost back, asks each node's op for the gradients of its inputs given the
gradient of its outputs, and sums the contributions that reach a variable along several
paths. The optimizer then fuses and simplifies the result with the forward graph when both
are compiled into one function.

The rules:

* ``Elemwise``: the scalar op's rule, ``ScalarOp.grad(inputs, output, g)`` (filled in below
  for every differentiable op of the table), then summed back to each input's shape where
  the op broadcast it (:class:`~symc.ops.reduce.SumToShape` where a length is only known at
  run time); ``Cast`` passes the gradient back in the input's dtype.
* ``Reduce``: sum, prod (exact with zeros in the slice), max and min (max and min send the
  gradient to every element equal to the result, as Theano does).
* ``DimShuffle``, ``Reshape``, ``Dot`` (every vector/matrix pairing), and basic indexing
  (``Subtensor``, whose gradient is an :class:`~symc.ops.shape.IncSubtensor` of zeros).
* Integer and boolean variables, ``Shape``/``Shape_i``, comparisons, rounding and the
  argmax family carry no gradient. Any other op (fused ``Composite`` or ``Reduce`` nodes of
  an optimized graph) raises ``NotImplementedError`` naming it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from symc.graph.basic import Constant, Variable, ancestors, as_variable, constant, toposort
from symc.graph.types import TensorType, is_float
from symc.ops.elemwise import DimShuffle, Elemwise, cast, elemwise
from symc.ops.indexmap import IndexMap
from symc.ops.linalg import Dot
from symc.ops.reduce import Argmax, Reduce, SumToShape, keepdims_order, reduce
from symc.ops.scalar import NOT_DIFFERENTIABLE, SCALAR_OPS, Cast
from symc.ops.shape import (
    IncSubtensor,
    MakeVector,
    Reshape,
    Shape,
    ShapeI,
    Subtensor,
    subtensor,
)

__all__ = ["grad", "hessian", "jacobian"]


def grad(cost, wrt, consider_constant: Sequence[Variable] | None = None,
         disconnected_inputs: str = "raise"):
    """The gradient of the scalar ``cost`` with respect to ``wrt`` (a variable or a list).

    ``consider_constant``: variables treated as constants (no gradient flows through them).
    ``disconnected_inputs``: what to do when ``cost`` does not depend on a ``wrt`` variable:
    ``"raise"`` (``ValueError``), ``"warn"`` or ``"ignore"`` (its gradient is then zeros).
    A variable the cost depends on only through constants or comparisons gets zeros.
    """
    cost = as_variable(cost)
    if cost.ndim != 0 or not is_float(cost.dtype):
        raise TypeError(f"grad: the cost must be a float scalar, got {cost} of type {cost.type}")
    targets = _listed(wrt)
    for var in targets:
        if not isinstance(var, Variable) or isinstance(var, Constant):
            raise TypeError(f"grad: wrt must hold symbolic variables (not constants), "
                            f"got {var!r}")
        if not is_float(var.dtype):
            raise TypeError(f"grad: cannot differentiate with respect to {var} of type "
                            f"{var.type}: only float variables have gradients")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"grad: disconnected_inputs must be 'raise', 'warn' or 'ignore', "
                         f"got {disconnected_inputs!r}")
    grads = _backpropagate(cost, targets, _constants(consider_constant))
    connected = {v.id for v in ancestors([cost])}
    results = [_result(var, grads.get(var), var.id in connected, disconnected_inputs)
               for var in targets]
    return _answer(wrt, results)


def jacobian(expression, wrt, consider_constant: Sequence[Variable] | None = None,
             disconnected_inputs: str = "raise"):
    """The Jacobian of the vector ``expression`` with respect to ``wrt`` (a variable or a
    list): ``J[k] = grad(expression[k], wrt)``, of shape ``(len(expression),) + wrt.shape``.
    A scalar ``expression`` gives its gradient. Row ``k`` is the gradient graph evaluated at
    ``k`` (an :class:`~symc.ops.indexmap.IndexMap`, run by the NumPy backend)."""
    expression = as_variable(expression)
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant, disconnected_inputs)
    if expression.ndim != 1 or not is_float(expression.dtype):
        raise TypeError(f"jacobian: the expression must be a float vector, got {expression} "
                        f"of type {expression.type}")
    targets = _listed(wrt)
    row = Variable(TensorType("int64", ()), name="jacobian_row")
    rows = grad(subtensor(expression, row), targets, consider_constant, disconnected_inputs)
    n = ShapeI(0)(expression)
    results = [_index_map(row, r, target, n) for r, target in zip(rows, targets, strict=True)]
    return _answer(wrt, results)


def hessian(cost, wrt, consider_constant: Sequence[Variable] | None = None,
            disconnected_inputs: str = "raise"):
    """The Hessian of the scalar ``cost`` with respect to each vector in ``wrt``: the
    Jacobian of its gradient (``jacobian(grad(cost, x), x)``)."""
    targets = _listed(wrt)
    for var in targets:
        if not isinstance(var, Variable) or var.ndim != 1:
            raise TypeError(f"hessian: wrt must hold vectors, got {var!r}")
    results = [jacobian(grad(cost, x, consider_constant, disconnected_inputs), x,
                        consider_constant, disconnected_inputs="ignore") for x in targets]
    return _answer(wrt, results)


def _listed(wrt) -> list:
    """``wrt`` as a list (Theano's calls take one variable or a list or tuple of them)."""
    return list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]


def _answer(wrt, results: list):
    """``results`` as ``wrt`` was given: a list for a list or tuple, else the one result."""
    return results if isinstance(wrt, (list, tuple)) else results[0]


def _index_map(row: Variable, g: Variable, target: Variable, n: Variable) -> Variable:
    """The rows ``g(row=k)`` for ``k < n``, bound to the roots ``g`` depends on."""
    roots = sorted({v.id: v for v in ancestors([g]) if v.owner is None and v is not row
                    and not isinstance(v, Constant)}.values(), key=lambda v: v.id)
    if not any(v is target for v in roots):
        roots.append(target)  # sizes the result when there are no rows
    like = next(k for k, v in enumerate(roots) if v is target)
    return IndexMap(row, tuple(roots), g, like)(n, *roots)


def _constants(consider_constant) -> list[Variable]:
    if consider_constant is None:
        return []
    given = [consider_constant] if isinstance(consider_constant, Variable) else list(
        consider_constant)
    for var in given:
        if not isinstance(var, Variable):
            raise TypeError(f"grad: consider_constant must hold symbolic variables, got {var!r}")
    return given


def _backpropagate(cost: Variable, targets: list[Variable],
                   constants: list[Variable]) -> dict[Variable, Variable]:
    """The gradients of the variables between ``targets`` and ``cost``, walking the nodes
    from ``cost`` back (nodes that no target feeds are skipped: they need no rule)."""
    order = toposort([cost], stop_at=constants)
    wanted = {v.id for v in targets}
    for node in order:  # forward: which variables depend on a target
        if any(v.id in wanted for v in node.inputs):
            wanted.update(o.id for o in node.outputs)
    grads: dict[Variable, Variable] = {cost: constant(np.ones((), dtype=cost.dtype))}
    for node in reversed(order):
        if not any(o.id in wanted for o in node.outputs):
            continue
        gouts = [grads.get(out) for out in node.outputs]
        if all(g is None for g in gouts):
            continue
        gouts = [g if g is not None else _zeros_like(out) for g, out in
                 zip(gouts, node.outputs, strict=True)]
        for var, g in zip(node.inputs, _node_grads(node, gouts), strict=True):
            if (g is None or var.id not in wanted or not is_float(var.dtype)
                    or any(var is c for c in constants)):
                continue
            g = cast(g, var.dtype)
            grads[var] = g if var not in grads else elemwise("add", grads[var], g)
    return grads


def _result(var: Variable, g: Variable | None, connected: bool, disconnected: str) -> Variable:
    """``var``'s gradient; zeros when no gradient reaches it (constants, comparisons, ...),
    and the ``disconnected`` policy when the cost does not depend on it at all."""
    if g is not None:
        return g
    if connected:
        return _zeros_like(var)
    message = f"grad: the cost does not depend on {var}"
    if disconnected == "raise":
        raise ValueError(message + " (pass disconnected_inputs='ignore' for zeros)")
    if disconnected == "warn":
        warnings.warn(message, stacklevel=3)
    return _zeros_like(var)


# -- one node ---------------------------------------------------------------------------------

def _node_grads(node, gouts: list[Variable]) -> list[Variable | None]:
    """The gradients of ``node``'s inputs (None: no gradient) given its outputs'."""
    for cls in type(node.op).__mro__:
        rule = OP_GRADS.get(cls)
        if rule is not None:
            return rule(node, gouts[0])
    raise NotImplementedError(f"grad: no gradient rule for {node.op} (node {node})")


def _no_gradient(node, g):
    return [None] * len(node.inputs)


def _reduce_grads(node, g):
    if node.op.pre is not None:  # a fused reduction: only optimized graphs have them
        raise NotImplementedError(f"grad: no gradient rule for {node.op} (node {node})")
    return [_reduce_grad(node.op, node.inputs[0], node.outputs[0], g)]


def _reshape_grads(node, g):
    x = node.inputs[0]
    return [Reshape(x.ndim)(g, Shape()(x)), None]


def _subtensor_grads(node, g):
    x, *index = node.inputs
    return [IncSubtensor(node.op.idx_list)(_zeros_like(x), g, *index)] + [None] * len(index)


def _inc_subtensor_grads(node, g):
    x, y, *index = node.inputs
    return [g, _sum_to(Subtensor(node.op.idx_list)(g, *index), y)] + [None] * len(index)


def _sum_to_shape_grads(node, g):  # the gradient of a gradient
    return [_broadcast_like(g, node.inputs[0]), None]


#: op class -> ``rule(node, output_gradient) -> [input gradient or None, ...]``.
OP_GRADS = {
    Shape: _no_gradient, ShapeI: _no_gradient, MakeVector: _no_gradient, Argmax: _no_gradient,
    Elemwise: lambda node, g: _elemwise_grads(node, g),
    Reduce: _reduce_grads,
    DimShuffle: lambda node, g: [_dimshuffle_grad(node.op, node.inputs[0], node.outputs[0], g)],
    Reshape: _reshape_grads,
    Dot: lambda node, g: _dot_grads(*node.inputs, g),
    Subtensor: _subtensor_grads,
    IncSubtensor: _inc_subtensor_grads,
    SumToShape: _sum_to_shape_grads,
}


def _elemwise_grads(node, g: Variable) -> list[Variable | None]:
    scalar = node.op.scalar_op
    if isinstance(scalar, Cast):
        return [g if is_float(node.inputs[0].dtype) else None]
    rule = scalar.grad
    if rule == NOT_DIFFERENTIABLE:
        return [None] * len(node.inputs)
    if not callable(rule):
        raise NotImplementedError(f"grad: no gradient rule for {node.op} (node {node})")
    local = rule(node.inputs, node.outputs[0], g)
    return [None if gi is None else (gi if _spans(x, node.inputs) else _sum_to(gi, x))
            for gi, x in zip(local, node.inputs, strict=True)]


def _spans(x: Variable, inputs: list[Variable]) -> bool:
    """True when the op's output has exactly ``x``'s shape whatever the run-time lengths:
    every other input is ``x`` itself or has length 1 along every dimension (a unary op, or
    ``x`` with constants): then ``x``'s gradient needs no summing back."""
    return all(v is x or all(d == 1 for d in v.type.shape) for v in inputs)


def _sum_to(g: Variable, x: Variable) -> Variable:
    """``g`` summed back to ``x``'s shape over the axes ``x`` was broadcast along."""
    if g.owner is not None and isinstance(g.owner.op, SumToShape) and g.owner.inputs[1] is x:
        return g  # summed to x already
    if g.ndim > x.ndim:  # a constant input of lower rank (Elemwise pads only variables)
        g = reduce("add", g, tuple(range(g.ndim - x.ndim)), dtype=g.dtype)
    static = tuple(d for d in range(x.ndim) if x.type.shape[d] == 1 and g.type.shape[d] != 1)
    if static:
        g = reduce("add", g, static, keepdims=True, dtype=g.dtype)
    runtime = any(n is None and m != 1 for n, m in zip(x.type.shape, g.type.shape, strict=True))
    return SumToShape()(g, x) if runtime else g


def _broadcast_like(g: Variable, x: Variable) -> Variable:
    """``g`` broadcast to ``x``'s shape (``where(True, g, x)``: ``x``'s values are not used)."""
    return elemwise("switch", constant(True), g, x)


def _zeros_like(x: Variable) -> Variable:
    return elemwise("switch", constant(False), x, 0)


def _reduce_grad(op: Reduce, x: Variable, out: Variable, g: Variable) -> Variable | None:
    order = keepdims_order(x.ndim, op.axis)
    expand = DimShuffle(g.ndim, order)
    if op.fold == "add":
        return _broadcast_like(expand(g), x)
    if op.fold in ("maximum", "minimum"):
        hit = elemwise("eq", x, DimShuffle(out.ndim, order)(out))
        return elemwise("switch", hit, expand(g), 0)
    if op.fold == "mul":
        return _prod_grad(op, x, expand(g))
    if op.fold in ("and_", "or_"):
        return None
    raise NotImplementedError(f"grad: no gradient rule for {op} yet")


def _prod_grad(op: Reduce, x: Variable, g: Variable) -> Variable:
    """The product of the other elements, without dividing by zero: ``prod / x`` where the
    slice has no zero; where it has one, the product of the rest at the zero and 0 elsewhere;
    0 everywhere with two zeros or more."""
    zero = elemwise("eq", x, 0)
    keep = DimShuffle(len(x.type.shape) - len(op.axis), keepdims_order(x.ndim, op.axis))
    zeros = keep(reduce("add", elemwise("switch", zero, 1, 0), op.axis, dtype="int64"))
    rest = keep(reduce("mul", elemwise("switch", zero, 1, x), op.axis, dtype=op.dtype))
    one_zero = elemwise("switch", zero, rest, 0)
    safe_x = elemwise("switch", zero, 1, x)  # no 0/0 warnings where the division is unused
    local = elemwise("switch", elemwise("eq", zeros, 0), elemwise("true_div", rest, safe_x),
                     elemwise("switch", elemwise("eq", zeros, 1), one_zero, 0))
    return elemwise("mul", g, local)


def _dimshuffle_grad(op: DimShuffle, x: Variable, out: Variable, g: Variable) -> Variable:
    g = _sum_to(g, out)  # exactly the output's type: its 'x' dimensions have length 1
    order = ["x" if i in op.dropped else op.new_order.index(i) for i in range(x.ndim)]
    return DimShuffle(g.ndim, order)(g)


def _transpose(v: Variable) -> Variable:
    return DimShuffle(2, (1, 0))(v)


def _dot_grads(a: Variable, b: Variable, g: Variable) -> list[Variable]:
    dot = Dot()
    if a.ndim == 2 and b.ndim == 2:
        return [dot(g, _transpose(b)), dot(_transpose(a), g)]
    if a.ndim == 2:  # matrix @ vector -> vector
        return [_outer(g, b), dot(_transpose(a), g)]
    if b.ndim == 2:  # vector @ matrix -> vector
        return [dot(b, g), _outer(a, g)]
    return [elemwise("mul", g, b), elemwise("mul", g, a)]


def _outer(u: Variable, v: Variable) -> Variable:
    return elemwise("mul", DimShuffle(1, (0, "x"))(u), DimShuffle(1, ("x", 0))(v))


# -- the scalar table's rules -------------------------------------------------------------------
# Each takes the node's inputs, its output and the output's gradient (tensors) and returns one
# gradient per input, at the output's shape (None: that input gets none).


def _e(name: str, *args):
    return elemwise(name, *args)


def _sq(x):
    return _e("sqr", x)


def _over(g, d):
    return _e("true_div", g, d)


_RULES = {
    "add": lambda i, z, g: [g, g],
    "sub": lambda i, z, g: [g, _e("neg", g)],
    "mul": lambda i, z, g: [_e("mul", g, i[1]), _e("mul", g, i[0])],
    "true_div": lambda i, z, g: [_over(g, i[1]), _e("neg", _over(_e("mul", g, z), i[1]))],
    "pow": lambda i, z, g: _pow(i[0], i[1], z, g),
    "mod": lambda i, z, g: [g, _e("neg", _e("mul", g, _e("floor_div", i[0], i[1])))],
    "neg": lambda i, z, g: [_e("neg", g)],
    "abs": lambda i, z, g: [_e("mul", g, _e("sign", i[0]))],
    "sqr": lambda i, z, g: [_e("mul", g, _e("mul", i[0], 2))],
    "sqrt": lambda i, z, g: [_over(_e("mul", g, 0.5), z)],
    "reciprocal": lambda i, z, g: [_e("neg", _e("mul", g, _sq(z)))],
    "exp": lambda i, z, g: [_e("mul", g, z)],
    "exp2": lambda i, z, g: [_e("mul", g, _e("mul", z, math.log(2.0)))],
    "expm1": lambda i, z, g: [_e("mul", g, _e("add", z, 1))],
    "log": lambda i, z, g: [_over(g, i[0])],
    "log2": lambda i, z, g: [_over(g, _e("mul", i[0], math.log(2.0)))],
    "log10": lambda i, z, g: [_over(g, _e("mul", i[0], math.log(10.0)))],
    "log1p": lambda i, z, g: [_over(g, _e("add", i[0], 1))],
    "sin": lambda i, z, g: [_e("mul", g, _e("cos", i[0]))],
    "cos": lambda i, z, g: [_e("neg", _e("mul", g, _e("sin", i[0])))],
    "tan": lambda i, z, g: [_e("mul", g, _e("add", _sq(z), 1))],
    "arcsin": lambda i, z, g: [_over(g, _e("sqrt", _e("sub", 1, _sq(i[0]))))],
    "arccos": lambda i, z, g: [_e("neg", _over(g, _e("sqrt", _e("sub", 1, _sq(i[0])))))],
    "arctan": lambda i, z, g: [_over(g, _e("add", _sq(i[0]), 1))],
    "arctan2": lambda i, z, g: _arctan2(i[0], i[1], g),
    "sinh": lambda i, z, g: [_e("mul", g, _e("cosh", i[0]))],
    "cosh": lambda i, z, g: [_e("mul", g, _e("sinh", i[0]))],
    "tanh": lambda i, z, g: [_e("mul", g, _e("sub", 1, _sq(z)))],
    "sigmoid": lambda i, z, g: [_sigmoid_grad(z, g)],
    "softplus": lambda i, z, g: [_e("mul", g, _e("sigmoid", i[0]))],
    "erf": lambda i, z, g: [_e("mul", g, _e("mul", _e("exp", _e("neg", _sq(i[0]))),
                                            2 / math.sqrt(math.pi)))],
    "maximum": lambda i, z, g: _select_grads(i, z, g),
    "minimum": lambda i, z, g: _select_grads(i, z, g),
    "clip": lambda i, z, g: _clip(i[0], i[1], i[2], g),
    "switch": lambda i, z, g: [None, _e("switch", i[0], g, 0), _e("switch", i[0], 0, g)],
    "identity": lambda i, z, g: [g],
}


def _pow(x, y, z, g):
    """d/dx = y x^(y-1), 0 where y == 0 (else 0 * 0^-1); d/dy = z log x, with log 1 where
    x == 0 (z is 0 there, or inf: the limit's sign is not the point of a NaN)."""
    dx = _e("switch", _e("eq", y, 0), 0, _e("mul", y, _e("pow", x, _e("sub", y, 1))))
    safe = _e("switch", _e("eq", x, 0), 1, x)
    return [_e("mul", g, dx), _e("mul", g, _e("mul", z, _e("log", safe)))]


def _arctan2(y, x, g):
    norm = _e("add", _sq(x), _sq(y))
    return [_over(_e("mul", g, x), norm), _e("neg", _over(_e("mul", g, y), norm))]


def _sigmoid_grad(z, g):
    """``g z (1 - z)``; when ``g`` is ``h / z`` (the gradient of ``log(sigmoid(x))``), ``h (1 -
    z)`` instead: ``z`` underflows to 0 for x < -745, and ``h / z * z`` would be inf * 0."""
    node = g.owner
    if (node is not None and isinstance(node.op, Elemwise)
            and node.op.scalar_op == SCALAR_OPS["true_div"] and node.inputs[1] is z):
        return _e("mul", node.inputs[0], _e("sub", 1, z))
    return _e("mul", g, _e("mul", z, _e("sub", 1, z)))


def _select_grads(inputs, z, g):
    """max/min of two: each input equal to the result gets the gradient (ties: both)."""
    return [_e("switch", _e("eq", x, z), g, 0) for x in inputs]


def _clip(x, lo, hi, g):
    """``np.clip`` is ``minimum(maximum(x, lo), hi)``, also when lo > hi (then it is hi)."""
    raised = _e("maximum", x, lo)
    takes_x = _e("and_", _e("ge", x, lo), _e("le", raised, hi))
    takes_lo = _e("and_", _e("lt", x, lo), _e("le", lo, hi))
    return [_e("switch", takes_x, g, 0), _e("switch", takes_lo, g, 0),
            _e("switch", _e("gt", raised, hi), g, 0)]


def _install_rules() -> None:
    for name, rule in _RULES.items():
        op = SCALAR_OPS[name]
        if op.grad is None:
            op.grad = rule


_install_rules()
