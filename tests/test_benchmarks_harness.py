"""The benchmark harness's machinery (``python -m benchmarks``), on tiny sizes.

No timing is asserted: these check that reports get written, and that a missing library,
a failing peer and a wrong answer are reported as such and never timed as a pass.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

# benchmarks/ is a top-level package of the checkout, not installed with symc.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import cli, pi  # noqa: E402
from benchmarks.comparison import close_to  # noqa: E402
from benchmarks.peers import Peer  # noqa: E402
from benchmarks.timer import choose_loops, time_interleaved  # noqa: E402

FAST = ["--repeats", "2", "--min-time", "0.001", "--quiet"]
REAL_PI_PEERS = pi.peers


def _raise(*args):
    raise RuntimeError("deliberate failure")


def _fake_pi_peers() -> list[Peer]:
    """NumPy, numexpr and symc as usual, plus a wrong peer and a raising peer."""
    real = {p.name: p for p in REAL_PI_PEERS()}
    return [
        real["numpy"],
        real["numexpr"],
        real["symc"],
        Peer("fake wrong", "numpy", lambda: lambda x, y: 3.0),
        Peer("fake raising", "numpy", lambda: _raise),
    ]


def _records(out, workload: str) -> dict[str, list[dict]]:
    data = json.loads((out / "benchmarks.json").read_text())
    by_peer: dict[str, list[dict]] = {}
    for record in data["workloads"][workload]["records"]:
        by_peer.setdefault(record["peer"], []).append(record)
    return by_peer


def test_pi_reports_missing_failed_and_wrong_peers(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "numexpr", None)  # makes `import numexpr` fail
    monkeypatch.setattr(pi, "peers", _fake_pi_peers)
    assert cli.main(["--only", "pi", "--sizes", "1000,3000", "--out", str(tmp_path)] + FAST) == 0

    records = _records(tmp_path, "pi")
    assert [r["status"] for r in records["numpy"]] == ["ok", "ok"]
    assert all(r["best"] > 0 and r["ratio"] >= 1.0 for r in records["numpy"])
    assert records["numexpr"][0]["status"] == "missing"
    assert "import numexpr failed" in records["numexpr"][0]["reason"]
    for record in records["fake wrong"]:
        assert record["status"] == "wrong answer" and "best" not in record
    for record in records["fake raising"]:
        assert record["status"] == "failed" and "deliberate failure" in record["reason"]
        assert "best" not in record

    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## pi" in markdown and "wrong answer" in markdown and "missing" in markdown
    assert "## Machine" in markdown
    # Plots need matplotlib (the bench extra); without it they are skipped, tables still written.
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert (tmp_path / "pi.png").exists() == has_matplotlib


def test_symc_without_function_is_missing_not_passing(tmp_path, monkeypatch):
    symc = pytest.importorskip("symc")
    monkeypatch.delattr(symc, "function", raising=False)
    args = ["--only", "overhead", "--peers", "numpy,symc", "--out", str(tmp_path)] + FAST
    assert cli.main(args) == 0
    records = _records(tmp_path, "overhead")
    assert records["numpy"][0]["status"] == "ok"
    for name in ("symc", "symc trust_input"):
        assert records[name][0]["status"] == "missing"
        assert "symc.function" in records[name][0]["reason"]


def test_only_merges_into_existing_results(tmp_path):
    common = ["--peers", "numpy", "--sizes", "100", "--out", str(tmp_path)] + FAST
    cli.main(["--only", "pi"] + common)
    cli.main(["--only", "heavy"] + common)
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    assert {"pi", "heavy"} <= set(data["workloads"])
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    assert "## pi" in markdown and "## heavy" in markdown


def test_close_to_is_exact_for_integers_and_tolerant_for_floats():
    import numpy as np

    check = close_to(rtol=1e-9)
    assert check(np.arange(3), np.arange(3)) is None
    assert "differs" in check(np.array([0, 1, 3]), np.arange(3))
    assert check(np.float64(1.0 + 1e-12), 1.0) is None
    assert "relative error" in check(1.1, 1.0)
    assert "shape" in check(np.zeros(2), np.zeros(3))


def test_timer_calibrates_and_interleaves():
    assert choose_loops(lambda: None, 0.001) > 1
    calls = {"a": lambda: None, "b": lambda: sum(range(100)), "c": lambda: 1 / 0}
    timings, errors = time_interleaved(calls, 2, 0.001)
    assert set(timings) == {"a", "b"} and "ZeroDivisionError" in errors["c"]
    assert all(t.repeats == 2 and 0 < t.best <= t.median for t in timings.values())


def test_mlp_steps_of_numpy_and_symc_agree():
    """The mlp workload's peers train the same network: after a reset, five steps of symc's
    compiled gradient step and of hand-written NumPy backprop give the same costs."""
    from benchmarks import mlp

    costs = {}
    for peer in (mlp.numpy_peer(), mlp.symc_peer()):
        step = peer.build()
        case = mlp.make_case(10)
        args = peer.prepare(case.inputs)
        costs[peer.name] = [float(step(*args)) for _ in range(5)]
    assert costs["numpy"][0] == pytest.approx(mlp.make_case(10).expected, rel=1e-12)
    assert costs["symc"] == pytest.approx(costs["numpy"], rel=1e-10)
    assert costs["numpy"][4] < costs["numpy"][0]  # it does train
