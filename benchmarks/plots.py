"""PNG plots of the results (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # before pyplot is imported: headless machines have no display
    import matplotlib.pyplot as plt

    return plt


def per_element_plot(result: dict, path: Path) -> Path | None:
    """Time per element vs N, log-log, one line per peer that passed at two sizes or more."""
    series: dict[str, list[tuple[int, float]]] = {}
    for r in result["records"]:
        if r.get("per_element") is not None:
            series.setdefault(r["peer"], []).append((r["size"], r["per_element"]))
    series = {peer: sorted(points) for peer, points in series.items() if points}
    if not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for peer, points in series.items():
        ns, ts = zip(*points, strict=True)
        ax.loglog(ns, [t * 1e9 for t in ts], marker="o", label=peer)
    ax.set_xlabel("N (elements)")
    ax.set_ylabel("best time per element (ns)")
    ax.set_title(result["title"], fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def thread_plot(result: dict, path: Path) -> Path | None:
    """Speed-up over 1 thread vs threads, one panel per expression, a line per peer and N."""
    lines: dict[str, dict[tuple, list]] = {}
    for r in result["records"]:
        if r.get("speedup") is not None:
            key = (r["peer"], r["size"])
            lines.setdefault(r["expression"], {}).setdefault(key, []).append(
                (r["threads"], r["speedup"])
            )
    if not lines:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(lines), figsize=(5 * len(lines), 4), squeeze=False)
    counts = result.get("threads") or [1]
    for ax, (expression, by_peer) in zip(axes[0], lines.items(), strict=True):
        for (peer, size), points in sorted(by_peer.items(), key=str):
            ks, speedups = zip(*sorted(points), strict=True)
            ax.plot(ks, speedups, marker="o", label=f"{peer}, N={size:.0e}")
        ax.plot(counts, counts, linestyle=":", color="grey", label="ideal")
        ax.set_xticks(counts)
        ax.set_xlabel("threads")
        ax.set_ylabel("speed-up over 1 thread")
        ax.set_title(expression)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


#: workload name -> plot maker; the PNG is named after the workload.
PLOTS = {"pi": per_element_plot, "heavy": per_element_plot, "threads": thread_plot}


def write_plots(workloads: dict, out: Path) -> list[Path]:
    """Every plot whose workload has results; the paths written.

    matplotlib comes with the ``bench`` extra only: without it the tables are still written
    and the plots are skipped with a note, so a NumPy-only install can run the benchmarks.
    """
    try:
        _pyplot()
    except ImportError as exc:
        print(f"plots skipped: {exc} (pip install '.[bench]' for plots)")
        return []
    written = []
    for name, make in PLOTS.items():
        if name in workloads:
            path = make(workloads[name], out / f"{name}.png")
            if path is not None:
                written.append(path)
    return written
