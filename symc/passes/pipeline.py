"""Which passes run in which mode, in order. Each pass is ``pass_fn(fgraph)``; fusion also
takes the backend's operand limit.

``fast_run``: merge, canonicalize (with constant folding and shape rewrites), stabilize,
specialize, merge, elementwise fusion, reduction fusion, merge. ``fast_compile``: merge and
constant folding. ``None``: nothing.
"""

from __future__ import annotations

import contextlib
import gc
import time

from symc.graph.fg import FunctionGraph
from symc.graph.rewrite import Equilibrium, RewriteStats
from symc.passes import canonicalize as _canonicalize  # noqa: F401 (registers rules)
from symc.passes import shape as _shape  # noqa: F401 (registers rules)
from symc.passes import specialize as _specialize  # noqa: F401 (registers rules)
from symc.passes import stabilize as _stabilize  # noqa: F401 (registers rules)
from symc.passes.constant_folding import fold_constants as _fold  # noqa: F401 (registers)
from symc.passes.fusion import DEFAULT_MAX_OPERANDS, fuse_elemwise
from symc.passes.merge import merge
from symc.passes.patterns import RULES, op_key
from symc.passes.reduce_fusion import fuse_reductions

#: Set by the test suite: run ``FunctionGraph.check()`` after every pass.
CHECK_AFTER_EACH_PASS = False

#: The most operands (inputs + outputs) one fused node may have, per backend.
MAX_OPERANDS = {"numpy": DEFAULT_MAX_OPERANDS, "llvm": 128}


def _equilibrium(fgraph: FunctionGraph, *phases: str) -> RewriteStats:
    return Equilibrium(RULES.rules(*phases), op_key).run(fgraph)


def constant_folding(fgraph: FunctionGraph) -> RewriteStats:
    """Fold nodes of constants, to a fixed point."""
    return _equilibrium(fgraph, "constant_folding")


def canonicalize(fgraph: FunctionGraph) -> RewriteStats:
    """Canonical forms, constant folding and shape rewrites, to a fixed point."""
    return _equilibrium(fgraph, "canonicalize")


def stabilize(fgraph: FunctionGraph) -> RewriteStats:
    """Numerically stable forms (with the canonical rules, which clean up after them)."""
    return _equilibrium(fgraph, "stabilize", "canonicalize")


def specialize(fgraph: FunctionGraph) -> RewriteStats:
    """Cheaper ops for special constant operands (with the canonical rules)."""
    return _equilibrium(fgraph, "specialize", "canonicalize")


PASSES: dict[str | None, list] = {
    "fast_run": [merge, canonicalize, stabilize, specialize, merge, fuse_elemwise,
                 fuse_reductions, merge],
    "fast_compile": [merge, constant_folding],
    None: [],
}

#: Passes that take the backend's operand limit.
_LIMITED = (fuse_elemwise,)


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cycle collector. Rewriting allocates many small objects, and each full
    collection walks every object alive (the whole graph): on a 10,000-node graph that was
    more than half the optimizer's time. The garbage made meanwhile is collected afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def optimize(fgraph: FunctionGraph, optimizer: str | None,
             max_operands: int = DEFAULT_MAX_OPERANDS) -> dict[str, float]:
    """Run the passes of ``optimizer`` on ``fgraph`` in place; return seconds per pass."""
    with _collector_paused():
        return _run_passes(fgraph, PASSES[optimizer], max_operands)


def _run_passes(fgraph: FunctionGraph, passes: list, max_operands: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    for pass_fn in passes:
        start = time.perf_counter()
        if pass_fn in _LIMITED:
            pass_fn(fgraph, max_operands)
        else:
            pass_fn(fgraph)
        timings[pass_fn.__name__] = timings.get(pass_fn.__name__, 0.0) + time.perf_counter() - start
        if CHECK_AFTER_EACH_PASS:
            fgraph.check()
    return timings
