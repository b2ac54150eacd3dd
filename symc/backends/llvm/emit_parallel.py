"""How an entry point runs its chunk function: inline, or handed to the runtime's thread pool.

The deciding and the running live in the runtime's native code, compiled once per process
(``symc_parallel_run`` and ``symc_parallel_reduce``, :mod:`symc.runtime.dispatch_ir`); a
kernel module carries only the glue, so that splitting costs each ``function()`` little
LLVM time (the glue functions are ``optnone``, :func:`cold_function`):

* :func:`config_threads` reads ``config.num_threads`` from ``config.__dict__`` (the GIL is
  still held) only for loops with enough estimated work to be worth splitting -- the element
  count times the kernel's ns/element, a compile-time constant from :mod:`kernel_cost` --
  or when tests force splitting; every other call goes straight to the kernel;
* :func:`dispatch_loop` calls ``symc_parallel_run`` through the address the runtime publishes
  in its dispatch state (the data symbol ``symc_runtime_state``), passing the kernel's *split
  history* (a zeroed global per kernel); before the runtime exists it runs the loop inline
  and, for a large loop, asks Python to prepare the pool (``WANT_PREPARE``);
* :func:`dispatch_reduction` does the same for a reduction whose chunks would fold into the
  same output elements: the runtime gives each chunk a private partial output and folds
  them into the output in chunk order with the kernel's :func:`emit_combine`. Their number
  (:func:`reduction_chunks`) depends only on the element count, ``config.num_threads`` and
  the kernel, never on timing: the same inputs and thread count give the same bits, however
  many threads ran. Such a reduction waits for the runtime to exist (``NEEDS_RUNTIME``).
"""

from __future__ import annotations

from collections.abc import Callable

import llvmlite.ir as ir

from symc.backends.llvm.emit_loops import ONE, ZERO, counted_loop
from symc.backends.llvm.irtypes import (
    CHUNK_FN_TYPE,
    F64,
    I8,
    I32,
    I64,
    PTR,
    VOID,
    declare,
    memory_type,
    store,
)
from symc.backends.llvm.irtypes import load as load_element
from symc.runtime import dispatch
from symc.runtime.dispatch_ir import (
    COMBINE_FN,
    HISTORY_WORDS,
    NEEDS_RUNTIME,
    NO_MEMORY,
    WANT_FORCED,
    WANT_PREPARE,
)

__all__ = ["NEEDS_RUNTIME", "NO_MEMORY", "WANT_FORCED", "WANT_PREPARE", "cold_function",
           "config_threads", "dispatch_loop", "dispatch_reduction", "emit_combine", "imin",
           "load_state", "reduction_chunks", "split_history"]

#: ``symc_parallel_run(state, fn, ctx, n, total, work, threads, fixed_chunks, history)``
PARALLEL_RUN = ir.FunctionType(
    I32, [PTR, CHUNK_FN_TYPE.as_pointer(), PTR, I64, I64, F64, I64, I64, PTR])
#: ``symc_parallel_reduce(...)``: the same, then combine, out_slot, stride_slot, identity,
#: itemsize, count (see ``symc.runtime.dispatch_ir.emit_parallel_reduce``)
PARALLEL_REDUCE = ir.FunctionType(
    I32, list(PARALLEL_RUN.args) + [COMBINE_FN.as_pointer(), I64, I64, I64, I64, I64])
_CONFIG_THREADS = "symc_config_threads"
_CPYTHON = {
    "PyDict_GetItemWithError": ir.FunctionType(PTR, [PTR, PTR]),
    "PyLong_AsLong": ir.FunctionType(I64, [PTR]),
    "PyErr_Clear": ir.FunctionType(VOID, []),
}


def _i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


