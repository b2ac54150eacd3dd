"""ProfileStats: the Theano-style report, its numbers, merging, and the backend hooks."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

import symc
import symc.profiling.stats as stats_module
from symc.profiling import ProfileStats, current_profile
from symc.profiling.record import FOLD_EVERY, fold_interval

NUMPY = symc.Mode(optimizer=None, backend="numpy")
ROW = re.compile(r"^\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d{3}s\s+\S+s\s+(\S+)\s+(\d+)\s+(\S+)\s+(.*)$")


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    """Each test sees only the profiles it makes (the registry is process-wide)."""
    monkeypatch.setattr(stats_module, "_registry", [])


def pi_function(mode, **kwargs):
    """Scenario 1's estimator."""
    x, y = symc.vector("x"), symc.vector("y")
    pi_est = 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]
    return symc.function([x, y], pi_est, profile=True, mode=mode, **kwargs)


def report(profile, **kwargs) -> str:
    """The summary as text."""
    out = io.StringIO()
    profile.summary(file=out, **kwargs)
    return out.getvalue()


def section(text: str, title: str) -> list[str]:
    """The data rows of one table (``Class``, ``Ops`` or ``Apply``)."""
    lines = text.splitlines()
    start = lines.index(title) + 3
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("   ... (remaining"))
    return [line for line in lines[start:end] if ROW.match(line)]


def test_layout_sections_and_call_counts(mode, rng):
    f = pi_function(mode, name="pi")
    xs, ys = rng.uniform(-1, 1, 1000), rng.uniform(-1, 1, 1000)
    n_calls = 37
    for _ in range(n_calls):
        f(xs, ys)
    text = report(f.profile)
    lines = text.splitlines()
    assert lines[:3] == ["Function profiling", "==================", "  Message: pi"]
    assert f"  Time in {n_calls} calls to Function.__call__: " in text
    assert "Time in the program (Function.fn.__call__)" in text
    assert "Time in nodes (thunks)" in text and "Total compile time" in text
    for title, underline, last in (("Class", "---", "<#apply> <Class name>"),
                                   ("Ops", "---", "<#apply> <Op name>"),
                                   ("Apply", "------", "<id> <Apply name>")):
        at = lines.index(title)
        assert lines[at + 1] == underline
        assert lines[at + 2] == ("<% time> <sum %> <apply time> <time per call> <type> <#call> "
                                 + last)
    assert "Memory Profile" in lines
    assert "%%" not in text
    applies = section(text, "Apply")
    assert len(applies) == len(f.program.order)
    nodes = f.profile.to_dict()["nodes"]
    order = f.program.order
    tags = {n["apply"]: f.program.tags[node] for n, node in zip(nodes, order, strict=True)}
    for line in applies:
        tag, calls, _, name = ROW.match(line).groups()
        assert int(calls) == n_calls
        assert tag == tags[name]
    for line in section(text, "Ops"):
        tag, calls, n_apply, name = ROW.match(line).groups()
        assert int(calls) == n_calls * int(n_apply)


def test_ranking_puts_the_costly_node_first():
    x, a = symc.vector("x"), symc.matrix("a")
    f = symc.function([x, a], [x + 1, symc.dot(a, a)], profile=True, mode=NUMPY)
    xs, big = np.ones(3), np.random.default_rng(0).random((200, 200))
    for _ in range(5):
        f(xs, big)
    data = f.profile.to_dict()
    ranked = sorted(data["nodes"], key=lambda n: n["time"], reverse=True)
    assert [n["class"] for n in ranked] == ["Dot", "Elemwise"]
    applies = section(report(f.profile), "Apply")
    assert ROW.match(applies[0]).group(4).startswith("Dot")
    assert ROW.match(applies[1]).group(4).startswith("Elemwise{add}")


def test_node_time_within_program_within_call(mode, rng):
    f = pi_function(mode)
    xs, ys = rng.uniform(-1, 1, 500), rng.uniform(-1, 1, 500)
    for _ in range(FOLD_EVERY + 10):  # past one fold, with stamps still pending
        f(xs, ys)
    data = f.profile.to_dict()
    node_sum = sum(n["time"] for n in data["nodes"])
    assert node_sum == pytest.approx(data["node_time"])
    assert 0 < data["node_time"] <= data["program_time"] <= data["call_time"]
    assert data["calls"] == FOLD_EVERY + 10
    assert all(n["calls"] == FOLD_EVERY + 10 for n in data["nodes"])


