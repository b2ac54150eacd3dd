"""arctan, arctan2, arcsin and arccos as branch-free IR.

arctan: for ``a = |x|`` pick ``t`` with ``|t| <= tan(pi/8)`` and an offset:
``a <= tan(pi/8)``: ``t = a``; ``a <= tan(3pi/8)``: ``t = (a-1)/(a+1)``, offset pi/4;
otherwise ``t = -1/a``, offset pi/2. One division serves all three (the numerator and
denominator are selected first), and its error is removed with the fma residual, because
``t``'s rounding would otherwise cost up to two ulps where the offset nearly cancels ``t``.
Then ``atan t = t + t^3 A(t^2)`` (minimax, degree 10 / 4) and the offset is added as a
two-sum with pi's tail. arctan2 uses the same core on ``min(|x|,|y|) / max(|x|,|y|)`` and
folds the octant back with exact two-sums against pi/2 and pi.

arcsin / arccos: ``asin a = a + a^3 B(a^2)`` for ``a <= 1/2``; above, with
``z = (1 - a)/2`` (exact) and ``s = sqrt(z)`` (plus its fma-computed tail),
``asin a = pi/2 - 2 asin(s)`` and ``acos a = 2 asin(s)`` (``pi - 2 asin(s)`` for x < 0).
"""

from __future__ import annotations

from llvmlite import ir

from symc.backends.llvm.mathlib_emit import MathEmitter

_TAN_PI_8 = 0.41421356237309503
_TAN_3PI_8 = 2.414213562373095


def _atan_poly(em: MathEmitter, t: ir.Value, t_lo: ir.Value) -> ir.Value:
    """``atan(t + t_lo) - t`` for ``|t| <= tan(pi/8)`` (the part added after ``t``)."""
    z = em.mul(t, t)
    return em.fma(em.mul(t, z), em.poly(z, em.table("ATAN_A")), em.mul(t_lo, em.sub(1.0, z)))


def _add_offset(em: MathEmitter, off_hi, off_lo, t, rest):
    """``off + t + rest`` as head + tail; exact two-sum since ``off >= |t|`` or ``off = 0``."""
    head, err = em.fast_two_sum(off_hi, t)
    return head, em.add(err, em.add(rest, off_lo))


def emit_arctan(em: MathEmitter, x: ir.Value) -> ir.Value:
    """arctan x, odd; atan(+-inf) = +-pi/2."""
    big = 2.0**60 if em.bits == 64 else 2.0**30  # atan rounds to pi/2 beyond; avoids 1/inf
    a = em.abs(x)
    a = em.select(em.cmp(">", a, big), big, a)  # NaN stays NaN
    low = em.cmp("<=", a, _TAN_PI_8)
    mid = em.and_(em.not_(low), em.cmp("<=", a, _TAN_3PI_8))
    sub_h, sub_l = em.two_sum(a, -1.0)
    add_h, add_l = em.two_sum(a, 1.0)
    nh = em.select(low, a, em.select(mid, sub_h, -1.0))
    nl = em.select(mid, sub_l, 0.0)
    dh = em.select(low, 1.0, em.select(mid, add_h, a))
    dl = em.select(mid, add_l, 0.0)
    t, t_lo = em.dd_div(nh, nl, dh, dl)
    off_hi = em.select(mid, em.k("PIO4_HI"), em.select(low, 0.0, em.k("PIO2_HI")))
    off_lo = em.select(mid, em.k("PIO4_LO"), em.select(low, 0.0, em.k("PIO2_LO")))
    value = em.add(*_add_offset(em, off_hi, off_lo, t, _atan_poly(em, t, t_lo)))
    return em.copysign(value, x)


