"""One linked program's measurements: the stamps its generated code takes, folded per node.

The linker asks a :class:`ProgramRecord` for the lines that instrument a program. The
profiled program takes one clock stamp before its first node and one after each node (and
after the ``del`` that frees what the node was the last to read), then hands all stamps of
the call to :attr:`ProgramRecord.buffer` in one ``list.extend``::

    def program(i0, i1):
        _probe = _rec.probe
        _p0 = _clock()
        v3 = t0(i0, i1)
        _probe and _probe(0, (v3,))
        _p1 = _clock()
        ...
        _r = (_asarray(v9),)
        _stamps((_p0, _p1, ..., _pN, _clock()))
        return _r

Why stamps in the program rather than a timing wrapper around each thunk: a wrapper costs a
Python frame and two clock reads per node; a stamp costs one clock read and a local store.
Node ``k`` ran from stamp ``k`` to stamp ``k+1``; the last stamp closes the program, so it
also counts the copies of the outputs. Stamps are folded into per-node totals with NumPy every
:func:`fold_interval` calls (by :class:`~symc.profiling.stats.ProfileStats`), not on each call.

Memory is measured by a *probe*: on the first call after each fold, ``_rec.probe`` is set and
the program passes each node's outputs to :meth:`ProgramRecord.measure`, which keeps their
sizes; the peak of live intermediates in that call follows from the order in which the
program frees them (at their last use, or when every view of them is dead).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from time import perf_counter_ns

import numpy as np

#: Calls between two folds of the stamp buffer into totals (and two memory probes)...
FOLD_EVERY = 256
#: ...unless that many calls' stamps would exceed this many (each is a ~40-byte Python int).
FOLD_MAX_STAMPS = 65536


def fold_interval(width: int) -> int:
    """Calls between folds for programs of ``width`` stamps per call: bounds the buffer."""
    return max(1, min(FOLD_EVERY, FOLD_MAX_STAMPS // width))


@dataclass
class OutputInfo:
    """One output of a node: the largest size seen by a probe, and whether it is a view."""

    view: bool
    nbytes: int = 0
    shape: tuple = ()
    dtype: str = ""


@dataclass
class NodeInfo:
    """What a profile keeps of one node: strings for the report, no reference to the graph."""

    index: int
    op: str
    cls: str
    apply: str
    tag: str
    outputs: list[OutputInfo] = field(default_factory=list)


def _apply_name(node, producer: dict) -> str:
    """``Op(input, ...)`` with intermediates named ``#k`` after the Apply id that made them."""
    names = []
    for var in node.inputs:
        if var in producer:
            k, j, n_out = producer[var]
            names.append(f"#{k}" if n_out == 1 else f"#{k}.{j}")
        else:
            names.append(str(var))
    return f"{node.op}({', '.join(names)})"


def _view_source(node, j: int):
    """The input that output ``j`` of ``node`` is a view of, or None."""
    view_of = getattr(node.op, "view_of", None)
    if not view_of or j not in view_of:
        return None
    return node.inputs[view_of[j]]


def _lifetimes(order, outputs) -> list[list[int]]:
    """For each node output: the index of the node after which its buffer is freed.

    ``len(order)`` means "at the end of the call" (a function output, or never read); ``-1``
    marks a view, which allocates nothing. A buffer lives until the last read of itself or of
    any view of it: that is when the linker's ``del`` drops the last reference.
    """
    end = len(order)
    base: dict = {}  # intermediate -> the intermediate buffer it lives in (None: an input's)
    free_after: dict = {}
    for k, node in enumerate(order):
        for var in node.inputs:
            buffer = base.get(var)
            if buffer is not None:
                free_after[buffer] = k  # k only grows: the last read wins
        for j, var in enumerate(node.outputs):
            source = _view_source(node, j)
            base[var] = var if source is None else base.get(source)
            if source is None:
                free_after[var] = end
    for var in outputs:
        buffer = base.get(var)
        if buffer is not None:
            free_after[buffer] = end
    return [[free_after[v] if base[v] is v else -1 for v in node.outputs] for node in order]


