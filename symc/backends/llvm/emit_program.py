"""A whole function in one builtin: the program entry, for graphs the LLVM backend runs entirely.

When every node of a function is a lowered kernel, a ``Shape_i``, a ``DimShuffle``, a float
``Dot`` or a ``SumToShape``, and no output is (a view of) an input or shares memory with
another output, the linked Python program (one thunk call per node, an ``np.empty`` per
output) is replaced at call time by ``symc_program_<one|list>``, a ``METH_FASTCALL |
METH_KEYWORDS`` builtin compiled into the function's module (a function with shared
variables or updates calls the list flavour from its general path). For Monte-Carlo pi at
N=30,000 the Python program spends ~0.9 µs per call around 3 µs of kernels; this entry
spends ~0.2 µs. It:

* checks that each argument is an ndarray of the input's dtype, ndim and static lengths;
* per kernel node, reads the broadcast iteration shape off its inputs, allocates the
  outputs with NumPy's ``PyArray_New`` and runs ``<node>_call`` (which checks every
  operand, outputs included, before touching memory); per ``Shape_i``, stores the length
  in a new 0-d int64 array; per ``DimShuffle``, makes a view (``PyArray_NewFromDescr``);
  per ``Dot``, calls NumPy's dot (``PyArray_MatrixProduct``); per ``SumToShape``, passes
  its input on when the shapes already agree;
* returns the outputs (the one array, or a list) and frees the intermediates.

It never reports an error itself. Any status it does not expect -- an argument that is not
a plain ndarray of the right type, shapes that do not broadcast, an empty max, a pool that
must be created first, no memory, keyword arguments -- frees what it allocated and hands
the untouched arguments to the Python entry (``self[0]``, :mod:`symc.compile.entry`),
which converts, computes or raises the precise error. Nothing is written before that point
except fresh outputs, so running the function again from the start is exact. ``self`` is a
tuple ``(python_entry, runtime_prepare, owner)`` (see :func:`~symc.backends.llvm.
pyfunction.program_builtin`); ``runtime_prepare`` is called once at the end when a kernel
ran a large loop before the thread pool existed (``STATUS_PREPARE``).
"""

from __future__ import annotations

from dataclasses import dataclass

import llvmlite.ir as ir
import numpy as np

from symc.backends.llvm import arraylayout as L
from symc.backends.llvm.emit_entry import cpython, field, operand_checker, process_object
from symc.backends.llvm.emit_loops import slot
from symc.backends.llvm.irtypes import I1, I8, I32, I64, PTR, itemsize, kind
from symc.backends.llvm.pyfunction import TUPLE_ITEMS
from symc.backends.llvm.status import STATUS_OK, STATUS_PREPARE
from symc.graph.types import TensorType
from symc.ops.elemwise import DimShuffle
from symc.ops.linalg import Dot
from symc.ops.reduce import SumToShape
from symc.ops.shape import ShapeI

#: Exported names of the two flavours: one output returned as is, or a list of outputs.
ONE, LIST = "symc_program_one", "symc_program_list"
_RUN = "symc_program_run"
#: What the internal run function answers its wrappers.
_DONE, _FALLBACK = 0, 1
_KEYWORDS = "symc_program_keywords"
_NULL = ir.Constant(PTR, None)
#: The NumPy C-API functions called, with their C types (see :mod:`numpy_api`):
#: ``PyArray_New(subtype, nd, dims, type_num, strides, data, itemsize, flags, obj)``,
#: ``PyArray_NewFromDescr(subtype, descr, nd, dims, strides, data, flags, obj)``,
#: ``PyArray_SetBaseObject(array, base)``, ``PyArray_MatrixProduct(a, b)`` (``np.dot``).
_NUMPY_API = {
    "PyArray_New": ir.FunctionType(PTR, [PTR, I32, PTR, I32, PTR, PTR, I32, I32, PTR]),
    "PyArray_NewFromDescr": ir.FunctionType(PTR, [PTR, PTR, I32, PTR, PTR, PTR, I32, PTR]),
    "PyArray_SetBaseObject": ir.FunctionType(I32, [PTR, PTR]),
    "PyArray_MatrixProduct": ir.FunctionType(PTR, [PTR, PTR]),
}


