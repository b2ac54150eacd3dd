"""The entry point of a node's kernel: a CPython builtin taking the ndarrays themselves.

``PyObject *<name>_fast(PyObject *self, PyObject *const *args, Py_ssize_t nargs)`` is a
``METH_FASTCALL`` builtin (see :mod:`pyfunction`): Python calls it as fast as any C function,
about 40 ns, where a ctypes call costs 0.5 us. Its arguments are the node's input arrays and
its freshly allocated outputs. ``<name>_call`` behind it reads each array's data pointer,
shape, strides, flags and dtype straight from NumPy's structs (offsets in :mod:`arraylayout`),
checks everything the kernel's memory accesses depend on before any element is touched,
builds the context array on its stack and runs the chunk function over the whole range --
split across the runtime's thread pool when the loop's estimated work pays for it
(:mod:`emit_parallel`) -- with the GIL released when the loop is long enough for that to
matter. It answers a Python int status:

* ``0``: done;
* ``1``: an operand is not an aligned, native-byte-order ndarray of the expected dtype and
  ndim (a subclass, a NumPy scalar, a wrong dtype under ``trust_input``, ...), or the
  argument count is wrong: the Python slow path normalizes the operands and calls again;
* ``2``: the shapes do not broadcast (the slow path raises the error);
* ``5``: a reduction's per-chunk partials could not be allocated (MemoryError);
* :data:`STATUS_PREPARE` (64): done, and the runtime should create its pool or measure its
  costs (the thunk calls :func:`symc.runtime.dispatch.prepare`);
* :data:`STATUS_RETRY` (65): not done -- a large reduction needs the runtime first (the
  thunk prepares it and calls again);
* anything else: the status the kernel stored (e.g. a negative integer power).

Why it is safe: an element address is ``data + sum(i_j * stride_j)`` with ``0 <= i_j < N_j``,
where ``N`` is the broadcast shape; an operand's stride along ``j`` is its own when its
length there is ``N_j`` and 0 when it is 1 (anything else is rejected), so no address leaves
the operand's memory. The flat (contiguous) kernel runs only when every moving operand is
C-contiguous with exactly the shape ``N``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import llvmlite.ir as ir

from symc.backends.llvm import arraylayout as L
from symc.backends.llvm.emit_loops import ONE, ZERO, CtxLayout, Operand, counted_loop, slot
from symc.backends.llvm.emit_parallel import (
    NEEDS_RUNTIME,
    NO_MEMORY,
    WANT_PREPARE,
    config_threads,
    dispatch_loop,
    dispatch_reduction,
    emit_combine,
    reduction_chunks,
    split_history,
)
from symc.backends.llvm.irtypes import (
    CHUNK_FN_TYPE,
    F64,
    I8,
    I32,
    I64,
    PTR,
    declare,
    itemsize,
    kind,
    memory_type,
    store,
)
from symc.backends.llvm.status import (
    STATUS_LAYOUT,
    STATUS_NO_MEMORY,
    STATUS_OK,
    STATUS_PREPARE,
    STATUS_RETRY,
    STATUS_SHAPE,
)
from symc.runtime import dispatch

assert (STATUS_PREPARE, STATUS_RETRY) == (dispatch.STATUS_PREPARE, dispatch.STATUS_RETRY)
#: Loops of at least this many elements run with the GIL released; for shorter ones the
#: release and re-acquire would cost more than other threads could gain.
GIL_RELEASE_ELEMENTS = 4096
#: The kernels compare an operand's type with Python type objects (``ndarray``, NumPy's
#: scalar types) and a program entry calls NumPy's ``PyArray_New``; their addresses differ
#: between processes, so baking them into the IR would defeat the disk cache. Each becomes a
#: module global ``symc_type_<key>`` that ``symc_module_init`` sets once after loading (see
#: :func:`type_keys` and :func:`~symc.backends.llvm.pyfunction.type_address`).
MODULE_INIT = "symc_module_init"
_TYPE_PREFIX = "symc_type_"
_CPYTHON = {
    "PyLong_FromLong": ir.FunctionType(PTR, [I64]),
    "PyEval_SaveThread": ir.FunctionType(PTR, []),
    "PyEval_RestoreThread": ir.FunctionType(ir.VoidType(), [PTR]),
    "PyObject_VectorcallDict": ir.FunctionType(PTR, [PTR, PTR, I64, PTR]),
    "Py_DecRef": ir.FunctionType(ir.VoidType(), [PTR]),
    "Py_IncRef": ir.FunctionType(ir.VoidType(), [PTR]),
    "PyList_New": ir.FunctionType(PTR, [I64]),
    "PyDict_New": ir.FunctionType(PTR, []),
    "PyDict_SetItem": ir.FunctionType(I32, [PTR, PTR, PTR]),
    "PyList_SetItem": ir.FunctionType(I32, [PTR, I64, PTR]),
    "PyErr_Clear": ir.FunctionType(ir.VoidType(), []),
}


def cpython(module: ir.Module, name: str) -> ir.Function:
    """The declaration of the CPython API function ``name``."""
    return declare(module, name, _CPYTHON[name])


def process_object(b: ir.IRBuilder, key: str):
    """Load the process address ``key``: the type object ``ndarray``, a dtype name's scalar
    type, or ``PyArray_New`` (NumPy's array constructor)."""
    module = b.module
    name = _TYPE_PREFIX + key
    if name not in module.globals:
        var = ir.GlobalVariable(module, PTR, name)
        var.initializer = ir.Constant(PTR, None)
        var.linkage = "internal"
    return b.load(module.get_global(name), typ=PTR)


def type_keys(module: ir.Module) -> list[str]:
    """The type objects the module's kernels use, in ``symc_module_init``'s argument order."""
    return sorted(name[len(_TYPE_PREFIX):] for name in module.globals
                  if name.startswith(_TYPE_PREFIX))


def emit_module_init(module: ir.Module) -> str:
    """Define ``void symc_module_init(ptr...)``, storing one type address per :func:`type_keys`
    entry; call it after every kernel is emitted."""
    keys = type_keys(module)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * len(keys)), MODULE_INIT)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    for key, arg in zip(keys, fn.args, strict=True):
        b.store(arg, module.get_global(_TYPE_PREFIX + key))
    b.ret_void()
    return MODULE_INIT


