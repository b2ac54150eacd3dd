"""log, log2, log10, log1p and pow as branch-free IR.

Method: ``x = 2^e m`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` (exponent bits, after scaling
subnormals up), ``f = m - 1`` (exact), and ``log m = 2 atanh(s)``, ``s = f / (2 + f)``,
``|s| <= 0.1716``, one division (no tables, which would need gathers)::

    log m = 2s + (2/3) s^3 + s^5 U(s^2)            (U minimax, degree 6 / 1)

``s`` is carried as head + tail (the division's residual comes exactly from an fma). For
log, log2, log10 and log1p everything after ``2s`` is under 1% of it and is summed in
plain precision. The final ``e C + (log m) D`` (C, D = ln2, 1 for log; 1, 1/ln2 for log2;
log10(2), 1/ln10 for log10) is done in double-double and rounded once, so log2 and log10
of exact powers come out exact.

pow needs more: ``y log x`` may be ~745, and every 2^-62 of relative error in ``log x``
is then an ulp of ``x**y``. Its log also carries ``(2/3) s^3`` in double-double and comes
out as a normalised head + tail with ~2^-62.5 relative error (measured), and exp takes
the tail of ``y log x`` into its reduction.
"""

from __future__ import annotations

from llvmlite import ir

from symc.backends.llvm.mathlib_emit import MathEmitter
from symc.backends.llvm.mathlib_exp import exp_finish, exp_scaled

_SQRT_HALF_BITS = {64: 0x3FE6A09E667F3BCD, 32: 0x3F3504F3}  # the bits of sqrt(1/2)


def _split_exponent(em: MathEmitter, x: ir.Value):
    """(e as float, m) with ``x = 2^e m``, ``m`` in [sqrt(1/2), sqrt(2)); x > 0 finite."""
    fmt = em.fmt
    tiny = em.cmp("<", x, fmt.min_normal)
    xs = em.select(tiny, em.mul(x, 2.0 ** (fmt.mant + 2)), x)
    ix = em.bits_of(xs)
    # Subtracting the bits of sqrt(1/2) moves the exponent boundary to sqrt(1/2).
    e = em.b.ashr(em.b.sub(ix, em.iconst(_SQRT_HALF_BITS[em.bits])), em.iconst(fmt.mant))
    m = em.from_bits(em.b.sub(ix, em.b.shl(e, em.iconst(fmt.mant))))
    ef = em.sub(em.to_float(e), em.select(tiny, fmt.mant + 2.0, 0.0))
    return ef, m


def log_parts(em: MathEmitter, x: ir.Value, precise: bool = False):
    """(e, hi, lo) with ``log x = e ln2 + hi + lo`` for finite ``x > 0``.

    Plain: ``hi = 2s`` and ``lo = 2 s_lo + s^3 (2/3 + z U(z))``; the second term is under
    1% of the first, so rounding it costs ~0.01 ulp. ``precise`` (for pow) also carries
    ``(2/3) s^3`` in double-double and returns a normalised head + tail.
    """
    ef, m = _split_exponent(em, x)
    f = em.sub(m, 1.0)
    d, d_lo = em.fast_two_sum(2.0, f)
    rcp = em.div(1.0, d)
    s = em.mul(f, rcp)
    # s_lo = (f - s (d + d_lo)) / d: the fma residual is exact.
    s_lo = em.mul(em.sub(em.fma(em.neg(s), d, f), em.mul(s, d_lo)), rcp)
    if not precise:
        z = em.mul(s, s)
        t = em.poly(z, (em.k("TWO_THIRDS_HI"), *em.table("LOG_U")))
        return ef, em.mul(s, 2.0), em.fma(em.mul(s, z), t, em.mul(s_lo, 2.0))
    s2, s2_lo = em.two_prod(s, s)
    s2_lo = em.fma(em.mul(s, 2.0), s_lo, s2_lo)
    s3, s3_lo = em.two_prod(s2, s)
    s3_lo = em.add(s3_lo, em.fma(s2_lo, s, em.mul(s2, s_lo)))
    t3, t3_lo = em.dd_mul(s3, s3_lo, em.k("TWO_THIRDS_HI"), em.k("TWO_THIRDS_LO"))
    rest = em.mul(em.mul(s3, s2), em.poly(s2, em.table("LOG_U")))
    hi, err = em.fast_two_sum(em.mul(s, 2.0), t3)
    lo = em.add(err, em.add(em.fma(s_lo, 2.0, t3_lo), rest))
    # Renormalise: rest is not below an ulp of hi, and pow needs a true head + tail.
    return (ef, *em.fast_two_sum(hi, lo))


def log_combine(em: MathEmitter, ef, hi, lo, c: str | None, d: str | None):
    """``e C + (hi + lo) D`` as a (head, tail) pair; C, D name split constants (None = 1).

    The fast two-sum is valid because ``|e C| >= |(hi + lo) D|`` whenever ``e != 0``.
    """
    if d is None:
        ph, pl = hi, lo
    else:
        ph, pl = em.dd_mul(hi, lo, em.k(f"{d}_HI"), em.k(f"{d}_LO"))
    if c is None:
        eh, el = ef, None
    else:
        eh, el = em.mul(ef, em.k(f"{c}_HI")), em.mul(ef, em.k(f"{c}_LO"))
    head, err = em.fast_two_sum(eh, ph)
    tail = em.add(err, pl if el is None else em.add(pl, el))
    return head, tail