@dataclass(frozen=True)
class KernelStep:
    """A lowered node: ``<name>_call`` over the value slots ``args``; ``outs`` holds each
    output's dtype and the iteration dimensions it keeps; ``nonempty`` the dimensions that
    must not be empty (a max or min reduces over them); ``ndim`` the loop depth."""

    name: str
    args: tuple
    outs: tuple
    nonempty: tuple
    ndim: int


@dataclass(frozen=True)
class ShapeStep:
    """``Shape_i{axis}`` of the value in slot ``source``."""

    source: int
    axis: int


@dataclass(frozen=True)
class ViewStep:
    """``DimShuffle{order}`` of the value in slot ``source``: a view, no copy; ``dropped``
    lists the source's dimensions it drops (each must have length 1)."""

    source: int
    order: tuple
    dropped: tuple


@dataclass(frozen=True)
class SameShapeStep:
    """``SumToShape`` of slot ``source`` to the shape of slot ``like`` (``ndim`` dimensions)
    when the shapes are already equal (the usual case): the source itself. Otherwise the
    Python entry takes over, which sums."""

    source: int
    like: int
    ndim: int


@dataclass(frozen=True)
class DotStep:
    """``Dot`` of slots ``a`` and ``b`` through NumPy's ``PyArray_MatrixProduct`` (BLAS), for
    float operands of the output's ``dtype`` and an output of ``ndim`` >= 1 dimensions."""

    a: int
    b: int
    dtype: str
    ndim: int


@dataclass
class ProgramSpec:
    """The function as value slots (inputs first, then each step's outputs) and steps."""

    inputs: list
    steps: list
    outputs: list

    @property
    def n_slots(self) -> int:
        """How many values the program names: inputs and every step's outputs."""
        return len(self.inputs) + sum(len(s.outs) if isinstance(s, KernelStep) else 1
                                      for s in self.steps)

    def owned_slots(self) -> range:
        """The slots of the values the program makes (and must free)."""
        return range(len(self.inputs), self.n_slots)


def plan_program(fgraph, nodes: list, plans: list) -> ProgramSpec | None:
    """The program entry's plan for ``fgraph``, or None when some node, input or output is
    outside what it runs (then the linked Python program runs the function)."""
    if len(nodes) != len(fgraph.apply_nodes) or not fgraph.outputs:
        return None
    if not all(type(v.type) is TensorType for v in fgraph.inputs):
        return None
    slot = {v: k for k, v in enumerate(fgraph.inputs)}
    by_node = {p.node: (k, p) for k, p in enumerate(plans)}
    steps, origin = [], list(range(len(fgraph.inputs)))  # the slot whose memory each uses
    for node in nodes:
        step = _step(node, by_node, slot)
        if step is None:
            return None
        for out in node.outputs:
            slot[out] = len(slot)
            views = isinstance(step, (ViewStep, SameShapeStep))
            origin.append(origin[step.source] if views else slot[out])
        steps.append(step)
    outputs = [slot.get(v, -1) for v in fgraph.outputs]
    memory = [origin[s] if s >= 0 else -1 for s in outputs]
    if min(memory) < len(fgraph.inputs) or len(set(memory)) != len(memory):
        # an input (or a view of one), a constant, or two outputs sharing memory: the Python
        # program copies those
        return None
    inputs = [(v.dtype, v.type.shape) for v in fgraph.inputs]
    return ProgramSpec(inputs, steps, outputs)


def _step(node, by_node: dict, slot: dict):
    """The step running ``node``, or None when the program entry cannot run it."""
    if node in by_node:
        k, plan = by_node[node]
        return _kernel_step(f"k{k}", node, plan, slot)
    make = _STEPS.get(type(node.op))
    if make is None or any(v not in slot for v in node.inputs):
        return None  # another op, or an input that is a constant
    return make(node, [slot[v] for v in node.inputs])


#: op class -> ``make(node, input slots)``: the steps for the nodes that are not kernels.
_STEPS = {
    ShapeI: lambda node, ins: ShapeStep(ins[0], node.op.i),
    DimShuffle: lambda node, ins: ViewStep(ins[0], node.op.new_order, node.op.dropped),
    Dot: lambda node, ins: _dot_step(node, ins),
    SumToShape: lambda node, ins: SameShapeStep(ins[0], ins[1], node.inputs[0].ndim),
}


