"""Multiplying two 5000x5000 float32 matrices (scenario 1's matrix-multiply comparison).

``symc.dot`` of two ``fmatrix`` inputs runs NumPy's BLAS (symc does not write its own GEMM);
this example shows that the compiled function costs what NumPy's ``a @ b`` costs, prints both
times and checks the answers agree.

Usage::

    python examples/matmul.py            # 5000 x 5000
    python examples/matmul.py --n 500
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import symc


def best_of(fn, repeats: int) -> float:
    """The best wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.n, args.n), dtype=np.float32)
    b = rng.standard_normal((args.n, args.n), dtype=np.float32)
    A, B = symc.fmatrix("A"), symc.fmatrix("B")
    f = symc.function([A, B], symc.dot(A, B))
    ours = f(a, b)
    theirs = a @ b
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-3 * np.sqrt(args.n))
    t_numpy = best_of(lambda: a @ b, args.repeats)
    t_symc = best_of(lambda: f(a, b), args.repeats)
    gflop = 2 * args.n**3 / 1e9
    print(f"{args.n}x{args.n} float32 dot, best of {args.repeats}")
    print(f"  numpy a @ b : {t_numpy:8.4f} s  ({gflop / t_numpy:6.1f} GFLOP/s)")
    print(f"  symc dot    : {t_symc:8.4f} s  ({gflop / t_symc:6.1f} GFLOP/s)  "
          f"ratio {t_symc / t_numpy:.2f}")


if __name__ == "__main__":
    main()
