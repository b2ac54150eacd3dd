"""Printing graphs: ``debugprint`` (an indented tree, Theano's layout) and ``pprint`` (infix)."""

from __future__ import annotations

import string
import sys

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import FunctionGraph


def _ids():
    """Theano-style short ids: A, B, ..., Z, BA, BB, ..."""
    letters = string.ascii_uppercase
    k = 0
    while True:
        n, digits = k, ""
        while True:
            digits = letters[n % 26] + digits
            n //= 26
            if n == 0:
                break
        yield digits
        k += 1


def _type_text(var: Variable) -> str:
    dims = ", ".join("?" if d is None else str(d) for d in var.type.shape)
    return f"<{var.dtype}, ({dims}{',' if var.ndim == 1 else ''})>"


def _fused_form(node: Apply) -> str | None:
    """The full Composite program of a fused node, when its name is shortened."""
    op = node.op
    composite = getattr(op, "pre", None) or getattr(op, "scalar_op", None)
    if composite is None or not hasattr(composite, "full_form"):
        return None
    form = composite.full_form()
    return form if form not in str(op) else None


class _TreePrinter:
    def __init__(self, tags: dict | None):
        self.ids: dict[object, str] = {}
        self.next_id = _ids()
        self.tags = tags or {}
        self.lines: list[str] = []

    def id_of(self, key) -> tuple[str, bool]:
        seen = key in self.ids
        if not seen:
            self.ids[key] = next(self.next_id)
        return self.ids[key], seen

    def var(self, var: Variable, prefix: str, depth: int) -> None:
        name = f" '{var.name}'" if var.name else ""
        if var.owner is None:
            label = str(var) if isinstance(var, Constant) else (var.name or "<input>")
            ident, _ = self.id_of(var)
            self.lines.append(f"{prefix}{label} [id {ident}] {_type_text(var)}")
            return
        node = var.owner
        ident, seen = self.id_of(node)
        out = f".{var.index}" if len(node.outputs) > 1 else ""
        tag = f" ({self.tags[node]})" if node in self.tags else ""
        self.lines.append(f"{prefix}{node.op}{out} [id {ident}]{tag} {_type_text(var)}{name}")
        if seen:
            return
        form = _fused_form(node)
        if form:
            self.lines.append(f"{self._child_prefix(prefix, depth)} : {form}")
        base = self._child_prefix(prefix, depth)
        for k, inp in enumerate(node.inputs):
            self.var(inp, base + (" `" if k == len(node.inputs) - 1 else " |"), depth + 1)

    @staticmethod
    def _child_prefix(prefix: str, depth: int) -> str:
        # A child's line continues its parent's bar only while the parent has later siblings;
        # the caller tracks that through ``last`` markers ("`" ends a list of siblings).
        return prefix.replace("`", " ") if depth else ""


def debugprint(obj, file=None) -> str:
    """Print a variable, list of variables, FunctionGraph or compiled Function as a tree.

    Each node shows its op, a short ``[id X]`` (repeated nodes are printed once), the backend
    that runs it (for compiled functions: ``L`` LLVM, ``Py`` NumPy) and its type. Returns the
    text; ``file="str"`` only returns it, otherwise it is also written to ``file`` (stdout).
    """
    tags = None
    if hasattr(obj, "fgraph") and hasattr(obj, "program"):
        tags = obj.program.tags
        obj = obj.fgraph
    if isinstance(obj, FunctionGraph):
        outputs = obj.outputs
    elif isinstance(obj, Variable):
        outputs = [obj]
    elif isinstance(obj, (list, tuple)) and all(isinstance(v, Variable) for v in obj):
        outputs = list(obj)
    else:
        raise TypeError(f"debugprint: expected a variable, a list of them, a FunctionGraph or a "
                        f"compiled function, got {type(obj).__name__}")
    printer = _TreePrinter(tags)
    for var in outputs:
        printer.var(var, "", 0)
    text = "\n".join(printer.lines).replace("`", "|") + "\n"
    if file != "str":
        (file or sys.stdout).write(text)
    return text


def _reduce_text(op, args: list[str]) -> str:
    inner = op.pre.format(args) if op.pre is not None else args[0]
    return f"{op.kind.lower()}({inner}, axis={op.axis})"


def pprint(var: Variable) -> str:
    """``var`` as one line of infix notation, e.g. ``sum(le((sqr(x) + sqr(y)), 1.0), axis=(0,))``.
    """
    memo: dict[Variable, str] = {}

    def text(v: Variable) -> str:
        if v in memo:
            return memo[v]
        if v.owner is None:
            result = str(v) if isinstance(v, Constant) else (v.name or "<input>")
        else:
            node = v.owner
            args = [text(i) for i in node.inputs]
            scalar = getattr(node.op, "scalar_op", None)
            if getattr(node.op, "fold", None) is not None:
                result = _reduce_text(node.op, args)
            elif scalar is not None and type(node.op).__name__ == "Elemwise":
                result = scalar.format(args)
                if len(node.outputs) > 1:
                    result += f"[{v.index}]"
            else:
                result = f"{node.op}({', '.join(args)})"
        memo[v] = result
        return result

    return text(var)
