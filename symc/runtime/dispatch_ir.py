"""The native half of a compiled loop's dispatch: plan, split history and run, in one function.

``int32 symc_parallel_run(state, fn, ctx, n, total, work, threads, fixed_chunks, history)``
is compiled once per process into the pool's module (:mod:`pool_ir`), so that the kernel
modules compiled for each ``function()`` carry only a call to it. A kernel's entry calls it
(through the address published in the dispatch state, :mod:`symc.runtime.dispatch`) when
``config.num_threads`` is above 1 and the loop is big enough to think about; it:

1. plans, as :func:`symc.runtime.plan_chunks` does: a thread count from the estimated
   ``work`` (ns) against the measured dispatch costs (workers awake or asleep), waking
   sleeping workers for the loops to come when this one just misses (rate-limited), and
   flagging costs due for a new measurement;
2. consults the kernel's *split history* (``history``, :data:`HISTORY_WORDS` words the
   kernel module owns): per size class of the loop, moving averages of the cycles per
   element measured inline and split. The cost model says when a split *should* pay; on a
   shared machine it may not (the other cores are busy, a worker is preempted holding a
   chunk), so the loop splits only while splitting has measured faster, now and then taking
   the other way to follow changes in load (:data:`EXPLORE_PERIOD`);
3. cuts ``[0, n)`` into ``fixed_chunks`` (a reduction's, fixed by its size and thread
   count so the bits never depend on timing) or, for elementwise loops, up to
   :data:`CHUNKS_PER_THREAD` per thread of at least :data:`CHUNK_NS` each (a preempted
   worker then holds back little), and runs them on the pool or inline, timing the run.

It returns flags for the entry: :data:`WANT_PREPARE` (Python should create the pool or
measure costs), :data:`WANT_FORCED` (the split was forced, see ``forced_split``).
The state's layout (:data:`SLOTS`) is defined here and shared with ``dispatch`` and with
the kernel emitters.
"""

from __future__ import annotations

import llvmlite.ir as ir

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
F64 = ir.DoubleType()
PTR = ir.PointerType()
VOID = ir.VoidType()

#: Entries use at most this many threads (the cost tables have one row per count).
MAX_THREADS = 64
#: Flags returned to the entry: prepare the runtime; the split was forced; the partials
#: could not be allocated; the loop did not run, because the runtime must exist first.
WANT_PREPARE, WANT_FORCED, NO_MEMORY, NEEDS_RUNTIME = 1, 2, 256, 512
#: An elementwise loop on several threads gets up to this many chunks per thread...
CHUNKS_PER_THREAD = 4
#: ... of at least this many ns of work each.
CHUNK_NS = 25_000.0
#: Size classes of a kernel's split history: log4 of the element count, from 4^4 up.
SIZE_CLASSES = 12
_FIRST_CLASS_LOG4 = 4
#: While splitting wins, one call in this many runs inline, to notice when it stops winning;
#: while it loses, one in EXPLORE_SPLIT_PERIOD tries it again (its losses are usually other
#: programs' load, which passes). Each costs at most 1/period of the difference.
EXPLORE_PERIOD = 64
EXPLORE_SPLIT_PERIOD = 16
#: The first calls alternate, so that one unlucky sample does not decide.
WARM_UP_CALLS = 8
#: Words of a split history: per class, cycles/element inline and split (doubles), calls.
HISTORY_WORDS = 3 * SIZE_CLASSES

