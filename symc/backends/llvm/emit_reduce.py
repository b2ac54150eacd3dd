"""Reduction kernels: ``Reduce`` (sum, prod, max, min, any, all), optionally of a fused Composite.

The loop nest runs over the *input's* iteration space in memory order, and folds each element
into the output element it belongs to. Along the innermost dimension that means either a
register accumulator (the dimension is reduced: load the output once, fold, store once;
vectorized with partial sums when LLVM may reassociate) or an elementwise update of the
output row (the dimension is kept: ``out[j] = fold(out[j], x[i, j])``, also vectorized).

The kernel only folds: the entry point fills the output with the fold's identity first, and
a chunk folds into ``out + chunk * chunk_stride`` so that a runtime splitting a reduced
dimension 0 across threads can give each chunk its own partial output and combine them in
chunk order afterwards (with one chunk, the stride is 0 and the partial is the output).
Max/min of an empty reduction never gets here: the thunk raises NumPy's ValueError first.
"""

from __future__ import annotations

from dataclasses import dataclass

import llvmlite.ir as ir
import numpy as np

from symc.backends.llvm.emit_cast import convert
from symc.backends.llvm.emit_loops import (
    ElemwiseBody,
    KernelFunction,
    Operand,
    counted_loop,
    trig_checked,
    versioned,
)
from symc.backends.llvm.emit_scalar import MAXIMUM, MINIMUM
from symc.backends.llvm.irtypes import I8, I64, NotLowerable, constant, kind
from symc.backends.llvm.mathcall import math_call

#: fold -> identity per dtype kind (used to fill the output before folding).
_IDENTITY = {
    "add": {"f": 0.0, "i": 0, "u": 0, "b": False},
    "mul": {"f": 1.0, "i": 1, "u": 1, "b": True},
    "maximum": {"f": float("-inf"), "b": False},
    "minimum": {"f": float("inf"), "b": True},
    "or_": {"b": False},
    "and_": {"b": True},
}


def identity(fold: str, dtype: str):
    """The value a ``fold`` reduction over ``dtype`` starts from."""
    k = kind(dtype)
    if fold in ("maximum", "minimum") and k in "iu":
        info = np.iinfo(dtype)
        return int(info.min if fold == "maximum" else info.max)
    try:
        return _IDENTITY[fold][k]
    except KeyError:
        raise NotLowerable(f"no identity for {fold} over {dtype}") from None


def accumulator_dtype(fold: str, element: str, out: str) -> str:
    """The dtype the fold runs in, as NumPy's reduction does; it must be the output's."""
    acc = {"add": out, "mul": out, "maximum": element, "minimum": element,
           "or_": "bool", "and_": "bool"}[fold]
    if acc != out:
        raise NotLowerable(f"{fold} over {element} into {out}: NumPy casts after reducing")
    return acc


def _fold_values(b, fold: str, dtype: str, acc, value, fastmath):
    k = kind(dtype)
    if fold == "add":
        return b.fadd(acc, value, flags=fastmath) if k == "f" else (
            b.or_(acc, value) if k == "b" else b.add(acc, value))
    if fold == "mul":
        return b.fmul(acc, value, flags=fastmath) if k == "f" else (
            b.and_(acc, value) if k == "b" else b.mul(acc, value))
    if fold in ("maximum", "minimum") and k == "f":
        # LLVM's NaN-propagating maximum/minimum: vectorizable as a reduction.
        return math_call(b, fold, [acc, value])
    if fold in ("maximum", "minimum"):
        table = MAXIMUM if fold == "maximum" else MINIMUM
        return table[k](_Builder(b), acc, value)
    return b.or_(acc, value) if fold == "or_" else b.and_(acc, value)


class _Builder:
    """Adapts a bare builder to the ``e.b`` shape the scalar max/min emitters expect."""

    def __init__(self, b):
        self.b = b


