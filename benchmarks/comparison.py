"""Peers side by side on one workload: build, warm up, check against NumPy, then time.

The protocol, per workload:

1. every peer is built once (its library imported, its function compiled or jitted);
   a library that does not import makes the peer "missing", an exception "failed";
2. per size, every peer is called once on the prepared inputs (JIT warm-up, reported
   separately, never timed) and its answer compared with NumPy's; a mismatch is a
   "wrong answer" and the peer is not timed at that size;
3. the peers still standing are timed together, round by round (:mod:`benchmarks.timer`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from benchmarks.peers import Peer, PeerMissing, import_library, select_peers
from benchmarks.settings import Settings
from benchmarks.table import Table, format_ratio, format_seconds, format_size
from benchmarks.timer import time_interleaved, time_once

#: ``check(result, expected)`` returns None when the answer is right, else why it is wrong.
Check = Callable[[object, object], "str | None"]


@dataclass
class Case:
    """One size of a workload: its inputs and NumPy's answer on them."""

    size: int
    inputs: tuple
    expected: object
    #: How many output elements one call computes ("per element" times); ``size`` if None.
    elements: int | None = None


def close_to(rtol: float, atol: float = 0.0) -> Check:
    """A check: same shape, exact for integer/bool answers, else ``np.allclose(rtol, atol)``."""

    def check(result, expected) -> str | None:
        got, want = np.asarray(result), np.asarray(expected)
        if got.shape != want.shape:
            return f"shape {got.shape}, expected {want.shape}"
        if want.dtype.kind in "biu":
            if np.array_equal(got, want):
                return None
            return f"integer answer differs in {np.count_nonzero(got != want)} places"
        if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
            return None
        err = np.max(np.abs(got - want) / np.maximum(np.abs(want), np.finfo(float).tiny))
        return f"max relative error {err:.3g} > rtol {rtol:g} (atol {atol:g})"

    return check


def build_peers(peers: list[Peer], settings: Settings) -> tuple[dict, list[dict]]:
    """Build every peer: ``{name: (peer, fn, build_seconds, detail)}`` and the failures."""
    built, failures = {}, []
    for peer in peers:
        record = {"peer": peer.name, "library": peer.library, "size": None}
        try:
            import_library(peer.library)
        except PeerMissing as exc:
            failures.append({**record, "status": "missing", "reason": str(exc)})
            continue
        start = time.perf_counter()
        try:
            fn = peer.build()
        except Exception as exc:
            failures.append({**record, "status": "failed", "reason": f"build: {_why(exc)}"})
            continue
        build_seconds = time.perf_counter() - start
        try:
            detail = peer.describe(fn)
        except Exception:  # a description is a courtesy; it must not fail the peer
            detail = ""
        built[peer.name] = (peer, fn, build_seconds, detail)
    for record in failures:
        settings.log(f"  {record['peer']}: {record['status']}: {record['reason']}")
    return built, failures


def _why(exc: BaseException) -> str:
    """A one-line reason for an exception (first line of its message)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def warm_up(built: dict, case: Case, check: Check, first: set) -> tuple[dict, list[dict]]:
    """Call each built peer once on ``case``; returns the timeable calls and every record."""
    ready, records = {}, []
    for name, (peer, fn, build_seconds, detail) in built.items():
        record = {"peer": name, "library": peer.library, "size": case.size, "detail": detail}
        if name not in first:  # the build (compile) cost counts once, at the first size
            first.add(name)
            record["build"] = build_seconds
        try:
            args = peer.prepare(case.inputs)
            record["first_call"], result = time_once(lambda fn=fn, args=args: fn(*args))
        except Exception as exc:
            records.append({**record, "status": "failed", "reason": _why(exc)})
            continue
        wrong = check(result, case.expected)
        if wrong:
            records.append({**record, "status": "wrong answer", "reason": wrong})
            continue
        ready[name] = lambda fn=fn, args=args: fn(*args)
        records.append({**record, "status": "ok", "reason": ""})
    return ready, records


def compare(
    peers: list[Peer], cases: Iterable[Case], check: Check, settings: Settings
) -> list[dict]:
    """Run the whole protocol; one record per (size, peer), plus one per unbuildable peer.

    ``cases`` is best a generator, so that only one size's inputs are alive at a time.
    """
    built, records = build_peers(peers, settings)
    first: set = set()
    for case in cases:
        settings.log(f"  size {case.size:,}: warm-up and checks")
        ready, case_records = warm_up(built, case, check, first)
        timings, errors = time_interleaved(ready, settings.repeats, settings.min_time)
        fastest = min((t.best for t in timings.values()), default=None)
        for record in case_records:
            if record["peer"] in errors:
                record.update(status="failed", reason=errors[record["peer"]])
            timing = timings.get(record["peer"])
            if timing is not None:
                record.update(timing.to_json())
                record["per_element"] = timing.best / (case.elements or case.size)
                record["ratio"] = timing.best / fastest
            elif record["status"] != "ok":
                settings.log(f"    {record['peer']}: {record['status']}: {record['reason']}")
        records += case_records
        del ready, case_records, case  # drop big inputs before making the next size
    return records


def run_workload(workload, settings: Settings, peer_list: list[Peer] | None,
                 notes: list[str]) -> dict:
    """The result of a workload module (``NAME``, ``TITLE``, ``QUICK_SIZES``, ``FULL_SIZES``,
    ``CHECK``, ``peers()``, ``make_case(size)``): every chosen peer timed at every size."""
    chosen = select_peers(peer_list or workload.peers(), settings.peers)
    sizes = settings.pick_sizes(workload.QUICK_SIZES, workload.FULL_SIZES)
    records = compare(chosen, (workload.make_case(n) for n in sizes), workload.CHECK, settings)
    return {"name": workload.NAME, "title": workload.TITLE, "sizes": sizes, "records": records,
            "notes": notes}


def status_text(record: dict) -> str:
    """``ok``, ``ok (llvm: 2)`` with the build's detail, or ``failed: <reason>``."""
    if record.get("reason"):
        return f"{record['status']}: {record['reason']}"
    detail = record.get("detail")
    return f"{record['status']} ({detail})" if detail else record["status"]


def comparison_table(result: dict, size_label: str = "N") -> Table:
    """The markdown table of a :func:`compare` result: one row per size and peer."""
    rows = []
    for r in result["records"]:
        warm = (r.get("build") or 0.0) + r["first_call"] if "first_call" in r else None
        rows.append(
            [
                format_size(r["size"]),
                r["peer"],
                format_seconds(r.get("best")),
                format_seconds(r.get("median")),
                format_seconds(r.get("per_element")) if "per_element" in r else "—",
                format_ratio(r.get("ratio")),
                format_seconds(warm),
                status_text(r),
            ]
        )
    columns = [
        size_label,
        "peer",
        "best",
        "median",
        "per element",
        "vs fastest",
        "warm-up",
        "status",
    ]
    notes = [
        "best / median: seconds per call over the repeats, peers interleaved round by round;"
        " vs fastest: best time over the fastest peer's best at the same size.",
        "warm-up: the build (function/JIT compile, counted at the first size only) plus the"
        " first call; never part of the timings.",
    ] + list(result.get("notes", []))
    return Table(result["title"], columns, rows, notes)
