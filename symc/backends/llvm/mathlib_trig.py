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

That reduction is exact for |x| < 2^48 (~2.8e14). Beyond it (up to the largest finite
value) a Payne-Hanek reduction takes over, still branch-free (:func:`_reduce_huge`): with
``|x| = m 2^s`` (``m`` an integer below 2^60, ``s`` a multiple of 8 picked by the exponent),
``x 2/pi mod 4 = m T mod 4`` where ``T = 2^s 2/pi mod 4`` -- the bits of 2/pi whose product
with ``m`` is a multiple of 4 drop out. ``T`` is tabulated per exponent bucket as four
doubles of 53 bits each (:func:`two_over_pi_table`, from an exact integer computation of pi);
the table lookups are plain loads at a computed index, which the loop vectoriser turns
into gathers. The products are split exactly with fma, each reduced mod 4 exactly, and
summed as double-double, leaving the fraction ``f`` to about 2^-150 absolute: enough for
the worst case of all doubles, whose ``x 2/pi`` comes within 2^-61 of an integer. Both
reductions are computed and one is selected; the table costs ~4 KiB of constants.

**Accuracy** (measured against NumPy over the whole finite range, subnormals and the
hardest known arguments): <= 1 ulp for sin/cos/double tan; float tan <= 3, where NumPy's
own float tan is 3.3 ulp off. Infinities and NaN give NaN. The sign of sin/tan is applied
last (odd functions), so -0.0 and subnormals pass through.
"""

from __future__ import annotations

import functools
import re

from llvmlite import ir

from symc.backends.llvm.mathlib_emit import MathEmitter

_MAGIC = 1.5 * 2.0**52  # t + _MAGIC rounds t to an integer kept in the low significand bits
#: |x| below which the Cody-Waite reduction is exact; Payne-Hanek takes over above it.
ACCURATE_LIMIT = 2.0**48
#: Exponents share a table row in buckets of 2^_BUCKET_BITS (a row per exponent would be
#: 8x larger; the bucket's spread costs 7 bits of headroom, which the products have).
_BUCKET_BITS = 3
_ROWS = 1024 >> _BUCKET_BITS  # buckets of the unbiased exponents 0 .. 1023
#: Bits per table entry, and entries per row: 4 x 53 bits of 2^s 2/pi mod 4.
_CHUNK_BITS = 53
_CHUNKS = 4
_MANTISSA = (1 << 52) - 1


def _arctan_inverse(x: int, one: int) -> int:
    """``arctan(1/x) * one``, truncated, by its alternating Taylor series in integers."""
    total = term = one // x
    n, x2 = 1, x * x
    while term:
        term //= x2
        total += (-1) ** n * (term // (2 * n + 1))
        n += 1
    return total


@functools.cache
def _two_over_pi_bits(bits: int) -> int:
    """``floor(2/pi * 2^bits)`` (exact: pi is computed with 64 guard bits, by Machin)."""
    one = 1 << (bits + 64)
    pi = 16 * _arctan_inverse(5, one) - 4 * _arctan_inverse(239, one)  # pi * one
    return (2 * one * one // pi) >> 64


@functools.cache
def two_over_pi_table() -> tuple[tuple[float, ...], ...]:
    """``_CHUNKS`` columns of ``_ROWS`` doubles: row ``b`` holds ``T = 2^s 2/pi mod 4`` for
    ``s = 8b - 52``, as ``T = sum_j column_j[b]`` with each column holding the next 53 bits
    (weights ``2^1 .. 2^-51``, ``2^-52 .. 2^-104``, ...)."""
    frac_bits = _CHUNKS * _CHUNK_BITS - 2  # T's bits below the binary point
    width = frac_bits + 2
    scaled = _two_over_pi_bits(frac_bits + (_ROWS << _BUCKET_BITS))  # 2/pi * 2^(that)
    columns = [[], [], [], []]
    for row in range(_ROWS):
        s = (row << _BUCKET_BITS) - 52
        # T * 2^frac_bits = floor(2/pi * 2^(s + frac_bits)) mod 2^width
        t = (scaled >> ((_ROWS << _BUCKET_BITS) - s)) & ((1 << width) - 1)
        for j in range(_CHUNKS):
            shift = width - (j + 1) * _CHUNK_BITS
            chunk = (t >> shift) & ((1 << _CHUNK_BITS) - 1)
            columns[j].append(float(chunk) * 2.0 ** (shift - frac_bits))
    return tuple(tuple(column) for column in columns)


def _table_column(em: MathEmitter, j: int) -> ir.GlobalVariable:
    """Column ``j`` of the 2/pi table as a constant global of the module (made once)."""
    module = em.b.module
    name = f"symc.math.two_over_pi.{j}"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    ty = ir.ArrayType(ir.DoubleType(), _ROWS)
    var = ir.GlobalVariable(module, ty, name)
    var.initializer = ir.Constant(ty, list(two_over_pi_table()[j]))
    var.global_constant = True
    var.linkage = "internal"
    var.unnamed_addr = True
    return var


def _quadrant(em: MathEmitter, a: ir.Value):
    """(k as double, k's low bits as int) for ``k = rint(a 2/pi)``, double ``a >= 0``.

    Adding a magic constant rounds ``a 2/pi`` to an integer in one fma and leaves ``k``'s
    low bits in the sum's significand: no rint, no clamp, no conversion instruction.
    """
    shifted = em.fma(a, em.k("TWO_OVER_PI"), _MAGIC)
    return em.sub(shifted, _MAGIC), em.bits_of(shifted)


def _reduce(em: MathEmitter, a: ir.Value, huge: bool):
    """(quadrant bits, rh, rl) for double ``a >= 0``: Cody-Waite below ACCURATE_LIMIT;
    above it Payne-Hanek when ``huge``, else ``r`` merely clamped (bounded, meaningless)."""
    kf, q = _quadrant(em, a)
    r1 = em.fma(em.neg(kf), em.k("PIO2_1"), a)
    t, t_lo = em.two_prod(kf, em.k("PIO2_2"))
    rh, err = em.two_sum(r1, em.neg(t))
    rl = em.sub(err, em.fma(kf, em.k("PIO2_3"), t_lo))
    inside = em.cmp("<", a, ACCURATE_LIMIT)
    if not huge:
        rh = em.select(inside, rh, em.clamp(rh, -em.k("PIO4_HI"), em.k("PIO4_HI")))
        return q, rh, em.select(inside, rl, 0.0)
    q_huge, rh_huge, rl_huge = _reduce_huge(em, a)
    return (em.b.select(inside, q, q_huge), em.select(inside, rh, rh_huge),
            em.select(inside, rl, rl_huge))


def _reduce32(em: MathEmitter, x: ir.Value, huge: bool):
    """(double emitter, quadrant bits, r in double) for a float ``x`` (``huge``: as above)."""
    em64 = em.retype(ir.DoubleType())
    a = em64.abs(em.b.fpext(x, em64.ty))
    kf, q = _quadrant(em64, a)
    r = em64.fma(em64.neg(kf), em64.k("PIO2_1"), a)
    r = em64.fma(em64.neg(kf), em64.k("PIO2_2"), r)
    r = em64.fma(em64.neg(kf), em64.k("PIO2_3"), r)
    inside = em64.cmp("<", a, ACCURATE_LIMIT)
    if not huge:
        return em64, q, em64.select(inside, r, em64.clamp(r, -0.79, 0.79))
    q_huge, r_huge = _reduce_huge32(em64, a)
    return em64, em.b.select(inside, q, q_huge), em64.select(inside, r, r_huge)


# -- Payne-Hanek: |x| >= ACCURATE_LIMIT ------------------------------------------------------

def _table_row(em: MathEmitter, a: ir.Value, chunks: int):
    """``(m, [T_0 .. T_chunks-1])`` for double ``a >= 1``: ``a = m 2^s`` with ``m`` an integer
    below 2^60, and the first ``chunks`` table entries of ``T = 2^s 2/pi mod 4``.

    ``s`` is ``a``'s exponent rounded down to the bucket: ``m`` is ``a``'s significand with
    the exponent's low bits kept (an exact bit operation). Lanes with smaller ``a``, inf or
    NaN read a clamped row; their result is not selected.
    """
    b = em.b
    bits = em.bits_of(a)
    exponent = b.sub(b.lshr(bits, em.iconst(52)), em.iconst(1023))
    row = b.ashr(exponent, em.iconst(_BUCKET_BITS))
    row = b.select(b.icmp_signed("<", row, em.iconst(0)), em.iconst(0), row)
    row = b.select(b.icmp_signed(">", row, em.iconst(_ROWS - 1)), em.iconst(_ROWS - 1), row)
    low = b.and_(exponent, em.iconst((1 << _BUCKET_BITS) - 1))
    m_exponent = b.shl(b.add(low, em.iconst(1023 + 52)), em.iconst(52))
    m = em.from_bits(b.or_(b.and_(bits, em.iconst(_MANTISSA)), m_exponent))
    columns = [b.load(b.gep(_table_column(em, j), [row], source_etype=em.ty, inbounds=True),
                      typ=em.ty) for j in range(chunks)]
    return m, columns


def _mod4(em: MathEmitter, v: ir.Value) -> ir.Value:
    """``v - 4 rint(v/4)``, in [-2, 2]; exact (the result is a multiple of v's ulp)."""
    return em.fma(em.rint(em.mul(v, 0.25)), -4.0, v)


def _integer_part(em: MathEmitter, m, t0, t1):
    """``(h, k, l, e1)`` with ``m (t0 + t1) = h + k + l + e1 (mod 4)`` exactly: ``k`` the
    nearest integer (as a double), ``|h| <= 1/2``; ``l``, ``e1`` below 2^-44."""
    p0, e0 = em.two_prod(m, t0)  # m t0 < 2^62: both parts are multiples of 2^-51
    p1, e1 = em.two_prod(m, t1)  # m t1 < 2^9
    s = _mod4(em, em.add(_mod4(em, p0), _mod4(em, e0)))  # the sum is exact: |.| <= 4
    h, l = em.two_sum(s, _mod4(em, p1))
    k = em.rint(h)
    return em.sub(h, k), k, l, e1


def _reduce_huge(em: MathEmitter, a: ir.Value):
    """(quadrant bits, rh, rl) of double ``a >= ACCURATE_LIMIT``: ``x 2/pi = k + f`` to about
    2^-150 absolute (the table's four chunks and the exact products), ``r = f pi/2``."""
    m, (t0, t1, t2, t3) = _table_row(em, a, 4)
    h, k, l, e1 = _integer_part(em, m, t0, t1)
    p2, e2 = em.two_prod(m, t2)  # below 2^-44
    u, v = em.two_sum(e1, p2)
    u, w = em.two_sum(u, l)
    fh, fl = em.two_sum(h, u)  # h may cancel u: x 2/pi comes within 2^-61 of an integer
    fl = em.add(fl, em.add(em.add(v, w), em.fma(m, t3, e2)))
    rh, rl = em.dd_mul(fh, fl, em.k("PIO2_HI"), em.k("PIO2_LO"))
    return em.b.fptosi(k, em.ity), rh, rl


def _reduce_huge32(em64: MathEmitter, a: ir.Value):
    """(quadrant bits, r) for a float's ``a >= ACCURATE_LIMIT``, in double: three chunks
    (2^-97 absolute) are plenty for float results."""
    m, (t0, t1, t2) = _table_row(em64, a, 3)
    h, k, l, e1 = _integer_part(em64, m, t0, t1)
    f = em64.add(h, em64.add(l, em64.fma(m, t2, e1)))
    return em64.b.fptosi(k, em64.ity), em64.mul(f, em64.k("PIO2_HI"))


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


def _sincos(em: MathEmitter, x: ir.Value, cosine: bool, huge: bool) -> ir.Value:
    if em.bits == 32:
        return _sincos32(em, x, cosine, huge)
    q, rh, rl = _reduce(em, em.abs(x), huge)
    if cosine:
        q = em.b.add(q, em.iconst(1))  # cos x = sin(x + pi/2)
    sh, st = sin_kernel(em, rh, rl)
    ch, ct = cos_kernel(em, rh, rl)
    swap = _bit(em, q, 1)
    value = em.add(em.select(swap, ch, sh), em.select(swap, ct, st))
    return _finish(em, x, em.flip_sign(_bit(em, q, 2), value), odd=not cosine)


def _sincos32(em: MathEmitter, x: ir.Value, cosine: bool, huge: bool) -> ir.Value:
    em64, q, r = _reduce32(em, x, huge)
    if cosine:
        q = em64.b.add(q, em64.iconst(1))
    s, c = _sin_cos_poly32(em, em64, r)
    value = em64.flip_sign(_bit(em64, q, 2), em64.select(_bit(em64, q, 1), c, s))
    return _finish(em, x, em.b.fptrunc(value, em.ty), odd=not cosine)


def _tan32(em: MathEmitter, x: ir.Value, huge: bool) -> ir.Value:
    em64, q, r = _reduce32(em, x, huge)
    s, c = _sin_cos_poly32(em, em64, r)
    odd = _bit(em64, q, 1)
    value = em64.div(em64.select(odd, em64.neg(c), s), em64.select(odd, s, c))
    return _finish(em, x, em.b.fptrunc(value, em.ty), odd=True)


def _tan(em: MathEmitter, x: ir.Value, huge: bool) -> ir.Value:
    """tan x = sin r / cos r (even quadrant) or -cos r / sin r (odd); in double the
    quotient is corrected by its fma residual so both kernels' tails count: ~0.6 ulp."""
    if em.bits == 32:
        return _tan32(em, x, huge)
    q, rh, rl = _reduce(em, em.abs(x), huge)
    # Renormalise the pairs: the quotient's residual correction is first order, so the
    # tails must be below an ulp of the heads.
    sh, st = em.fast_two_sum(*sin_kernel(em, rh, rl))
    ch, ct = em.fast_two_sum(*cos_kernel(em, rh, rl))
    odd = _bit(em, q, 1)
    nh, nl = em.select(odd, ch, sh), em.select(odd, ct, st)
    dh, dl = em.select(odd, sh, ch), em.select(odd, st, ct)
    value = em.flip_sign(odd, em.add(*em.dd_div(nh, nl, dh, dl)))
    return _finish(em, x, value, odd=True)


def emit_sin(em: MathEmitter, x: ir.Value) -> ir.Value:
    """sin x, any finite x."""
    return _sincos(em, x, cosine=False, huge=True)


def emit_cos(em: MathEmitter, x: ir.Value) -> ir.Value:
    """cos x, any finite x."""
    return _sincos(em, x, cosine=True, huge=True)


def emit_tan(em: MathEmitter, x: ir.Value) -> ir.Value:
    """tan x, any finite x."""
    return _tan(em, x, huge=True)


# -- in-range variants, for loops that check their arguments ---------------------------------

_IN_RANGE_EMITTERS = {
    "sin": lambda em, x: _sincos(em, x, cosine=False, huge=False),
    "cos": lambda em, x: _sincos(em, x, cosine=True, huge=False),
    "tan": lambda em, x: _tan(em, x, huge=False),
}
_MATH_SYMBOL = re.compile(r"symc\.math\.(sin|cos|tan)\.(f64|f32)")


def in_range_variant(module: ir.Module, function: ir.Function) -> ir.Function | None:
    """The in-range version of mathlib's sin, cos or tan ``function`` (None for others).

    It skips the Payne-Hanek reduction (about 2/3 of the cost) and is exact only for
    ``|x| < ACCURATE_LIMIT`` (and inf/NaN): a loop calling it checks its arguments
    (:func:`out_of_range`) and reruns with ``function`` when one is outside.
    """
    match = _MATH_SYMBOL.fullmatch(function.name)
    if match is None:
        return None
    name = f"{function.name}.inrange"
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    fn = ir.Function(module, function.function_type, name)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    ty = function.function_type.return_type
    builder.ret(_IN_RANGE_EMITTERS[match.group(1)](MathEmitter(builder, ty), fn.args[0]))
    return fn


def out_of_range(builder: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """i1: the in-range variants are not exact for ``x`` (finite, ``|x| >= ACCURATE_LIMIT``)."""
    em = MathEmitter(builder, x.type)
    a = em.abs(x)
    return em.and_(em.cmp(">=", a, ACCURATE_LIMIT), em.cmp("<", a, float("inf")))
