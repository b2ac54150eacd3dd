"""What one run of the harness was asked to do (from the command line)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Settings:
    """The knobs every workload reads.

    ``sizes`` overrides a workload's own list of sizes (N, matrix order or node count);
    ``peers`` keeps only the peers whose library or name is listed.
    """

    quick: bool = False
    repeats: int = 7
    min_time: float = 0.02
    sizes: list[int] | None = None
    peers: set[str] | None = None
    out: Path = Path("profiles")
    verbose: bool = True

    @property
    def mode(self) -> str:
        """``"quick"`` or ``"full"``, as written in the reports."""
        return "quick" if self.quick else "full"

    def pick_sizes(self, quick: list[int], full: list[int]) -> list[int]:
        """The sizes to run: the override, else the quick or the full list."""
        if self.sizes:
            return list(self.sizes)
        return list(quick if self.quick else full)

    def log(self, message: str) -> None:
        """Progress on stderr, so that stdout carries only the result tables."""
        if self.verbose:
            print(message, file=sys.stderr, flush=True)
