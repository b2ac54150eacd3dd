"""``Composite``: a small scalar program (a fused chain of elementwise ops) as one scalar op."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from symc.graph.basic import Constant, Variable, format_scalar, toposort
from symc.ops.scalar import ScalarOp

#: Composites whose printed form is longer than this get a short name (full form in debugprint).
SHORT_NAME_LIMIT = 72


class Instr(NamedTuple):
    """One scalar instruction: ``op`` on ``args`` (refs), giving a value of ``dtype``.

    A ref is ``("i", k)`` for input ``k``, ``("n", k)`` for instruction ``k``'s result, or
    ``("c", value, dtype, weak)`` for an inlined constant.
    """

    op: ScalarOp
    args: tuple
    dtype: str


class Composite(ScalarOp):
    """A scalar op defined by a straight-line program of table ops over its inputs."""

    def __init__(self, in_dtypes: Sequence[str], instrs: Sequence[Instr], outputs: Sequence[tuple]):
        self.in_dtypes = tuple(in_dtypes)
        self.instrs = tuple(instrs)
        self.out_refs = tuple(outputs)
        self._props_key = None
        self._hash = None
        super().__init__("Composite", len(self.in_dtypes), self.evaluate, fmt=None)
        self.nout = len(self.out_refs)
        self.grad = None

    @property
    def props(self) -> tuple:
        # Built once: big fused programs are hashed and compared often (merging). Constants are
        # keyed by their bits, so ``0.0`` and ``-0.0`` differ and NaN equals itself.
        if self._props_key is None:
            instrs = tuple((i.op, tuple(_ref_key(a) for a in i.args), i.dtype) for i in self.instrs)
            self._props_key = (self.in_dtypes, instrs, tuple(_ref_key(r) for r in self.out_refs))
        return self._props_key

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((type(self), self.name, self.props))
        return self._hash

    def ref_dtype(self, ref: tuple) -> str:
        """The dtype a ref stands for."""
        kind = ref[0]
        if kind == "i":
            return self.in_dtypes[ref[1]]
        if kind == "n":
            return self.instrs[ref[1]].dtype
        return ref[2]

    def output_dtypes(self, operands) -> tuple[str, ...]:
        given = tuple(dt for dt, _ in operands)
        if given != self.in_dtypes:
            raise TypeError(f"{self.label()} was built for inputs {self.in_dtypes}, got {given}")
        return tuple(self.ref_dtype(r) for r in self.out_refs)

    # -- evaluation (the NumPy reference) -------------------------------------------------------

    def evaluate(self, *inputs):
        """Run the program on NumPy arrays; one array per output (a tuple when several)."""
        values: list = []

        def fetch(ref):
            kind = ref[0]
            if kind == "i":
                return inputs[ref[1]]
            if kind == "n":
                return values[ref[1]]
            _, value, dtype, weak = ref
            return value if weak else np.asarray(value, dtype=dtype)

        for instr in self.instrs:
            result = instr.op.impl(*(fetch(a) for a in instr.args))
            if np.asarray(result).dtype != instr.dtype:
                result = np.asarray(result).astype(instr.dtype)
            values.append(result)
        outs = tuple(fetch(r) for r in self.out_refs)
        return outs[0] if self.nout == 1 else outs

    # -- printing ---------------------------------------------------------------------------

    def _forms(self, limit: int | None = None) -> list[str] | None:
        """Each output's printed form; None once any form grows past ``limit`` characters.

        Built forward over the SSA program (no recursion, so deep programs print too).
        """
        forms: list[str] = []

        def text(ref) -> str:
            kind = ref[0]
            if kind == "i":
                return f"i{ref[1]}"
            if kind == "c":
                return format_scalar(np.asarray(ref[1], dtype=ref[2]))
            return forms[ref[1]]

        for instr in self.instrs:
            form = instr.op.format([text(a) for a in instr.args])
            if limit is not None and len(form) > limit:
                return None
            forms.append(form)
        return [text(r) for r in self.out_refs]

    def full_form(self) -> str:
        """The whole program in Theano's notation, e.g. ``le((sqr(i0) + sqr(i1)), 1.0)``."""
        return ", ".join(self._forms())

    def label(self) -> str:
        forms = self._forms(SHORT_NAME_LIMIT)
        form = ", ".join(forms) if forms is not None else None
        if form is not None and len(form) <= SHORT_NAME_LIMIT:
            return f"Composite{{{form}}}"
        names = list(dict.fromkeys(i.op.label() for i in self.instrs))
        return "Composite{" + ",".join(names) + "}"

    def format(self, args: list[str]) -> str:
        return f"{self.label()}({', '.join(args)})"

    def __repr__(self):
        return self.label()


def _ref_key(ref: tuple) -> tuple:
    """A hashable key of a ref, with a constant's value as its bits."""
    if ref[0] != "c":
        return ref
    _, value, dtype, weak = ref
    return ("c", np.asarray(value, dtype=dtype).tobytes(), dtype, weak)


def composite_from_graph(inputs: Sequence[Variable], outputs: Sequence[Variable]) -> Composite:
    """The Composite computing ``outputs`` from ``inputs`` through Elemwise nodes.

    Every node between them must be an ``Elemwise`` (nested Composites are inlined); scalar
    constants are inlined, other constants must be among ``inputs``.
    """
    from symc.ops.elemwise import Elemwise

    refs: dict[Variable, tuple] = {v: ("i", k) for k, v in enumerate(inputs)}
    instrs: list[Instr] = []
    for node in toposort(outputs, stop_at=inputs):
        if not isinstance(node.op, Elemwise):
            raise TypeError(f"cannot fuse {node.op}: not elementwise")
        args = tuple(_ref_of(v, refs) for v in node.inputs)
        outs = _append(node.op.scalar_op, args, [o.dtype for o in node.outputs], instrs)
        for var, ref in zip(node.outputs, outs, strict=True):
            refs[var] = ref
    return Composite([v.dtype for v in inputs], instrs, [_ref_of(v, refs) for v in outputs])


def _ref_of(var: Variable, refs: dict) -> tuple:
    if var in refs:
        return refs[var]
    if isinstance(var, Constant) and var.data.size == 1:
        return ("c", var.data.reshape(()).item(), var.dtype, var.weak)
    raise ValueError(f"{var!r} is neither an input of the composite nor a scalar constant")


def _append(op: ScalarOp, args: tuple, dtypes: list[str], instrs: list[Instr]) -> list[tuple]:
    """Append ``op(args)`` to ``instrs`` (inlining a Composite) and return its output refs."""
    if not isinstance(op, Composite):
        instrs.append(Instr(op, args, dtypes[0]))
        return [("n", len(instrs) - 1)]
    local: list[tuple] = []

    def remap(ref):
        if ref[0] == "i":
            return args[ref[1]]
        if ref[0] == "n":
            return local[ref[1]]
        return ref

    for instr in op.instrs:
        instrs.append(Instr(instr.op, tuple(remap(a) for a in instr.args), instr.dtype))
        local.append(("n", len(instrs) - 1))
    return [remap(r) for r in op.out_refs]
