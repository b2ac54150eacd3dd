"""Offline minimax fitting of the polynomial coefficients used by the mathlib emitters.

Run by hand, never at import time (it needs mpmath and takes a minute)::

    python -m symc.backends.llvm.mathlib_fit > symc/backends/llvm/mathlib_coeffs.py

Each :class:`FitSpec` names a reduced function ``g(t)`` on ``[lo, hi]`` and an error weight
``w(t)``; :func:`remez` finds the polynomial ``p`` of the given degree that minimises
``max |w (g - p)|`` by the Remez exchange algorithm in 60-digit arithmetic. The weight is
chosen so that ``w (g - p)`` is the *relative error of the final function* that the
polynomial feeds (e.g. for ``sin r = r + r^3 S(r^2)`` the weight on ``S`` is ``r^3 / sin r``),
which is what the accuracy budget is about. Coefficients are then rounded to the target
precision and the error of the rounded polynomial is re-measured and printed next to it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp
import numpy as np

mp.mp.dps = 120

_Fn = Callable[[mp.mpf], mp.mpf]


@dataclass(frozen=True)
class FitSpec:
    """One table: approximate ``target`` on ``[lo, hi]`` with ``degree[bits] + 1`` terms."""

    name: str
    target: _Fn
    weight: _Fn
    lo: float
    hi: float
    degree: dict[int, int]
    doc: str


def _grid(lo: float, hi: float, n: int) -> list[mp.mpf]:
    """Dense Chebyshev-clustered grid, endpoints nudged off a removable singularity at 0."""
    a, b = mp.mpf(lo), mp.mpf(hi)
    pts = [(a + b) / 2 - (b - a) / 2 * mp.cos(mp.pi * i / (n - 1)) for i in range(n)]
    tiny = mp.mpf(10) ** -8
    return [p if abs(p) > tiny else (tiny if p >= 0 else -tiny) for p in pts]


def _horner(c: list, t: mp.mpf) -> mp.mpf:
    acc = mp.mpf(0)
    for cj in reversed(c):
        acc = acc * t + cj
    return acc


def _alternating_extrema(err: list[mp.mpf], want: int) -> list[int]:
    """Indices of the local extrema of ``err`` with alternating signs, trimmed to ``want``."""
    runs: list[int] = []
    start = 0
    for i in range(1, len(err) + 1):
        if i == len(err) or (err[i] >= 0) != (err[start] >= 0):
            runs.append(max(range(start, i), key=lambda j: abs(err[j])))
            start = i
    while len(runs) > want:
        # Drop the smaller end: keeps alternation and the largest deviations.
        if abs(err[runs[0]]) < abs(err[runs[-1]]):
            runs.pop(0)
        else:
            runs.pop()
    return runs


def remez(spec: FitSpec, degree: int, fixed=(), npts: int = 3000, iters: int = 40):
    """Minimax coefficients (mpf, lowest order first) and the weighted error they reach.

    ``fixed`` holds already-chosen lowest-order coefficients; only the others are fitted.
    """
    grid = _grid(spec.lo, spec.hi, npts)
    fixed = [mp.mpf(c) for c in fixed]
    m = len(fixed)
    # Fit (g - fixed part) / t^m with weight w |t|^m: a full polynomial basis again, so the
    # Haar condition holds even when the interval contains 0 (t^m alone would not).
    g = [(spec.target(t) - _horner(fixed, t)) / t**m for t in grid]
    w = [spec.weight(t) * abs(t) ** m for t in grid]
    powers = range(degree + 1 - m)
    n = len(powers)
    ref = [int(round((npts - 1) * (1 - mp.cos(mp.pi * i / n)) / 2)) for i in range(n + 1)]
    free: list[mp.mpf] = []
    best = mp.inf
    for _ in range(iters):
        rows = [[grid[i] ** j for j in powers] + [(-1) ** k / w[i]] for k, i in enumerate(ref)]
        sol = mp.lu_solve(mp.matrix(rows), mp.matrix([g[i] for i in ref]))
        free = [sol[j] for j in range(n)]
        level = abs(sol[n])
        err = [w[i] * (g[i] - _horner(free, grid[i])) for i in range(npts)]
        best = max(abs(e) for e in err)
        new_ref = _alternating_extrema(err, n + 1)
        if len(new_ref) < n + 1 or best <= level * (1 + mp.mpf(10) ** -6):
            break
        ref = new_ref
    return fixed + free, best


def fit_rounded(spec: FitSpec, degree: int, bits: int, npts: int = 3000):
    """Minimax fit with coefficients rounded to ``bits``; returns (floats, minimax error).

    Rounding the low-order coefficients of a minimax fit can cost a bit or two, so we also
    try rounding the lowest ones one at a time, refitting the higher ones after each (they
    absorb the rounding error), and keep whichever rounded polynomial measures better. Only
    the first few are refitted: with many fixed, the weight ``w |t|^m`` makes the exchange
    ill-conditioned, and higher coefficients round harmlessly anyway.
    """
    coeffs, err = remez(spec, degree, npts=npts)
    best = _round(coeffs, bits)
    best_err = rounded_error(spec, best, npts)
    fixed: list[float] = []
    for _ in range(min(3, degree)):
        refit, _unused = remez(spec, degree, fixed, npts=npts)
        fixed.append(_round([refit[len(fixed)]], bits)[0])
        candidate = fixed + _round(refit[len(fixed) :], bits)
        cand_err = rounded_error(spec, candidate, npts)
        if cand_err < best_err:
            best, best_err = candidate, cand_err
    return best, err


def rounded_error(spec: FitSpec, coeffs: list[float], npts: int = 6000) -> float:
    """Weighted max error of the polynomial with coefficients already rounded to floats."""
    grid = _grid(spec.lo, spec.hi, npts)
    c = [mp.mpf(float(x)) for x in coeffs]
    return float(max(abs(spec.weight(t) * (spec.target(t) - _horner(c, t))) for t in grid))


def _round(values, bits: int) -> list[float]:
    dtype = np.float64 if bits == 64 else np.float32
    return [float(dtype(float(v))) for v in values]


# --- the reduced functions --------------------------------------------------------------


def _expm1_p(r):  # e^r = 1 + r + r^2 P(r)
    return (mp.expm1(r) - r) / r**2


def _log_u(z):  # log((1+s)/(1-s)) = 2s + 2s^3/3 + s^5 U(s^2)
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) - 2 * s - 2 * s**3 / 3) / s**5


def _sin_s(z):  # sin r = r + r^3 S(r^2)
    r = mp.sqrt(z)
    return (mp.sin(r) - r) / r**3


def _cos_c(z):  # cos r = 1 - r^2/2 + r^4 C(r^2)
    return (mp.cos(mp.sqrt(z)) - 1 + z / 2) / z**2


def _odd_tail(fn):  # fn(x) = x + x^3 T(x^2)
    def tail(z):
        x = mp.sqrt(z)
        return (fn(x) - x) / x**3

    return tail


def _odd_weight(fn):
    def weight(z):
        x = mp.sqrt(z)
        return x**3 / abs(fn(x))

    return weight


def _erf_e(z):  # erf(x) = x + x E(x^2): E(0) = 2/sqrt(pi) - 1 rounds harmlessly, 2/sqrt(pi) not
    x = mp.sqrt(z)
    return (mp.erf(x) - x) / x


#: Mapping of the erf tail variable: t = (x - K) / (x + K) sends [ERF_X0, ERF_XMAX] into [-1, 1).
ERFC_K = 2.0


def _erfc_x(t):
    return ERFC_K * (1 + t) / (1 - t)


def _erfcx_g(t):  # erfc(x) = exp(-x^2) G(t)
    x = _erfc_x(t)
    return mp.erfc(x) * mp.exp(x**2)


def _erfcx_w(t):
    x = _erfc_x(t)
    return mp.exp(-(x**2)) / mp.erf(x)


def _t_of(x: float) -> float:
    return (x - ERFC_K) / (x + ERFC_K)


# Interval ends, shared with the emitters through the generated module.
EXP_R = 0.3467  # ln2/2 plus the slack of k = rint(x/ln2) being computed in floating point
LOG_Z = 0.02944  # s = f/(2+f), f in [sqrt(1/2)-1, sqrt(2)-1] -> s^2 <= 0.029437
TRIG_Z = 0.786**2  # |r| <= pi/4 plus the slack of k = rint(2x/pi)
ATAN_Z = 0.41422**2  # |t| <= tan(pi/8)
ASIN_Z = 0.25  # |x| <= 1/2 directly; above, asin via sqrt((1-|x|)/2) <= 1/2
TANH_X = 0.625
SINH_X = 1.0
ERF_X0 = 0.875
ERF_XMAX = {64: 6.0, 32: 4.0}  # erf rounds to 1 beyond 5.93 (double), 3.92 (float)

SPECS = [
    FitSpec(
        "EXPM1_P",
        _expm1_p,
        lambda r: r**2 / abs(mp.expm1(r)),
        -EXP_R,
        EXP_R,
        {64: 10, 32: 5},
        "e^r = 1 + r + r^2 P(r), |r| <= ln2/2; weight: relative error of expm1",
    ),
    FitSpec(
        "LOG_U",
        _log_u,
        lambda z: mp.sqrt(z) ** 5 / (2 * mp.atanh(mp.sqrt(z))),
        0,
        LOG_Z,
        {64: 6, 32: 1},
        "log((1+s)/(1-s)) = 2s + 2s^3/3 + s^5 U(s^2), |s| <= 0.1716",
    ),
    FitSpec(
        "SIN_S",
        _sin_s,
        _odd_weight(mp.sin),
        0,
        TRIG_Z,
        {64: 5, 32: 3},
        "sin r = r + r^3 S(r^2), |r| <= 0.786",
    ),
    FitSpec(
        "COS_C",
        _cos_c,
        lambda z: z**2 / mp.cos(mp.sqrt(z)),
        0,
        TRIG_Z,
        {64: 5, 32: 2},
        "cos r = 1 - r^2/2 + r^4 C(r^2), |r| <= 0.786",
    ),
    FitSpec(
        "ATAN_A",
        _odd_tail(mp.atan),
        _odd_weight(mp.atan),
        0,
        ATAN_Z,
        {64: 10, 32: 4},
        "atan t = t + t^3 A(t^2), |t| <= tan(pi/8)",
    ),
    FitSpec(
        "ASIN_B",
        _odd_tail(mp.asin),
        _odd_weight(mp.asin),
        0,
        ASIN_Z,
        {64: 12, 32: 5},
        "asin x = x + x^3 B(x^2), |x| <= 1/2",
    ),
    FitSpec(
        "TANH_H",
        _odd_tail(mp.tanh),
        _odd_weight(mp.tanh),
        0,
        TANH_X**2,
        {64: 11, 32: 4},
        f"tanh x = x + x^3 H(x^2), |x| <= {TANH_X}",
    ),
    FitSpec(
        "SINH_K",
        _odd_tail(mp.sinh),
        _odd_weight(mp.sinh),
        0,
        SINH_X**2,
        {64: 6, 32: 3},
        f"sinh x = x + x^3 K(x^2), |x| <= {SINH_X}",
    ),
    FitSpec(
        "ERF_E",
        _erf_e,
        lambda z: mp.sqrt(z) / mp.erf(mp.sqrt(z)),
        0,
        ERF_X0**2,
        {64: 11, 32: 6},
        f"erf x = x + x E(x^2), |x| <= {ERF_X0}",
    ),
]


def _erfc_spec(bits: int) -> FitSpec:
    return FitSpec(
        "ERFC_G",
        _erfcx_g,
        _erfcx_w,
        _t_of(ERF_X0),
        _t_of(ERF_XMAX[bits]),
        {64: 14, 32: 5},
        f"erfc x = exp(-x^2) G((x-{ERFC_K})/(x+{ERFC_K})), {ERF_X0} <= x <= {ERF_XMAX[bits]}",
    )


def _split(value, bits: int, keep: int | None = None) -> tuple[float, float]:
    """``value`` as hi + lo floats of ``bits``; ``keep`` caps hi's significant bits.

    A short hi makes ``n * hi`` exact for small integers n (exponents, quadrant counts).
    """
    mant = 53 if bits == 64 else 24
    keep = keep or mant
    e = int(mp.floor(mp.log(abs(value), 2)))
    scale = mp.mpf(2) ** (keep - 1 - e)
    hi = mp.nint(value * scale) / scale
    (lo,) = _round([value - hi], bits)
    return _round([hi], bits)[0], lo


def constants(bits: int) -> dict[str, float]:
    """Named constants of one precision, each split into hi + lo where that matters."""
    mant = 53 if bits == 64 else 24
    exp_bits = 11 if bits == 64 else 8  # |binary exponent| of any input, incl. subnormals
    pi = +mp.pi
    table = {"LOG2E": _round([1 / mp.log(2)], bits)[0], "TWO_OVER_PI": _round([2 / pi], bits)[0]}
    splits = {
        "LN2": (mp.log(2), None),  # full-width hi: exp's k*LN2 is exact inside an fma
        "LN2_E": (mp.log(2), mant - exp_bits),  # e * hi exact for any exponent e
        "LG2_E": (mp.log10(2), mant - exp_bits),
        "INV_LN2": (1 / mp.log(2), None),
        "INV_LN10": (1 / mp.log(10), None),
        "PIO4": (pi / 4, None),
        "PIO2": (pi / 2, None),
        "PI": (pi, None),
        "TWO_THIRDS": (mp.mpf(2) / 3, None),
    }
    for name, (value, keep) in splits.items():
        table[f"{name}_HI"], table[f"{name}_LO"] = _split(value, bits, keep)
    # pi/2 in three full-width parts for Cody-Waite reduction with fma.
    rest = pi / 2
    for i in (1, 2, 3):
        (part,) = _round([rest], bits)
        table[f"PIO2_{i}"] = part
        rest -= mp.mpf(part)
    return table


def _table_text(spec: FitSpec, bits: int) -> str:
    values, err = fit_rounded(spec, spec.degree[bits], bits)
    rerr = rounded_error(spec, values)
    lines = [
        f"# {spec.doc}",
        f"# degree {spec.degree[bits]}: minimax {float(err):.3g}, rounded {rerr:.3g}",
        f"{spec.name}_{bits} = (",
        *(f"    {v!r}," for v in values),
        ")",
    ]
    return "\n".join(lines)


def main(out=sys.stdout) -> None:
    """Print the coefficient module for every spec and both precisions."""
    print('"""Polynomial coefficients for the mathlib emitters, lowest order first.', file=out)
    print("", file=out)
    print("Generated by ``python -m symc.backends.llvm.mathlib_fit``; do not edit.", file=out)
    print('"""\n', file=out)
    for name in ("EXP_R", "LOG_Z", "TRIG_Z", "ATAN_Z", "ASIN_Z", "TANH_X", "SINH_X"):
        print(f"{name} = {globals()[name]!r}", file=out)
    print(f"ERF_X0 = {ERF_X0!r}\nERFC_K = {ERFC_K!r}\nERF_XMAX = {ERF_XMAX!r}\n", file=out)
    for bits in (64, 32):
        print(f"CONST_{bits} = {{", file=out)
        for name, value in constants(bits).items():
            print(f'    "{name}": {value!r},', file=out)
        print("}\n", file=out)
    jobs = [(spec, bits) for spec in SPECS for bits in (64, 32)]
    jobs += [(_erfc_spec(bits), bits) for bits in (64, 32)]
    print("\n\n".join(_table_text(spec, bits) for spec, bits in jobs), file=out)


if __name__ == "__main__":
    main()