def imin(b: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """The smaller of two signed integers."""
    return b.select(b.icmp_signed("<", x, y), x, y)


def _imax(b, x, y):
    return b.select(b.icmp_signed(">", x, y), x, y)


def _state(module: ir.Module) -> ir.GlobalVariable:
    """The external declaration of the runtime's dispatch state."""
    existing = module.globals.get(dispatch.SYMBOL)
    if existing is not None:
        return existing
    return ir.GlobalVariable(module, ir.ArrayType(I64, dispatch.STATE_BYTES // 8), dispatch.SYMBOL)


def load_state(b: ir.IRBuilder, name: str) -> ir.Value:
    """Load a scalar slot of the dispatch state: i64 or double (atomic: Python writes it)."""
    offset, kind = dispatch.SLOTS[name]
    address = b.gep(_state(b.module), [_i64(offset)], source_etype=I8)
    return b.load_atomic(address, "monotonic", 8, typ=F64 if kind == "d" else I64)


def _emit_config_threads(module: ir.Module) -> ir.Function:
    """``i64 symc_config_threads()``: ``config.num_threads``, at least 1 (GIL held)."""
    fn = cold_function(module, ir.FunctionType(I64, []), _CONFIG_THREADS)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    with b.if_then(b.icmp_signed("!=", load_state(b, "disabled"), ZERO), likely=False):
        b.ret(ONE)  # no pool can be made in this process
    item = b.call(declare(module, "PyDict_GetItemWithError", _CPYTHON["PyDict_GetItemWithError"]),
                  [b.inttoptr(load_state(b, "config_dict"), PTR),
                   b.inttoptr(load_state(b, "threads_key"), PTR)])
    with b.if_then(b.icmp_unsigned("==", item, ir.Constant(PTR, None)), likely=False):
        b.call(declare(module, "PyErr_Clear", _CPYTHON["PyErr_Clear"]), [])
        b.ret(ONE)
    threads = b.call(declare(module, "PyLong_AsLong", _CPYTHON["PyLong_AsLong"]), [item])
    with b.if_then(b.icmp_signed("<", threads, ONE), likely=False):  # -1: not an int
        b.call(declare(module, "PyErr_Clear", _CPYTHON["PyErr_Clear"]), [])
        b.ret(ONE)
    b.ret(threads)
    return fn


def config_threads(b: ir.IRBuilder, work: ir.Value) -> ir.Value:
    """``config.num_threads`` when ``work`` (ns) could pay for a split or splitting is
    forced, else 1 (without the dictionary lookup). Call it with the GIL held."""
    with b.goto_entry_block():
        slot = b.alloca(I64, name="config_threads")
    b.store(ONE, slot)
    forced = b.icmp_signed("!=", load_state(b, "force_split"), ZERO)
    worth = b.fcmp_ordered(">=", work, load_state(b, "never_split_ns"))
    with b.if_then(b.or_(worth, forced), likely=False):
        fn = b.module.globals.get(_CONFIG_THREADS) or _emit_config_threads(b.module)
        b.store(b.call(fn, []), slot)
    return b.load(slot, typ=I64)


#: A reduction gets partials only when they hold at most 1/this of its elements: folding
#: them (in unoptimized code, see :func:`emit_combine`) then costs a small part of the loop;
#: a per-axis sum of a short wide matrix would otherwise spend longer combining than summing.
PARTIAL_RATIO = 256


def reduction_chunks(b: ir.IRBuilder, threads, total, limit, out_count, work) -> ir.Value:
    """How many chunks, hence partials, a reduction whose chunks share outputs gets.

    :func:`symc.runtime.reduction_chunks` of ``total``, at most ``limit`` (the split range);
    but 1 for a loop under ``prepare_ns`` of ``work`` (unless splits are forced), which runs
    inline anyway and never waits for the runtime to be made, and when the ``out_count``
    -element partials would be too many (see PARTIAL_RATIO). All of it depends on the
    element count, the thread count and the kernel only: never on timing.
    """
    per_chunk = b.sdiv(total, load_state(b, "min_reduction_chunk"))
    chunks = _imax(b, imin(b, imin(b, threads, per_chunk), limit), ONE)
    partial_elements = b.mul(b.mul(out_count, chunks), _i64(PARTIAL_RATIO))
    large = b.or_(b.fcmp_ordered(">=", work, load_state(b, "prepare_ns")),
                  b.icmp_signed("!=", load_state(b, "force_split"), ZERO))
    worth = b.and_(large, b.icmp_signed("<=", partial_elements, total))
    return b.select(worth, chunks, ONE)


_DISPATCH = "symc_dispatch"


def cold_function(module: ir.Module, fnty: ir.FunctionType, name: str) -> ir.Function:
    """A new internal function that LLVM does not optimize (``optnone``).

    For the glue around the kernels that runs at most once per large call: optimizing it
    would cost every ``function()`` compile time (tens of percent of a small module) and
    gain nanoseconds per call.
    """
    fn = ir.Function(module, fnty, name)
    fn.linkage = "internal"
    for attribute in ("noinline", "optnone"):
        fn.attributes.add(attribute)
    return fn


def _emit_dispatch(module: ir.Module) -> ir.Function:
    """``i32 symc_dispatch(fn, ctx, n, total, work, threads, fixed, history)``: one shared,
    compact copy per module of what :func:`dispatch_loop` does."""
    fnty = ir.FunctionType(I32, [CHUNK_FN_TYPE.as_pointer(), PTR, I64, I64, F64, I64, I64, PTR])
    glue = cold_function(module, fnty, _DISPATCH)
    fn, ctx, n, total, work, threads, fixed, history = glue.args
    b = ir.IRBuilder(glue.append_basic_block("entry"))
    run = load_state(b, "parallel_run")
    several = b.icmp_signed(">", threads, ONE)
    with b.if_then(b.and_(several, b.icmp_signed("!=", run, ZERO)), likely=False):
        state = b.bitcast(_state(module), PTR)
        b.ret(b.call(b.inttoptr(run, PARALLEL_RUN.as_pointer()),
                     [state, fn, ctx, n, total, work, threads, fixed, history]))
    # Before the runtime exists: inline, in one chunk (``fixed`` is at most 1 here).
    b.call(fn, [ctx, ZERO, ZERO, n])
    wanted = b.fcmp_ordered(">=", work, load_state(b, "prepare_ns"))
    forced = b.icmp_signed("!=", load_state(b, "force_split"), ZERO)
    b.ret(b.zext(b.and_(several, b.or_(wanted, forced)), I32))
    return glue


def dispatch_loop(b: ir.IRBuilder, history, fn, ctx, n, total, work, threads, fixed):
    """Run chunk function ``fn`` over ``[0, n)`` (``total`` elements, ``work`` ns).

    ``threads`` is ``config.num_threads``; ``fixed`` a reduction's chunk count (0 for
    elementwise loops); ``history`` the kernel's :func:`split_history`. Hands the loop to the
    runtime's ``symc_parallel_run`` when the runtime exists and more than one thread is
    allowed; else runs it inline and, for a large loop, asks Python to prepare the runtime.
    Returns the i32 flags (``WANT_PREPARE``, ...).
    """
    glue = b.module.globals.get(_DISPATCH) or _emit_dispatch(b.module)
    fn = b.bitcast(fn, CHUNK_FN_TYPE.as_pointer())
    return b.call(glue, [fn, ctx, n, total, work, threads, fixed, b.bitcast(history, PTR)])


def split_history(module: ir.Module, name: str) -> ir.GlobalVariable:
    """A kernel's split history: zeroed words the runtime reads and updates (see
    :mod:`symc.runtime.dispatch_ir`)."""
    var = ir.GlobalVariable(module, ir.ArrayType(I64, HISTORY_WORDS), f"{name}.split_history")
    var.linkage = "internal"
    var.initializer = ir.Constant(var.value_type, None)
    return var


def dispatch_reduction(b: ir.IRBuilder, history, args: list, chunks, reduction: tuple):
    """Run a reduction cut into ``chunks`` (> 1) whose chunks share output elements.

    ``args`` are :func:`dispatch_loop`'s ``fn, ctx, n, total, work, threads``;
    ``reduction`` is ``(combine, out_slot, stride_slot, identity bits, itemsize, count)``.
    The runtime's ``symc_parallel_reduce`` makes the partials, runs, and folds them in chunk
    order with ``combine`` (:func:`emit_combine`). Before the runtime exists nothing runs
    and the flags say ``NEEDS_RUNTIME``: the caller prepares it and calls again (a large
    reduction's bits must not depend on whether the runtime was there yet).
    """
    with b.goto_entry_block():
        flags = b.alloca(I32, name="reduce_flags")
    b.store(ir.Constant(I32, NEEDS_RUNTIME), flags)
    run = load_state(b, "parallel_reduce")
    with b.if_then(b.icmp_signed("!=", run, ZERO), likely=True):
        combine, *rest = reduction
        call_args = [b.bitcast(_state(b.module), PTR), *args, chunks, b.bitcast(history, PTR),
                     combine, *[_i64(v) if isinstance(v, int) else v for v in rest]]
        b.store(b.call(b.inttoptr(run, PARALLEL_REDUCE.as_pointer()), call_args), flags)
    return b.load(flags, typ=I32)


def emit_combine(module: ir.Module, name: str, dtype: str, fold: Callable) -> ir.Function:
    """``void <name>(out, partials, count, n_chunks)``: ``out[j] = fold(out[j], p_c[j])`` for
    c = 0, 1, ... in that order, the partials being ``count`` elements of ``dtype`` each.

    Unoptimized (:func:`cold_function`): it handles at most 1/PARTIAL_RATIO of the loop's
    elements, and optimizing it would cost every module with a reduction compile time.
    """
    fn = cold_function(module, COMBINE_FN, name)
    target, base, count, n_chunks = fn.args
    h = ir.IRBuilder(fn.append_basic_block("entry"))
    element = memory_type(dtype)

    def chunk(h, c, _):
        offset = h.mul(c, count)

        def update(h, j, _):
            where = h.gep(target, [j], source_etype=element)
            value = load_element(h, h.gep(base, [h.add(offset, j)], source_etype=element), dtype)
            store(h, fold(h, load_element(h, where, dtype), value), where, dtype)
            return []

        counted_loop(h, ZERO, count, [], update, bookkeeping=True)
        return []

    # Chunk order is the determinism contract: never let the vectorizer reorder it.
    counted_loop(h, ZERO, n_chunks, [], chunk, bookkeeping=True)
    h.ret_void()
    return fn
