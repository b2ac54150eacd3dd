"""Workload ``optimizer``: symc's compile time on big random elementwise graphs.

A random DAG of elementwise ops over a few vector inputs is compiled with
``mode=symc.Mode(optimizer="fast_run", backend="numpy")``: the NumPy backend has no LLVM
work, so the time is the rewrite passes and the linker. What matters is the growth: a
pipeline linear in the node count keeps the time per node flat from 1,000 to 50,000 nodes.
"""

from __future__ import annotations

import itertools
import math
import random
import time

import numpy as np

from benchmarks.comparison import close_to
from benchmarks.peers import PeerMissing, import_library
from benchmarks.settings import Settings
from benchmarks.table import Table, format_seconds

NAME = "optimizer"
TITLE = "optimizer: symc.function() on random elementwise DAGs (fast_run, NumPy backend)"
QUICK_SIZES = [1_000, 10_000]
FULL_SIZES = [1_000, 10_000, 50_000]
N_INPUTS = 4
#: Unconsumed nodes kept open; every node is used, and the depth stays ~ nodes / WIDTH.
WIDTH = 64
#: Second operands come from this many most recent nodes (locality, like real graphs).
WINDOW = 256
#: (symc function, NumPy function, arity): ops whose values stay bounded enough.
OPS = [
    ("add", np.add, 2),
    ("sub", np.subtract, 2),
    ("mul", np.multiply, 2),
    ("maximum", np.maximum, 2),
    ("minimum", np.minimum, 2),
    ("sin", np.sin, 1),
    ("cos", np.cos, 1),
    ("tanh", np.tanh, 1),
    ("neg", np.negative, 1),
    ("abs", np.abs, 1),
]
#: Long random chains amplify rounding differences; this only catches real bugs.
CHECK = close_to(rtol=1e-6, atol=1e-9)
BUDGET = {"quick": 40.0, "full": 600.0}


def random_graph(symc, nodes: int, values: list[np.ndarray], seed: int = 0):
    """The inputs, the single output and NumPy's value of a random ``nodes``-node DAG.

    The same ops are applied to ``values`` alongside, so the compiled function can be
    checked. The final open nodes are summed by a balanced tree of adds (counted in
    ``nodes``) so that the function has one output that uses every node.
    """
    rng = random.Random(seed)
    inputs = [symc.vector(f"x{i}") for i in range(N_INPUTS)]
    made = list(zip(inputs, values, strict=True))
    open_nodes = list(made)
    # Ops made so far plus the adds still needed to join the open nodes must reach `nodes`.
    while len(made) - N_INPUTS + len(open_nodes) - 1 < nodes:
        name, ref, arity = rng.choice(OPS)
        if len(open_nodes) >= WIDTH:  # consume an open node: every node ends up used
            first = open_nodes.pop(rng.randrange(len(open_nodes)))
        else:
            first = rng.choice(made[-WINDOW:])
        args = [first] + [rng.choice(made[-WINDOW:]) for _ in range(arity - 1)]
        node = (getattr(symc, name)(*(a[0] for a in args)), ref(*(a[1] for a in args)))
        made.append(node)
        open_nodes.append(node)
    while len(open_nodes) > 1:  # balanced, so the tree adds only log2(WIDTH) levels
        a, b = open_nodes.pop(0), open_nodes.pop(0)
        open_nodes.append((a[0] + b[0], a[1] + b[1]))
    return inputs, open_nodes[0][0], open_nodes[0][1]


def compile_graph(symc, nodes: int) -> dict:
    """Build, compile and check one graph; the record of it."""
    values = [np.linspace(-1, 1, 8) * (i + 1) / N_INPUTS for i in range(N_INPUTS)]
    start = time.perf_counter()
    inputs, output, expected = random_graph(symc, nodes, values)
    built = time.perf_counter()
    mode = symc.Mode(optimizer="fast_run", backend="numpy")
    f = symc.function(inputs, output, mode=mode)
    compiled = time.perf_counter()
    record = {
        "size": nodes,
        "graph_build": built - start,
        "compile": compiled - built,
        "per_node": (compiled - built) / nodes,
        **compile_phases(f),
    }
    wrong = CHECK(f(*values), expected)
    if wrong:
        return {**record, "status": "wrong answer", "reason": wrong}
    return {**record, "status": "ok", "reason": ""}


