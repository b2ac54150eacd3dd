"""Workload ``compile``: compile time of pi in fresh processes, cold and warm disk cache.

Each measurement is a new ``python`` process (``sys.executable``): it imports the library,
builds pi (``function()``, ``jit``...) and makes the first call, timing each step. "Cold"
points the library's disk cache at an empty temporary directory; "warm" runs again with
the same directory, so whatever the first process stored can be reused.

The children run with Python's bytecode cache on, as on users' machines: an environment that
sets ``PYTHONDONTWRITEBYTECODE`` (this project's does) would otherwise make every child
recompile every ``.py`` file it imports, ~45 ms for symc alone, which no user pays. One
untimed cold + warm pair per peer fills the ``__pycache__`` folders (and the OS file cache)
before the timed runs. The host is shared, so each cell reports the best and the median of
several processes, with the load average seen when they ran.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from benchmarks import pi
from benchmarks.peers import PeerMissing, import_library
from benchmarks.settings import Settings
from benchmarks.table import Table, format_ratio, format_seconds

NAME = "compile"
TITLE = "compile: pi's function() + first call in a fresh process, cold and warm cache"
N = 30_000
SEED = 0

#: Runs in the child: makes pi's inputs (as ``pi.make_case`` does), then times the
#: library's import (t0..t1), the build (t1..t2) and the first call (t2..t3).
_PROLOGUE = """
import json, sys, time
import numpy as np
rng = np.random.default_rng({seed})
a, b = rng.uniform(-1, 1, {n}), rng.uniform(-1, 1, {n})
t0 = time.perf_counter()
"""
_EPILOGUE = """
t3 = time.perf_counter()
detail = describe() if "describe" in globals() else ""
print("BENCH_RESULT " + json.dumps({"import": t1 - t0, "build": t2 - t1,
      "first_call": t3 - t2, "value": float(value), "detail": detail}))
"""
_BODIES = {
    "symc": """import symc
t1 = time.perf_counter()
x, y = symc.vector("x"), symc.vector("y")
f = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
t2 = time.perf_counter()
value = f(a, b)
def describe():  # after the timing: what the JIT did (a warm run must do no LLVM work)
    from symc.backends.llvm import jit
    s = jit.stats
    return (f"IR builds {s['ir_builds']}, LLVM codegen {s['codegen']}, "
            f"signature hits {s['signature_hits']}")""",
    "pytensor": """import pytensor, pytensor.tensor as pt
t1 = time.perf_counter()
x, y = pt.dvector("x"), pt.dvector("y")
f = pytensor.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
t2 = time.perf_counter()
value = f(a, b)
def describe():
    return "linker: " + type(f.maker.linker).__name__""",
    "numba": """import numba
t1 = time.perf_counter()
@numba.njit(cache=True)
def f(x, y):
    hits = 0
    for i in range(x.shape[0]):
        if x[i] * x[i] + y[i] * y[i] <= 1.0:
            hits += 1
    return 4.0 * hits / x.shape[0]
t2 = time.perf_counter()
value = f(a, b)""",
    "jax": """import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_compilation_cache_dir", sys.argv[1])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
t1 = time.perf_counter()
f = jax.jit(lambda x, y: 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
t2 = time.perf_counter()
value = f(a, b).block_until_ready()""",
}


@dataclass
class CompilePeer:
    """A library and how to point its disk cache at ``cache`` (env vars)."""

    name: str
    library: str
    env: dict = field(default_factory=dict)  # values may contain {cache}

    def environment(self, cache: str) -> dict:
        """``os.environ`` plus this peer's cache settings, appended to any user flags, with
        Python's bytecode cache on (see the module docstring)."""
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for key, value in self.env.items():
            value = value.format(cache=cache)
            env[key] = f"{env[key]},{value}" if key.endswith("FLAGS") and env.get(key) else value
        return env


PEERS = [
    CompilePeer("symc", "symc", {"SYMC_FLAGS": "cache_dir={cache}"}),
    CompilePeer(
        "pytensor",
        "pytensor",
        {"PYTENSOR_FLAGS": "compiledir={cache}", "NUMBA_CACHE_DIR": "{cache}"},
    ),
    CompilePeer("numba njit(cache=True)", "numba", {"NUMBA_CACHE_DIR": "{cache}"}),
    CompilePeer("jax jit (persistent cache)", "jax"),
]


def run_child(peer: CompilePeer, cache: str, timeout: float) -> dict:
    """One fresh process; its timings, or ``{"status": "failed", ...}``."""
    source = _PROLOGUE.format(seed=SEED, n=N) + _BODIES[peer.library] + _EPILOGUE
    command = [sys.executable, "-c", source, cache]
    if peer.library == "numba":  # numba's cache=True needs the function in a real file
        command[1:3] = [os.path.join(cache, "bench_compile_numba.py")]
        with open(command[1], "w") as handle:
            handle.write(source)
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            command, env=peer.environment(cache), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("BENCH_RESULT "):
            return {"status": "ok", "wall": wall, **json.loads(line[len("BENCH_RESULT ") :])}
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"status": "failed", "reason": f"exit {proc.returncode}: {tail}"[:300]}


