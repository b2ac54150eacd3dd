"""Loop nests: the chunk functions of elementwise kernels, and the pieces reductions share.

Every kernel has the runtime's ABI, ``void k(void *ctx, int64 chunk, int64 start, int64 stop)``.
``ctx`` is an array of int64 slots (:class:`CtxLayout`): the data pointer of each array
operand (inputs, then outputs), the iteration shape, each operand's byte strides in the
iteration space (0 along a broadcast dimension), a status slot the kernel sets on an error,
and the byte distance between per-chunk partial outputs (reductions).

A node gets up to two chunk functions:

* ``<name>_strided``: ``[start, stop)`` ranges over dimension 0 of the iteration space; the
  loops nest in dimension order and the innermost loop exists twice: a "unit" version, taken
  when every moving operand has unit element stride (LLVM vectorizes it), and a generic one
  that steps by the byte strides (negative, zero or anything else).
* ``<name>_contig`` (only with 2 or more dimensions): ``[start, stop)`` ranges over the flat
  element index; used when every operand is C-contiguous with the full shape.

Operands whose static shape is all ones (a broadcast scalar) are loaded once per loop, not
per element, so that the vectorizer sees a loop-invariant value.

Loops calling symc's sin, cos or tan run their in-range variants and check the arguments;
only when one is huge does the loop run again with the exact functions (:func:`trig_checked`),
so the branch-free Payne-Hanek reduction costs nothing on ordinary arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import llvmlite.ir as ir

from symc.backends.llvm.emit_scalar import Arg, ScalarEmitter, emit_op
from symc.backends.llvm.irtypes import (
    CHUNK_FN_TYPE,
    I1,
    I8,
    I64,
    PTR,
    constant,
    itemsize,
    load,
    memory_type,
    store,
)

ZERO = ir.Constant(I64, 0)
ONE = ir.Constant(I64, 1)


@dataclass(frozen=True)
class Operand:
    """An array a kernel reads or writes.

    ``static_shape`` is the array's own static shape; ``dims`` maps each dimension of the
    iteration space to the array's dimension (``None``: the array does not move along it,
    as a reduction's output along a reduced axis).
    """

    dtype: str
    static_shape: tuple
    is_output: bool
    dims: tuple

    @property
    def ndim(self) -> int:
        """The array's number of dimensions."""
        return len(self.static_shape)

    def fixed_along(self, j: int) -> bool:
        """True when the operand statically does not move along iteration dimension ``j``."""
        d = self.dims[j]
        return d is None or self.static_shape[d] == 1

    @property
    def scalar(self) -> bool:
        """True when the operand is statically one element, broadcast over the whole loop."""
        return all(self.fixed_along(j) for j in range(len(self.dims)))


class CtxLayout:
    """Slot numbers in a kernel's int64 context array."""

    def __init__(self, n_operands: int, ndim: int):
        self.n_operands = n_operands
        self.ndim = ndim
        self.status = n_operands + ndim + n_operands * ndim
        self.chunk_stride = self.status + 1
        self.size = self.status + 2

    def ptr(self, k: int) -> int:
        """Slot of operand ``k``'s data pointer."""
        return k

    def shape(self, j: int) -> int:
        """Slot of the iteration shape's dimension ``j``."""
        return self.n_operands + j

    def stride(self, k: int, j: int) -> int:
        """Slot of operand ``k``'s byte stride along iteration dimension ``j``."""
        return self.n_operands + self.ndim + k * self.ndim + j


def slot(b: ir.IRBuilder, ctx: ir.Value, index: int) -> ir.Value:
    """Address of int64 slot ``index`` of ``ctx``."""
    return b.gep(ctx, [ir.Constant(I64, index)], source_etype=I64, inbounds=True)


class _DistinctNode(ir.MDValue):
    """A metadata node compared by identity: llvmlite hashes nodes by their operands, which
    recurses forever on the self-referential nodes LLVM uses as loop and scope IDs."""

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other


def self_referential_node(module: ir.Module, tag: str, *operands) -> ir.MDValue:
    """``!N = !{!N, operands...}`` (``tag`` only makes the node unique while it is built)."""
    node = module.add_metadata([ir.MetaDataString(module, tag)])
    node.__class__ = _DistinctNode
    node.operands = (node, *operands)
    return node


