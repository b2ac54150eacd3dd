"""The op-table check: every scalar op of ``SCALAR_OPS`` (and Cast to every dtype), compiled in
every mode, gives NumPy's values and dtypes.

NumPy decides: the reference is the op's own NumPy function (``op.impl``: ``np.add``, ...) called
on the very arrays handed to the compiled function. Every (op, input dtypes) pair (float32,
float64, int32, int64, bool, and mixed pairs) is compiled once per mode on vectors and called on
several data sets: contiguous, strided (``a[::2]``), reversed (``a[::-1]``), empty, broadcast at
run time, special floats (NaN, ±inf, ±0, overflowing magnitudes) and integer extremes
(wrap-around); weak Python scalars ride along as extra outputs. Every op is also compiled on
static layouts: 0-d, a ``(None, 1)`` column, matrix against vector (transposed and reversed
matrices). Where NumPy raises TypeError for the dtypes, symc must raise TypeError when the graph
is built.

Tolerances (a few ulp, so that the LLVM backend's SIMD maths and fast-math contraction pass; the
NumPy backend is expected to meet them exactly): ``rtol = atol`` = 4e-15 for float64, 1e-6 for
float32 and 1e-3 for float16 results; NaN positions and the signs of infinities must match.
Integers and booleans must be equal bit for bit.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from typing import NamedTuple

import numpy as np
import pytest

import symc
from symc.graph.types import DTYPES
from symc.ops.elemwise import Elemwise
from symc.ops.scalar import NOT_DIFFERENTIABLE, SCALAR_OPS, Cast

TESTED_DTYPES = ("float32", "float64", "int32", "int64", "bool")

#: rtol and atol per result dtype (see the module docstring).
TOLERANCE = {"float64": 4e-15, "float32": 1e-6, "float16": 1e-3}


# -- the table is complete ------------------------------------------------------------------------

#: API.md, "Functions": every name must exist as ``symc.<name>``.
API_FUNCTIONS = """add sub mul true_div floor_div mod pow neg abs sign sqr sqrt exp exp2 log log2
    log10 log1p expm1 sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh sigmoid softplus
    erf floor ceil round trunc maximum minimum clip where switch lt le gt ge eq neq and_ or_ xor
    invert isnan isinf cast sum prod max min mean any all argmax argmin dot outer""".split()

#: API.md, "Variables" and "Functions": the other names a user types.
API_NAMES = ("vector matrix scalar tensor tensor3 tensor4 constant shared function Mode config "
             "dscalar dvector dmatrix fvector ivector lvector bmatrix wvector ftensor3 "
             "dtensor4 FAST_RUN FAST_COMPILE").split()


def cast_ops() -> list[Cast]:
    """Cast to every supported dtype."""
    return [Cast(dt) for dt in DTYPES]


@pytest.mark.parametrize("op", list(SCALAR_OPS.values()) + cast_ops(), ids=lambda op: op.label())
def test_table_entry_is_complete(op):
    """Implementation, printed form, dtype rule and a grad field, for every op of the table."""
    assert isinstance(op.nin, int) and op.nin >= 1 and op.nout == 1
    assert callable(op.impl)
    args = [f"i{k}" for k in range(op.nin)]
    printed = op.format(args)
    assert all(a in printed for a in args), printed
    assert "{" not in printed or printed == f"cast{{{op.dtype}}}(i0)", printed
    in_dtype = "float64"
    if numpy_refuses(op.impl, [np.ones(3)] * op.nin):  # bit operations: integers only
        with pytest.raises(TypeError):
            op.output_dtypes((("float64", False),) * op.nin)
        in_dtype = "int64"
    (dtype,) = op.output_dtypes(((in_dtype, False),) * op.nin)
    assert dtype in DTYPES
    with np.errstate(all="ignore"):
        value = np.asarray(op.impl(*[np.full(3, 3, dtype=in_dtype)] * op.nin))
    assert value.dtype == dtype and value.shape == (3,)
    assert op.grad is None or op.grad == NOT_DIFFERENTIABLE or callable(op.grad)
    if dtype == "bool":  # predicates have no gradient
        assert op.grad == NOT_DIFFERENTIABLE


def test_table_names_and_printed_forms():
    """Ops are keyed by their names, and print as Theano does."""
    assert all(op.name == name for name, op in SCALAR_OPS.items())
    assert SCALAR_OPS["sqr"].format(["i0"]) == "sqr(i0)"
    assert SCALAR_OPS["add"].format(["i0", "i1"]) == "(i0 + i1)"
    assert SCALAR_OPS["le"].format(["i0", "i1"]) == "le(i0, i1)"
    assert SCALAR_OPS["neg"].format(["x"]) == "(-x)"
    assert Cast("float32").format(["i0"]) == "cast{float32}(i0)"
    assert Cast("int8").label() == "Cast{int8}" and Cast("int8") == Cast("int8")
    assert Cast("int8") != Cast("int16") and hash(Cast("int8")) == hash(Cast("int8"))


def test_table_flags_agree_with_numpy():
    """Commutative ops commute, identities are identities, on integers (exact)."""
    rng = np.random.default_rng(7)
    a, b = rng.integers(-50, 50, 20), rng.integers(-50, 50, 20)
    c = rng.integers(-50, 50, 20)
    for op in SCALAR_OPS.values():
        if op.commutative:
            np.testing.assert_array_equal(op.impl(a, b), op.impl(b, a), err_msg=op.name)
        if op.associative:
            np.testing.assert_array_equal(op.impl(op.impl(a, b), c), op.impl(a, op.impl(b, c)),
                                          err_msg=op.name)
        if op.identity is not None:
            np.testing.assert_array_equal(op.impl(a, op.identity), a, err_msg=op.name)


@pytest.mark.parametrize("name", API_FUNCTIONS + API_NAMES)
def test_api_name_exists(name):
    """Every name API.md lists exists as ``symc.<name>``."""
    assert callable(getattr(symc, name, None)) or name in ("config", "FAST_RUN", "FAST_COMPILE")
    assert hasattr(symc, name)


# -- input domains --------------------------------------------------------------------------------

class Domain(NamedTuple):
    """Where one argument's values are drawn: floats in [lo, hi], ints in [ilo, ihi]."""

    lo: float = -10.0
    hi: float = 10.0
    ilo: int = -10
    ihi: int = 10
    nonzero: bool = False  # no zeros (bools: all True), e.g. for integer divisors
    halves: bool = False  # floats on multiples of 0.5 (rounding ties, exact zeros)


