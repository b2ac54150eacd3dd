"""Benchmark of symc.profiling: what ``profile=True`` costs per node and per call.

Run from the repository root::

    python benchmarks/bench_profiler.py [--nodes 50] [--repeats 7] [--min-time 0.2]

Prints two measurements, each profiled against unprofiled, timed round by round
(``benchmarks.timer.time_interleaved``) so that load from other users of the machine hits
both alike:

1. **per node**: a chain of ``--nodes`` cheap ``+ 1`` nodes on a 4-element vector, on the
   NumPy backend; (profiled - unprofiled) / nodes is the profiler's cost per node per call
   (target: at most ~0.3 µs). The cost per call (``Function.__call__`` timing) is measured
   on a one-node function and subtracted first. The cost of one clock read (the floor: a
   node costs one) is printed alongside, since a loaded machine slows everything alike.
2. **pi**: scenario 1's Monte-Carlo pi on 30,000 samples in the default mode; the ratio of
   profiled to unprofiled time per call (target: at most 1.5).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from time import perf_counter_ns

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import symc  # noqa: E402
from benchmarks.timer import time_interleaved  # noqa: E402

NUMPY = symc.Mode(optimizer=None, backend="numpy")


def chain(n_nodes: int, profile: bool):
    """``x + 1 + 1 ...`` with ``n_nodes`` add nodes; no rewriting, so nothing is fused."""
    x = symc.vector("x")
    out = x
    for _ in range(n_nodes):
        out = out + 1.0
    return symc.function([x], out, profile=profile, mode=NUMPY)


def pi_function(profile: bool):
    """Scenario 1: ``4 * sum(x**2 + y**2 <= 1) / len(x)``."""
    x, y = symc.vector("x"), symc.vector("y")
    pi_est = 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]
    return symc.function([x, y], pi_est, profile=profile)


def best_times(callables: dict, repeats: int, min_time: float) -> dict[str, float]:
    """Best seconds per call of each callable over rounds timed in turn (the best, not the
    median: on a shared machine, load only ever adds time)."""
    timings, errors = time_interleaved(callables, repeats, min_time)
    if errors:
        raise RuntimeError(f"benchmark calls failed: {errors}")
    return {name: t.best for name, t in timings.items()}


def clock_read_cost(repeats: int) -> float:
    """Seconds per ``time.perf_counter_ns()`` call: the floor of a per-node stamp, and a
    yardstick that makes the results comparable across machine loads."""
    loops = 200_000
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            perf_counter_ns()
        best = min(best, time.perf_counter() - start)
    return best / loops


def per_node_cost(n_nodes: int, repeats: int, min_time: float) -> dict[str, float]:
    """Seconds per call of the chain and a one-node function, with and without profiling."""
    values = np.ones(4)
    fns = {f"{name} {'profiled' if p else 'plain'}": chain(n, p)
           for name, n in (("chain", n_nodes), ("one", 1)) for p in (False, True)}
    return best_times({name: (lambda f=f: f(values)) for name, f in fns.items()}, repeats, min_time)


def pi_cost(repeats: int, min_time: float) -> dict[str, float]:
    """Seconds per pi call, unprofiled and profiled."""
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(-1, 1, 30_000), rng.uniform(-1, 1, 30_000)
    fns = {"pi plain": pi_function(False), "pi profiled": pi_function(True)}
    return best_times({name: (lambda f=f: f(xs, ys)) for name, f in fns.items()}, repeats, min_time)


def main(argv=None) -> int:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.2)
    args = parser.parse_args(argv)

    node = per_node_cost(args.nodes, args.repeats, args.min_time)
    per_call = node["one profiled"] - node["one plain"]
    extra = node["chain profiled"] - node["chain plain"]
    per_node = (extra - per_call) / (args.nodes - 1)
    print(f"chain of {args.nodes} nodes: {node['chain plain'] * 1e6:.2f} µs plain, "
          f"{node['chain profiled'] * 1e6:.2f} µs profiled")
    print(f"one node: {node['one plain'] * 1e6:.2f} µs plain, "
          f"{node['one profiled'] * 1e6:.2f} µs profiled")
    clock = clock_read_cost(args.repeats)
    print(f"profiling cost per call: {per_call * 1e6:.3f} µs; per node: {per_node * 1e6:.3f} µs "
          f"(target <= ~0.3) = {per_node / clock:.2f} clock reads of {clock * 1e9:.0f} ns")

    pi = pi_cost(args.repeats, args.min_time)
    ratio = pi["pi profiled"] / pi["pi plain"]
    print(f"pi, 30,000 samples: {pi['pi plain'] * 1e6:.2f} µs plain, "
          f"{pi['pi profiled'] * 1e6:.2f} µs profiled, ratio {ratio:.3f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
