"""symc's vectorisable mathlib: accuracy against NumPy, special values, vectorisation.

Every function is JIT-compiled inside a plain loop kernel ``k(in..., out, n)`` (with a
small private llvmlite helper, independent of ``symc.backends.llvm.jit``) and compared
with NumPy's ufunc of the same dtype over uniform, log-uniform (whole finite range),
subnormal, threshold and special inputs: at most 4 ulp apart, NaN/inf exactly where NumPy
has them, and the same sign on zero results.
"""

from __future__ import annotations

import ctypes
import math
import re

import llvmlite.binding as llvm
import numpy as np
import pytest
from llvmlite import ir

from symc.backends.llvm.mathlib import SIMD_FUNCTIONS, math_function

MAX_ULP = 4
DTYPES = (np.float32, np.float64)
IR_TYPES = {np.float32: ir.FloatType(), np.float64: ir.DoubleType()}
TWO_ARG = {"pow", "arctan2"}
FAST_FLAGS = ("reassoc", "nsz", "arcp", "contract", "afn")
#: What clang puts on a function compiled with those flags (without nnan/ninf).
FAST_ATTRIBUTES = '"no-signed-zeros-fp-math"="true" "approx-func-fp-math"="true"'
#: |x| where sin/cos/tan switch to the Payne-Hanek reduction (mathlib_trig): the sweeps here
#: stay below it; tests/backends/llvm/test_trig_huge.py covers everything above.
TRIG_RANGE = 2.0**48

# --- a private JIT -------------------------------------------------------------------------


def _target_machine() -> llvm.TargetMachine:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(),
        features=llvm.get_host_cpu_features().flatten(),
        opt=3,
        codemodel="jitdefault",
    )


def _optimize(mod: llvm.ModuleRef, tm: llvm.TargetMachine) -> None:
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)


def kernel_name(name: str, dtype, fast: bool = False) -> str:
    return f"k_{name}_{np.dtype(dtype).name}{'_fast' if fast else ''}"