DEFAULT = Domain()
DIVISOR = Domain(nonzero=True)
DOMAINS: dict[str, tuple[Domain, ...]] = {
    "true_div": (DEFAULT, DIVISOR),
    "floor_div": (DEFAULT, DIVISOR),
    "mod": (DEFAULT, DIVISOR),
    "pow": (Domain(0.1, 4.0, -4, 4), Domain(-3.0, 3.0, 0, 5)),
    "reciprocal": (DIVISOR,),  # 1 // 0 in integers is platform-dependent in NumPy itself
    "sqrt": (Domain(0.0, 100.0, 0, 100),),
    "log": (Domain(0.01, 100.0, 0, 100),),
    "log2": (Domain(0.01, 100.0, 0, 100),),
    "log10": (Domain(0.01, 100.0, 0, 100),),
    "log1p": (Domain(-0.99, 10.0, -1, 50),),
    "exp": (Domain(-20.0, 20.0, -20, 20),),
    "exp2": (Domain(-20.0, 20.0, -20, 20),),
    "expm1": (Domain(-20.0, 20.0, -20, 20),),
    "tan": (Domain(-1.5, 1.5, -1, 1),),
    "arcsin": (Domain(-1.0, 1.0, -2, 2),),  # integers include out-of-domain values (NaN)
    "arccos": (Domain(-1.0, 1.0, -2, 2),),
    "sigmoid": (Domain(-30.0, 30.0, -30, 30),),
    "softplus": (Domain(-30.0, 30.0, -30, 30),),
    "erf": (Domain(-4.0, 4.0, -4, 4),),
    "floor": (Domain(halves=True),),
    "ceil": (Domain(halves=True),),
    "round": (Domain(halves=True),),
    "trunc": (Domain(halves=True),),
    "clip": (DEFAULT, Domain(-5.0, 0.0, -5, 0), Domain(0.0, 5.0, 0, 5)),
    "switch": (Domain(-1.0, 1.0, -1, 1, halves=True), DEFAULT, DEFAULT),
}

