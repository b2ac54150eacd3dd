"""Which passes run in which mode, in order. Each pass is ``pass_fn(fgraph) -> None``."""

from __future__ import annotations

import time

#: Set by the test suite: run ``FunctionGraph.check()`` after every pass.
CHECK_AFTER_EACH_PASS = False

PASSES: dict[str | None, list] = {
    "fast_run": [],
    "fast_compile": [],
    None: [],
}


def optimize(fgraph, optimizer: str | None) -> dict[str, float]:
    """Run the passes of ``optimizer`` on ``fgraph`` in place; return seconds per pass."""
    timings: dict[str, float] = {}
    for pass_fn in PASSES[optimizer]:
        start = time.perf_counter()
        pass_fn(fgraph)
        timings[pass_fn.__name__] = timings.get(pass_fn.__name__, 0.0) + time.perf_counter() - start
        if CHECK_AFTER_EACH_PASS:
            fgraph.check()
    return timings