def _log_specials(em: MathEmitter, x: ir.Value, value: ir.Value, pole: float) -> ir.Value:
    """NumPy's special cases around the pole (0 for log, -1 for log1p): -inf at the pole,
    NaN below it, inf at inf, NaN for NaN."""
    below = em.select(em.cmp("<", x, pole), float("nan"), x)
    special = em.select(em.cmp("==", x, pole), float("-inf"), below)
    regular = em.and_(em.cmp(">", x, pole), em.cmp("<", x, float("inf")))
    return em.select(regular, value, special)


def _make_log(c: str | None, d: str | None, what: str):
    def emit(em: MathEmitter, x: ir.Value) -> ir.Value:
        head, tail = log_combine(em, *log_parts(em, x), c, d)
        return _log_specials(em, x, em.add(head, tail), 0.0)

    emit.__name__ = f"emit_{what}"
    emit.__doc__ = f"{what}(x): exponent and double-double log(m) combined, rounded once."
    return emit


emit_log = _make_log("LN2_E", None, "log")
emit_log2 = _make_log(None, "INV_LN2", "log2")
emit_log10 = _make_log("LG2_E", "INV_LN10", "log10")


def emit_log1p(em: MathEmitter, x: ir.Value) -> ir.Value:
    """log(1 + x): log of ``u = fl(1 + x)`` plus the first-order correction
    ``(x - (u - 1)) / u`` for the rounding of ``u`` (exact: ``u - 1`` and the difference
    are representable), so tiny ``x`` keep full relative accuracy."""
    u = em.add(x, 1.0)
    corr = em.div(em.sub(x, em.sub(u, 1.0)), u)
    ef, hi, lo = log_parts(em, u)
    head, tail = log_combine(em, ef, hi, em.add(lo, corr), "LN2_E", None)
    value = _log_specials(em, x, em.add(head, tail), -1.0)
    return em.select(em.cmp("==", x, 0.0), x, value)  # keeps -0.0


def emit_pow(em: MathEmitter, x: ir.Value, y: ir.Value, precise: bool = True) -> ir.Value:
    """x**y with ``np.power`` (C99 ``pow``) semantics for floats.

    ``|x|**y = exp(y log|x|)`` with ``log|x|`` in double-double and ``y log|x|`` as an
    exact product plus tail fed to exp's reduction. log of 0 and inf are substituted as
    -inf / inf so that the exp thresholds give 0 / inf. Sign and NaN rules are selects.
    ``precise=False`` uses the plain log: enough when the result is rounded to float.

    This is ``np.power`` with an array exponent. NumPy's loop treats a *broadcast scalar*
    exponent of 0.5 as ``sqrt`` (``(-inf) ** 0.5`` is NaN there, ``(-0.0) ** 0.5`` is
    -0.0); an elementwise function cannot see broadcasting, so a caller lowering
    ``x ** 0.5`` with a constant exponent should emit ``llvm.sqrt`` to match that.
    """
    ax = em.abs(x)
    lh, ll = log_combine(em, *log_parts(em, ax, precise), "LN2_E", None)
    # log of 0, inf and NaN as values (log_parts only handles finite positive numbers).
    special = em.select(em.cmp("==", ax, 0.0), float("-inf"), ax)
    lh = em.select(em.and_(em.cmp(">", ax, 0.0), em.cmp("<", ax, float("inf"))), lh, special)
    ph, pl = em.two_prod(y, lh)
    pl = em.fma(y, ll, pl)
    mag = exp_finish(em, ph, exp_scaled(em, ph, pl))
    y_int = em.cmp("==", em.floor(y), y)
    half = em.mul(y, 0.5)
    y_odd = em.and_(y_int, em.cmp("!=", em.floor(half), half))
    value = em.flip_sign(em.and_(em.signbit(x), y_odd), mag)
    finite_neg = em.and_(em.cmp("<", x, 0.0), em.cmp(">", x, float("-inf")))
    y_fraction = em.and_(em.not_(y_int), em.cmp("==", y, y))
    value = em.select(em.and_(finite_neg, y_fraction), float("nan"), value)
    unit_inf = em.and_(em.cmp("==", ax, 1.0), em.cmp("==", em.abs(y), float("inf")))
    one = em.or_(em.or_(em.cmp("==", y, 0.0), em.cmp("==", x, 1.0)), unit_inf)
    return em.select(one, 1.0, value)


def emit_pow_for_float(em: MathEmitter, x: ir.Value, y: ir.Value) -> ir.Value:
    """pow for float arguments promoted to double: the plain double log is already ~2^-60
    relative, far below a float ulp even after multiplying by y log x ~ 100."""
    return emit_pow(em, x, y, precise=False)