@dataclass
class ReduceBody:
    """The element computation (an elementwise body with one output) and the fold."""

    element: ElemwiseBody
    element_dtype: str
    fold: str
    acc_dtype: str

    def value(self, b, status_ptr, values: dict) -> ir.Value:
        """The element folded into the output, as a register of the accumulator dtype."""
        (value,) = self.element.compute(b, status_ptr, values)
        return convert(b, value, self.element_dtype, self.acc_dtype)

    def fold_into(self, b, acc, value):
        """``fold(acc, value)``."""
        return _fold_values(b, self.fold, self.acc_dtype, acc, value, self.element.fastmath)


def _reduce_inner(kf: KernelFunction, body: ReduceBody, unit_cond, fixed: list[bool],
                  register_acc: bool):
    """The innermost loop of a reduction: a register accumulator or an output-row update."""
    operands = kf.operands
    out = len(operands) - 1

    def inner(b, bases, lo, hi):
        def emit(unit):
            def run(b):
                hoisted = {k: kf.load(b, k, bases[k]) for k in range(out) if unit and fixed[k]}

                def addr(b, k, i):
                    return bases[k] if unit and fixed[k] else kf.element_address(
                        b, k, bases[k], i, unit)

                def element(b, i):
                    values = {k: hoisted[k] if k in hoisted else kf.load(b, k, addr(b, k, i))
                              for k in range(out)}
                    return body.value(b, kf.status_ptr, values)

                if register_acc:
                    start = kf.load(b, out, bases[out])
                    (acc,) = trig_checked(b, lambda b: counted_loop(b, lo, hi, [start], (
                        lambda b, i, c: [body.fold_into(b, c[0], element(b, i))]),
                        vectorize=unit))
                    kf.store(b, out, acc, bases[out])
                    return

                def step(b, i, _):
                    where = addr(b, out, i)
                    new = body.fold_into(b, kf.load(b, out, where), element(b, i))
                    kf.store(b, out, new, where)
                    return []

                counted_loop(b, lo, hi, [], step, vectorize=unit)
            return run

        versioned(b, unit_cond, emit(True), emit(False))

    return inner


def _chunk_output(kf: KernelFunction) -> None:
    """Point the output at this chunk's partial: ``out + chunk * chunk_stride``."""
    b = kf.b
    stride = b.load(b.gep(kf.ctx, [ir.Constant(I64, kf.layout.chunk_stride)], source_etype=I64),
                    typ=I64)
    kf.ptrs[-1] = b.gep(kf.ptrs[-1], [b.mul(kf.chunk, stride)], source_etype=I8)


def emit_reduce(module: ir.Module, name: str, operands: list[Operand], ndim: int,
                body: ReduceBody) -> list[str]:
    """Emit the chunk functions of a reduction; return their names (strided first)."""
    names = [f"{name}_strided"]
    kf = KernelFunction(module, names[0], operands, ndim)
    _chunk_output(kf)
    out = operands[-1]
    if ndim == 0:
        fixed, unit_cond, register_acc = [True] * len(operands), None, False
    else:
        fixed = [o.fixed_along(ndim - 1) for o in operands]
        unit_cond = kf.unit_condition([k for k, f in enumerate(fixed) if not f])
        register_acc = out.dims[ndim - 1] is None
    kf.nest(_reduce_inner(kf, body, unit_cond, fixed, register_acc))
    kf.b.ret_void()
    if ndim >= 2 and all(d is None for d in out.dims):
        names.append(f"{name}_contig")
        kc = KernelFunction(module, names[1], operands, ndim)
        _chunk_output(kc)
        fixed = [o.scalar for o in operands]
        _reduce_inner(kc, body, None, fixed, True)(kc.b, kc.ptrs, kc.start, kc.stop)
        kc.b.ret_void()
    return names


def identity_bits(fold: str, dtype: str) -> int:
    """The identity's bit pattern in memory, as an unsigned integer (bool: 0 or 1)."""
    size = np.dtype(dtype).itemsize
    stored = np.array([identity(fold, dtype)], dtype=dtype)
    return int(stored.view(f"u{size}")[0])


def identity_constant(fold: str, dtype: str) -> ir.Constant:
    """The identity as a register constant of ``dtype``."""
    return constant(dtype, identity(fold, dtype))
