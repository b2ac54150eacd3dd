"""Functions built on exp: sinh, cosh, tanh, sigmoid, softplus and erf.

Each evaluates an odd/even polynomial near 0 (where the exp formula would cancel) and
an exp formula away from 0, both unconditionally, and selects; the result's sign is set
last with ``copysign`` so -0.0 and NaN pass through. ``e^a / 2`` is computed by exp's
reduction with ``k - 1`` rather than by halving ``e^a``, so sinh and cosh stay finite up
to ``ln(2 DBL_MAX)``.
"""

from __future__ import annotations

from llvmlite import ir

from symc.backends.llvm.mathlib_coeffs import ERF_X0, ERF_XMAX, ERFC_K, SINH_X, TANH_X
from symc.backends.llvm.mathlib_emit import MathEmitter
from symc.backends.llvm.mathlib_exp import emit_exp, exp_scaled
from symc.backends.llvm.mathlib_log import emit_log1p

_HALF_EXP_OVERFLOW = {64: 710.5, 32: 89.5}  # e^a / 2 is inf beyond (ln(2 max) = 710.48, 89.42)


def _odd_poly(em: MathEmitter, a: ir.Value, table: str) -> ir.Value:
    """``a + a^3 T(a^2)``."""
    z = em.mul(a, a)
    return em.fma(em.mul(a, z), em.poly(z, em.table(table)), a)


def _half_exp(em: MathEmitter, a: ir.Value) -> ir.Value:
    """``e^a / 2`` for ``a >= 0``, inf past the overflow point (NaN propagates)."""
    value = exp_scaled(em, a, shift=-1)
    return em.select(em.cmp(">", a, _HALF_EXP_OVERFLOW[em.bits]), float("inf"), value)


def emit_sinh(em: MathEmitter, x: ir.Value) -> ir.Value:
    """sinh x: polynomial for |x| < 1, else ``e^a/2 - 1/(4 (e^a/2))`` (no cancellation)."""
    a = em.abs(x)
    h = _half_exp(em, a)
    big = em.sub(h, em.div(0.25, h))
    value = em.select(em.cmp("<", a, SINH_X), _odd_poly(em, a, "SINH_K"), big)
    return em.copysign(value, x)


def emit_cosh(em: MathEmitter, x: ir.Value) -> ir.Value:
    """cosh x = e^a/2 + 1/(4 (e^a/2)); both terms positive, so no cancellation."""
    h = _half_exp(em, em.abs(x))
    return em.add(h, em.div(0.25, h))


def emit_tanh(em: MathEmitter, x: ir.Value) -> ir.Value:
    """tanh x: polynomial for |x| < 0.625, else ``1 - 2 / (e^(2a) + 1)``; e^(2a) = inf
    gives exactly 1."""
    a = em.abs(x)
    big = em.sub(1.0, em.div(2.0, em.add(emit_exp(em, em.mul(a, 2.0)), 1.0)))
    value = em.select(em.cmp("<", a, TANH_X), _odd_poly(em, a, "TANH_H"), big)
    return em.copysign(value, x)


def emit_sigmoid(em: MathEmitter, x: ir.Value) -> ir.Value:
    """1 / (1 + e^-x) as ``1 / (1 + E)`` (x >= 0) or ``E / (1 + E)`` (x < 0) with
    ``E = e^-|x|`` in (0, 1]: never overflows, tiny results keep full precision."""
    e = emit_exp(em, em.neg(em.abs(x)))
    num = em.select(em.cmp(">=", x, 0.0), 1.0, e)
    return em.div(num, em.add(e, 1.0))


def emit_softplus(em: MathEmitter, x: ir.Value) -> ir.Value:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|); NaN stays NaN."""
    e = emit_exp(em, em.neg(em.abs(x)))
    pos = em.select(em.cmp(">", x, 0.0), x, 0.0)
    return em.add(pos, emit_log1p(em, e))


def emit_erf(em: MathEmitter, x: ir.Value) -> ir.Value:
    """erf x: ``a + a E(a^2)`` for |x| < 0.875; above, ``1 - e^(-a^2) G(t)`` with
    ``t = (a - K)/(a + K)`` mapping [0.875, XMAX] into [-1, 1) (erfc(x) e^(x^2) is smooth
    there, so one polynomial in t covers it) and ``a^2`` split exactly so the exponential
    sees its tail. Beyond XMAX, erf rounds to 1."""
    a = em.abs(x)
    ac = em.select(em.cmp(">", a, ERF_XMAX[em.bits]), ERF_XMAX[em.bits], a)
    t = em.div(em.sub(ac, ERFC_K), em.add(ac, ERFC_K))
    sq, sq_lo = em.two_prod(ac, ac)
    decay = emit_exp(em, em.neg(sq))
    decay = em.fma(decay, em.neg(sq_lo), decay)  # e^(-sq - sq_lo) ~ e^-sq (1 - sq_lo)
    big = em.sub(1.0, em.mul(decay, em.poly(t, em.table("ERFC_G"))))
    z = em.mul(a, a)
    small = em.fma(a, em.poly(z, em.table("ERF_E")), a)
    value = em.select(em.cmp("<", a, ERF_X0), small, big)
    return em.copysign(value, x)
