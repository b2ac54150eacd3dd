"""The linker: an optimized graph becomes one straight-line Python program of thunk calls.

The program is generated source, compiled once: each line calls one node's thunk. There is
no interpreter loop and no graph walk per call. When a thunk raises, the failing line of the
program names the node, so the error can point at the user's source line that built it.

A thunk whose work is a single Python expression may offer it instead of being called
(``thunk.expression``, a format string over the input names, with ``thunk.expression_globals``
the names it uses): the line then evaluates it in place, saving a Python call per node.
``Shape_i`` is one: ``_int64s[i0.shape[0]]`` costs ~50 ns where calling a thunk costs ~0.4 µs,
a tenth of the whole pi function at N=30,000.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from dataclasses import dataclass, field

import numpy as np

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import FunctionGraph

_BACKEND_MODULES = {"llvm": "symc.backends.llvm", "numpy": "symc.backends.numpy"}


def backend_module(name: str):
    """The backend package called ``name``, or None when it cannot lower anything yet."""
    module = importlib.import_module(_BACKEND_MODULES[name])
    return module if hasattr(module, "make_thunks") else None


def choose_thunks(fgraph: FunctionGraph, order: list[Apply], backend: str):
    """Thunks for every node: the preferred backend first, NumPy for the rest."""
    names = [backend] if backend == "numpy" else [backend, "numpy"]
    thunks: dict[Apply, object] = {}
    tags: dict[Apply, str] = {}
    for name in names:
        module = backend_module(name)
        remaining = [n for n in order if n not in thunks]
        if module is None or not remaining:
            continue
        made = module.make_thunks(fgraph, remaining)
        thunks.update(made)
        tags.update({node: module.TAG for node in made})
    missing = [n for n in order if n not in thunks]
    if missing:
        raise NotImplementedError(f"no backend can run {missing[0].op}")
    return thunks, tags


@dataclass
class Program:
    """A linked program: ``fn(*input_values) -> tuple of output values``.

    ``body`` (the statements between the ``def`` line and the ``return``, source line ``k + 2``
    for ``body[k]``), ``results`` (the returned expressions) and ``namespace`` (the globals
    they use) let :mod:`symc.compile.entry` inline the program into a function's entry;
    ``body`` is None for an instrumented (profiled) program, which is only ever called.
    """

    fn: object
    source: str
    order: list[Apply]
    tags: dict[Apply, str]
    line_node: dict[int, Apply] = field(default_factory=dict)
    line_args: dict[int, list[str]] = field(default_factory=dict)
    body: list[str] | None = None
    results: list[str] = field(default_factory=list)
    namespace: dict = field(default_factory=dict)
    #: A backend's native version of the whole program (``bind(python_entry, return_list)``
    #: makes the function's entry), or None. Never set for an instrumented program.
    native: object = None


def _origin(var: Variable) -> Variable:
    """The variable whose memory ``var`` may share (following ops' ``view_of`` maps)."""
    while var.owner is not None:
        view_of = getattr(var.owner.op, "view_of", None)
        if not view_of or var.index not in view_of:
            return var
        var = var.owner.inputs[view_of[var.index]]
    return var


def _output_needs_copy(fgraph: FunctionGraph) -> list[bool]:
    """Which outputs must be copied so none aliases an input, a constant or another output."""
    seen: set[Variable] = set()
    flags = []
    for var in fgraph.outputs:
        origin = _origin(var)
        flags.append(origin.owner is None or origin in seen)
        seen.add(origin)
    return flags


class _Names:
    def __init__(self, fgraph: FunctionGraph, namespace: dict):
        self.names: dict[Variable, str] = {v: f"i{k}" for k, v in enumerate(fgraph.inputs)}
        self.namespace = namespace

    def __call__(self, var: Variable) -> str:
        if var not in self.names:
            if isinstance(var, Constant):
                name = f"c{len(self.namespace)}"
                self.namespace[name] = var.argument()
            else:
                name = f"v{len(self.names)}"
            self.names[var] = name
        return self.names[var]


def _last_uses(order: list[Apply], outputs: list[Variable]) -> dict[int, list[Variable]]:
    last: dict[Variable, int] = {}
    for k, node in enumerate(order):
        for var in node.inputs:
            if var.owner is not None:
                last[var] = k
    keep = set(outputs)
    by_line: dict[int, list[Variable]] = {}
    for var, k in last.items():
        if var not in keep:
            by_line.setdefault(k, []).append(var)
    return by_line


def _value_name(var: Variable, name: _Names, namespace: dict) -> str:
    """The name holding ``var``'s value as an output: a weak constant's array itself (thunks
    get it as a Python scalar, which would lose a padded shape such as (1,))."""
    if isinstance(var, Constant) and var.weak:
        namespace[f"{name(var)}_array"] = var.data
        return f"{name(var)}_array"
    return name(var)


def _fresh_array(var: Variable, thunks: dict) -> bool:
    """True when ``var`` comes from a thunk that always returns new ndarrays (a backend marks
    such thunks with ``returns_ndarray = True``), so it needs no ``np.asarray``."""
    return var.owner is not None and getattr(thunks.get(var.owner), "returns_ndarray", False)


def _call_text(k: int, thunk, args: list[str], namespace: dict) -> str:
    """The right-hand side computing node ``k``: its thunk's inline expression, or a call."""
    expression = getattr(thunk, "expression", None)
    if expression is None:
        return f"t{k}({', '.join(args)})"
    namespace.update(thunk.expression_globals)
    return expression.format(*args)


def link(fgraph: FunctionGraph, backend: str, profiler=None) -> Program:
    """Generate, compile and return the program computing ``fgraph``'s outputs."""
    order = fgraph.toposort()
    before = _compile_counters(backend) if profiler is not None else {}
    with profiler.compiling() if profiler is not None else contextlib.nullcontext():
        thunks, tags = choose_thunks(fgraph, order, backend)
    if profiler is not None:
        _report_compile(profiler, before, _compile_counters(backend))
    namespace: dict = {"_copy": np.array, "_asarray": np.asarray}
    name = _Names(fgraph, namespace)
    lines = [f"def program({', '.join(name(v) for v in fgraph.inputs)}):"]
    program = Program(None, "", order, tags)
    frees = _last_uses(order, fgraph.outputs)
    # Profiling adds clock stamps between nodes (see symc/profiling/record.py), not wrappers.
    rec = profiler.instrument(order, tags, fgraph.outputs) if profiler is not None else None
    if rec is not None:
        rec.bind(namespace)
        lines += rec.prologue()
    for k, node in enumerate(order):
        namespace[f"t{k}"] = thunks[node]
        args = [name(v) for v in node.inputs]
        outs = ", ".join(name(v) for v in node.outputs) + ("," if len(node.outputs) > 1 else "")
        program.line_node[len(lines) + 1] = node
        program.line_args[len(lines) + 1] = args
        lines.append(f"    {outs} = {_call_text(k, thunks[node], args, namespace)}")
        if rec is not None:
            lines += rec.after_call(k, [name(v) for v in node.outputs])
        dead = [name(v) for v in frees.get(k, [])]
        # After the last node, returning frees the locals anyway (unless a stamp follows).
        if dead and (k < len(order) - 1 or rec is not None):
            lines.append(f"    del {', '.join(dead)}")
        if rec is not None:
            lines += rec.after_node(k)
    results = [f"_copy({_value_name(v, name, namespace)})" if copy else (
        name(v) if _fresh_array(v, thunks) else f"_asarray({name(v)})")
        for v, copy in zip(fgraph.outputs, _output_needs_copy(fgraph), strict=True)]
    results_text = f"{', '.join(results)}{',' if len(results) == 1 else ''}"
    program.body = lines[1:] if rec is None else None
    program.native = _native_program(thunks) if rec is None else None
    program.results, program.namespace = results, namespace
    lines += rec.epilogue(results_text) if rec is not None else [f"    return ({results_text})"]
    program.source = "\n".join(lines) + "\n"
    exec(compile(program.source, f"<symc program {id(program):x}>", "exec"), namespace)
    program.fn = namespace["program"]
    return program


#: A backend's compile counters (``compile_counters()``) as profile phases and cache kinds.
_PHASES = {"ir_build_seconds": "LLVM IR build", "parse_seconds": "LLVM parse",
           "optimize_seconds": "LLVM optimize", "codegen_seconds": "LLVM code generation",
           "load_seconds": "LLVM load"}
_CACHE_KINDS = {"memory_hits": "memory", "disk_hits": "disk", "misses": "miss"}


def _compile_counters(backend: str) -> dict:
    module = backend_module(backend)
    counters = getattr(module, "compile_counters", None)
    return counters() if counters is not None else {}


def _report_compile(profiler, before: dict, after: dict) -> None:
    """Give the profile what this link added to the backend's counters: seconds per compile
    phase, and where the kernels' object code came from."""
    for key, phase in _PHASES.items():
        seconds = after.get(key, 0.0) - before.get(key, 0.0)
        if seconds > 0:
            profiler.add_compile_phase(phase, seconds)
    for key, kind in _CACHE_KINDS.items():
        for _ in range(int(after.get(key, 0) - before.get(key, 0))):
            profiler.note_cache(kind)


def _native_program(thunks: dict):
    """The native program a backend offers with its thunks (``thunk.native_program``): the
    backend attaches it only when it saw every node and runs the whole graph itself."""
    for thunk in thunks.values():
        native = getattr(thunk, "native_program", None)
        if native is not None:
            return native
    return None


def time_call(fn, *args):
    """``(result, seconds)`` of one call, for compile-phase bookkeeping."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start
