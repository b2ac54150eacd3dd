"""Workload ``threads``: thread scaling of pi and heavy, 1..``symc.config.num_threads``.

Scenario 1 varied TensorFlow's intra-op threads (13.1 s → 6.5 s → 3.3 s for 1/2/4) and saw
Theano get *slower* with more threads; this table is the same measurement for the peers
that take a thread count: symc (``config.change(num_threads=k)``), numexpr
(``set_num_threads``) and Numba's parallel loop (``numba.set_num_threads``).
"""

from __future__ import annotations

import contextlib
import os
import statistics

from benchmarks import heavy, pi
from benchmarks.comparison import build_peers, status_text, warm_up
from benchmarks.peers import PeerMissing, import_library, select_peers
from benchmarks.settings import Settings
from benchmarks.table import Table, format_seconds, format_size
from benchmarks.timer import Timing, choose_loops, time_loops

NAME = "threads"
TITLE = "threads: thread scaling of pi and heavy"
QUICK_SIZES = [10_000, 1_000_000, 4_000_000]
#: Issue 5: never slower with more threads at any N from 1e2 to 1e7; 1.7x at 4e6 (heavy).
FULL_SIZES = [100, 1_000, 10_000, 100_000, 1_000_000, 4_000_000, 10_000_000]
SCALING_PEERS = {"numexpr", "numba parallel", "symc"}
WORKLOADS = (pi, heavy)


def max_threads() -> int:
    """symc's thread count (the default is the CPU count), or the CPU count without symc."""
    try:
        return int(import_library("symc").config.num_threads)
    except PeerMissing:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


@contextlib.contextmanager
def thread_count(k: int):
    """Every scaling library set to ``k`` threads for the block, then restored."""
    with contextlib.ExitStack() as stack:
        for library, setter in _SETTERS.items():
            try:
                module = import_library(library)
            except PeerMissing:
                continue
            stack.enter_context(setter(module, k))
        yield


@contextlib.contextmanager
def _numexpr_threads(ne, k):
    old = ne.set_num_threads(k)
    try:
        yield
    finally:
        ne.set_num_threads(old)


@contextlib.contextmanager
def _numba_threads(numba, k):
    # numba cannot exceed the pool size fixed at import (NUMBA_NUM_THREADS).
    old = numba.get_num_threads()
    numba.set_num_threads(min(k, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _symc_threads(symc, k):
    return symc.config.change(num_threads=k)


_SETTERS = {"numexpr": _numexpr_threads, "numba": _numba_threads, "symc": _symc_threads}


def scale(workload, sizes: list[int], counts: list[int], settings: Settings) -> list[dict]:
    """Records of every scaling peer of ``workload`` at every size and thread count.

    Each peer's thread counts are timed against each other, round by round (1, 2, ..., 1,
    2, ...; the count is set outside the timed loop), one peer after the other: a peer's
    worker threads still spinning after its own calls (OpenMP's do) then never slow down
    another peer's measurement, which interleaving the peers would.
    """
    chosen = select_peers([p for p in workload.peers() if p.name in SCALING_PEERS], settings.peers)
    built, records = build_peers(chosen, settings)
    for r in records:
        r["expression"] = workload.NAME
    first: set = set()
    for n in sizes:
        case = workload.make_case(n)
        ready, found = {}, []
        for k in counts:
            settings.log(f"  {workload.NAME} N={n:,}: {k} thread(s)")
            with thread_count(k):
                ready[k], records_k = warm_up(built, case, workload.CHECK, first)
            for r in records_k:
                r.update(expression=workload.NAME, threads=k)
            found += records_k
        for name in built:
            calls = {k: ready[k][name] for k in counts if name in ready[k]}
            timings, errors = _time_counts(calls, settings)
            for r in (r for r in found if r["peer"] == name):
                if r["threads"] in errors:
                    r.update(status="failed", reason=errors[r["threads"]])
                if r["threads"] in timings:
                    r.update(timings[r["threads"]].to_json())
        records += found
    _add_speedups(records)
    return records


def _time_counts(calls: dict, settings: Settings) -> tuple[dict, dict]:
    """Best and median seconds per call of ``calls[k]`` run on ``k`` threads, the counts
    interleaved round by round; and the counts whose calls raised."""
    loops, errors, samples = {}, {}, {k: [] for k in calls}
    for k, fn in calls.items():
        with thread_count(k):
            try:
                loops[k] = choose_loops(fn, settings.min_time)
            except Exception as exc:
                errors[k] = f"while timing: {type(exc).__name__}: {exc}"[:300]
    for _ in range(settings.repeats):
        for k in [k for k in loops if k not in errors]:
            with thread_count(k):
                try:
                    samples[k].append(time_loops(calls[k], loops[k]) / loops[k])
                except Exception as exc:
                    errors[k] = f"while timing: {type(exc).__name__}: {exc}"[:300]
    timings = {k: Timing(min(s), statistics.median(s), loops[k], settings.repeats)
               for k, s in samples.items() if s and k not in errors}
    return timings, errors


def _add_speedups(records: list[dict]) -> None:
    """``speedup`` = the 1-thread best over this best, per expression, size and peer."""
    one = {
        (r["expression"], r["size"], r["peer"]): r["best"]
        for r in records
        if r.get("threads") == 1 and "best" in r
    }
    for r in records:
        base = one.get((r["expression"], r["size"], r["peer"]))
        if base and "best" in r:
            r["speedup"] = base / r["best"]


def run(settings: Settings) -> dict:
    """Scale pi and heavy over 1..max_threads() threads."""
    sizes = settings.pick_sizes(QUICK_SIZES, FULL_SIZES)
    counts = list(range(1, max_threads() + 1))
    records = []
    for workload in WORKLOADS:
        records += scale(workload, sizes, counts, settings)
    notes = [
        f"threads: 1..{counts[-1]} (symc.config.num_threads, else the CPU count); cells are"
        " the best seconds per call and the speed-up over 1 thread.",
        "each peer's answer is checked against NumPy again at every thread count; a peer's"
        " thread counts are timed round by round against each other, one peer at a time.",
    ]
    return {
        "name": NAME,
        "title": TITLE,
        "sizes": sizes,
        "threads": counts,
        "records": records,
        "notes": notes,
    }


def tables(result: dict) -> list[Table]:
    """One row per expression, size and peer; one column per thread count."""
    counts = result["threads"]
    cells: dict[tuple, dict[int, str]] = {}
    for r in result["records"]:
        key = (r["expression"], r["size"], r["peer"])
        if "best" in r:
            text = f"{format_seconds(r['best'])} ({r.get('speedup', float('nan')):.2f}×)"
        else:
            text = status_text(r)
        cells.setdefault(key, {})[r.get("threads", 0)] = text
    rows = []
    for (expression, size, peer), by_k in cells.items():
        if 0 in by_k:  # not built: one message for every thread count
            rows.append([expression, format_size(size), peer, by_k[0]] + [""] * (len(counts) - 1))
            continue
        rows.append([expression, format_size(size), peer] + [by_k.get(k, "—") for k in counts])
    columns = ["expression", "N", "peer"] + [f"{k} thread{'s' * (k > 1)}" for k in counts]
    return [Table(result["title"], columns, rows, list(result.get("notes", [])))]
