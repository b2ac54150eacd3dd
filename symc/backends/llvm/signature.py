"""Structural signatures: the name of a function's compiled module, known before any IR exists.

Building a module's IR and printing it costs ~10 ms of Python for pi, more than loading its
object code from the disk cache. The IR is a function of the nodes being lowered and little
else, so the backend names it by a *signature* made from:

* each node's op (class and declared props, recursively: a ``Composite``'s whole program,
  inlined constants by their bits) and its inputs' and outputs' types (dtype and static
  shape; a constant input also by its value, since scalar constants are compiled in);
* every ``symc.config`` setting except ``cache_dir`` (``fastmath``, ``simd_math``, ...);
* the size and modification time of every ``.py`` file of the symc package, so that editing
  an emitter invalidates old signatures (the rule Python's own bytecode cache uses);
* through :func:`~symc.backends.llvm.jit.ir_key`, the versions of symc, llvmlite and LLVM, the
  host CPU name and features, and the JIT pipeline.

A :class:`ModuleRecord`, stored in :data:`~symc.backends.llvm.codecache.signature_cache` (in
memory and on disk) under the signature, says what the IR path produced: the object code's
key in the code cache, the entry point and call plan of each lowered node, the type objects
the module initializer takes. With it, a second ``function()`` of the same graph -- in this
process or a later one -- loads the object code without building, printing or hashing IR.
The IR key stays the identity of the object code; a record only points at it. A record that
is damaged, stale or points at a missing entry is ignored, and the IR path rebuilds it.
"""

from __future__ import annotations

import functools
import os
import pickle
from dataclasses import dataclass, field, fields

import numpy as np

import symc
from symc.backends.llvm.callpath import CallPlan
from symc.backends.llvm.codecache import signature_cache
from symc.config import config
from symc.graph.basic import Constant, Op
from symc.graph.types import TensorType
from symc.ops.scalar import ScalarOp

__all__ = ["ModuleRecord", "code_version", "load_record", "node_text", "signature_text",
           "wiring_text",
           "store_record"]

#: Bumped when the signature text or the record layout changes meaning.
FORMAT = "symc-signature-2"
#: Settings that cannot change the IR: where the cache lives, and the thread count (kernels
#: read ``config.num_threads`` at call time, so changing it must not rebuild modules).
_IGNORED_SETTINGS = frozenset({"cache_dir", "num_threads"})


class Unsignable(Exception):
    """A node holds a value the signature cannot spell exactly; such a graph goes the IR way."""


@dataclass
class ModuleRecord:
    """What the IR path made of a list of nodes: enough to use its object code directly.

    ``kernels`` holds ``(node position, entry symbol, call plan)`` per lowered node;
    ``type_keys`` the arguments of the module initializer ``init`` (see :mod:`emit_entry`);
    ``program`` the whole-function entries (:mod:`emit_program`), when the module has them.
    """

    key: str
    init: str
    type_keys: list[str]
    kernels: list[tuple[int, str, CallPlan]]
    program: list[str] = field(default_factory=list)

    def symbols(self) -> list[str]:
        """The functions the library must expose: the initializer, each entry point and the
        program entries."""
        return [self.init] + [entry for _, entry, _ in self.kernels] + list(self.program)


def signature_text(nodes, fgraph=None) -> str | None:
    """The text naming the module that lowering ``nodes`` (in this order) gives, or ``None``
    when some op holds a value without an exact spelling. With ``fgraph``, the text also
    says how the nodes are wired to each other and to its inputs and outputs (the program
    entry depends on that)."""
    try:
        body = "\n".join(node_text(node) for node in nodes)
    except Unsignable:
        return None
    wiring = wiring_text(fgraph, nodes) if fgraph is not None else ""
    return f"{FORMAT}\n{code_version()}\n{_settings_text()}\n{body}\n{wiring}"


def wiring_text(fgraph, nodes) -> str:
    """The graph's input types (all of them: the program entry checks even unused ones), then
    each node's inputs and the graph's outputs as ``i<k>`` (the graph's input ``k``),
    ``n<j>.<o>`` (output ``o`` of node ``j``) or ``c`` (a constant, spelled by node_text)."""
    inputs = "inputs:" + ",".join(_type_text(var.type) for var in fgraph.inputs)
    names = {var: f"i{k}" for k, var in enumerate(fgraph.inputs)}
    for j, node in enumerate(nodes):
        names.update({out: f"n{j}.{o}" for o, out in enumerate(node.outputs)})
    lines = [",".join(names.get(var, "c" if isinstance(var, Constant) else "?")
                      for var in node.inputs) for node in nodes]
    outputs = ",".join(names.get(v, "?") for v in fgraph.outputs)
    return f"{inputs} wiring:{';'.join(lines)} out:{outputs}"


