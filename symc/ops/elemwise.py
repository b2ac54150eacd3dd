"""Elementwise ops: ``Elemwise`` (a scalar op mapped over broadcast tensors) and ``DimShuffle``."""

from __future__ import annotations

from symc.graph.basic import Apply, Constant, Op, Variable, as_variable
from symc.graph.types import TensorType, broadcast_shapes
from symc.ops.scalar import Cast, ScalarOp


def operand(var: Variable) -> tuple[str, bool]:
    """``(dtype, weak)`` of a variable, as dtype rules take it."""
    return var.dtype, isinstance(var, Constant) and var.weak


class DimShuffle(Op):
    """Reorder, drop (length-1 only) and insert (``'x'``) dimensions; the result is a view."""

    __props__ = ("input_ndim", "new_order")
    view_of = {0: 0}

    def __init__(self, input_ndim: int, new_order):
        self.input_ndim = int(input_ndim)
        self.new_order = tuple(d if d == "x" else int(d) for d in new_order)
        kept = [d for d in self.new_order if d != "x"]
        if len(set(kept)) != len(kept):
            raise ValueError(f"dimshuffle{self.new_order}: an axis is repeated")
        for d in kept:
            if not 0 <= d < self.input_ndim:
                raise ValueError(f"dimshuffle{self.new_order}: axis {d} is out of range for "
                                 f"{self.input_ndim} dimensions")
        self.dropped = tuple(d for d in range(self.input_ndim) if d not in kept)
        self.perm = tuple(kept)

    def make_node(self, x):
        x = as_variable(x)
        if x.ndim != self.input_ndim:
            raise TypeError(f"{self} expects {self.input_ndim} dimensions, got {x.type}")
        for d in self.dropped:
            if x.type.shape[d] != 1:
                raise ValueError(f"dimshuffle{self.new_order} drops axis {d} of {x.type}, "
                                 "which is not known to have length 1")
        shape = tuple(1 if d == "x" else x.type.shape[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    @property
    def is_transpose_only(self) -> bool:
        """True when no dimension is added or dropped."""
        return "x" not in self.new_order and not self.dropped

    def __str__(self):
        return "DimShuffle{" + ",".join(str(d) for d in self.new_order) + "}"


def pad_rank(var: Variable, ndim: int) -> Variable:
    """``var`` with leading broadcastable dimensions added up to ``ndim`` (NumPy broadcasting)."""
    if var.ndim == ndim:
        return var
    if isinstance(var, Constant):
        shape = (1,) * (ndim - var.ndim) + var.data.shape
        return Constant(TensorType(var.dtype, shape), var.data.reshape(shape), weak=var.weak)
    order = ["x"] * (ndim - var.ndim) + list(range(var.ndim))
    return DimShuffle(var.ndim, order)(var)


class Elemwise(Op):
    """``scalar_op`` applied elementwise over inputs broadcast against each other."""

    __props__ = ("scalar_op",)

    def __init__(self, scalar_op: ScalarOp):
        if not isinstance(scalar_op, ScalarOp):
            raise TypeError(f"Elemwise needs a ScalarOp, got {scalar_op!r}")
        self.scalar_op = scalar_op

    def make_node(self, *inputs):
        if len(inputs) != self.scalar_op.nin:
            raise TypeError(f"{self.scalar_op} takes {self.scalar_op.nin} inputs, "
                            f"got {len(inputs)}")
        inputs = [as_variable(v) for v in inputs]
        operands = tuple(operand(v) for v in inputs)
        try:
            dtypes = self.scalar_op.output_dtypes(operands)
        except TypeError as exc:
            given = ", ".join(f"{v} ({v.dtype})" for v in inputs)
            raise TypeError(f"{self.scalar_op} does not accept {given}: {exc}") from None
        ndim = max(v.ndim for v in inputs)
        inputs = [pad_rank(v, ndim) for v in inputs]
        shape = broadcast_shapes([v.type.shape for v in inputs], where=str(self))
        return Apply(self, inputs, [TensorType(dt, shape) for dt in dtypes])

    def __str__(self):
        return f"Elemwise{{{self.scalar_op.label()}}}"


def elemwise(name_or_op, *inputs) -> Variable | list[Variable]:
    """Apply the table's scalar op (by name or object) elementwise to ``inputs``."""
    from symc.ops.scalar import scalar_op

    op = scalar_op(name_or_op) if isinstance(name_or_op, str) else name_or_op
    return Elemwise(op)(*inputs)


def cast(x, dtype) -> Variable:
    """``x`` converted to ``dtype`` (``x`` itself when it already has it)."""
    x = as_variable(x)
    cast_op = Cast(dtype)
    if x.dtype == cast_op.dtype:
        return x
    return Elemwise(cast_op)(x)
