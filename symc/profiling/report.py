"""The text report of a ``ProfileStats``, in the order and layout of Theano's ``summary()``.

(Not called ``summary.py``: importing such a submodule would replace the package's
``symc.profiling.summary()`` function with the module.)

The report is rendered from :func:`profile_dict`, the same plain data ``to_dict()`` returns,
so what is printed and what is exported cannot disagree. Sections, in Theano's order:

    Function profiling            global: calls, time in __call__ / program / nodes, compile
    Class / Ops / Apply           <% time> <sum %> <apply time> <time per call> <type> <#call>
                                  <#apply> <name>   (Apply shows <id> instead of <#apply>)
    Memory Profile                peak of live intermediates in a call, largest outputs

``<type>`` is the backend that ran the nodes: ``L`` (LLVM) or ``Py`` (NumPy); a row whose
nodes ran on several backends lists them all (``L,Py``).
"""

from __future__ import annotations

_HEADER = "<% time> <sum %> <apply time> <time per call> <type> <#call> {count} <{what} name>"


# -- the data ----------------------------------------------------------------------------------
def _node_rows(stats) -> list[dict]:
    """One dict per node of every program, with its totals."""
    rows = []
    for f, record in enumerate(stats.records):
        for node, ns in zip(record.nodes, record.node_ns.tolist(), strict=True):
            k = node.index
            rows.append({
                "function": f, "id": k, "op": node.op, "class": node.cls, "apply": node.apply,
                "tag": node.tag, "calls": record.calls, "time": ns * 1e-9,
                "threads": record.threads[k], "chunks": record.chunks[k],
                "parallel_calls": record.parallel_calls[k],
                "outputs": [{"shape": list(out.shape), "dtype": out.dtype, "bytes": out.nbytes,
                             "view": out.view} for out in node.outputs],
            })
    return rows


def profile_dict(stats) -> dict:
    """Everything behind the report as JSON-serializable objects (times in seconds)."""
    stats.fold()
    records = stats.records
    return {
        "message": stats.message,
        "functions": len(records),
        "calls": stats.calls,
        "call_time": stats.call_time,
        "program_time": sum(r.program_ns for r in records) * 1e-9,
        "node_time": sum(int(r.node_ns.sum()) for r in records) * 1e-9,
        "compile": {
            "total": stats.compile_time["total"],
            "rewrite": dict(stats.compile_time["rewrite"]),
            "link": stats.compile_time["link"],
            "phases": dict(stats.compile_phases),
            "cache": dict(stats.cache),
            "n_nodes": sum(len(r.nodes) for r in records),
        },
        "nodes": _node_rows(stats),
        "memory": {
            "peak_bytes": max((r.peak_bytes for r in records), default=0),
            "probed_calls": sum(r.probed_calls for r in records),
            "probe_every": stats.fold_every,
        },
    }


# -- formatting helpers ----------------------------------------------------------------------
def _pct(part: float, whole: float) -> float:
    """``100 * part / whole``, and 0 for a function never called or too fast to time."""
    return 100.0 * part / whole if whole > 0 else 0.0


def _per(total: float, count: int) -> float:
    """``total / count``, 0 when nothing was counted."""
    return total / count if count else 0.0


def _kb(nbytes: int) -> str:
    """Bytes the way Theano's memory profile prints them: ``469KB``."""
    return f"{round(nbytes / 1024)}KB"


# -- the sections ----------------------------------------------------------------------------
def _global_lines(data: dict) -> list[str]:
    calls, call_time = data["calls"], data["call_time"]
    program, nodes = data["program_time"], data["node_time"]
    return [
        "Function profiling",
        "==================",
        f"  Message: {data['message']}",
        f"  Time in {calls} calls to Function.__call__: {call_time:e}s",
        f"  Time in the program (Function.fn.__call__): {program:e}s "
        f"({_pct(program, call_time):.3f}%)",
        f"  Time in nodes (thunks): {nodes:e}s ({_pct(nodes, call_time):.3f}%)",
        f"  Time per call: {_per(call_time, calls):.3e}s in __call__, "
        f"{_per(program, calls):.3e}s in the program, {_per(nodes, calls):.3e}s in nodes",
        *_compile_lines(data["compile"]),
    ]


def _compile_lines(comp: dict) -> list[str]:
    rewrite = comp["rewrite"]
    lines = [f"  Total compile time: {comp['total']:e}s",
             f"    Number of Apply nodes: {comp['n_nodes']}",
             f"    Rewrite time: {sum(rewrite.values()):e}s"]
    lines += [f"       {name}: {seconds:e}s" for name, seconds in rewrite.items()]
    lines.append(f"    Linker time (includes code generation and LLVM compilation): "
                 f"{comp['link']:e}s")
    lines += [f"       {name}: {seconds:e}s" for name, seconds in comp["phases"].items()]
    cache = comp["cache"]
    if any(cache.values()):
        lines.append(f"    Kernel cache: {cache['memory']} memory hits, {cache['disk']} disk hits, "
                     f"{cache['miss']} misses (compiled)")
    return lines


