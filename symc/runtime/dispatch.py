"""What compiled entry points read to split a loop on the pool without running any Python.

A node's entry point (machine code, see ``symc.backends.llvm.emit_parallel``) decides on
every call whether its loop pays for the pool, without Python: it reads
``config.num_threads`` from ``config.__dict__`` (so ``config.change(num_threads=1)``
affects functions compiled before it) and hands its loop to the runtime's native
``symc_parallel_run`` (:mod:`dispatch_ir`), which weighs the loop's estimated work against
the measured dispatch costs and the kernel's own record of what splitting bought, and runs
it on the pool or inline. Everything they need sits in one block of process memory, the
*dispatch state*, exported to the JIT as the data symbol :data:`SYMBOL`: object code refers
to it by name, so kernels in the disk cache work in any process.

The block holds (:data:`SLOTS`, 8 bytes each, laid out in :mod:`dispatch_ir`): the address
of ``symc_parallel_run`` and of the pool, its worker count, ``config.__dict__`` and the
interned key ``"num_threads"``, the thresholds, and per thread count the measured dispatch
costs in nanoseconds (0: not measured yet).

Nothing is measured or started at import. An entry that finds no pool, or no costs for its
thread count, runs inline; if its loop was big enough (:data:`PREPARE_NS` of work) it tells
its Python caller (status :data:`STATUS_PREPARE`), which calls :func:`prepare`: that creates
the pool and measures its costs once (tens of milliseconds, paid by one large call), so small
programs never pay it. A forked child forgets the parent's pool (the block is reset) and
prepares its own the same way.

:func:`forced_split` is the knob tests use: within it every loop of at least two elements
is cut into ``num_threads`` chunks (reductions into :func:`~symc.runtime.reduction_chunks`)
regardless of cost, so that splitting is tested independently of the machine's load.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import warnings

import llvmlite.binding as llvm

from symc.config import config
from symc.runtime import plan
from symc.runtime.dispatch_ir import MAX_THREADS, SLOTS, STATE_BYTES
from symc.runtime.pool import SPIN_SECONDS, current_pool, native_code, pool_with

__all__ = [
    "MAX_THREADS",
    "PREPARE_NS",
    "STATE_BYTES",
    "SLOTS",
    "STATUS_PREPARE",
    "STATUS_RETRY",
    "SYMBOL",
    "forced_split",
    "prepare",
    "slot_offset",
    "state_address",
]

#: The JIT symbol of the dispatch state.
SYMBOL = "symc_runtime_state"
#: An entry whose loop has at least this much estimated work (ns) and finds the runtime not
#: ready for its thread count asks for :func:`prepare`; smaller loops just run inline.
PREPARE_NS = 100_000.0
#: What an entry returns after completing its work when it wants :func:`prepare`...
STATUS_PREPARE = 64
#: ... and without doing it, when it needs the runtime first (a large reduction whose
#: per-chunk partials the runtime handles): the caller prepares and calls again.
STATUS_RETRY = 65
#: Compiled entries split a loop when each chunk carries this many dispatch costs of work:
#: half of :data:`symc.runtime.plan.SPLIT_MARGIN`, because they also check what their splits
#: really gained (the split history of ``dispatch_ir``) and stop splitting when it is nothing.
SPLIT_MARGIN = plan.SPLIT_MARGIN / 2
#: Compiled loops under this much estimated work (ns) never split: a 2-thread split would
#: save a few microseconds at best, less than one preempted worker or a mis-estimate costs.
NEVER_SPLIT_NS = 20_000.0
#: Entries wake sleeping workers without a job (for the loops to come) at most this often:
#: a futex wake costs the caller 10-100 us in a VM, wasted when no split follows.
WAKE_INTERVAL_SECONDS = 0.01
#: Costs above this (ns, workers awake) mean other programs had the cores while measuring...
PESSIMISTIC_NS = 50_000.0
#: ... so entries ask for a new measurement this much later (a measurement takes ~0.1 s).
REMEASURE_SECONDS = 10.0


def slot_offset(name: str, threads: int = 0) -> int:
    """Byte offset of a scalar slot, or of row ``threads`` of a cost table."""
    return SLOTS[name][0] + 8 * threads


class _State:
    """The block itself, in ctypes memory that lives as long as the process."""

    def __init__(self):
        self.buffer = (ctypes.c_int64 * (STATE_BYTES // 8))()
        self.address = ctypes.addressof(self.buffer)
        self.lock = threading.Lock()
        # The entry reads config.num_threads through these; keep both alive for good.
        self.config_dict = vars(config)
        self.threads_key = sys.intern("num_threads")
        if self.threads_key not in self.config_dict:
            raise RuntimeError("symc.runtime.dispatch: config keeps num_threads outside its "
                               "__dict__; the entry points cannot read it")
        self.set("config_dict", id(self.config_dict))
        self.set("threads_key", id(self.threads_key))
        self.set("never_split_ns", NEVER_SPLIT_NS)
        self.set("prepare_ns", PREPARE_NS)
        self.set("split_margin", SPLIT_MARGIN)
        self.set("max_wake_ns", plan.MAX_WAKE_SPIN_SECONDS * 1e9)
        self.set("min_reduction_chunk", plan.MIN_REDUCTION_CHUNK)

    def set(self, name: str, value, threads: int = 0) -> None:
        """Write one slot (a table row when ``threads`` is given)."""
        ctype = ctypes.c_double if SLOTS[name][1] == "d" else ctypes.c_int64
        ctype.from_address(self.address + slot_offset(name, threads)).value = value

    def get(self, name: str, threads: int = 0):
        """Read one slot."""
        ctype = ctypes.c_double if SLOTS[name][1] == "d" else ctypes.c_int64
        return ctype.from_address(self.address + slot_offset(name, threads)).value

    def forget_pool(self) -> None:
        # In a forked child the parent's workers do not exist; costs stay valid (same host).
        self.lock = threading.Lock()
        self.set("pool", 0)
        self.set("n_workers", 0)


_state = _State()
llvm.add_symbol(SYMBOL, _state.address)
os.register_at_fork(after_in_child=_state.forget_pool)


def state_address() -> int:
    """The address of the dispatch state (what :data:`SYMBOL` resolves to)."""
    return _state.address


def state_value(name: str, threads: int = 0):
    """One slot of the dispatch state (for tests and diagnostics)."""
    return _state.get(name, threads)


def _publish_pool(threads: int) -> None:
    """Make sure the pool has ``threads - 1`` workers and tell the entries where it is."""
    native = native_code()
    pool = pool_with(threads - 1)
    _state.set("pauses_per_ns", native.spin_count / (SPIN_SECONDS * 1e9))
    _state.set("wake_interval", int(native.cycles_per_second * WAKE_INTERVAL_SECONDS))
    _state.set("n_workers", pool.n_workers)
    _state.set("pool", pool.address)
    _state.set("parallel_run", native.code.parallel_run)
    _state.set("parallel_reduce", native.code.parallel_reduce)


_floors: dict[int, float] = {}


def _set_floor(threads: int, costs) -> None:
    """No loop under 2 awake dispatch costs per chunk can split, nor any under
    :data:`NEVER_SPLIT_NS`: entries then skip even the lookup of ``config.num_threads`` (the
    floor is the lowest over the thread counts seen). Costs measured under load do not raise
    it: loops above the usual floor must still reach the runtime, which asks for their new
    measurement."""
    if costs.awake * 1e9 > PESSIMISTIC_NS:
        return
    _floors[threads] = 2 * SPLIT_MARGIN * costs.awake * 1e9
    _state.set("never_split_ns", max(NEVER_SPLIT_NS, min(_floors.values())))
    # (a forked child keeps these: same machine)


def _cycles_after(seconds: float) -> int:
    native = native_code()
    return native.cycle_counter() + int(seconds * native.cycles_per_second)


def _remeasure_due(threads: int) -> bool:
    due = _state.get("remeasure_at", threads)
    return due != 0 and native_code().cycle_counter() >= due


def prepare(num_threads: int | None = None) -> bool:
    """Create the pool and publish the dispatch costs for ``num_threads`` (default: config).

    Called by a compiled function's thunk when its entry asked for it: the first time, and
    again :data:`REMEASURE_SECONDS` after costs measured while other programs had the cores
    (:data:`PESSIMISTIC_NS`), so a process started under load splits once the load is gone.
    Cheap when there is nothing to do. Returns True when entries can split loops for that
    thread count.
    """
    threads = min(MAX_THREADS, config.num_threads if num_threads is None else int(num_threads))
    if threads <= 1:
        return False
    with _state.lock:
        try:
            _publish_pool(threads)
        except (RuntimeError, OSError, MemoryError) as exc:  # no pool here: one thread
            _state.set("disabled", 1)
            warnings.warn(f"symc: compiled loops stay on one thread: {exc}", RuntimeWarning,
                          stacklevel=2)
            return False
        if _state.get("force_split"):
            return True
        if _remeasure_due(threads):
            plan.forget_costs(threads)
        costs = plan.dispatch_costs(threads)  # measured once per process and thread count
        if costs is None:  # the pool was busy while measuring: retried later
            _state.set("remeasure_at", _cycles_after(1.0), threads)
            return False
        _set_floor(threads, costs)
        _state.set("wake_ns", costs.wake * 1e9, threads)
        _state.set("asleep_ns", costs.asleep * 1e9, threads)
        _state.set("awake_ns", costs.awake * 1e9, threads)  # "ready" once non-zero
        pessimistic = costs.awake * 1e9 > PESSIMISTIC_NS
        _state.set("remeasure_at", _cycles_after(REMEASURE_SECONDS) if pessimistic else 0,
                   threads)
    return True


@contextlib.contextmanager
def forced_split():
    """Within the block, compiled loops of 2 or more elements always split (for tests).

    Elementwise loops get ``num_threads`` chunks (at most one per element of the split
    range), reductions :func:`~symc.runtime.reduction_chunks`; the pool is created on the
    first such call. Not thread-safe to nest from several threads.
    """
    old = _state.get("force_split")
    _state.set("force_split", 1)
    try:
        yield
    finally:
        _state.set("force_split", old)


def pool_ready(threads: int) -> bool:
    """True when entries find a pool with enough workers for ``threads`` threads."""
    pool = current_pool()
    return pool is not None and _state.get("pool") == pool.address and (
        _state.get("n_workers") >= threads - 1)
