"""Benchmark of symc.runtime: dispatch cost of the native pool, and 1- vs 2-thread loop times.

Run from the repository root::

    python benchmarks/bench_runtime.py

Prints two tables:

1. the cost of handing trivial work to other threads and waiting for it: symc's native pool
   (``parallel_for`` of do-nothing chunks) against ``concurrent.futures.ThreadPoolExecutor``
   running one ctypes kernel call, with the workers awake (calls back to back) and asleep
   (1 ms pause before each call);
2. the time of two JIT-compiled kernels (``scale2``: ``out = 2 * in``, memory-bound;
   ``sum``: a sequential sum into per-chunk partials, latency-bound) for n = 1e2 .. 1e7 on
   one thread, on two threads (two chunks), and with the chunk count ``plan_chunks`` picks.

Timings are medians; the machine is shared, so compare columns of one run, not runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symc  # noqa: E402
from symc.runtime import dispatch_cost, parallel_for, plan_chunks  # noqa: E402
from symc.runtime.pool import CHUNK_FUNCTION, native_code  # noqa: E402
from tests.runtime.kernels import kernels, pointers  # noqa: E402

PAUSE = 1e-3  # long enough for the workers to fall asleep


def median_seconds(call, samples: int, pause: float = 0.0) -> float:
    """Median wall time of ``call()`` over ``samples`` calls, sleeping ``pause`` before each."""
    times = []
    for _ in range(samples):
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dispatch_table() -> None:
    """Print the dispatch cost of the native pool and of a ThreadPoolExecutor, in us."""
    noop_address = native_code().noop_chunk
    noop = CHUNK_FUNCTION(noop_address)
    rows = [("raw ctypes call of the kernel", lambda: noop(None, 0, 0, 1))]
    rows.append(("parallel_for, 1 chunk (inline)", lambda: parallel_for(noop_address, 0, 1, 1)))
    rows.append(("parallel_for, 2 chunks (pool)", lambda: parallel_for(noop_address, 0, 2, 2)))
    with ThreadPoolExecutor(max_workers=1) as executor:
        rows.append(
            (
                "ThreadPoolExecutor submit+result",
                lambda: executor.submit(noop, None, 0, 0, 1).result(),
            )
        )
        print(f"{'dispatch of trivial work':<36}{'awake us':>10}{'asleep us':>11}")
        for name, call in rows:
            awake = median_seconds(call, 2000)
            asleep = median_seconds(call, 100, pause=PAUSE)
            print(f"{name:<36}{awake * 1e6:>10.2f}{asleep * 1e6:>11.2f}")
    print(
        f"dispatch_cost(): asleep {dispatch_cost() * 1e6:.2f} us, "
        f"awake {dispatch_cost(asleep=False) * 1e6:.2f} us (the planner's inputs)\n"
    )


def _kernel_call(name: str, n: int):
    """A ``run(n_chunks)`` closure for one kernel on fresh data of size n."""
    x = np.random.default_rng(0).random(n)
    out = np.zeros(n) if name == "scale2" else np.zeros(max(n, 8))
    ctx = pointers(x, out)
    address = getattr(kernels(), "sum_partials" if name == "sum" else name)

    def run(n_chunks):
        # x and out are named here so that they live as long as this closure.
        assert x.size == n and out.size >= n
        parallel_for(address, ctx.ctypes.data, n, n_chunks)

    return run


def _samples(n: int) -> int:
    return int(min(2000, max(7, 3e6 / n)))


def _scaling_row(name: str, n: int, ns_per_element: float | None) -> tuple[list[float], int]:
    """Times (us) of one kernel at size n; also returns the planned chunk count."""
    run = _kernel_call(name, n)
    run(2)  # touch the pages and wake the pool
    one = median_seconds(lambda: run(1), _samples(n))
    two = median_seconds(lambda: run(2), _samples(n))
    ns_per_element = ns_per_element or one * 1e9 / n
    chunks = plan_chunks(n, ns_per_element)
    planned = median_seconds(lambda: run(plan_chunks(n, ns_per_element)), _samples(n))
    cold_samples = min(40, _samples(n))
    two_cold = median_seconds(lambda: run(2), cold_samples, pause=PAUSE)
    one_cold = median_seconds(lambda: run(1), cold_samples, pause=PAUSE)
    return [t * 1e6 for t in (one, two, planned, two_cold, one_cold)], chunks


def scaling_table() -> None:
    """Print 1-thread, 2-thread and planned times of the kernels for n = 1e2 .. 1e7."""
    print(
        f"{'kernel':<8}{'n':>10}{'1 thread':>10}{'2 threads':>11}{'speedup':>9}"
        f"{'planned k':>11}{'planned':>9}{'| asleep: 1 thread':>19}{'2 threads':>11}"
    )
    for name in ("scale2", "sum"):
        # The planner is given the per-element cost measured on one thread at n = 1e6.
        per_element = _scaling_row(name, 10**6, None)[0][0] * 1e3 / 10**6
        for exponent in range(2, 8):
            n = 10**exponent
            (one, two, planned, two_cold, one_cold), chunks = _scaling_row(name, n, per_element)
            print(
                f"{name:<8}{n:>10.0e}{one:>10.2f}{two:>11.2f}{one / two:>9.2f}"
                f"{chunks:>11}{planned:>9.2f}{one_cold:>19.2f}{two_cold:>11.2f}"
            )
    print("(times in us, medians; 'asleep' = 1 ms pause before each call)")


def main() -> None:
    """Run both tables with two threads."""
    print(f"load average {os.getloadavg()}, cpus {os.cpu_count()}\n")
    with symc.config.change(num_threads=2):
        dispatch_table()
        scaling_table()


if __name__ == "__main__":
    main()
