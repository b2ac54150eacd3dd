"""Thread scaling on Monte-Carlo pi and a transcendental-heavy expression (scenario 1).

Scenario 1's article varied ``OMP_NUM_THREADS`` from 1 to 4 and found Theano *slower* with
more threads, while TensorFlow scaled. This example runs the same experiment in symc: it
compiles pi and ``exp(-x**2/2)*sin(y)+log1p(abs(x*y))`` once and times them with
``symc.config.change(num_threads=k)`` for k = 1 .. ``--max-threads`` (default: the CPU count),
printing the article's table (threads, seconds for ``--runs`` calls, speed-up over 1 thread).

Usage::

    python examples/threads.py                      # 10,000 runs on 10,000 samples, as the article
    python examples/threads.py --n 1000000 --runs 50
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import symc


def build():
    """The two compiled functions: ``{"pi": f, "heavy": g}``."""
    x, y = symc.vector("x"), symc.vector("y")
    pi_est = 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]
    heavy = symc.exp(-x**2 / 2) * symc.sin(y) + symc.log1p(abs(x * y))
    return {"pi": symc.function([x, y], pi_est), "heavy": symc.function([x, y], heavy)}


def time_runs(f, xs, ys, runs: int) -> float:
    """Seconds for ``runs`` calls (after one warm-up call)."""
    f(xs, ys)
    start = time.perf_counter()
    for _ in range(runs):
        f(xs, ys)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="samples per vector")
    parser.add_argument("--runs", type=int, default=10_000, help="calls per measurement")
    parser.add_argument("--max-threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(-1, 1, args.n), rng.uniform(-1, 1, args.n)
    functions = build()
    print(f"{args.runs} runs on {args.n} samples; symc.config.num_threads = 1..{args.max_threads}")
    for name, f in functions.items():
        print(f"\n{name}\n{'threads':>8} {'seconds':>10} {'speed-up':>9}")
        base = None
        for k in range(1, args.max_threads + 1):
            with symc.config.change(num_threads=k):
                seconds = time_runs(f, xs, ys, args.runs)
            base = base or seconds
            print(f"{k:>8} {seconds:>10.3f} {base / seconds:>8.2f}x")


if __name__ == "__main__":
    main()