def _dot_step(node, ins: list[int]) -> DotStep | None:
    a, b = node.inputs
    out = node.outputs[0]
    if out.ndim == 0 or out.dtype not in ("float32", "float64") or (
            a.dtype != out.dtype or b.dtype != out.dtype):
        return None  # NumPy's dot then answers a scalar, or another dtype than the graph's
    return DotStep(ins[0], ins[1], out.dtype, out.ndim)


def _kernel_step(name: str, node, plan, slot: dict) -> KernelStep | None:
    call = plan.call_plan
    if any(node.inputs[p] not in slot for p in call.array_inputs):
        return None  # an array constant: not among the values the program holds
    outs = tuple((op.dtype, tuple(j for j, d in enumerate(op.dims) if d is not None))
                 for op in plan.operands if op.is_output)
    nonempty = tuple(call.reduced) if call.empty_raises else ()
    return KernelStep(name, tuple(slot[node.inputs[p]] for p in call.array_inputs), outs,
                      nonempty, plan.ndim)


def emit_program(module: ir.Module, spec: ProgramSpec) -> list[str]:
    """Emit the program entry's builtins; return their names (``[list]`` or ``[one, list]``)."""
    for step in spec.steps:
        if isinstance(step, KernelStep):  # called from here too: keep one copy of each
            module.get_global(f"{step.name}_call").attributes.add("noinline")
    run = _Run(module, spec).emit()
    names = [_emit_wrapper(module, run, len(spec.outputs), as_list=True)]
    if len(spec.outputs) == 1:
        names.insert(0, _emit_wrapper(module, run, 1, as_list=False))
    return names


def _numpy_api(b: ir.IRBuilder, name: str):
    """The NumPy C-API function ``name``, callable (its address is set at module init)."""
    address = b.ptrtoint(process_object(b, name), I64)
    return b.inttoptr(address, _NUMPY_API[name].as_pointer())


def _self_item(b: ir.IRBuilder, self_obj, k: int):
    return b.load(b.gep(self_obj, [ir.Constant(I64, TUPLE_ITEMS + 8 * k)], source_etype=I8),
                  typ=PTR)


