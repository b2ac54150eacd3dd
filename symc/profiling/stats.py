"""``ProfileStats``: what a profiled function records per call and per node."""

from __future__ import annotations

import time
from collections import defaultdict


class ProfileStats:
    """Per-call and per-node timings of one compiled function."""

    def __init__(self, function=None):
        self.name = getattr(function, "name", None)
        self.calls = 0
        self.call_time = 0.0
        self.program_time = 0.0
        self.node_time: dict = defaultdict(float)
        self.node_calls: dict = defaultdict(int)
        self.node_tag: dict = {}
        self.compile_time: dict = {}

    def wrap(self, node, thunk, tag: str):
        """``thunk`` timed into this profile."""
        self.node_tag[node] = tag
        times, counts, clock = self.node_time, self.node_calls, time.perf_counter

        def timed(*args):
            start = clock()
            try:
                return thunk(*args)
            finally:
                times[node] += clock() - start
                counts[node] += 1

        return timed

    def call(self, fn, args, function):
        """Run the program ``fn`` on ``args`` and record the time."""
        start = time.perf_counter()
        try:
            return fn(*args)
        except Exception as exc:
            raise function._explain(exc) from exc
        finally:
            elapsed = time.perf_counter() - start
            self.calls += 1
            self.program_time += elapsed
            self.call_time += elapsed

    def record_compile(self, phases: dict) -> None:
        """Keep the compile-time phases of the function."""
        self.compile_time = dict(phases)
