"""Every example runs from the command line on small inputs and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SMALL_RUNS = {
    "threads.py": (["--n", "2000", "--runs", "5", "--max-threads", "2"], ["threads", "speed-up"]),
    "matmul.py": (["--n", "64", "--repeats", "1"], ["numpy a @ b", "symc dot"]),
    "fusion_tour.py": (["--n", "500", "--calls", "2"], ["== FAST_COMPILE", "== FAST_RUN",
                                                        "faster"]),
    "pi_montecarlo.py": (["--n", "1000", "--calls", "5", "--batches", "1"], ["pi ~= "]),
    "mlp_train.py": (["--samples", "300", "--epochs", "2"], ["epoch 2: symc",
                                                              "largest weight difference"]),
}


def test_every_example_is_covered():
    examples = {f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".py")}
    assert examples == set(SMALL_RUNS)


@pytest.mark.parametrize("name", sorted(SMALL_RUNS))
def test_example_runs(name):
    flags, expected = SMALL_RUNS[name]
    done = subprocess.run([sys.executable, os.path.join("examples", name), *flags],
                          capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    for text in expected:
        assert text in done.stdout
