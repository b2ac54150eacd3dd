"""Local rewrite rules and the equilibrium driver that applies them until nothing changes.

A rule is a function ``rule(fgraph, node)`` that looks at one node and returns ``None`` (no
match) or replacements for the node's outputs: a list with one variable (or ``None``, "keep")
per output, or a dict ``{old_output: new_variable}``. Rules are registered in a ``RuleBook``
with the phases they belong to and the keys of the nodes they want to see (so the driver asks
only the rules that can match a node).

The driver keeps a work-list of nodes. Every node is visited once; after a change only the
new nodes, the new variables' clients and the replaced node's inputs are queued again, so the
cost grows with the number of changes, not with the graph size times the number of passes.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from symc.graph.basic import Apply, Variable, toposort
from symc.graph.fg import FunctionGraph
from symc.graph.types import TensorType

#: What a rule returns: per-output replacements (``None`` keeps an output), a dict, or None.
Replacement = Sequence[Variable | None] | dict[Variable, Variable] | None
RuleFn = Callable[[FunctionGraph, Apply], Replacement]


class RewriteWarning(UserWarning):
    """Rewriting stopped early (rules that keep undoing each other)."""


@dataclass(frozen=True)
class NodeRule:
    """A local rewrite: ``fn`` tried on nodes whose key is in ``tracks`` (all when empty)."""

    fn: RuleFn
    name: str
    tracks: tuple[Hashable, ...]
    phases: frozenset[str]

    def __call__(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        return self.fn(fgraph, node)


class RuleBook:
    """The registered rules, each tagged with the phases (e.g. ``"canonicalize"``) it runs in."""

    def __init__(self):
        self._rules: list[NodeRule] = []

    def register(self, *phases: str, tracks: Iterable[Hashable] = ()):
        """Decorator: register ``fn`` as a rule of ``phases`` for nodes keyed by ``tracks``."""

        def decorate(fn: RuleFn) -> RuleFn:
            self._rules.append(NodeRule(fn, fn.__name__, tuple(tracks), frozenset(phases)))
            return fn

        return decorate

    def rules(self, *phases: str) -> list[NodeRule]:
        """The rules of any of ``phases``, in registration order."""
        wanted = set(phases)
        return [rule for rule in self._rules if rule.phases & wanted]


def type_fits(old: TensorType, new: TensorType) -> bool:
    """True when a variable of type ``new`` may stand for one of type ``old``.

    Same dtype and rank, no known length contradicted, and every dimension known to broadcast
    (length 1) still known to: consumers such as ``DimShuffle`` rely on it.
    """
    if old.dtype != new.dtype or old.ndim != new.ndim:
        return False
    for was, now in zip(old.shape, new.shape, strict=True):
        if was == 1 and now != 1:
            return False
        if was is not None and now is not None and was != now:
            return False
    return True


def _pairs(node: Apply, result) -> list[tuple[Variable, Variable]]:
    if isinstance(result, dict):
        return [(old, new) for old, new in result.items() if new is not None and new is not old]
    if len(result) != len(node.outputs):
        raise ValueError(f"a rule returned {len(result)} replacements for {node.op}, which has "
                         f"{len(node.outputs)} outputs")
    return [(old, new) for old, new in zip(node.outputs, result, strict=True)
            if new is not None and new is not old]


def new_nodes(fgraph: FunctionGraph, variables: Iterable[Variable]) -> list[Apply]:
    """The nodes computing ``variables`` that are not in ``fgraph`` yet, inputs first."""
    variables = list(variables)
    if all(v.owner is None or v.owner in fgraph.apply_nodes for v in variables):
        return []
    known = []
    stack, seen = list(variables), set()
    while stack:
        var = stack.pop()
        if var in seen:
            continue
        seen.add(var)
        if var.owner is None or var.owner in fgraph.apply_nodes:
            known.append(var)
        else:
            stack.extend(var.owner.inputs)
    return toposort(variables, stop_at=known)


@dataclass
class RewriteStats:
    """What a run of the driver did: applications per rule, rejected results, visits."""

    applied: dict[str, int]
    rejected: dict[str, int]
    visits: int

    @property
    def changes(self) -> int:
        """Total number of successful rewrites."""
        return sum(self.applied.values())


class Equilibrium:
    """Apply ``rules`` to ``fgraph`` until no rule matches any node (a fixed point).

    ``key_of(node)`` gives the key rules track (e.g. the op class, or an Elemwise's scalar op
    name); it comes from the caller because this layer knows no ops.
    """

    def __init__(self, rules: Sequence[NodeRule], key_of: Callable[[Apply], Hashable]):
        self.rules = list(rules)
        self.key_of = key_of
        self._by_key: dict[Hashable, tuple[NodeRule, ...]] = {}

    def _rules_for(self, node: Apply) -> tuple[NodeRule, ...]:
        key = self.key_of(node)
        found = self._by_key.get(key)
        if found is None:
            found = tuple(r for r in self.rules if not r.tracks or key in r.tracks)
            self._by_key[key] = found
        return found

    def run(self, fgraph: FunctionGraph) -> RewriteStats:
        """Rewrite ``fgraph`` in place; return what happened."""
        stats = RewriteStats({}, {}, 0)
        queue: deque[Apply] = deque(fgraph.toposort())
        queued = set(queue)
        # A guard against rules that undo each other: far more steps than any sane run needs.
        budget = 20 * len(queue) + 1_000
        while queue:
            node = queue.popleft()
            queued.discard(node)
            if node not in fgraph.apply_nodes:
                continue
            stats.visits += 1
            if stats.visits > budget:
                warnings.warn("rewriting stopped before a fixed point: rules keep undoing each "
                              "other", RewriteWarning, stacklevel=2)
                break
            for rule in self._rules_for(node):
                touched = self._try(fgraph, node, rule, stats)
                if touched is not None:
                    for other in touched:
                        if other not in queued:
                            queued.add(other)
                            queue.append(other)
                    break
        return stats

    def _try(self, fgraph: FunctionGraph, node: Apply, rule: NodeRule,
             stats: RewriteStats) -> list[Apply] | None:
        """Apply ``rule`` to ``node``; return the nodes to look at again, or None."""
        result = rule(fgraph, node)
        if result is None:
            return None
        pairs = _pairs(node, result)
        if not pairs:
            return None
        if not all(type_fits(old.type, new.type) for old, new in pairs):
            stats.rejected[rule.name] = stats.rejected.get(rule.name, 0) + 1
            return None
        return replace_outputs(fgraph, node, pairs, rule.name, stats)


def replace_outputs(fgraph: FunctionGraph, node: Apply, pairs, reason: str,
                    stats: RewriteStats | None = None) -> list[Apply]:
    """Replace outputs of ``node`` by ``(old, new)`` pairs; return the nodes worth revisiting.

    New nodes inherit ``node.site``, the user's line, so run-time errors still point at it.
    """
    created = new_nodes(fgraph, [new for _, new in pairs])
    for made in created:
        made.site = node.site
    inputs = list(node.inputs)
    fresh = set(created)
    for old, new in pairs:
        if new.name is None and new.owner in fresh:
            new.name = old.name
        fgraph.replace(old, new, reason)
    if stats is not None:
        stats.applied[reason] = stats.applied.get(reason, 0) + 1
    touched = list(created)
    for _, new in pairs:
        touched.extend(c for c, _ in fgraph.clients.get(new, ()) if isinstance(c, Apply))
    touched.extend(v.owner for v in inputs if v.owner is not None and v.owner in fgraph.apply_nodes)
    return touched