def node_text(node) -> str:
    """One node: its op, its inputs (types; constants with their values), its output types."""
    inputs = ",".join(_input_text(var) for var in node.inputs)
    outputs = ",".join(_type_text(var.type) for var in node.outputs)
    return f"{_encode(node.op)}({inputs})->{outputs}"


@functools.cache
def code_version() -> str:
    """symc's version and the size and mtime of each of its source files (read once)."""
    root = os.path.dirname(os.path.abspath(symc.__file__))
    return ";".join([symc.__version__, *_source_stats(root, "")])


def _source_stats(folder: str, prefix: str) -> list[str]:
    """``path:size:mtime`` of every ``.py`` file under ``folder``, in a fixed order."""
    found = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".py") and entry.is_file():
                stat = entry.stat()
                found.append(f"{prefix}{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
            elif entry.is_dir() and entry.name != "__pycache__":
                found += _source_stats(entry.path, f"{prefix}{entry.name}/")
    return found


def _settings_text() -> str:
    return ";".join(f"{f.name}={getattr(config, f.name)!r}" for f in fields(config)
                    if f.name not in _IGNORED_SETTINGS)


def _type_text(t: TensorType) -> str:
    return f"{t.dtype}{t.shape!r}"


def _input_text(var) -> str:
    if isinstance(var, Constant):
        data = np.ascontiguousarray(var.data)
        return f"C{_type_text(var.type)}w{int(var.weak)}:{data.tobytes().hex()}"
    return f"V{_type_text(var.type)}"


def _class_name(value) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


_PLAIN = (type(None), bool, int, float, str)


def _encode(value) -> str:
    """An exact, deterministic spelling of an op prop; :class:`Unsignable` for anything else.

    Only exact types are spelled (a subclass might compare or print differently), and every
    value is tagged with its type, so ``1``, ``1.0``, ``True`` and ``"1"`` differ.
    """
    cls = type(value)
    if cls in _PLAIN:
        return f"{cls.__name__}:{value!r}"
    if cls in (tuple, list):
        return f"{cls.__name__}({','.join(_encode(v) for v in value)})"
    if cls is bytes:
        return f"bytes:{value.hex()}"
    if cls is slice:
        return f"slice({_encode(value.start)},{_encode(value.stop)},{_encode(value.step)})"
    if isinstance(value, ScalarOp):  # a Composite's props hold its whole program
        return f"{_class_name(value)}:{value.name}{_encode(value.props)}"
    if isinstance(value, Op):
        props = ",".join(f"{name}={_encode(getattr(value, name))}" for name in value.__props__)
        return f"{_class_name(value)}{{{props}}}"
    if cls is TensorType:
        return _type_text(value)
    raise Unsignable(f"cannot spell {value!r} ({_class_name(value)})")


def load_record(key: str, nodes: list) -> ModuleRecord | None:
    """The record stored under ``key``, or ``None`` when there is none or it does not fit.

    A record whose payload does not unpickle into a well-formed :class:`ModuleRecord` for
    ``nodes`` is treated as absent (the IR path then overwrites it): the framing's checksum
    already rejects torn and damaged files, this catches stale or foreign ones.
    """
    found = signature_cache.get(key)
    if found is None:
        return None
    try:
        record = pickle.loads(found[0])
    except Exception:  # a pickle from an incompatible symc: ignore, it will be replaced
        return None
    return record if _fits(record, nodes) else None


def _fits(record, nodes: list) -> bool:
    if type(record) is not ModuleRecord or not isinstance(record.key, str):
        return False
    if not (isinstance(record.program, list) and all(type(s) is str for s in record.program)):
        return False
    for entry in record.kernels:
        if not (isinstance(entry, tuple) and len(entry) == 3):
            return False
        index, _, plan = entry
        if not (type(index) is int and 0 <= index < len(nodes) and type(plan) is CallPlan):
            return False
        if plan.n_inputs != len(nodes[index].inputs):
            return False
    return bool(record.kernels)


def store_record(key: str, record: ModuleRecord) -> None:
    """Keep ``record`` under ``key`` in memory and on disk."""
    signature_cache.put(key, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