def compile_phases(f) -> dict:
    """symc's own split of the compile: rewrite passes, link, and the slowest pass.

    Reads ``Function.compile_time`` (``{"rewrite": {pass: s}, "link": s, ...}``) when the
    core provides it; {} otherwise, and the table shows dashes.
    """
    phases = getattr(f, "compile_time", None)
    if not isinstance(phases, dict) or not isinstance(phases.get("rewrite"), dict):
        return {}
    passes = phases["rewrite"]
    slowest = max(passes.items(), key=lambda item: item[1], default=("", 0.0))
    return {
        "rewrite": sum(passes.values()),
        "link": phases.get("link"),
        "passes": passes,
        "slowest_pass": list(slowest),
    }


def _estimate(done: list[dict], nodes: int) -> float:
    """The next compile time if growth continues at least linearly."""
    last = done[-1]
    exponent = max(1.0, done[-1].get("exponent") or 1.0)
    return last["compile"] * (nodes / last["size"]) ** exponent


def _add_growth(records: list[dict]) -> None:
    """``growth``: time ratio over node ratio (1.0 = linear); ``exponent``: t ∝ nodes^k."""
    for prev, cur in itertools.pairwise(records):
        if "compile" in prev and "compile" in cur:
            node_ratio, time_ratio = cur["size"] / prev["size"], cur["compile"] / prev["compile"]
            cur["growth"] = time_ratio / node_ratio
            cur["exponent"] = math.log(time_ratio) / math.log(node_ratio)


def run(settings: Settings) -> dict:
    """Compile graphs of growing size until done or the estimate exceeds the budget."""
    sizes = settings.pick_sizes(QUICK_SIZES, FULL_SIZES)
    budget = BUDGET[settings.mode]
    result = {"name": NAME, "title": TITLE, "sizes": sizes, "records": []}
    result["notes"] = [
        f"graph: {N_INPUTS} float64 vector inputs; ops {', '.join(o[0] for o in OPS)};"
        f" {WIDTH} open chains, second operands from the last {WINDOW} nodes; one output.",
        "compile: `symc.function(..., mode=symc.Mode(optimizer='fast_run', backend='numpy'))`"
        " only; graph build: the user-side expression calls, timed apart; rewrite / link /"
        " slowest pass: symc's own `Function.compile_time` split.",
        "growth: time ratio over node ratio from the previous row (1.0 = linear);"
        " exponent k in time ∝ nodes^k.",
        f"a size is skipped when its estimated compile time exceeds {budget:.0f} s.",
    ]
    try:
        symc = import_library("symc")
    except PeerMissing as exc:
        result["records"] = [{"size": None, "status": "missing", "reason": str(exc)}]
        return result
    for nodes in sizes:
        done = [r for r in result["records"] if "compile" in r]
        if done and _estimate(done, nodes) > budget:
            reason = f"skipped: estimated {_estimate(done, nodes):.0f} s > budget {budget:.0f} s"
            result["records"].append({"size": nodes, "status": "skipped", "reason": reason})
            continue
        settings.log(f"  {nodes:,} nodes")
        try:
            result["records"].append(compile_graph(symc, nodes))
        except Exception as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            result["records"].append({"size": nodes, "status": "failed", "reason": reason})
        _add_growth(result["records"])
    return result


def _slowest(record: dict) -> str:
    if not record.get("slowest_pass"):
        return "—"
    name, seconds = record["slowest_pass"]
    return f"{name} {format_seconds(seconds)}"


def tables(result: dict) -> list[Table]:
    """One row per graph size."""
    rows = []
    for r in result["records"]:
        rows.append(
            [
                f"{r['size']:,}" if r.get("size") else "all",
                format_seconds(r.get("graph_build")),
                format_seconds(r.get("compile")),
                format_seconds(r.get("per_node")),
                format_seconds(r.get("rewrite")),
                format_seconds(r.get("link")),
                _slowest(r),
                f"{r['growth']:.2f}" if "growth" in r else "—",
                f"{r['exponent']:.2f}" if "exponent" in r else "—",
                r["status"] + (f": {r['reason']}" if r.get("reason") else ""),
            ]
        )
    columns = [
        "nodes",
        "graph build",
        "compile",
        "per node",
        "rewrite",
        "link",
        "slowest pass",
        "growth",
        "exponent",
        "status",
    ]
    return [Table(result["title"], columns, rows, list(result.get("notes", [])))]
