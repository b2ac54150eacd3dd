"""The one place that decides how a kernel computes a transcendental function.

With ``config.simd_math`` on and symc's own branch-free implementation available
(``symc.backends.llvm.mathlib``, a colleague's module; its ``SIMD_FUNCTIONS`` lists what it
has), the kernel calls that, and LLVM can vectorize the loop. Otherwise it calls an LLVM
intrinsic (``llvm.exp.f64``, ...), which lowers to libm, or the libm function by name.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util

import llvmlite.ir as ir

from symc.backends.llvm.irtypes import F32, F64
from symc.config import config

#: NumPy's name -> LLVM intrinsic stem; these lower to libm (or to an instruction).
INTRINSICS = {
    "exp": "exp", "exp2": "exp2", "log": "log", "log2": "log2", "log10": "log10",
    "sin": "sin", "cos": "cos", "pow": "pow", "sqrt": "sqrt", "fabs": "fabs",
    "floor": "floor", "ceil": "ceil", "trunc": "trunc", "roundeven": "roundeven",
    "copysign": "copysign", "maximum": "maximum", "minimum": "minimum",
}
#: NumPy's name -> C math library name (float versions add the ``f`` suffix).
LIBM = {
    "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "log1p": "log1p", "expm1": "expm1",
    "erf": "erf",
}


@functools.cache
def _mathlib():
    """symc's vectorisable maths module, or None while it does not exist."""
    if importlib.util.find_spec("symc.backends.llvm.mathlib") is None:
        return None
    try:
        return importlib.import_module("symc.backends.llvm.mathlib")
    except Exception:  # a half-finished mathlib must not take the backend down: use libm
        return None


def uses_simd_math(name: str) -> bool:
    """True when ``name`` is computed by symc's mathlib rather than libm."""
    lib = _mathlib() if config.simd_math else None
    return lib is not None and name in getattr(lib, "SIMD_FUNCTIONS", ())


def math_function(module: ir.Module, name: str, ty: ir.Type) -> ir.Function:
    """The function computing ``name`` (NumPy's spelling) on ``ty`` (float or double)."""
    if uses_simd_math(name):
        return _mathlib().math_function(module, name, ty)
    if name in INTRINSICS:
        suffix = "f32" if ty == F32 else "f64"
        return _declare(module, f"llvm.{INTRINSICS[name]}.{suffix}", ty, name)
    if name in LIBM:
        return _declare(module, LIBM[name] + ("f" if ty == F32 else ""), ty, name)
    raise KeyError(f"no math function {name!r}")


def _declare(module: ir.Module, symbol: str, ty: ir.Type, name: str) -> ir.Function:
    if symbol in module.globals:
        return module.globals[symbol]
    arity = 2 if name in ("pow", "copysign", "maximum", "minimum", "arctan2") else 1
    return ir.Function(module, ir.FunctionType(ty, [ty] * arity), symbol)


def math_call(b: ir.IRBuilder, name: str, args: list[ir.Value], fastmath=()) -> ir.Value:
    """Emit ``name(*args)``; the arguments are float or double registers."""
    ty = args[0].type
    if ty not in (F32, F64):
        raise TypeError(f"math_call({name}) on {ty}")
    return b.call(math_function(b.module, name, ty), args, fastmath=fastmath)
