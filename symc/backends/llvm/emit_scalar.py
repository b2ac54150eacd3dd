"""LLVM emitters for the scalar op table: one per op of ``symc.ops.scalar.SCALAR_OPS``.

An emitter is ``emit(e, args, out) -> ir.Value``: ``e`` is the :class:`ScalarEmitter` (builder,
fast-math flags, the kernel's status slot), ``args`` the operands as :class:`Arg` (register
value, dtype, and the value of an inlined constant), ``out`` the output dtype. Emitters
convert their inputs the way NumPy picks a ufunc loop: arithmetic casts every input to the
output dtype, a comparison to the inputs' common dtype (a weak Python-scalar constant taking
the other operand's type). An emitter that cannot honour NumPy's semantics for some dtypes
raises :class:`NotLowerable`, and NumPy runs that node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import llvmlite.ir as ir

from symc.backends.llvm.emit_cast import convert, truth
from symc.backends.llvm.irtypes import (
    F64,
    I1,
    I64,
    NotLowerable,
    constant,
    int_range,
    kind,
    register_type,
    round_half,
)
from symc.backends.llvm.mathcall import math_call, uses_simd_math
from symc.backends.llvm.status import STATUS_NEGATIVE_POWER
from symc.graph.types import result_dtype
from symc.ops.composite import Composite
from symc.ops.scalar import Cast, ScalarOp


class Arg(NamedTuple):
    """One operand: its register value and dtype; ``const`` is ``(value, weak)`` if inlined."""

    value: ir.Value
    dtype: str
    const: tuple | None = None


class ScalarEmitter:
    """What the emitters share: the builder, the fast-math flags and the status slot."""

    def __init__(self, builder: ir.IRBuilder, fastmath: tuple[str, ...], status_ptr: ir.Value):
        self.b = builder
        self.fm = fastmath
        self.status_ptr = status_ptr

    def to(self, arg: Arg, dtype: str) -> ir.Value:
        """``arg`` converted to ``dtype``; a weak int constant must fit (NumPy raises else)."""
        if arg.const is not None and arg.const[1] and kind(dtype) in "iu":
            low, high = int_range(dtype)
            value = arg.const[0]
            if isinstance(value, float) or not low <= value <= high:
                raise NotLowerable(f"Python scalar {value!r} does not fit {dtype}")
        return convert(self.b, arg.value, arg.dtype, dtype)

    def math(self, name: str, *values: ir.Value) -> ir.Value:
        """Call the math function ``name`` (see :mod:`mathcall`)."""
        return math_call(self.b, name, list(values), fastmath=self.fm)

    def fconst(self, like: ir.Value, value: float) -> ir.Constant:
        """A float constant of ``like``'s type."""
        return ir.Constant(like.type, value)

    def set_status(self, condition: ir.Value, status: int) -> None:
        """Store ``status`` in the kernel's status slot when ``condition`` holds."""
        with self.b.if_then(condition, likely=False):
            self.b.store(ir.Constant(I64, status), self.status_ptr)


Emitter = Callable[[ScalarEmitter, list, str], ir.Value]
EMITTERS: dict[str, Emitter] = {}


def emit_op(e: ScalarEmitter, op: ScalarOp, args: list[Arg], out_dtypes) -> list[ir.Value]:
    """Emit ``op`` on ``args``; one register value per output dtype."""
    if isinstance(op, Composite):
        return emit_composite(e, op, args)
    (out,) = out_dtypes
    if isinstance(op, Cast):
        (arg,) = args
        value = convert(e.b, arg.value, arg.dtype, out)
    else:
        emitter = EMITTERS.get(op.name)
        if emitter is None:
            raise NotLowerable(f"no LLVM emitter for scalar op {op.name}")
        value = emitter(e, args, out)
    if value.type != register_type(out):
        raise NotLowerable(f"{op.name} gave {value.type} for {out}")
    return [round_half(e.b, value) if out == "float16" else value]