class ProgramRecord:
    """Per-node totals, recent stamps, memory and thread use of one linked program."""

    def __init__(self, order, tags, outputs=(), trace_calls: int = 100):
        producer = {v: (k, j, len(n.outputs)) for k, n in enumerate(order)
                    for j, v in enumerate(n.outputs)}
        self.nodes = [NodeInfo(k, str(n.op), type(n.op).__name__, _apply_name(n, producer),
                               tags[n], [OutputInfo(_view_source(n, j) is not None)
                                         for j in range(len(n.outputs))])
                      for k, n in enumerate(order)]
        self.node_key = {id(n): k for k, n in enumerate(order)}
        self.free_after = _lifetimes(order, list(outputs))
        self.width = len(order) + 2
        self.calls = 0
        self.node_ns = np.zeros(len(order), dtype=np.int64)
        self.program_ns = 0
        #: Flat stamps of calls not yet folded; the program extends it, once per call.
        self.buffer: list[int] = []
        self.recent = np.zeros((0, self.width), dtype=np.int64)
        self.trace_calls = trace_calls
        #: ``measure`` when the next call should report output sizes, else None.
        self.probe = self.measure
        self.probed_calls = 0
        self.peak_bytes = 0
        self._sizes: list[list[tuple]] = [[] for _ in order]
        self.threads = [0] * len(order)
        self.chunks = [0] * len(order)
        self.parallel_calls = [0] * len(order)
        self.chunk_spans: deque = deque(maxlen=trace_calls * 8)

    # -- the linker's side: lines of the instrumented program ---------------------------
    def bind(self, namespace: dict) -> None:
        """Put what the instrumented program calls into its global ``namespace``."""
        namespace.update(_clock=perf_counter_ns, _stamps=self.buffer.extend, _rec=self)

    @staticmethod
    def prologue() -> list[str]:
        """Lines opening the program: read the probe switch, take the first stamp."""
        return ["    _probe = _rec.probe", "    _p0 = _clock()"]

    @staticmethod
    def after_call(k: int, out_names: list[str]) -> list[str]:
        """The line after node ``k``'s call: hand its outputs to the probe when it is on."""
        return [f"    _probe and _probe({k}, ({', '.join(out_names)},))"]

    @staticmethod
    def after_node(k: int) -> list[str]:
        """The stamp closing node ``k`` (after its ``del``, so freeing is part of the node)."""
        return [f"    _p{k + 1} = _clock()"]

    def epilogue(self, results: str) -> list[str]:
        """Lines closing the program: build the results, stamp, hand over the stamps."""
        stamps = ", ".join(f"_p{k}" for k in range(self.width - 1))
        return [f"    _r = ({results})", f"    _stamps(({stamps}, _clock()))", "    return _r"]

    # -- run time ------------------------------------------------------------------------
    def measure(self, k: int, outputs: tuple) -> None:
        """The probe: keep the sizes of node ``k``'s outputs in this call."""
        self._sizes[k] = [(getattr(v, "nbytes", 0), tuple(getattr(v, "shape", ())),
                           str(getattr(v, "dtype", type(v).__name__))) for v in outputs]
        if k == len(self.nodes) - 1:
            self.probe = None
            self._close_probe()

    def _close_probe(self) -> None:
        """Fold the sizes of a fully probed call into the maxima and the peak."""
        live = peak = 0
        frees = [0] * (len(self.nodes) + 1)
        for k, (node, sizes) in enumerate(zip(self.nodes, self._sizes, strict=True)):
            for out, (nbytes, shape, dtype), free in zip(node.outputs, sizes,
                                                         self.free_after[k], strict=True):
                if nbytes >= out.nbytes:
                    out.nbytes, out.shape, out.dtype = nbytes, shape, dtype
                if free >= 0:  # not a view: the node allocated it
                    live += nbytes
                    frees[free] += nbytes
            peak = max(peak, live)
            live -= frees[k]
        self.peak_bytes = max(self.peak_bytes, peak)
        self.probed_calls += 1

    def fold(self) -> None:
        """Add the buffered stamps to the totals and re-arm the memory probe."""
        n = len(self.buffer) - len(self.buffer) % self.width
        if n == 0:
            return
        flat = self.buffer[:n]
        del self.buffer[:n]  # not ``buffer = []``: the program holds ``buffer.extend``
        stamps = np.fromiter(flat, dtype=np.int64, count=n).reshape(-1, self.width)
        self.node_ns += (stamps[:, 1:-1] - stamps[:, :-2]).sum(axis=0)
        self.program_ns += int((stamps[:, -1] - stamps[:, 0]).sum())
        self.calls += len(stamps)
        self.recent = np.concatenate([self.recent, stamps])[-self.trace_calls:]
        if self.nodes:
            self.probe = self.measure

    def record_chunks(self, k: int, n_threads: int, n_chunks: int, spans) -> None:
        """Node ``k`` split its loop into ``n_chunks`` run by ``n_threads`` threads."""
        self.threads[k] += n_threads
        self.chunks[k] += n_chunks
        self.parallel_calls[k] += 1
        if spans:
            self.chunk_spans.append((k, tuple(spans)))

    def snapshot(self) -> ProgramRecord:
        """A copy detached from the program (for merging): later calls do not change it."""
        self.fold()
        other = copy.copy(self)
        other.nodes = copy.deepcopy(self.nodes)
        other.node_ns = self.node_ns.copy()
        other.buffer = []
        other.probe = None
        other.threads, other.chunks = list(self.threads), list(self.chunks)
        other.parallel_calls = list(self.parallel_calls)
        other.chunk_spans = deque(self.chunk_spans, maxlen=self.chunk_spans.maxlen)
        other._sizes = [list(s) for s in self._sizes]
        return other
