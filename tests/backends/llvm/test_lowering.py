"""LLVM lowering of elementwise nodes: every table op runs as a kernel ("L" in the program's
tags) and gives the NumPy backend's values, on contiguous, broadcast, strided, reversed and
empty arrays and on NaN/±inf; casts with NumPy's x86 results for out-of-range floats;
float16 computed in float32 and rounded; Composites with several outputs.

All ops of one dtype share one compiled function (one LLVM module), so the whole table costs a
handful of compilations; the runtime layouts then exercise the kernels' contiguous, unit-stride
and generic-stride loops without recompiling.
"""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.graph.types import DTYPES
from symc.ops.composite import composite_from_graph
from symc.ops.elemwise import Elemwise
from symc.ops.reduce import Reduce
from symc.ops.scalar import SCALAR_OPS, Cast

LLVM = symc.Mode(None, "llvm")
NUMPY = symc.Mode(None, "numpy")
TOLERANCE = {"float64": 1e-13, "float32": 2e-6, "float16": 1e-3}
DTYPES_TESTED = ("float32", "float64", "int32", "int64", "bool")


def lowered(fn) -> dict:
    """``{op label: tag}`` for the Elemwise/Reduce nodes of a compiled function."""
    return {str(node.op): tag for node, tag in fn.program.tags.items()
            if isinstance(node.op, (Elemwise, Reduce))}