def emit_composite(e: ScalarEmitter, comp: Composite, args: list[Arg]) -> list[ir.Value]:
    """Emit a Composite's program; one register value per output."""
    values: list[ir.Value] = []

    def fetch(ref) -> Arg:
        if ref[0] == "i":
            return args[ref[1]]
        if ref[0] == "n":
            return Arg(values[ref[1]], comp.instrs[ref[1]].dtype)
        _, value, dtype, weak = ref
        return Arg(constant(dtype, value), dtype, (value, weak))

    for instr in comp.instrs:
        if isinstance(instr.op, Composite) and instr.op.nout != 1:
            raise NotLowerable("a nested Composite with several outputs")
        (value,) = emit_op(e, instr.op, [fetch(a) for a in instr.args], [instr.dtype])
        values.append(value)
    return [fetch(r).value for r in comp.out_refs]


def register(*names: str):
    """Decorator: the function is the emitter of the table ops ``names``."""
    def add(fn):
        for name in names:
            EMITTERS[name] = fn
        return fn
    return add


def _by_kind(out: str, table: dict, name: str):
    fn = table.get(kind(out))
    if fn is None:
        raise NotLowerable(f"{name} has no lowering for {out}")
    return fn


def _elementwise(name: str, **by_kind):
    """An emitter that casts every input to the output dtype, then applies ``by_kind[kind]``.

    Keys are NumPy kind letters (``f``, ``i``, ``u``, ``b``); ``iu`` covers both integer kinds.
    """
    table = {}
    for key, fn in by_kind.items():
        for letter in key:
            table[letter] = fn

    def emit(e, args, out):
        fn = _by_kind(out, table, name)
        return fn(e, *(e.to(a, out) for a in args))

    EMITTERS[name] = emit
    return emit


# -- arithmetic --------------------------------------------------------------------------------

_elementwise("add", f=lambda e, x, y: e.b.fadd(x, y, flags=e.fm),
             iu=lambda e, x, y: e.b.add(x, y), b=lambda e, x, y: e.b.or_(x, y))
_elementwise("sub", f=lambda e, x, y: e.b.fsub(x, y, flags=e.fm),
             iu=lambda e, x, y: e.b.sub(x, y))
_elementwise("mul", f=lambda e, x, y: e.b.fmul(x, y, flags=e.fm),
             iu=lambda e, x, y: e.b.mul(x, y), b=lambda e, x, y: e.b.and_(x, y))
_elementwise("true_div", f=lambda e, x, y: e.b.fdiv(x, y, flags=e.fm))
_elementwise("sqr", f=lambda e, x: e.b.fmul(x, x, flags=e.fm), iu=lambda e, x: e.b.mul(x, x))
_elementwise("neg", f=lambda e, x: e.b.fneg(x, flags=e.fm),
             iu=lambda e, x: e.b.sub(ir.Constant(x.type, 0), x))
_elementwise("identity", fiub=lambda e, x: x)
_elementwise("and_", iub=lambda e, x, y: e.b.and_(x, y))
_elementwise("or_", iub=lambda e, x, y: e.b.or_(x, y))
_elementwise("xor", iub=lambda e, x, y: e.b.xor(x, y))
_elementwise("invert", iub=lambda e, x: e.b.not_(x))


def _signed_floor_div(e, a, b):
    """Python's ``a // b`` for signed ints; ``0`` for ``b == 0``, wrapping for INT_MIN // -1."""
    B, zero = e.b, ir.Constant(a.type, 0)
    minus_one = ir.Constant(a.type, -1)
    by_zero, by_minus_one = B.icmp_signed("==", b, zero), B.icmp_signed("==", b, minus_one)
    safe = B.select(B.or_(by_zero, by_minus_one), ir.Constant(a.type, 1), b)  # no UB, no trap
    q, r = B.sdiv(a, safe), B.srem(a, safe)
    floor_fix = B.and_(B.icmp_signed("!=", r, zero), B.icmp_signed("<", B.xor(r, b), zero))
    q = B.sub(q, B.zext(floor_fix, a.type))
    q = B.select(by_minus_one, B.sub(zero, a), q)
    return B.select(by_zero, zero, q)


def _signed_mod(e, a, b):
    """Python's ``a % b`` for signed ints (sign of ``b``); ``0`` for ``b == 0``."""
    B, zero = e.b, ir.Constant(a.type, 0)
    unsafe = B.or_(B.icmp_signed("==", b, zero), B.icmp_signed("==", b, ir.Constant(a.type, -1)))
    r = B.srem(a, B.select(unsafe, ir.Constant(a.type, 1), b))
    fix = B.and_(B.icmp_signed("!=", r, zero), B.icmp_signed("<", B.xor(r, b), zero))
    return B.select(fix, B.add(r, b), r)