def field(b, base, offset: int, ty):
    """Load the ``ty`` field at byte ``offset`` of the object at ``base``."""
    return b.load(b.gep(base, [ir.Constant(I64, offset)], source_etype=I8), typ=ty)


class _Entry:
    """Builds one entry function; ``fail(status)`` blocks return that status."""

    def __init__(self, module, name, operands: list[Operand], ndim: int):
        self.operands, self.ndim = operands, ndim
        self.fn = ir.Function(module, ir.FunctionType(I32, [PTR] * len(operands)), f"{name}_call")
        self.fn.linkage = "internal"  # inlined into the builtin below
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.layout = CtxLayout(len(operands), ndim)
        self.ctx = self.b.alloca(I64, size=self.layout.size, name="ctx")
        self.flags_slot = self.b.alloca(I32, name="flags")
        self.data: list[ir.Value] = []  # each operand's data pointer
        self._fails: dict[int, ir.Block] = {}

    def require(self, condition, status: int) -> None:
        """Continue only when ``condition`` holds; else return ``status``."""
        if status not in self._fails:
            block = self.fn.append_basic_block(f"fail{status}")
            ir.IRBuilder(block).ret(ir.Constant(I32, status))
            self._fails[status] = block
        ok = self.b.append_basic_block("ok")
        self.b.cbranch(condition, ok, self._fails[status])
        self.b.position_at_end(ok)

    def read_operand(self, k: int):
        """Check operand ``k`` (see :func:`operand_checker`), store its data pointer in the
        context and return ``(flags, dims, strides)``."""
        b, op, obj = self.b, self.operands[k], self.fn.args[k]
        need = L.ALIGNED | (L.WRITEABLE | L.C_CONTIGUOUS if op.is_output else 0)
        accepts_scalar = op.ndim == 0 and not op.is_output
        scalar_type = process_object(b, op.dtype) if accepts_scalar else ir.Constant(PTR, None)
        data = b.call(operand_checker(b.module), [
            obj, ir.Constant(I32, op.ndim), ir.Constant(I8, ord(kind(op.dtype))),
            ir.Constant(I64, itemsize(op.dtype)), ir.Constant(I32, need), scalar_type,
            self.flags_slot])
        self.require(b.icmp_unsigned("!=", data, ir.Constant(PTR, None)), STATUS_LAYOUT)
        flags = b.load(self.flags_slot, typ=I32)
        self.data.append(data)
        # (llvmlite types the alloca as i64*, so the pointer is stored as an integer)
        b.store(b.ptrtoint(data, I64), slot(b, self.ctx, self.layout.ptr(k)))
        if op.ndim == 0:
            return flags, [], []
        dims_ptr, strides_ptr = field(b, obj, L.DIMS, PTR), field(b, obj, L.STRIDES, PTR)
        dims = [b.load(slot(b, dims_ptr, d), typ=I64) for d in range(op.ndim)]
        strides = [b.load(slot(b, strides_ptr, d), typ=I64) for d in range(op.ndim)]
        return flags, dims, strides


