"""``MathEmitter``: the IR vocabulary the mathlib functions are written in.

Every helper emits straight-line IR: arithmetic, ``select`` and the intrinsics that LLVM
vectorises (``llvm.fma``, ``llvm.fabs``, ``llvm.floor``, ``llvm.rint``, ``llvm.copysign``,
``llvm.sqrt``). No instruction carries fast-math flags, so inlining into a loop that uses
``fast`` flags cannot reorder the error-compensated steps below (an ``reassoc`` add would
fold ``(a - s) + b`` to zero in :meth:`MathEmitter.two_sum`).

Helpers accept Python floats wherever a value is expected; they become constants of the
emitter's type. The double-double helpers (``two_sum``, ``two_prod``...) return
``(head, tail)`` pairs whose exact sum is the exact result.
"""

from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from symc.backends.llvm import mathlib_coeffs


@dataclass(frozen=True)
class FloatFormat:
    """Bit layout of one IEEE binary format."""

    bits: int
    mant: int  # stored fraction bits
    bias: int
    suffix: str  # LLVM intrinsic type suffix

    @property
    def ty(self) -> ir.Type:
        """The llvmlite type."""
        return ir.DoubleType() if self.bits == 64 else ir.FloatType()

    @property
    def min_normal(self) -> float:
        """Smallest positive normal number."""
        return 2.0 ** (1 - self.bias)


F64 = FloatFormat(64, 52, 1023, "f64")
F32 = FloatFormat(32, 23, 127, "f32")


def float_format(ty: ir.Type) -> FloatFormat:
    """The :class:`FloatFormat` of ``ty``; only double and float are supported."""
    if isinstance(ty, ir.DoubleType):
        return F64
    if isinstance(ty, ir.FloatType):
        return F32
    raise TypeError(f"mathlib supports double and float, got {ty}")


Value = ir.Value | float