def measure(peer: CompilePeer, expected: float, runs: int, timeout: float) -> dict:
    """Best and median of ``runs`` cold runs (each in a new empty cache) and of ``runs`` warm
    runs, after one untimed pair that fills the bytecode and file caches."""
    record: dict = {"peer": peer.name, "library": peer.library}
    try:
        import_library(peer.library)
    except PeerMissing as exc:
        return {**record, "status": "missing", "reason": str(exc)}
    cold, warm, loads = [], [], []
    for _ in range(runs + 1):
        loads.append(os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"))
        with tempfile.TemporaryDirectory(prefix="symc-bench-cache-") as cache:
            cold.append(run_child(peer, cache, timeout))
            warm.append(run_child(peer, cache, timeout))
    for result in cold + warm:
        if result["status"] != "ok":
            return {**record, **result}
        wrong = pi.CHECK(result["value"], expected)
        if wrong:
            return {
                **record,
                "status": "wrong answer",
                "reason": f"pi = {result['value']!r}, NumPy says {expected!r}: {wrong}",
            }
    cold, warm = cold[1:], warm[1:]  # the first pair only warmed the caches
    return {
        **record,
        "status": "ok",
        "reason": "",
        "runs": runs,
        "load_average": [min(loads), max(loads)],
        "cold": best_run(cold),
        "warm": best_run(warm),
        "cold_median": median_total(cold),
        "warm_median": median_total(warm),
    }


def total(result: dict) -> float:
    """What the workload measures: ``function()`` (or ``jit``) plus the first call."""
    return result["build"] + result["first_call"]


def best_run(results: list[dict]) -> dict:
    """The run with the smallest build + first call."""
    return min(results, key=total)


def median_total(results: list[dict]) -> float:
    """The median build + first call."""
    return statistics.median(total(r) for r in results)


def run(settings: Settings) -> dict:
    """Measure every peer cold and warm."""
    runs = 3 if settings.quick else 7
    timeout = 120.0 if settings.quick else 600.0
    expected = float(pi.make_case(N, seed=SEED).expected)
    records = []
    for peer in PEERS:
        if settings.peers and peer.library not in settings.peers:
            continue
        settings.log(f"  {peer.name}: {runs + 1} cold + {runs + 1} warm processes")
        records.append(measure(peer, expected, runs, timeout))
    notes = [
        f"N = {N:,}; each cell is the best (median) of {runs} fresh processes, after one"
        " untimed pair that fills the bytecode and file caches; the answer is checked as in"
        " `pi` (rtol=1e-12). load: the 1-minute load average over the runs (2 cores shared).",
        "children run with Python's bytecode cache on, as users' machines do (this"
        " environment sets PYTHONDONTWRITEBYTECODE, which would add ~45 ms of recompiling"
        " symc's sources to every process).",
        "build: function()/jit construction; 1st call includes any lazy JIT compile;"
        " process: the whole child's wall time, interpreter start-up included.",
        "caches: symc `SYMC_FLAGS=cache_dir=<tmp>`; PyTensor `PYTENSOR_FLAGS=compiledir=<tmp>`"
        " (and `NUMBA_CACHE_DIR=<tmp>`, for when its default linker is Numba's); numba"
        " `cache=True` with `NUMBA_CACHE_DIR=<tmp>`; JAX `jax_compilation_cache_dir=<tmp>`.",
    ]
    return {"name": NAME, "title": TITLE, "records": records, "notes": notes}


def _cell(best: float, median: float | None) -> str:
    if median is None:  # a result saved before medians were recorded
        return format_seconds(best)
    return f"{format_seconds(best)} ({format_seconds(median)})"


def _details(cold: str, warm: str) -> str:
    return cold if cold == warm else f"cold: {cold}; warm: {warm}"


def tables(result: dict) -> list[Table]:
    """One row per peer: import, cold and warm build + first call, process wall times."""
    rows = []
    for r in result["records"]:
        if r["status"] != "ok":
            rows.append([r["peer"]] + ["—"] * 7 + [f"{r['status']}: {r['reason']}"])
            continue
        cold, warm = r["cold"], r["warm"]
        cold_total, warm_total = total(cold), total(warm)
        details = _details(cold.get("detail", ""), warm.get("detail", ""))
        loads = r.get("load_average")
        rows.append(
            [
                r["peer"],
                format_seconds(cold["import"]),
                _cell(cold_total, r.get("cold_median")),
                _cell(warm_total, r.get("warm_median")),
                format_ratio(cold_total / warm_total),
                format_seconds(cold["wall"]),
                format_seconds(warm["wall"]),
                f"{loads[0]:.1f}–{loads[1]:.1f}" if loads else "—",
                f"ok ({details})" if details else "ok",
            ]
        )
    columns = [
        "peer",
        "import",
        "cold build+1st call: best (median)",
        "warm build+1st call: best (median)",
        "cold/warm",
        "cold process",
        "warm process",
        "load",
        "status",
    ]
    return [Table(result["title"], columns, rows, list(result.get("notes", [])))]
