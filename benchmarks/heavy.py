"""Workload ``heavy``: a transcendental-heavy elementwise expression.

``exp(-x**2/2) * sin(y) + log1p(abs(x*y))``: three libm-class functions per element, where
fused loops that call libm lose to NumPy's SIMD maths (DESIGN.md, measured facts).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from benchmarks.array_peers import SYMC_NODES_NOTE, array_peers, symc_peer
from benchmarks.comparison import Case, close_to, comparison_table, run_workload
from benchmarks.peers import Peer, import_library
from benchmarks.settings import Settings

NAME = "heavy"
TITLE = "heavy: exp(-x**2/2)*sin(y)+log1p(abs(x*y)), float64"
QUICK_SIZES = [1_000, 100_000, 1_000_000]
FULL_SIZES = [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
#: Different exp/sin/log1p implementations (libm, SVML, XLA, symc's own) differ by ulps.
CHECK = close_to(rtol=1e-9, atol=1e-12)
TYPES = [(1, "float64"), (1, "float64")]
NUMEXPR_FORMULA = "exp(-x**2/2)*sin(y)+log1p(abs(x*y))"
#: Stores a config setting without validating it (see :func:`one_thread`).
set_setting = object.__setattr__


def expression(m, x, y):
    """The expression in array namespace ``m`` (numpy, jax.numpy, pytensor.tensor, symc)."""
    return m.exp(-(x**2) / 2) * m.sin(y) + m.log1p(abs(x * y))


def build_numexpr():
    """``numexpr.evaluate`` of the same formula, threads as set by ``set_num_threads``."""
    ne = import_library("numexpr")
    return lambda x, y: ne.evaluate(NUMEXPR_FORMULA, local_dict={"x": x, "y": y})


def build_numba(parallel: bool):
    """The loop a Numba user writes: libm calls, no fastmath."""
    numba = import_library("numba")

    @numba.njit(parallel=parallel, fastmath=False)
    def heavy(x, y):
        out = np.empty_like(x)
        for i in numba.prange(x.shape[0]):
            out[i] = math.exp(-(x[i] ** 2) / 2) * math.sin(y[i]) + math.log1p(abs(x[i] * y[i]))
        return out

    return heavy


def one_thread(peer: Peer) -> Peer:
    """``peer`` (a symc peer) run with ``symc.config.num_threads = 1`` around each call.

    Issue 5's single-thread targets compare against single-threaded peers (numba njit,
    NumPy). The setting is stored without ``Config``'s validation (a known-good value):
    validating twice per call costs ~0.8 us, which would distort the small sizes.
    """

    def build():
        config = import_library("symc").config
        fn = peer.build()

        def call(*args):
            threads = config.num_threads
            set_setting(config, "num_threads", 1)
            try:
                return fn(*args)
            finally:
                set_setting(config, "num_threads", threads)

        call.program = getattr(fn, "program", None)  # for the node count in the report
        return call

    return Peer(f"{peer.name} 1 thread", peer.library, build, describe=peer.describe)


def vector_peers(expr, types, numexpr_builder, numba_builder) -> list[Peer]:
    """The lineup of the elementwise workloads (heavy, pi), in table order: NumPy, numexpr,
    numba (``numba_builder(parallel)``) serial and parallel, PyTensor, JAX, symc on one
    thread and on all."""
    numpy, pytensor, jax, symc = array_peers(expr, types)
    return [
        numpy,
        Peer("numexpr", "numexpr", numexpr_builder),
        Peer("numba njit", "numba", lambda: numba_builder(False)),
        Peer("numba parallel", "numba", lambda: numba_builder(True)),
        pytensor,
        jax,
        one_thread(symc_peer(expr, types)),
        symc,
    ]


def peers() -> list[Peer]:
    """Every peer of this workload, in table order."""
    return vector_peers(expression, TYPES, build_numexpr, build_numba)


def make_case(n: int, seed: int = 1) -> Case:
    """x in [-3, 3] (exp's tail matters), y in [-pi, pi] (a full sine period)."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-3, 3, n), rng.uniform(-np.pi, np.pi, n)
    return Case(n, (x, y), expression(np, x, y))


def run(settings: Settings, peer_list: list[Peer] | None = None) -> dict:
    """Time every peer at every size."""
    notes = [
        SYMC_NODES_NOTE,
        "check: np.allclose against NumPy with rtol=1e-9, atol=1e-12 (maths libraries"
        " differ by a few ulps).",
        "inputs: x uniform in [-3, 3], y uniform in [-pi, pi].",
        "numexpr, numba parallel and symc use their default thread counts (all cores);"
        " numba loops call libm (`fastmath=False`); `symc 1 thread` sets"
        " `symc.config.num_threads = 1` around each call.",
        "jax: inputs `device_put` once per size, outside the timing; `block_until_ready`.",
    ]
    return run_workload(sys.modules[__name__], settings, peer_list, notes)


def tables(result: dict) -> list:
    """The markdown tables of a result."""
    return [comparison_table(result)]