class _Run:
    """``i32 symc_program_run(self, args, nargs, results)``: the whole function, or a status
    saying the Python entry must take over (everything it allocated is freed by then)."""

    def __init__(self, module: ir.Module, spec: ProgramSpec):
        self.spec = spec
        fnty = ir.FunctionType(I32, [PTR, PTR, I64, PTR])
        self.fn = ir.Function(module, fnty, _RUN)
        self.fn.linkage = "internal"
        self.fn.attributes.add("noinline")  # two wrappers call it: one copy of the work
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.owned = self.b.alloca(PTR, size=max(len(spec.owned_slots()), 1), name="owned")
        self.prepare = self.b.alloca(I1, name="prepare")
        self.values: list = []
        self._fail: ir.Block | None = None

    def emit(self) -> ir.Function:
        """Emit the body; return the function."""
        b, spec = self.b, self.spec
        _, args, nargs, results = self.fn.args
        for k in range(len(spec.owned_slots())):
            b.store(_NULL, self._owned(k))
        b.store(ir.Constant(I1, 0), self.prepare)
        self.require(b.icmp_signed("==", nargs, ir.Constant(I64, len(spec.inputs))))
        for k, (dtype, shape) in enumerate(spec.inputs):
            obj = b.load(b.gep(args, [ir.Constant(I64, k)], source_etype=PTR), typ=PTR)
            self._check_input(obj, dtype, shape)
            self.values.append(obj)
        run = {KernelStep: self._kernel, ShapeStep: self._shape_i, ViewStep: self._view,
               SameShapeStep: self._same_shape, DotStep: self._dot}
        for step in spec.steps:
            run[type(step)](step)
        self._finish(results)
        return self.fn

    def _owned(self, k: int):
        return self.b.gep(self.owned, [ir.Constant(I64, k)], source_etype=PTR)

    def require(self, condition) -> None:
        """Go on when ``condition`` holds; else free everything and answer ``_FALLBACK``."""
        if self._fail is None:
            self._fail = self.fn.append_basic_block("fallback")
            fb = ir.IRBuilder(self._fail)
            for k in range(len(self.spec.owned_slots())):
                obj = fb.load(fb.gep(self.owned, [ir.Constant(I64, k)], source_etype=PTR),
                              typ=PTR)
                fb.call(cpython(self.fn.module, "Py_DecRef"), [obj])  # Py_XDECREF
            fb.ret(ir.Constant(I32, _FALLBACK))
        ok = self.b.append_basic_block("ok")
        self.b.cbranch(condition, ok, self._fail)
        self.b.position_at_end(ok)

    def _require_array(self, obj, ndim: int, dtype: str, need_flags: int) -> None:
        """Go on only when ``obj`` is an ndarray of ``ndim`` dimensions and ``dtype``'s kind
        and size, native byte order, with the ``need_flags`` bits set (``operand_checker``)."""
        b = self.b
        with b.goto_entry_block():
            flags = b.alloca(I32, name="flags")
        data = b.call(operand_checker(b.module), [
            obj, ir.Constant(I32, ndim), ir.Constant(I8, ord(kind(dtype))),
            ir.Constant(I64, itemsize(dtype)), ir.Constant(I32, need_flags), _NULL, flags])
        self.require(b.icmp_unsigned("!=", data, _NULL))

    def _check_input(self, obj, dtype: str, shape: tuple) -> None:
        b = self.b
        self._require_array(obj, len(shape), dtype, 0)
        fixed = [(d, n) for d, n in enumerate(shape) if n is not None]
        if fixed:
            dims = field(b, obj, L.DIMS, PTR)
            for d, n in fixed:
                length = b.load(slot(b, dims, d), typ=I64)
                self.require(b.icmp_signed("==", length, ir.Constant(I64, n)))

    def _new_array(self, dtype: str, dims: list):
        """A new C-contiguous array (``PyArray_New``), owned by the next free slot."""
        b = self.b
        with b.goto_entry_block():
            shape = b.alloca(I64, size=max(len(dims), 1), name="dims")
        for j, n in enumerate(dims):
            b.store(n, slot(b, shape, j))
        obj = b.call(_numpy_api(b, "PyArray_New"), [
            process_object(b, "ndarray"), ir.Constant(I32, len(dims)), shape,
            ir.Constant(I32, np.dtype(dtype).num), _NULL, _NULL, ir.Constant(I32, 0),
            ir.Constant(I32, 0), _NULL])
        self._own(obj)
        return obj

    def _kernel(self, step: KernelStep) -> None:
        b, module = self.b, self.fn.module
        ins = [self.values[s] for s in step.args]
        shape = self._broadcast(ins, step.ndim)
        for j in step.nonempty:
            self.require(b.icmp_signed("!=", shape[j], ir.Constant(I64, 0)))
        outs = [self._new_array(dtype, [shape[j] for j in kept]) for dtype, kept in step.outs]
        status = b.call(module.get_global(f"{step.name}_call"), ins + outs)
        prepare = b.icmp_signed("==", status, ir.Constant(I32, STATUS_PREPARE))
        with b.if_then(prepare, likely=False):
            b.store(ir.Constant(I1, 1), self.prepare)
        done = b.icmp_signed("==", status, ir.Constant(I32, STATUS_OK))
        self.require(b.or_(done, prepare))

    def _broadcast(self, arrays: list, ndim: int) -> list:
        """The iteration shape: along each dimension, the length of an array that is not 1.

        Every value the program holds is an ndarray of its variable's ndim (the kernel's
        loop depth), so the lengths can be read directly. Whether they really broadcast is
        ``<node>_call``'s own check, against the outputs allocated from this shape: a
        mismatch makes it refuse (status 2) before touching memory, and the Python entry
        raises the error."""
        b = self.b
        dims = [field(b, array, L.DIMS, PTR) for array in arrays]
        shape = []
        for j in range(ndim):
            n = ir.Constant(I64, 1)
            for lengths in dims:
                d = b.load(slot(b, lengths, j), typ=I64)
                n = b.select(b.icmp_signed("!=", d, ir.Constant(I64, 1)), d, n)
            shape.append(n)
        return shape

    def _shape_i(self, step: ShapeStep) -> None:
        b = self.b
        dims = field(b, self.values[step.source], L.DIMS, PTR)
        length = b.load(slot(b, dims, step.axis), typ=I64)
        obj = self._new_array("int64", [])
        b.store(length, field(b, obj, L.DATA, PTR))

    def _view(self, step: ViewStep) -> None:
        """An ndarray over the source's memory (writeable when it is), based on the source."""
        b, module = self.b, self.fn.module
        source = self.values[step.source]
        dims, strides = field(b, source, L.DIMS, PTR), field(b, source, L.STRIDES, PTR)

        def read(base, d):
            return b.load(slot(b, base, d), typ=I64)

        for d in step.dropped:
            self.require(b.icmp_signed("==", read(dims, d), ir.Constant(I64, 1)))
        nd = len(step.order)
        with b.goto_entry_block():
            new_dims = b.alloca(I64, size=max(nd, 1), name="view_dims")
            new_strides = b.alloca(I64, size=max(nd, 1), name="view_strides")
        for j, d in enumerate(step.order):
            length, stride = ((ir.Constant(I64, 1), ir.Constant(I64, 0)) if d == "x"
                              else (read(dims, d), read(strides, d)))
            b.store(length, slot(b, new_dims, j))
            b.store(stride, slot(b, new_strides, j))
        descr = field(b, source, L.DESCR, PTR)
        # writeable when the source is, as NumPy's own views (a returned view may be written)
        writeable = b.and_(field(b, source, L.FLAGS, I32), ir.Constant(I32, L.WRITEABLE))
        b.call(cpython(module, "Py_IncRef"), [descr])  # NewFromDescr steals it
        view = b.call(_numpy_api(b, "PyArray_NewFromDescr"), [
            process_object(b, "ndarray"), descr, ir.Constant(I32, nd), new_dims, new_strides,
            field(b, source, L.DATA, PTR), writeable, _NULL])
        self._own(view)
        b.call(cpython(module, "Py_IncRef"), [source])  # SetBaseObject steals it
        failed = b.call(_numpy_api(b, "PyArray_SetBaseObject"), [view, source])
        self._require_no_error(b.icmp_signed("==", failed, ir.Constant(I32, 0)))

    def _same_shape(self, step: SameShapeStep) -> None:
        """The source again (a new reference) when its shape is ``like``'s, else fall back."""
        b = self.b
        source, like = self.values[step.source], self.values[step.like]
        dims, like_dims = field(b, source, L.DIMS, PTR), field(b, like, L.DIMS, PTR)
        for j in range(step.ndim):
            lengths = [b.load(slot(b, d, j), typ=I64) for d in (dims, like_dims)]
            self.require(b.icmp_signed("==", *lengths))
        b.call(cpython(self.fn.module, "Py_IncRef"), [source])
        self._own(source)

    def _dot(self, step: DotStep) -> None:
        """NumPy's dot (it checks the shapes and raises; the Python entry then says it), kept
        only when it is an ndarray of the graph's dtype and rank."""
        b = self.b
        product = b.call(_numpy_api(b, "PyArray_MatrixProduct"),
                         [self.values[step.a], self.values[step.b]])
        self._own(product)
        self._require_array(product, step.ndim, step.dtype, L.ALIGNED)

    def _own(self, obj) -> None:
        """Keep the new reference ``obj`` as the next value (fall back if it is NULL)."""
        b = self.b
        made = b.icmp_unsigned("!=", obj, _NULL)
        self._require_no_error(made)
        b.store(obj, self._owned(len(self.values) - len(self.spec.inputs)))
        self.values.append(obj)

    def _require_no_error(self, ok) -> None:
        """Like :meth:`require`, clearing the exception a failed C-API call set."""
        with self.b.if_then(self.b.not_(ok), likely=False):
            self.b.call(cpython(self.fn.module, "PyErr_Clear"), [])  # the Python entry says it
        self.require(ok)

    def _finish(self, results) -> None:
        """Hand the outputs over, free the intermediates, serve a runtime request."""
        b, spec, module = self.b, self.spec, self.fn.module
        for k, s in enumerate(spec.outputs):
            b.store(self.values[s], b.gep(results, [ir.Constant(I64, k)], source_etype=PTR))
        for s in spec.owned_slots():
            if s not in spec.outputs:
                b.call(cpython(module, "Py_DecRef"), [self.values[s]])
        with b.if_then(b.load(self.prepare, typ=I1), likely=False):
            self_obj = self.fn.args[0]
            answer = b.call(cpython(module, "PyObject_VectorcallDict"),
                            [_self_item(b, self_obj, 1), _NULL, ir.Constant(I64, 0), _NULL])
            with b.if_then(b.icmp_unsigned("==", answer, _NULL), likely=False):
                # the Python entry runs again and raises it, restated with the node
                b.call(cpython(module, "PyErr_Clear"), [])
                for s in spec.outputs:
                    b.call(cpython(module, "Py_DecRef"), [self.values[s]])
                b.ret(ir.Constant(I32, _FALLBACK))
            b.call(cpython(module, "Py_DecRef"), [answer])
        b.ret(ir.Constant(I32, _DONE))