def assert_same(actual, expected, what=""):
    """Same dtype and shape; equal bits for ints and bools; floats within a few ulp with NaN
    positions and infinities' signs matching."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, what
    assert actual.shape == expected.shape, what
    if actual.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    tol = TOLERANCE[actual.dtype.name]
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=what)
    np.testing.assert_array_equal(np.isposinf(actual), np.isposinf(expected), err_msg=what)
    np.testing.assert_array_equal(np.isneginf(actual), np.isneginf(expected), err_msg=what)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=tol, atol=tol, err_msg=what)


def compile_pair(inputs, outputs):
    """The same graph compiled for the LLVM and the NumPy backend (no rewrites)."""
    return (symc.function(inputs, outputs, mode=LLVM, on_unused_input="ignore"),
            symc.function(inputs, outputs, mode=NUMPY, on_unused_input="ignore"))


def values(rng, dtype: str, shape) -> np.ndarray:
    """Test data: ordinary values plus NaN/±inf/±0 (floats) or extremes (ints)."""
    size = int(np.prod(shape))
    if dtype == "bool":
        return rng.random(size).reshape(shape) < 0.5
    if np.dtype(dtype).kind == "f":
        special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1e30, -2.0])
        data = rng.standard_normal(size) * 3
        data[: min(size, special.size)] = special[: min(size, special.size)]
        rng.shuffle(data)
        with np.errstate(over="ignore"):
            return data.astype(dtype).reshape(shape)
    info = np.iinfo(dtype)
    data = rng.integers(-20, 20, size)
    extremes = [info.min, info.max, 0, -1 if info.min else 2, 1]
    data = data.astype(dtype)
    data[: min(size, len(extremes))] = extremes[: min(size, len(extremes))]
    rng.shuffle(data)
    return data.reshape(shape)


def _applicable(op, variables):
    try:
        return Elemwise(op)(*variables[: op.nin])
    except TypeError:  # NumPy refuses these dtypes (e.g. -bool, float & float)
        return None


def _layouts(rng, dtype):
    """(name, [x, y, z, e]) runtime operand sets for vector inputs."""
    def v(n):
        return values(rng, dtype, (n,))

    exponent = rng.integers(0, 5, 24).astype(dtype)
    return [
        ("contiguous", [v(24), v(24), v(24), exponent]),
        ("broadcast", [v(24), v(1), v(24), exponent[:1]]),
        ("strided", [v(48)[::2], v(24)[::-1], v(72)[::-3], exponent[::-1]]),
        ("empty", [v(0), v(0), v(1), exponent[:0]]),
    ]


@pytest.fixture
def libm():
    """Compile with libm's functions: their accuracy on huge arguments (sin(1e30)) is what
    NumPy's is; symc's SIMD maths is tested on its own domain in test_mathlib.py."""
    with symc.config.change(simd_math=False):
        yield


@pytest.mark.parametrize("dtype", DTYPES_TESTED)
def test_every_table_op_is_lowered_and_matches_numpy(dtype, rng, libm):
    """One function holds every table op NumPy accepts for ``dtype``; all are kernels."""
    x, y, z = (symc.vector(n, dtype=dtype) for n in "xyz")
    e = symc.vector("e", dtype=dtype)  # non-negative exponents for integer pow
    outputs, names = [], []
    for name, op in SCALAR_OPS.items():
        args = [x, e] if name == "pow" and dtype != "bool" and dtype[0] != "f" else [x, y, z]
        out = _applicable(op, args)
        if out is not None:
            outputs.append(out)
            names.append(name)
    fast, ref = compile_pair([x, y, z, e], outputs)
    tags = lowered(fast)
    assert set(tags.values()) == {"L"}, {k: t for k, t in tags.items() if t != "L"}
    for layout, data in _layouts(rng, dtype):
        with np.errstate(all="ignore"):
            got, want = fast(*data), ref(*data)
        for name, a, b in zip(names, got, want, strict=True):
            assert_same(a, b, f"{name}({dtype}) on {layout} data")


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_broadcasting_and_strides_in_two_dimensions(dtype, rng):
    """Row against column, static and run-time broadcast dimensions, transposed and reversed
    operands: the contiguous, unit-stride and generic-stride loops all agree with NumPy."""
    x, y = symc.matrix("x", dtype=dtype), symc.matrix("y", dtype=dtype)
    row = symc.tensor("row", dtype=dtype, shape=(1, None))
    outs = [x + y, symc.switch(x < y, x, row * 2), symc.maximum(x, row) // (y + 3),
            (x * y).astype("float32")]
    fast, ref = compile_pair([x, y, row], outs)
    assert set(lowered(fast).values()) == {"L"}
    big = values(rng, dtype, (10, 12))
    cases = [
        (values(rng, dtype, (5, 6)), values(rng, dtype, (5, 6)), values(rng, dtype, (1, 6))),
        (values(rng, dtype, (5, 1)), values(rng, dtype, (1, 6)), values(rng, dtype, (1, 6))),
        (big[::2, ::2], big[1::2, 1::2][:, ::-1], big[:1, ::-2]),
        (values(rng, dtype, (6, 5)).T, values(rng, dtype, (1, 1)), values(rng, dtype, (1, 6))),
        (values(rng, dtype, (0, 6)), values(rng, dtype, (1, 6)), values(rng, dtype, (1, 6))),
    ]
    for args in cases:
        with np.errstate(all="ignore"):
            for a, b in zip(fast(*args), ref(*args), strict=True):
                assert_same(a, b, f"shapes {[np.shape(v) for v in args]}")


@pytest.mark.parametrize("src", DTYPES_TESTED + ("float16", "uint8", "uint64", "int8"))
def test_casts_to_every_dtype(src, rng):
    """Casts match ``astype``, including NaN/inf/out-of-range floats to ints (x86 results)."""
    x = symc.vector("x", dtype=src)
    outs = [Elemwise(Cast(dst))(x) for dst in DTYPES if dst != src]
    fast, ref = compile_pair([x], outs)
    assert set(lowered(fast).values()) == {"L"}
    data = values(rng, src, (40,))
    if np.dtype(src).kind == "f":
        with np.errstate(over="ignore"):
            extra = np.array([3e9, -3e9, 2.0**63, 2.0**64 + 2**20, 1.5e19, -0.99, 300.7, 65504,
                              7e4, 1e-8], dtype=np.float64).astype(src)
        data = np.concatenate([data, extra])
    with np.errstate(all="ignore"):
        for a, b in zip(fast(data), ref(data), strict=True):
            assert_same(a, b, f"cast {src} -> {a.dtype}")


def test_float64_to_float16_rounds_once():
    """double -> half rounds like NumPy (no double rounding through float32)."""
    x = symc.vector("x")
    fast, _ = compile_pair([x], [x.astype("float16")])
    rng = np.random.default_rng(1)
    data = rng.standard_normal(20000) * 10.0 ** rng.integers(-8, 6, 20000)
    halfway = np.float16(1.5).astype(np.float64) + 2.0**-11 + 2.0**-40  # just above a tie
    data = np.concatenate([data, [halfway, -halfway, 65519.99, 65520.0, 2.0**-25]])
    with np.errstate(over="ignore"):
        want = data.astype(np.float16)
    np.testing.assert_array_equal(fast(data)[0].view(np.uint16), want.view(np.uint16))


def test_float16_ops_compute_in_float32():
    """exp(int8) is float16 in NumPy; so is the kernel's result, rounded per op."""
    b = symc.vector("b", dtype="int8")
    h = symc.vector("h", dtype="float16")
    outs = [symc.exp(b), h * h + h, symc.sqrt(h), symc.maximum(h, b)]
    fast, ref = compile_pair([b, h], outs)
    assert set(lowered(fast).values()) == {"L"}
    bd = np.arange(-8, 8, dtype=np.int8)
    hd = np.linspace(-3, 40, 16).astype(np.float16)
    with np.errstate(all="ignore"):
        for a, w in zip(fast(bd, hd), ref(bd, hd), strict=True):
            assert_same(a, w, str(a.dtype))


