"""Stabilization: unstable expressions become stable ones, keeping NumPy's NaN/inf."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.passes.pipeline import canonicalize, stabilize

from .graphs import FIXED_POINT, QUIET_NUMPY, REFERENCE, assert_same_values, ops, rewritten

pytestmark = [QUIET_NUMPY, FIXED_POINT]

VALUES = np.array([-np.inf, -3.0, -1.0, -1e-20, 0.0, 1e-20, 0.5, 40.0, np.inf, np.nan])


def stable(inputs, out, values):
    """The fast_run value of ``out``."""
    return symc.function(inputs, out, mode=symc.Mode("fast_run", "numpy"))(*values)


def test_log_one_plus():
    x = symc.vector("x")
    out = symc.log(1 + x)
    assert ops(rewritten([x], out, canonicalize, stabilize)) == ["log1p"]
    got = stable([x], out, [VALUES])
    np.testing.assert_allclose(got, np.log1p(VALUES), rtol=1e-15, equal_nan=True)
    assert got[5] == 1e-20  # log(1 + 1e-20) rounds to 0


def test_log_one_plus_kept_for_wrapping_integers():
    x = symc.bvector("x")
    out = symc.log(x + 1)  # 127 + 1 wraps to -128 in int8: log gives NaN, log1p would not
    assert ops(rewritten([x], out, canonicalize, stabilize)) == ["add", "log"]
    assert_same_values([x], out, [np.array([127, 0, 3], "int8")], rtol=1e-3)


def test_exp_minus_one():
    x = symc.vector("x")
    for out in (symc.exp(x) - 1, symc.exp(x) + -1):
        assert ops(rewritten([x], out, canonicalize, stabilize)) == ["expm1"]
    got = stable([x], symc.exp(x) - 1, [VALUES])
    np.testing.assert_allclose(got, np.expm1(VALUES), rtol=1e-15, equal_nan=True)


def test_exp_minus_one_kept_when_the_dtype_changes():
    x = symc.vector("x", dtype="float32")
    out = symc.exp(x) - np.float64(1.0)  # float32 exp, then float64 subtraction
    assert ops(rewritten([x], out, canonicalize, stabilize)) == ["exp", "sub"]


def test_log_sigmoid():
    x = symc.vector("x")
    out = symc.log(symc.sigmoid(x))
    assert ops(rewritten([x], out, canonicalize, stabilize)) == ["neg", "softplus", "neg"]
    values = np.array([-800.0, -1.0, 0.0, 3.0, np.inf, -np.inf, np.nan])
    got = stable([x], out, [values])
    assert got[0] == -800.0  # the original underflows to log(0) = -inf
    ref = symc.function([x], out, mode=REFERENCE)(values)
    np.testing.assert_allclose(got[1:], ref[1:], rtol=1e-12, equal_nan=True)


def test_log_one_minus_sigmoid():
    x = symc.vector("x")
    out = symc.log(1 - symc.sigmoid(x))
    assert ops(rewritten([x], out, canonicalize, stabilize)) == ["softplus", "neg"]
    values = np.array([800.0, -1.0, 0.0, 3.0, np.inf, -np.inf, np.nan])
    got = stable([x], out, [values])
    assert got[0] == -800.0
    ref = symc.function([x], out, mode=REFERENCE)(values)
    np.testing.assert_allclose(got[1:], ref[1:], rtol=1e-12, equal_nan=True)


def test_log_sigmoid_of_integers_uses_the_float_dtype():
    x = symc.bvector("x")
    out = symc.log(symc.sigmoid(x))  # neg(int8 -128) would wrap: negate in float16 instead
    got = stable([x], out, [np.array([-128, 0, 127], "int8")])
    assert got.dtype == "float16"
    # float16 sigmoid(-128) underflows, so the original gives log(0) = -inf
    np.testing.assert_allclose(got, [-128.0, np.log(0.5), 0.0], rtol=1e-3)


def lse(x, **kw):
    return symc.log(symc.sum(symc.exp(x), **kw))


def test_log_sum_exp_is_stable():
    x = symc.vector("x")
    fgraph = rewritten([x], lse(x), canonicalize, stabilize)
    assert ops(fgraph).count("Reduce") == 2 and ops(fgraph).count("switch") == 1  # max, sum
    got = stable([x], lse(x), [np.array([1000.0, 1000.0])])
    assert got == pytest.approx(1000.0 + np.log(2.0))


@pytest.mark.parametrize("values", [
    [-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [-np.inf, 2.0], [np.inf, -np.inf],
    [1.0, 2.0, 3.0],
], ids=["all-neg-inf", "pos-inf", "nan", "some-neg-inf", "inf-and-neg-inf", "finite"])
def test_log_sum_exp_keeps_numpy_non_finite_results(values):
    x = symc.vector("x")
    assert_same_values([x], lse(x), [np.array(values)], rtol=1e-14)


@pytest.mark.parametrize("axis", [0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_log_sum_exp_over_axes(axis, keepdims):
    m = symc.matrix("m")
    out = lse(m, axis=axis, keepdims=keepdims)
    fgraph = rewritten([m], out, canonicalize, stabilize)
    assert "switch" in ops(fgraph)
    values = np.array([[0.5, -np.inf, 3.0], [-np.inf, -np.inf, -np.inf]])
    assert_same_values([m], out, [values], rtol=1e-14)


def test_log_sum_exp_kept_for_integers():
    x = symc.ivector("x")
    assert "switch" not in ops(rewritten([x], lse(x), canonicalize, stabilize))
