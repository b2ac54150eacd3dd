"""``benchmarks.json`` and ``BENCHMARKS.md``: the raw results and their tables.

A run with ``--only`` updates its workloads in an existing ``benchmarks.json`` and keeps
the others, so the markdown always shows every workload measured so far; each workload
states the mode and date it was measured in.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from benchmarks import machine as machine_info
from benchmarks.peers import LIBRARIES
from benchmarks.plots import PLOTS, write_plots
from benchmarks.table import Table
from benchmarks.workloads import WORKLOADS

JSON_NAME = "benchmarks.json"
MARKDOWN_NAME = "BENCHMARKS.md"
_HEADER = """# symc benchmarks

symc side by side with its peers in one process, interleaved round by round; best and
median of several repeats, each timing at least ~20 ms of calls; every peer's answer is
checked against NumPy's before it is timed. Regenerate everything with
`python -m benchmarks` (full sizes, up to N=1e7) or `python -m benchmarks --quick`;
one workload with `--only NAME`. Written by `benchmarks/report.py`; raw data in
`benchmarks.json`.
"""


def load(out: Path) -> dict:
    """The previous results in ``out``, or an empty set when there are none (or bad ones)."""
    try:
        data = json.loads((out / JSON_NAME).read_text())
    except (OSError, ValueError):
        return {"workloads": {}}
    return data if isinstance(data.get("workloads"), dict) else {"workloads": {}}


def _finite(value):
    """JSON has no NaN/inf: they become None (recursively)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def workload_tables(result: dict) -> list[Table]:
    """The tables of one workload result; a crashed workload gets a one-line table."""
    title = result.get("title", result["name"])
    if result.get("error"):
        return [Table(title, ["status"], [[f"failed: {result['error']}"]])]
    try:
        return WORKLOADS[result["name"]].tables(result)
    except Exception as exc:  # e.g. results kept from an older harness with other fields
        reason = f"cannot render these results: {type(exc).__name__}: {exc}; re-run it"
        return [Table(title, ["status"], [[reason]])]


def provenance(result: dict, cores: int) -> str:
    """When and how a workload was measured, with a warning when the machine was busy."""
    loads = result.get("load_average") or []
    text = (
        f"_{result.get('mode', '?')} mode, measured {result.get('date', '?')},"
        f" took {result.get('elapsed', 0):.0f} s; load average after:"
        f" {', '.join(f'{v:.2f}' for v in loads) or 'unknown'}._\n"
    )
    if loads and loads[0] > 1.5 * cores:
        # The harness itself adds up to ~1 per core; beyond that other jobs held the cores:
        # best-of-N cannot find a quiet round, and thread scaling suffers first.
        text += (
            f"\n**Warning: the machine was overloaded (load {loads[0]:.1f} on {cores} cores);"
            " treat these timings as rough.**\n"
        )
    return text


def markdown(data: dict, plots: list[Path]) -> str:
    """The whole report."""
    parts = [_HEADER, "## Machine\n", machine_info.markdown(data["machine"])]
    plot_names = {p.stem: p.name for p in plots}
    for name in WORKLOADS:
        result = data["workloads"].get(name)
        if result is None:
            continue
        parts.append(f"## {name}\n")
        parts.append(provenance(result, data["machine"].get("usable_cores") or 1))
        parts += [table.to_markdown() for table in workload_tables(result)]
        if name in plot_names:
            parts.append(f"![{name}]({plot_names[name]})\n")
    return "\n".join(parts)


def write(out: Path, machine: dict, results: list[dict], draw: bool = True) -> list[Path]:
    """Merge ``results`` into ``out``'s JSON, redraw the plots, rewrite the markdown.

    With ``draw=False`` the plots already in ``out`` are linked but not redrawn (the quick
    save after each workload, so a crash in a later one loses nothing measured).
    """
    out.mkdir(parents=True, exist_ok=True)
    data = load(out)
    data["machine"] = machine
    data["peer_libraries"] = list(LIBRARIES)
    for result in results:
        data["workloads"][result["name"]] = result
    data = _finite(data)
    json_path = out / JSON_NAME
    json_path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    if draw:
        plots = write_plots(data["workloads"], out)
    else:
        plots = [out / f"{name}.png" for name in PLOTS if (out / f"{name}.png").exists()]
    md_path = out / MARKDOWN_NAME
    md_path.write_text(markdown(data, plots))
    return [md_path, json_path] + plots
