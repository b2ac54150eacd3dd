"""Elementwise fusion: maximal convex groups of Elemwise nodes become one Elemwise(Composite).

Finding the groups takes one walk over the graph:

- Nodes are visited in a topological order that takes non-elementwise nodes as soon as they
  are ready, so they seldom sit between two elementwise nodes that could be fused.
- An Elemwise node joins the groups of its Elemwise producers that have its static shape (a
  producer of another shape, e.g. a broadcast row, stays an input: fusing it would compute it
  once per output element). Several producer groups merge through the node: diamonds and
  repeated inputs end in one group.
- Joining must keep the graph of groups acyclic. Each group remembers ``first``, the position
  of its earliest node, and every edge between groups must run from a smaller ``first`` to a
  larger one; positions then order the contracted graph, so it has no cycle and every group
  is convex. The test costs one comparison per input.
- A group stops growing when its operands (inputs + outputs) would pass the backend's limit.

Each group is then made legal and replaced by one node:

- NumPy broadcasts at run time, so an intermediate computed from fewer inputs than the whole
  group may be smaller than the group's result. Such an intermediate can be an extra output
  only when its shape provably is the group's: it comes from the same shape sources (see
  ``ShapeSources``), or the missing ones are statically unable to widen it. Otherwise the
  group is split there (the part computing it, and the rest).
- A group over the operand limit is halved (in topological order) until every part fits: a
  big subgraph is split, never left unfused.
"""

from __future__ import annotations

from collections import deque

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import FunctionGraph
from symc.ops.composite import composite_from_graph
from symc.ops.elemwise import Elemwise

#: The NumPy backend's limit: a Composite is evaluated with at most 32 operands per call.
DEFAULT_MAX_OPERANDS = 32


def _inlined(var: Variable) -> bool:
    """True for a constant the Composite inlines (one element) rather than takes as input."""
    return isinstance(var, Constant) and var.data.size == 1


def fusion_order(fgraph: FunctionGraph) -> list[Apply]:
    """A topological order that takes each non-elementwise node as soon as it is ready."""
    base = fgraph.toposort()
    waiting = {node: sum(1 for v in node.inputs if v.owner in fgraph.apply_nodes)
               for node in base}
    others = deque(n for n in base if not waiting[n] and not isinstance(n.op, Elemwise))
    elementwise = deque(n for n in base if not waiting[n] and isinstance(n.op, Elemwise))
    order = []
    while others or elementwise:
        node = others.popleft() if others else elementwise.popleft()
        order.append(node)
        for out in node.outputs:
            for client, _ in fgraph.clients.get(out, ()):
                if not isinstance(client, Apply):
                    continue
                waiting[client] -= 1
                if not waiting[client]:
                    (elementwise if isinstance(client.op, Elemwise) else others).append(client)
    return order


class _Group:
    """A set of nodes to fuse; merged groups point to the survivor through ``parent``."""

    __slots__ = ("members", "first", "parent", "inputs", "open", "shape", "fusable")

    def __init__(self, node: Apply, position: int, fusable: bool):
        self.members = [node]
        self.first = position
        self.parent: _Group | None = None
        self.inputs = dict.fromkeys(v for v in node.inputs if not _inlined(v))
        self.open = 0  # outputs with users outside the group so far (an upper bound)
        self.shape = node.outputs[0].type.shape if node.outputs else None
        self.fusable = fusable

    def find(self) -> _Group:
        """The group this one was merged into (path-compressing)."""
        root = self
        while root.parent is not None:
            root = root.parent
        group = self
        while group.parent is not None and group.parent is not root:
            group.parent, group = root, group.parent
        return root


