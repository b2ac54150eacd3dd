"""``FunctionGraph``: a graph with known inputs and outputs that rewrites can change in place."""

from __future__ import annotations

from collections.abc import Sequence

from symc.graph.basic import Apply, Constant, Variable, toposort

#: The pseudo-node that marks a variable's use as output ``i`` of the graph in ``clients``.
OUTPUT = "output"


class GraphError(ValueError):
    """Raised by ``FunctionGraph.check`` when the graph's invariants are broken."""


class FunctionGraph:
    """A graph from ``inputs`` to ``outputs`` with a client map, as rewrites need it.

    With ``clone=True`` (the default) the nodes between ``inputs`` and ``outputs`` are copied,
    so rewriting never touches the user's graph; ``memo`` maps the originals to the copies.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], clone: bool = True):
        self.memo: dict[Variable, Variable] = {}
        if clone:
            inputs, outputs = self._clone(inputs, outputs)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.clients: dict[Variable, list[tuple[Apply | str, int]]] = {}
        self.apply_nodes: set[Apply] = set()
        self._order: list[Apply] | None = None
        for var in self.inputs:
            self.clients.setdefault(var, [])
        for node in toposort(self.outputs, stop_at=self.inputs):
            self._import_node(node)
        for i, var in enumerate(self.outputs):
            self.clients.setdefault(var, []).append((OUTPUT, i))

    def _clone(self, inputs, outputs):
        memo = self.memo
        for var in inputs:
            memo[var] = var.clone()
        for node in toposort(outputs, stop_at=inputs):
            for v in node.inputs:
                if v not in memo:  # an input the caller did not list (a shared variable, say)
                    memo[v] = v
            new_inputs = [memo[v] for v in node.inputs]
            new_node = Apply(node.op, new_inputs, [o.type for o in node.outputs], site=node.site)
            for old, new in zip(node.outputs, new_node.outputs, strict=True):
                new.name = old.name
                memo[old] = new
        return [memo[v] for v in inputs], [memo.get(v, v) for v in outputs]

    # -- structure ------------------------------------------------------------------------

    def _import_node(self, node: Apply) -> None:
        if node in self.apply_nodes:
            return
        self.apply_nodes.add(node)
        for pos, var in enumerate(node.inputs):
            self.clients.setdefault(var, []).append((node, pos))
        for var in node.outputs:
            self.clients.setdefault(var, [])
        self._order = None

    def _import_graph(self, var: Variable) -> None:
        # Stop at the variables the graph already has: the cost is the size of the new part,
        # not of the whole graph (rewrites call this once per replacement).
        if var in self.clients and (var.owner is None or var.owner in self.apply_nodes):
            return
        known, stack, seen = [], [var], set()
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            if v in self.clients and (v.owner is None or v.owner in self.apply_nodes):
                known.append(v)
            elif v.owner is not None:
                stack.extend(v.owner.inputs)
        for node in toposort([var], stop_at=known):
            self._import_node(node)
        self.clients.setdefault(var, [])

    def _prune(self, var: Variable) -> None:
        """Drop the nodes that no longer feed anything, starting from ``var``'s owner."""
        stack = [var]
        while stack:
            var = stack.pop()
            node = var.owner
            if node is None or node not in self.apply_nodes:
                if not self.clients.get(var) and var.owner is None and var not in self.inputs:
                    self.clients.pop(var, None)
                continue
            if any(self.clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for o in node.outputs:
                self.clients.pop(o, None)
            for pos, inp in enumerate(node.inputs):
                self.clients[inp].remove((node, pos))
                stack.append(inp)
            self._order = None

    def replace(self, old: Variable, new: Variable, reason: str = "") -> None:
        """Make every user of ``old`` use ``new`` instead; ``new`` must fit ``old``'s type."""
        if old is new:
            return
        if new.type.dtype != old.type.dtype or new.type.ndim != old.type.ndim:
            raise GraphError(f"replace ({reason}): {new.type} cannot stand for {old.type}")
        self._import_graph(new)
        for client, pos in list(self.clients.get(old, [])):
            if client == OUTPUT:
                self.outputs[pos] = new
            else:
                client.inputs[pos] = new
            self.clients[new].append((client, pos))
        self.clients[old] = []
        self._order = None
        self._prune(old)

    def replace_all(self, pairs: Sequence[tuple[Variable, Variable]], reason: str = "") -> None:
        """``replace`` each ``(old, new)`` pair in turn."""
        for old, new in pairs:
            self.replace(old, new, reason)

    def toposort(self) -> list[Apply]:
        """The graph's nodes, each after the nodes it depends on (cached until a change)."""
        if self._order is None:
            self._order = toposort(self.outputs, stop_at=self.inputs)
        return self._order

    @property
    def variables(self) -> set[Variable]:
        """Every variable in the graph."""
        return set(self.clients)

    # -- verification ---------------------------------------------------------------------

    def check(self) -> None:
        """Verify types, order, clients and reachability; raise ``GraphError`` when broken."""
        order = toposort(self.outputs, stop_at=self.inputs)
        if set(order) != self.apply_nodes:
            raise GraphError("apply_nodes differ from the nodes reachable from the outputs")
        available = set(self.inputs)
        for node in order:
            for var in node.inputs:
                if var not in available and not isinstance(var, Constant):
                    raise GraphError(f"{node.op} uses {var!r}, which is neither an input, "
                                     "a constant nor computed before it")
                if (node, node.inputs.index(var)) not in self.clients.get(var, []):
                    raise GraphError(f"client map misses {node.op} as a user of {var!r}")
            self._check_types(node)
            available.update(node.outputs)
        for var in self.outputs:
            if var not in available and not isinstance(var, Constant):
                raise GraphError(f"output {var!r} is not computed by the graph")

    @staticmethod
    def _check_types(node: Apply) -> None:
        fresh = node.op.make_node(*node.inputs)
        for have, want in zip(node.outputs, fresh.outputs, strict=True):
            h, w = have.type, want.type
            if h.dtype != w.dtype or h.ndim != w.ndim or not (w.is_super(h) or h.is_super(w)):
                raise GraphError(f"{node.op}: output type {h} disagrees with {w} from its inputs")
