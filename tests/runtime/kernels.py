"""Small chunk functions with the runtime's ABI, JIT-compiled with llvmlite for the tests.

Every kernel is ``void k(void *ctx, int64_t chunk, int64_t start, int64_t stop)`` where
``ctx`` points to an int64 array of data pointers (see :func:`pointers`):

* ``scale2``: ``ctx = [in, out]`` (float64); ``out[i] = in[i] * 2`` over the range.
* ``sum_partials``: ``ctx = [in, partials]``; ``partials[chunk] = sum(in[start:stop])``
  added left to right, so a given split gives the same bits every time.
* ``record``: ``ctx = [calls, starts, stops]`` (int64); atomically counts calls per chunk
  and stores the range it got.
"""

from __future__ import annotations

import functools

import llvmlite.binding as llvm
import llvmlite.ir as ir
import numpy as np

I64 = ir.IntType(64)
F64 = ir.DoubleType()
PTR = ir.PointerType()
CHUNK_FN = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64])


def _ctx_pointer(b, ctx, slot):
    return b.load(b.gep(ctx, [I64(slot)], source_etype=I64), typ=PTR)


def _range_loop(fn, b, start, stop, body):
    """Emit ``for i in [start, stop): body(b, i)``; returns the builder after the loop."""
    entry = b.block
    head, loop, done = (fn.append_basic_block(x) for x in ("head", "loop", "done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, name="i")
    i.add_incoming(start, entry)
    b.cbranch(b.icmp_signed("<", i, stop), loop, done)
    b.position_at_end(loop)
    body(b, i)
    i.add_incoming(b.add(i, I64(1)), b.block)
    b.branch(head)
    b.position_at_end(done)
    return b


def _emit_scale2(module):
    fn = ir.Function(module, CHUNK_FN, "scale2")
    ctx, _, start, stop = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    src, dst = _ctx_pointer(b, ctx, 0), _ctx_pointer(b, ctx, 1)

    def body(b, i):
        x = b.load(b.gep(src, [i], source_etype=F64), typ=F64)
        b.store(b.fmul(x, F64(2.0)), b.gep(dst, [i], source_etype=F64))

    _range_loop(fn, b, start, stop, body).ret_void()


def _emit_sum_partials(module):
    fn = ir.Function(module, CHUNK_FN, "sum_partials")
    ctx, chunk, start, stop = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    src, partials = _ctx_pointer(b, ctx, 0), _ctx_pointer(b, ctx, 1)
    with b.goto_entry_block():
        acc = b.alloca(F64)
    b.store(F64(0.0), acc)

    def body(b, i):
        x = b.load(b.gep(src, [i], source_etype=F64), typ=F64)
        b.store(b.fadd(b.load(acc, typ=F64), x), acc)

    _range_loop(fn, b, start, stop, body)
    b.store(b.load(acc, typ=F64), b.gep(partials, [chunk], source_etype=F64))
    b.ret_void()


def _emit_record(module):
    fn = ir.Function(module, CHUNK_FN, "record")
    ctx, chunk, start, stop = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    calls, starts, stops = (_ctx_pointer(b, ctx, slot) for slot in range(3))
    b.atomic_rmw("add", b.gep(calls, [chunk], source_etype=I64), I64(1), "seq_cst")
    b.store(start, b.gep(starts, [chunk], source_etype=I64))
    b.store(stop, b.gep(stops, [chunk], source_etype=I64))
    b.ret_void()


class Kernels:
    """The compiled test kernels; attributes are function addresses."""

    def __init__(self):
        module = ir.Module(name="runtime_test_kernels")
        module.triple = llvm.get_process_triple()
        for emit in (_emit_scale2, _emit_sum_partials, _emit_record):
            emit(module)
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        parsed = llvm.parse_assembly(str(module))
        parsed.verify()
        target = llvm.Target.from_default_triple()
        machine = target.create_target_machine(
            cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3
        )
        passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(3))
        passes.getModulePassManager().run(parsed, passes)
        self._engine = llvm.create_mcjit_compiler(parsed, machine)
        self._engine.finalize_object()
        self.scale2 = self._engine.get_function_address("scale2")
        self.sum_partials = self._engine.get_function_address("sum_partials")
        self.record = self._engine.get_function_address("record")


@functools.cache
def kernels() -> Kernels:
    """The test kernels, compiled once per process."""
    return Kernels()


def pointers(*arrays: np.ndarray) -> np.ndarray:
    """An int64 array of the arrays' data pointers: the ``ctx`` the kernels read.

    Keep the returned array (and the arrays) alive while a kernel runs.
    """
    return np.array([a.ctypes.data for a in arrays], dtype=np.int64)
