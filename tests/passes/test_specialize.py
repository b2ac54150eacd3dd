"""Specialization: powers and divisions by special constants become cheaper ops."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.passes.pipeline import canonicalize, specialize

from .graphs import FIXED_POINT, QUIET_NUMPY, assert_same_values, ops, rewritten

pytestmark = [QUIET_NUMPY, FIXED_POINT]

SPECIAL = np.array([-np.inf, -2.5, -0.0, 0.0, 1e-310, 0.7, 3.0, np.inf, np.nan])


@pytest.mark.parametrize("exponent, expected", [
    (2, ["sqr"]), (2.0, ["sqr"]), (0.5, ["sqrt"]), (-1, ["reciprocal"]), (1, []),
    (3, ["sqr", "mul"]), (4, ["sqr", "sqr"]),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_power_by_special_exponent(exponent, expected, dtype):
    x = symc.vector("x", dtype=dtype)
    out = x ** exponent
    assert ops(rewritten([x], out, canonicalize, specialize)) == expected
    # sqrt/square/reciprocal are exactly NumPy's power here; products differ by rounding
    assert_same_values([x], out, [SPECIAL.astype(dtype)], rtol=1e-6 if dtype == "float32" else
                       1e-15)


def test_integer_powers_by_multiplication_wrap_like_power():
    x = symc.bvector("x")
    out = x ** 3
    assert ops(rewritten([x], out, canonicalize, specialize)) == ["sqr", "mul"]
    assert_same_values([x], out, [np.array([-128, -7, 0, 9, 127], "int8")])


def test_power_converts_the_base_to_the_loop_dtype():
    x = symc.bvector("x")
    out = x ** np.int64(2)  # int8 ** int64 is int64: square in int64, not int8
    assert ops(rewritten([x], out, canonicalize, specialize)) == ["cast", "sqr"]
    assert_same_values([x], out, [np.array([-128, 100, 127], "int8")])


@pytest.mark.parametrize("dtype, exponent", [
    ("int32", -1),      # integer to a negative power raises in NumPy
    ("float16", 0.5),   # float16 pow is not sqrt (pow(-inf, 0.5) = inf)
    ("float16", -1),
    ("float64", 2.5),   # not special
    ("float64", 5),     # too big to pay off
])
def test_power_kept(dtype, exponent):
    x = symc.vector("x", dtype=dtype)
    out = x ** exponent
    assert ops(rewritten([x], out, canonicalize, specialize)) == ["pow"]


def test_float16_sqrt_kept_and_equal():
    x = symc.vector("x", dtype="float16")
    assert_same_values([x], x ** 0.5, [SPECIAL.astype("float16")])


@pytest.mark.parametrize("divisor", [2, 0.25, 1024.0, -8, np.float32(4)])
def test_division_by_power_of_two_is_multiplication(divisor):
    x = symc.vector("x", dtype="float32")
    out = x / divisor
    fgraph = rewritten([x], out, canonicalize, specialize)
    assert ops(fgraph) == ["mul"]
    assert_same_values([x], out, [SPECIAL.astype("float32")], rtol=0)  # exact


def test_integer_division_by_two():
    x = symc.ivector("x")
    out = x / 2
    assert ops(rewritten([x], out, canonicalize, specialize)) == ["mul"]
    assert_same_values([x], out, [np.array([-7, 2**31 - 1, 3], "int32")], rtol=0)


@pytest.mark.parametrize("divisor", [3.0, 0.1, 0.0, np.float64(2.0**-1074), 2.0**-140])
def test_division_kept_when_the_inverse_is_not_exact(divisor):
    x = symc.vector("x", dtype="float32")
    out = x / divisor
    assert ops(rewritten([x], out, canonicalize, specialize)) == ["true_div"]
    assert_same_values([x], out, [SPECIAL.astype("float32")], rtol=0)