#: Out-of-domain and IEEE special values, used for float arguments in the "special" data set.
SPECIAL_FLOATS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e3, -1e3])

#: Ops whose integer results wrap around in NumPy (well defined): tested with iinfo extremes.
WRAPPING_OPS = {"add", "sub", "mul", "neg", "abs", "sqr", "sign", "maximum", "minimum", "lt", "le",
                "gt", "ge", "eq", "neq", "and_", "or_", "xor", "invert", "clip", "switch",
                "identity", "floor", "ceil", "round", "trunc", "isnan", "isinf"}


def domain_of(op_name: str, pos: int) -> Domain:
    """The domain of argument ``pos`` of ``op_name``."""
    return DOMAINS.get(op_name, (DEFAULT,) * 3)[pos]


def sample(rng, dom: Domain, dtype: str, shape: tuple) -> np.ndarray:
    """Values of ``dtype`` and ``shape`` drawn from ``dom``."""
    if dtype == "bool":
        return np.ones(shape, bool) if dom.nonzero else rng.integers(0, 2, shape).astype(bool)
    if np.dtype(dtype).kind in "iu":
        vals = rng.integers(dom.ilo, dom.ihi + 1, shape)
        if dom.nonzero:
            vals[vals == 0] = 1
        return vals.astype(dtype)
    vals = rng.uniform(dom.lo, dom.hi, shape)
    if dom.halves:
        vals = np.round(vals * 2) / 2
    if dom.nonzero:
        vals[np.abs(vals) < 0.1] = 0.5
    return vals.astype(dtype)


def special(rng, dtype: str, shape: tuple) -> np.ndarray:
    """NaN, ±inf, ±0 and large values (floats only)."""
    return rng.choice(SPECIAL_FLOATS, shape).astype(dtype)


def extremes(rng, dtype: str, shape: tuple) -> np.ndarray:
    """Integer extremes (wrap-around in add/sub/mul/neg/abs) mixed with small values."""
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    info = np.iinfo(dtype)
    pool = np.array([info.min, info.max, info.min + 1, info.max - 1, -1, 0, 1, 2], dtype=dtype)
    return rng.choice(pool, shape)


# -- layouts of the inputs ------------------------------------------------------------------------
#
# Each Elemwise node is one LLVM kernel, and a kernel costs ~0.2 s to compile cold, so kernels are
# spent where they test something new. Every (op, dtypes) pair gets one vector kernel, called on
# many data sets: contiguous, strided, reversed, empty, and broadcast at run time (a length-1 vector
# against a long one). Static layouts (0-d, a (None, 1) column, matrix against vector) are tested
# for every op with its first accepted dtype; weak Python scalars with float32, int32 and bool.

#: Static shapes of the input kinds: 0-d, vector, matrix and a column with a static 1.
KINDS = {"s": (), "v": (None,), "M": (None, None), "c": (None, 1)}

#: Extra static layouts per arity (the vector layout ``("v",) * nin`` is always there).
STATIC_LAYOUTS = {
    1: [("s",), ("c",)],
    2: [("s", "M"), ("c", "v")],
    3: [("s", "M", "v"), ("c", "v", "s")],
}

#: One weak-scalar layout per (op, dtype): float32 stays float32 with 0.1 rounded to float32,
#: int32 with a float scalar becomes float64, bool with an int scalar becomes int64.
WEAK_LAYOUTS = {
    2: {"float32": [("v", 0.1)], "int32": [(0.5, "v")], "bool": [(2, "v")]},
    3: {"float32": [("v", -2.5, 2)], "int32": [("v", 0, 5)], "bool": [("v", 2, 0.5)]},
}
WEAK_DTYPES = ("float32", "int32", "bool")

#: Vectors have 19 elements: odd, and longer than one AVX-512 vector of float64.
N = 19
LAYOUT_SHAPES = {
    "regular": {"s": (), "v": (7,), "M": (3, 7), "c": (3, 1)},
    "empty": {"s": (), "v": (7,), "M": (0, 7), "c": (0, 1)},
}


