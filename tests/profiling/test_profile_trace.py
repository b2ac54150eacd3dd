"""Chrome/Perfetto trace export of a profiled function's last calls."""

from __future__ import annotations

import json

import numpy as np
import pytest

import symc
import symc.profiling.stats as stats_module
from symc.profiling import ProfileStats

NUMPY = symc.Mode(optimizer=None, backend="numpy")
SPAN_KEYS = {"name", "ph", "ts", "dur", "pid", "tid", "args"}


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    """Keep these profiles out of the process-wide registry."""
    monkeypatch.setattr(stats_module, "_registry", [])


def chain_function(profile):
    """Three nodes: ``(x + 1) * 2 - 3``."""
    x = symc.vector("x")
    return symc.function([x], (x + 1) * 2 - 3, profile=profile, mode=NUMPY)


def spans(trace: dict, cat: str | None = None) -> list[dict]:
    """The complete events of ``trace``, optionally of one category."""
    return [e for e in trace["traceEvents"] if e["ph"] == "X" and (cat is None or e["cat"] == cat)]


def test_trace_file_is_valid_json_with_perfetto_keys(tmp_path, mode):
    x, y = symc.vector("x"), symc.vector("y")
    f = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0], profile=True, mode=mode)
    values = np.linspace(-1, 1, 50)
    for _ in range(4):
        f(values, values)
    path = tmp_path / "trace.json"
    f.profile.to_chrome_trace(path)
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert events and all({"name", "ph", "pid", "tid"} <= set(e) for e in events)
    complete = spans(trace)
    assert complete and all(SPAN_KEYS <= set(e) for e in complete)
    assert all(e["ts"] >= 0 and e["dur"] >= 0 for e in complete)
    assert len(spans(trace, "call")) == 4
    assert len(spans(trace, "program")) == 4
    node_spans = [e for e in complete if e["cat"] not in ("call", "program")]
    assert len(node_spans) == 4 * len(f.program.order)
    assert {e["cat"] for e in node_spans} == set(f.program.tags.values())


def test_node_spans_nest_inside_their_call(tmp_path):
    f = chain_function(True)
    f(np.ones(5))
    trace = f.profile.to_chrome_trace(tmp_path / "t.json")
    (call,) = spans(trace, "call")
    (program,) = spans(trace, "program")
    nodes = sorted((e for e in spans(trace) if e["cat"] == "Py"), key=lambda e: e["ts"])
    assert [e["args"]["id"] for e in nodes] == [0, 1, 2]
    eps = 1e-3  # the microsecond values are rounded to nanoseconds
    assert call["ts"] - eps <= program["ts"]
    assert program["ts"] + program["dur"] <= call["ts"] + call["dur"] + eps
    for node in nodes:
        assert program["ts"] - eps <= node["ts"]
        assert node["ts"] + node["dur"] <= program["ts"] + program["dur"] + eps


def test_ring_buffer_keeps_only_the_last_calls(tmp_path):
    profile = ProfileStats(trace_calls=3)
    f = chain_function(profile)
    for _ in range(10):
        f(np.ones(2))
    trace = profile.to_chrome_trace(tmp_path / "t.json")
    assert len(spans(trace, "call")) == 3
    assert len(spans(trace, "program")) == 3
    assert profile.calls == 10


def test_chunk_spans_go_to_pool_thread_tracks(tmp_path):
    f = chain_function(True)
    f(np.ones(2))
    node = f.program.order[1]
    start = f.profile.recent_calls[0][0]
    f.profile.record_chunks(node, 2, 2, spans=[(0, start + 100, start + 900),
                                              (1, start + 150, start + 950)])
    trace = f.profile.to_chrome_trace(tmp_path / "t.json")
    chunks = spans(trace, "chunk")
    assert [e["tid"] for e in chunks] == [2, 3]
    assert all(e["name"] == f"{node.op} chunk" and e["dur"] == pytest.approx(0.8) for e in chunks)
    names = [e for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"]
    assert {e["tid"] for e in names} == {1, 2, 3}


def test_never_called_function_gives_an_empty_trace(tmp_path):
    f = chain_function(True)
    trace = f.profile.to_chrome_trace(tmp_path / "t.json")
    assert spans(trace) == []
    assert json.loads((tmp_path / "t.json").read_text()) == trace