class MathEmitter:
    """Branch-free scalar maths in one floating type, appended to ``builder``."""

    def __init__(self, builder: ir.IRBuilder, ty: ir.Type):
        self.b = builder
        self.fmt = float_format(ty)
        self.ty = self.fmt.ty
        self.ity = ir.IntType(self.fmt.bits)
        self.bits = self.fmt.bits

    def retype(self, ty: ir.Type) -> MathEmitter:
        """An emitter for another type, appending to the same block."""
        return MathEmitter(self.b, ty)

    # --- constants and tables ----------------------------------------------------------

    def const(self, value: float) -> ir.Constant:
        """``value`` as a constant of this type."""
        return ir.Constant(self.ty, float(value))

    def iconst(self, value: int) -> ir.Constant:
        """``value`` as a constant of the same-width integer type."""
        return ir.Constant(self.ity, value)

    def k(self, name: str) -> float:
        """Named constant of this precision (see ``mathlib_fit.constants``)."""
        return getattr(mathlib_coeffs, f"CONST_{self.bits}")[name]

    def table(self, name: str) -> tuple[float, ...]:
        """Polynomial coefficients ``name`` fitted for this precision."""
        return getattr(mathlib_coeffs, f"{name}_{self.bits}")

    def _v(self, value: Value) -> ir.Value:
        return value if isinstance(value, ir.Value) else self.const(value)

    # --- arithmetic ----------------------------------------------------------------------

    def add(self, a: Value, b: Value) -> ir.Value:
        """``a + b``."""
        return self.b.fadd(self._v(a), self._v(b))

    def sub(self, a: Value, b: Value) -> ir.Value:
        """``a - b``."""
        return self.b.fsub(self._v(a), self._v(b))

    def mul(self, a: Value, b: Value) -> ir.Value:
        """``a * b``."""
        return self.b.fmul(self._v(a), self._v(b))

    def div(self, a: Value, b: Value) -> ir.Value:
        """``a / b`` (correctly rounded; vectorises as ``vdivp[sd]``)."""
        return self.b.fdiv(self._v(a), self._v(b))

    def neg(self, a: Value) -> ir.Value:
        """``-a`` (flips the sign bit, also of zeros and NaN)."""
        return self.b.fneg(self._v(a))

    def _intrinsic(self, name: str, *args: Value) -> ir.Value:
        module = self.b.module
        fname = f"llvm.{name}.{self.fmt.suffix}"
        fn = module.globals.get(fname)
        if fn is None:
            fn = ir.Function(module, ir.FunctionType(self.ty, [self.ty] * len(args)), fname)
        return self.b.call(fn, [self._v(a) for a in args])

    def fma(self, a: Value, b: Value, c: Value) -> ir.Value:
        """``a * b + c`` with one rounding."""
        return self._intrinsic("fma", a, b, c)

    def abs(self, a: Value) -> ir.Value:
        """``|a|``."""
        return self._intrinsic("fabs", a)

    def floor(self, a: Value) -> ir.Value:
        """Largest integer not above ``a``."""
        return self._intrinsic("floor", a)

    def rint(self, a: Value) -> ir.Value:
        """Round to nearest integer, ties to even (the default rounding mode)."""
        return self._intrinsic("rint", a)

    def sqrt(self, a: Value) -> ir.Value:
        """Correctly rounded square root."""
        return self._intrinsic("sqrt", a)

    def copysign(self, mag: Value, sign: Value) -> ir.Value:
        """``|mag|`` with the sign bit of ``sign``."""
        return self._intrinsic("copysign", mag, sign)

    def poly(self, t: Value, coeffs) -> ir.Value:
        """``sum(c_j t^j)`` by Horner's rule with fma (coefficients lowest order first)."""
        acc = self.const(coeffs[-1])
        for c in reversed(coeffs[:-1]):
            acc = self.fma(acc, t, c)
        return acc

    # --- comparisons and selection -----------------------------------------------------

    def cmp(self, op: str, a: Value, b: Value) -> ir.Value:
        """Ordered comparison: false whenever an operand is NaN."""
        return self.b.fcmp_ordered(op, self._v(a), self._v(b))

    def isnan(self, a: Value) -> ir.Value:
        """i1: ``a`` is NaN."""
        return self.b.fcmp_unordered("uno", self._v(a), self._v(a))

    def select(self, cond: ir.Value, a: Value, b: Value) -> ir.Value:
        """``cond ? a : b`` (per lane once vectorised)."""
        return self.b.select(cond, self._v(a), self._v(b))

    def and_(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """Logical and of two i1."""
        return self.b.and_(a, b)

    def or_(self, a: ir.Value, b: ir.Value) -> ir.Value:
        """Logical or of two i1."""
        return self.b.or_(a, b)

    def not_(self, a: ir.Value) -> ir.Value:
        """Logical not of an i1."""
        return self.b.not_(a)

    def clamp(self, a: Value, lo: float, hi: float) -> ir.Value:
        """``a`` limited to ``[lo, hi]``; NaN becomes ``lo`` (keeps ``fptosi`` defined)."""
        a = self.select(self.cmp(">=", a, lo), a, lo)
        return self.select(self.cmp("<=", a, hi), a, hi)

    def signbit(self, a: Value) -> ir.Value:
        """i1: the sign bit of ``a`` is set (true for -0.0 and negative NaNs)."""
        return self.b.icmp_signed("<", self.bits_of(a), self.iconst(0))

    def flip_sign(self, cond: ir.Value, a: Value) -> ir.Value:
        """``-a`` where ``cond``, else ``a``; exact for zeros and NaN."""
        a = self._v(a)
        return self.select(cond, self.neg(a), a)

    # --- integers and bits ---------------------------------------------------------------

    def bits_of(self, a: Value) -> ir.Value:
        """The IEEE bits of ``a`` as a same-width integer."""
        return self.b.bitcast(self._v(a), self.ity)

    def from_bits(self, i: ir.Value) -> ir.Value:
        """The float whose IEEE bits are ``i``."""
        return self.b.bitcast(i, self.ty)

    def to_int(self, a: Value) -> ir.Value:
        """``fptosi``; callers clamp first, so the conversion is always defined."""
        return self.b.fptosi(self._v(a), self.ity)

    def to_float(self, i: ir.Value) -> ir.Value:
        """``sitofp``."""
        return self.b.sitofp(i, self.ty)

    def pow2(self, k: ir.Value) -> ir.Value:
        """``2**k`` built from exponent bits; ``k`` must be a normal exponent."""
        biased = self.b.add(k, self.iconst(self.fmt.bias))
        return self.from_bits(self.b.shl(biased, self.iconst(self.fmt.mant)))

    def ldexp(self, p: Value, k: ir.Value) -> ir.Value:
        """``p * 2**k`` for ``|k|`` up to twice the exponent range, in two exact steps.

        Splitting ``k`` keeps both factors normal, so results that overflow become inf
        and results in the subnormal range are rounded once, by the second multiply.
        """
        k1 = self.b.ashr(k, self.iconst(1))
        k2 = self.b.sub(k, k1)
        return self.mul(self.mul(p, self.pow2(k1)), self.pow2(k2))

    # --- error-free transformations ------------------------------------------------------

    def two_sum(self, a: Value, b: Value) -> tuple[ir.Value, ir.Value]:
        """``a + b`` as (rounded sum, exact error), any magnitudes (Knuth)."""
        s = self.add(a, b)
        bb = self.sub(s, a)
        err = self.add(self.sub(a, self.sub(s, bb)), self.sub(b, bb))
        return s, err

    def fast_two_sum(self, a: Value, b: Value) -> tuple[ir.Value, ir.Value]:
        """``a + b`` as (sum, error); exact when ``|a| >= |b|`` or ``a == 0`` (Dekker)."""
        s = self.add(a, b)
        return s, self.sub(b, self.sub(s, a))

    def two_prod(self, a: Value, b: Value) -> tuple[ir.Value, ir.Value]:
        """``a * b`` as (rounded product, exact error) via fma."""
        p = self.mul(a, b)
        return p, self.fma(a, b, self.neg(p))

    def dd_div(self, nh: Value, nl: Value, dh: Value, dl: Value):
        """(nh + nl) / (dh + dl) as (head, tail): one division, then the quotient's fma
        residual (exact) corrects it; tails must be below an ulp of their heads."""
        rcp = self.div(1.0, dh)
        t = self.mul(nh, rcp)
        resid = self.sub(self.add(self.fma(self.neg(t), dh, nh), nl), self.mul(t, dl))
        return t, self.mul(resid, rcp)

    def dd_mul(self, hi: Value, lo: Value, c_hi: float, c_lo: float):
        """(hi + lo) * (c_hi + c_lo) as a (head, tail) pair, to ~2^-100 relative."""
        p, e = self.two_prod(hi, c_hi)
        tail = self.add(e, self.fma(hi, c_lo, self.mul(lo, c_hi)))
        return p, tail


def promoted(emit):
    """Run a double-precision emitter for float arguments: fpext, compute, fptrunc.

    Used where float32 inputs need more than float32 arithmetic to stay within NumPy's
    accuracy; the double result is rounded once, so errors stay near 0.5 ulp.
    """

    def emit_promoted(em: MathEmitter, *args: ir.Value) -> ir.Value:
        em64 = em.retype(ir.DoubleType())
        wide = [em.b.fpext(a, em64.ty) for a in args]
        return em.b.fptrunc(emit(em64, *wide), em.ty)

    emit_promoted.__name__ = f"{emit.__name__}_promoted"
    return emit_promoted
