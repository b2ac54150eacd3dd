"""Shape ops: ``Shape``, ``ShapeI``, ``MakeVector``, ``Reshape`` and basic indexing
(``Subtensor``, and ``IncSubtensor`` for its gradient)."""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Apply, Constant, Op, Variable, as_variable
from symc.graph.types import TensorType, is_int


class Shape(Op):
    """The shape of a tensor, as an int64 vector."""

    def make_node(self, x):
        x = as_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))])


class ShapeI(Op):
    """The length of dimension ``i`` of a tensor, as an int64 scalar (no array is built)."""

    __props__ = ("i",)

    def __init__(self, i: int):
        self.i = int(i)

    def make_node(self, x):
        x = as_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"Shape_i: dimension {self.i} is out of range for {x.type}")
        return Apply(self, [x], [TensorType("int64", ())])

    def __str__(self):
        return f"Shape_i{{{self.i}}}"


def _int_scalar(v, where: str) -> Variable:
    v = as_variable(v)
    if v.ndim != 0 or not (is_int(v.dtype) or v.dtype == "bool") or v.dtype == "bool":
        raise TypeError(f"{where}: expected an integer scalar, got {v} of type {v.type}")
    return v


class MakeVector(Op):
    """A vector of ``dtype`` made of scalars."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64"):
        self.dtype = dtype

    def make_node(self, *scalars):
        scalars = [as_variable(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {s.type}")
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars),))])


class Reshape(Op):
    """``np.reshape(x, shape)`` with ``shape`` an int64 vector of length ``ndim``; a view."""

    __props__ = ("ndim",)
    view_of = {0: 0}

    def __init__(self, ndim: int):
        self.ndim = int(ndim)

    def make_node(self, x, shape):
        x, shape = as_variable(x), as_variable(shape)
        length = shape.type.shape[0] if shape.ndim == 1 else None
        if shape.ndim != 1 or not is_int(shape.dtype) or length not in (None, self.ndim):
            raise TypeError(f"reshape: the shape must be an integer vector of length {self.ndim}, "
                            f"got {shape.type}")
        return Apply(self, [x, shape], [TensorType(x.dtype, self._static_shape(x, shape))])

    def _static_shape(self, x: Variable, shape: Variable) -> tuple:
        if isinstance(shape, Constant):
            dims = [int(d) for d in shape.data]
            if dims.count(-1) > 1 or any(d < -1 for d in dims):
                raise ValueError(f"reshape: invalid shape {tuple(dims)}")
            known = [d for d in x.type.shape]
            if -1 in dims and None not in known:
                rest = int(np.prod([d for d in dims if d != -1]))
                total = int(np.prod(known))
                if rest == 0 or total % rest:
                    raise ValueError(f"reshape: cannot reshape {x.type} into {tuple(dims)}")
                dims[dims.index(-1)] = total // rest
            elif None not in known and -1 not in dims and int(np.prod(known)) != int(np.prod(dims)):
                raise ValueError(f"reshape: cannot reshape {x.type} into {tuple(dims)}")
            return tuple(None if d == -1 else d for d in dims)
        if shape.owner is not None and isinstance(shape.owner.op, MakeVector):
            return tuple(int(s.data) if isinstance(s, Constant) and int(s.data) >= 0 else None
                         for s in shape.owner.inputs)
        return (None,) * self.ndim


def _slice_length(dim: int | None, sl: tuple) -> int | None:
    if dim is None or any(isinstance(p, str) for p in sl):
        return None
    return len(range(*slice(*sl).indices(dim)))


class Subtensor(Op):
    """Basic indexing ``x[...]`` with integers and slices; the result is a view.

    ``idx_list`` describes the index with ``"i"`` placeholders for values taken, in order,
    from the node's extra inputs (integer scalars, symbolic or constant), e.g.
    ``(("slice", "i", None, None), "i")`` for ``x[a:, b]``.
    """

    __props__ = ("idx_list",)
    view_of = {0: 0}

    def __init__(self, idx_list: tuple):
        self.idx_list = tuple(idx_list)

    def make_node(self, x, *index_values):
        x = as_variable(x)
        if len(self.idx_list) > x.ndim:
            raise IndexError(f"too many indices for {x} of type {x.type}: {len(self.idx_list)}")
        values = [_int_scalar(v, "index") for v in index_values]
        shape, pos = [], 0
        for dim, entry in zip(x.type.shape, self.idx_list, strict=False):
            if entry == "i":
                self._check_static_index(values[pos], dim)
                pos += 1
                continue
            parts = []
            for p in entry[1:]:
                if p == "i":
                    v = values[pos]
                    pos += 1
                    parts.append(int(v.data) if isinstance(v, Constant) else "i")
                else:
                    parts.append(p)
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            shape.append(_slice_length(dim, tuple(parts)))
        shape.extend(x.type.shape[len(self.idx_list):])
        return Apply(self, [x, *values], [TensorType(x.dtype, shape)])

    @staticmethod
    def _check_static_index(v: Variable, dim: int | None) -> None:
        if isinstance(v, Constant) and dim is not None and not -dim <= int(v.data) < dim:
            raise IndexError(f"index {int(v.data)} is out of bounds for a dimension of {dim}")

    def build_index(self, values) -> tuple:
        """The concrete NumPy index from the runtime values of the extra inputs."""
        it = iter(values)
        index = []
        for entry in self.idx_list:
            if entry == "i":
                index.append(int(next(it)))
            else:
                index.append(slice(*(int(next(it)) if p == "i" else p for p in entry[1:])))
        return tuple(index)

    def __str__(self):
        parts = []
        for entry in self.idx_list:
            if entry == "i":
                parts.append("i")
            else:
                parts.append(":".join("" if p is None else str(p) for p in entry[1:]))
        return "Subtensor{" + ", ".join(parts) + "}"


class IncSubtensor(Op):
    """A copy of ``x`` with ``y`` added at the basic index ``x[...]`` that ``idx_list`` and the
    extra inputs describe (as in :class:`Subtensor`): the gradient of indexing."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: tuple):
        self.idx_list = tuple(idx_list)

    def make_node(self, x, y, *index_values):
        x, y = as_variable(x), as_variable(y)
        view = Subtensor(self.idx_list).make_node(x, *index_values)  # checks the index
        if y.ndim > view.outputs[0].ndim:
            raise TypeError(f"IncSubtensor: {y.type} does not fit x[...] of type "
                            f"{view.outputs[0].type}")
        return Apply(self, [x, y, *view.inputs[1:]], [TensorType(x.dtype, x.type.shape)])

    def build_index(self, values) -> tuple:
        """The concrete NumPy index (as :meth:`Subtensor.build_index`)."""
        return Subtensor(self.idx_list).build_index(values)

    def __str__(self):
        return "Inc" + str(Subtensor(self.idx_list))


def subtensor(x, key) -> Variable:
    """``x[key]`` for a key of integers, symbolic integer scalars and slices."""
    x = as_variable(x)
    key = key if isinstance(key, tuple) else (key,)
    if any(k is Ellipsis or k is None for k in key):
        raise TypeError("symc indexing supports integers and slices; got Ellipsis or None")
    idx_list, values = [], []
    for k in key:
        if isinstance(k, slice):
            parts = ["slice"]
            for p in (k.start, k.stop, k.step):
                if p is None:
                    parts.append(None)
                else:
                    parts.append("i")
                    values.append(_index_value(p))
            idx_list.append(tuple(parts))
        else:
            idx_list.append("i")
            values.append(_index_value(k))
    return Subtensor(tuple(idx_list))(x, *values)


def _index_value(k) -> Variable:
    if isinstance(k, bool) or isinstance(k, float):
        raise TypeError(f"indices must be integers or symbolic integer scalars, got {k!r}")
    if isinstance(k, (int, np.integer)):
        return Constant(TensorType("int64", ()), int(k))
    if isinstance(k, Variable):
        return _int_scalar(k, "index")
    raise TypeError(f"indices must be integers, slices or symbolic integer scalars, got {k!r} "
                    "(advanced indexing is not supported)")