def _emit_wrapper(module: ir.Module, run: ir.Function, n_out: int, as_list: bool) -> str:
    """``PyObject *<name>(self, args, nargs, kwnames)`` (``METH_FASTCALL | METH_KEYWORDS``):
    run, then return the output (or a list of the outputs), NULL with the exception set, or
    whatever the Python entry returns (it gets every call with keywords, to refuse them)."""
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, PTR, I64, PTR]),
                     LIST if as_list else ONE)
    self_obj, args, nargs, kwnames = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    python_entry = _self_item(b, self_obj, 0)
    with b.if_then(b.icmp_unsigned("!=", kwnames, _NULL), likely=False):
        b.ret(b.call(_keywords_call(module), [python_entry, args, nargs, kwnames]))
    results = b.alloca(PTR, size=n_out, name="results")
    status = b.call(run, [self_obj, args, nargs, results])
    with b.if_then(b.icmp_signed("==", status, ir.Constant(I32, _FALLBACK)), likely=False):
        b.ret(b.call(cpython(module, "PyObject_VectorcallDict"),
                     [python_entry, args, nargs, _NULL]))
    outs = [b.load(b.gep(results, [ir.Constant(I64, k)], source_etype=PTR), typ=PTR)
            for k in range(n_out)]
    if not as_list:
        b.ret(outs[0])
        return fn.name
    listed = b.call(cpython(module, "PyList_New"), [ir.Constant(I64, n_out)])
    with b.if_then(b.icmp_unsigned("==", listed, _NULL), likely=False):
        for out in outs:
            b.call(cpython(module, "Py_DecRef"), [out])
        b.ret(_NULL)
    for k, out in enumerate(outs):  # steals each reference
        b.call(cpython(module, "PyList_SetItem"), [listed, ir.Constant(I64, k), out])
    b.ret(listed)
    return fn.name


