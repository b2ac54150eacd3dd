"""Workload ``pi``: Monte-Carlo pi, ``4 * (x**2 + y**2 <= 1).sum() / x.shape[0]`` (scenario 1)."""

from __future__ import annotations

import sys

import numpy as np

from benchmarks.array_peers import SYMC_NODES_NOTE
from benchmarks.comparison import Case, close_to, comparison_table, run_workload
from benchmarks.heavy import vector_peers
from benchmarks.peers import Peer, import_library
from benchmarks.settings import Settings

NAME = "pi"
TITLE = "pi: Monte-Carlo pi, 4*(x**2+y**2<=1).sum()/x.shape[0], float64"
QUICK_SIZES = [1_000, 30_000, 1_000_000]
FULL_SIZES = [100, 1_000, 10_000, 30_000, 100_000, 1_000_000, 10_000_000]
#: The answer is 4*count/N, the same double whatever the summation order.
CHECK = close_to(rtol=1e-12)
TYPES = [(1, "float64"), (1, "float64")]


def expression(m, x, y):
    """The user's expression; ``m`` is the array namespace (unused: operators only)."""
    return 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]


def build_numexpr():
    """numexpr's best honest form: its threaded compare, then NumPy's count.

    numexpr's ``sum()`` must be the outermost call and cannot take the boolean directly;
    ``sum(where(x*x+y*y<=1, 1, 0))`` works but is single-threaded and measured 1.4-3.7x slower.
    """
    ne = import_library("numexpr")

    def pi(x, y):
        inside = ne.evaluate("x*x + y*y <= 1", local_dict={"x": x, "y": y})
        return 4 * np.count_nonzero(inside) / x.shape[0]

    return pi


def build_numba(parallel: bool):
    """The hand-written loop users write in Numba; ``prange`` is ``range`` when serial."""
    numba = import_library("numba")

    @numba.njit(parallel=parallel, fastmath=False)
    def pi(x, y):
        hits = 0
        for i in numba.prange(x.shape[0]):
            if x[i] * x[i] + y[i] * y[i] <= 1.0:
                hits += 1
        return 4.0 * hits / x.shape[0]

    return pi


def peers() -> list[Peer]:
    """Every peer of this workload, in table order."""
    return vector_peers(expression, TYPES, build_numexpr, build_numba)


def make_case(n: int, seed: int = 0) -> Case:
    """Uniform samples in [-1, 1] and NumPy's estimate."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    return Case(n, (x, y), expression(np, x, y))


def run(settings: Settings, peer_list: list[Peer] | None = None) -> dict:
    """Time every peer at every size."""
    notes = [
        SYMC_NODES_NOTE,
        "check: np.allclose against NumPy with rtol=1e-12, atol=0 (the hit count is exact).",
        "numexpr: `evaluate('x*x + y*y <= 1')` then `np.count_nonzero` (numexpr's own"
        " `sum(where(...))` is single-threaded and was 1.4-3.7x slower).",
        "numba: `njit` loop with `prange`; parallel uses all of numba's threads; symc uses"
        " `symc.config.num_threads` (all cores), `symc 1 thread` one.",
        "jax: inputs `device_put` once per size, outside the timing; `block_until_ready`.",
    ]
    return run_workload(sys.modules[__name__], settings, peer_list, notes)


def tables(result: dict) -> list:
    """The markdown tables of a result."""
    return [comparison_table(result)]
