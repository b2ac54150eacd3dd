"""What fusion does: one expression compiled in FAST_COMPILE and in FAST_RUN.

FAST_COMPILE only merges common subexpressions and folds constants, then runs each node with
NumPy, making one temporary array per operation. FAST_RUN rewrites the graph (``x**2`` becomes
``sqr(x)``, ``log(1+x)`` becomes ``log1p(x)``, ...) and fuses the elementwise chain, and the
reduction that consumes it, into single LLVM kernels with no temporaries. The example prints
``debugprint`` of both compiled graphs and their time per call.

Usage::

    python examples/fusion_tour.py
    python examples/fusion_tour.py --n 1000 --calls 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import symc
from symc.printing import debugprint


def expression():
    """``sum(exp(-x**2/2) * sin(y) + log(1 + abs(x*y)))`` and its inputs."""
    x, y = symc.vector("x"), symc.vector("y")
    z = symc.exp(-x**2 / 2) * symc.sin(y) + symc.log(1 + abs(x * y))
    return [x, y], z.sum()


def per_call(f, args, calls: int) -> float:
    """Seconds per call, after a warm-up call."""
    f(*args)
    start = time.perf_counter()
    for _ in range(calls):
        f(*args)
    return (time.perf_counter() - start) / calls


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(args.n), rng.standard_normal(args.n)]
    results = {}
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        inputs, out = expression()
        f = symc.function(inputs, out, mode=mode)
        print(f"== {mode}: {len(f.fgraph.apply_nodes)} nodes")
        debugprint(f)
        results[mode] = (f(*values), per_call(f, values, args.calls))
    (slow_value, slow), (fast_value, fast) = results["FAST_COMPILE"], results["FAST_RUN"]
    np.testing.assert_allclose(fast_value, slow_value, rtol=1e-9)
    print(f"\nN = {args.n}: FAST_COMPILE {slow * 1e3:.3f} ms/call, FAST_RUN {fast * 1e3:.3f} "
          f"ms/call ({slow / fast:.1f}x faster)")


if __name__ == "__main__":
    main()