def _unsigned_div_or_mod(op: str):
    def emit(e, a, b):
        B, zero = e.b, ir.Constant(a.type, 0)
        by_zero = B.icmp_unsigned("==", b, zero)
        result = getattr(B, op)(a, B.select(by_zero, ir.Constant(a.type, 1), b))
        return B.select(by_zero, zero, result)
    return emit


def _float_divmod(e, a, b):
    """NumPy's ``npy_divmod``: ``(floor quotient, remainder)`` with Python's sign rules.

    Plain IEEE arithmetic, no fast-math flags: the signs of zeros and NaNs are the point.
    """
    B = e.b
    zero, one = e.fconst(a, 0.0), e.fconst(a, 1.0)
    mod = B.frem(a, b)
    div = B.fdiv(B.fsub(a, mod), b)
    mod_nonzero = B.fcmp_unordered("!=", mod, zero)
    signs_differ = B.xor(B.fcmp_ordered("<", b, zero), B.fcmp_ordered("<", mod, zero))
    fix = B.and_(mod_nonzero, signs_differ)
    div = B.select(fix, B.fsub(div, one), div)
    mod = B.select(mod_nonzero, B.select(fix, B.fadd(mod, b), mod), e.math("copysign", zero, b))
    floor = e.math("floor", div)
    floor = B.select(B.fcmp_ordered(">", B.fsub(div, floor), e.fconst(a, 0.5)),
                     B.fadd(floor, one), floor)
    quotient = B.select(B.fcmp_unordered("!=", div, zero), floor,
                        e.math("copysign", zero, B.fdiv(a, b)))
    return quotient, mod


def _float_floor_div(e, a, b):
    by_zero = e.b.fcmp_ordered("==", b, e.fconst(b, 0.0))
    return e.b.select(by_zero, e.b.fdiv(a, b), _float_divmod(e, a, b)[0])


def _float_mod(e, a, b):
    by_zero = e.b.fcmp_ordered("==", b, e.fconst(b, 0.0))
    return e.b.select(by_zero, e.b.frem(a, b), _float_divmod(e, a, b)[1])


_elementwise("floor_div", f=_float_floor_div, i=_signed_floor_div,
             u=_unsigned_div_or_mod("udiv"))
_elementwise("mod", f=_float_mod, i=_signed_mod, u=_unsigned_div_or_mod("urem"))


def _int_pow(e, base, exponent, signed):
    """``base ** exponent`` by squaring (wrapping); a negative exponent sets the status."""
    B, ty = e.b, base.type
    negative = B.icmp_signed("<", exponent, ir.Constant(ty, 0)) if signed else ir.Constant(I1, 0)
    if signed:
        e.set_status(negative, STATUS_NEGATIVE_POWER)
    entry = B.block
    head = B.append_basic_block("pow.head")
    body = B.append_basic_block("pow.body")
    done = B.append_basic_block("pow.done")
    B.branch(head)
    B.position_at_end(head)
    result, power, rest = B.phi(ty), B.phi(ty), B.phi(ty)
    result.add_incoming(ir.Constant(ty, 1), entry)
    power.add_incoming(base, entry)
    rest.add_incoming(exponent, entry)
    B.cbranch(B.icmp_unsigned("!=", rest, ir.Constant(ty, 0)), body, done)
    B.position_at_end(body)
    odd = B.trunc(rest, I1)
    result.add_incoming(B.select(odd, B.mul(result, power), result), body)
    power.add_incoming(B.mul(power, power), body)
    rest.add_incoming(B.lshr(rest, ir.Constant(ty, 1)), body)
    B.branch(head)
    B.position_at_end(done)
    return B.select(negative, ir.Constant(ty, 0), result)


_power = _elementwise("pow", f=lambda e, x, y: e.math("pow", x, y),
                      i=lambda e, x, y: _int_pow(e, x, y, True),
                      u=lambda e, x, y: _int_pow(e, x, y, False))


