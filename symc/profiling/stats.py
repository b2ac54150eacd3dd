"""``ProfileStats``: what a profiled function records, per call and per node.

    f = symc.function([x, y], pi_est, profile=True)
    for _ in range(1000):
        f(xs, ys)
    f.profile.summary()                 # Theano's report: Class, Ops, Apply, Memory
    f.profile.to_dict()                 # the same data as plain, JSON-serializable objects
    f.profile.to_chrome_trace("t.json") # the last calls, one span per node, for Perfetto

What is timed, and by whom:

- ``Function.__call__`` as a whole (input checks, program, updates): :meth:`ProfileStats.call`.
- The program and each node in it: clock stamps in the generated program (see
  :mod:`symc.profiling.record`), one per node, folded into totals every few hundred calls.
- Compilation: the phases :class:`~symc.compile.function.Function` measures (rewrite passes,
  link), plus what backends add through the hooks below.

Hooks for backends (all cheap, none needed on the per-node hot path):

- :func:`current_profile` returns the profile of the function being linked in this thread
  (inside :meth:`ProfileStats.compiling`), else None. A backend reads it while it makes its
  thunks and keeps it for run time.
- :meth:`ProfileStats.add_compile_phase` ``(name, seconds)``: e.g. ``"llvm optimize"``; shown
  under the linker time, summed when a phase is reported more than once.
- :meth:`ProfileStats.note_cache` ``(kind)``: ``"memory"``, ``"disk"`` or ``"miss"`` for each
  kernel the compile cache served or compiled.
- :meth:`ProfileStats.record_chunks` ``(node, n_threads, n_chunks, spans=None)``: from a thunk
  that split its loop; ``spans`` is ``[(thread_index, start_ns, end_ns), ...]`` in
  ``time.perf_counter_ns()`` units, for the trace. Meant for split loops only (a split costs
  microseconds; this costs one dict lookup).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from collections import deque
from time import perf_counter_ns

from symc.profiling.record import FOLD_EVERY, ProgramRecord, fold_interval

CACHE_KINDS = ("memory", "disk", "miss")

_local = threading.local()
#: Every profile attached to a compiled function, in creation order: what
#: :func:`symc.profiling.summary` and the at-exit report print.
_registry: list[ProfileStats] = []
_atexit_registered = False


def current_profile() -> ProfileStats | None:
    """The profile of the function being linked in this thread, for backends; else None."""
    return getattr(_local, "profile", None)


class _Compiling:
    """Context manager making a profile :func:`current_profile` for one link."""

    def __init__(self, profile: ProfileStats):
        self.profile = profile

    def __enter__(self):
        self.previous = current_profile()
        _local.profile = self.profile
        return self.profile

    def __exit__(self, *exc_info):
        _local.profile = self.previous
        return False


class ProfileStats:
    """Timings, compile phases and memory of one profiled function (or of several, merged).

    ``ProfileStats(function)`` is what ``function(..., profile=True)`` attaches as
    ``f.profile``. A ``ProfileStats()`` made by hand may be passed as ``profile=`` to several
    functions to collect them in one report, as in Theano.
    """

    def __init__(self, function=None, *, name: str | None = None, trace_calls: int = 100):
        self.name = name if name is not None else getattr(function, "name", None)
        self.site = getattr(function, "site", None)
        #: Calls that completed or raised, and nanoseconds in ``Function.__call__``.
        self.calls = 0
        self.call_ns = 0
        self.records: list[ProgramRecord] = []
        self.compile_time: dict = {"rewrite": {}, "link": 0.0, "total": 0.0}
        self.compile_phases: dict[str, float] = {}
        self.cache = dict.fromkeys(CACHE_KINDS, 0)
        self.trace_calls = trace_calls
        self.recent_calls: deque = deque(maxlen=trace_calls)
        #: Calls between folds of the programs' stamps (and memory probes), and the next one.
        self.fold_every = FOLD_EVERY
        self._fold_at = FOLD_EVERY
        self._node_index: dict[int, tuple[ProgramRecord, int]] = {}

    # -- compile time ----------------------------------------------------------------------
    def compiling(self) -> _Compiling:
        """``with profile.compiling():`` makes this profile :func:`current_profile`."""
        return _Compiling(self)

    def instrument(self, order, tags, outputs=()) -> ProgramRecord:
        """A record for one program about to be linked; the linker emits its lines."""
        record = ProgramRecord(order, tags, outputs, self.trace_calls)
        self.records.append(record)
        self.fold_every = min(self.fold_every, fold_interval(record.width))
        self._fold_at = min(self._fold_at, self.calls + self.fold_every)
        self._node_index.update({key: (record, k) for key, k in record.node_key.items()})
        _register(self)
        return record

    def record_compile(self, phases: dict) -> None:
        """Add a function's compile phases: ``{"rewrite": {pass: s}, "link": s, "total": s}``."""
        rewrite = self.compile_time["rewrite"]
        for name, seconds in phases.get("rewrite", {}).items():
            rewrite[name] = rewrite.get(name, 0.0) + seconds
        for key in ("link", "total"):
            self.compile_time[key] += phases.get(key, 0.0)

    def add_compile_phase(self, name: str, seconds: float) -> None:
        """Backend hook: ``seconds`` spent in compile phase ``name`` (summed over calls)."""
        self.compile_phases[name] = self.compile_phases.get(name, 0.0) + float(seconds)

    def note_cache(self, kind: str) -> None:
        """Backend hook: a kernel came from the ``"memory"``/``"disk"`` cache, or ``"miss"``."""
        if kind not in self.cache:
            raise ValueError(f"note_cache: kind must be one of {CACHE_KINDS}, got {kind!r}")
        self.cache[kind] += 1

    # -- run time ----------------------------------------------------------------------------
    def call(self, run, function, args):
        """Time ``run(function, *args)``: one whole ``Function.__call__``."""
        start = perf_counter_ns()
        try:
            return run(function, *args)
        finally:
            end = perf_counter_ns()
            self.calls += 1
            self.call_ns += end - start
            self.recent_calls.append((start, end))
            if self.calls >= self._fold_at:
                self.fold()

    def fold(self) -> None:
        """Fold every program's buffered stamps into its totals (readers call this first)."""
        self._fold_at = self.calls + self.fold_every
        for record in self.records:
            record.fold()

    def record_chunks(self, node, n_threads: int, n_chunks: int, spans=None) -> None:
        """Backend hook: ``node`` ran as ``n_chunks`` chunks on ``n_threads`` threads."""
        found = self._node_index.get(id(node))
        if found is not None:
            record, k = found
            record.record_chunks(k, int(n_threads), int(n_chunks), spans)

    # -- totals --------------------------------------------------------------------------------
    @property
    def call_time(self) -> float:
        """Seconds in ``Function.__call__``."""
        return self.call_ns * 1e-9

    @property
    def program_time(self) -> float:
        """Seconds inside the compiled programs."""
        self.fold()
        return sum(r.program_ns for r in self.records) * 1e-9

    @property
    def node_time(self) -> float:
        """Seconds inside nodes (the sum of every node's time)."""
        self.fold()
        return sum(int(r.node_ns.sum()) for r in self.records) * 1e-9

    @property
    def message(self) -> str:
        """Theano's ``Message:``: the function's name, else the ``file:line`` that compiled it."""
        if self.name:
            return self.name
        if self.site:
            return f"{_short_path(self.site[0])}:{self.site[1]}"
        return "<unnamed function>"

    def __add__(self, other: ProfileStats) -> ProfileStats:
        """Both profiles in one: calls, times, compile phases and nodes of each."""
        if not isinstance(other, ProfileStats):
            return NotImplemented
        merged = ProfileStats(name=f"Sum of {len(self.records) + len(other.records)} functions",
                              trace_calls=max(self.trace_calls, other.trace_calls))
        merged.fold_every = min(self.fold_every, other.fold_every)
        for part in (self, other):
            part.fold()
            merged.calls += part.calls
            merged.call_ns += part.call_ns
            merged.records += [r.snapshot() for r in part.records]
            merged.record_compile(part.compile_time)
            for name, seconds in part.compile_phases.items():
                merged.add_compile_phase(name, seconds)
            for kind, count in part.cache.items():
                merged.cache[kind] += count
            merged.recent_calls.extend(part.recent_calls)
        return merged

    def __radd__(self, other):
        """``sum(profiles)`` starts from ``0``."""
        return self if other == 0 else NotImplemented

    # -- output --------------------------------------------------------------------------------
    def summary(self, file=None, n_ops: int = 20, n_apply: int = 20) -> None:
        """Print Theano's report (global, Class, Ops, Apply, Memory) to ``file`` (stdout)."""
        from symc.profiling.report import format_summary

        print(format_summary(self, n_ops=n_ops, n_apply=n_apply), file=file or sys.stdout)

    def to_dict(self) -> dict:
        """Everything the report shows, as JSON-serializable Python objects (seconds, bytes)."""
        from symc.profiling.report import profile_dict

        return profile_dict(self)

    def to_chrome_trace(self, path) -> dict:
        """Write the last calls as a Chrome/Perfetto trace to ``path``; return the trace."""
        from symc.profiling.trace import chrome_trace

        trace = chrome_trace(self)
        with open(path, "w", encoding="utf-8") as out:
            json.dump(trace, out)
        return trace


def _short_path(filename: str) -> str:
    """``filename`` relative to the working directory when it lies inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


def _register(profile: ProfileStats) -> None:
    """Remember ``profile`` for :func:`summary` and the at-exit report."""
    global _atexit_registered
    if not any(p is profile for p in _registry):
        _registry.append(profile)
    if not _atexit_registered:
        atexit.register(_print_at_exit)
        _atexit_registered = True


def profiles() -> list[ProfileStats]:
    """Every profile attached to a compiled function so far, oldest first."""
    return list(_registry)


def summary(file=None, n_ops: int = 20, n_apply: int = 20) -> None:
    """Print every profile's report, then one merged report when there are several."""
    file = file or sys.stdout
    found = profiles()
    for profile in found:
        profile.summary(file=file, n_ops=n_ops, n_apply=n_apply)
    if len(found) > 1:
        merged = sum(found)
        merged.name = f"Sum of all ({len(found)}) printed profiles"
        merged.summary(file=file, n_ops=n_ops, n_apply=n_apply)


def _print_at_exit() -> None:
    """With ``config.profile`` on, print every report at exit (to stderr, like Theano)."""
    from symc.config import config

    if config.profile and _registry:
        summary(file=sys.stderr)
