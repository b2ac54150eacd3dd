"""``config.profile = True`` prints every function's report at exit, then the merged one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import numpy as np
    import symc

    assert symc.config.profile
    x = symc.vector("x")
    f = symc.function([x], x + 1, name="plus_one")
    g = symc.function([x], (x * 2).sum(), name="double_sum")
    for _ in range(3):
        f(np.ones(4))
    g(np.ones(4))
    print("done")
""")


def run_script(flags: str) -> subprocess.CompletedProcess:
    """Run ``SCRIPT`` in a fresh interpreter with ``SYMC_FLAGS=flags``."""
    env = dict(os.environ, SYMC_FLAGS=flags)
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=120)


def test_profile_flag_prints_all_reports_at_exit():
    done = run_script("profile=True,backend=numpy")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    err = done.stderr
    assert err.count("Function profiling") == 3
    assert "Message: plus_one" in err and "Message: double_sum" in err
    assert "Time in 3 calls to Function.__call__" in err
    assert "Time in 1 calls to Function.__call__" in err
    assert "Message: Sum of all (2) printed profiles" in err
    assert "Time in 4 calls to Function.__call__" in err


def test_no_report_without_the_flag():
    script_env = dict(os.environ, SYMC_FLAGS="backend=numpy")
    done = subprocess.run([sys.executable, "-c", SCRIPT.replace("assert symc.config.profile", "")],
                          capture_output=True, text=True, env=script_env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Function profiling" not in done.stderr + done.stdout
