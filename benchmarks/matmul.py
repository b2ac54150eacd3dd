"""Workload ``matmul``: ``dot`` of two square float32 matrices (scenario 1's 5000×5000)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from benchmarks.array_peers import SYMC_NODES_NOTE, numpy_peer, symc_peer
from benchmarks.comparison import Case, close_to, compare, comparison_table
from benchmarks.peers import Peer, select_peers
from benchmarks.settings import Settings

NAME = "matmul"
TITLE = "matmul: dot(A, B), square float32 matrices"
QUICK_SIZES = [1_000]
FULL_SIZES = [1_000, 5_000]
#: BLAS kernels block the sum differently; float32 over 5000 terms needs a loose rtol.
CHECK = close_to(rtol=1e-4, atol=1e-3)
TYPES = [(2, "float32"), (2, "float32")]


def expression(m, a, b):
    """``dot(a, b)`` in any namespace."""
    return m.dot(a, b)


def peers() -> list[Peer]:
    """NumPy (its BLAS) and symc."""
    return [numpy_peer(expression), symc_peer(expression, TYPES)]


def make_case(n: int, seed: int = 2) -> Case:
    """Two n×n float32 matrices with entries in [-1, 1]."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    return Case(n, (a, b), a @ b, elements=n * n)


def run(settings: Settings, peer_list: list[Peer] | None = None) -> dict:
    """Time each peer at each matrix order."""
    chosen = select_peers(peer_list or peers(), settings.peers)
    sizes = settings.pick_sizes(QUICK_SIZES, FULL_SIZES)
    # Big products take seconds each: fewer repeats keep the full run bounded.
    repeats = settings.repeats if max(sizes) < 3000 else min(settings.repeats, 3)
    settings_here = _with_repeats(settings, repeats)
    records = compare(chosen, (make_case(n) for n in sizes), CHECK, settings_here)
    for record in records:
        if record.get("size") and "best" in record:
            record["gflops"] = 2 * record["size"] ** 3 / record["best"] / 1e9
    notes = [
        SYMC_NODES_NOTE,
        "check: np.allclose against NumPy with rtol=1e-4, atol=1e-3 (float32 sums).",
        "per element: seconds per output element (n² of them); GFLOP/s = 2n³ / best.",
        f"repeats: {repeats}.",
    ]
    return {"name": NAME, "title": TITLE, "sizes": sizes, "records": records, "notes": notes}


def _with_repeats(settings: Settings, repeats: int) -> Settings:
    """A copy of ``settings`` with another repeat count."""
    return replace(settings, repeats=repeats)


def tables(result: dict) -> list:
    """The comparison table, with a GFLOP/s column."""
    table = comparison_table(result, size_label="n")
    table.columns.insert(4, "GFLOP/s")
    for row, record in zip(table.rows, result["records"], strict=True):
        row.insert(4, f"{record['gflops']:.1f}" if "gflops" in record else "—")
    return [table]
