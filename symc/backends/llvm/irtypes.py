"""symc dtypes as LLVM types: how a value sits in memory and in a register.

Two representations differ from the memory one: ``bool`` is ``i8`` (0/1) in memory and
``i1`` in registers, so it can feed ``select`` and branch directly; ``float16`` is ``half``
in memory and ``float`` in registers, because NumPy computes float16 ops in float32 and
rounds each result (:func:`round_half` does that rounding).
"""

from __future__ import annotations

import llvmlite.ir as ir
import numpy as np

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
HALF = ir.HalfType()
F32 = ir.FloatType()
F64 = ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()

#: The runtime's kernel ABI: ``void chunk_fn(void *ctx, int64 chunk, int64 start, int64 stop)``.
CHUNK_FN_TYPE = ir.FunctionType(VOID, [PTR, I64, I64, I64])

_INT_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64,
             "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64}
_REGISTER = {"bool": I1, "float16": F32, "float32": F32, "float64": F64,
             **{name: ir.IntType(bits) for name, bits in _INT_BITS.items()}}
_MEMORY = {**_REGISTER, "bool": I8, "float16": HALF}


class NotLowerable(Exception):
    """The LLVM backend has no lowering for this op and these dtypes; NumPy runs the node."""


def kind(dtype: str) -> str:
    """NumPy's kind letter: ``b`` bool, ``i`` signed, ``u`` unsigned, ``f`` float."""
    return np.dtype(dtype).kind


def register_type(dtype: str) -> ir.Type:
    """The LLVM type a value of ``dtype`` has while it is computed with."""
    try:
        return _REGISTER[dtype]
    except KeyError:
        raise NotLowerable(f"no LLVM type for dtype {dtype}") from None


def memory_type(dtype: str) -> ir.Type:
    """The LLVM type of one element of ``dtype`` in an array."""
    try:
        return _MEMORY[dtype]
    except KeyError:
        raise NotLowerable(f"no LLVM type for dtype {dtype}") from None


def itemsize(dtype: str) -> int:
    """Bytes per element."""
    return np.dtype(dtype).itemsize


def int_bits(dtype: str) -> int:
    """Bit width of an integer dtype."""
    return _INT_BITS[dtype]


def int_range(dtype: str) -> tuple[int, int]:
    """Smallest and largest value of an integer or bool dtype."""
    if dtype == "bool":
        return 0, 1
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def constant(dtype: str, value) -> ir.Constant:
    """``value`` converted to ``dtype`` as NumPy would, as a register constant."""
    with np.errstate(all="ignore"):
        value = np.asarray(value).astype(dtype).item()
    ty = register_type(dtype)
    if dtype == "bool":
        return ir.Constant(I1, int(bool(value)))
    if isinstance(ty, ir.IntType):
        bits = ty.width
        value = int(value) & ((1 << bits) - 1)
        return ir.Constant(ty, value - (1 << bits) if value >> (bits - 1) else value)
    return ir.Constant(ty, float(value))


def round_half(b: ir.IRBuilder, value: ir.Value) -> ir.Value:
    """Round a float32 register value to the nearest float16, kept in a float32 register."""
    return b.fpext(b.fptrunc(value, HALF), F32)


def declare(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    """The function ``name`` of ``module``, declared (external) on first use."""
    existing = module.globals.get(name)
    if existing is not None:
        return existing
    return ir.Function(module, fnty, name)


def _annotate(instr, metadata: dict | None) -> None:
    for kind_name, node in (metadata or {}).items():
        instr.set_metadata(kind_name, node)


def load(b: ir.IRBuilder, ptr: ir.Value, dtype: str, metadata: dict | None = None) -> ir.Value:
    """Load one element of ``dtype`` from ``ptr`` into its register form."""
    value = b.load(ptr, typ=memory_type(dtype))
    _annotate(value, metadata)
    if dtype == "bool":
        return b.icmp_unsigned("!=", value, ir.Constant(I8, 0))
    if dtype == "float16":
        return b.fpext(value, F32)
    return value


def store(b: ir.IRBuilder, value: ir.Value, ptr: ir.Value, dtype: str,
          metadata: dict | None = None) -> None:
    """Store a register value of ``dtype`` to ``ptr`` in its memory form."""
    if dtype == "bool":
        value = b.zext(value, I8)
    elif dtype == "float16":
        value = b.fptrunc(value, HALF)
    _annotate(b.store(value, ptr), metadata)
