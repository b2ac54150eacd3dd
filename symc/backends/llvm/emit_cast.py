"""Conversions between dtypes with NumPy's ``astype`` semantics, and without undefined behaviour.

LLVM's ``fptosi``/``fptoui`` give poison for NaN, infinities and values out of range. NumPy on
x86-64 compiles the C cast, i.e. the ``cvttsd2si`` instruction, which answers the "integer
indefinite" value (INT_MIN) instead; narrower integers are cut from a 32-bit conversion,
``uint32`` from a 64-bit one. We reproduce that with ``select``: the poison of an out-of-range
``fptosi`` is never the value chosen, so no UB reaches the result (LLVM's select only
propagates the poison of the operand it picks).
"""

from __future__ import annotations

import llvmlite.ir as ir

from symc.backends.llvm.irtypes import F32, F64, HALF, I1, I32, I64, kind, register_type, round_half


def convert(b: ir.IRBuilder, value: ir.Value, src: str, dst: str) -> ir.Value:
    """``value`` (a register of dtype ``src``) converted to dtype ``dst``."""
    if src == dst:
        return value
    sk, dk = kind(src), kind(dst)
    if dk == "b":
        return _to_bool(b, value, sk)
    if sk == "b":
        if dk == "f":
            return b.uitofp(value, register_type(dst))
        return b.zext(value, register_type(dst))
    if sk in "iu" and dk in "iu":
        return _int_to_int(b, value, sk == "i", register_type(dst))
    if sk in "iu":  # to float; any int that is finite in float16 is exact in float32
        op = b.sitofp if sk == "i" else b.uitofp
        result = op(value, register_type(dst))
        return round_half(b, result) if dst == "float16" else result
    if dk == "f":
        return _float_to_float(b, value, src, dst)
    return _float_to_int(b, value, src, dst)


def _to_bool(b, value, src_kind):
    if src_kind == "f":
        return b.fcmp_unordered("!=", value, ir.Constant(value.type, 0.0))  # NaN is true
    return b.icmp_unsigned("!=", value, ir.Constant(value.type, 0))


def _int_to_int(b, value, signed, ty):
    width, target = value.type.width, ty.width
    if target == width:
        return value
    if target < width:
        return b.trunc(value, ty)
    return b.sext(value, ty) if signed else b.zext(value, ty)


def _float_to_float(b, value, src, dst):
    if dst == "float16":
        if value.type == F64:
            value = _double_to_float_round_to_odd(b, value)
        return b.fpext(b.fptrunc(value, HALF), F32)
    target = register_type(dst)
    if value.type == target:  # float16 (a float register) to float32
        return value
    return b.fpext(value, target) if target == F64 else b.fptrunc(value, target)


def _double_to_float_round_to_odd(b, value):
    """``value`` rounded to float32 "to odd", so that rounding it on to float16 is exact.

    LLVM lowers ``fptrunc double to half`` to ``__truncdfhf2``, a compiler-rt routine the
    JIT cannot resolve in a Python process. Rounding to float first and then to half could
    round twice; rounding to float *toward zero with a sticky last bit* cannot (float has
    more than twice half's precision), which is what this computes.
    """
    single = b.fptrunc(value, F32)
    back = b.fpext(single, F64)
    fabs = b.module.declare_intrinsic("llvm.fabs", [F64])
    bits = b.bitcast(single, I32)
    away = b.fcmp_ordered(">", b.call(fabs, [back]), b.call(fabs, [value]))
    bits = b.select(away, b.sub(bits, ir.Constant(I32, 1)), bits)
    inexact = b.fcmp_ordered("!=", back, value)
    bits = b.select(inexact, b.or_(bits, ir.Constant(I32, 1)), bits)
    return b.bitcast(bits, F32)


def x86_truncate(b: ir.IRBuilder, value: ir.Value, ty: ir.IntType) -> ir.Value:
    """``cvttsd2si`` to a signed 32/64-bit int: INT_MIN for NaN, inf and out of range."""
    bits = ty.width
    low = ir.Constant(value.type, -(2.0 ** (bits - 1)))
    high = ir.Constant(value.type, 2.0 ** (bits - 1))
    valid = b.and_(b.fcmp_ordered(">=", value, low), b.fcmp_ordered("<", value, high))
    return b.select(valid, b.fptosi(value, ty), ir.Constant(ty, -(1 << (bits - 1))))


def _float_to_int(b, value, src, dst):
    ty = register_type(dst)
    if dst == "uint32" and src == "float16":  # NumPy's scalar half loop: a 64-bit C cast
        return b.trunc(x86_truncate(b, value, I64), ty)
    if dst in ("int64", "int32"):
        return x86_truncate(b, value, ty)
    if dst in ("int8", "int16", "uint8", "uint16"):
        return b.trunc(x86_truncate(b, value, I32), ty)
    if dst == "uint32":
        return _float_to_uint32(b, value)
    return _float_to_uint64(b, value)


def _float_to_uint32(b, value):
    """NumPy's (vectorized) float -> uint32 on x86: values >= 2**31 are converted shifted
    down by 2**31 (so NaN, -inf and values below -2**31 give 2**31, +inf and >= 2**32 give 0)."""
    two31 = ir.Constant(value.type, 2.0**31)
    high = b.xor(x86_truncate(b, b.fsub(value, two31), I32), ir.Constant(I32, -(1 << 31)))
    return b.select(b.fcmp_ordered(">=", value, two31), high, x86_truncate(b, value, I32))


def _float_to_uint64(b, value):
    """NumPy's float -> uint64 on x86: values >= 2**63 take the high half, >= 2**64 give 0."""
    two63 = ir.Constant(value.type, 2.0**63)
    high = b.fcmp_ordered(">=", value, two63)
    too_big = b.fcmp_ordered(">=", value, ir.Constant(value.type, 2.0**64))
    shifted = b.xor(b.fptosi(b.fsub(value, two63), I64), ir.Constant(I64, -(1 << 63)))
    upper = b.select(too_big, ir.Constant(I64, 0), shifted)
    return b.select(high, upper, x86_truncate(b, value, I64))


def truth(b: ir.IRBuilder, value: ir.Value, dtype: str) -> ir.Value:
    """``value`` as an ``i1`` truth value (nonzero; NaN is true), as ``np.where`` reads it."""
    return value if value.type == I1 else convert(b, value, dtype, "bool")


__all__ = ["convert", "truth", "x86_truncate"]
