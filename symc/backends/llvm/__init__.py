"""The LLVM backend: fused elementwise and reduction kernels, compiled for the host CPU.

``make_thunks(fgraph, nodes)`` lowers every ``Elemwise`` and ``Reduce`` node it can (see
:mod:`lowering`) into ONE LLVM module, compiles it once through :mod:`jit` (O3, vectorized,
cached in memory and on disk), and returns a thunk per lowered node; the linker runs the
other nodes on the NumPy backend. The pieces, in the order a node goes through them:

* :mod:`signature` -- the nodes' structural signature: when a record of an earlier compile
  of the same nodes exists, its object code is loaded and none of the steps below run;
* :mod:`lowering` -- node -> operands, loop body and call plan;
* :mod:`emit_scalar` (one emitter per scalar op), :mod:`emit_cast`, :mod:`mathcall`;
* :mod:`emit_loops` / :mod:`emit_reduce` -- chunk functions with the runtime's ABI
  ``void k(void *ctx, int64 chunk, int64 start, int64 stop)``;
* :mod:`emit_entry` -- ``<node>_fast``, a ``METH_FASTCALL`` CPython builtin
  (:mod:`pyfunction`): validates the ndarrays, fills the context, runs the kernel;
* :mod:`objcheck` -- refuses object code calling symbols the process lacks;
* :mod:`callpath` -- the Python thunk: output allocation and one builtin call;
* :mod:`emit_program` -- when this backend runs every node (kernels and ``Shape_i``), one
  more builtin runs the whole function: the linker offers it as ``Program.native`` and the
  ``Function`` calls it directly, falling back on its Python entry for anything unusual.

The IR-building modules (and ``llvmlite.ir``) are imported only when IR is built: a function
whose signature is on record never loads them.

Every kernel's chunk functions (``k<i>_strided``, ``k<i>_contig``) keep the runtime's ABI and
are exported; the entry points split them across the runtime's thread pool when that pays.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING

from symc.backends.llvm import jit
from symc.backends.llvm.arraylayout import layout_ok
from symc.backends.llvm.callpath import make_thunk
from symc.backends.llvm.objcheck import unresolved_symbols
from symc.backends.llvm.pyfunction import NativeProgram, builtin_function, initialize_module
from symc.backends.llvm.signature import ModuleRecord, load_record, signature_text, store_record
from symc.config import config

if TYPE_CHECKING:
    import llvmlite.ir as ir

    from symc.backends.llvm.lowering import NodeKernel

NAME = "llvm"
#: The backend's tag in profiles and in ``Program.tags``.
TAG = "L"

__all__ = ["NAME", "TAG", "build_module", "compile_counters", "make_thunks", "plan_nodes"]


def plan_nodes(nodes, fastmath: tuple | None = None) -> list[NodeKernel]:
    """The kernels of the nodes this backend lowers (with ``config.fastmath`` by default)."""
    from symc.backends.llvm.irtypes import NotLowerable
    from symc.backends.llvm.lowering import plan_node

    if fastmath is None:
        fastmath = tuple(config.fastmath.split())
    plans = []
    for node in nodes:
        try:
            plan = plan_node(node, fastmath)
        except NotLowerable:
            continue
        if plan is not None:
            plans.append(plan)
    return plans


def build_module(plans: list[NodeKernel], fgraph=None,
                 nodes=None) -> tuple[ir.Module, list[NodeKernel], list[str]]:
    """One module holding every plan's kernels, and the whole-function program entry when
    ``fgraph`` (whose nodes in order are ``nodes``) is entirely run by it; plans whose
    emission fails are dropped. Returns ``(module, plans, program entry names)``."""
    import llvmlite.ir as ir

    from symc.backends.llvm.emit_entry import emit_module_init
    from symc.backends.llvm.irtypes import NotLowerable

    plans = list(plans)
    while True:
        module = ir.Module(name="symc_kernels")
        failing = None
        try:
            for k, plan in enumerate(plans):
                failing = plan
                plan.emit(module, f"k{k}")
            failing = None
            program = _emit_program(module, fgraph, nodes, plans) if fgraph is not None else []
            emit_module_init(module)
            return module, plans, program
        except NotLowerable:
            pass
        except Exception as exc:  # a bug in an emitter must not break compilation
            what = f"{failing.node.op} left to NumPy" if failing else "no program entry"
            warnings.warn(f"symc LLVM backend: {what}: {exc!r}", RuntimeWarning, stacklevel=2)
        if failing is None:  # the program entry failed: build the kernels alone
            fgraph = None
        else:
            plans.remove(failing)


def _emit_program(module, fgraph, nodes, plans) -> list[str]:
    """Add the program entry when the plans and the nodes it runs itself (``Shape_i``, views,
    ``Dot``, ``SumToShape``) cover the whole graph."""
    from symc.backends.llvm.emit_program import emit_program, plan_program

    spec = plan_program(fgraph, nodes, plans)
    return emit_program(module, spec) if spec is not None else []


def compile_counters() -> dict[str, float]:
    """A copy of the JIT's process-wide counters (:data:`jit.stats`): the linker reports what
    one function's compile added to them in its profile."""
    return dict(jit.stats)


