"""The pool under use: concurrent callers, nested calls, fork, idling, growing."""

from __future__ import annotations

import os
import threading
import time

import llvmlite.binding as llvm
import numpy as np
import pytest

import symc
from symc.runtime import parallel_call, parallel_for
from symc.runtime.pool import current_pool
from symc.runtime.pool_ir import build_pool_module

from .kernels import kernels, pointers

DEADLINE = 20.0  # seconds before a hung test is declared a deadlock


def _run_with_deadline(target, *args):
    """Run target in a daemon thread; fail (instead of hanging) if it does not finish."""
    errors = []

    def guarded():
        try:
            target(*args)
        except BaseException as exc:  # reported in the test's thread below
            errors.append(exc)

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    thread.join(DEADLINE)
    assert not thread.is_alive(), f"{target.__name__} did not finish: deadlock?"
    if errors:
        raise errors[0]


def _scale_many(seed, results):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        n = int(rng.integers(0, 200_000))
        x = rng.standard_normal(n)
        y = np.empty(n)
        ctx = pointers(x, y)
        parallel_for(kernels().scale2, ctx.ctypes.data, n, int(rng.integers(1, 5)))
        if not np.array_equal(y, 2 * x):
            results[seed] = False
            return
    results[seed] = True


def test_four_python_threads_share_the_pool():
    results = {}

    def run_all():
        threads = [threading.Thread(target=_scale_many, args=(s, results)) for s in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    with symc.config.change(num_threads=2):
        _run_with_deadline(run_all)
    assert results == {0: True, 1: True, 2: True, 3: True}


def test_nested_call_from_a_chunk_runs_inline():
    n = 10_000
    x = np.arange(n, dtype=np.float64)
    outputs = [np.zeros(n) for _ in range(4)]
    contexts = [pointers(x, out) for out in outputs]

    def chunk(c, start, stop):
        # Called while the pool is busy with the outer job: must not wait for it.
        parallel_for(kernels().scale2, contexts[c].ctypes.data, n, 3)

    with symc.config.change(num_threads=2):
        _run_with_deadline(parallel_call, chunk, 4, 4)
    for out in outputs:
        np.testing.assert_array_equal(out, 2 * x)


def _child_checks_parallel_for() -> int:
    n = 100_003
    x = np.arange(n, dtype=np.float64)
    y = np.zeros(n)
    ctx = pointers(x, y)
    with symc.config.change(num_threads=2):
        parallel_for(kernels().scale2, ctx.ctypes.data, n, 2)
        ok = np.array_equal(y, 2 * x) and current_pool().n_workers == 1
    return 0 if ok else 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork with threads (3.12+)
def test_forked_child_gets_a_fresh_working_pool():
    with symc.config.change(num_threads=2):
        parallel_call(lambda c, a, b: None, 2, 2)  # make sure the parent has a pool
    assert current_pool() is not None
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 3
        try:
            code = _child_checks_parallel_for()
        finally:
            os._exit(code)
    deadline = time.monotonic() + DEADLINE
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("forked child hung in parallel_for")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(status) == 0


def test_idle_pool_uses_no_cpu():
    n = 1_000_000
    x = np.ones(n)
    y = np.empty(n)
    ctx = pointers(x, y)
    with symc.config.change(num_threads=4):
        for _ in range(20):
            parallel_for(kernels().scale2, ctx.ctypes.data, n, 4)
    for _ in range(3):  # woken without a job, workers spin a little and sleep again
        current_pool().wake()
    before = time.process_time()
    time.sleep(1.0)
    burnt = time.process_time() - before
    assert burnt < 0.05, f"idle pool used {burnt:.3f} s of CPU in 1 s"


def test_many_quick_jobs_run_each_chunk_exactly_once():
    rng = np.random.default_rng(3)
    calls, starts, stops = (np.zeros(8, dtype=np.int64) for _ in range(3))
    ctx = pointers(calls, starts, stops)
    expected = np.zeros(8, dtype=np.int64)

    def run_jobs():
        with symc.config.change(num_threads=4):  # more threads than cores: preemption too
            for _ in range(3000):
                n_chunks = int(rng.integers(1, 9))
                parallel_for(kernels().record, ctx.ctypes.data, int(rng.integers(1, 50)), n_chunks)
                expected[:n_chunks] += 1

    _run_with_deadline(run_jobs)
    np.testing.assert_array_equal(calls, expected)


def _wait_until(condition, seconds=DEADLINE):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(20e-6)
    return True


def test_woken_workers_spin_for_a_while_then_sleep_again():
    with symc.config.change(num_threads=2):
        parallel_call(lambda c, a, b: None, 2, 2)
    pool = current_pool()
    assert _wait_until(lambda: not pool.workers_awake(1)), "workers never went to sleep"
    pool.wake(0.005)
    assert _wait_until(lambda: pool.workers_awake(1)), "pool.wake() did not wake the workers"
    assert _wait_until(lambda: not pool.workers_awake(1)), "woken workers never slept again"


def test_pool_grows_with_num_threads():
    with symc.config.change(num_threads=2):
        parallel_call(lambda c, a, b: None, 2, 2)
    assert current_pool().n_workers >= 1
    with symc.config.change(num_threads=4):
        parallel_call(lambda c, a, b: None, 4, 4)
    assert current_pool().n_workers >= 3
    assert current_pool().field("n_started") <= current_pool().n_workers


def test_a_job_uses_at_most_num_threads_threads():
    with symc.config.change(num_threads=4):
        parallel_call(lambda c, a, b: None, 4, 4)  # the pool now has 3 workers
    for threads in (2, 3):
        seen = set()

        def chunk(c, start, stop, seen=seen):
            seen.add(threading.get_ident())
            time.sleep(0.002)  # releases the GIL: let other threads take chunks

        with symc.config.change(num_threads=threads):
            parallel_call(chunk, 16, 16)
        assert 1 <= len(seen) <= threads


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_pool_ir_is_valid_llvm_for_known_machines(machine):
    llvm.parse_assembly(str(build_pool_module(machine))).verify()


def test_pool_ir_refuses_unknown_machines():
    with pytest.raises(RuntimeError, match="supports"):
        build_pool_module("sparc64")
