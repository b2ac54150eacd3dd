"""The vocabulary beyond single scalar ops, against NumPy in every mode: reductions, dot/@/outer,
transposes, dimshuffle, reshape, flatten, astype, shapes, basic indexing, where/switch, clip.

Tolerances: integer and boolean results must be equal bit for bit. Float results of data
movement (transpose, reshape, indexing, where, clip, max/min) must be exact; sums, products,
means and dot products may be accumulated in another order than NumPy's pairwise sums:
``rtol`` 1e-13 / ``atol`` 1e-12 for float64 and ``rtol`` 1e-5 / ``atol`` 1e-4 for float32
(inputs are small: at most 24 terms of magnitude <= 3).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symc

#: (rtol, atol) for results that accumulate (sum, prod, mean, dot); data movement is exact.
ACCUMULATED = {"float64": (1e-13, 1e-12), "float32": (1e-5, 1e-4), "float16": (1e-3, 1e-2)}
EXACT = {"float64": (0.0, 0.0), "float32": (0.0, 0.0), "float16": (0.0, 0.0)}

ALL_DTYPES = ("float32", "float64", "int8", "int32", "int64", "uint8", "bool")


def assert_matches(actual, expected, what: str, tol=EXACT) -> None:
    """ndarray, dtype, shape and values of ``actual`` equal NumPy's ``expected``."""
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray), f"{what}: got {type(actual).__name__}, not an ndarray"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, NumPy {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, NumPy {expected.shape}"
    if expected.dtype.kind == "f":
        rtol, atol = tol[expected.dtype.name]
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, strict=True, err_msg=what)


def random_values(rng, dtype: str, shape: tuple, lo: int = -3, hi: int = 3) -> np.ndarray:
    """Small values of ``dtype`` (ties likely for integers: argmax must pick the first)."""
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, hi + 3, shape).astype(dtype)
    if np.dtype(dtype).kind == "i":
        return rng.integers(lo, hi + 1, shape).astype(dtype)
    return rng.uniform(lo, hi, shape).astype(dtype)


def layouts(array: np.ndarray) -> dict[str, np.ndarray]:
    """``array``'s values in a contiguous, a strided, a reversed and a transposed layout."""
    big = np.repeat(array, 2, axis=0) if array.ndim else array
    return {
        "contiguous": array,
        "strided": big[::2] if array.ndim else array,
        "reversed": np.ascontiguousarray(array[::-1])[::-1] if array.ndim else array,
        "transposed": np.asfortranarray(array),
    }


def run(fn, args):
    """Call ``fn`` ignoring NumPy's floating-point warnings (NaN and inf are expected)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def numpy_value(fn, *args, **kwargs):
    """NumPy's result, warnings ignored."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(fn(*args, **kwargs))


# -- reductions -----------------------------------------------------------------------------------

REDUCE_AXES = [None, 0, 1, -1, (0, 2), (-1, -3), (2, 0, 1), ()]
REDUCTIONS = ["sum", "prod", "max", "min", "any", "all", "mean"]
NUMPY_REDUCTIONS = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any,
                    "all": np.all, "mean": np.mean}
ACCUMULATING = {"sum", "prod", "mean"}


def reduction_data(rng, dtype: str) -> dict[str, np.ndarray]:
    """Data sets for a (2, 3, 4) input: layouts, and NaN/inf for floats."""
    sets = layouts(random_values(rng, dtype, (2, 3, 4)))
    if dtype.startswith("float"):
        with_nan = random_values(rng, dtype, (2, 3, 4))
        with_nan[0, 1, 2] = np.nan
        with_nan[1, 2, 0] = np.inf
        with_nan[1, 0, 3] = -np.inf
        sets["nan_inf"] = with_nan
    return sets


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_matches_numpy(name, dtype, mode, rng):
    """Each reduction, for every axis form and keepdims, gives NumPy's value and dtype."""
    x = symc.tensor3("x", dtype=dtype)
    cases = [(axis, keep) for axis in REDUCE_AXES for keep in (False, True)]
    # Alternate the method and the function form: both are the user's vocabulary.
    outs = [getattr(x, name)(axis=axis, keepdims=keep) if k % 2 else
            getattr(symc, name)(x, axis=axis, keepdims=keep)
            for k, (axis, keep) in enumerate(cases)]
    fn = symc.function([x], outs, mode=mode)
    tol = ACCUMULATED if name in ACCUMULATING else EXACT
    for label, value in reduction_data(rng, dtype).items():
        for (axis, keep), actual in zip(cases, run(fn, [value]), strict=True):
            expected = numpy_value(NUMPY_REDUCTIONS[name], value, axis=axis, keepdims=keep)
            assert_matches(actual, expected, f"{name}(axis={axis}, keepdims={keep}) of {dtype} "
                           f"{label} in {mode}", tol)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "uint8", "int32", "uint32"])
