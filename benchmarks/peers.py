"""The peers symc is measured against: how to import each, and what a peer entry is.

A *library* is what gets imported (``numpy``, ``numexpr``, ``numba``, ``pytensor``, ``jax``,
``symc``); a *peer* is one way of running a workload with it (``numba njit`` and
``numba parallel`` are two peers of one library). A library that cannot be imported makes
all its peers "missing" with the import error; a peer whose build or call raises is
"failed"; neither is ever counted as a pass.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field

#: Libraries in the order their peers appear in tables.
LIBRARIES = ("numpy", "numexpr", "numba", "pytensor", "jax", "symc")


class PeerMissing(Exception):
    """A peer's library cannot be used here; the message says why."""


@dataclass
class Peer:
    """One way of running a workload.

    ``build()`` returns the function to time, ``fn(*inputs)``; it runs once per workload,
    before any timing, and may raise. ``prepare(inputs)`` converts the inputs once per size,
    outside the timing (JAX puts them on its device, as a JAX user keeps arrays there).
    ``describe(fn)`` says what the build produced, for the report (e.g. which backend runs
    each of symc's nodes); it is best effort and may return "".
    """

    name: str
    library: str
    build: Callable[[], Callable]
    prepare: Callable[[tuple], tuple] = field(default=lambda inputs: inputs)
    describe: Callable[[Callable], str] = field(default=lambda fn: "")


def import_library(name: str):
    """Import a peer library, set it up for benchmarking, or raise :class:`PeerMissing`.

    Not cached: ``importlib`` already caches modules, and tests make an import fail by
    putting ``None`` in ``sys.modules``.
    """
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # ImportError, but a broken install can raise anything
        raise PeerMissing(f"import {name} failed: {type(exc).__name__}: {exc}") from exc
    _SETUP.get(name, lambda m: None)(module)
    return module


def _setup_jax(jax) -> None:
    # Every workload is float64; without x64 JAX silently computes in float32.
    jax.config.update("jax_enable_x64", True)


def _setup_symc(symc) -> None:
    # The core is being written while this harness is: a symc without ``function`` is a
    # missing peer, never a pass.
    for attr in ("function", "vector"):
        if not hasattr(symc, attr):
            raise PeerMissing(f"symc.{attr} does not exist yet")


_SETUP = {"jax": _setup_jax, "symc": _setup_symc}


def library_version(name: str) -> str:
    """The installed version of a library (from its metadata: nothing gets imported)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def usability(name: str) -> str:
    """``"usable"``, or why the library's peers will be reported missing (imports it)."""
    try:
        import_library(name)
    except PeerMissing as exc:
        return f"missing ({exc})"
    return "usable"


def select_peers(peers: list[Peer], wanted: set[str] | None) -> list[Peer]:
    """The peers whose name or library is in ``wanted`` (all of them when it is None)."""
    if not wanted:
        return peers
    return [p for p in peers if p.library in wanted or p.name in wanted]
