"""Markdown tables and the number formats every report uses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled table of already-formatted cells, with notes printed under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        """The table as GitHub markdown: a ``###`` title, the grid, then the notes."""
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(" --- " for _ in self.columns) + "|")
        lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in self.rows]
        lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def to_text(self) -> str:
        """The table as aligned plain text, for the terminal."""
        grid = [self.columns] + self.rows
        widths = [max(len(str(row[i])) for row in grid) for i in range(len(self.columns))]
        lines = [self.title]
        for row in grid:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        return "\n".join(lines) + "\n"


def _escape(cell: str) -> str:
    # A pipe inside an error message would split the markdown cell.
    return str(cell).replace("|", "\\|").replace("\n", " ")


def format_seconds(seconds: float | None) -> str:
    """``1.23 µs``, ``45.6 ms``, ``2.31 s``: three significant digits, a readable unit."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def format_ratio(ratio: float | None) -> str:
    """``1.00×`` for the fastest, ``3.2×`` for a peer 3.2 times slower."""
    if ratio is None or not math.isfinite(ratio):
        return "—"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.3g}×"


def format_size(n: int | None) -> str:
    """``1e+06`` style for round powers of ten, plain digits otherwise."""
    if n is None:
        return "all"
    if n >= 10_000 and str(n).rstrip("0") == "1":
        return f"1e{len(str(n)) - 1}"
    return f"{n:,}"