def add_kernel(module: ir.Module, name: str, dtype, fast: bool = False) -> None:
    """``void k(T* in0, [T* in1,] T* out, i64 n)``: ``out[i] = name(in0[i], ...)``.

    With ``fast``, the loop's own arithmetic and the call carry ``reassoc nsz arcp contract
    afn`` (the identities ``x * 1.0`` and ``y + -0.0``) and :func:`build_kernels` gives the
    kernel the matching function attributes, so the tests can check that the inlined
    function is unaffected.
    """
    ty = IR_TYPES[dtype]
    arity = 2 if name in TWO_ARG else 1
    ptr = ir.PointerType()
    fnty = ir.FunctionType(ir.VoidType(), [ptr] * (arity + 1) + [ir.IntType(64)])
    fn = ir.Function(module, fnty, kernel_name(name, dtype, fast))
    for arg in fn.args[:-1]:
        arg.add_attribute("noalias")
    *ins, out, n = fn.args
    math_fn = math_function(module, name, ty)
    entry, loop, done = (fn.append_basic_block(s) for s in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    b.cbranch(b.icmp_signed(">", n, ir.Constant(n.type, 0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(n.type)
    i.add_incoming(ir.Constant(n.type, 0), entry)
    args = [b.load(b.gep(p, [i], inbounds=True, source_etype=ty), typ=ty) for p in ins]
    if fast:
        args = [b.fmul(a, ir.Constant(ty, 1.0), flags=FAST_FLAGS) for a in args]
    y = b.call(math_fn, args, fastmath=FAST_FLAGS if fast else ())
    if fast:
        y = b.fadd(y, ir.Constant(ty, -0.0), flags=FAST_FLAGS)
    b.store(y, b.gep(out, [i], inbounds=True, source_etype=ty))
    nxt = b.add(i, ir.Constant(n.type, 1))
    i.add_incoming(nxt, loop)
    b.cbranch(b.icmp_signed("<", nxt, n), loop, done)
    b.position_at_end(done)
    b.ret_void()


class Kernels:
    """All kernels of one module, compiled once; call as ``kernels(name, x[, y])``."""

    def __init__(self, ir_text: str):
        tm = _target_machine()
        self.mod = llvm.parse_assembly(ir_text)
        self.mod.verify()
        _optimize(self.mod, tm)
        self.asm = tm.emit_assembly(self.mod)
        self.engine = llvm.create_mcjit_compiler(self.mod, _target_machine())
        self.engine.finalize_object()

    def __call__(self, name: str, *inputs: np.ndarray, fast: bool = False) -> np.ndarray:
        dtype = inputs[0].dtype.type
        inputs = [np.ascontiguousarray(a, dtype=dtype) for a in inputs]
        out = np.empty_like(inputs[0])
        addr = self.engine.get_function_address(kernel_name(name, dtype, fast))
        nptr = len(inputs) + 1
        cfn = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * nptr), ctypes.c_int64)(addr)
        cfn(*(a.ctypes.data for a in inputs), out.ctypes.data, out.size)
        return out


def build_kernels(names=SIMD_FUNCTIONS, fast: bool = True) -> Kernels:
    module = ir.Module("mathlib_test")
    module.triple = llvm.get_process_triple()
    for name in sorted(names):
        for dtype in DTYPES:
            add_kernel(module, name, dtype)
            if fast:
                add_kernel(module, name, dtype, fast=True)
    text = re.sub(r'(define void @"k_\w+_fast"\([^)]*\))', r"\1 " + FAST_ATTRIBUTES, str(module))
    return Kernels(text)


@pytest.fixture(scope="module")
def kernels() -> Kernels:
    return build_kernels()


# --- references and ulp distance -------------------------------------------------------------

_NUMPY_NAMES = {"pow": "power"}


def _erf(x: np.ndarray) -> np.ndarray:
    return np.frompyfunc(math.erf, 1, 1)(x.astype(np.float64)).astype(np.float64)


def reference(name: str, *inputs: np.ndarray) -> np.ndarray:
    """NumPy's answer in the inputs' dtype; for erf/sigmoid/softplus (no NumPy ufunc) a
    higher-precision value (math.erf, or 80-bit long double formulas) rounded to it."""
    dtype = inputs[0].dtype
    with np.errstate(all="ignore"):
        if name == "erf":
            return _erf(inputs[0]).astype(dtype)
        if name in ("sigmoid", "softplus"):
            x = inputs[0].astype(np.longdouble)
            e = np.exp(-np.abs(x))
            if name == "sigmoid":
                value = np.where(x >= 0, 1, e) / (1 + e)
            else:
                value = np.maximum(x, 0) + np.log1p(e)
            return np.where(np.isnan(x), x, value).astype(dtype)
        return getattr(np, _NUMPY_NAMES.get(name, name))(*inputs)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ulps between a and b (0 if both NaN, huge if only one is); -0.0 == +0.0 here."""
    itype = np.int64 if a.dtype == np.float64 else np.int32
    utype = np.uint64 if a.dtype == np.float64 else np.uint32
    lowest = np.iinfo(itype).min

    def ordered(v):
        i = v.view(itype)
        return np.where(i < 0, lowest - i, i).astype(itype)

    diff = (ordered(a).view(utype) - ordered(b).view(utype)).astype(utype)
    dist = np.minimum(diff, (-diff.astype(utype)).astype(utype))  # |difference|, wrapped
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    dist = np.where(nan_a & nan_b, 0, dist)
    return np.where(nan_a ^ nan_b, np.iinfo(utype).max, dist).astype(np.uint64)


def mismatches(got: np.ndarray, want: np.ndarray) -> dict[str, np.ndarray]:
    """Masks of the disagreements the tests forbid."""
    return {
        "ulp": ulp_distance(got, want) > MAX_ULP,
        "nan": np.isnan(got) != np.isnan(want),
        "inf": np.isinf(got) != np.isinf(want),
        "zero sign": (want == 0) & (got == 0) & (np.signbit(got) != np.signbit(want)),
    }


def describe(name, inputs, got, want, mask, limit=5) -> str:
    idx = np.flatnonzero(mask)[:limit]
    rows = [
        f"  in={[repr(a[i].item()) for a in inputs]} got={got[i].item()!r} want={want[i].item()!r}"
        for i in idx
    ]
    return f"{name}: {mask.sum()} of {mask.size} differ\n" + "\n".join(rows)


# --- inputs ------------------------------------------------------------------------------------


def specials(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    values = [
        0.0,
        1.0,
        2.0,
        0.5,
        3.0,
        10.0,
        100.0,
        np.inf,
        np.nan,
        info.tiny,
        info.max,
        info.smallest_subnormal,
        info.tiny / 3,
        info.eps,
        1 + info.eps,
        1 - info.eps / 2,
        np.pi,
        np.pi / 2,
        np.pi / 4,
        0.875,
        0.625,
        0.41421356,
        2.4142135,
    ]
    values = np.array(values, dtype=dtype)
    return np.concatenate([values, -values])


def log_uniform(rng, dtype, n, lo_exp=None, hi_exp=None, signed=True) -> np.ndarray:
    """|x| = m 2^e with e uniform over [lo_exp, hi_exp) (default: all normal exponents)."""
    info = np.finfo(dtype)
    lo_exp = info.minexp if lo_exp is None else lo_exp
    hi_exp = info.maxexp if hi_exp is None else hi_exp
    x = np.ldexp(rng.uniform(0.5, 1.0, n), rng.integers(lo_exp + 1, hi_exp + 1, n))
    if signed:
        x *= rng.choice([-1.0, 1.0], n)
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def subnormals(rng, dtype, n) -> np.ndarray:
    itype, nmant = (np.int64, 52) if dtype == np.float64 else (np.int32, 23)
    bits = rng.integers(1, 2**nmant, n, dtype=itype)
    x = bits.view(dtype).copy()
    x[::2] *= -1
    return x


def uniform(rng, dtype, lo, hi, n) -> np.ndarray:
    return rng.uniform(lo, hi, n).astype(dtype)


def near(rng, dtype, points, n, rel=1e-3) -> np.ndarray:
    """Values within ``rel`` of each of ``points`` (thresholds, poles, branch switches)."""
    pts = np.repeat(np.asarray(points, dtype=np.float64), n // len(points) + 1)[:n]
    return (pts * (1 + rng.uniform(-rel, rel, n))).astype(dtype)


def _typical(name: str, dtype) -> list[tuple[float, float]]:
    big = 88.0 if dtype == np.float32 else 709.0
    table = {
        "exp": [(-1, 1), (-big - 16, big + 1)],
        "exp2": [(-1, 1), (-160, 130), (-1100, 1030)],
        "expm1": [(-1, 1), (-50, big + 1)],
        "sinh": [(-2, 2), (-big - 2, big + 2)],
        "cosh": [(-2, 2), (-big - 2, big + 2)],
        "tanh": [(-1, 1), (-25, 25)],
        "sigmoid": [(-5, 5), (-800, 800)],
        "softplus": [(-5, 5), (-800, 800)],
        "erf": [(-1, 1), (-7, 7)],
        "log": [(0, 2), (0, 1e6)],
        "log2": [(0, 2), (0, 1e6)],
        "log10": [(0, 2), (0, 1e6)],
        "log1p": [(-1, 1), (-1, 1e6)],
        "sin": [(-7, 7), (-1e5, 1e5)],
        "cos": [(-7, 7), (-1e5, 1e5)],
        "tan": [(-7, 7), (-1e5, 1e5)],
        "arctan": [(-3, 3), (-1e4, 1e4)],
        "arcsin": [(-1, 1), (-1.1, 1.1)],
        "arccos": [(-1, 1), (-1.1, 1.1)],
    }
    return table[name]


_THRESHOLDS = {
    "exp": {np.float64: [709.78, -708.4, -745.13], np.float32: [88.72, -87.33, -103.97]},
    "exp2": {np.float64: [1024, -1022, -1074], np.float32: [128, -126, -149]},
    "expm1": {np.float64: [709.78, -37.4, 0.3466, -0.3466], np.float32: [88.72, -17.3, 0.3466]},
    "sinh": {np.float64: [710.47, -710.47, 1.0], np.float32: [89.41, -89.41, 1.0]},
    "cosh": {np.float64: [710.47, -710.47], np.float32: [89.41, -89.41]},
    "tanh": {np.float64: [0.625, 19.06], np.float32: [0.625, 9.01]},
    "erf": {np.float64: [0.875, 5.92], np.float32: [0.875, 3.92]},
    "sigmoid": {np.float64: [-708.4, -745.1, 36.7], np.float32: [-87.3, -103.9, 16.6]},
    "softplus": {np.float64: [-708.4, -745.1, 36.7], np.float32: [-87.3, -103.9, 16.6]},
    "log1p": {np.float64: [-0.5, -0.29, 0.41], np.float32: [-0.5, -0.29, 0.41]},
    "arcsin": {np.float64: [0.5, -0.5, 1.0, -1.0], np.float32: [0.5, -0.5, 1.0, -1.0]},
    "arccos": {np.float64: [0.5, -0.5, 1.0, -1.0], np.float32: [0.5, -0.5, 1.0, -1.0]},
    "arctan": {np.float64: [0.41421356, 2.41421356], np.float32: [0.41421356, 2.41421356]},
}


def unary_inputs(name: str, dtype, rng, n: int) -> np.ndarray:
    """Uniform, log-uniform, subnormal, threshold and special inputs for ``name``."""
    parts = [specials(dtype), subnormals(rng, dtype, n // 8)]
    for lo, hi in _typical(name, dtype):
        parts.append(uniform(rng, dtype, lo, hi, n // 4))
    if name in ("sin", "cos", "tan"):
        top = int(math.log2(TRIG_RANGE))
        parts.append(log_uniform(rng, dtype, n // 4, hi_exp=top))
        parts.append(near(rng, dtype, np.pi / 2 * np.arange(1, 2000), n // 8, rel=1e-7))
    else:
        parts.append(log_uniform(rng, dtype, n // 4))
    points = _THRESHOLDS.get(name, {}).get(dtype)
    if points:
        parts.append(near(rng, dtype, points, n // 8))
    x = np.concatenate(parts)
    return x[np.abs(x) < TRIG_RANGE] if name in ("sin", "cos", "tan") else x


def pow_inputs(dtype, rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    big = 700.0 if dtype == np.float64 else 85.0
    info = np.finfo(dtype)
    grid = np.array(
        [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            2.0,
            -2.0,
            3.0,
            -3.0,
            2.5,
            np.inf,
            -np.inf,
            np.nan,
            info.tiny,
            info.max,
            7.0,
            -7.0,
            info.smallest_subnormal,
        ],
        dtype=dtype,
    )
    gx, gy = (a.ravel() for a in np.meshgrid(grid, grid))
    x1 = log_uniform(rng, dtype, n, signed=False)
    y1 = uniform(rng, dtype, -3, 3, n)
    x2 = np.exp(uniform(rng, np.float64, -8, 8, n)).astype(dtype)  # results near over/underflow
    target = uniform(rng, np.float64, -big - 50, big + 15, n)
    with np.errstate(divide="ignore"):
        y2 = (target / np.log(x2.astype(np.float64))).astype(dtype)
    x3 = uniform(rng, dtype, -10, 10, n)  # negative bases with integer and other exponents
    y3 = np.where(rng.random(n) < 0.5, rng.integers(-40, 40, n), uniform(rng, dtype, -40, 40, n))
    x4 = subnormals(rng, dtype, n // 4)
    y4 = uniform(rng, dtype, -1.5, 1.5, n // 4)
    xs = np.concatenate([gx, x1, x2, x3, x4]).astype(dtype)
    ys = np.concatenate([gy, y1, y2, y3.astype(dtype), y4]).astype(dtype)
    return xs, ys


def arctan2_inputs(dtype, rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    grid = np.array(
        [
            0.0,
            -0.0,
            1.0,
            -1.0,
            np.inf,
            -np.inf,
            np.nan,
            1e-30,
            -3.0,
            5e-324 if dtype == np.float64 else 1e-45,
        ],
        dtype=dtype,
    )
    gy, gx = (a.ravel() for a in np.meshgrid(grid, grid))
    y1, x1 = log_uniform(rng, dtype, n), log_uniform(rng, dtype, n)
    y2, x2 = uniform(rng, dtype, -2, 2, n), uniform(rng, dtype, -2, 2, n)
    y3 = log_uniform(rng, dtype, n, -20, 20)
    x3 = (y3 * uniform(rng, dtype, 0.3, 3.0, n) * rng.choice([-1, 1], n)).astype(dtype)
    ys = np.concatenate([gy, y1, y2, y3, subnormals(rng, dtype, n // 4)]).astype(dtype)
    xs = np.concatenate([gx, x1, x2, x3, subnormals(rng, dtype, n // 4)[::-1]]).astype(dtype)
    return ys, xs


def inputs_for(name: str, dtype, seed: int = 0, n: int = 150_000) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    if name == "pow":
        return pow_inputs(dtype, rng, n)
    if name == "arctan2":
        return arctan2_inputs(dtype, rng, n)
    return (unary_inputs(name, dtype, rng, n),)


# --- tests ----------------------------------------------------------------------------------


def test_simd_functions_lists_the_required_names():
    required = set(
        "exp exp2 expm1 log log2 log10 log1p sin cos tan tanh sinh cosh arctan arcsin arccos"
        " arctan2 pow sigmoid softplus erf".split()
    )
    assert required <= SIMD_FUNCTIONS


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_ulp_distance(dtype):
    tiny = np.finfo(dtype).smallest_subnormal
    a = np.array([1.0, -0.0, tiny, 2.0, np.nan, np.nan, np.inf, -1.0], dtype=dtype)
    b = np.array([1.0, 0.0, -tiny, 2.0, np.nan, 1.0, np.finfo(dtype).max, -1.0], dtype=dtype)
    b[0] = np.nextafter(b[0], dtype(2))
    b[3] = np.nextafter(np.nextafter(b[3], dtype(0)), dtype(0))
    dist = ulp_distance(a, b)
    assert list(dist[[0, 1, 2, 3, 4, 6, 7]]) == [1, 0, 2, 2, 0, 1, 0]
    assert dist[5] > 2**31


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(SIMD_FUNCTIONS))
def test_matches_numpy(kernels, name, dtype):
    inputs = inputs_for(name, dtype)
    got = kernels(name, *inputs)
    want = reference(name, *inputs)
    problems = [
        describe(f"{name} {kind}", inputs, got, want, mask)
        for kind, mask in mismatches(got, want).items()
        if mask.any()
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(SIMD_FUNCTIONS))
def test_caller_fast_math_does_not_change_results(kernels, name, dtype):
    inputs = inputs_for(name, dtype, seed=1, n=8000)
    plain, fast = kernels(name, *inputs), kernels(name, *inputs, fast=True)
    assert np.array_equal(plain.view(np.uint8), fast.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_trig_beyond_accurate_range_stays_bounded(kernels, name, dtype):
    rng = np.random.default_rng(2)
    x = log_uniform(rng, dtype, 20_000, lo_exp=49)
    x = x[np.isfinite(x)]
    y = kernels(name, x)
    assert np.all(np.abs(y) <= 1)


def test_math_function_declares_once_and_rejects_unknown_names():
    module = ir.Module()
    f1 = math_function(module, "exp", ir.DoubleType())
    assert math_function(module, "exp", ir.DoubleType()) is f1
    assert math_function(module, "exp", ir.FloatType()) is not f1
    assert f1.linkage == "internal" and "alwaysinline" in f1.attributes
    with pytest.raises(KeyError, match="no function 'gamma'"):
        math_function(module, "gamma", ir.DoubleType())
    with pytest.raises(TypeError):
        math_function(module, "exp", ir.IntType(32))


def test_function_bodies_have_no_branches_or_calls():
    module = ir.Module()
    for name in SIMD_FUNCTIONS:
        for ty in IR_TYPES.values():
            math_function(module, name, ty)
    for fn in module.functions:
        if fn.is_declaration:
            assert fn.name.startswith("llvm."), fn.name
            continue
        assert len(fn.blocks) == 1, fn.name
        text = str(fn)
        calls = [line for line in text.splitlines() if " call " in line]
        assert all(re.search(r'@"?llvm\.', line) for line in calls), fn.name


@pytest.mark.parametrize(("name", "dtype"), [("exp", np.float64), ("sin", np.float32)])
def test_loop_is_vectorised(name, dtype):
    """Packed fmas on ymm/zmm registers. (float sin evaluates its polynomial in double after
    the double-precision reduction, so its fmas are ``pd`` on float lanes widened 8 at a time.)"""
    asm = build_kernels([name], fast=False).asm
    body = asm.split(kernel_name(name, dtype) + ":", 1)[1].split(".Lfunc_end", 1)[0]
    packed = re.compile(r"\bvfn?m(add|sub)\w*p[sd]\b.*%[yz]mm")
    assert any(packed.search(line) for line in body.splitlines()), "no packed vfmadd"
