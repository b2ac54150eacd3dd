"""sin, cos and tan as branch-free IR.

double: Cody-Waite reduction with fma. For ``a = |x|``, ``k = rint(a 2/pi)`` and
``a - k pi/2 = rh + rl`` with pi/2 in three full-width parts: ``a - k P1`` is exact (both
terms are multiples of ``ulp(P1)`` and the difference is below 2), ``k P2`` is split
exactly by an fma and subtracted with a two-sum, ``k P3`` only feeds the tail. Kernels on
``|r| <= pi/4``: ``sin r = r + r^3 S(r^2)``, ``cos r = 1 - r^2/2 + r^4 C(r^2)`` (minimax,
degree 5 in r^2), each returned as head + tail (with ``rl``'s first-order effect) so the
final sum rounds once, and tan can divide them without losing the tails.

float: reduced in double (three fmas suffice for 24-bit inputs), then evaluated in double
with the float-precision tables and rounded once; that is both more accurate and, measured
on AVX-512, faster than splitting ``r`` back into float head + tail.

**Accurate range: |x| < 2^48 (~2.8e14), both precisions** (measured <= 1 ulp from NumPy
for sin/cos/double tan; float tan <= 3, where NumPy's own float tan is 3.3 ulp off).
Beyond it ``k`` no longer comes out exact and ``r`` is merely clamped: results are finite
and bounded (|sin|, |cos| <= 1) but meaningless; a correct reduction there needs
Payne-Hanek with a table of 2/pi bits, which does not vectorise without gathers.
Infinities and NaN give NaN. The sign of sin/tan is applied last (odd functions), so
-0.0 and subnormals pass through.
"""

from __future__ import annotations

from llvmlite import ir

from symc.backends.llvm.mathlib_emit import MathEmitter

_MAGIC = 1.5 * 2.0**52  # t + _MAGIC rounds t to an integer kept in the low significand bits
#: |x| below which sin, cos and tan are accurate.
ACCURATE_LIMIT = 2.0**48


def _quadrant(em: MathEmitter, a: ir.Value):
    """(k as double, k's low bits as int) for ``k = rint(a 2/pi)``, double ``a >= 0``.

    Adding a magic constant rounds ``a 2/pi`` to an integer in one fma and leaves ``k``'s
    low bits in the sum's significand: no rint, no clamp, no conversion instruction.
    """
    shifted = em.fma(a, em.k("TWO_OVER_PI"), _MAGIC)
    return em.sub(shifted, _MAGIC), em.bits_of(shifted)


def _reduce(em: MathEmitter, a: ir.Value):
    """(quadrant bits, rh, rl) for double ``a >= 0``; past ACCURATE_LIMIT r is clamped."""
    kf, q = _quadrant(em, a)
    r1 = em.fma(em.neg(kf), em.k("PIO2_1"), a)
    t, t_lo = em.two_prod(kf, em.k("PIO2_2"))
    rh, err = em.two_sum(r1, em.neg(t))
    rl = em.sub(err, em.fma(kf, em.k("PIO2_3"), t_lo))
    inside = em.cmp("<", a, ACCURATE_LIMIT)
    rh = em.select(inside, rh, em.clamp(rh, -em.k("PIO4_HI"), em.k("PIO4_HI")))
    return q, rh, em.select(inside, rl, 0.0)


def _reduce32(em: MathEmitter, x: ir.Value):
    """(double emitter, quadrant bits, r in double) for a float ``x``."""
    em64 = em.retype(ir.DoubleType())
    a = em64.abs(em.b.fpext(x, em64.ty))
    kf, q = _quadrant(em64, a)
    r = em64.fma(em64.neg(kf), em64.k("PIO2_1"), a)
    r = em64.fma(em64.neg(kf), em64.k("PIO2_2"), r)
    r = em64.fma(em64.neg(kf), em64.k("PIO2_3"), r)
    r = em64.select(em64.cmp("<", a, ACCURATE_LIMIT), r, em64.clamp(r, -0.79, 0.79))
    return em64, q, r


def _sin_cos_poly32(em: MathEmitter, em64: MathEmitter, r: ir.Value):
    """(sin r, cos r) in double from the float tables: ``r (1 + z S)``, ``1 + z (-1/2 + z C)``."""
    z = em64.mul(r, r)
    s = em64.fma(em64.mul(r, z), em64.poly(z, em.table("SIN_S")), r)
    c = em64.fma(z, em64.poly(z, (-0.5, *em.table("COS_C"))), 1.0)
    return s, c


