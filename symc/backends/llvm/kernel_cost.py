"""A kernel's single-thread cost per element, estimated from its ops at compile time.

The entry point multiplies it by the element count to decide whether a loop pays for the
thread pool (:mod:`emit_parallel`). It is the sum of a table cost per scalar op of the loop
body (a ``Composite`` counts each of its instructions), per array operand for the memory it
reads or writes, and per element for the loop itself. float32 maths costs half of float64
(twice the SIMD lanes). A transcendental costs what symc's vectorised mathlib costs when
``config.simd_math`` routes it there, else what a scalar libm call costs.

The numbers were calibrated on the 2-core AMD EPYC (Zen 5, AVX-512) development machine by
timing one-op kernels over cache-resident float64 arrays (``benchmarks/bench_issue5.py
--calibrate`` prints them again): they need to be right within a factor of ~2 only, since a
loop splits only when its work is several dispatch costs per thread
(:data:`symc.runtime.plan.SPLIT_MARGIN`).
"""

from __future__ import annotations

from symc.backends.llvm.irtypes import itemsize
from symc.backends.llvm.mathcall import uses_simd_math
from symc.ops.composite import Composite

#: ns per element of the loop itself (index, branch), whatever it computes.
LOOP_NS = 0.03
#: ns per 8 bytes read from an input array (streaming from cache or memory).
LOAD_NS = 0.07
#: ns per 8 bytes written to an output array.
STORE_NS = 0.1
#: ns of a float64 op not listed below: add, mul, compare, select, abs, min/max, casts...
SIMPLE_NS = 0.04
#: float64 ns per element of the ops that cost more than a simple instruction, vectorised.
OP_NS = {
    "true_div": 0.15, "reciprocal": 0.15, "sqrt": 0.15, "floor_div": 0.5, "mod": 0.5,
    "exp": 0.45, "exp2": 0.4, "expm1": 0.6, "log": 0.7, "log2": 0.7, "log10": 0.75,
    "log1p": 0.8, "sin": 0.8, "cos": 0.8, "tan": 1.2, "tanh": 0.85, "sinh": 0.8,
    "cosh": 0.7, "sigmoid": 0.5, "softplus": 1.0, "arctan": 0.75, "arcsin": 0.9,
    "arccos": 0.9, "arctan2": 1.2, "pow": 3.3, "erf": 1.45,
}
#: float64 ns of a scalar libm call (the loop no longer vectorises either).
LIBM_NS = {"pow": 20.0, "tan": 15.0, "arctan2": 20.0}
LIBM_DEFAULT_NS = 10.0
#: Integer division has no SIMD instruction: it costs the same in any width.
_INTEGER_DIVISION_NS = 2.0
#: Ops of OP_NS that are instructions, not maths-library functions.
_INSTRUCTIONS = frozenset({"true_div", "reciprocal", "sqrt", "floor_div", "mod"})


def op_ns(name: str, dtype: str) -> float:
    """Estimated ns per element of scalar op ``name`` computing a ``dtype`` value."""
    kind = dtype[0]
    if name in ("floor_div", "mod") and kind in "iu":
        return _INTEGER_DIVISION_NS
    if kind == "f" and name in OP_NS and name not in _INSTRUCTIONS and not uses_simd_math(name):
        return LIBM_NS.get(name, LIBM_DEFAULT_NS)
    cost = OP_NS.get(name, SIMPLE_NS)
    return cost if itemsize(dtype) >= 8 else cost / 2


def _scalar_ns(scalar_op, out_dtypes) -> float:
    if isinstance(scalar_op, Composite):
        return sum(op_ns(instr.op.name, instr.dtype) for instr in scalar_op.instrs)
    return sum(op_ns(scalar_op.name, dtype) for dtype in out_dtypes)


def ns_per_element(body, operands) -> float:
    """Estimated single-thread ns per iteration of a kernel with ``body`` and ``operands``.

    ``body`` is an ``ElemwiseBody`` or a ``ReduceBody`` (whose fold adds a simple op);
    operands that are one element broadcast over the loop cost nothing per element.
    """
    element = getattr(body, "element", body)
    cost = LOOP_NS + _scalar_ns(element.scalar_op, element.out_dtypes)
    if element is not body:  # a reduction: the fold, and no output stream
        cost += SIMPLE_NS
    for op in operands:
        if op.scalar or (op.is_output and element is not body):
            continue
        cost += itemsize(op.dtype) / 8 * (STORE_NS if op.is_output else LOAD_NS)
    return cost
