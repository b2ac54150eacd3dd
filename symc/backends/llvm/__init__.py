"""The LLVM backend: fused elementwise and reduction kernels, compiled for the host CPU.

``make_thunks(fgraph, nodes)`` lowers every ``Elemwise`` and ``Reduce`` node it can (see
:mod:`lowering`) into ONE LLVM module, compiles it once through :mod:`jit` (O3, vectorized,
cached in memory and on disk), and returns a thunk per lowered node; the linker runs the
other nodes on the NumPy backend. The pieces, in the order a node goes through them:

* :mod:`lowering` -- node -> operands, loop body and call plan;
* :mod:`emit_scalar` (one emitter per scalar op), :mod:`emit_cast`, :mod:`mathcall`;
* :mod:`emit_loops` / :mod:`emit_reduce` -- chunk functions with the runtime's ABI
  ``void k(void *ctx, int64 chunk, int64 start, int64 stop)``;
* :mod:`emit_entry` -- ``<node>_fast``, a ``METH_FASTCALL`` CPython builtin
  (:mod:`pyfunction`): validates the ndarrays, fills the context, runs the kernel;
* :mod:`objcheck` -- refuses object code calling symbols the process lacks;
* :mod:`callpath` -- the Python thunk: output allocation and one builtin call.

Every kernel's chunk functions (``k<i>_strided``, ``k<i>_contig``) keep the runtime's ABI and
are exported, so a thread pool can split them; for now the entry point runs one chunk.
"""

from __future__ import annotations

import warnings

import llvmlite.ir as ir

from symc.backends.llvm.arraylayout import layout_ok
from symc.backends.llvm.callpath import make_thunk
from symc.backends.llvm.emit_entry import MODULE_INIT, emit_module_init, type_keys
from symc.backends.llvm.irtypes import NotLowerable
from symc.backends.llvm.lowering import NodeKernel, plan_node
from symc.backends.llvm.objcheck import unresolved_symbols
from symc.backends.llvm.pyfunction import builtin_function, initialize_module
from symc.config import config

NAME = "llvm"
#: The backend's tag in profiles and in ``Program.tags``.
TAG = "L"

__all__ = ["NAME", "TAG", "build_module", "make_thunks", "plan_nodes"]


def plan_nodes(nodes, fastmath: tuple | None = None) -> list[NodeKernel]:
    """The kernels of the nodes this backend lowers (with ``config.fastmath`` by default)."""
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


def build_module(plans: list[NodeKernel]) -> tuple[ir.Module, list[NodeKernel]]:
    """One module holding every plan's kernels; plans whose emission fails are dropped."""
    plans = list(plans)
    while True:
        module = ir.Module(name="symc_kernels")
        try:
            for k, plan in enumerate(plans):
                failing = plan
                plan.emit(module, f"k{k}")
            emit_module_init(module)
            return module, plans
        except NotLowerable:
            pass
        except Exception as exc:  # a bug in an emitter must not break compilation
            warnings.warn(f"symc LLVM backend: {failing.node.op} left to NumPy: {exc!r}",
                          RuntimeWarning, stacklevel=2)
        plans.remove(failing)


def make_thunks(fgraph, nodes) -> dict:
    """Thunks for the nodes this backend lowers; the others are left out (NumPy runs them)."""
    if not layout_ok():
        return {}
    plans = plan_nodes(nodes)
    if not plans:
        return {}
    module, plans = build_module(plans)
    if not plans:
        return {}
    from symc.backends.llvm.jit import CompileError, compile_ir

    try:
        library = compile_ir(str(module), [MODULE_INIT] + [p.entry for p in plans])
    except CompileError as exc:
        warnings.warn(f"symc LLVM backend: module rejected, NumPy runs every node: {exc}",
                      RuntimeWarning, stacklevel=2)
        return {}
    missing = unresolved_symbols(library.object_code)
    if missing:
        warnings.warn(f"symc LLVM backend: the kernels need {missing}, which this process "
                      "lacks; NumPy runs every node", RuntimeWarning, stacklevel=2)
        return {}
    initialize_module(library, MODULE_INIT, type_keys(module))
    thunks = {}
    for plan in plans:
        call = builtin_function(library, plan.entry, plan.call_plan.label)
        thunks[plan.node] = make_thunk(plan.call_plan, call)
    return thunks