def scalar_loop_metadata(module: ir.Module):
    """Loop metadata asking LLVM not to vectorize (one node per module).

    Loops that step by arbitrary byte strides would vectorize only into gathers and
    scatters: slower to compile, larger, and rarely faster than the scalar loop.
    """
    cached = getattr(module, "_symc_scalar_loop", None)
    if cached is None:
        option = module.add_metadata([ir.MetaDataString(module, "llvm.loop.vectorize.enable"),
                                      ir.Constant(ir.IntType(1), 0)])
        cached = self_referential_node(module, "symc.scalar_loop", option)
        module._symc_scalar_loop = cached
    return cached


def bookkeeping_loop_metadata(module: ir.Module):
    """Loop metadata for short bookkeeping loops (over chunks, partials): neither vectorized
    nor unrolled, so that they cost the compiler next to nothing (one node per module)."""
    cached = getattr(module, "_symc_bookkeeping_loop", None)
    if cached is None:
        options = [module.add_metadata([ir.MetaDataString(module, "llvm.loop.vectorize.enable"),
                                        ir.Constant(ir.IntType(1), 0)]),
                   module.add_metadata([ir.MetaDataString(module, "llvm.loop.unroll.disable")])]
        cached = self_referential_node(module, "symc.bookkeeping_loop", *options)
        module._symc_bookkeeping_loop = cached
    return cached


def operand_scopes(module: ir.Module, name: str, count: int) -> list[dict]:
    """Alias metadata per operand: each operand is its own scope, disjoint from the others.

    True by construction: outputs are freshly allocated, and inputs that share memory are
    only read. Knowing it, LLVM vectorizes without run-time overlap checks and the scalar
    fallback loop they need (less code, faster compiles).
    """
    domain = self_referential_node(module, f"symc.{name}")
    scopes = [self_referential_node(module, f"symc.{name}.{k}", domain) for k in range(count)]
    return [{"alias.scope": module.add_metadata([scope]),
             "noalias": module.add_metadata([s for s in scopes if s is not scope])}
            for scope in scopes]