def vector_shape(ds_name: str, pos: int) -> tuple[int]:
    """The run-time shape of vector argument ``pos`` in data set ``ds_name``."""
    length = {"bcast_first": 1 if pos == 0 else N, "bcast_rest": N if pos == 0 else 1,
              "empty": 0, "empty_bcast": 0 if pos == 0 else 1}.get(ds_name, N)
    return (length,)


class DataSet(NamedTuple):
    """A name, how values are drawn, and the memory layout."""

    name: str
    values: str  # "domain", "special" (float args) or "extremes" (integer args)
    layout: str  # "contiguous", "strided", "reversed" or "transposed"


VECTOR_SETS = [
    DataSet("contiguous", "domain", "contiguous"),
    DataSet("strided", "domain", "strided"),
    DataSet("reversed", "domain", "reversed"),
    DataSet("empty", "domain", "contiguous"),
    DataSet("bcast_first", "domain", "strided"),
    DataSet("bcast_rest", "domain", "reversed"),
    DataSet("empty_bcast", "domain", "contiguous"),
]
LAYOUT_SETS = [
    DataSet("contiguous", "domain", "contiguous"),
    DataSet("transposed", "domain", "transposed"),
    DataSet("reversed", "domain", "reversed"),
    DataSet("empty", "domain", "strided"),
]


def arrange(make, shape: tuple, layout: str) -> np.ndarray:
    """An array of ``shape`` made by ``make(shape)``, laid out in memory as ``layout`` says."""
    if layout == "contiguous" or not shape:
        return make(shape)
    if layout == "strided":
        return make(tuple(2 * d for d in shape))[tuple(slice(None, None, 2) for _ in shape)]
    if layout == "reversed":
        return make(shape)[tuple(slice(None, None, -1) for _ in shape)]
    return make(shape[::-1]).T


def with_value_sets(sets: list[DataSet], op_name: str, dtypes) -> list[DataSet]:
    """``sets`` plus NaN/inf data for float arguments and iinfo extremes for wrapping ops."""
    sets = list(sets)
    if any(dt.startswith("float") for dt in dtypes):
        sets.append(DataSet("special", "special", "strided"))
    if op_name in WRAPPING_OPS and any(dt.startswith("int") for dt in dtypes):
        sets.append(DataSet("extremes", "extremes", "reversed"))
    return sets


def make_values(op_name: str, dtypes, keys, ds: DataSet, rng) -> dict:
    """One array per input ``(pos, kind)`` key, for data set ``ds``."""
    values = {}
    for pos, kind in keys:
        dtype, dom = dtypes[pos], domain_of(op_name, pos)
        if ds.values == "special" and dtype.startswith("float"):
            def make(shape, dtype=dtype):
                return special(rng, dtype, shape)
        elif ds.values == "extremes" and (dtype.startswith("int") or dtype == "bool"):
            def make(shape, dtype=dtype):
                return extremes(rng, dtype, shape)
        else:
            def make(shape, dtype=dtype, dom=dom):
                return sample(rng, dom, dtype, shape)
        if keys_are_vectors(keys):
            shape = vector_shape(ds.name, pos)
        else:
            shape = LAYOUT_SHAPES["empty" if ds.name == "empty" else "regular"][kind]
        values[(pos, kind)] = arrange(make, shape, ds.layout)
    return values


def keys_are_vectors(keys) -> bool:
    """True for the vector sweep (every input a vector), where run-time broadcasting is tested."""
    return all(kind == "v" for _, kind in keys)


# -- comparing with NumPy -------------------------------------------------------------------------

def assert_matches(actual, expected, what: str) -> None:
    """``actual`` equals NumPy's ``expected``: type, dtype, shape, and values (see TOLERANCE)."""
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray), f"{what}: got {type(actual).__name__}, not an ndarray"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}, NumPy {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, NumPy {expected.shape}"
    if expected.dtype.kind == "f":
        tol = TOLERANCE[expected.dtype.name]
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, equal_nan=True,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, strict=True, err_msg=what)


def numpy_refuses(impl, args) -> bool:
    """True when NumPy raises TypeError for these arguments."""
    try:
        with np.errstate(all="ignore"):
            impl(*args)
    except TypeError:
        return True
    return False


