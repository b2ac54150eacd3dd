"""Monte-Carlo pi with a profile: scenario 1 of SCENARIOS.md, the Theano experiment in symc.

Two vectors ``x`` and ``y`` of uniform samples in [-1, 1]; the fraction of points inside the
unit circle estimates pi / 4::

    hits = (x**2 + y**2 <= 1).sum()
    pi_est = 4 * hits / x.shape[0]

The function is compiled with ``profile=True`` and called many times on fresh samples, then
``f.profile.summary()`` prints Theano's report: where the time goes per node class, per op
and per node (``Apply``), which backend ran each node (``L``: LLVM, ``Py``: NumPy), the
compile phases, and the memory of the intermediates. Theano reported 1.0e-4 s per call on
30,000 samples, 80% of it in ``Elemwise{Composite{LT((sqr(i0) + sqr(i1)), i2)}}`` and 19% in
``Sum``.

Usage::

    python examples/pi_montecarlo.py                     # 30,000 samples, 10,000 calls
    python examples/pi_montecarlo.py --n 1000 --calls 20 # quick
    python examples/pi_montecarlo.py --trace pi.json     # also a Perfetto trace

The samples are drawn once per batch of calls (``--batches``, default 10) so that drawing
random numbers does not dominate the run; the profile counts only the function's calls.
The output of the default run is kept in ``profiles/pi_montecarlo.txt``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import symc


def build_pi():
    """The estimator ``4 * sum(x**2 + y**2 <= 1) / len(x)``, compiled with a profile."""
    x = symc.vector("x")
    y = symc.vector("y")
    hits = (x**2 + y**2 <= 1).sum()
    pi_est = 4 * hits / x.shape[0]
    return symc.function([x, y], pi_est, profile=True)


def run(n: int, calls: int, batches: int, seed: int = 0):
    """Call a new estimator ``calls`` times: ``(function, mean estimate, seconds per call)``."""
    f = build_pi()
    rng = np.random.default_rng(seed)
    per_batch = max(1, calls // batches)
    total, done, elapsed = 0.0, 0, 0.0
    while done < calls:
        xs, ys = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
        todo = min(per_batch, calls - done)
        start = time.perf_counter()
        for _ in range(todo):
            estimate = f(xs, ys)
        elapsed += time.perf_counter() - start
        total += float(estimate) * todo
        done += todo
    return f, total / calls, elapsed / calls


def main(argv=None) -> int:
    """Parse the flags, run, print the estimate and the profile."""
    parser = argparse.ArgumentParser(description="Monte-Carlo pi with symc's profiler.")
    parser.add_argument("--n", type=int, default=30_000, help="samples per vector")
    parser.add_argument("--calls", type=int, default=10_000, help="calls of the function")
    parser.add_argument("--batches", type=int, default=10, help="fresh samples this often")
    parser.add_argument("--trace", help="also write a Chrome/Perfetto trace to this file")
    args = parser.parse_args(argv)
    if args.n < 1 or args.calls < 1 or args.batches < 1:
        parser.error("--n, --calls and --batches must be at least 1")

    f, estimate, per_call = run(args.n, args.calls, args.batches)
    print(f"pi ~= {estimate:.6f} (error {abs(estimate - np.pi):.2e}) from {args.calls} calls "
          f"on {args.n} samples per vector; {per_call * 1e6:.1f} µs per call "
          f"(mode {f.mode.optimizer}/{f.mode.backend}, {symc.config.num_threads} threads)")
    print()
    f.profile.summary()
    if args.trace:
        f.profile.to_chrome_trace(args.trace)
        print(f"trace of the last calls written to {args.trace}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
