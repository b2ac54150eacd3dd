"""Chrome / Perfetto trace export: the last calls of a profiled function as nested spans.

The result is the Trace Event Format's JSON object form, ``{"traceEvents": [...]}``, which
``ui.perfetto.dev`` and ``chrome://tracing`` open directly. Every span is a complete event
(``"ph": "X"``) with ``name``, ``ts`` and ``dur`` in microseconds, ``pid`` and ``tid``:

- tid 1, the calling thread: ``Function.__call__`` spans, the ``program`` span inside each,
  and one span per node inside that (the nodes' stamps are contiguous, so they tile it);
- tid 2, 3, ...: chunk spans of loops a backend split across pool threads, when recorded.

Only the last ``trace_calls`` calls are kept (a ring buffer per program), so a long run
exports a bounded file.
"""

from __future__ import annotations

import os

#: The calling thread's track; pool thread ``i`` is drawn on track ``CALLER_TID + 1 + i``.
CALLER_TID = 1


def _span(name: str, start_ns: int, end_ns: int, origin: int, tid: int, pid: int, cat: str,
          args: dict) -> dict:
    """A complete event; times in microseconds from ``origin``."""
    ts = round((start_ns - origin) / 1000, 3)
    end = round((end_ns - origin) / 1000, 3)
    return {"name": name, "cat": cat, "ph": "X", "ts": ts, "dur": round(end - ts, 3),
            "pid": pid, "tid": tid, "args": args}


def _thread_names(pid: int, n_workers: int, message: str) -> list[dict]:
    """Metadata events naming the process and the tracks."""
    names = [{"name": "process_name", "ph": "M", "pid": pid, "tid": CALLER_TID, "ts": 0,
              "args": {"name": f"symc: {message}"}},
             {"name": "thread_name", "ph": "M", "pid": pid, "tid": CALLER_TID, "ts": 0,
              "args": {"name": "caller"}}]
    names += [{"name": "thread_name", "ph": "M", "pid": pid, "tid": CALLER_TID + 1 + i, "ts": 0,
               "args": {"name": f"pool thread {i}"}} for i in range(n_workers)]
    return names


def _program_events(record, f: int, origin: int, pid: int) -> list[dict]:
    """The program span and node spans of each recent call of one program."""
    events = []
    for row in record.recent.tolist():
        events.append(_span("program", row[0], row[-1], origin, CALLER_TID, pid, "program",
                            {"function": f}))
        for node in record.nodes:
            k = node.index
            events.append(_span(node.op, row[k], row[k + 1], origin, CALLER_TID, pid, node.tag,
                                {"id": k, "function": f, "apply": node.apply,
                                 "class": node.cls, "backend": node.tag}))
    return events


def _chunk_events(record, f: int, origin: int, pid: int) -> tuple[list[dict], int]:
    """Chunk spans on the pool threads' tracks, and how many threads appeared."""
    events, n_workers = [], 0
    for k, spans in record.chunk_spans:
        node = record.nodes[k]
        for chunk, (thread, start, end) in enumerate(spans):
            n_workers = max(n_workers, thread + 1)
            events.append(_span(f"{node.op} chunk", start, end, origin, CALLER_TID + 1 + thread,
                                pid, "chunk", {"id": k, "function": f, "chunk": chunk}))
    return events, n_workers


def _origin(stats) -> int:
    """The earliest stamp kept, so that ``ts`` starts near 0."""
    starts = [start for start, _ in stats.recent_calls]
    starts += [int(r.recent[0, 0]) for r in stats.records if len(r.recent)]
    starts += [spans[0][1] for r in stats.records for _, spans in r.chunk_spans if spans]
    return min(starts, default=0)


def chrome_trace(stats) -> dict:
    """The trace of ``stats``' last calls, as a JSON-serializable dict."""
    stats.fold()
    pid, origin = os.getpid(), _origin(stats)
    events = [_span("Function.__call__", start, end, origin, CALLER_TID, pid, "call",
                    {"message": stats.message}) for start, end in stats.recent_calls]
    n_workers = 0
    for f, record in enumerate(stats.records):
        events += _program_events(record, f, origin, pid)
        chunks, workers = _chunk_events(record, f, origin, pid)
        events += chunks
        n_workers = max(n_workers, workers)
    return {"traceEvents": _thread_names(pid, n_workers, stats.message) + events,
            "displayTimeUnit": "ns",
            "otherData": {"message": stats.message, "calls": stats.calls}}
