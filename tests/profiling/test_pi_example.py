"""The pi example (scenario 1) runs end to end and prints its profile."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "pi_montecarlo.py")


def test_pi_example_runs_small(tmp_path):
    trace = tmp_path / "pi.json"
    done = subprocess.run([sys.executable, EXAMPLE, "--n", "2000", "--calls", "30",
                           "--batches", "3", "--trace", str(trace)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    estimate = float(out.split("pi ~= ")[1].split()[0])
    assert 2.9 < estimate < 3.4
    assert "Message: examples/pi_montecarlo.py:" in out
    assert "Time in 30 calls to Function.__call__" in out
    for title in ("Class", "Ops", "Apply", "Memory Profile"):
        assert f"\n{title}\n" in out
    assert trace.exists()