_CHECKER = "symc_check_operand"


def operand_checker(module: ir.Module) -> ir.Function:
    """``ptr symc_check_operand(obj, ndim, kind, elsize, need_flags, scalar_type, flags_out)``.

    The data pointer of ``obj`` when it is an ndarray of ``ndim`` dimensions whose dtype has
    kind ``kind``, item size ``elsize`` and native byte order, with the ``need_flags`` bits
    set; or the address of the value when ``obj``'s type is ``scalar_type`` (a NumPy scalar;
    null: not accepted). Null otherwise. The array's flags go to ``*flags_out``. One shared,
    non-inlined function: each node's entry calls it per operand instead of repeating it.
    """
    if _CHECKER in module.globals:
        return module.globals[_CHECKER]
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, I32, I8, I64, I32, PTR, I32.as_pointer()]),
                     _CHECKER)
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    obj, ndim, want_kind, elsize, need, scalar_type, flags_out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    null = ir.Constant(PTR, None)
    ob_type = field(b, obj, L.OB_TYPE, PTR)
    with b.if_then(b.icmp_unsigned("==", ob_type, scalar_type), likely=False):
        b.store(ir.Constant(I32, L.C_CONTIGUOUS | L.ALIGNED), flags_out)
        b.ret(b.gep(obj, [ir.Constant(I64, L.SCALAR_VALUE)], source_etype=I8))
    with b.if_then(b.icmp_unsigned("!=", ob_type, process_object(b, "ndarray")), likely=False):
        b.ret(null)
    descr = field(b, obj, L.DESCR, PTR)
    flags = field(b, obj, L.FLAGS, I32)
    ok = b.icmp_signed("==", field(b, obj, L.NDIM, I32), ndim)
    for check in (b.icmp_unsigned("==", field(b, descr, L.DESCR_KIND, I8), want_kind),
                  b.icmp_unsigned("!=", field(b, descr, L.DESCR_BYTEORDER, I8),
                                  ir.Constant(I8, ord(">"))),
                  b.icmp_signed("==", field(b, descr, L.DESCR_ELSIZE, I64), elsize),
                  b.icmp_unsigned("==", b.and_(flags, need), need)):
        ok = b.and_(ok, check)
    b.store(flags, flags_out)
    b.ret(b.select(ok, field(b, obj, L.DATA, PTR), null))
    return fn


def _broadcast_shape(e: _Entry, dims: list[list]) -> list:
    """The iteration shape from the inputs' lengths; return 2 unless each is N_j or 1."""
    b = e.b
    inputs = [k for k, op in enumerate(e.operands) if not op.is_output]
    source = inputs or [len(e.operands) - 1]
    shape = []
    for j in range(e.ndim):
        n = ONE
        for k in source:
            d = dims[k][e.operands[k].dims[j]]
            n = b.select(b.icmp_signed("!=", d, ONE), d, n)
        shape.append(n)
    ok = ir.Constant(ir.IntType(1), 1)
    for k, op in enumerate(e.operands):
        for j, d in enumerate(op.dims):
            if d is None:
                continue
            length = dims[k][d]
            if op.is_output:
                good = b.icmp_signed("==", length, shape[j])
            elif op.static_shape[d] == 1:
                good = b.icmp_signed("==", length, ONE)
            else:
                good = b.or_(b.icmp_signed("==", length, shape[j]),
                             b.icmp_signed("==", length, ONE))
            ok = b.and_(ok, good)
    e.require(ok, STATUS_SHAPE)
    return shape


def _store_context(e: _Entry, shape, dims, strides) -> None:
    b, layout = e.b, e.layout
    for j, n in enumerate(shape):
        b.store(n, slot(b, e.ctx, layout.shape(j)))
    for k, op in enumerate(e.operands):
        for j, d in enumerate(op.dims):
            if d is None:
                stride = ZERO
            elif op.is_output:
                stride = strides[k][d]
            else:  # a broadcast length-1 dimension does not move
                stride = b.select(b.icmp_signed("==", dims[k][d], ONE), ZERO, strides[k][d])
            b.store(stride, slot(b, e.ctx, layout.stride(k, j)))
    b.store(ZERO, slot(b, e.ctx, layout.status))
    b.store(ZERO, slot(b, e.ctx, layout.chunk_stride))


