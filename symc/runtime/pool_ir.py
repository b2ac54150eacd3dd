"""The native thread pool, written as LLVM IR and JIT-compiled once per process.

No Python runs when a job is dispatched: the caller's ``pool_run`` and the workers' loop are
machine code. The pool is one shared block of memory (:data:`POOL_BYTES` bytes, laid out by
:data:`FIELDS`) that Python allocates and hands to every function here.

Protocol (``gen`` is the 32-bit futex word the workers wait on):

* A caller owns the pool while ``busy`` is 1 (compare-and-swap 0 -> 1; on failure it runs
  its chunks inline, so nested or concurrent jobs never block).
* The owner makes ``gen`` odd ("writing"), waits until no worker is ``active`` in the previous
  job, writes the job, resets the counters, makes ``gen`` even again (a release), and wakes
  sleeping workers with one futex call (skipped when nobody sleeps).
* A worker that sees a new even ``gen`` increments ``active`` and re-reads ``gen``; if it
  changed, a newer job is being written and it backs off. This Dekker-style pair (each side
  stores, then loads, all sequentially consistent) guarantees that a worker never reads a
  half-written job and never claims a chunk of one job with the function of another.
* The first ``max_workers`` workers to arrive take a seat (fetch-add on ``seats``); later
  ones sit the job out, so a job never uses more threads than its caller asked for.
* Chunks are claimed with an atomic fetch-add on ``next``; the owner claims chunks too, so
  a worker that arrives after all chunks are taken costs the owner nothing.
  Every finished chunk increments ``done``; the owner returns when ``done == n_chunks``.
* Every wait is a bounded spin (``spin`` pause instructions, calibrated by the caller to a
  few tens of microseconds) followed by a futex sleep, so an idle pool uses no CPU.
  ``pool_wake`` wakes sleeping workers without a job, asking them to spin ``wake_spin``
  pauses longer, for callers that expect to dispatch soon.

Linux only (futex); x86-64 and aarch64 syscall numbers are known.
"""

from __future__ import annotations

import ctypes
import platform
from dataclasses import dataclass

import llvmlite.binding as llvm
import llvmlite.ir as ir

from symc.runtime.dispatch_ir import emit_parallel_reduce, emit_parallel_run

__all__ = ["FIELDS", "POOL_BYTES", "PoolCode", "build_pool_module", "compile_pool_code"]

I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()
VOID = ir.VoidType()
#: ``void chunk_fn(void *ctx, int64_t chunk, int64_t start, int64_t stop)``
CHUNK_FN = ir.FunctionType(VOID, [PTR, I64, I64, I64])
_FN_PTR = CHUNK_FN.as_pointer()

#: Byte offset, LLVM type and size of each field of the shared pool block. Fields written by
#: different parties sit on different 64-byte cache lines, so spinning readers do not slow
#: the writers down.
FIELDS = {
    # line 0: the job, written by the owner while gen is odd, read by workers
    "gen": (0, I32, 4),
    "fn": (8, _FN_PTR, 8),
    "ctx": (16, PTR, 8),
    "n": (24, I64, 8),
    "n_chunks": (32, I64, 8),
    "max_workers": (40, I64, 8),
    "spin": (48, I64, 8),
    "wake_spin": (56, I64, 8),
    # line 1: the counters of chunks claimed and of workers that took a seat in the job
    "next": (64, I64, 8),
    "seats": (72, I64, 8),
    # line 2: completion, and whether the owner sleeps waiting for it
    "done": (128, I32, 4),
    "waiter": (132, I32, 4),
    # line 3: how many workers are inside a job, and how many sleep on gen
    "active": (192, I64, 8),
    "sleepers": (200, I64, 8),
    # line 4: ownership, and the count of workers started (for diagnostics)
    "busy": (256, I32, 4),
    "n_started": (260, I32, 4),
}
POOL_BYTES = 320