def test_sum_and_prod_of_small_ints_accumulate_in_64_bits(dtype, mode):
    """``sum``/``prod`` of bool and small ints use NumPy's 64-bit accumulator: no wrap-around."""
    x = symc.vector("x", dtype=dtype)
    total, product = x.sum(), x.prod()
    assert total.dtype == np.sum(np.ones(1, dtype)).dtype.name
    assert product.dtype == np.prod(np.ones(1, dtype)).dtype.name
    assert total.dtype in ("int64", "uint64")
    fn = symc.function([x], [total, product], mode=mode)
    value = (np.full(300, True) if dtype == "bool" else
             np.full(300, 3 if dtype in ("int8", "uint8") else 30000 // 2, dtype=dtype))
    got_sum, got_prod = fn(value)
    assert_matches(got_sum, np.sum(value), f"sum of 300 {dtype} in {mode}")
    small = value[:12]
    assert_matches(fn(small)[1], np.prod(small), f"prod of 12 {dtype} in {mode}")


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_argmax_argmin_match_numpy(name, dtype, mode, rng):
    """First index of the extreme value (ties and NaN as NumPy), every axis form, int64."""
    x = symc.tensor3("x", dtype=dtype)
    cases = [(axis, keep) for axis in (None, 0, 1, -1, 2) for keep in (False, True)]
    outs = [getattr(x, name)(axis=axis, keepdims=keep) if k % 2 else
            getattr(symc, name)(x, axis=axis, keepdims=keep)
            for k, (axis, keep) in enumerate(cases)]
    assert all(o.dtype == "int64" for o in outs)
    fn = symc.function([x], outs, mode=mode)
    for label, value in reduction_data(rng, dtype).items():
        for (axis, keep), actual in zip(cases, run(fn, [value]), strict=True):
            expected = getattr(np, name)(value, axis=axis, keepdims=keep)
            assert_matches(actual, expected, f"{name}(axis={axis}, keepdims={keep}) of {dtype} "
                           f"{label} in {mode}")


def test_max_min_propagate_nan(mode):
    """``max``/``min`` return NaN when a NaN is reduced, as NumPy does (not ``fmax``)."""
    x = symc.dmatrix("x")
    fn = symc.function([x], [x.max(), x.min(axis=0), x.max(axis=1), symc.max(x, axis=(0, 1))],
                       mode=mode)
    value = np.array([[1.0, np.nan, -2.0], [4.0, 0.5, -np.inf]])
    got = fn(value)
    for actual, expected in zip(got, [np.max(value), np.min(value, axis=0), np.max(value, axis=1),
                                      np.max(value)], strict=True):
        assert_matches(actual, numpy_value(lambda v: v, expected), f"NaN reduction in {mode}")
    assert np.isnan(got[0]) and np.isnan(got[1][1]) and np.isnan(got[2][0])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
def test_reductions_of_empty_arrays(dtype, mode):
    """sum of nothing is 0, prod 1, any False, all True, mean NaN; max/argmax of nothing raise."""
    x = symc.matrix("x", dtype=dtype)
    outs = [x.sum(), x.prod(), x.any(), x.all(), x.sum(axis=0), x.prod(axis=1), x.mean(axis=0),
            x.max(axis=1)]
    fn = symc.function([x], outs, mode=mode)
    value = np.zeros((0, 3), dtype)
    expected = [np.sum(value), np.prod(value), np.any(value), np.all(value), value.sum(axis=0),
                value.prod(axis=1), numpy_value(lambda: np.mean(value, axis=0)),
                np.max(value, axis=1)]
    for k, (actual, want) in enumerate(zip(run(fn, [value]), expected, strict=True)):
        assert_matches(actual, want, f"empty reduction {k} of {dtype} in {mode}", ACCUMULATED)
    assert float(run(fn, [value])[0]) == 0
    for make in (lambda v: v.max(), lambda v: v.min(axis=0), lambda v: v.argmax(),
                 lambda v: v.argmin(axis=0)):
        bad = symc.function([x], make(x), mode=mode)
        with pytest.raises(ValueError):
            bad(value)


# -- dot, @ and outer -----------------------------------------------------------------------------

DOT_DTYPES = [("float64", "float64"), ("float32", "float32"), ("int32", "int32"),
              ("int64", "int64"), ("bool", "bool"), ("float32", "float64"), ("int32", "float32"),
              ("int64", "int32"), ("bool", "float64")]


@pytest.mark.parametrize(("da", "db"), DOT_DTYPES, ids=[f"{a}-{b}" for a, b in DOT_DTYPES])
def test_dot_matmul_outer_for_every_pairing(da, db, mode, rng):
    """Vector/matrix × vector/matrix by ``dot``, ``@``, ``.dot``; ``outer``; empty inner dims."""
    av, am = symc.vector("av", dtype=da), symc.matrix("am", dtype=da)
    bv, bm = symc.vector("bv", dtype=db), symc.matrix("bm", dtype=db)
    cases = [
        ("dot(v, v)", symc.dot(av, bv), lambda a, A, b, B: np.dot(a, b)),
        ("dot(v, M)", symc.dot(av, bm), lambda a, A, b, B: np.dot(a, B)),
        ("dot(M, v)", symc.dot(am, bv), lambda a, A, b, B: np.dot(A, b)),
        ("dot(M, M)", symc.dot(am, bm), lambda a, A, b, B: np.dot(A, B)),
        ("v @ v", av @ bv, lambda a, A, b, B: a @ b),
        ("v @ M", av @ bm, lambda a, A, b, B: a @ B),
        ("M @ v", am @ bv, lambda a, A, b, B: A @ b),
        ("M @ M", am @ bm, lambda a, A, b, B: A @ B),
        ("M.dot(v)", am.dot(bv), lambda a, A, b, B: A.dot(b)),
        ("outer(v, v)", symc.outer(av, bv), lambda a, A, b, B: np.outer(a, b)),
        ("outer(M, v)", symc.outer(am, bv), lambda a, A, b, B: np.outer(A, b)),
    ]
    fn = symc.function([av, am, bv, bm], [c[1] for c in cases], mode=mode)
    for k in (3, 0):  # k = 0: empty inner dimension, the sums are empty (zeros)
        values = [random_values(rng, da, (k,)), random_values(rng, da, (2, k)),
                  random_values(rng, db, (k,)), random_values(rng, db, (k, 4))]
        for label in ("contiguous", "strided", "reversed", "transposed"):
            args = [layouts(v)[label] for v in values]
            for (what, _, ref), actual in zip(cases, run(fn, args), strict=True):
                assert_matches(actual, numpy_value(ref, *args),
                               f"{what} of {da}, {db} (inner {k}, {label}) in {mode}", ACCUMULATED)


def test_dot_rejects_higher_ranks():
    """``dot`` is defined here for vectors and matrices only."""
    with pytest.raises(TypeError, match="vector or a matrix"):
        symc.dot(symc.tensor3("t"), symc.vector("v"))


# -- transposes, dimshuffle, reshape, flatten, astype, shapes -------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
def test_shape_ops_match_numpy(dtype, mode, rng):
    """``.T``, transpose, dimshuffle, reshape (-1, symbolic dims), flatten, astype, ``.shape``."""
    x = symc.tensor3("x", dtype=dtype)
    m = symc.matrix("m", dtype=dtype)
    c = symc.tensor("c", dtype=dtype, shape=(None, 1))
    n = symc.lscalar("n")
    shp = symc.tensor("shp", dtype="int32", shape=(2,))
    cases = [
        (".T", m.T, lambda X, M, C, n, s: M.T),
        ("x.T", x.T, lambda X, M, C, n, s: X.T),
        ("transpose(1, 0, 2)", x.transpose(1, 0, 2), lambda X, M, C, n, s: X.transpose(1, 0, 2)),
        ("transpose((-1, 0, 1))", symc.transpose(x, (-1, 0, 1)),
         lambda X, M, C, n, s: np.transpose(X, (-1, 0, 1))),
        ("dimshuffle(2, x, 0, 1)", x.dimshuffle(2, "x", 0, 1),
         lambda X, M, C, n, s: X.transpose(2, 0, 1)[:, None]),
        ("dimshuffle(x, 1, 0)", m.dimshuffle("x", 1, 0), lambda X, M, C, n, s: M.T[None]),
        ("dimshuffle([0]) drops 1", c.dimshuffle([0]), lambda X, M, C, n, s: C[:, 0]),
        ("reshape((4, 6))", x.reshape((4, 6)), lambda X, M, C, n, s: X.reshape((4, 6))),
        ("reshape(4, 6)", x.reshape(4, 6), lambda X, M, C, n, s: X.reshape(4, 6)),
        ("reshape((-1, 2))", x.reshape((-1, 2)), lambda X, M, C, n, s: X.reshape((-1, 2))),
        ("reshape((n, -1))", x.reshape((n, -1)), lambda X, M, C, n, s: X.reshape((n, -1))),
        ("reshape((shape[0], -1))", x.reshape((x.shape[0], -1)),
         lambda X, M, C, n, s: X.reshape((X.shape[0], -1))),
        ("reshape(vector)", m.reshape(shp), lambda X, M, C, n, s: M.reshape(tuple(s))),
        ("reshape(24)", symc.reshape(x, 24), lambda X, M, C, n, s: X.reshape(24)),
        ("flatten()", x.flatten(), lambda X, M, C, n, s: X.flatten()),
        ("flatten(2)", x.flatten(2), lambda X, M, C, n, s: X.reshape(X.shape[0], -1)),
        ("astype(float32)", x.astype("float32"), lambda X, M, C, n, s: X.astype("float32")),
        ("astype(np.int16)", x.astype(np.int16), lambda X, M, C, n, s: X.astype(np.int16)),
        ("astype(bool)", symc.astype(m, "bool"), lambda X, M, C, n, s: M.astype(bool)),
        ("cast(uint8)", symc.cast(m, "uint8"),
         lambda X, M, C, n, s: M.astype("uint8")),
        (".shape", x.shape, lambda X, M, C, n, s: np.array(X.shape, dtype=np.int64)),
        ("shape(m)", symc.shape(m), lambda X, M, C, n, s: np.array(M.shape, dtype=np.int64)),
        (".shape[1]", x.shape[1], lambda X, M, C, n, s: np.int64(X.shape[1])),
        (".shape[-1]", x.shape[-1], lambda X, M, C, n, s: np.int64(X.shape[-1])),
        (".shape[0] * .shape[2]", x.shape[0] * x.shape[2],
         lambda X, M, C, n, s: np.int64(X.shape[0] * X.shape[2])),
    ]
    fn = symc.function([x, m, c, n, shp], [case[1] for case in cases], mode=mode)
    values = [random_values(rng, dtype, (2, 3, 4)), random_values(rng, dtype, (3, 4)),
              random_values(rng, dtype, (5, 1))]
    if dtype.startswith("float"):
        values[1] = values[1] * 40  # astype to uint8 must not see negative floats (undefined)
        values[1] = np.abs(values[1]).astype(dtype)
    for label in ("contiguous", "strided", "reversed", "transposed"):
        args = [layouts(v)[label] for v in values] + [np.int64(2), np.array([6, 2], np.int32)]
        for (what, _, ref), actual in zip(cases, run(fn, args), strict=True):
            assert_matches(actual, numpy_value(ref, *args), f"{what} of {dtype} {label} in {mode}")


def test_reshape_of_empty_and_0d(mode):
    """Reshape of an empty array (``-1`` resolves to 0) and of 0-d values to 1 element."""
    x = symc.dmatrix("x")
    s = symc.dscalar("s")
    fn = symc.function([x, s], [x.reshape((-1, 3)), s.reshape((1, 1)), s.flatten(),
                                x.reshape((0, 5))], mode=mode)
    xv = np.zeros((0, 6))
    got = fn(xv, 2.5)
    for actual, want in zip(got, [xv.reshape(-1, 3), np.array(2.5).reshape(1, 1),
                                  np.array(2.5).flatten(), xv.reshape(0, 5)], strict=True):
        assert_matches(actual, want, f"empty/0-d reshape in {mode}")


def test_static_shapes_are_inferred():
    """Static lengths flow through the graph where NumPy's rules make them known."""
    t = symc.tensor("t", shape=(2, 3, None))
    assert t.T.type.shape == (None, 3, 2)
    assert t.dimshuffle(1, "x", 0, 2).type.shape == (3, 1, 2, None)
    assert t.reshape((6, -1)).type.shape == (6, None)
    assert symc.tensor("u", shape=(2, 3, 4)).reshape((-1, 4)).type.shape == (6, 4)
    assert t[1:].type.shape == (1, 3, None)
    assert t[0, ::-1].type.shape == (3, None)
    assert (t + symc.tensor("w", shape=(1, 1, 5))).type.shape == (2, 3, 5)
    assert t.sum(axis=1).type.shape == (2, None)
    assert t.sum(axis=1, keepdims=True).type.shape == (2, 1, None)


# -- indexing -------------------------------------------------------------------------------------

INDEX_CASES = [
    ("v[2]", lambda v, M, X, i, j, a, b, k: v[2]),
    ("v[-1]", lambda v, M, X, i, j, a, b, k: v[-1]),
    ("v[i]", lambda v, M, X, i, j, a, b, k: v[i]),
    ("v[j]", lambda v, M, X, i, j, a, b, k: v[j]),
    ("v[1:5:2]", lambda v, M, X, i, j, a, b, k: v[1:5:2]),
    ("v[::-1]", lambda v, M, X, i, j, a, b, k: v[::-1]),
    ("v[-3:]", lambda v, M, X, i, j, a, b, k: v[-3:]),
    ("v[:-2]", lambda v, M, X, i, j, a, b, k: v[:-2]),
    ("v[5:1:-2]", lambda v, M, X, i, j, a, b, k: v[5:1:-2]),
    ("v[100:]", lambda v, M, X, i, j, a, b, k: v[100:]),
    ("v[a:]", lambda v, M, X, i, j, a, b, k: v[a:]),
    ("v[:b]", lambda v, M, X, i, j, a, b, k: v[:b]),
    ("v[a:b:k]", lambda v, M, X, i, j, a, b, k: v[a:b:k]),
    ("v[::k]", lambda v, M, X, i, j, a, b, k: v[::k]),
    ("M[:, 0]", lambda v, M, X, i, j, a, b, k: M[:, 0]),
    ("M[1]", lambda v, M, X, i, j, a, b, k: M[1]),
    ("M[i, j]", lambda v, M, X, i, j, a, b, k: M[i, j]),
    ("M[-1, -2]", lambda v, M, X, i, j, a, b, k: M[-1, -2]),
    ("M[1:, ::-2]", lambda v, M, X, i, j, a, b, k: M[1:, ::-2]),
    ("M[i, a:b]", lambda v, M, X, i, j, a, b, k: M[i, a:b]),
    ("M[::k, j]", lambda v, M, X, i, j, a, b, k: M[::k, j]),
    ("X[0, :, i]", lambda v, M, X, i, j, a, b, k: X[0, :, i]),
    ("X[:, a:, ::-1]", lambda v, M, X, i, j, a, b, k: X[:, a:, ::-1]),
    ("X[-1]", lambda v, M, X, i, j, a, b, k: X[-1]),
    ("X[1][j]", lambda v, M, X, i, j, a, b, k: X[1][j]),
]

#: (i, j) stay in bounds of every indexed axis (lengths >= 4); (a, b, k) are any slice parts.
INDEX_VALUES = [(1, 2, 1, 3, 1), (-2, -4, -5, -1, -1), (3, 0, 6, 0, -2), (0, -1, -100, 100, 3)]


@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_indexing_matches_numpy(dtype, mode, rng):
    """Basic indexing and slicing with constant and symbolic (int32/int64) indices."""
    v, M, X = (symc.vector("v", dtype=dtype), symc.matrix("M", dtype=dtype),
               symc.tensor3("X", dtype=dtype))
    i, j = symc.iscalar("i"), symc.lscalar("j")
    a, b, k = symc.lscalar("a"), symc.iscalar("b"), symc.lscalar("k")
    syms = (v, M, X, i, j, a, b, k)
    fn = symc.function(list(syms), [ref(*syms) for _, ref in INDEX_CASES], mode=mode)
    arrays = [random_values(rng, dtype, (7,)), random_values(rng, dtype, (4, 5)),
              random_values(rng, dtype, (2, 6, 4))]
    for label in ("contiguous", "reversed", "transposed"):
        for ints in INDEX_VALUES:
            args = [layouts(x)[label] for x in arrays] + [np.int32(ints[0]), np.int64(ints[1]),
                                                          np.int64(ints[2]), np.int32(ints[3]),
                                                          np.int64(ints[4])]
            for (what, ref), actual in zip(INDEX_CASES, run(fn, args), strict=True):
                assert_matches(actual, numpy_value(ref, *args),
                               f"{what} with (i, j, a, b, k)={ints}, {dtype} {label} in {mode}")


def test_index_out_of_bounds_raises_index_error(mode):
    """A symbolic index outside the axis raises NumPy's IndexError at run time."""
    v, i = symc.dvector("v"), symc.lscalar("i")
    fn = symc.function([v, i], v[i], mode=mode)
    assert float(fn(np.arange(3.0), -3)) == 0.0
    with pytest.raises(IndexError):
        fn(np.arange(3.0), 3)
    with pytest.raises(IndexError):
        fn(np.arange(3.0), -4)


def test_constant_index_out_of_static_bounds_fails_at_construction():
    """A constant index outside a statically known length is an IndexError when built."""
    with pytest.raises(IndexError):
        symc.tensor("t", shape=(3,))[3]


def test_indexing_rejects_float_and_advanced_indices():
    """Only ints, slices and integer scalars index (no floats, no arrays)."""
    v = symc.dvector("v")
    with pytest.raises(TypeError):
        v[1.0]
    with pytest.raises(TypeError):
        v[symc.dscalar("f")]
    with pytest.raises(TypeError):
        v[[0, 1]]


# -- where / switch / clip ------------------------------------------------------------------------

SELECT_DTYPES = [("float64", "float64"), ("float32", "int32"), ("int32", "int64"),
                 ("bool", "bool"), ("int64", "float32")]


@pytest.mark.parametrize(("da", "db"), SELECT_DTYPES, ids=[f"{a}-{b}" for a, b in SELECT_DTYPES])
def test_where_switch_clip_match_numpy(da, db, mode, rng):
    """where/switch pick like ``np.where`` (broadcasting, mixed dtypes); clip like ``np.clip``."""
    M, v = symc.matrix("M", dtype=da), symc.vector("v", dtype=db)
    cond, s = symc.tensor("cond", dtype="bool", shape=(None,)), symc.scalar("s", dtype=db)
    cases = [
        ("where(M > 0, M, 0.0)", symc.where(M > 0, M, 0.0),
         lambda M, v, c, s: np.where(M > 0, M, 0.0)),
        ("where(M, v, s)", symc.where(M, v, s), lambda M, v, c, s: np.where(M, v, s)),
        ("switch(cond, M, v)", symc.switch(cond, M, v), lambda M, v, c, s: np.where(c, M, v)),
        ("switch(s, M, 2)", symc.switch(s, M, 2), lambda M, v, c, s: np.where(s, M, 2)),
        ("where(lt(M, v), v, M)", symc.where(symc.lt(M, v), v, M),
         lambda M, v, c, s: np.where(M < v, v, M)),
        ("clip(M, -1, 1)", symc.clip(M, -1, 1), lambda M, v, c, s: np.clip(M, -1, 1)),
        ("M.clip(s, v)", M.clip(s, v), lambda M, v, c, s: np.clip(M, s, v)),
        ("clip(v, M, 2.5)", symc.clip(v, M, 2.5), lambda M, v, c, s: np.clip(v, M, 2.5)),
    ]
    fn = symc.function([M, v, cond, s], [c[1] for c in cases], mode=mode)
    values = [random_values(rng, da, (3, 4)), random_values(rng, db, (4,)),
              rng.integers(0, 2, 4).astype(bool)]
    for label in ("contiguous", "strided", "reversed", "transposed"):
        for scalar in (np.zeros((), db), np.ones((), db)):
            args = [layouts(x)[label] for x in values] + [scalar]
            for (what, _, ref), actual in zip(cases, run(fn, args), strict=True):
                assert_matches(actual, numpy_value(ref, *args),
                               f"{what} of {da}, {db} {label} s={scalar} in {mode}")


def test_where_and_switch_are_the_same_op():
    """``symc.where`` is ``symc.switch`` (API.md)."""
    c, a, b = symc.tensor("c", "bool", (None,)), symc.dvector("a"), symc.dvector("b")
    assert symc.where(c, a, b).owner.op == symc.switch(c, a, b).owner.op


# -- the elementwise functions by their API names -------------------------------------------------

UNARY_API = ("neg abs sign sqr sqrt exp exp2 log log2 log10 log1p expm1 sin cos tan arcsin "
             "arccos arctan sinh cosh tanh sigmoid softplus erf floor ceil round trunc isnan "
             "isinf").split()
BINARY_API = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "true_div": np.true_divide,
              "floor_div": np.floor_divide, "mod": np.mod, "pow": np.power, "arctan2": np.arctan2,
              "maximum": np.maximum, "minimum": np.minimum, "lt": np.less, "le": np.less_equal,
              "gt": np.greater, "ge": np.greater_equal, "eq": np.equal, "neq": np.not_equal}


def test_api_functions_and_operators_build_the_table_ops(mode, rng):
    """``symc.<name>`` and the operators compute the same as the table's NumPy functions."""
    from symc.ops.scalar import SCALAR_OPS

    x, y = symc.dvector("x"), symc.dvector("y")
    i, k = symc.lvector("i"), symc.lvector("k")
    outs = [getattr(symc, name)(x) for name in UNARY_API]
    outs += [getattr(symc, name)(x, y) for name in BINARY_API]
    ops = [x + y, x - y, x * y, x / y, x // y, x % y, abs(x) ** y, -x, abs(x), x < y, x <= y,
           x > y, x >= y, i & k, i | k, i ^ k, ~i, symc.and_(i, k), symc.or_(i, k),
           symc.xor(i, k), symc.invert(i), 2 - x, 3.0 / y, 2 ** y, 7 // k, 7 % k, 1 & i]
    fn = symc.function([x, y, i, k], outs + ops, mode=mode)
    xv, yv = rng.uniform(0.1, 0.9, 6), rng.uniform(0.5, 3.0, 6)
    iv, kv = rng.integers(-20, 20, 6), rng.integers(1, 9, 6)
    expected = [SCALAR_OPS[name].impl(xv) for name in UNARY_API]
    expected += [fn_(xv, yv) for fn_ in BINARY_API.values()]
    expected += [xv + yv, xv - yv, xv * yv, xv / yv, xv // yv, xv % yv, abs(xv) ** yv, -xv,
                 abs(xv), xv < yv, xv <= yv, xv > yv, xv >= yv, iv & kv, iv | kv, iv ^ kv, ~iv,
                 iv & kv, iv | kv, iv ^ kv, ~iv, 2 - xv, 3.0 / yv, 2 ** yv, 7 // kv, 7 % kv,
                 1 & iv]
    tol = {"float64": (4e-15, 4e-15)}
    for n, (actual, want) in enumerate(zip(fn(xv, yv, iv, kv), expected, strict=True)):
        assert_matches(actual, want, f"output {n} in {mode}", tol)


def test_eq_and_ne_are_not_overloaded():
    """``==`` keeps identity semantics so variables stay hashable (use ``symc.eq``)."""
    x, y = symc.dvector("x"), symc.dvector("y")
    assert (x == y) is False
    assert (x == x) is True
    assert {x: 1}[x] == 1
    with pytest.raises(TypeError):
        bool(x > y)


def test_constants_in_expressions(mode):
    """Arrays and Python numbers become constants; ``symc.constant`` keeps its dtype."""
    x = symc.ivector("x")
    c = symc.constant(np.arange(3, dtype=np.int16))
    fn = symc.function([x], [x + c, x * np.arange(3), x + symc.constant(2, dtype="int8")],
                       mode=mode)
    xv = np.array([5, -1, 7], np.int32)
    for actual, want in zip(fn(xv), [xv + np.arange(3, dtype=np.int16), xv * np.arange(3),
                                     xv + np.int8(2)], strict=True):
        assert_matches(actual, want, f"constant in {mode}")