def _product(b, values):
    total = ONE
    for v in values:
        total = b.mul(total, v)
    return total


def _fill_output(e: _Entry, value: ir.Constant, dtype: str, count) -> None:
    """Write the reduction's identity into every element of the (C-contiguous) output."""
    b, base = e.b, e.data[-1]
    if e.operands[-1].ndim == 0:  # a whole-array reduction: one element, no loop
        store(b, value, base, dtype)
        return

    def body(b, i, _):
        store(b, value, b.gep(base, [i], source_etype=memory_type(dtype)), dtype)
        return []

    counted_loop(b, ZERO, count, [], body, vectorize=False)


def _contiguous(e: _Entry, flags, dims, shape, operands: list[int]):
    """``i1``: each listed operand is C-contiguous with exactly the iteration shape."""
    b = e.b
    ok = ir.Constant(ir.IntType(1), 1)
    for k in operands:
        c = b.and_(flags[k], ir.Constant(I32, L.C_CONTIGUOUS))
        ok = b.and_(ok, b.icmp_unsigned("!=", c, ir.Constant(I32, 0)))
        for j, d in enumerate(e.operands[k].dims):
            ok = b.and_(ok, b.icmp_signed("==", dims[k][d], shape[j]))
    return ok


@dataclass(frozen=True)
class Reduction:
    """What the entry of a reduction needs: the fold's identity and the fold itself.

    ``fold(b, acc, value)`` emits the fold of two register values of ``dtype``; ``bits`` is
    the identity's bit pattern in memory (for the runtime, which fills partials with it).
    """

    identity: ir.Constant
    dtype: str
    fold: Callable
    bits: int


def emit_entry(module: ir.Module, name: str, operands: list[Operand], ndim: int,
               kernels: list[str], ns_per_element: float,
               reduction: Reduction | None = None) -> str:
    """Emit ``<name>_call``; ``kernels`` is ``[strided]`` or ``[strided, contig]``;
    ``ns_per_element`` is the kernel's estimated single-thread cost (see
    :mod:`kernel_cost`); ``reduction`` is given for a reduction. Returns the function's name."""
    e = _Entry(module, name, operands, ndim)
    b = e.b
    fields = [e.read_operand(k) for k in range(len(operands))]
    flags = [f for f, _, _ in fields]
    dims = [d for _, d, _ in fields]
    shape = _broadcast_shape(e, dims)
    _store_context(e, shape, dims, [s for _, _, s in fields])
    out_count = None
    if reduction is not None:
        out = operands[-1]
        out_count = _product(b, [shape[j] for j, d in enumerate(out.dims) if d is not None])
        _fill_output(e, reduction.identity, reduction.dtype, out_count)
    total = _product(b, shape)
    e.require(b.icmp_signed("!=", total, ZERO), STATUS_OK)
    fn, n = _choose_kernel(e, [module.get_global(k) for k in kernels], flags, dims, shape, total,
                           reduction is not None)
    flags = _run(e, fn, n, total, ns_per_element, reduction, out_count)
    if _shares_outputs(e, reduction):  # only reductions with partials raise these flags
        e.require(_no_flag(b, flags, NEEDS_RUNTIME), STATUS_RETRY)
        e.require(_no_flag(b, flags, NO_MEMORY), STATUS_NO_MEMORY)
    status = b.trunc(b.load(slot(b, e.ctx, e.layout.status), typ=I64), I32)
    ok = b.icmp_signed("==", status, ir.Constant(I32, STATUS_OK))
    prepare = b.and_(ok, b.not_(_no_flag(b, flags, WANT_PREPARE)))
    b.ret(b.select(prepare, ir.Constant(I32, STATUS_PREPARE), status))
    return e.fn.name


def _no_flag(b, flags, flag: int):
    """i1: ``flag`` is not set in the i32 ``flags``."""
    return b.icmp_unsigned("==", b.and_(flags, ir.Constant(I32, flag)), ir.Constant(I32, 0))


def _call_if(b, condition, name: str, args):
    """Call the CPython function ``name`` when ``condition`` holds; return its result (a null
    pointer when not called) if it returns a pointer."""
    before = b.block
    fn = cpython(b.module, name)
    with b.if_then(condition, likely=False):
        result = b.call(fn, args)
        then = b.block
    if fn.function_type.return_type != PTR:
        return None
    merged = b.phi(PTR)
    merged.add_incoming(result, then)
    merged.add_incoming(ir.Constant(PTR, None), before)
    return merged