# Linux futex syscall numbers differ per architecture; so does the spin-wait hint.
_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}
# The spin-wait hint as an intrinsic (inline asm would need the target's asm parser).
_PAUSE_INTRINSIC = {"x86_64": ("llvm.x86.sse2.pause", ()), "aarch64": ("llvm.aarch64.hint", (1,))}
_FUTEX_WAIT_PRIVATE = 128
_FUTEX_WAKE_PRIVATE = 129
_WAKE_ALL = 2**31 - 1


def _i64(value):
    return ir.Constant(I64, value)


def _i32(value):
    return ir.Constant(I32, value)


class _PoolEmitter:
    """Builds the pool's functions into one module; each ``emit_*`` method writes one."""

    def __init__(self, machine: str):
        if machine not in _SYS_FUTEX:
            raise RuntimeError(f"symc's native pool supports {sorted(_SYS_FUTEX)}, not {machine}")
        self.machine = machine
        self.module = ir.Module(name="symc_runtime_pool")
        self.module.triple = llvm.get_process_triple()
        self.syscall = ir.Function(
            self.module, ir.FunctionType(I64, [I64], var_arg=True), "syscall"
        )
        self.sched_yield = ir.Function(self.module, ir.FunctionType(I32, []), "sched_yield")
        self.fn: ir.Function | None = None
        self.b: ir.IRBuilder | None = None
        name, args = _PAUSE_INTRINSIC[machine]
        pause_type = ir.FunctionType(VOID, [I32] * len(args))
        self.pause_fn, self.pause_args = ir.Function(self.module, pause_type, name), args

    # -- helpers on the function being written -----------------------------------------------

    def _begin(self, name, ret, args, internal=False):
        self.fn = ir.Function(self.module, ir.FunctionType(ret, args), name)
        if internal:
            self.fn.linkage = "internal"
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        return self.fn.args

    def _blocks(self, *names):
        return [self.fn.append_basic_block(name) for name in names]

    def _at(self, block):
        self.b.position_at_end(block)

    def _field(self, pool, name):
        return self.b.gep(pool, [_i64(FIELDS[name][0])], source_etype=I8)

    def _load(self, pool, name, ordering=None):
        _, ty, size = FIELDS[name]
        if ordering is None:
            return self.b.load(self._field(pool, name), typ=ty)
        return self.b.load_atomic(self._field(pool, name), ordering, size, typ=ty)

    def _store(self, pool, name, value, ordering=None):
        if ordering is None:
            self.b.store(value, self._field(pool, name))
        else:
            # llvmlite's store_atomic needs a typed pointer; an exchange is an atomic store
            # with the same ordering (and what x86 emits for a seq_cst store anyway).
            self._rmw("xchg", pool, name, value, ordering)

    def _rmw(self, op, pool, name, value, ordering="seq_cst"):
        return self.b.atomic_rmw(op, self._field(pool, name), value, ordering)

    def _pause(self):
        self.b.call(self.pause_fn, [_i32(arg) for arg in self.pause_args])

    def _futex(self, addr, op, value):
        args = [_i64(_SYS_FUTEX[self.machine]), addr, _i64(op), self.b.zext(value, I64)]
        self.b.call(self.syscall, args + [ir.Constant(PTR, None), ir.Constant(PTR, None), _i64(0)])

    def _counter(self, name):
        """An i64 loop counter in a stack slot, set to 0 (mem2reg turns it into a register)."""
        with self.b.goto_entry_block():
            slot = self.b.alloca(I64, name=name)
        self.b.store(_i64(0), slot)
        return slot

    def _bump(self, slot):
        value = self.b.load(slot, typ=I64)
        self.b.store(self.b.add(value, _i64(1)), slot)
        return value

    def _spin_or(self, spins, limit, then_block, else_block):
        """Pause and go to ``then_block`` while fewer than ``limit`` spins were made."""
        (pause,) = self._blocks("pause")
        # Signed: a worker woken by pool_wake starts its count below zero to spin longer.
        self.b.cbranch(
            self.b.icmp_signed("<", self.b.load(spins, typ=I64), limit), pause, else_block
        )
        self._at(pause)
        self._pause()
        self._bump(spins)
        self.b.branch(then_block)

    # -- the functions ------------------------------------------------------------------------

    def emit_chunk_start(self):
        """``chunk_start(n, k, c)``: first index of chunk c when [0, n) is cut into k pieces."""
        n, k, c = self._begin("symc_chunk_start", I64, [I64, I64, I64], internal=True)
        b = self.b
        q, r = b.udiv(n, k), b.urem(n, k)
        # The first r chunks get one extra element: start = c*q + min(c, r).
        b.ret(b.add(b.mul(c, q), b.select(b.icmp_unsigned("<", c, r), c, r)))
        self.chunk_start = self.fn

    def _call_chunk(self, fn_ptr, ctx, n, k, c):
        start = self.b.call(self.chunk_start, [n, k, c])
        stop = self.b.call(self.chunk_start, [n, k, self.b.add(c, _i64(1))])
        self.b.call(fn_ptr, [ctx, c, start, stop])

    def emit_run_inline(self):
        """``run_inline(fn, ctx, n, k)``: every chunk, in order, on the calling thread."""
        fn_ptr, ctx, n, k = self._begin("symc_run_inline", VOID, [_FN_PTR, PTR, I64, I64])
        c = self._counter("c")
        loop, body, end = self._blocks("loop", "body", "end")
        self.b.branch(loop)
        self._at(loop)
        self.b.cbranch(self.b.icmp_unsigned("<", self.b.load(c, typ=I64), k), body, end)
        self._at(body)
        self._call_chunk(fn_ptr, ctx, n, k, self._bump(c))
        self.b.branch(loop)
        self._at(end)
        self.b.ret_void()
        self.run_inline = self.fn

    def emit_run_chunks(self):
        """``run_chunks(pool)``: claim and run chunks of the current job until none is left."""
        (pool,) = self._begin("symc_run_chunks", VOID, [PTR], internal=True)
        b = self.b
        fn_ptr, ctx = self._load(pool, "fn"), self._load(pool, "ctx")
        n, k = self._load(pool, "n"), self._load(pool, "n_chunks")
        loop, body, last, wake, end = self._blocks("loop", "body", "last", "wake", "end")
        b.branch(loop)
        self._at(loop)
        c = self._rmw("add", pool, "next", _i64(1), "acq_rel")
        b.cbranch(b.icmp_unsigned("<", c, k), body, end)
        self._at(body)
        self._call_chunk(fn_ptr, ctx, n, k, c)
        # A release: the chunk's writes are visible to whoever sees the new count.
        done = b.add(self._rmw("add", pool, "done", _i32(1)), _i32(1))
        b.cbranch(b.icmp_unsigned("==", done, b.trunc(k, I32)), last, loop)
        self._at(last)
        # The owner sets waiter then re-reads done; we add to done then read waiter.
        waiter = self._load(pool, "waiter", "seq_cst")
        b.cbranch(b.icmp_unsigned("!=", waiter, _i32(0)), wake, loop)
        self._at(wake)
        self._futex(self._field(pool, "done"), _FUTEX_WAKE_PRIVATE, _i32(1))
        b.branch(loop)
        self._at(end)
        b.ret_void()
        self.run_chunks = self.fn

    def _is_new_job(self, gen, mine):
        """A job is ready when gen moved past ours and is even (not being written)."""
        even = self.b.icmp_unsigned("==", self.b.and_(gen, _i32(1)), _i32(0))
        return self.b.and_(self.b.icmp_unsigned("!=", gen, mine), even)

    def emit_wait_for_job(self):
        """``wait_for_job(pool, mine) -> gen``: spin a little, then sleep on the futex."""
        pool, mine = self._begin("symc_wait_for_job", I32, [PTR, I32], internal=True)
        b = self.b
        spins, limit = self._counter("spins"), self._load(pool, "spin")
        loop, spin, sleep, futex, woken, ready = self._blocks(
            "loop", "spin", "sleep", "futex", "woken", "ready"
        )
        b.branch(loop)
        self._at(loop)
        gen = self._load(pool, "gen", "acquire")
        b.cbranch(self._is_new_job(gen, mine), ready, spin)
        self._at(spin)
        self._spin_or(spins, limit, loop, sleep)
        self._at(sleep)
        # Announce the sleep before the last look at gen: the owner stores gen, then reads
        # sleepers, so one of the two always sees the other (no lost wake-up).
        self._rmw("add", pool, "sleepers", _i64(1))
        last_gen = self._load(pool, "gen", "seq_cst")
        b.cbranch(self._is_new_job(last_gen, mine), woken, futex)
        self._at(futex)
        # Returns at once if gen is no longer last_gen; spurious wake-ups just loop.
        self._futex(self._field(pool, "gen"), _FUTEX_WAIT_PRIVATE, last_gen)
        # Woken (by a job, or by pool_wake announcing jobs): spin afresh before sleeping,
        # for wake_spin pauses more than usual.
        b.store(b.neg(self._load(pool, "wake_spin", "monotonic")), spins)
        b.branch(woken)
        self._at(woken)
        self._rmw("sub", pool, "sleepers", _i64(1))
        b.branch(loop)
        self._at(ready)
        b.ret(gen)
        self.wait_for_job = self.fn

    def emit_worker_main(self):
        """``worker_main(pool)``: the pthread entry; serves jobs forever."""
        (pool,) = self._begin("symc_worker_main", PTR, [PTR])
        b = self.b
        self._rmw("add", pool, "n_started", _i32(1))
        with b.goto_entry_block():
            mine = b.alloca(I32, name="mine")
        b.store(self._load(pool, "gen", "acquire"), mine)
        wait, enter, work, leave = self._blocks("wait", "enter", "work", "leave")
        b.branch(wait)
        self._at(wait)
        gen = b.call(self.wait_for_job, [pool, b.load(mine, typ=I32)])
        b.store(gen, mine)
        self._rmw("add", pool, "active", _i64(1))
        # If gen moved on, the owner of a newer job may be writing it: do not read it.
        still = b.icmp_unsigned("==", self._load(pool, "gen", "seq_cst"), gen)
        b.cbranch(still, enter, leave)
        self._at(enter)
        # The first max_workers to arrive take part; the others sit this job out, so a job
        # never runs on more threads than the caller asked for.
        seat = self._rmw("add", pool, "seats", _i64(1))
        b.cbranch(b.icmp_unsigned("<", seat, self._load(pool, "max_workers")), work, leave)
        self._at(work)
        b.call(self.run_chunks, [pool])
        b.branch(leave)
        self._at(leave)
        self._rmw("sub", pool, "active", _i64(1))
        b.branch(wait)
        self.worker_main = self.fn

    def _wait_idle(self, pool):
        """Spin (then yield) until no worker is still inside the previous job."""
        spins, limit = self._counter("idle_spins"), self._load(pool, "spin")
        loop, pause_or_yield, yield_, clear = self._blocks(
            "idle", "idle_spin", "idle_yield", "clear"
        )
        self.b.branch(loop)
        self._at(loop)
        active = self._load(pool, "active", "seq_cst")
        self.b.cbranch(self.b.icmp_unsigned("==", active, _i64(0)), clear, pause_or_yield)
        self._at(pause_or_yield)
        self._spin_or(spins, limit, loop, yield_)
        self._at(yield_)
        # A worker still counted active was preempted: let it run.
        self.b.call(self.sched_yield, [])
        self.b.branch(loop)
        self._at(clear)

    def _wait_done(self, pool, k):
        """Spin, then sleep on ``done``, until all k chunks are finished."""
        spins, limit = self._counter("done_spins"), self._load(pool, "spin")
        k32 = self.b.trunc(k, I32)
        loop, spin, sleep, futex, finished = self._blocks(
            "wait_done", "done_spin", "done_sleep", "done_futex", "finished"
        )
        self.b.branch(loop)
        self._at(loop)
        done = self._load(pool, "done", "acquire")
        self.b.cbranch(self.b.icmp_unsigned("==", done, k32), finished, spin)
        self._at(spin)
        self._spin_or(spins, limit, loop, sleep)
        self._at(sleep)
        self._store(pool, "waiter", _i32(1), "seq_cst")
        done = self._load(pool, "done", "seq_cst")
        self.b.cbranch(self.b.icmp_unsigned("==", done, k32), finished, futex)
        self._at(futex)
        self._futex(self._field(pool, "done"), _FUTEX_WAIT_PRIVATE, done)
        self.b.branch(loop)
        self._at(finished)

    def emit_pool_run(self):
        """``pool_run(pool, fn, ctx, n, k, max_workers) -> 1``, or 0 if it ran inline (busy)."""
        args = [PTR, _FN_PTR, PTR, I64, I64, I64]
        pool, fn_ptr, ctx, n, k, max_workers = self._begin("symc_pool_run", I32, args)
        b = self.b
        busy = self._field(pool, "busy")
        owned = b.extract_value(b.cmpxchg(busy, _i32(0), _i32(1), "acquire", "monotonic"), 1)
        own, inline = self._blocks("own", "inline")
        b.cbranch(owned, own, inline)
        self._at(inline)
        b.call(self.run_inline, [fn_ptr, ctx, n, k])
        b.ret(_i32(0))
        self._at(own)
        gen = self._load(pool, "gen", "monotonic")
        self._store(pool, "gen", b.add(gen, _i32(1)), "seq_cst")
        self._wait_idle(pool)
        for name, value in (("fn", fn_ptr), ("ctx", ctx), ("n", n), ("n_chunks", k)):
            self._store(pool, name, value)
        self._store(pool, "max_workers", max_workers)
        zeros = (("next", _i64(0)), ("seats", _i64(0)), ("done", _i32(0)), ("waiter", _i32(0)))
        for name, zero in zeros:
            self._store(pool, name, zero, "monotonic")
        # Publishing the even gen releases every store above to the workers.
        self._store(pool, "gen", b.add(gen, _i32(2)), "seq_cst")
        wake, run = self._blocks("wake", "run")
        sleepers = self._load(pool, "sleepers", "seq_cst")
        b.cbranch(b.icmp_unsigned("!=", sleepers, _i64(0)), wake, run)
        self._at(wake)
        self._futex(self._field(pool, "gen"), _FUTEX_WAKE_PRIVATE, _i32(_WAKE_ALL))
        b.branch(run)
        self._at(run)
        b.call(self.run_chunks, [pool])
        self._wait_done(pool, k)
        self._store(pool, "busy", _i32(0), "release")
        b.ret(_i32(1))
        self.pool_run = self.fn

    def emit_pool_wake(self):
        """``pool_wake(pool, extra)``: wake sleeping workers without a job.

        Used when a loop runs inline but a next one is likely to want the workers: they
        spin for ``extra`` pause instructions more than usual, then sleep again.
        """
        pool, extra = self._begin("symc_pool_wake", VOID, [PTR, I64])
        self._store(pool, "wake_spin", extra, "monotonic")
        wake, end = self._blocks("wake", "end")
        sleepers = self._load(pool, "sleepers", "seq_cst")
        self.b.cbranch(self.b.icmp_unsigned("!=", sleepers, _i64(0)), wake, end)
        self._at(wake)
        self._futex(self._field(pool, "gen"), _FUTEX_WAKE_PRIVATE, _i32(_WAKE_ALL))
        self.b.branch(end)
        self._at(end)
        self.b.ret_void()
        self.pool_wake = self.fn

    def emit_barrier_chunk(self):
        """``barrier_chunk(ctx)``: a chunk that waits until all chunks have started.

        ``ctx`` is ``int64[3] = {arrived, expected, max_spins}``. Timing a job of these
        measures how long until every thread really takes part; ``max_spins`` bounds the
        wait, and a thread that gives up just claims the next chunk itself.
        """
        ctx, _, _, _ = self._begin("symc_barrier_chunk", VOID, [PTR, I64, I64, I64])
        b = self.b
        counters = [b.gep(ctx, [_i64(i)], source_etype=I64) for i in range(3)]
        b.atomic_rmw("add", counters[0], _i64(1), "seq_cst")
        expected, limit = b.load(counters[1], typ=I64), b.load(counters[2], typ=I64)
        spins = self._counter("spins")
        loop, spin, end = self._blocks("loop", "spin", "end")
        b.branch(loop)
        self._at(loop)
        arrived = b.load_atomic(counters[0], "acquire", 8, typ=I64)
        b.cbranch(b.icmp_signed(">=", arrived, expected), end, spin)
        self._at(spin)
        self._spin_or(spins, limit, loop, end)
        self._at(end)
        b.ret_void()

    def emit_utilities(self):
        """``noop_chunk`` (to time dispatch), ``pause_loop(count)`` (to calibrate spins) and
        ``cycle_counter()`` (the counter compiled entries time themselves with)."""
        self._begin("symc_noop_chunk", VOID, [PTR, I64, I64, I64])
        self.b.ret_void()
        self._begin("symc_cycle_counter", I64, [])
        counter = ir.Function(self.module, ir.FunctionType(I64, []), "llvm.readcyclecounter")
        self.b.ret(self.b.call(counter, []))
        (count,) = self._begin("symc_pause_loop", VOID, [I64])
        spins = self._counter("spins")
        loop, end = self._blocks("loop", "end")
        self.b.branch(loop)
        self._at(loop)
        self._spin_or(spins, count, loop, end)
        self._at(end)
        self.b.ret_void()