def _grouped(rows: list[dict], key: str) -> list[dict]:
    """Rows summed per ``key`` (class or op): time, calls, number of nodes, backends."""
    groups: dict[str, dict] = {}
    for row in rows:
        group = groups.setdefault(row[key], {"name": row[key], "time": 0.0, "calls": 0,
                                             "count": 0, "tags": []})
        group["time"] += row["time"]
        group["calls"] += row["calls"]
        group["count"] += 1
        if row["tag"] not in group["tags"]:
            group["tags"].append(row["tag"])
    for group in groups.values():
        group["tag"] = ",".join(sorted(group["tags"]))
    return list(groups.values())


def _table(title: str, underline: str, what: str, count: str, rows: list[dict], limit: int,
           total: float) -> list[str]:
    """One Theano table: header, the ``limit`` costliest rows, then the remainder line."""
    ranked = sorted(rows, key=lambda r: r["time"], reverse=True)
    lines = [title, underline, _HEADER.format(count=count, what=what)]
    cumulative = 0.0
    for row in ranked[:limit]:
        pct = _pct(row["time"], total)
        cumulative += pct
        # Each value ends under the end of its header: "<% time>" is 8 wide, " <sum %>" 8...
        lines.append(f"{pct:7.1f}%{cumulative:7.1f}%{row['time']:12.3f}s"
                     f"{_per(row['time'], row['calls']):15.2e}s{row['tag']:>7}"
                     f"{row['calls']:>8}{row['count']:>{len(count) + 1}}   {row['name']}")
        lines += row.get("extra", [])
    rest = ranked[limit:]
    rest_time = sum(r["time"] for r in rest)
    plural = {"Class": "Classes", "Op": "Ops", "Apply": "Apply instances"}[what]
    lines.append(f"   ... (remaining {len(rest)} {plural} account for "
                 f"{_pct(rest_time, total):6.2f}%({rest_time:.2f}s) of the runtime)")
    return lines


def _apply_rows(data: dict) -> list[dict]:
    """Rows of the Apply table: ``<id>`` in the count column, thread use underneath."""
    several = data["functions"] > 1
    rows = []
    for node in data["nodes"]:
        ident = f"{node['function']}:{node['id']}" if several else str(node["id"])
        extra = []
        if node["parallel_calls"]:
            n = node["parallel_calls"]
            extra.append(f"    parallel in {n} of {node['calls']} calls: "
                         f"{node['threads'] / n:.1f} threads, {node['chunks'] / n:.1f} chunks "
                         "per call")
        rows.append({"name": node["apply"], "time": node["time"], "calls": node["calls"],
                     "tag": node["tag"], "count": ident, "extra": extra})
    return rows


def _memory_lines(data: dict, limit: int) -> list[str]:
    memory = data["memory"]
    lines = ["Memory Profile", "---"]
    if not data["nodes"]:
        return lines + ["    (no nodes: the function computes nothing)"]
    if not memory["probed_calls"]:
        return lines + ["    (no call measured yet: sizes are taken during calls)"]
    outputs = [(sum(o["bytes"] for o in node["outputs"]), node) for node in data["nodes"]]
    total = sum(nbytes for nbytes, _ in outputs)
    lines += [
        f"    Max peak memory of intermediates in a call: {_kb(memory['peak_bytes'])} "
        f"({memory['peak_bytes']}B)",
        f"    Sum of all node outputs in a call: {_kb(total)} ({total}B)",
        f"    (measured on {memory['probed_calls']} sampled calls: the first, then one every "
        f"{memory['probe_every']} calls;",
        "     c: the node allocated the output, v: a view of an input, which allocates nothing)",
        "",
        "    <Sum apply outputs (bytes)> <Apply outputs shape> <Apply outputs dtype> "
        "<created/view> <Apply name>",
    ]
    ranked = sorted(outputs, key=lambda item: item[0], reverse=True)
    for nbytes, node in ranked[:limit]:
        shapes = ", ".join(str(tuple(o["shape"])) for o in node["outputs"])
        dtypes = ", ".join(o["dtype"] for o in node["outputs"])
        kinds = "".join("v" if o["view"] else "c" for o in node["outputs"])
        lines.append(f"    {nbytes:>10}B  [{shapes}] [{dtypes}] {kinds} #{node['id']} "
                     f"{node['apply']}")
    rest = sum(nbytes for nbytes, _ in ranked[limit:])
    lines.append(f"   ... (remaining {len(ranked[limit:])} Apply account for {rest}B/{total}B "
                 f"({_pct(rest, total):.2f}%) of the Apply outputs)")
    return lines


def render(data: dict, n_ops: int = 20, n_apply: int = 20) -> str:
    """The report for ``data`` (a :func:`profile_dict`)."""
    rows, total = data["nodes"], data["node_time"]
    lines = _global_lines(data) + [""]
    lines += _table("Class", "---", "Class", "<#apply>", _grouped(rows, "class"), n_ops, total)
    lines.append("")
    lines += _table("Ops", "---", "Op", "<#apply>", _grouped(rows, "op"), n_ops, total)
    lines.append("")
    lines += _table("Apply", "------", "Apply", "<id>", _apply_rows(data), n_apply, total)
    lines.append("")
    lines += _memory_lines(data, n_apply)
    return "\n".join(lines) + "\n"


def format_summary(stats, n_ops: int = 20, n_apply: int = 20) -> str:
    """The text report of ``stats`` (a ``ProfileStats``)."""
    return render(profile_dict(stats), n_ops=n_ops, n_apply=n_apply)
