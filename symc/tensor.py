"""What users type: symbolic tensor constructors, NumPy-style functions, operators and methods."""

from __future__ import annotations

import builtins
import sys

import numpy as np

from symc.config import config
from symc.graph.basic import Variable, as_variable, constant
from symc.graph.types import TensorType, canonical_dtype, is_float
from symc.ops.elemwise import DimShuffle, cast, elemwise
from symc.ops.linalg import Dot
from symc.ops.reduce import Argmax, Argmin, arg_reduce, normalize_axis, reduce
from symc.ops.shape import MakeVector, Reshape, Shape, ShapeI

# -- constructors ----------------------------------------------------------------------------


def tensor(name: str | None = None, dtype=None, shape=None, ndim: int | None = None) -> Variable:
    """A symbolic input; ``shape`` entries are ``None`` (unknown) or ints (``1`` broadcasts)."""
    if shape is None:
        if ndim is None:
            raise TypeError("tensor() needs a shape or an ndim")
        shape = (None,) * ndim
    elif ndim is not None and ndim != len(shape):
        raise ValueError(f"tensor(): ndim={ndim} disagrees with shape={shape}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"a variable's name must be a string, got {name!r}")
    return Variable(TensorType(dtype or config.floatX, shape), name=name)


def _maker(ndim: int, dtype=None, doc: str = ""):
    def make(name: str | None = None, dtype=dtype, shape=None) -> Variable:
        return tensor(name, dtype=dtype, shape=shape, ndim=ndim)

    make.__doc__ = doc
    return make


scalar = _maker(0, doc="A symbolic 0-d tensor (dtype defaults to config.floatX).")
vector = _maker(1, doc="A symbolic 1-d tensor (dtype defaults to config.floatX).")
matrix = _maker(2, doc="A symbolic 2-d tensor (dtype defaults to config.floatX).")
tensor3 = _maker(3, doc="A symbolic 3-d tensor (dtype defaults to config.floatX).")
tensor4 = _maker(4, doc="A symbolic 4-d tensor (dtype defaults to config.floatX).")

_LETTERS = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64"}
_KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4}
_module = sys.modules[__name__]
for _letter, _dtype in _LETTERS.items():
    for _kind, _nd in _KINDS.items():
        setattr(_module, _letter + _kind, _maker(_nd, _dtype, f"A symbolic {_dtype} {_kind}."))

# -- elementwise functions -----------------------------------------------------------------

_UNARY = ("neg abs sign sqr sqrt exp exp2 log log2 log10 log1p expm1 sin cos tan arcsin arccos "
          "arctan sinh cosh tanh sigmoid softplus erf floor ceil round trunc invert isnan isinf "
          "reciprocal").split()
_BINARY = ("add sub mul true_div floor_div mod pow arctan2 maximum minimum lt le gt ge eq neq "
           "and_ or_ xor").split()


def _elemwise_function(name: str):
    def apply(*args):
        return elemwise(name, *args)

    apply.__name__ = name
    apply.__doc__ = f"Elementwise ``{name}`` (NumPy's semantics and dtypes)."
    return apply


for _name in _UNARY + _BINARY:
    setattr(_module, _name, _elemwise_function(_name))


def switch(cond, a, b) -> Variable:
    """``a`` where ``cond`` is true, else ``b`` (``np.where``)."""
    return elemwise("switch", cond, a, b)


where = switch


def clip(x, lo, hi) -> Variable:
    """``x`` limited to ``[lo, hi]`` (``np.clip``)."""
    return elemwise("clip", x, lo, hi)


# -- reductions --------------------------------------------------------------------------------

def sum(x, axis=None, keepdims: bool = False, dtype=None) -> Variable:  # noqa: A001
    """Sum over ``axis``; bool and small ints accumulate in int64 as NumPy does."""
    return reduce("add", x, axis, keepdims, dtype)


def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Variable:
    """Product over ``axis`` (NumPy's accumulation dtype)."""
    return reduce("mul", x, axis, keepdims, dtype)


