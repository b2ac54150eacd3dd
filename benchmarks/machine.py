"""The machine and software a benchmark ran on, for the report header."""

from __future__ import annotations

import datetime
import os
import platform
import re

import numpy as np

from benchmarks.peers import LIBRARIES, library_version, usability

#: Versions reported besides the peer libraries (llvmlite is what symc's JIT is built on).
_EXTRA_LIBRARIES = ("llvmlite", "jaxlib", "matplotlib")
_SIMD = re.compile(r"^(avx2|avx512\w*|fma|sse4_2)$")


def cpuinfo(path: str = "/proc/cpuinfo") -> dict:
    """CPU model and SIMD flags from ``/proc/cpuinfo`` (empty strings elsewhere)."""
    model, flags = platform.processor() or platform.machine(), []
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError:
        return {"model": model, "simd": []}
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    model = found.group(1).strip() if found else model
    found = re.search(r"^flags\s*:\s*(.+)$", text, re.MULTILINE)
    if found:
        flags = [f for f in found.group(1).split() if _SIMD.match(f)]
    return {"model": model, "simd": flags}


def blas_name() -> str:
    """The BLAS NumPy links against (what ``matmul`` measures)."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # show_config's layout is not a stable API
        return "unknown"


def describe() -> dict:
    """Everything the report header states about this run's machine."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    libraries = ("numpy",) + _EXTRA_LIBRARIES + LIBRARIES[1:]
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpuinfo(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "blas": blas_name(),
        "versions": {name: library_version(name) for name in libraries},
        # symc is written while it is measured: say whether its peers can run at all.
        "symc": usability("symc"),
    }


def _loads(values: list[float] | None) -> str:
    return ", ".join(f"{v:.2f}" for v in values) if values else "unknown"


def markdown(machine: dict) -> str:
    """The machine as a short markdown list."""
    cpu = machine["cpu"]
    lines = [
        f"- date: {machine['date']}",
        f"- CPU: {cpu['model']}; {machine['cores']} cores ({machine['usable_cores']} usable)",
        f"- SIMD: {', '.join(cpu['simd']) or 'none found'}",
        f"- load average at start: {_loads(machine['load_average'])} (shared machine: noise)",
        f"- OS: {machine['platform']}; Python {machine['python']}; BLAS: {machine['blas']}",
    ]
    lines += [f"- {name}: {version}" for name, version in machine["versions"].items()]
    lines.append(f"- symc peers: {machine.get('symc', '?')}")
    return "\n".join(lines) + "\n"