def reference(impl, args):
    """NumPy's result of ``impl`` on ``args``."""
    with np.errstate(all="ignore"):
        return np.asarray(impl(*args))


# -- building and checking the functions ----------------------------------------------------------

class Built(NamedTuple):
    """A compiled function, its input keys, and what each output computes."""

    fn: object
    keys: list  # (pos, kind) of each input, in order
    outputs: list  # per output: the arguments, each a kind (str) or a weak Python scalar


def _probe_value(arg, pos, dtypes):
    return np.ones((2,), dtypes[pos]) if isinstance(arg, str) else arg


@functools.cache
def build(op_name: str, dtypes: tuple[str, ...], layouts: tuple[tuple, ...], mode) -> Built:
    """Compile ``op_name`` applied to each layout, for argument ``dtypes``, in ``mode``.

    A layout that NumPy refuses (a weak scalar of the wrong kind, say) must be refused by symc
    with TypeError when the graph is built; it is then left out of the function.
    """
    scalar = SCALAR_OPS[op_name]
    variables = {}
    for layout in layouts:
        for pos, arg in enumerate(layout):
            if isinstance(arg, str) and (pos, arg) not in variables:
                variables[(pos, arg)] = symc.tensor(f"{arg}{pos}", dtypes[pos], KINDS[arg])
    outputs, results = [], []
    for layout in layouts:
        args = [variables[(p, a)] if isinstance(a, str) else a for p, a in enumerate(layout)]
        if numpy_refuses(scalar.impl, [_probe_value(a, p, dtypes) for p, a in enumerate(layout)]):
            with pytest.raises(TypeError):
                Elemwise(scalar)(*args)
            continue
        results.append(Elemwise(scalar)(*args))
        outputs.append(layout)
    keys = sorted(variables, key=lambda k: (k[0], "sMvc".index(k[1])))
    fn = symc.function([variables[k] for k in keys], results, mode=mode)
    return Built(fn, keys, outputs)


def run_and_compare(op_name, dtypes, built: Built, sets: list[DataSet], mode, seed: int) -> None:
    """Call ``built`` on every data set and compare each output with NumPy."""
    impl = SCALAR_OPS[op_name].impl
    rng = np.random.default_rng(seed)
    for ds in sets:
        values = make_values(op_name, dtypes, built.keys, ds, rng)
        with np.errstate(all="ignore"):
            results = built.fn(*[values[k] for k in built.keys])
        assert isinstance(results, list) and len(results) == len(built.outputs)
        for layout, actual in zip(built.outputs, results, strict=True):
            args = [values[(p, a)] if isinstance(a, str) else a for p, a in enumerate(layout)]
            what = f"{op_name}{dtypes} layout {layout} on {ds.name} data in {mode}"
            assert_matches(actual, reference(impl, args), what)


def assert_refused(op_name: str, dtypes) -> bool:
    """When NumPy refuses ``dtypes`` with TypeError, assert symc does too; True in that case."""
    scalar = SCALAR_OPS[op_name]
    if not numpy_refuses(scalar.impl, [np.ones((2,), dt) for dt in dtypes]):
        return False
    symbols = [symc.tensor(f"a{k}", dt, (None,)) for k, dt in enumerate(dtypes)]
    with pytest.raises(TypeError):
        Elemwise(scalar)(*symbols)
    return True


# -- the cases ------------------------------------------------------------------------------------

MIXED_BINARY = [("float32", "float64"), ("int32", "float32"), ("int32", "int64"),
                ("bool", "int32"), ("bool", "float32")]
MIXED_TERNARY = {
    "clip": [("float32", "int32", "float64"), ("int64", "int32", "int32")],
    "switch": [("bool", "float32", "int32"), ("float64", "int64", "bool")],
}


def op_cases() -> list[tuple[str, tuple[str, ...]]]:
    """Every table op with each tested dtype, plus mixed dtypes for binary and ternary ops."""
    cases = []
    for name, op in SCALAR_OPS.items():
        cases += [(name, (dt,) * op.nin) for dt in TESTED_DTYPES]
        if op.nin == 2:
            cases += [(name, pair) for pair in MIXED_BINARY]
        if op.nin == 3:
            cases += [(name, combo) for combo in MIXED_TERNARY.get(name, [])]
    return cases