#: Scalar slots of the dispatch state (name, kind): ``p`` int64/pointer, ``d`` double.
_SCALARS = (
    ("parallel_run", "p"),  # symc_parallel_run's address, 0 until the pool code exists
    ("parallel_reduce", "p"),  # symc_parallel_reduce's address, likewise
    ("disabled", "p"),  # 1 when the pool cannot be made here: entries stay on one thread
    ("pool", "p"),  # the pool block, 0 when this process has none
    ("n_workers", "p"),  # workers the pool has (it never shrinks)
    ("config_dict", "p"),  # config.__dict__ (a borrowed PyObject *)
    ("threads_key", "p"),  # the interned str "num_threads"
    ("force_split", "p"),  # 1 inside forced_split()
    ("never_split_ns", "d"),  # below this much work no split can pay
    ("prepare_ns", "d"),  # work from which an entry asks for the pool (PREPARE_NS)
    ("split_margin", "d"),  # each chunk carries this many dispatch costs of work
    ("pauses_per_ns", "d"),  # spin-loop pauses per nanosecond (pool_wake's unit)
    ("max_wake_ns", "d"),  # the longest extra spin a wake-up asks of the workers
    ("min_reduction_chunk", "p"),  # plan.MIN_REDUCTION_CHUNK
    ("last_wake", "p"),  # cycle counter at the last wake-up without a job
    ("wake_interval", "p"),  # cycles between such wake-ups at least
)
#: Tables, one row per thread count: the costs (double ns, 0 = not measured yet), and the
#: cycle count after which entries ask for a new measurement (0 = never).
_TABLES = (("awake_ns", "d"), ("asleep_ns", "d"), ("wake_ns", "d"), ("remeasure_at", "p"))


def _layout() -> dict[str, tuple[int, str]]:
    slots = {name: (8 * k, kind) for k, (name, kind) in enumerate(_SCALARS)}
    base = 8 * len(_SCALARS)
    for t, (name, kind) in enumerate(_TABLES):
        slots[name] = (base + t * 8 * (MAX_THREADS + 1), kind)
    return slots


#: name -> (byte offset, kind); a table's offset is that of its row for 0 threads.
SLOTS = _layout()
#: Size of the dispatch state in bytes.
STATE_BYTES = 8 * len(_SCALARS) + len(_TABLES) * 8 * (MAX_THREADS + 1)


def _declare(module: ir.Module, name: str, fnty: ir.FunctionType) -> ir.Function:
    existing = module.globals.get(name)
    return existing if existing is not None else ir.Function(module, fnty, name)


def _i64(value: int) -> ir.Constant:
    return ir.Constant(I64, value)


def _f64(value: float) -> ir.Constant:
    return ir.Constant(F64, value)


