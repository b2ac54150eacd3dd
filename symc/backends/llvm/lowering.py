"""Which nodes the LLVM backend lowers, and how each becomes kernels plus a call plan.

``Elemwise`` (every table op, ``Cast``, ``Composite``) and ``Reduce`` (with or without a fused
``pre`` Composite) are lowered; every other op is left to the NumPy backend. Scalar constants
among a node's inputs are compiled into the kernel; other inputs become array operands.
"""

from __future__ import annotations

from dataclasses import dataclass

import llvmlite.ir as ir

from symc.backends.llvm.callpath import CallPlan
from symc.backends.llvm.emit_entry import Reduction, emit_builtin, emit_entry
from symc.backends.llvm.emit_loops import ElemwiseBody, Operand, emit_elemwise
from symc.backends.llvm.emit_reduce import (
    ReduceBody,
    accumulator_dtype,
    emit_reduce,
    identity_bits,
    identity_constant,
)
from symc.backends.llvm.irtypes import NotLowerable, register_type
from symc.backends.llvm.kernel_cost import ns_per_element
from symc.graph.basic import Apply, Constant
from symc.ops.elemwise import Elemwise, operand
from symc.ops.reduce import Reduce
from symc.ops.scalar import SCALAR_OPS


@dataclass
class NodeKernel:
    """One node's kernels: operands, loop body, and what its thunk needs."""

    node: Apply
    operands: list[Operand]
    ndim: int
    body: object
    call_plan: CallPlan
    init: tuple | None = None
    entry: str = ""

    def emit(self, module: ir.Module, name: str) -> None:
        """Add the node's chunk functions and entry point (``<name>_call``) to ``module``."""
        emit_fn = emit_reduce if isinstance(self.body, ReduceBody) else emit_elemwise
        kernels = emit_fn(module, name, self.operands, self.ndim, self.body)
        for kernel in kernels:
            module.get_global(kernel).attributes.add("noinline")  # exported for the runtime
        reduction = None
        if self.init is not None:
            fold, dtype = self.init
            reduction = Reduction(identity_constant(fold, dtype), dtype, self.body.fold_into,
                                  identity_bits(fold, dtype))
        ns = ns_per_element(self.body, self.operands)
        emit_entry(module, name, self.operands, self.ndim, kernels, ns, reduction)
        self.entry = emit_builtin(module, name, len(self.operands))


def _split_inputs(node: Apply, ndim: int):
    """``(array input positions, per-input operand index or None, inlined constants)``."""
    arrays, index, constants = [], [], {}
    for pos, var in enumerate(node.inputs):
        register_type(var.dtype)  # NotLowerable for a dtype without an LLVM type
        if isinstance(var, Constant) and var.data.size == 1:
            constants[pos] = (var.data.reshape(()).item(), var.dtype, var.weak)
            index.append(None)
            continue
        if var.ndim != ndim:
            raise NotLowerable(f"input of {var.ndim} dimensions in a {ndim}-d loop")
        index.append(len(arrays))
        arrays.append(pos)
    if not arrays:
        raise NotLowerable("every input is a constant")
    return arrays, index, constants


def _input_operands(node: Apply, arrays: list[int], ndim: int) -> list[Operand]:
    dims = tuple(range(ndim))
    return [Operand(node.inputs[p].dtype, node.inputs[p].type.shape, False, dims) for p in arrays]


def _call_plan(node, arrays, operands, ndim, out_dtypes, **extra) -> CallPlan:
    return CallPlan(
        label=str(node.op), n_inputs=len(node.inputs), array_inputs=arrays,
        in_dtypes=[node.inputs[p].dtype for p in arrays],
        in_ndims=[node.inputs[p].ndim for p in arrays],
        scalar_inputs=[o.scalar for o in operands[:len(arrays)]],
        out_dtypes=out_dtypes, ndim=ndim, static_shape=(1,) * ndim, **extra)


def plan_elemwise(node: Apply, fastmath: tuple) -> NodeKernel:
    """The kernels of an ``Elemwise`` node."""
    ndim = node.outputs[0].ndim
    arrays, index, constants = _split_inputs(node, ndim)
    out_dtypes = [o.dtype for o in node.outputs]
    for dtype in out_dtypes:
        register_type(dtype)
    dims = tuple(range(ndim))
    operands = _input_operands(node, arrays, ndim) + [
        Operand(o.dtype, o.type.shape, True, dims) for o in node.outputs]
    body = ElemwiseBody(node.op.scalar_op, [v.dtype for v in node.inputs], out_dtypes, index,
                        constants, fastmath)
    return NodeKernel(node, operands, ndim, body,
                      _call_plan(node, arrays, operands, ndim, out_dtypes))


def plan_reduce(node: Apply, fastmath: tuple) -> NodeKernel:
    """The kernels of a ``Reduce`` node (with or without a fused ``pre`` Composite)."""
    op: Reduce = node.op
    ndim = max(v.ndim for v in node.inputs)
    arrays, index, constants = _split_inputs(node, ndim)
    if op.pre is None:
        scalar_op, element = SCALAR_OPS["identity"], node.inputs[0].dtype
    else:
        if op.pre.nout != 1:
            raise NotLowerable("a reduction of a several-output Composite")
        scalar_op = op.pre
        (element,) = op.pre.output_dtypes(tuple(operand(v) for v in node.inputs))
    out = node.outputs[0]
    acc = accumulator_dtype(op.fold, element, out.dtype)
    register_type(acc)
    kept = tuple(j for j in range(ndim) if j not in op.axis)
    out_dims = tuple(kept.index(j) if j in kept else None for j in range(ndim))
    operands = _input_operands(node, arrays, ndim) + [
        Operand(out.dtype, out.type.shape, True, out_dims)]
    element_body = ElemwiseBody(scalar_op, [v.dtype for v in node.inputs], [element], index,
                                constants, fastmath)
    body = ReduceBody(element_body, element, op.fold, acc)
    empty = {"maximum": "maximum", "minimum": "minimum"}.get(op.fold)
    plan = _call_plan(node, arrays, operands, ndim, [out.dtype], kept=kept,
                      reduced=tuple(op.axis), empty_raises=empty)
    return NodeKernel(node, operands, ndim, body, plan, init=(op.fold, acc))


def plan_node(node: Apply, fastmath: tuple) -> NodeKernel | None:
    """The node's kernels, or None when the LLVM backend does not lower it."""
    if isinstance(node.op, Elemwise):
        return plan_elemwise(node, fastmath)
    if isinstance(node.op, Reduce):
        return plan_reduce(node, fastmath)
    return None