@register("pow")
def _pow(e, args, out):
    """Powers, with NumPy's own shortcuts for a scalar exponent: ``x ** 2`` is ``x * x``,
    ``x ** -1`` is ``1 / x`` and ``x ** 0.5`` is ``sqrt(x)`` (so ``-inf ** 0.5`` is NaN, not
    inf as C's ``pow`` says). A constant exponent takes the same shortcuts here, which also
    spares the kernel a general ``pow``."""
    exponent = args[1].const[0] if args[1].const is not None else None
    if exponent == 2:
        x = e.to(args[0], out)
        return e.b.fmul(x, x, flags=e.fm) if kind(out) == "f" else e.b.mul(x, x)
    if kind(out) == "f" and exponent in (0.5, -1):
        x = e.to(args[0], out)
        if exponent == 0.5:
            return e.math("sqrt", x)
        return e.b.fdiv(e.fconst(x, 1.0), x, flags=e.fm)
    return _power(e, args, out)


# -- maximum, minimum, clip -----------------------------------------------------------------

def _extremum(greater: bool):
    """NumPy's maximum/minimum: ``a`` when it wins or is NaN, else ``b`` (NaN propagates)."""
    pred = ">" if greater else "<"

    def floats(e, a, b):
        wins = e.b.or_(e.b.fcmp_ordered(pred, a, b), e.b.fcmp_unordered("uno", a, a))
        return e.b.select(wins, a, b)

    def signed(e, a, b):
        return e.b.select(e.b.icmp_signed(pred, a, b), a, b)

    def unsigned(e, a, b):
        return e.b.select(e.b.icmp_unsigned(pred, a, b), a, b)

    def logical(e, a, b):
        return e.b.or_(a, b) if greater else e.b.and_(a, b)

    return {"f": floats, "i": signed, "u": unsigned, "b": logical}


MAXIMUM, MINIMUM = _extremum(True), _extremum(False)
_elementwise("maximum", **MAXIMUM)
_elementwise("minimum", **MINIMUM)


@register("clip")
def _clip(e, args, out):
    x, low, high = (e.to(a, out) for a in args)
    k = kind(out)
    return MINIMUM[k](e, MAXIMUM[k](e, x, low), high)


@register("switch")
def _switch(e, args, out):
    cond, a, b = args
    return e.b.select(truth(e.b, cond.value, cond.dtype), e.to(a, out), e.to(b, out))


# -- comparisons ------------------------------------------------------------------------------

def _comparison(name: str, pred: str):
    def emit(e, args, out):
        operands = [(a.dtype, a.const is not None and a.const[1]) for a in args]
        common = result_dtype(*operands)
        if kind(common) == "f" and all(kind(a.dtype) != "f" for a in args):
            raise NotLowerable("int64 compared with uint64 (NumPy compares them exactly)")
        x, y = (e.to(a, common) for a in args)
        k = kind(common)
        if k == "f":
            if pred == "!=":
                return e.b.fcmp_unordered(pred, x, y)
            return e.b.fcmp_ordered(pred, x, y)
        if k == "i":
            return e.b.icmp_signed(pred, x, y)
        return e.b.icmp_unsigned(pred, x, y)

    EMITTERS[name] = emit


for _name, _pred in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("eq", "=="),
                     ("neq", "!=")):
    _comparison(_name, _pred)


@register("isnan")
def _isnan(e, args, out):
    (x,) = args
    if kind(x.dtype) != "f":
        return ir.Constant(I1, 0)
    return e.b.fcmp_unordered("uno", x.value, x.value)


@register("isinf")
def _isinf(e, args, out):
    (x,) = args
    if kind(x.dtype) != "f":
        return ir.Constant(I1, 0)
    magnitude = e.math("fabs", x.value)
    return e.b.fcmp_ordered("==", magnitude, e.fconst(magnitude, float("inf")))


# -- signs and rounding -----------------------------------------------------------------------

def _float_sign(e, x):
    """NumPy's sign: 1, -1, 0 (also for -0.0), and NaN for NaN."""
    B, zero = e.b, e.fconst(x, 0.0)
    return B.select(B.fcmp_ordered(">", x, zero), e.fconst(x, 1.0),
                    B.select(B.fcmp_ordered("<", x, zero), e.fconst(x, -1.0),
                             B.select(B.fcmp_ordered("==", x, zero), zero, x)))


