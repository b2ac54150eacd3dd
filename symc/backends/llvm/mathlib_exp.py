"""exp, exp2 and expm1 as branch-free IR, plus the reduction the other functions share.

Method (Cody-Waite): ``x = k ln2 + r`` with ``k = rint(x / ln2)`` and ``|r| <= ln2/2``;
``e^r = 1 + r + r^2 P(r)`` with ``P`` a minimax polynomial (degree 10 for double, 5 for
float, fitted for the relative error of ``expm1``, so the same table serves both);
``2^k`` is built from exponent bits in two factors (:meth:`MathEmitter.ldexp`) so that
overflow gives inf and subnormal results are rounded once.

``r = fma(-k, LN2_HI, x)`` is exact even with a full-width ``LN2_HI``: ``x`` and
``k * LN2_HI`` are both multiples of ``ulp(LN2_HI)/2`` and the difference is below 1/2,
so it fits the significand; the second step with ``LN2_LO`` rounds once, well below 1 ulp.
"""

from __future__ import annotations

from llvmlite import ir

from symc.backends.llvm.mathlib_emit import MathEmitter

# |k| bound: keeps fptosi defined and both ldexp factors normal. Beyond it the result is
# inf or 0 anyway and a select overrides it.
_K_LIMIT = {64: 1100.0, 32: 160.0}
# x above which exp(x) is inf and below which it is 0 (the results in between are computed).
_EXP_OVERFLOW = {64: 709.8, 32: 88.8}
_EXP_UNDERFLOW = {64: -745.2, 32: -104.0}
_EXPM1_SATURATE = {64: -45.0, 32: -20.0}  # expm1(x) rounds to -1 below this


def exp_reduce(em: MathEmitter, x: ir.Value, x_lo: ir.Value | None = None):
    """``x (+ x_lo) = k ln2 + r``: returns (k as float, r); ``|r| <= ln2/2`` for finite x."""
    kf = em.clamp(em.rint(em.mul(x, em.k("LOG2E"))), -_K_LIMIT[em.bits], _K_LIMIT[em.bits])
    r = em.fma(kf, -em.k("LN2_HI"), x)
    r = em.fma(kf, -em.k("LN2_LO"), r)
    if x_lo is not None:
        r = em.add(r, x_lo)
    return kf, r


def expm1_poly(em: MathEmitter, r: ir.Value) -> ir.Value:
    """``e^r - 1`` for ``|r| <= ln2/2``, with relative accuracy even for tiny ``r``."""
    return em.fma(em.mul(r, r), em.poly(r, em.table("EXPM1_P")), r)


def exp_scaled(em: MathEmitter, x: ir.Value, x_lo: ir.Value | None = None, shift: int = 0):
    """``e^(x + x_lo) * 2^shift`` for finite, not overflowing arguments (no special cases)."""
    kf, r = exp_reduce(em, x, x_lo)
    p = em.add(1.0, expm1_poly(em, r))
    k = em.to_int(kf)
    if shift:
        k = em.b.add(k, em.iconst(shift))
    return em.ldexp(p, k)


def exp_finish(em: MathEmitter, x: ir.Value, value: ir.Value) -> ir.Value:
    """Apply exp's overflow (inf) and underflow (0) thresholds, judged on ``x``."""
    value = em.select(em.cmp(">", x, _EXP_OVERFLOW[em.bits]), float("inf"), value)
    return em.select(em.cmp("<", x, _EXP_UNDERFLOW[em.bits]), 0.0, value)


def emit_exp(em: MathEmitter, x: ir.Value) -> ir.Value:
    """e**x. NaN propagates through ``r``; +-inf and the far range are selected."""
    return exp_finish(em, x, exp_scaled(em, x))


def emit_exp2(em: MathEmitter, x: ir.Value) -> ir.Value:
    """2**x: ``k = rint(x)``, ``r = x - k`` exactly, ``2^r = e^(r ln2)`` with ``r ln2`` kept
    as head + tail so the product's rounding does not reach the result."""
    limit = _K_LIMIT[em.bits]
    kf = em.clamp(em.rint(x), -limit, limit)
    r = em.sub(x, kf)
    rh, rl = em.dd_mul(r, 0.0, em.k("LN2_HI"), em.k("LN2_LO"))
    q = expm1_poly(em, rh)
    q = em.add(q, em.fma(rl, q, rl))  # e^(rh+rl) - 1 ~ q + rl (1 + q)
    value = em.ldexp(em.add(1.0, q), em.to_int(kf))
    max_exp = em.fmt.bias + 1.0  # 2^1024 / 2^128 overflow
    min_exp = -(em.fmt.bias + em.fmt.mant + 0.0)  # 2^x below half the least subnormal -> 0
    value = em.select(em.cmp(">=", x, max_exp), float("inf"), value)
    return em.select(em.cmp("<", x, min_exp), 0.0, value)


def emit_expm1(em: MathEmitter, x: ir.Value) -> ir.Value:
    """e**x - 1 = 2^k (expm1(r) + 1) - 1, evaluated as ``fma(2^k, q, 2^k - 1)``.

    For ``k = 0`` that is the polynomial itself (relative accuracy near 0). ``2^k - 1`` is
    exact for the ``k`` that matter, and there is no cancellation: for ``k >= 1`` the
    product dominates, for ``k <= -1`` the ``-1``. The top ``k`` (one past the largest
    normal power of two) is applied as a final doubling.
    """
    top = float(em.fmt.bias)
    kf, r = exp_reduce(em, x)
    kf = em.clamp(kf, -70.0, top + 1)
    q = expm1_poly(em, r)
    k_low = em.select(em.cmp(">", kf, top), top, kf)
    t = em.pow2(em.to_int(k_low))
    value = em.fma(t, q, em.sub(t, 1.0))
    value = em.mul(value, em.select(em.cmp(">", kf, top), 2.0, 1.0))
    value = em.select(em.cmp(">", x, _EXP_OVERFLOW[em.bits]), float("inf"), value)
    value = em.select(em.cmp("<", x, _EXPM1_SATURATE[em.bits]), -1.0, value)
    return em.select(em.cmp("==", x, 0.0), x, value)  # keeps -0.0