def sin_kernel(em: MathEmitter, rh: ir.Value, rl: ir.Value):
    """sin(rh + rl) as (head, tail): ``rh`` and ``rh^3 S + rl (1 - rh^2/2)``."""
    z = em.mul(rh, rh)
    tail = em.fma(em.mul(rh, z), em.poly(z, em.table("SIN_S")), em.mul(rl, em.fma(z, -0.5, 1.0)))
    return rh, tail


def cos_kernel(em: MathEmitter, rh: ir.Value, rl: ir.Value):
    """cos(rh + rl) as (head, tail): ``w = 1 - rh^2/2`` rounded, the rest exactly tracked."""
    z, z_lo = em.two_prod(rh, rh)
    hz = em.mul(z, 0.5)
    w = em.sub(1.0, hz)
    tail = em.sub(em.sub(1.0, w), hz)  # exact: the rounding error of w
    # cos(rh + rl) ~ cos(rh) - rh rl; z_lo is the part of rh^2 that z dropped.
    correction = em.fma(rh, rl, em.mul(z_lo, 0.5))
    small = em.fma(em.mul(z, z), em.poly(z, em.table("COS_C")), em.neg(correction))
    return w, em.add(tail, small)


def _finish(em: MathEmitter, x: ir.Value, value: ir.Value, odd: bool) -> ir.Value:
    """Restore the sign for odd functions; inf and NaN give NaN."""
    if odd:
        value = em.flip_sign(em.signbit(x), value)
    return em.select(em.cmp("<", em.abs(x), float("inf")), value, float("nan"))


def _bit(em: MathEmitter, q: ir.Value, bit: int) -> ir.Value:
    return em.b.icmp_unsigned("!=", em.b.and_(q, em.iconst(bit)), em.iconst(0))


def _sincos(em: MathEmitter, x: ir.Value, cosine: bool) -> ir.Value:
    a = em.abs(x)
    q, rh, rl = _reduce(em, a)
    if cosine:
        q = em.b.add(q, em.iconst(1))  # cos x = sin(x + pi/2)
    sh, st = sin_kernel(em, rh, rl)
    ch, ct = cos_kernel(em, rh, rl)
    swap = _bit(em, q, 1)
    value = em.add(em.select(swap, ch, sh), em.select(swap, ct, st))
    return _finish(em, x, em.flip_sign(_bit(em, q, 2), value), odd=not cosine)


def _sincos32(em: MathEmitter, x: ir.Value, cosine: bool) -> ir.Value:
    em64, q, r = _reduce32(em, x)
    if cosine:
        q = em64.b.add(q, em64.iconst(1))
    s, c = _sin_cos_poly32(em, em64, r)
    value = em64.flip_sign(_bit(em64, q, 2), em64.select(_bit(em64, q, 1), c, s))
    return _finish(em, x, em.b.fptrunc(value, em.ty), odd=not cosine)


def emit_sin(em: MathEmitter, x: ir.Value) -> ir.Value:
    """sin x (accurate range in the module docstring)."""
    if em.bits == 32:
        return _sincos32(em, x, cosine=False)
    return _sincos(em, x, cosine=False)


def emit_cos(em: MathEmitter, x: ir.Value) -> ir.Value:
    """cos x (accurate range in the module docstring)."""
    if em.bits == 32:
        return _sincos32(em, x, cosine=True)
    return _sincos(em, x, cosine=True)


def _tan32(em: MathEmitter, x: ir.Value) -> ir.Value:
    em64, q, r = _reduce32(em, x)
    s, c = _sin_cos_poly32(em, em64, r)
    odd = _bit(em64, q, 1)
    value = em64.div(em64.select(odd, em64.neg(c), s), em64.select(odd, s, c))
    return _finish(em, x, em.b.fptrunc(value, em.ty), odd=True)


def emit_tan(em: MathEmitter, x: ir.Value) -> ir.Value:
    """tan x = sin r / cos r (even quadrant) or -cos r / sin r (odd); in double the
    quotient is corrected by its fma residual so both kernels' tails count: ~0.6 ulp."""
    if em.bits == 32:
        return _tan32(em, x)
    a = em.abs(x)
    q, rh, rl = _reduce(em, a)
    # Renormalise the pairs: the quotient's residual correction is first order, so the
    # tails must be below an ulp of the heads.
    sh, st = em.fast_two_sum(*sin_kernel(em, rh, rl))
    ch, ct = em.fast_two_sum(*cos_kernel(em, rh, rl))
    odd = _bit(em, q, 1)
    nh, nl = em.select(odd, ch, sh), em.select(odd, ct, st)
    dh, dl = em.select(odd, sh, ch), em.select(odd, st, ct)
    value = em.flip_sign(odd, em.add(*em.dd_div(nh, nl, dh, dl)))
    return _finish(em, x, value, odd=True)
