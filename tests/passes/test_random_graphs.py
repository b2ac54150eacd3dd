"""Random graphs: the fast_run graph gives the NumPy backend's values on the unoptimized one.

Tolerance (floats): ``|got - ref| <= rtol * scale`` with ``scale`` the largest finite
``|ref|`` of that output (at least 1) and ``rtol`` 1e-6 for float64, 1e-4 for float32,
1e-2 for float16 -- the narrowest float dtype the output is computed through (a float16
rounding difference stays one when the result is widened to float64). NaN positions must
be equal; where the reference overflowed to +-inf a stabilized graph may give the finite
true value instead. Integers and booleans: exact. When the reference raises, the optimized
function must raise the same exception class.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symc
from symc.graph.basic import ancestors

from .graphs import FIXED_POINT, OPTIMIZED, QUIET_NUMPY, REFERENCE

pytestmark = [QUIET_NUMPY, FIXED_POINT]

DTYPES = ["bool", "int8", "int32", "int64", "float32", "float64"]
KINDS = {"scalar": (), "vector": (None,), "row": (1, None), "col": (None, 1),
         "matrix": (None, None)}
FLOATS = np.array([-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0])
UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "softplus", "log1p",
         "expm1", "sqr", "floor", "isnan", "invert"]
BINARY = ["add", "sub", "mul", "true_div", "maximum", "minimum", "lt", "le", "eq", "and_",
          "or_", "floor_div", "mod", "pow"]
CONSTANTS = [0, 1, 2, -1, 0.5, -1.5, 2.0, np.float32(1.5), np.int8(2), True]
PATTERNS = {
    "x+0": lambda x: x + 0, "x*1": lambda x: x * 1, "x**2": lambda x: x ** 2,
    "x**0.5": lambda x: x ** 0.5, "x**3": lambda x: x ** 3, "x**-1": lambda x: x ** -1.0,
    "x/2": lambda x: x / 2, "log(1+x)": lambda x: symc.log(1 + x),
    "exp(x)-1": lambda x: symc.exp(x) - 1, "log(sigmoid)": lambda x: symc.log(symc.sigmoid(x)),
    "log(1-sigmoid)": lambda x: symc.log(1 - symc.sigmoid(x)),
    "logsumexp": lambda x: symc.log(symc.sum(symc.exp(x), axis=-1)),
    "neg(neg(x))": lambda x: symc.neg(symc.neg(x)), "x*0": lambda x: x * 0,
}
FOLDS = ["sum", "prod", "max", "min", "any", "all"]
RTOL = {"float64": 1e-6, "float32": 1e-4, "float16": 1e-2}


def draw_input(data, k):
    dtype = data.draw(st.sampled_from(DTYPES), label=f"dtype{k}")
    kind = data.draw(st.sampled_from(sorted(KINDS)), label=f"kind{k}")
    var = symc.tensor(f"x{k}", dtype=dtype, shape=KINDS[kind])
    # unknown lengths are 1 or full at run time: NumPy broadcasts them
    full = (2, 3)[-var.ndim:] if var.ndim else ()
    shape = tuple(1 if s == 1 else data.draw(st.sampled_from([1, f]), label=f"len{k}")
                  for s, f in zip(var.type.shape, full, strict=True))
    return var, shape


def draw_step(data, pool):
    pick = st.integers(0, len(pool) - 1)
    kind = data.draw(st.sampled_from(["unary", "binary", "const", "pattern", "reduce", "cast",
                                      "switch"]), label="step")
    x = pool[data.draw(pick, label="x")]
    if kind == "unary":
        return getattr(symc, data.draw(st.sampled_from(UNARY), label="op"))(x)
    if kind == "binary":
        y = pool[data.draw(pick, label="y")]
        return getattr(symc, data.draw(st.sampled_from(BINARY), label="op"))(x, y)
    if kind == "const":
        op = getattr(symc, data.draw(st.sampled_from(BINARY), label="op"))
        c = data.draw(st.sampled_from(CONSTANTS), label="c")
        return op(c, x) if data.draw(st.booleans(), label="left") else op(x, c)
    if kind == "pattern":
        return PATTERNS[data.draw(st.sampled_from(sorted(PATTERNS)), label="pattern")](x)
    if kind == "reduce":
        axis = data.draw(st.sampled_from([None, *range(x.ndim)]), label="axis")
        return getattr(x, data.draw(st.sampled_from(FOLDS), label="fold"))(axis=axis)
    if kind == "cast":
        return x.astype(data.draw(st.sampled_from(DTYPES), label="dtype"))
    y, z = pool[data.draw(pick, label="y")], pool[data.draw(pick, label="z")]
    return symc.switch(symc.lt(x, y), y, z)


def input_value(var, shape, rng):
    if var.dtype == "bool":
        return rng.random(shape) < 0.5
    if var.dtype.startswith("int"):
        return rng.integers(-3, 4, shape).astype(var.dtype)
    return rng.choice(FLOATS, shape).astype(var.dtype)


def run(inputs, outputs, mode, values):
    try:
        return symc.function(inputs, outputs, mode=mode, on_unused_input="ignore")(*values), None
    except (ValueError, TypeError, OverflowError, ZeroDivisionError) as exc:
        return None, type(exc)


def tolerance(var) -> float:
    """The ``rtol`` of the narrowest float dtype ``var`` is computed through."""
    return max((RTOL[v.dtype] for v in ancestors([var]) if v.dtype in RTOL), default=0.0)


def assert_close(got, ref, rtol: float):
    """``got`` equals ``ref`` within the tolerance of the module docstring."""
    assert got.dtype == ref.dtype and got.shape == ref.shape
    if ref.dtype.kind in "biu":
        np.testing.assert_array_equal(got, ref)
        return
    got, ref = got.astype(np.float64), ref.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    finite = np.isfinite(ref)
    infinite = np.isinf(ref) & ~np.isfinite(got)   # else stabilized to the finite true value
    np.testing.assert_array_equal(got[infinite], ref[infinite])
    scale = max(1.0, float(np.max(np.abs(ref[finite]), initial=0.0)))
    error = np.abs(got[finite] - ref[finite])
    assert np.all(error <= rtol * scale), (got, ref)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_run_matches_the_unoptimized_numpy_graph(data):
    n_inputs = data.draw(st.integers(1, 3), label="inputs")
    drawn = [draw_input(data, k) for k in range(n_inputs)]
    inputs = [v for v, _ in drawn]
    pool = list(inputs)
    for _ in range(data.draw(st.integers(1, 8), label="steps")):
        try:
            pool.append(draw_step(data, pool))
        except (TypeError, ValueError):  # refused at build time (-bool, axis of a scalar)
            continue
    made = pool[n_inputs:]
    if not made:
        return
    outputs = list(dict.fromkeys([made[-1], made[data.draw(st.integers(0, len(made) - 1))]]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    values = [input_value(v, shape, rng) for v, shape in drawn]
    ref, ref_error = run(inputs, outputs, REFERENCE, values)
    got, got_error = run(inputs, outputs, OPTIMIZED, values)
    assert got_error == ref_error
    if ref_error is not None:
        return
    for g, r, var in zip(got, ref, outputs, strict=True):
        assert_close(g, r, tolerance(var))