CASES = op_cases()


@pytest.mark.parametrize(("op_name", "dtypes"), CASES,
                         ids=[f"{n}-{'-'.join(d)}" for n, d in CASES])
def test_op_matches_numpy(op_name, dtypes, mode):
    """Values and dtypes of every table op equal NumPy's, for vectors of every data set (strided,
    reversed, empty, broadcast at run time, NaN/inf, integer extremes) and weak Python scalars."""
    if assert_refused(op_name, dtypes):
        return
    nin = SCALAR_OPS[op_name].nin
    layouts = [("v",) * nin]
    if len(set(dtypes)) == 1 and nin > 1:
        layouts += WEAK_LAYOUTS[nin].get(dtypes[0], [])
    built = build(op_name, dtypes, tuple(layouts), mode)
    sets = with_value_sets(VECTOR_SETS, op_name, dtypes)
    run_and_compare(op_name, dtypes, built, sets, mode, seed=CASES.index((op_name, dtypes)))


def first_accepted_dtype(op_name: str) -> str:
    """The first of float64, int64, bool that NumPy accepts for ``op_name``."""
    op = SCALAR_OPS[op_name]
    return next(dt for dt in ("float64", "int64", "bool")
                if not numpy_refuses(op.impl, [np.ones((2,), dt)] * op.nin))


@pytest.mark.parametrize("op_name", list(SCALAR_OPS))
def test_op_static_layouts_match_numpy(op_name, mode):
    """Every table op on 0-d inputs, a static (None, 1) column, and matrix/vector broadcasting
    (contiguous, transposed, reversed and empty matrices; NaN/inf for floats)."""
    dtype = first_accepted_dtype(op_name)
    nin = SCALAR_OPS[op_name].nin
    dtypes = (dtype,) * nin
    built = build(op_name, dtypes, tuple(STATIC_LAYOUTS[nin]), mode)
    sets = with_value_sets(LAYOUT_SETS, op_name, dtypes)
    run_and_compare(op_name, dtypes, built, sets, mode, seed=len(CASES) + list(SCALAR_OPS).index(
        op_name))


def test_every_table_op_is_covered():
    """The cases above are generated from the table: every op appears with every dtype."""
    assert {name for name, _ in CASES} == set(SCALAR_OPS)
    for name in SCALAR_OPS:
        assert {d[0] for n, d in CASES if n == name} >= set(TESTED_DTYPES)


# -- Cast to every dtype --------------------------------------------------------------------------

CAST_SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 3.25, -7.5, 1e30, 65520.0, 1e-30])


def cast_values(rng, src: str, dst: str, shape: tuple, special_set: bool) -> np.ndarray:
    """Values whose conversion NumPy defines (no NaN/inf/out-of-range floats into integers)."""
    if src == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if src.startswith("int"):
        return rng.integers(-300, 301, shape).astype(src)  # narrowing integer casts wrap
    if special_set and np.dtype(dst).kind in "fb":
        pool = CAST_SPECIALS if src == "float32" else np.append(CAST_SPECIALS, 1e300)
        return rng.choice(pool, shape).astype(src)
    lo = 0.0 if np.dtype(dst).kind == "u" else -120.0
    return rng.uniform(lo, 120.0, shape).astype(src)


CAST_CASES = [(src, dst) for src in TESTED_DTYPES for dst in DTYPES]


@functools.cache
def build_cast(src: str, dst: str, mode):
    """Compile ``cast(x, dst)`` of a ``src`` vector."""
    x = symc.tensor("x", src, (None,))
    return symc.function([x], symc.cast(x, dst), mode=mode)


@pytest.mark.parametrize(("src", "dst"), CAST_CASES, ids=[f"{s}-to-{d}" for s, d in CAST_CASES])
def test_cast_matches_numpy(src, dst, mode):
    """``cast`` (the table's Cast op) converts like NumPy's ``astype``, values and dtype."""
    fn = build_cast(src, dst, mode)
    op = Cast(dst)
    rng = np.random.default_rng(CAST_CASES.index((src, dst)))
    sets = VECTOR_SETS[:4] + ([DataSet("special", "special", "strided")]
                              if src.startswith("float") else [])
    for ds in sets:
        make = functools.partial(cast_values, rng, src, dst, special_set=ds.values == "special")
        value = arrange(make, vector_shape(ds.name, 0), ds.layout)
        with np.errstate(all="ignore"):
            actual = fn(value)
        assert_matches(actual, reference(op.impl, [value]), f"cast {src} -> {dst} on {ds.name} "
                       f"data in {mode}")


