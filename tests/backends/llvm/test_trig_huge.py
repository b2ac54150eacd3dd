"""sin, cos and tan of huge arguments: the Payne-Hanek reduction of ``mathlib_trig``.

Swept over every binade from 2^40 to the largest finite value (float32 and float64)
against NumPy (at most 4 ulp), checked against mpmath's correctly rounded values on random
huge arguments and on the hardest known double (whose ``x 2/pi`` lies within 2^-61 of an
integer, where NumPy itself is 8 ulp off), and run inside compiled functions, where loops
use the cheaper in-range variants and rerun with the exact ones when an argument is huge.
"""

from __future__ import annotations

import numpy as np
import pytest
from llvmlite import ir

import symc
from symc.backends.llvm.mathlib import math_function
from symc.backends.llvm.mathlib_trig import (
    ACCURATE_LIMIT,
    _two_over_pi_bits,
    in_range_variant,
    two_over_pi_table,
)

from .test_mathlib import MAX_ULP, build_kernels, log_uniform, mismatches, ulp_distance

NAMES = ("sin", "cos", "tan")
DTYPES = (np.float32, np.float64)
#: 6381956970095103 * 2^797: the double closest to a multiple of pi/2 (Muller, 2006)
HARDEST_DOUBLE = 6381956970095103 * 2.0**797


@pytest.fixture(scope="module")
def kernels():
    return build_kernels(NAMES, fast=False)


def _huge_sweep(dtype, n=60_000) -> np.ndarray:
    rng = np.random.default_rng(11)
    info = np.finfo(dtype)
    x = log_uniform(rng, dtype, n, lo_exp=40)  # every binade up to the largest
    edges = [ACCURATE_LIMIT, np.nextafter(ACCURATE_LIMIT, 0), info.max, 2.0**60 + 2**8]
    x = np.concatenate([x, np.array(edges, dtype=dtype), -np.array(edges, dtype=dtype)])
    return x[np.isfinite(x)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_huge_arguments_match_numpy(kernels, name, dtype):
    x = _huge_sweep(dtype)
    got = kernels(name, x)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x)
    bad = {k: m for k, m in mismatches(got, want).items() if m.any()}
    assert not bad, f"{name}: {[(k, x[m][:3], got[m][:3], want[m][:3]) for k, m in bad.items()]}"


def test_two_over_pi_bits_are_exact():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 1400
    assert _two_over_pi_bits(1300) == int(mpmath.floor(2 / mpmath.pi * mpmath.mpf(2) ** 1300))
    table = two_over_pi_table()
    assert len(table) == 4 and all(len(column) == len(table[0]) for column in table)
    assert all(0 <= value < 4 for column in table for value in column)


def _correctly_rounded(name: str, x: np.ndarray) -> np.ndarray:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 1300  # the 1024-bit integer part of x 2/pi, and 200 bits beyond
    fn = getattr(mpmath, name)
    return np.array([float(fn(mpmath.mpf(float(v)))) for v in x]).astype(x.dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", NAMES)
def test_huge_arguments_are_within_an_ulp_of_exact(kernels, name, dtype):
    rng = np.random.default_rng(12)
    x = log_uniform(rng, dtype, 150, lo_exp=48)
    x = x[np.isfinite(x)]
    if dtype == np.float64:
        x = np.concatenate([x, [HARDEST_DOUBLE, -HARDEST_DOUBLE]])
    limit = 3 if (name, dtype) == ("tan", np.float32) else 1  # float tan: see mathlib_trig
    assert ulp_distance(kernels(name, x), _correctly_rounded(name, x)).max() <= limit


def test_in_range_variant_only_for_trig():
    module = ir.Module()
    sin = math_function(module, "sin", ir.DoubleType())
    exp = math_function(module, "exp", ir.DoubleType())
    fast = in_range_variant(module, sin)
    assert fast.name == "symc.math.sin.f64.inrange" and in_range_variant(module, sin) is fast
    assert in_range_variant(module, exp) is None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_compiled_loops_rerun_exactly_when_an_argument_is_huge(dtype):
    """Elementwise (contiguous and strided) and reductions with a few huge arguments among
    ordinary ones: the in-range loop notices and the exact one reruns."""
    x, m = symc.vector("x", dtype=dtype), symc.matrix("m", dtype=dtype)
    elementwise = symc.function([x], [symc.sin(x), symc.cos(x * 3), symc.tan(x) * 2])
    reductions = symc.function([x, m], [symc.sin(x).sum(), symc.cos(m).sum(axis=1)])
    rng = np.random.default_rng(13)
    info = np.finfo(dtype)
    a = rng.uniform(-10, 10, 4001).astype(dtype)
    a[[7, 2000, 3999]] = [info.max / 4, -(2.0**60), 1e30]
    mat = rng.uniform(-1e25, 1e25, (40, 33)).astype(dtype)
    with np.errstate(all="ignore"):
        for data in (a, a[::-3]):
            got = elementwise(data)
            for value, want in zip(got, [np.sin(data), np.cos(data * 3), np.tan(data) * 2],
                                   strict=True):
                assert ulp_distance(value, want.astype(dtype)).max() <= MAX_ULP
        total, rows = reductions(a, mat)
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(total, np.sin(a.astype(np.float64)).sum(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rows, np.cos(mat.astype(np.float64)).sum(1), rtol=tol, atol=tol)