def _choose_kernel(e: _Entry, fns, flags, dims, shape, total, reduction: bool):
    """``(chunk function, range)``: the flat kernel over ``[0, total)`` when every moving
    operand is contiguous, else the strided one over dimension 0."""
    b = e.b
    strided_range = shape[0] if e.ndim else ONE
    if len(fns) == 1:
        return fns[0], strided_range
    moving = [k for k, op in enumerate(e.operands)
              if not op.scalar and not (op.is_output and reduction)]
    flat = _contiguous(e, flags, dims, shape, moving)
    return b.select(flat, fns[1], fns[0]), b.select(flat, total, strided_range)


def _shares_outputs(e: _Entry, reduction: Reduction | None) -> bool:
    """True when chunks of the split range fold into the same output elements (the output
    does not move along dimension 0, or the flat kernel runs): they need partials."""
    return reduction is not None and (e.ndim == 0 or e.operands[-1].dims[0] is None)


def _run(e: _Entry, fn, n, total, ns_per_element: float, reduction, out_count):
    """Run the chunks, the GIL released for long loops: directly on one thread, else through
    the runtime (:mod:`emit_parallel`), which decides and runs -- a reduction whose chunks
    share output elements with per-chunk partials.

    Returns the runtime's i32 flags (0 when it was not involved).
    """
    b = e.b
    if e.ndim == 0:  # one element: nothing to plan or split
        b.call(fn, [e.ctx, ZERO, ZERO, ONE])
        return ir.Constant(I32, 0)
    work = b.fmul(b.sitofp(total, F64), ir.Constant(F64, ns_per_element))
    threads = config_threads(b, work)
    release = b.icmp_signed(">=", total, ir.Constant(I64, GIL_RELEASE_ELEMENTS))
    thread_state = _call_if(b, release, "PyEval_SaveThread", [])
    with b.goto_entry_block():
        slot_flags = b.alloca(I32, name="flags")
    b.store(ir.Constant(I32, 0), slot_flags)
    with b.if_else(b.icmp_signed(">", threads, ONE), likely=False) as (several, one):
        with several:
            history = split_history(b.module, e.fn.name)
            args = [b.bitcast(fn, CHUNK_FN_TYPE.as_pointer()), e.ctx, n, total, work, threads]
            if _shares_outputs(e, reduction):
                b.store(_run_reduction(e, reduction, history, args, out_count), slot_flags)
            else:
                b.store(dispatch_loop(b, history, *args, ZERO), slot_flags)
        with one:
            b.call(fn, [e.ctx, ZERO, ZERO, n])
    _call_if(b, release, "PyEval_RestoreThread", [thread_state])
    return b.load(slot_flags, typ=I32)


def _run_reduction(e: _Entry, reduction: Reduction, history, args: list, out_count):
    """A reduction whose chunks share outputs: in one chunk, or in several with partials."""
    b = e.b
    fn, ctx, n, total, work, threads = args
    chunks = reduction_chunks(b, threads, total, n, out_count, work)
    with b.goto_entry_block():
        slot_flags = b.alloca(I32, name="reduce_flags")
    with b.if_else(b.icmp_signed(">", chunks, ONE), likely=False) as (split, whole):
        with split:
            combine = emit_combine(b.module, e.fn.name.replace("_call", "_combine"),
                                   reduction.dtype, reduction.fold)
            spec = (combine, e.layout.ptr(len(e.operands) - 1), e.layout.chunk_stride,
                    reduction.bits, itemsize(reduction.dtype), out_count)
            b.store(dispatch_reduction(b, history, args, chunks, spec), slot_flags)
        with whole:
            b.store(dispatch_loop(b, history, *args, ONE), slot_flags)
    return b.load(slot_flags, typ=I32)


def emit_builtin(module: ir.Module, name: str, n_operands: int) -> str:
    """Emit ``PyObject *<name>_fast(self, args, nargs)`` around ``<name>_call``."""
    fn = ir.Function(module, ir.FunctionType(PTR, [PTR, PTR, I64]), f"{name}_fast")
    _, args, nargs = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    from_long = cpython(module, "PyLong_FromLong")
    with b.if_then(b.icmp_signed("!=", nargs, ir.Constant(I64, n_operands)), likely=False):
        b.ret(b.call(from_long, [ir.Constant(I64, STATUS_LAYOUT)]))
    objects = [b.load(b.gep(args, [ir.Constant(I64, k)], source_etype=PTR), typ=PTR)
               for k in range(n_operands)]
    status = b.call(module.get_global(f"{name}_call"), objects)
    b.ret(b.call(from_long, [b.sext(status, I64)]))
    return fn.name