class _RunEmitter:
    """Builds ``symc_parallel_run`` into the pool's module, calling its functions directly."""

    def __init__(self, module, pool_run, pool_wake, run_inline, sleepers_offset: int):
        self.pool_run, self.pool_wake, self.run_inline = pool_run, pool_wake, run_inline
        self.sleepers_offset = sleepers_offset
        args = [PTR, run_inline.args[0].type, PTR, I64, I64, F64, I64, I64, PTR]
        self.fn = ir.Function(module, ir.FunctionType(I32, args), "symc_parallel_run")
        (self.state, self.kernel, self.ctx, self.n, self.total, self.work, self.threads,
         self.fixed, self.history) = self.fn.args
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.counter = _declare(module, "llvm.readcyclecounter", ir.FunctionType(I64, []))

    # -- helpers -----------------------------------------------------------------------------

    def load(self, name: str, row=None) -> ir.Value:
        """A slot of the state (atomic: Python writes it while entries run)."""
        b = self.b
        offset, kind = SLOTS[name]
        address = b.gep(self.state, [_i64(offset)], source_etype=I8)
        if row is not None:
            address = b.gep(address, [row], source_etype=I64)
        return b.load_atomic(address, "monotonic", 8, typ=F64 if kind == "d" else I64)

    def imin(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def imax(self, x, y):
        return self.b.select(self.b.icmp_signed(">", x, y), x, y)

    def fmin(self, x, y):
        return self.b.select(self.b.fcmp_ordered("<", x, y), x, y)

    def run_inline_and_return(self, flags) -> None:
        """Run the chunks here (``fixed`` of them, or one) and return ``flags``."""
        b = self.b
        chunks = self.imax(self.fixed, _i64(1))
        b.call(self.run_inline, [self.kernel, self.ctx, self.n, chunks])
        b.ret(flags)

    # -- the function --------------------------------------------------------------------------

    def emit(self) -> ir.Function:
        """Plan, consult the history, run, record."""
        b = self.b
        threads = self.imin(self.threads, _i64(MAX_THREADS))
        helpers = b.sub(threads, _i64(1))
        pool, workers = self.load("pool"), self.load("n_workers")
        ready = b.and_(b.icmp_signed("!=", pool, _i64(0)),
                       b.icmp_signed(">=", workers, helpers))
        ready = b.and_(ready, b.icmp_signed(">", threads, _i64(1)))
        force = b.icmp_signed("!=", self.load("force_split"), _i64(0))
        awake_ns = self.load("awake_ns", threads)
        measured = b.fcmp_ordered(">", awake_ns, _f64(0.0))
        with b.if_then(b.not_(b.and_(ready, b.or_(measured, force))), likely=False):
            # Not ready: inline; ask Python to prepare if the loop was worth it.
            wanted = b.or_(force, b.fcmp_ordered(">=", self.work, self.load("prepare_ns")))
            self.run_inline_and_return(b.zext(wanted, I32))
        pool = b.inttoptr(pool, PTR)
        with b.if_then(force, likely=False):
            self.run_split(pool, threads, ir.Constant(I1, 0), ir.Constant(I32, WANT_FORCED))
        flags = self.remeasure_flag(threads)
        planned = self.plan(pool, threads, helpers, workers, awake_ns)
        considered = b.icmp_signed(">", planned, _i64(1))
        history = _History(self, considered)
        self.run_split(pool, history.choose(planned), considered, flags, history)
        return self.fn

    def remeasure_flag(self, threads) -> ir.Value:
        """WANT_PREPARE when the costs are due for a new measurement, else 0."""
        b = self.b
        due = self.load("remeasure_at", threads)
        late = b.icmp_signed(">=", b.call(self.counter, []), due)
        return b.zext(b.and_(b.icmp_signed("!=", due, _i64(0)), late), I32)

    def plan(self, pool, threads, helpers, workers, awake_ns) -> ir.Value:
        """Threads the measured costs allow for ``work`` (the rules of ``plan_chunks``)."""
        b, work = self.b, self.work
        small = b.fcmp_ordered("<", work, self.load("never_split_ns"))
        sleepers = b.load_atomic(b.gep(pool, [_i64(self.sleepers_offset)], source_etype=I8),
                                 "monotonic", 8, typ=I64)
        awake = b.icmp_signed(">=", b.sub(workers, sleepers), helpers)
        asleep_ns = self.load("asleep_ns", threads)
        margin = self.load("split_margin")
        cost = b.fmul(margin, b.select(awake, awake_ns, asleep_ns))
        fitting = self.fmin(b.fdiv(work, cost), b.sitofp(threads, F64))
        chunks = b.select(small, _i64(1), b.fptosi(fitting, I64))
        # Asleep and too short to pay for waking them: wake them anyway if a loop like this
        # one would split with awake workers, so that the next one finds them spinning --
        # at most once per wake_interval, in case no such loop follows.
        wake_ns = self.load("wake_ns", threads)
        dearer = b.select(b.fcmp_ordered(">", awake_ns, wake_ns), awake_ns, wake_ns)
        worth = b.fcmp_ordered(">=", work, b.fmul(_f64(2.0), b.fmul(margin, dearer)))
        missed = b.and_(b.not_(awake), b.icmp_signed("<", chunks, _i64(2)))
        with b.if_then(b.and_(missed, worth)):
            now = b.call(self.counter, [])
            last = b.gep(self.state, [_i64(SLOTS["last_wake"][0])], source_etype=I8)
            since = b.sub(now, b.load_atomic(last, "monotonic", 8, typ=I64))
            with b.if_then(b.icmp_unsigned(">=", since, self.load("wake_interval"))):
                b.atomic_rmw("xchg", last, now, "monotonic")
                spin_ns = self.fmin(b.fmul(_f64(2.0), work), self.load("max_wake_ns"))
                pauses = b.fptosi(b.fmul(spin_ns, self.load("pauses_per_ns")), I64)
                b.call(self.pool_wake, [pool, pauses])
        return self.imax(chunks, _i64(1))

    def chunk_count(self, threads) -> ir.Value:
        """``fixed`` for a reduction; else up to CHUNKS_PER_THREAD per thread (at most n)."""
        b = self.b
        per_thread = b.fdiv(self.work, b.fmul(b.sitofp(threads, F64), _f64(CHUNK_NS)))
        k = self.imax(b.fptosi(self.fmin(per_thread, _f64(CHUNKS_PER_THREAD)), I64), _i64(1))
        several = b.select(b.icmp_signed(">", threads, _i64(1)), b.mul(threads, k), _i64(1))
        elementwise = self.imin(several, self.n)
        return b.select(b.icmp_signed(">", self.fixed, _i64(0)), self.fixed, elementwise)

    def run_split(self, pool, threads, considered, flags, history=None) -> None:
        """Run on ``threads`` threads (inline when 1), time it into ``history``, return."""
        b = self.b
        chunks = self.chunk_count(threads)
        threads = self.imin(threads, chunks)
        start = b.call(self.counter, [])
        with b.if_else(b.icmp_signed(">", threads, _i64(1))) as (pooled, inline):
            with pooled:
                b.call(self.pool_run, [pool, self.kernel, self.ctx, self.n, chunks,
                                       b.sub(threads, _i64(1))])
            with inline:
                b.call(self.run_inline, [self.kernel, self.ctx, self.n, chunks])
        if history is not None:
            history.record(b.sub(b.call(self.counter, []), start))
        b.ret(flags)


class _History:
    """A kernel's split history (see the module docstring), for one call."""

    def __init__(self, run: _RunEmitter, considered):
        self.run, self.b, self.considered = run, run.b, considered
        b = self.b
        ctlz = _declare(b.module, "llvm.ctlz.i64", ir.FunctionType(I64, [I64, I1]))
        log4 = b.sdiv(b.sub(_i64(63), b.call(ctlz, [run.total, ir.Constant(I1, 0)])), _i64(2))
        size_class = run.imin(run.imax(b.sub(log4, _i64(_FIRST_CLASS_LOG4)), _i64(0)),
                              _i64(SIZE_CLASSES - 1))
        self.base = b.gep(run.history, [b.mul(size_class, _i64(3))], source_etype=I64)
        self.split = None

    def _word(self, k: int):
        return self.b.gep(self.base, [_i64(k)], source_etype=I64)

    def choose(self, threads) -> ir.Value:
        """``threads``, or 1 while splitting has measured slower than inline."""
        b = self.b
        inline = b.load(self._word(0), typ=F64)
        split = b.load(self._word(1), typ=F64)
        calls = b.load(self._word(2), typ=I64)
        b.store(b.add(calls, _i64(1)), self._word(2))
        better = b.fcmp_ordered("<", split, inline)
        # Explore every other call while the averages are young, then one call in a period.
        young = b.icmp_signed("<", calls, _i64(WARM_UP_CALLS))
        alternate = b.icmp_signed("!=", b.and_(calls, _i64(1)), _i64(0))
        period = b.select(better, _i64(EXPLORE_PERIOD - 1), _i64(EXPLORE_SPLIT_PERIOD - 1))
        periodic = b.icmp_signed("==", b.and_(calls, period), period)
        explore = b.select(young, alternate, periodic)
        known = b.fcmp_ordered(">", inline, _f64(0.0))
        unknown_split = b.fcmp_ordered("==", split, _f64(0.0))
        # Split first, then inline once, then the faster (the other when exploring).
        use_split = b.or_(unknown_split, b.and_(known, b.xor(better, explore)))
        self.split = b.or_(b.not_(self.considered), use_split)
        return b.select(self.split, threads, _i64(1))

    def record(self, cycles) -> None:
        """Fold this call's cycles per element into the average of the way it ran.

        Down at once, up by 1/8 of the difference: a run slowed down by another program's
        burst barely moves it, a lasting slowdown does within a few calls.
        """
        b = self.b
        with b.if_then(self.considered):
            per_element = b.fdiv(b.uitofp(cycles, F64), b.sitofp(self.run.total, F64))
            where = b.select(self.split, self._word(1), self._word(0))
            old = b.load(where, typ=F64)
            moved = b.fadd(old, b.fmul(b.fsub(per_element, old), _f64(0.125)))
            lower = b.fcmp_ordered("<", per_element, old)
            fresh = b.or_(b.fcmp_ordered("==", old, _f64(0.0)), lower)
            b.store(b.select(fresh, per_element, moved), where)


def emit_parallel_run(module, pool_run, pool_wake, run_inline, sleepers_offset: int):
    """Add ``symc_parallel_run`` to the pool's module (see the module docstring)."""
    return _RunEmitter(module, pool_run, pool_wake, run_inline, sleepers_offset).emit()


#: ``void combine(out, partials, count, n_chunks)``: a reduction's fold of its partials.
COMBINE_FN = ir.FunctionType(VOID, [PTR, PTR, I64, I64])


def emit_parallel_reduce(module: ir.Module, parallel_run: ir.Function) -> ir.Function:
    """Add ``int32 symc_parallel_reduce(state, fn, ctx, n, total, work, threads, chunks,
    history, combine, out_slot, stride_slot, identity, itemsize, count)``.

    For a reduction cut into ``chunks`` whose chunks would fold into the same ``count``
    output elements: allocates one partial output per chunk, fills them with the fold's
    ``identity`` (its bit pattern, ``itemsize`` bytes), points the kernel's context at them
    (``ctx[out_slot]`` the base, ``ctx[stride_slot]`` the bytes between partials), runs the
    loop with ``symc_parallel_run`` and calls the kernel module's ``combine`` to fold them
    into the output in chunk order. Returns its flags, or :data:`NO_MEMORY`.
    """
    args = [PTR] + list(parallel_run.function_type.args[1:]) + [
        COMBINE_FN.as_pointer(), I64, I64, I64, I64, I64]
    fn = ir.Function(module, ir.FunctionType(I32, args), "symc_parallel_reduce")
    (state, kernel, ctx, n, total, work, threads, chunks, history, combine, out_slot,
     stride_slot, identity, itemsize, count) = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    malloc = _declare(module, "malloc", ir.FunctionType(PTR, [I64]))
    free = _declare(module, "free", ir.FunctionType(VOID, [PTR]))
    out_address = b.gep(ctx, [out_slot], source_etype=I64)
    out = b.load(out_address, typ=I64)
    stride = b.mul(count, itemsize)
    partials = b.call(malloc, [b.mul(stride, chunks)])
    with b.if_then(b.icmp_unsigned("==", partials, ir.Constant(PTR, None)), likely=False):
        b.ret(ir.Constant(I32, NO_MEMORY))
    _fill_pattern(b, partials, b.mul(count, chunks), identity, itemsize)
    b.store(b.ptrtoint(partials, I64), out_address)
    b.store(stride, b.gep(ctx, [stride_slot], source_etype=I64))
    flags = b.call(parallel_run, [state, kernel, ctx, n, total, work, threads, chunks, history])
    b.store(out, out_address)
    b.call(combine, [b.inttoptr(out, PTR), partials, count, chunks])
    b.call(free, [partials])
    b.ret(flags)
    return fn


def _fill_pattern(b: ir.IRBuilder, base, elements, pattern, itemsize) -> None:
    """Store the low ``itemsize`` bytes of ``pattern`` into each of ``elements`` slots."""
    switch_end = b.append_basic_block("filled")
    cases = {}
    for size, ty in ((1, I8), (2, ir.IntType(16)), (4, I32), (8, I64)):
        block = b.append_basic_block(f"fill{size}")
        cases[size] = (block, ty)
    switch = b.switch(itemsize, switch_end)
    for size, (block, ty) in cases.items():
        switch.add_case(_i64(size), block)
        b.position_at_end(block)
        value = b.trunc(pattern, ty) if ty != I64 else pattern
        head, body = b.append_basic_block(f"fill{size}.head"), b.append_basic_block(
            f"fill{size}.body")
        entry = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(_i64(0), entry)
        b.cbranch(b.icmp_signed("<", i, elements), body, switch_end)
        b.position_at_end(body)
        b.store(value, b.gep(base, [i], source_etype=ty))
        i.add_incoming(b.add(i, _i64(1)), body)
        b.branch(head)
    b.position_at_end(switch_end)
