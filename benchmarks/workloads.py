"""The workloads, by name, in the order a full run executes them.

Each is a module with ``NAME``, ``TITLE``, ``run(settings) -> dict`` (JSON-able: at least
``name``, ``title``, ``records``, ``notes``) and ``tables(result) -> list[Table]``.
"""

from __future__ import annotations

from benchmarks import compile_time, heavy, matmul, mlp, optimizer, overhead, pi, threads

WORKLOADS = {
    module.NAME: module
    for module in (pi, heavy, overhead, threads, matmul, mlp, compile_time, optimizer)
}
