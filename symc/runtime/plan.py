"""Deciding how many chunks a loop gets: split only when the work clearly beats the dispatch.

What a split costs depends on whether the pool's workers are awake:

* **awake** (a job, or a wake-up, ended less than a spin window ago, ~30 us): a worker
  joins a new job within a microsecond or so;
* **asleep**: the caller wakes them with a futex syscall, and they join late: tens of
  microseconds on bare metal, 100 us or more in a VM where an idle vCPU must be rescheduled.

Both are measured once per process and thread count, as the time until *every* thread has
started a chunk of a job (a barrier of do-nothing chunks), minus the same call run inline
(:func:`dispatch_cost`): the smallest of several samples, after a warm-up, since on a
shared machine anything else measures the other programs' load of the moment (costs that
still look loaded are measured again later, see ``symc.runtime.dispatch``). A loop is cut
into ``k`` chunks only when its estimated work is at least :data:`SPLIT_MARGIN` times ``k``
costs of the workers' current state, so each thread's share is worth several dispatches
even when the loop scales poorly (memory-bound loops gain well under 2x from 2 threads).

The answer of :func:`plan_chunks` depends on timing. That is harmless for elementwise loops
(any split gives the same bits) but not for reductions, whose per-chunk partials depend on
the split: they cut the loop into :func:`reduction_chunks` pieces, a function of ``n`` and
``config.num_threads`` only, and let the plan decide just how many threads run those pieces::

    parallel_for(fn, ctx, n, reduction_chunks(n), num_threads=plan_chunks(n, ns))

Loops that would split if the workers were awake, but run inline because they sleep, wake
them without a job (:meth:`NativePool.wake`, one syscall, paid only by loops that are large
beside it) and ask them to spin for twice the loop's time (at most 2 ms): the next such loop
then finds them awake. So a stream of medium loops goes parallel from its second loop on,
while an isolated one never waits for a late worker. The extra spinning happens only while
loops keep coming; an idle pool sleeps. (Compiled entry points apply the same rules in
machine code, with wake-ups rate-limited, and also check that their splits really gain:
``symc.backends.llvm.emit_parallel``.)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from symc.config import config
from symc.runtime.pool import SPIN_SECONDS, current_pool, native_code, pool_with

__all__ = [
    "MIN_REDUCTION_CHUNK",
    "SPLIT_MARGIN",
    "DispatchCosts",
    "dispatch_cost",
    "dispatch_costs",
    "forget_costs",
    "plan_chunks",
    "reduction_chunks",
]

#: Each chunk must carry this many dispatch costs of work (see the module docstring).
SPLIT_MARGIN = 4.0
#: A reduction chunk gets at least this many elements (fewer partials for small loops).
MIN_REDUCTION_CHUNK = 4096
#: Below this much work no pool could pay off; plan_chunks answers 1 without measuring.
NEVER_SPLIT_SECONDS = 2e-6
_FLOOR_SECONDS = 0.5e-6  # keeps thresholds sane if a quiet machine times near zero
#: The longest extra spin a wake-up asks of the workers (only while loops keep coming).
MAX_WAKE_SPIN_SECONDS = 2e-3
_IDLE_SECONDS = 1e-3  # well past the workers' spin window, so they are asleep
_ASLEEP_SAMPLES = 9
_AWAKE_SAMPLES = 21
# A thread waits this long at most for the others to arrive: on a loaded machine a worker may
# not run for milliseconds, and the measurement (at most ~0.1 s) should not wait for it.
_BARRIER_SECONDS = 2e-3
_WARM_UP_SECONDS = 20e-3


@dataclass(frozen=True)
class DispatchCosts:
    """Measured seconds, for one thread count, that parallel dispatch adds to a loop."""

    #: until every thread runs a chunk, workers spinning (minus the inline call)
    awake: float
    #: the same with the workers asleep
    asleep: float
    #: what waking sleeping workers (without a job) costs the caller
    wake: float


_measured: dict[int, DispatchCosts] = {}
_measure_lock = threading.Lock()
_RETRY_SECONDS = 1.0  # after a measurement spoiled by a busy pool, do not retry sooner
_retry_after: dict[int, float] = {}


class _PoolBusy(Exception):
    """The pool ran another job while we timed it; the sample is meaningless."""


def _timed_job(threads: int, idle: bool, barrier: bool) -> float:
    """Seconds of one job of ``threads`` trivial chunks; ``barrier`` makes all threads join."""
    native, pool = native_code(), pool_with(threads - 1)
    # ctx = {arrived, expected, max_spins}; chunks of a 1-thread job need not wait.
    spins = int(native.spin_count * _BARRIER_SECONDS / SPIN_SECONDS)
    ctx = np.array([0, threads, spins], dtype=np.int64)
    fn = native.barrier_chunk if barrier else native.noop_chunk
    if idle:
        time.sleep(_IDLE_SECONDS)
    start = time.perf_counter()
    if threads == 1:
        native.run_inline(fn, ctx.ctypes.data, 1, 1)
    elif not pool.run(fn, ctx.ctypes.data, threads, threads, threads - 1):
        raise _PoolBusy
    return time.perf_counter() - start


def _timed_wake(threads: int) -> float:
    pool = pool_with(threads - 1)
    time.sleep(_IDLE_SECONDS)
    start = time.perf_counter()
    pool.wake()
    return time.perf_counter() - start


def _typical(sample, count: int) -> float:
    """The smallest of ``count`` samples: what a dispatch costs when the cores are there.

    The machine may be shared: a median measures the other programs' load at that moment,
    which says little about the calls to come, and a process measures only once. Compiled
    entries do not trust the optimistic answer blindly: they time their own split and
    inline runs and stop splitting loops that do not gain
    (``symc.backends.llvm.emit_parallel.SplitHistory``).
    """
    return min(sample() for _ in range(count))


def _warm_up(threads: int) -> None:
    """Run barrier jobs until the workers join quickly, for at most :data:`_WARM_UP_SECONDS`.

    Freshly started workers (and, in a VM, vCPUs that were idle) take milliseconds to join
    their first jobs; timing those would say the pool never pays.
    """
    deadline = time.perf_counter() + _WARM_UP_SECONDS
    quick = 0
    while quick < 3 and time.perf_counter() < deadline:
        quick = quick + 1 if _timed_job(threads, False, True) < 100e-6 else 0


def _measure(threads: int) -> DispatchCosts:
    _warm_up(threads)  # also creates the pool and starts its workers
    inline_idle = _typical(lambda: _timed_job(1, True, True), _ASLEEP_SAMPLES)
    asleep = _typical(lambda: _timed_job(threads, True, True), _ASLEEP_SAMPLES) - inline_idle
    wake = _typical(lambda: _timed_wake(threads), _ASLEEP_SAMPLES)
    inline = _typical(lambda: _timed_job(1, False, True), _AWAKE_SAMPLES)
    awake = _typical(lambda: _timed_job(threads, False, True), _AWAKE_SAMPLES) - inline
    awake = max(awake, _FLOOR_SECONDS)
    return DispatchCosts(awake=awake, asleep=max(asleep, awake), wake=max(wake, _FLOOR_SECONDS))


def dispatch_costs(num_threads: int | None = None) -> DispatchCosts | None:
    """The measured costs for ``num_threads`` threads (default ``config.num_threads``).

    Measured the first time they are asked for (about 40 ms), then remembered. None for one
    thread, or when another job kept the pool busy during the measurement (then it is
    retried a second later at the earliest).
    """
    threads = config.num_threads if num_threads is None else int(num_threads)
    if threads <= 1:
        return None
    costs = _measured.get(threads)
    if costs is not None or time.monotonic() < _retry_after.get(threads, 0.0):
        return costs
    with _measure_lock:
        costs = _measured.get(threads)
        if costs is None:
            try:
                costs = _measured[threads] = _measure(threads)
            except _PoolBusy:
                _retry_after[threads] = time.monotonic() + _RETRY_SECONDS
    return costs


def forget_costs(num_threads: int) -> None:
    """Drop the measured costs of ``num_threads``: the next :func:`dispatch_costs` measures."""
    with _measure_lock:
        _measured.pop(int(num_threads), None)
        _retry_after.pop(int(num_threads), None)


def dispatch_cost(num_threads: int | None = None, *, asleep: bool = True) -> float:
    """Seconds one ``parallel_for`` on ``num_threads`` threads adds to running it inline.

    That is the time until every thread has started its chunk, with the workers asleep
    (the default, and the dearer) or awake; 0.0 for one thread. See :func:`dispatch_costs`.
    """
    costs = dispatch_costs(num_threads)
    if costs is None:
        return 0.0 if (num_threads or config.num_threads) <= 1 else float("inf")
    return costs.asleep if asleep else costs.awake


def plan_chunks(n: int, ns_per_element: float) -> int:
    """How many chunks to cut a loop of ``n`` elements into; 1 means run it inline.

    ``ns_per_element`` is the estimated single-thread cost of one iteration, in
    nanoseconds. The answer is at most ``config.num_threads`` (read now, so inside
    ``config.change(num_threads=1)`` it is 1) and at most ``n``. Ask right before running
    the loop: the answer depends on whether the workers are awake, and a loop that runs
    inline only because they sleep wakes them for the next one.
    """
    if not ns_per_element >= 0.0 or n < 0:  # the first test also rejects NaN
        raise ValueError(
            f"plan_chunks: need n >= 0 and ns_per_element >= 0, got n={n}, {ns_per_element}"
        )
    threads = min(config.num_threads, int(n))
    work = n * ns_per_element * 1e-9
    if threads <= 1 or work < NEVER_SPLIT_SECONDS:
        return 1
    costs = dispatch_costs(config.num_threads)
    pool = current_pool()
    if costs is None or pool is None:  # busy measuring in another job: stay inline
        return 1
    if pool.workers_awake(threads - 1):
        return max(1, min(threads, int(work / (SPLIT_MARGIN * costs.awake))))
    chunks = min(threads, int(work / (SPLIT_MARGIN * costs.asleep)))
    if chunks < 2 and work >= 2 * SPLIT_MARGIN * max(costs.awake, costs.wake):
        # Keep them awake through this loop, so that a next one like it finds them spinning.
        pool.wake(min(2 * work, MAX_WAKE_SPIN_SECONDS))
    return max(1, chunks)


def reduction_chunks(n: int) -> int:
    """How many chunks, hence partials, a reduction over ``n`` elements is cut into.

    A function of ``n`` and ``config.num_threads`` only, never of timing, so the same inputs
    and thread count give the same bits whether the chunks then run on one thread or many.
    """
    return max(1, min(config.num_threads, int(n) // MIN_REDUCTION_CHUNK))
