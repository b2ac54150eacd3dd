"""LLVM reductions: sum/prod/max/min/any/all over every axis set, with and without a fused
``pre`` Composite, against the NumPy backend: NaN propagation for max/min, int64 accumulation
of small ints and bools, empty reductions (identities, and NumPy's ValueError for max/min)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symc
from symc.ops.composite import composite_from_graph
from symc.ops.reduce import Reduce, reduce_dtype

from .test_lowering import assert_same, compile_pair, lowered

FOLDS = ("add", "mul", "maximum", "minimum", "or_", "and_")


def _axis_sets(ndim):
    return [axes for r in range(ndim + 1) for axes in itertools.combinations(range(ndim), r)]


def _reductions(x, folds=FOLDS):
    outs = []
    for fold in folds:
        for axes in _axis_sets(x.ndim):
            outs.append(Reduce(fold, axes, reduce_dtype(fold, x.dtype))(x))
    return outs


@pytest.mark.parametrize(("dtype", "ndim"), [("float64", 3), ("float32", 2), ("int8", 2),
                                             ("uint32", 2), ("bool", 3)])
def test_every_fold_over_every_axis_set(dtype, ndim, rng):
    """All axis sets, all folds; contiguous, transposed and reversed layouts."""
    x = symc.tensor("x", dtype=dtype, ndim=ndim)
    outs = _reductions(x)
    fast, ref = compile_pair([x], outs)
    assert set(lowered(fast).values()) == {"L"}
    shape = (4, 5, 6)[:ndim]
    if dtype == "bool":
        base = rng.random(shape) < 0.7
    elif dtype.startswith("float"):
        base = (rng.random(shape) + 0.5).astype(dtype)
    else:
        base = rng.integers(0, 4, shape).astype(dtype)
    turned = base.T.copy().T
    for data in (base, turned, base[::-1, ::-2]):
        with np.errstate(all="ignore"):
            for k, (a, b) in enumerate(zip(fast(data), ref(data), strict=True)):
                assert_same(a, b, f"{outs[k].owner.op} of {dtype} {data.strides}")


def test_max_min_propagate_nan_and_sum_handles_inf(rng):
    """A NaN anywhere in a max/min reduction gives NaN, as NumPy does (not LLVM's maxnum)."""
    x = symc.matrix("x")
    fast, ref = compile_pair([x], _reductions(x, ("add", "maximum", "minimum")))
    data = rng.standard_normal((6, 40))
    data[1, 3] = np.nan
    data[4, 39] = np.nan
    data[2, :] = -np.inf
    data[5, 7] = np.inf
    with np.errstate(invalid="ignore"):  # inf + -inf
        for a, b in zip(fast(data), ref(data), strict=True):
            assert_same(a, b)


def test_small_ints_and_bools_accumulate_in_int64():
    """sum/prod of int8 and bool are int64, without int8 overflow (NumPy's dtype rule)."""
    b, c = symc.bvector("b"), symc.vector("c", dtype="bool")
    outs = [b.sum(), b.prod(), c.sum(), c.prod(), b.max(), c.any(), c.all()]
    fast, ref = compile_pair([b, c], outs)
    assert set(lowered(fast).values()) == {"L"}
    bd = np.full(1000, 100, dtype=np.int8)
    cd = np.ones(1000, dtype=bool)
    for a, w in zip(fast(bd, cd), ref(bd, cd), strict=True):
        assert_same(a, w)
    assert fast(bd, cd)[0] == 100000


def test_empty_reductions(rng):
    """Sums of nothing are 0, products 1, any False, all True; max/min raise ValueError."""
    x = symc.matrix("x")
    fast, ref = compile_pair([x], _reductions(x, ("add", "mul", "or_", "and_")))
    for data in (np.zeros((0, 3)), np.zeros((3, 0)), np.zeros((0, 0))):
        for a, b in zip(fast(data), ref(data), strict=True):
            assert_same(a, b)
    top, top0, top1 = (symc.function([x], x.max(axis=a), mode="FAST_RUN") for a in (None, 0, 1))
    for fn in (top, top0):
        with pytest.raises(ValueError, match="zero-size array to reduction operation maximum"):
            fn(np.zeros((0, 3)))
    assert top1(np.zeros((0, 3))).shape == (0,)  # nothing is reduced over an empty axis


def test_fused_reduction_of_a_composite(rng):
    """Sum{Composite}: the pi kernel's shape, with broadcasting inputs and per-axis sums."""
    x, y = symc.matrix("x"), symc.tensor("y", shape=(1, None))
    comp = composite_from_graph([x, y], [x * x + y * y <= 1])
    outs = [Reduce("add", axes, "int64", pre=comp)(x, y) for axes in _axis_sets(2)]
    comp2 = composite_from_graph([x, y], [symc.exp(x) - y])
    outs += [Reduce("maximum", (1,), "float64", pre=comp2)(x, y)]
    fast, ref = compile_pair([x, y], outs)
    assert set(lowered(fast).values()) == {"L"}
    xd, yd = rng.random((30, 50)), rng.random((1, 50))
    for args in ((xd, yd), (xd[::-1, ::3], yd[:, ::3]), (xd.T.copy().T, yd)):
        for a, b in zip(fast(*args), ref(*args), strict=True):
            assert_same(a, b)


def test_pi_value_matches_numpy(rng):
    """The Monte-Carlo pi graph, fused by FAST_RUN, gives NumPy's value exactly."""
    x, y = symc.vector("x"), symc.vector("y")
    f = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
    assert "L" in f.program.tags.values()
    xd, yd = rng.random(30001), rng.random(30001)
    assert f(xd, yd) == 4 * np.sum(xd**2 + yd**2 <= 1) / 30001