def make_thunks(fgraph, nodes) -> dict:
    """Thunks for the nodes this backend lowers; the others are left out (NumPy runs them)."""
    if not layout_ok():
        return {}
    # Kernels link against the runtime's dispatch state, a symbol its import defines: it must
    # exist before any object code is loaded.
    import symc.runtime.dispatch  # noqa: F401

    nodes = list(nodes)
    text = signature_text(nodes, fgraph)
    key = jit.ir_key(text) if text is not None else None
    if key is not None:
        record = load_record(key, nodes)
        library = jit.cached_library(record.key, record.symbols()) if record else None
        if library is not None:
            jit.stats["signature_hits"] += 1
            return _thunks(library, record, nodes)
        jit.stats["signature_misses"] += 1
    return _compile_thunks(fgraph, nodes, key)


def _compile_thunks(fgraph, nodes: list, signature_key: str | None) -> dict:
    """Build the module's IR, compile it (or find its object code by the IR's hash), and
    record the result under ``signature_key`` for the next compile of the same nodes."""
    from symc.backends.llvm.emit_entry import MODULE_INIT, type_keys

    start = time.perf_counter()
    planned = plan_nodes(nodes)
    if not planned:
        return {}
    module, plans, program = build_module(planned, fgraph, nodes)
    if not plans:
        return {}
    ir_text = str(module)
    jit.stats["ir_builds"] += 1
    jit.stats["ir_build_seconds"] += time.perf_counter() - start
    try:
        library = jit.compile_ir(ir_text, [MODULE_INIT] + [p.entry for p in plans] + program)
    except jit.CompileError as exc:
        warnings.warn(f"symc LLVM backend: module rejected, NumPy runs every node: {exc}",
                      RuntimeWarning, stacklevel=3)
        return {}
    position = {node: k for k, node in enumerate(nodes)}
    record = ModuleRecord(library.key, MODULE_INIT, type_keys(module),
                          [(position[p.node], p.entry, p.call_plan) for p in plans], program)
    thunks = _thunks(library, record, nodes)
    # A plan dropped during emission is an emitter bug (warned above): not worth remembering,
    # the next compile should try again (and warn again).
    if thunks and signature_key is not None and len(plans) == len(planned):
        store_record(signature_key, record)
    return thunks


def _thunks(library: jit.Library, record: ModuleRecord, nodes: list) -> dict:
    """Initialize the loaded module and wrap each entry point in its node's thunk."""
    missing = unresolved_symbols(library.object_code)
    if missing:
        warnings.warn(f"symc LLVM backend: the kernels need {missing}, which this process "
                      "lacks; NumPy runs every node", RuntimeWarning, stacklevel=3)
        return {}
    initialize_module(library, record.init, record.type_keys)
    native = NativeProgram(library, record.program) if record.program else None
    thunks = {}
    for index, entry, plan in record.kernels:
        call = builtin_function(library, entry, plan.label)
        thunk = thunks[nodes[index]] = make_thunk(plan, call)
        thunk.native_program = native  # the linker offers it to the Function
    return thunks
