"""Reductions: ``Reduce`` (sum, prod, max, min, any, all; optionally of a fused Composite) and
``Argmax``/``Argmin``."""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Apply, Op, as_variable
from symc.graph.types import TensorType, broadcast_shapes
from symc.ops.elemwise import operand, pad_rank
from symc.ops.scalar import ScalarOp, scalar_op

#: The table op a reduction folds with -> (Theano's class name, NumPy's reduction function).
REDUCTIONS = {
    "add": ("Sum", np.sum),
    "mul": ("Prod", np.prod),
    "maximum": ("Max", np.max),
    "minimum": ("Min", np.min),
    "or_": ("Any", np.any),
    "and_": ("All", np.all),
}


def normalize_axis(axis, ndim: int, where: str) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    result = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{where}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{where}: axis {a} is out of range for {ndim} dimensions")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{where}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def reduce_dtype(fold: str, dtype: str) -> str:
    """NumPy's result dtype of the reduction ``fold`` over ``dtype`` (sum of int8 -> int64, ...)."""
    fn = REDUCTIONS[fold][1]
    return np.asarray(fn(np.ones((1,), dtype=dtype))).dtype.name


class Reduce(Op):
    """Fold ``fold`` (a table op name) over ``axis`` of its input.

    With ``pre`` (a fused Composite), the input is ``pre`` applied elementwise to the node's
    inputs; the reduction then makes no intermediate array (``Sum{Composite{...}}``).
    """

    __props__ = ("fold", "axis", "dtype", "pre")

    def __init__(self, fold: str, axis: tuple[int, ...], dtype: str, pre: ScalarOp | None = None):
        if fold not in REDUCTIONS:
            raise ValueError(f"unknown reduction {fold!r}; known: {', '.join(REDUCTIONS)}")
        self.fold = fold
        self.axis = tuple(axis)
        self.dtype = dtype
        self.pre = pre

    @property
    def scalar_op(self) -> ScalarOp:
        """The table op that combines two partial results."""
        return scalar_op(self.fold)

    @property
    def kind(self) -> str:
        """Theano's name for the reduction: Sum, Prod, Max, Min, Any or All."""
        return REDUCTIONS[self.fold][0]

    def make_node(self, *inputs):
        inputs = [as_variable(v) for v in inputs]
        if self.pre is None:
            if len(inputs) != 1:
                raise TypeError(f"{self} takes one input, got {len(inputs)}")
            in_type = inputs[0].type
        else:
            (dt,) = self.pre.output_dtypes(tuple(operand(v) for v in inputs))
            ndim = max(v.ndim for v in inputs)
            inputs = [pad_rank(v, ndim) for v in inputs]
            in_type = TensorType(dt, broadcast_shapes([v.type.shape for v in inputs], str(self)))
        for a in self.axis:
            if a >= in_type.ndim:
                raise ValueError(f"{self}: axis {a} is out of range for {in_type}")
        shape = tuple(d for i, d in enumerate(in_type.shape) if i not in self.axis)
        return Apply(self, inputs, [TensorType(self.dtype, shape)])

    def __str__(self):
        inner = self.pre.label() + ", " if self.pre is not None else ""
        parts = ["axis=" + ",".join(map(str, self.axis))]
        if self.fold in ("add", "mul"):
            parts.append(f"acc_dtype={self.dtype}")
        return f"{self.kind}{{{inner}{', '.join(parts)}}}"


def reduce(fold: str, x, axis=None, keepdims: bool = False, dtype=None):
    """Reduce ``x`` with the table op ``fold`` over ``axis`` (NumPy's dtype rules)."""
    from symc.ops.elemwise import DimShuffle

    x = as_variable(x)
    name = REDUCTIONS.get(fold, (fold,))[0].lower()
    axes = normalize_axis(axis, x.ndim, where=name)
    out_dtype = reduce_dtype(fold, x.dtype) if dtype is None else np.dtype(dtype).name
    out = Reduce(fold, axes, out_dtype)(x)
    if keepdims:
        out = DimShuffle(out.ndim, keepdims_order(x.ndim, axes))(out)
    return out


def keepdims_order(ndim: int, axes) -> list:
    """The dimshuffle pattern that puts reduced ``axes`` back as length-1 dimensions."""
    order, k = [], 0
    for i in range(ndim):
        if i in axes:
            order.append("x")
        else:
            order.append(k)
            k += 1
    return order


class Argmax(Op):
    """Index of the largest (``Argmax``) or smallest (``Argmin``) value along ``axis``."""

    __props__ = ("axis",)
    numpy_fn = staticmethod(np.argmax)

    def __init__(self, axis: int | None):
        self.axis = axis

    def make_node(self, x):
        x = as_variable(x)
        if self.axis is None:
            shape = ()
        else:
            if not 0 <= self.axis < x.ndim:
                raise ValueError(f"{type(self).__name__}: axis {self.axis} is out of range for "
                                 f"{x.type}")
            shape = tuple(d for i, d in enumerate(x.type.shape) if i != self.axis)
        return Apply(self, [x], [TensorType("int64", shape)])


class Argmin(Argmax):
    """See ``Argmax``."""

    numpy_fn = staticmethod(np.argmin)


def arg_reduce(cls, x, axis=None, keepdims: bool = False):
    """``Argmax``/``Argmin`` of ``x`` with NumPy's ``axis`` convention."""
    from symc.ops.elemwise import DimShuffle

    x = as_variable(x)
    if axis is not None:
        (axis,) = normalize_axis(axis, x.ndim, where=cls.__name__.lower())
    out = cls(axis)(x)
    if keepdims:
        axes = range(x.ndim) if axis is None else (axis,)
        out = DimShuffle(out.ndim, keepdims_order(x.ndim, axes))(out)
    return out


class SumToShape(Op):
    """``g`` summed (keeping dimensions) over the axes where ``like`` has length 1 and ``g``
    does not: the gradient of an input that an elementwise op broadcast.

    The gradient needs it only where a length is unknown until run time (NumPy broadcasts a
    length-1 array against any length); where the type says length 1, a ``Sum`` does it.
    When the shapes are equal, the result is ``g`` itself (a view).
    """

    __props__ = ()
    view_of = {0: 0}

    def make_node(self, g, like):
        g, like = as_variable(g), as_variable(like)
        if g.ndim != like.ndim:
            raise TypeError(f"SumToShape: {g.type} and {like.type} differ in dimensions")
        return Apply(self, [g, like], [TensorType(g.dtype, like.type.shape)])

    def __str__(self):
        return "SumToShape"