def _keywords_call(module: ir.Module) -> ir.Function:
    """``PyObject *symc_program_keywords(callable, args, nargs, kwnames)``: the vectorcall
    with keywords, through a dict (``PyObject_VectorcallDict`` is in every CPython >= 3.9)."""
    if _KEYWORDS in module.globals:
        return module.globals[_KEYWORDS]
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, PTR, I64, PTR]), _KEYWORDS)
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    callable_, args, nargs, kwnames = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    kwargs = b.call(cpython(module, "PyDict_New"), [])
    with b.if_then(b.icmp_unsigned("==", kwargs, _NULL), likely=False):
        b.ret(_NULL)
    count = field(b, kwnames, TUPLE_ITEMS - 8, I64)  # ob_size precedes the items
    head, body, done = (fn.append_basic_block(n) for n in ("head", "body", "done"))
    start = b.block
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), start)
    b.cbranch(b.icmp_signed("<", i, count), body, done)
    b.position_at_end(body)
    key = b.load(b.gep(kwnames, [b.add(b.mul(i, ir.Constant(I64, 8)),
                                       ir.Constant(I64, TUPLE_ITEMS))], source_etype=I8),
                 typ=PTR)
    value = b.load(b.gep(args, [b.add(nargs, i)], source_etype=PTR), typ=PTR)
    failed = b.call(cpython(module, "PyDict_SetItem"), [kwargs, key, value])
    with b.if_then(b.icmp_signed("!=", failed, ir.Constant(I32, 0)), likely=False):
        b.call(cpython(module, "Py_DecRef"), [kwargs])
        b.ret(_NULL)
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
    b.branch(head)
    b.position_at_end(done)
    answer = b.call(cpython(module, "PyObject_VectorcallDict"), [callable_, args, nargs, kwargs])
    b.call(cpython(module, "Py_DecRef"), [kwargs])
    b.ret(answer)
    return fn