def max(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """Largest value over ``axis``; NaN propagates as in NumPy."""
    return reduce("maximum", x, axis, keepdims)


def min(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """Smallest value over ``axis``; NaN propagates as in NumPy."""
    return reduce("minimum", x, axis, keepdims)


def any(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """True where any value over ``axis`` is non-zero."""
    return reduce("or_", x, axis, keepdims)


def all(x, axis=None, keepdims: bool = False) -> Variable:  # noqa: A001
    """True where every value over ``axis`` is non-zero."""
    return reduce("and_", x, axis, keepdims)


def mean(x, axis=None, keepdims: bool = False) -> Variable:
    """Arithmetic mean over ``axis``; ints and bools average in float64 as NumPy does."""
    x = as_variable(x)
    axes = normalize_axis(axis, x.ndim, where="mean")
    acc = x.dtype if is_float(x.dtype) else "float64"
    total = reduce("add", x, axes, keepdims, dtype=acc)
    count = _count(x, axes)
    return true_div(total, cast(count, acc))  # noqa: F821 (installed above)


def _count(x: Variable, axes: tuple[int, ...]) -> Variable:
    static = [x.type.shape[a] for a in axes]
    if None not in static:
        return constant(int(np.prod(static, dtype=np.int64)), dtype="int64")
    count = constant(1, dtype="int64")
    for a in axes:
        count = mul(count, ShapeI(a)(x))  # noqa: F821
    return count


def argmax(x, axis=None, keepdims: bool = False) -> Variable:
    """Index of the largest value (flat index when ``axis`` is None), int64."""
    return arg_reduce(Argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims: bool = False) -> Variable:
    """Index of the smallest value (flat index when ``axis`` is None), int64."""
    return arg_reduce(Argmin, x, axis, keepdims)


# -- linear algebra and shapes ------------------------------------------------------------------

def dot(a, b) -> Variable:
    """Matrix/vector product, ``np.dot`` of 1-d and 2-d tensors."""
    return Dot()(a, b)


def outer(a, b) -> Variable:
    """``np.outer``: every product of a flattened ``a`` with a flattened ``b``."""
    a, b = flatten(as_variable(a)), flatten(as_variable(b))
    return mul(a.dimshuffle(0, "x"), b.dimshuffle("x", 0))  # noqa: F821


def dimshuffle(x, *pattern) -> Variable:
    """Theano's dimshuffle: reorder axes, ``'x'`` adds a broadcastable one."""
    if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
        pattern = tuple(pattern[0])
    x = as_variable(x)
    return DimShuffle(x.ndim, pattern)(x)


def transpose(x, axes=None) -> Variable:
    """Reverse (or permute by ``axes``) the dimensions."""
    x = as_variable(x)
    axes = tuple(reversed(range(x.ndim))) if axes is None else normalize_perm(axes, x.ndim)
    return DimShuffle(x.ndim, axes)(x)


def normalize_perm(axes, ndim: int) -> tuple[int, ...]:
    """A permutation of ``range(ndim)`` with negative axes allowed."""
    perm = tuple(normalize_axis(a, ndim, "transpose")[0] for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"transpose: {tuple(axes)} is not a permutation of {ndim} axes")
    return perm


def shape(x) -> Variable:
    """The symbolic shape of ``x`` (an int64 vector)."""
    return Shape()(as_variable(x))


def reshape(x, newshape) -> Variable:
    """``x`` with shape ``newshape`` (ints, symbolic integer scalars, or an int vector)."""
    x = as_variable(x)
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    if isinstance(newshape, Variable):
        if newshape.ndim != 1 or newshape.type.shape[0] is None:
            raise ValueError(f"reshape: a symbolic shape needs a known length, got {newshape.type}")
        return Reshape(newshape.type.shape[0])(x, cast(newshape, "int64"))
    dims = list(newshape)
    if builtins.all(isinstance(d, (int, np.integer)) for d in dims):
        vec = constant(np.array(dims, dtype=np.int64))
    else:
        vec = MakeVector("int64")(*[cast(as_variable(d), "int64") for d in dims])
    return Reshape(len(dims))(x, vec)


def flatten(x, ndim: int = 1) -> Variable:
    """``x`` with its trailing dimensions merged so that ``ndim`` remain."""
    x = as_variable(x)
    if ndim < 1 or ndim > builtins.max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be between 1 and {x.ndim}, got {ndim}")
    if ndim == 1:
        return reshape(x, (-1,))
    lead = [ShapeI(i)(x) for i in range(ndim - 1)]
    return reshape(x, [*lead, -1])


def as_tensor(value, name: str | None = None) -> Variable:
    """``value`` as a symbolic variable (constants for numbers and arrays)."""
    var = as_variable(value)
    if name is not None and var.name is None:
        var.name = name
    return var


def astype(x, dtype) -> Variable:
    """``x`` converted to ``dtype``."""
    return cast(x, canonical_dtype(dtype))


__all__ = [
    "tensor", "scalar", "vector", "matrix", "tensor3", "tensor4",
    *(letter + kind for letter in _LETTERS for kind in _KINDS),
    *_UNARY, *_BINARY,
    "switch", "where", "clip", "sum", "prod", "max", "min", "any", "all", "mean", "argmax",
    "argmin", "dot", "outer", "dimshuffle", "transpose", "shape", "reshape", "flatten",
    "as_tensor", "astype", "cast",
]