def test_never_called_function_reports_zeros():
    f = pi_function(NUMPY)
    text = report(f.profile)
    assert "Time in 0 calls to Function.__call__: 0.000000e+00s" in text
    assert "(0.000%)" in text
    assert "no call measured yet" in text
    json.dumps(f.profile.to_dict())


def test_to_dict_round_trips_through_json(rng):
    f = pi_function(NUMPY)
    f(rng.uniform(-1, 1, 100), rng.uniform(-1, 1, 100))
    data = f.profile.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["calls"] == 1 and data["functions"] == 1
    assert {"op", "class", "apply", "tag", "calls", "time", "outputs"} <= set(data["nodes"][0])


def test_merge_with_plus_and_sum(rng):
    f, g = pi_function(NUMPY, name="f"), pi_function(NUMPY, name="g")
    xs, ys = rng.uniform(-1, 1, 100), rng.uniform(-1, 1, 100)
    for _ in range(3):
        f(xs, ys)
    for _ in range(5):
        g(xs, ys)
    merged = f.profile + g.profile
    assert merged.calls == 8
    assert merged.call_time == pytest.approx(f.profile.call_time + g.profile.call_time)
    assert merged.node_time == pytest.approx(f.profile.node_time + g.profile.node_time)
    assert sum([f.profile, g.profile]).calls == 8
    text = report(merged)
    ops = {ROW.match(line).group(4): ROW.match(line) for line in section(text, "Ops")}
    assert int(ops["Shape"].group(2)) == 8 and ops["Shape"].group(3) == "2"
    f(xs, ys)  # the merged profile is a snapshot
    assert merged.calls == 8


def test_shared_profile_collects_several_functions(rng):
    shared = ProfileStats(name="both")
    x = symc.vector("x")
    f = symc.function([x], x + 1, profile=shared, mode=NUMPY)
    g = symc.function([x], x * 2, profile=shared, mode=NUMPY)
    f(np.ones(3))
    g(np.ones(3))
    g(np.ones(3))
    data = shared.to_dict()
    assert data["calls"] == 3 and data["functions"] == 2
    assert sorted(n["calls"] for n in data["nodes"]) == [1, 2]
    assert f.profile is shared and g.profile is shared


def test_memory_peak_follows_last_use():
    x = symc.vector("x")
    a = x * 2.0  # 800 B
    b = a + 1.0  # 800 B, a still needed below
    c = (a * b).sum()  # a*b: 800 B, then a scalar
    f = symc.function([x], c, profile=True, mode=NUMPY)
    f(np.ones(100))
    memory = f.profile.to_dict()["memory"]
    assert memory["probed_calls"] == 1
    assert memory["peak_bytes"] == 3 * 800
    assert "Max peak memory of intermediates in a call: 2KB (2400B)" in report(f.profile)


def test_limits_and_remaining_lines(rng):
    f = pi_function(NUMPY)
    f(rng.uniform(-1, 1, 10), rng.uniform(-1, 1, 10))
    text = report(f.profile, n_ops=2, n_apply=3)
    assert len(section(text, "Ops")) == 2 and len(section(text, "Apply")) == 3
    n_nodes = len(f.program.order)
    assert f"remaining {n_nodes - 3} Apply instances account for" in text


def test_failed_call_counts_but_keeps_node_times_consistent():
    f = pi_function(NUMPY)
    f(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="failed on inputs of shapes"):
        f(np.zeros(4), np.zeros(5))  # the error still names the node and the user's line
    data = f.profile.to_dict()
    assert data["calls"] == 2
    assert all(n["calls"] == 1 for n in data["nodes"])
    assert data["node_time"] <= data["call_time"]


def test_unprofiled_function_has_no_profile():
    x = symc.vector("x")
    f = symc.function([x], x + 1, mode=NUMPY)
    assert f.profile is None and type(f) is symc.Function
    assert "_clock" not in f.program.source


