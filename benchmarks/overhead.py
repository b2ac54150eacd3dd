"""Workload ``overhead``: the cost of one call, ``x + 1`` on a 10-element float64 vector.

At this size the arithmetic is free; what is measured is argument checking, pointer
extraction, output allocation and dispatch (DESIGN.md: NumPy's ``a + 1`` is ~0.7 µs).
"""

from __future__ import annotations

import numpy as np

from benchmarks.array_peers import SYMC_NODES_NOTE, jax_peer, numpy_peer, pytensor_peer, symc_peer
from benchmarks.comparison import Case, close_to, compare, comparison_table
from benchmarks.peers import Peer, import_library, select_peers
from benchmarks.settings import Settings

NAME = "overhead"
TITLE = "overhead: one call of x + 1 on a 10-element float64 vector"
SIZES = [10]
CHECK = close_to(rtol=0.0)
TYPES = [(1, "float64")]


def expression(m, x):
    """``x + 1`` in any namespace."""
    return x + 1


def build_numba():
    """``njit`` of ``a + 1``: Numba's dispatcher plus an allocation."""
    numba = import_library("numba")
    return numba.njit(lambda a: a + 1)


def peers() -> list[Peer]:
    """NumPy, symc (checked and trusted inputs), PyTensor (both), Numba and JAX."""
    return [
        numpy_peer(expression),
        symc_peer(expression, TYPES, name="symc"),
        symc_peer(expression, TYPES, name="symc trust_input", trust_input=True),
        pytensor_peer(expression, TYPES, name="pytensor"),
        pytensor_peer(expression, TYPES, name="pytensor trust_input", trust_input=True),
        Peer("numba njit", "numba", build_numba),
        jax_peer(expression),
    ]


def make_case(n: int) -> Case:
    """``n`` evenly spaced floats and NumPy's ``a + 1``."""
    x = np.linspace(-1.0, 1.0, n)
    return Case(n, (x,), x + 1)


def run(settings: Settings, peer_list: list[Peer] | None = None) -> dict:
    """Time one call of each peer (the ``--sizes`` override changes the vector length)."""
    chosen = select_peers(peer_list or peers(), settings.peers)
    sizes = settings.sizes or SIZES
    records = compare(chosen, (make_case(n) for n in sizes), CHECK, settings)
    notes = [
        SYMC_NODES_NOTE,
        "check: exact (rtol=0) against NumPy.",
        "trust_input=True skips the input checks (symc and PyTensor both offer it).",
        "jax: the input is `device_put` once, outside the timing; `block_until_ready`.",
    ]
    return {"name": NAME, "title": TITLE, "sizes": sizes, "records": records, "notes": notes}


def tables(result: dict) -> list:
    """The markdown tables of a result."""
    return [comparison_table(result)]