def test_composite_with_several_outputs(rng):
    """A Composite node computes all its outputs in one loop."""
    x, y = symc.vector("x"), symc.vector("y", dtype="int32")
    s = x * 2 + y
    comp = composite_from_graph([x, y], [s, symc.exp(s) > 3, y // 3])
    outs = Elemwise(comp)(x, y)
    fast, ref = compile_pair([x, y], outs)
    assert lowered(fast) == {str(outs[0].owner.op): "L"}
    xd, yd = rng.standard_normal(100), rng.integers(-50, 50, 100).astype(np.int32)
    for layout in (slice(None), slice(None, None, -3), slice(0, 0)):
        for a, w in zip(fast(xd[layout], yd[layout]), ref(xd[layout], yd[layout]), strict=True):
            assert_same(a, w)


def test_integer_division_and_modulo_edge_cases():
    """Division by zero gives 0 and INT_MIN // -1 wraps, like NumPy, without trapping."""
    a, b = symc.lvector("a"), symc.lvector("b")
    fast, ref = compile_pair([a, b], [a // b, a % b, symc.reciprocal(b)])
    big = np.iinfo(np.int64)
    ad = np.array([big.min, big.min, 7, -7, 7, -7, 0, 5, big.max], dtype=np.int64)
    bd = np.array([-1, 0, 2, 2, -2, -2, 0, 0, -1], dtype=np.int64)
    with np.errstate(all="ignore"):
        for got, want in zip(fast(ad, bd), ref(ad, bd), strict=True):
            assert_same(got, want)


def test_float_floor_div_mod_follow_python_signs():
    """np.floor_divide / np.mod on floats: Python's sign rules, NaN and inf handling."""
    a, b = symc.vector("a"), symc.vector("b")
    fast, ref = compile_pair([a, b], [a // b, a % b])
    ad = np.array([np.inf, -1.0, 1.0, 0.0, -0.0, 5.0, np.nan, -3.0, 7.5, -7.5, 1e308])
    bd = np.array([2.0, np.inf, 0.0, 0.0, 3.0, -0.0, 1.0, -np.inf, -2.0, 2.0, 1e-308])
    with np.errstate(all="ignore"):
        for got, want in zip(fast(ad, bd), ref(ad, bd), strict=True):
            assert_same(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_negative_integer_power_raises_like_numpy():
    """NumPy refuses integers to negative powers; so does the kernel (through its status)."""
    a, b = symc.ivector("a"), symc.ivector("b")
    fast, ref = compile_pair([a, b], a ** b)
    ok = np.array([2, 3, -2], dtype=np.int32), np.array([10, 0, 31], dtype=np.int32)
    assert_same(fast(*ok), ref(*ok))
    bad = np.array([2, 3], dtype=np.int32), np.array([1, -1], dtype=np.int32)
    with pytest.raises(ValueError, match="negative integer powers"):
        ref(*bad)
    with pytest.raises(ValueError, match="negative integer powers"):
        fast(*bad)


def test_maximum_minimum_propagate_nan_and_sign_is_nan():
    """maximum/minimum propagate NaN from either side (not LLVM's maxnum); sign(NaN) is NaN."""
    a, b = symc.vector("a"), symc.vector("b")
    fast, ref = compile_pair([a, b], [symc.maximum(a, b), symc.minimum(a, b), symc.sign(a),
                                      symc.clip(a, -1.0, b)])
    ad = np.array([np.nan, 1.0, np.nan, -0.0, 2.0, -np.inf])
    bd = np.array([1.0, np.nan, np.nan, 0.0, np.inf, 3.0])
    for got, want in zip(fast(ad, bd), ref(ad, bd), strict=True):
        assert_same(got, want)


def test_weak_constant_out_of_range_is_left_to_numpy():
    """``int8 + 300``: NumPy raises OverflowError; the kernel must not silently wrap."""
    x = symc.bvector("x")
    out = Elemwise(SCALAR_OPS["add"])(x, symc.constant(300))
    fast = symc.function([x], out, mode=LLVM)
    assert set(lowered(fast).values()) == {"Py"}
    with pytest.raises(OverflowError):
        fast(np.zeros(3, dtype=np.int8))


def test_zero_dimensional_inputs_accept_numpy_scalars():
    """0-d operands may be 0-d arrays, NumPy scalars or Python numbers."""
    s, t = symc.dscalar("s"), symc.lscalar("t")
    fast, ref = compile_pair([s, t], [s * 2 + t, (s > t) | (t < 0)])
    for args in [(np.float64(1.5), np.int64(3)), (np.array(2.5), np.array(-1)), (0.25, 7)]:
        for got, want in zip(fast(*args), ref(*args), strict=True):
            assert_same(got, want)