def counted_loop(b: ir.IRBuilder, lo, hi, carried: list, body: Callable,
                 vectorize: bool = True, bookkeeping: bool = False) -> list:
    """Emit ``for i in [lo, hi): carried = body(b, i, carried)``; return the final carried.

    ``body`` may open blocks of its own; it must return the new carried values. A
    ``bookkeeping`` loop is neither vectorized nor unrolled.
    """
    entry = b.block
    head = b.append_basic_block("loop.head")
    step = b.append_basic_block("loop.body")
    done = b.append_basic_block("loop.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, name="i")
    i.add_incoming(lo, entry)
    phis = []
    for value in carried:
        phi = b.phi(value.type)
        phi.add_incoming(value, entry)
        phis.append(phi)
    b.cbranch(b.icmp_signed("<", i, hi), step, done)
    b.position_at_end(step)
    new = body(b, i, phis)
    i.add_incoming(b.add(i, ONE), b.block)
    for phi, value in zip(phis, new, strict=True):
        phi.add_incoming(value, b.block)
    back = b.branch(head)
    if bookkeeping:
        back.set_metadata("llvm.loop", bookkeeping_loop_metadata(b.module))
    elif not vectorize:
        back.set_metadata("llvm.loop", scalar_loop_metadata(b.module))
    b.position_at_end(done)
    return phis


def versioned(b: ir.IRBuilder, condition, fast: Callable, generic: Callable) -> None:
    """Run ``fast(b)`` when ``condition`` holds, else ``generic(b)``; both return nothing."""
    if condition is None:
        fast(b)
        return
    with b.if_else(condition) as (then, otherwise):
        with then:
            fast(b)
        with otherwise:
            generic(b)


def _new_calls(fn: ir.Function, known: set) -> list:
    """Call instructions of ``fn`` whose ids are not in ``known``."""
    return [instr for block in fn.blocks for instr in block.instructions
            if isinstance(instr, ir.CallInstr) and id(instr) not in known]


def trig_checked(b: ir.IRBuilder, emit_loop: Callable) -> list:
    """Emit ``emit_loop(b)`` (a loop returning its carried values) so that the mathlib's
    sin/cos/tan in it cost what they cost on ordinary arguments.

    Their exact versions carry a Payne-Hanek reduction for ``|x| >= 2^48`` which, being
    branch-free, would be paid for every element. So the loop is emitted with the in-range
    variants (:func:`mathlib_trig.in_range_variant`) plus a flag, OR-ed over the loop, of
    any argument out of their range; only when it is set does the loop run again, with
    the exact functions, over the same range. Sound for loops whose effects the second run
    overwrites (elementwise stores, a register accumulator restarted from its initial
    value). Loops without such calls are emitted once, unchanged.
    """
    # (imported here: the maths modules are only needed when kernels are built)
    from symc.backends.llvm.mathlib_trig import in_range_variant, out_of_range

    fn = b.function
    known = {id(instr) for block in fn.blocks for instr in block.instructions}
    with b.goto_entry_block():
        flag = b.alloca(I1, name="trig.out_of_range")
    b.store(ir.Constant(I1, 0), flag)
    values = emit_loop(b)
    calls = [(call, variant) for call in _new_calls(fn, known)
             if (variant := in_range_variant(b.module, call.callee)) is not None]
    if not calls:
        return values
    for call, variant in calls:
        call.replace_callee(variant)
        # The check goes right after the call: its block need not dominate the loop latch.
        check = ir.IRBuilder(call.parent)
        check.position_after(call)
        outside = out_of_range(check, call.args[0])
        check.store(check.or_(check.load(flag, typ=I1), outside), flag)
    before = b.block
    with b.if_then(b.load(flag, typ=I1), likely=False):
        exact = emit_loop(b)
        rerun = b.block
    merged = []
    for fast, slow in zip(values, exact, strict=True):
        phi = b.phi(fast.type)
        phi.add_incoming(fast, before)
        phi.add_incoming(slow, rerun)
        merged.append(phi)
    return merged


class KernelFunction:
    """A chunk function under construction, with its context slots read in the entry block."""

    def __init__(self, module: ir.Module, name: str, operands: list[Operand], ndim: int):
        self.fn = ir.Function(module, CHUNK_FN_TYPE, name)
        self.fn.attributes.add("nounwind")
        self.ctx, self.chunk, self.start, self.stop = self.fn.args
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.operands = operands
        self.ndim = ndim
        self.layout = CtxLayout(len(operands), ndim)
        b, ctx = self.b, self.ctx
        self.ptrs = [b.load(slot(b, ctx, self.layout.ptr(k)), typ=PTR)
                     for k in range(len(operands))]
        self.shape = [b.load(slot(b, ctx, self.layout.shape(j)), typ=I64) for j in range(ndim)]
        self.strides = [[b.load(slot(b, ctx, self.layout.stride(k, j)), typ=I64)
                         for j in range(ndim)] for k in range(len(operands))]
        self.status_ptr = slot(b, ctx, self.layout.status)
        self.alias = operand_scopes(module, name, len(operands))

    def load(self, b, k: int, ptr) -> ir.Value:
        """Load an element of operand ``k``."""
        return load(b, ptr, self.operands[k].dtype, self.alias[k])

    def store(self, b, k: int, value, ptr) -> None:
        """Store an element of operand ``k``."""
        store(b, value, ptr, self.operands[k].dtype, self.alias[k])

    def unit_condition(self, moving: list[int]):
        """``i1``: every operand in ``moving`` has unit element stride in the last dimension."""
        b, cond = self.b, None
        for k in moving:
            size = ir.Constant(I64, itemsize(self.operands[k].dtype))
            test = b.icmp_signed("==", self.strides[k][self.ndim - 1], size)
            cond = test if cond is None else b.and_(cond, test)
        return cond

    def nest(self, inner: Callable) -> None:
        """Loop over dimensions ``0 .. ndim-2`` (dimension 0 over ``[start, stop)``), calling
        ``inner(b, bases, lo, hi)`` for the last dimension, whose loop it must emit."""
        b = self.b
        if self.ndim <= 1:
            inner(b, self.ptrs, self.start, self.stop)
            return

        def level(j, bases, lo, hi):
            if j == self.ndim - 1:
                inner(b, bases, lo, hi)
                return

            def body(b, i, _):
                moved = [b.gep(base, [b.mul(i, self.strides[k][j])], source_etype=I8)
                         for k, base in enumerate(bases)]
                level(j + 1, moved, ZERO, self.shape[j + 1])
                return []

            counted_loop(b, lo, hi, [], body)

        level(0, self.ptrs, self.start, self.stop)

    def element_address(self, b, k: int, base, i, unit: bool):
        """Address of operand ``k``'s element ``i`` along the innermost loop."""
        if unit:
            return b.gep(base, [i], source_etype=memory_type(self.operands[k].dtype))
        return b.gep(base, [b.mul(i, self.strides[k][self.ndim - 1])], source_etype=I8)


# -- elementwise kernels -----------------------------------------------------------------------

@dataclass
class ElemwiseBody:
    """The scalar computation of one Elemwise node.

    ``inputs`` holds, per node input, the operand index of the array it reads or ``None``
    for an inlined scalar constant, whose ``(value, dtype, weak)`` is in ``constants``.
    """

    scalar_op: object
    in_dtypes: list[str]
    out_dtypes: list[str]
    inputs: list
    constants: dict
    fastmath: tuple

    def compute(self, b, status_ptr, values: dict) -> list[ir.Value]:
        """Register values of the outputs, given ``values[operand] -> register value``."""
        args = []
        for pos, k in enumerate(self.inputs):
            if k is None:
                value, dtype, weak = self.constants[pos]
                args.append(Arg(constant(dtype, value), dtype, (value, weak)))
            else:
                args.append(Arg(values[k], self.in_dtypes[pos]))
        e = ScalarEmitter(b, self.fastmath, status_ptr)
        return emit_op(e, self.scalar_op, args, self.out_dtypes)


def _elemwise_inner(kf: KernelFunction, body: ElemwiseBody, unit_cond, fixed: list[bool]):
    """The innermost loop of an elementwise kernel (unit and generic versions)."""
    operands = kf.operands
    n_in = sum(not o.is_output for o in operands)

    def inner(b, bases, lo, hi):
        def emit(unit):
            def run(b):
                hoisted = {k: kf.load(b, k, bases[k]) for k in range(n_in) if unit and fixed[k]}

                def step(b, i, _):
                    def addr(k):
                        return bases[k] if unit and fixed[k] else kf.element_address(
                            b, k, bases[k], i, unit)
                    values = {k: hoisted[k] if k in hoisted else kf.load(b, k, addr(k))
                              for k in range(n_in)}
                    results = body.compute(b, kf.status_ptr, values)
                    for k, value in enumerate(results, start=n_in):
                        kf.store(b, k, value, addr(k))
                    return []

                trig_checked(b, lambda b: counted_loop(b, lo, hi, [], step, vectorize=unit))
            return run

        versioned(b, unit_cond, emit(True), emit(False))

    return inner


def emit_elemwise(module: ir.Module, name: str, operands: list[Operand], ndim: int,
                  body: ElemwiseBody) -> list[str]:
    """Emit the chunk functions of an elementwise node; return their names (strided first)."""
    names = [f"{name}_strided"]
    kf = KernelFunction(module, names[0], operands, ndim)
    if ndim == 0:
        fixed = [True] * len(operands)
        unit_cond = None
    else:
        fixed = [o.fixed_along(ndim - 1) for o in operands]
        unit_cond = kf.unit_condition([k for k, f in enumerate(fixed) if not f])
    kf.nest(_elemwise_inner(kf, body, unit_cond, fixed))
    kf.b.ret_void()
    if ndim >= 2:
        names.append(f"{name}_contig")
        kc = KernelFunction(module, names[1], operands, ndim)  # same ctx layout; flat loop
        fixed = [o.scalar for o in operands]
        _elemwise_inner(kc, body, None, fixed)(kc.b, kc.ptrs, kc.start, kc.stop)
        kc.b.ret_void()
    return names