class _Grouping:
    """Assigns every node of a graph to a group (see the module docstring)."""

    def __init__(self, fgraph: FunctionGraph, max_operands: int):
        self.fgraph = fgraph
        self.limit = max_operands
        self.group_of: dict[Apply, _Group] = {}
        self.pending: dict[Variable, int] = {}  # uses of an output not in its group yet
        self._seen: dict[Variable, _Group | None] = {}  # source() answers while adding a node

    def source(self, var: Variable) -> _Group | None:
        """The group computing ``var`` (None for inputs and constants)."""
        if var in self._seen:
            return self._seen[var]
        group = self.group_of.get(var.owner) if var.owner is not None else None
        found = self._seen[var] = group.find() if group is not None else None
        return found

    def add(self, node: Apply, position: int) -> None:
        """Give ``node`` a group: a new one, or the union of producer groups it may join."""
        self._seen = {}  # groups only change in _join, after the last source() call
        if not isinstance(node.op, Elemwise):
            self.group_of[node] = _Group(node, position, fusable=False)
            return
        shape = node.outputs[0].type.shape
        candidates = {g for v in node.inputs if (g := self.source(v)) is not None
                      and g.fusable and g.shape == shape}
        chosen: list[_Group] = []
        for group in sorted(candidates, key=lambda g: -g.first):
            if self._may_join(node, [*chosen, group]):
                chosen.append(group)
        self._join(node, chosen, position)

    def _merged_inputs(self, node: Apply, groups: list[_Group]) -> dict:
        inside = set(groups)
        merged = {}
        for group in groups:
            merged.update((v, None) for v in group.inputs if self.source(v) not in inside)
        merged.update((v, None) for v in node.inputs
                      if not _inlined(v) and self.source(v) not in inside)
        return merged

    def _closed_uses(self, node: Apply, inside: set) -> int:
        """How many outputs of ``inside`` lose their last outside user when ``node`` joins."""
        uses: dict[Variable, int] = {}
        for v in node.inputs:
            if self.source(v) in inside:
                uses[v] = uses.get(v, 0) + 1
        return sum(1 for v, n in uses.items() if self.pending[v] == n)

    def _may_join(self, node: Apply, groups: list[_Group]) -> bool:
        first = min(g.first for g in groups)
        inside = set(groups)

        def ordered(var: Variable) -> bool:  # an edge from outside must come from before
            source = self.source(var)
            return source is None or source in inside or source.first < first

        if not all(ordered(v) for v in node.inputs):
            return False
        if not all(ordered(v) for g in groups for v in g.inputs):
            return False
        outputs = sum(g.open for g in groups) + len(node.outputs)
        outputs -= self._closed_uses(node, inside)
        return len(self._merged_inputs(node, groups)) + outputs <= self.limit

    def _join(self, node: Apply, groups: list[_Group], position: int) -> None:
        if not groups:
            group = _Group(node, position, fusable=True)
        else:
            inside = set(groups)
            closed = self._closed_uses(node, inside)
            used = [v for v in node.inputs if self.source(v) in inside]
            group = max(groups, key=lambda g: len(g.members))
            group.inputs = self._merged_inputs(node, groups)
            for other in groups:
                if other is not group:
                    group.members.extend(other.members)
                    group.open += other.open
                    group.first = min(group.first, other.first)
                    other.members, other.parent = [], group
            group.members.append(node)
            group.open -= closed
            for v in used:
                self.pending[v] -= 1
        for out in node.outputs:
            self.pending[out] = len(self.fgraph.clients.get(out, ()))
            group.open += self.pending[out] > 0
        self.group_of[node] = group

    def groups(self, position: dict[Apply, int]) -> list[list[Apply]]:
        """The fusable groups of two nodes or more, members in topological order."""
        roots = {g.find() for g in self.group_of.values() if g.fusable}
        found = [sorted(g.members, key=position.__getitem__) for g in roots if len(g.members) > 1]
        return sorted(found, key=lambda members: position[members[0]])


def interface(fgraph: FunctionGraph, part: list[Apply]) -> tuple[list[Variable], list[Variable]]:
    """The inputs (without inlined constants) and outputs (used outside) of a group."""
    inside = set(part)
    inputs: dict[Variable, None] = {}
    outputs = []
    for node in part:
        inputs.update((v, None) for v in node.inputs if v.owner not in inside and not _inlined(v))
        outputs.extend(o for o in node.outputs
                       if any(client not in inside for client, _ in fgraph.clients.get(o, ())))
    return list(inputs), outputs