# -- weak Python scalars, spelled out -------------------------------------------------------------

def test_weak_python_scalars_keep_the_array_dtype(mode):
    """NEP 50: ``fvector + 2.0`` stays float32, ``ivector * 3`` int32, ``ivector / 2`` float64."""
    f32, i32, b = symc.fvector("f32"), symc.ivector("i32"), symc.tensor("b", "bool", (None,))
    outs = [f32 + 2.0, 2.0 * f32, f32 ** 2, i32 * 3, i32 / 2, i32 + 1.5, b + 1, b & True]
    assert [o.dtype for o in outs] == ["float32", "float32", "float32", "int32", "float64",
                                      "float64", "int64", "bool"]
    fn = symc.function([f32, i32, b], outs, mode=mode)
    fv = np.array([1.5, -2.25, 3.0], np.float32)
    iv = np.array([1, -2, 7], np.int32)
    bv = np.array([True, False, True])
    expected = [fv + 2.0, 2.0 * fv, fv ** 2, iv * 3, iv / 2, iv + 1.5, bv + 1, bv & True]
    for k, (actual, want) in enumerate(zip(fn(fv, iv, bv), expected, strict=True)):
        assert_matches(actual, want, f"output {k} in {mode}")


def test_power_by_weak_constants_matches_numpy(mode):
    """``x ** c`` for the exponents NumPy computes by fast paths (``x ** 0.5`` is ``sqrt``: NaN for
    -inf, -0.0 for -0.0) and for ordinary ones, on NaN, ±inf, ±0 and finite values."""
    exponents = (0.5, 2, -1, 0, 1, 3, 2.5, -0.5)
    for dtype in ("float64", "float32"):
        x = symc.tensor("x", dtype, (None,))
        fn = symc.function([x], [x ** c for c in exponents], mode=mode)
        value = np.append(SPECIAL_FLOATS, [2.0, 7.5, -3.0, 1e-3]).astype(dtype)
        with np.errstate(all="ignore"):
            results = fn(value)
            for c, actual in zip(exponents, results, strict=True):
                assert_matches(actual, value ** c, f"{dtype} x ** {c} in {mode}")


# -- integer division by zero, in a child process -------------------------------------------------

DIVISION_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import symc
    from symc.passes import pipeline
    pipeline.CHECK_AFTER_EACH_PASS = True
    mode = symc.Mode(None if sys.argv[1] == "None" else sys.argv[1], sys.argv[2])
    for dtype in ("int32", "int64", "bool"):
        a, b = symc.tensor("a", dtype, (None,)), symc.tensor("b", dtype, (None,))
        fn = symc.function([a, b], [a // b, a % b], mode=mode)
        if dtype == "bool":
            av, bv = np.array([True, False, True, False]), np.array([False, False, True, True])
        else:
            low = np.iinfo(dtype).min
            av = np.array([7, -7, 0, low, low, 5, -5, 3], dtype)
            bv = np.array([0, 0, 0, -1, 0, -1, 2, -2], dtype)
        with np.errstate(all="ignore"):
            got = fn(av, bv)
            want = [np.floor_divide(av, bv), np.mod(av, bv)]
        for g, w, what in zip(got, want, ("floor_div", "mod")):
            assert g.dtype == w.dtype and np.array_equal(g, w), (what, dtype, g, w)
    print("ok")
""")


def test_integer_division_by_zero_matches_numpy(mode):
    """``x // 0`` and ``x % 0`` give 0 and ``MIN // -1`` wraps, as in NumPy, without a crash.

    Runs in a child process: a kernel that executes a hardware integer division by zero kills
    its process (SIGFPE), which must fail this test rather than the whole test session.
    """
    proc = subprocess.run(
        [sys.executable, "-c", DIVISION_SCRIPT, str(mode.optimizer), mode.backend],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        f"integer division in {mode} exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    assert proc.stdout.strip().endswith("ok")