def _int_sign(e, x):
    zero = ir.Constant(x.type, 0)
    positive = e.b.zext(e.b.icmp_signed(">", x, zero), x.type)
    return e.b.sub(positive, e.b.zext(e.b.icmp_signed("<", x, zero), x.type))


_elementwise("sign", f=_float_sign, i=_int_sign,
             u=lambda e, x: e.b.zext(e.b.icmp_unsigned("!=", x, ir.Constant(x.type, 0)), x.type))
_elementwise("abs", f=lambda e, x: e.math("fabs", x),
             i=lambda e, x: e.b.select(e.b.icmp_signed("<", x, ir.Constant(x.type, 0)),
                                       e.b.sub(ir.Constant(x.type, 0), x), x),
             ub=lambda e, x: x)
for _name, _fn in (("floor", "floor"), ("ceil", "ceil"), ("trunc", "trunc"),
                   ("round", "roundeven")):
    # Integers and bools come back unchanged (NumPy's floor(int) is the int itself).
    _elementwise(_name, f=lambda e, x, _fn=_fn: e.math(_fn, x), iub=lambda e, x: x)


# -- transcendental functions --------------------------------------------------------------

for _name in ("sqrt", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sin", "cos",
              "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh"):
    _elementwise(_name, f=lambda e, x, _name=_name: e.math(_name, x))
_elementwise("arctan2", f=lambda e, y, x: e.math("arctan2", y, x))


@register("reciprocal")
def _reciprocal(e, args, out):
    (arg,) = args
    if kind(out) == "f":
        x = e.to(arg, out)
        return e.b.fdiv(e.fconst(x, 1.0), x, flags=e.fm)
    # NumPy's integer reciprocal is the C cast of 1.0 / x (so 1/0 -> inf -> INT_MIN).
    x = convert(e.b, e.to(arg, out), out, "float64")
    return convert(e.b, e.b.fdiv(ir.Constant(F64, 1.0), x), "float64", out)


@register("sigmoid")
def _sigmoid(e, args, out):
    """``1/(1+e)`` for ``x >= 0`` else ``e/(1+e)``, ``e = exp(-|x|)``: no overflow."""
    if kind(out) != "f":
        raise NotLowerable("sigmoid to a non-float dtype")
    (x,) = (e.to(a, out) for a in args)
    if uses_simd_math("sigmoid"):
        return e.math("sigmoid", x)
    B, one = e.b, e.fconst(x, 1.0)
    small = e.math("exp", B.fneg(e.math("fabs", x), flags=e.fm))
    denominator = B.fadd(one, small, flags=e.fm)
    positive = B.fcmp_ordered(">=", x, e.fconst(x, 0.0))
    return B.select(positive, B.fdiv(one, denominator, flags=e.fm),
                    B.fdiv(small, denominator, flags=e.fm))


@register("softplus")
def _softplus(e, args, out):
    """NumPy's ``logaddexp(0, x)``: ``max(0, x) + log1p(exp(-|x|))``, ``log 2`` at 0."""
    if kind(out) != "f":
        raise NotLowerable("softplus to a non-float dtype")
    (x,) = (e.to(a, out) for a in args)
    if uses_simd_math("softplus"):
        return e.math("softplus", x)
    B, zero = e.b, e.fconst(x, 0.0)
    tail = e.math("log1p", e.math("exp", B.fneg(e.math("fabs", x), flags=e.fm)))
    positive = B.fadd(x, tail, flags=e.fm)
    value = B.select(B.fcmp_ordered(">", x, zero), positive, tail)
    value = B.select(B.fcmp_ordered("==", x, zero), e.fconst(x, 0.6931471805599453), value)
    return B.select(B.fcmp_unordered("uno", x, x), x, value)


@register("erf")
def _erf(e, args, out):
    """In double precision, rounded to the output (as the NumPy reference computes it)."""
    if kind(out) != "f":
        raise NotLowerable("erf to a non-float dtype")
    (arg,) = args
    x = e.to(arg, "float64")
    return convert(e.b, e.math("erf", x), "float64", out)