def build_pool_module(machine: str | None = None) -> ir.Module:
    """Return the LLVM IR module of the pool for ``machine`` (default: this one)."""
    emitter = _PoolEmitter(machine or platform.machine())
    emitter.emit_chunk_start()
    emitter.emit_run_inline()
    emitter.emit_run_chunks()
    emitter.emit_wait_for_job()
    emitter.emit_worker_main()
    emitter.emit_pool_run()
    emitter.emit_pool_wake()
    emitter.emit_barrier_chunk()
    emitter.emit_utilities()
    run = emit_parallel_run(emitter.module, emitter.pool_run, emitter.pool_wake,
                            emitter.run_inline, FIELDS["sleepers"][0])
    emit_parallel_reduce(emitter.module, run)
    return emitter.module


@dataclass(frozen=True)
class PoolCode:
    """Addresses of the JIT-compiled pool functions; ``engine`` keeps the code mapped."""

    engine: object
    pool_run: int
    run_inline: int
    worker_main: int
    pool_wake: int
    barrier_chunk: int
    noop_chunk: int
    pause_loop: int
    cycle_counter: int
    parallel_run: int
    parallel_reduce: int


def _bind_libc_symbols():
    """Tell the JIT where the libc functions the pool calls live: in this process's libc."""
    libc = ctypes.CDLL(None)
    for name in ("syscall", "sched_yield", "malloc", "free"):
        llvm.add_symbol(name, ctypes.cast(getattr(libc, name), ctypes.c_void_p).value)


def compile_pool_code() -> PoolCode:
    """JIT-compile the pool with MCJIT (at -O2) and return its function addresses."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    _bind_libc_symbols()
    module = llvm.parse_assembly(str(build_pool_module()))
    module.verify()
    target = llvm.Target.from_default_triple()
    machine = target.create_target_machine(opt=2, codemodel="jitdefault")
    builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=2))
    builder.getModulePassManager().run(module, builder)
    engine = llvm.create_mcjit_compiler(module, machine)
    engine.finalize_object()
    address = engine.get_function_address
    return PoolCode(
        engine=engine,
        pool_run=address("symc_pool_run"),
        run_inline=address("symc_run_inline"),
        worker_main=address("symc_worker_main"),
        pool_wake=address("symc_pool_wake"),
        barrier_chunk=address("symc_barrier_chunk"),
        noop_chunk=address("symc_noop_chunk"),
        pause_loop=address("symc_pause_loop"),
        cycle_counter=address("symc_cycle_counter"),
        parallel_run=address("symc_parallel_run"),
        parallel_reduce=address("symc_parallel_reduce"),
    )