def emit_arctan2(em: MathEmitter, y: ir.Value, x: ir.Value) -> ir.Value:
    """arctan2(y, x) with C99 ``atan2`` special cases (signed zeros, infinities)."""
    ax, ay = em.abs(x), em.abs(y)
    swap = em.cmp(">", ay, ax)
    u, v = em.select(swap, ax, ay), em.select(swap, ay, ax)
    # Keep u + v and 1/v finite: scale huge pairs down, tiny pairs up (by powers of two, so
    # exactly; a huge v with a tiny u only happens where u/v underflows anyway).
    far = 2.0 ** (em.fmt.bias - 24)
    scale = em.select(em.cmp(">", v, far), 2.0**-4, em.select(em.cmp("<", v, 1 / far), far, 1.0))
    u, v = em.mul(u, scale), em.mul(v, scale)
    mid = em.cmp(">", u, em.mul(v, _TAN_PI_8))
    sub_h, sub_l = em.two_sum(u, em.neg(v))
    add_h, add_l = em.two_sum(u, v)
    nh, nl = em.select(mid, sub_h, u), em.select(mid, sub_l, 0.0)
    dh, dl = em.select(mid, add_h, v), em.select(mid, add_l, 0.0)
    t, t_lo = em.dd_div(nh, nl, dh, dl)
    off_hi = em.select(mid, em.k("PIO4_HI"), 0.0)
    off_lo = em.select(mid, em.k("PIO4_LO"), 0.0)
    h, l = _add_offset(em, off_hi, off_lo, t, _atan_poly(em, t, t_lo))
    # Both zero or some infinity: the angle is 0 or pi/4 before folding.
    special = em.or_(em.cmp("==", v, 0.0), em.cmp("==", v, float("inf")))
    h = em.select(special, em.select(em.cmp("==", u, float("inf")), em.k("PIO4_HI"), 0.0), h)
    l = em.select(special, em.select(em.cmp("==", u, float("inf")), em.k("PIO4_LO"), 0.0), l)
    h, l = _fold(em, swap, "PIO2", h, l)
    h, l = _fold(em, em.signbit(x), "PI", h, l)
    value = em.copysign(em.add(h, l), y)
    return em.select(em.or_(em.isnan(x), em.isnan(y)), em.add(x, y), value)


def _fold(em: MathEmitter, cond, off: str, h, l):
    """``OFF - (h + l)`` where ``cond``, else ``h + l``; OFF >= h so the two-sum is exact."""
    sign = em.select(cond, -1.0, 1.0)
    hi = em.select(cond, em.k(f"{off}_HI"), 0.0)
    lo = em.select(cond, em.k(f"{off}_LO"), 0.0)
    head, err = em.fast_two_sum(hi, em.mul(sign, h))
    return head, em.add(err, em.fma(sign, l, lo))


def _asin_parts(em: MathEmitter, a: ir.Value):
    """(small, base, tail): asin(a) = base + tail for a <= 1/2 (small), else asin(sqrt((1-a)/2))."""
    small = em.cmp("<=", a, 0.5)
    z_big = em.mul(em.sub(1.0, a), 0.5)
    s = em.sqrt(z_big)
    # sqrt's rounding error, exactly from an fma; s = 0 (a = 1) must not divide by zero.
    s_lo = em.div(em.fma(em.neg(s), s, z_big), em.mul(em.select(em.cmp(">", s, 0.0), s, 1.0), 2.0))
    base = em.select(small, a, s)
    z = em.select(small, em.mul(a, a), z_big)
    poly_part = em.mul(em.mul(base, z), em.poly(z, em.table("ASIN_B")))
    tail = em.add(poly_part, em.select(small, 0.0, s_lo))
    return small, base, tail


def _affine(em: MathEmitter, c_hi, c_lo, m, base, tail) -> ir.Value:
    """``C + m (base + tail)`` with ``m`` in {+-1, +-2} (exact scaling), rounded once."""
    head, err = em.fast_two_sum(c_hi, em.mul(m, base))
    return em.add(head, em.add(err, em.fma(m, tail, c_lo)))


def emit_arcsin(em: MathEmitter, x: ir.Value) -> ir.Value:
    """arcsin x, odd; NaN outside [-1, 1]."""
    small, base, tail = _asin_parts(em, em.abs(x))
    c_hi = em.select(small, 0.0, em.k("PIO2_HI"))
    c_lo = em.select(small, 0.0, em.k("PIO2_LO"))
    value = _affine(em, c_hi, c_lo, em.select(small, 1.0, -2.0), base, tail)
    return em.copysign(value, x)


def emit_arccos(em: MathEmitter, x: ir.Value) -> ir.Value:
    """arccos x: pi/2 - asin x near 0, 2 asin(s) near 1, pi - 2 asin(s) near -1."""
    small, base, tail = _asin_parts(em, em.abs(x))
    neg = em.signbit(x)
    # small: pi/2 - sign(x) asin|x|;  x > 1/2: 2 asin s;  x < -1/2: pi - 2 asin s.
    c_hi = em.select(small, em.k("PIO2_HI"), em.select(neg, em.k("PI_HI"), 0.0))
    c_lo = em.select(small, em.k("PIO2_LO"), em.select(neg, em.k("PI_LO"), 0.0))
    m = em.select(small, em.select(neg, 1.0, -1.0), em.select(neg, -2.0, 2.0))
    return _affine(em, c_hi, c_lo, m, base, tail)
