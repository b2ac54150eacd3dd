"""Issue 5's acceptance numbers, side by side in one process: ``python -m benchmarks.bench_issue5``.

Measures, with the harness's interleaved timer (best of ``--repeats`` rounds):

1. heavy (``exp(-x**2/2)*sin(y)+log1p(abs(x*y))``), N=1e6, one thread: symc against a
   ``numba.njit`` loop and NumPy (targets: <= 0.5x numba, < 1x NumPy);
2. heavy, N=1e7, two threads: symc against ``jax.jit`` and numexpr with two threads
   (target: faster than both);
3. 1 vs 2 threads of symc on heavy and pi from N=1e2 to 1e7 (targets: >= 1.7x at 4e6 for
   heavy; never more than 1.05x slower);
4. pi, N=1e7: symc on two threads against numba ``parallel=True`` (target: <= 1.1x).

Each line is one interleaved timing, so its ratios compare peers under the same load. The
table goes to stdout and to ``profiles/issue5.md`` with the load average. ``--calibrate``
instead prints the per-op costs of ``symc.backends.llvm.kernel_cost`` beside measured ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import symc
from benchmarks import heavy, pi
from benchmarks.heavy import set_setting
from benchmarks.timer import time_interleaved

SWEEP = [100, 1_000, 10_000, 100_000, 1_000_000, 4_000_000, 10_000_000]


def _with_threads(fn, k: int):
    """``fn`` called with ``symc.config.num_threads = k`` (stored unvalidated: cheap)."""
    config = symc.config

    def call(*args):
        old = config.num_threads
        set_setting(config, "num_threads", k)
        try:
            return fn(*args)
        finally:
            set_setting(config, "num_threads", old)

    return call


def _numexpr(threads: int):
    import numexpr

    def call(x, y):
        old = numexpr.set_num_threads(threads)
        try:
            return numexpr.evaluate(heavy.NUMEXPR_FORMULA, local_dict={"x": x, "y": y})
        finally:
            numexpr.set_num_threads(old)

    return call


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    jitted = jax.jit(lambda x, y: heavy.expression(jnp, x, y))
    return lambda x, y: jitted(x, y).block_until_ready(), jax.device_put


def _symc(workload):
    x, y = symc.vector("x"), symc.vector("y")
    return symc.function([x, y], workload.expression(symc, x, y))


def _time(calls: dict, args: tuple, repeats: int) -> dict[str, float]:
    for fn in calls.values():  # warm-up: JIT compiles, pool creation and cost measurement
        fn(*args)
        fn(*args)
    timings, errors = time_interleaved({k: (lambda f=f: f(*args)) for k, f in calls.items()},
                                       repeats, 0.05)
    for name, error in errors.items():
        print(f"  {name}: {error}", file=sys.stderr)
    return {name: t.best for name, t in timings.items()}


def _case(workload, n):
    return workload.make_case(n).inputs


def single_thread_heavy(repeats: int) -> list[str]:
    """Target 1: heavy, N=1e6, one thread, against numba njit and NumPy."""
    args = _case(heavy, 1_000_000)
    best = _time({"symc": _with_threads(_symc(heavy), 1), "numba njit": heavy.build_numba(False),
                  "numpy": lambda x, y: heavy.expression(np, x, y)}, args, repeats)
    s, nb, npy = best["symc"], best["numba njit"], best["numpy"]
    return [f"| heavy 1e6, 1 thread | symc {s * 1e3:.2f} ms | numba njit {nb * 1e3:.1f} ms"
            f" ({s / nb:.3f}x) | numpy {npy * 1e3:.1f} ms ({s / npy:.3f}x)"
            " | <= 0.5x numba, < 1x numpy |"]


def two_thread_heavy(repeats: int) -> list[str]:
    """Target 2: heavy, N=1e7, two threads, against jax.jit and numexpr on two threads."""
    x, y = _case(heavy, 10_000_000)
    jitted, put = _jax()
    calls = {"symc": _with_threads(_symc(heavy), 2), "numexpr": _numexpr(2)}
    best = _time(calls, (x, y), repeats)
    best.update(_time({"jax": jitted}, (put(x), put(y)), repeats))
    s = best["symc"]
    return [f"| heavy 1e7, 2 threads | symc {s * 1e3:.1f} ms | jax.jit {best['jax'] * 1e3:.1f} ms"
            f" ({s / best['jax']:.3f}x) | numexpr {best['numexpr'] * 1e3:.1f} ms"
            f" ({s / best['numexpr']:.3f}x) | < 1x both |"]


def thread_sweep(repeats: int) -> list[str]:
    """Target 3: 1 vs 2 threads of symc on heavy and pi, N = 1e2 .. 1e7."""
    rows = []
    for workload in (heavy, pi):
        fn = _symc(workload)
        for n in SWEEP:
            best = _time({"1": _with_threads(fn, 1), "2": _with_threads(fn, 2)},
                         _case(workload, n), repeats)
            rows.append(f"| {workload.NAME} | {n:,} | {best['1'] * 1e6:,.1f} | "
                        f"{best['2'] * 1e6:,.1f} | {best['1'] / best['2']:.2f}x |")
    return rows


def pi_parallel(repeats: int) -> list[str]:
    """Target 4: pi, N=1e7, symc on two threads against numba parallel=True."""
    best = _time({"symc": _with_threads(_symc(pi), 2), "numba parallel": pi.build_numba(True)},
                 _case(pi, 10_000_000), repeats)
    s, nb = best["symc"], best["numba parallel"]
    return [f"| pi 1e7, 2 threads | symc {s * 1e3:.2f} ms | numba parallel {nb * 1e3:.2f} ms"
            f" ({s / nb:.3f}x) | | <= 1.1x |"]


def calibrate() -> None:
    """Measured single-thread ns/element of one-op kernels beside kernel_cost's estimate."""
    from symc.backends.llvm.kernel_cost import ns_per_element
    from symc.backends.llvm.lowering import plan_node

    x, y = symc.vector("x"), symc.vector("y")
    exprs = {"x*1.5": x * 1.5, "x+y": x + y, "x/y": x / y, "sqrt": symc.sqrt(x),
             "x**y": x**y, "heavy": heavy.expression(symc, x, y), "sum": (x + y).sum()}
    for name in ("exp", "log", "log1p", "sin", "cos", "tan", "tanh", "arctan", "erf",
                 "sigmoid"):
        exprs[name] = getattr(symc, name)(x)
    rng = np.random.default_rng(0)
    n = 200_000
    a, b = rng.uniform(0.1, 3, n), rng.uniform(0.1, 3, n)
    print("| kernel | measured ns/el | estimated ns/el |\n| --- | --- | --- |")
    for name, expr in exprs.items():
        fn = symc.function([x, y], expr, on_unused_input="ignore")
        plan = plan_node(fn.fgraph.outputs[0].owner, ())
        best = _time({"f": _with_threads(fn, 1)}, (a, b), 5)["f"]
        print(f"| {name} | {best / n * 1e9:.3f} | "
              f"{ns_per_element(plan.body, plan.operands):.3f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("profiles") / "issue5.md")
    args = parser.parse_args(argv)
    if args.calibrate:
        calibrate()
        return 0
    load_before = os.getloadavg()
    start = time.perf_counter()
    lines = ["| target | symc | peer 1 | peer 2 | goal |", "| --- | --- | --- | --- | --- |"]
    for part in (single_thread_heavy, two_thread_heavy, pi_parallel):
        lines += part(args.repeats)
    sweep = ["| workload | N | 1 thread (us) | 2 threads (us) | speed-up |",
             "| --- | --- | --- | --- | --- |"] + thread_sweep(args.repeats)
    load_after = os.getloadavg()
    text = "\n".join([
        "# issue 5: parallel runtime and SIMD maths, acceptance numbers", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} in {time.perf_counter() - start:.0f} s on"
        f" {os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, after"
        f" {load_after[0]:.2f} (a shared machine: another program on the second core takes"
        f" the 2-thread gains away). Best of {args.repeats} interleaved rounds.",
        "", *lines, "", *sweep, ""])
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