def test_backend_hooks(rng):
    seen = []

    class Spy(ProfileStats):
        def compiling(self):
            seen.append("compiling")
            return super().compiling()

    profile = Spy()
    with profile.compiling():
        assert current_profile() is profile
        profile.add_compile_phase("llvm optimize", 0.25)
        profile.add_compile_phase("llvm optimize", 0.25)
        profile.note_cache("disk")
        profile.note_cache("miss")
    assert current_profile() is None
    with pytest.raises(ValueError):
        profile.note_cache("elsewhere")
    x = symc.vector("x")
    f = symc.function([x], x + 1, profile=profile, mode=NUMPY)
    assert seen == ["compiling", "compiling"]  # once by hand, once by the linker
    node = f.program.order[0]
    f(np.ones(3))
    profile.record_chunks(node, 2, 8, spans=[(0, 10, 20), (1, 12, 22)])
    text = report(profile)
    assert "llvm optimize: 5.000000e-01s" in text
    assert "Kernel cache: 0 memory hits, 1 disk hits, 1 misses (compiled)" in text
    assert "parallel in 1 of 1 calls: 2.0 threads, 8.0 chunks per call" in text
    node_data = profile.to_dict()["nodes"][0]
    assert (node_data["threads"], node_data["chunks"], node_data["parallel_calls"]) == (2, 8, 1)


def test_module_summary_prints_each_and_merged(rng):
    f, g = pi_function(NUMPY, name="first"), pi_function(NUMPY, name="second")
    f(rng.uniform(-1, 1, 10), rng.uniform(-1, 1, 10))
    out = io.StringIO()
    symc.profiling.summary(file=out)
    text = out.getvalue()
    assert text.count("Function profiling") == 3
    assert "Message: first" in text and "Message: second" in text
    assert "Message: Sum of all (2) printed profiles" in text
    assert g.profile.calls == 0


def test_wide_programs_fold_more_often():
    assert fold_interval(11) == FOLD_EVERY
    assert 1 <= fold_interval(10**6) < fold_interval(1000) < FOLD_EVERY
    x = symc.vector("x")
    out = x
    for _ in range(400):
        out = out + 1.0
    f = symc.function([x], out, profile=True, mode=NUMPY)
    assert f.profile.fold_every == fold_interval(402)
    for _ in range(f.profile.fold_every + 1):
        f(np.ones(2))
    assert len(f.profile.records[0].buffer) == 402  # one call pending, the rest folded
    assert f.profile.to_dict()["nodes"][0]["calls"] == f.profile.fold_every + 1


def test_llvm_compile_phases_and_cache_in_the_summary(tmp_path):
    """The linker reports what the LLVM backend did for each profiled function: its compile
    phases, and whether the object code came from memory, disk or a fresh compile."""
    from symc.backends.llvm import codecache, jit

    def forget():
        jit.clear_memory_cache()
        codecache.signature_cache.clear_memory()

    x = symc.vector("x")
    forget()
    try:
        with symc.config.change(cache_dir=str(tmp_path)):
            cold = symc.function([x], symc.exp(x) * 3 + 1, profile=True,
                                 mode=symc.Mode("fast_run", "llvm"))
            warm = symc.function([x], symc.exp(x) * 3 + 1, profile=True,
                                 mode=symc.Mode("fast_run", "llvm"))
    finally:
        forget()
    np.testing.assert_allclose(cold(np.arange(3.0)), np.exp(np.arange(3.0)) * 3 + 1)
    phases = cold.profile.compile_phases
    assert {"LLVM IR build", "LLVM optimize", "LLVM code generation"} <= set(phases)
    assert all(seconds > 0 for seconds in phases.values())
    assert cold.profile.cache == {"memory": 0, "disk": 0, "miss": 1}
    assert "Kernel cache: 0 memory hits, 0 disk hits, 1 misses (compiled)" in report(cold.profile)
    assert "LLVM code generation: " in report(cold.profile)
    # the same graph again: its signature is on record, the code in memory; nothing compiled
    assert warm.profile.cache == {"memory": 1, "disk": 0, "miss": 0}
    assert "LLVM optimize" not in warm.profile.compile_phases
