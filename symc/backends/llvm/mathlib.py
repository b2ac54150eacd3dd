"""Vectorisable transcendental functions for the LLVM backend.

A fused elementwise loop that calls libm cannot be vectorised; one that calls these can.
Each function is emitted into the kernel's module as straight-line IR (no branches, no
calls but vectorisable intrinsics, no fast-math flags), ``internal`` and ``alwaysinline``:
after inlining, the loop vectoriser turns the loop body into AVX2/AVX-512 code, and the
caller's own fast-math flags or attributes do not change the results::

    fn = math_function(module, "exp", ir.DoubleType())
    y = builder.call(fn, [x])

Semantics are NumPy's same-named ufunc (``pow`` is ``np.power``, ``sigmoid`` is
``1/(1+exp(-x))``, ``softplus`` is ``log(1+exp(x))``, ``erf`` is ``math.erf``), including
NaN, infinities, signed zeros, subnormals, overflow and underflow.

Accuracy: within 4 ulp of NumPy's float32/float64 ufuncs everywhere (within 1-2 ulp of the
correctly rounded result; the larger float32 distances come from NumPy's own float32
SIMD code, which is up to ~3.8 ulp off), over the whole finite range: sin, cos and tan of
``|x| >= 2^48`` take a Payne-Hanek reduction (see ``mathlib_trig``).

How each function works is in the module that defines it: ``mathlib_exp`` (exp, exp2,
expm1), ``mathlib_log`` (logs, pow), ``mathlib_trig`` (sin, cos, tan), ``mathlib_atrig``
(inverse trig), ``mathlib_expfamily`` (hyperbolic, sigmoid, softplus, erf), all written
with the ``MathEmitter`` helpers of ``mathlib_emit``. Polynomials come from
``mathlib_fit`` (Remez, run offline) via the generated ``mathlib_coeffs``.

float32 versions compute in float32 with float-precision polynomials, except: sin, cos
and tan reduce and evaluate in double (that is both accurate to 2^48 and faster than
splitting the reduced argument back into floats), and pow runs the double algorithm
(``promoted``). Either way the loop still vectorises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from symc.backends.llvm import mathlib_atrig as atrig
from symc.backends.llvm import mathlib_exp as exp
from symc.backends.llvm import mathlib_expfamily as expfamily
from symc.backends.llvm import mathlib_log as log
from symc.backends.llvm import mathlib_trig as trig
from symc.backends.llvm.mathlib_emit import MathEmitter, float_format, promoted

__all__ = ["SIMD_FUNCTIONS", "math_function"]

Emitter = Callable[..., ir.Value]


@dataclass(frozen=True)
class _MathDef:
    """How to emit one function: its arity and the body emitter per float width."""

    arity: int
    f64: Emitter
    f32: Emitter


def _same(arity: int, emit: Emitter) -> _MathDef:
    return _MathDef(arity, emit, emit)


_FUNCTIONS: dict[str, _MathDef] = {
    "exp": _same(1, exp.emit_exp),
    "exp2": _same(1, exp.emit_exp2),
    "expm1": _same(1, exp.emit_expm1),
    "log": _same(1, log.emit_log),
    "log2": _same(1, log.emit_log2),
    "log10": _same(1, log.emit_log10),
    "log1p": _same(1, log.emit_log1p),
    "sin": _same(1, trig.emit_sin),
    "cos": _same(1, trig.emit_cos),
    "tan": _same(1, trig.emit_tan),
    "tanh": _same(1, expfamily.emit_tanh),
    "sinh": _same(1, expfamily.emit_sinh),
    "cosh": _same(1, expfamily.emit_cosh),
    "arctan": _same(1, atrig.emit_arctan),
    "arcsin": _same(1, atrig.emit_arcsin),
    "arccos": _same(1, atrig.emit_arccos),
    "arctan2": _same(2, atrig.emit_arctan2),
    "pow": _MathDef(2, log.emit_pow, promoted(log.emit_pow_for_float)),
    "sigmoid": _same(1, expfamily.emit_sigmoid),
    "softplus": _same(1, expfamily.emit_softplus),
    "erf": _same(1, expfamily.emit_erf),
}

#: Names :func:`math_function` provides.
SIMD_FUNCTIONS: frozenset[str] = frozenset(_FUNCTIONS)


def math_function(module: ir.Module, name: str, ty: ir.Type) -> ir.Function:
    """Declare (once per module) and return symc's vectorisable ``name`` for ``ty``.

    ``ty`` is ``ir.DoubleType()`` or ``ir.FloatType()``; the function takes ``arity``
    arguments of that type (2 for ``pow`` and ``arctan2``: ``pow(x, y)``,
    ``arctan2(y, x)``) and returns one. It is ``internal`` and ``alwaysinline``, so it
    leaves no symbol behind once inlined.
    """
    if name not in _FUNCTIONS:
        known = ", ".join(sorted(SIMD_FUNCTIONS))
        raise KeyError(f"mathlib has no function {name!r}; it provides: {known}")
    fmt = float_format(ty)
    symbol = f"symc.math.{name}.{fmt.suffix}"
    existing = module.globals.get(symbol)
    if existing is not None:
        return existing
    spec = _FUNCTIONS[name]
    fn = ir.Function(module, ir.FunctionType(fmt.ty, [fmt.ty] * spec.arity), symbol)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    emit = spec.f64 if fmt.bits == 64 else spec.f32
    builder.ret(emit(MathEmitter(builder, fmt.ty), *fn.args))
    return fn