class ShapeSources:
    """Where each variable's run-time shape comes from.

    An Elemwise result has the broadcast shape of its inputs, so every variable's shape is the
    broadcast of some "sources": graph inputs, non-scalar constants and results of other ops.
    ``sig[var]`` is that set as a bit mask; two results over the same sources have the same
    shape whatever the lengths turn out to be at run time.
    """

    def __init__(self, fgraph: FunctionGraph):
        self.sources: list[Variable] = []
        self.sig: dict[Variable, int] = {}
        for var in fgraph.inputs:
            self.sig[var] = self._new(var)
        for node in fgraph.toposort():
            for var in node.inputs:
                if var not in self.sig:  # constants and shared variables
                    self.sig[var] = 0 if _inlined(var) else self._new(var)
            if isinstance(node.op, Elemwise):
                mask = 0
                for var in node.inputs:
                    mask |= self.sig[var]
                self.sig.update((out, mask) for out in node.outputs)
            else:
                self.sig.update((out, self._new(out)) for out in node.outputs)

    def _new(self, var: Variable) -> int:
        self.sources.append(var)
        return 1 << (len(self.sources) - 1)

    def widening(self, mask: int, shape: tuple) -> bool:
        """True when a source in ``mask`` may be longer than ``shape`` (a static shape) in
        some dimension: not statically 1 where ``shape`` is unknown or 1."""
        while mask:
            low = mask & -mask
            source = self.sources[low.bit_length() - 1]
            if any(d != 1 and s in (None, 1)
                   for d, s in zip(source.type.shape, shape, strict=True)):
                return True
            mask ^= low
        return False


def _partial_output(part: list[Apply], outputs: list[Variable],
                    sources: ShapeSources) -> Apply | None:
    """The last node with an output that may be smaller than the group's result, or None.

    A fused node computes every output at the broadcast shape of all its inputs; an output
    over fewer shape sources is only that big if the missing sources cannot widen it.
    """
    shape = part[0].outputs[0].type.shape
    whole = 0
    for node in part:
        for out in node.outputs:
            whole |= sources.sig[out]
    partial = [o.owner for o in outputs if sources.widening(whole & ~sources.sig[o], shape)]
    return partial[-1] if partial else None


def _upstream(node: Apply, part: list[Apply]) -> set[Apply]:
    inside, found, stack = set(part), {node}, [node]
    while stack:
        for v in stack.pop().inputs:
            if v.owner in inside and v.owner not in found:
                found.add(v.owner)
                stack.append(v.owner)
    return found


def legal_parts(fgraph: FunctionGraph, members: list[Apply], limit: int,
                sources: ShapeSources) -> list[list[Apply]]:
    """``members`` split until every part's outputs have the full shape and its operands fit."""
    work, parts = [members], []
    while work:
        part = work.pop()
        if len(part) < 2:
            continue
        inputs, outputs = interface(fgraph, part)
        partial = _partial_output(part, outputs, sources)
        if partial is not None:
            upstream = _upstream(partial, part)
            work.append([n for n in part if n in upstream])
            work.append([n for n in part if n not in upstream])
        elif len(inputs) + len(outputs) > limit:
            half = len(part) // 2
            work.extend((part[:half], part[half:]))
        elif inputs:
            parts.append(part)
    return parts


def replace_by_composite(fgraph: FunctionGraph, part: list[Apply],
                         sources: ShapeSources | None = None) -> Apply:
    """Replace the nodes of ``part`` by one Elemwise(Composite) node; return it."""
    inputs, outputs = interface(fgraph, part)
    composite = composite_from_graph(inputs, outputs)
    fused = Elemwise(composite).make_node(*inputs)
    fused.site = part[-1].site
    for old, new in zip(outputs, fused.outputs, strict=True):
        new.name = old.name
        if sources is not None:
            sources.sig[new] = sources.sig[old]
        fgraph.replace(old, new, "fuse_elemwise")
    return fused


def fuse_elemwise(fgraph: FunctionGraph, max_operands: int = DEFAULT_MAX_OPERANDS) -> int:
    """The fusion pass; returns the number of fused nodes made."""
    order = fusion_order(fgraph)
    position = {node: k for k, node in enumerate(order)}
    grouping = _Grouping(fgraph, max_operands)
    for node in order:
        grouping.add(node, position[node])
    sources = ShapeSources(fgraph)
    made = 0
    for members in grouping.groups(position):
        for part in legal_parts(fgraph, members, max_operands, sources):
            replace_by_composite(fgraph, part, sources)
            made += 1
    return made
