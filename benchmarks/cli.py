"""The command line: ``python -m benchmarks [--quick] [--only NAME] [--out DIR] ...``."""

from __future__ import annotations

import argparse
import datetime
import faulthandler
import os
import time
import traceback
from pathlib import Path

from benchmarks import machine, report
from benchmarks.settings import Settings
from benchmarks.workloads import WORKLOADS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; ``--sizes``, ``--peers``, ``--repeats`` and ``--min-time`` are for
    quick experiments and tests."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="symc against NumPy, numexpr, Numba, PyTensor and JAX.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small and medium sizes only (under 2 minutes on 2 cores)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(WORKLOADS),
        metavar="NAME",
        help=f"run this workload only (repeatable): {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("profiles"),
        help="directory for BENCHMARKS.md, benchmarks.json and PNGs",
    )
    parser.add_argument("--sizes", type=_int_list, help="override the sizes, e.g. 1000,1e6")
    parser.add_argument(
        "--peers",
        type=lambda s: set(s.split(",")),
        help="keep only these libraries or peer names, e.g. numpy,symc",
    )
    parser.add_argument("--repeats", type=int, help="timed rounds per peer (default 7, quick 5)")
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.02,
        help="seconds each timing lasts at least (default 0.02)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser.parse_args(argv)


def _int_list(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part]


def run_workload(module, settings: Settings) -> dict:
    """One workload's result; a crash is recorded as the workload's error, not raised."""
    settings.log(f"== {module.NAME}")
    start = time.perf_counter()
    try:
        result = module.run(settings)
    except Exception as exc:
        traceback.print_exc()
        result = {
            "name": module.NAME,
            "title": module.TITLE,
            "records": [],
            "error": f"{type(exc).__name__}: {exc}",
        }
    result["mode"] = settings.mode
    result["date"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    result["elapsed"] = time.perf_counter() - start
    # Other users share this machine: the load says how much to trust the numbers.
    result["load_average"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the chosen workloads, print their tables, write the reports; 0 on success."""
    args = parse_args(argv)
    settings = Settings(
        quick=args.quick,
        repeats=args.repeats or (5 if args.quick else 7),
        min_time=args.min_time,
        sizes=args.sizes,
        peers=args.peers,
        out=args.out,
        verbose=not args.quiet,
    )
    # A JIT kernel that segfaults should at least leave a Python traceback behind.
    faulthandler.enable()
    start = time.perf_counter()
    about = machine.describe()
    for name in args.only or list(WORKLOADS):
        result = run_workload(WORKLOADS[name], settings)
        for table in report.workload_tables(result):
            print(table.to_text(), flush=True)
        report.write(settings.out, about, [result], draw=False)
    written = report.write(settings.out, about, [])
    settings.log(
        f"wrote {', '.join(str(p) for p in written)} in {time.perf_counter() - start:.0f} s"
    )
    return 0
