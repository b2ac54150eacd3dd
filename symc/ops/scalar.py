"""THE scalar op table: every scalar operation symc knows, declared once.

Each entry gives the op's name, arity, NumPy reference implementation, output-dtype rule,
printed form, flags, and its gradient rule (``grad``; ``NOT_DIFFERENTIABLE`` where none
exists, ``None`` until the gradient module fills it in). Backends look ops up here by name
and register their own lowering for each; nothing backend-specific lives in this file.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from symc.graph.types import canonical_dtype

#: Marks an op that has no gradient (comparisons, rounding, bit operations, ...).
NOT_DIFFERENTIABLE = "not differentiable"

_PROBE_WEAK = {"bool": True, "int64": 1, "float64": 1.0}


def _probe_args(operands):
    return [
        _PROBE_WEAK[dt] if weak else np.ones((1,), dtype=dt)
        for dt, weak in operands
    ]


@functools.lru_cache(maxsize=4096)
def numpy_result_dtype(impl: Callable, operands: tuple[tuple[str, bool], ...]) -> str:
    """The dtype NumPy's ``impl`` gives for ``(dtype, weak)`` operands.

    This *is* NumPy's rule, asked once per combination and cached: symc's dtypes equal
    NumPy's by construction. ``TypeError`` when NumPy refuses the dtypes (e.g. ``-bool``).
    """
    with np.errstate(all="ignore"):
        out = impl(*_probe_args(operands))
    if isinstance(out, tuple):
        out = out[0]
    return canonical_dtype(np.asarray(out).dtype)


class ScalarOp:
    """One scalar operation; ops compare equal by ``name`` (and ``props`` when parameterized)."""

    def __init__(self, name: str, nin: int, impl: Callable, fmt: str | None = None, *,
                 commutative: bool = False, associative: bool = False, identity=None,
                 differentiable: bool = True):
        self.name = name
        self.nin = nin
        self.nout = 1
        self.impl = impl
        self.fmt = fmt or name + "(" + ", ".join(f"{{{i}}}" for i in range(nin)) + ")"
        self.commutative = commutative
        self.associative = associative
        self.identity = identity
        self.grad = None if differentiable else NOT_DIFFERENTIABLE

    @property
    def props(self) -> tuple:
        """The parameters that distinguish ops of the same name."""
        return ()

    def output_dtypes(self, operands: tuple[tuple[str, bool], ...]) -> tuple[str, ...]:
        """Output dtypes for ``(dtype, weak)`` inputs (NumPy's, see ``numpy_result_dtype``)."""
        return (numpy_result_dtype(self.impl, tuple(operands)),)

    def format(self, args: list[str]) -> str:
        """The printed form applied to already-printed arguments, e.g. ``(i0 + i1)``."""
        return self.fmt.format(*args)

    def label(self) -> str:
        """The op's name as node names show it, e.g. ``add`` or ``Cast{float32}``."""
        return self.name

    def __eq__(self, other):
        return type(self) is type(other) and (self.name, self.props) == (other.name, other.props)

    def __hash__(self):
        return hash((type(self), self.name, self.props))

    def __repr__(self):
        return self.name


class Cast(ScalarOp):
    """Convert to ``dtype`` with NumPy's ``astype`` (unsafe casting, C semantics).

    Only casts to a float dtype have a gradient; integer and bool results are piecewise constant.
    """

    def __init__(self, dtype: str):
        self.dtype = canonical_dtype(dtype)
        # ``{{`` in the f-string leaves ``{{dtype}}`` in ``fmt``, which ``format`` prints as braces.
        super().__init__("cast", 1, self._cast, fmt=f"cast{{{{{self.dtype}}}}}({{0}})",
                         differentiable=self.dtype.startswith("float"))

    def _cast(self, x):
        return np.asarray(x).astype(self.dtype)

    @property
    def props(self) -> tuple:
        return (self.dtype,)

    def output_dtypes(self, operands):
        return (self.dtype,)

    def label(self) -> str:
        return f"Cast{{{self.dtype}}}"


# -- NumPy reference implementations that NumPy lacks as one ufunc -------------------------

def _as_float(x):
    """``x`` as the float dtype NumPy's unary float ufuncs pick (int8 -> float16, ...)."""
    x = np.asarray(x)
    return x.astype(np.promote_types(x.dtype, np.float16), copy=False)


def sigmoid_impl(x):
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    x = _as_float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def softplus_impl(x):
    """``log(1 + exp(x))`` without overflow: ``logaddexp(0, x)``."""
    x = _as_float(x)
    return np.logaddexp(x.dtype.type(0), x)


_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def erf_impl(x):
    """The error function, from ``math.erf`` in float64, rounded to the float dtype."""
    x = _as_float(x)
    return np.asarray(_erf_ufunc(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)


def identity_impl(x):
    """A copy of ``x`` (an op must not hand back its input)."""
    return np.array(x, copy=True)


# -- the table -------------------------------------------------------------------------------

def _table(*ops: ScalarOp) -> dict[str, ScalarOp]:
    return {op.name: op for op in ops}


_ND = {"differentiable": False}

SCALAR_OPS: dict[str, ScalarOp] = _table(
    ScalarOp("add", 2, np.add, "({0} + {1})", commutative=True, associative=True, identity=0),
    ScalarOp("sub", 2, np.subtract, "({0} - {1})"),
    ScalarOp("mul", 2, np.multiply, "({0} * {1})", commutative=True, associative=True,
             identity=1),
    ScalarOp("true_div", 2, np.true_divide, "({0} / {1})"),
    ScalarOp("floor_div", 2, np.floor_divide, "({0} // {1})", **_ND),
    ScalarOp("mod", 2, np.mod, "({0} % {1})"),
    ScalarOp("pow", 2, np.power, "({0} ** {1})"),
    ScalarOp("neg", 1, np.negative, "(-{0})"),
    ScalarOp("abs", 1, np.absolute),
    ScalarOp("sign", 1, np.sign, **_ND),
    ScalarOp("sqr", 1, np.square),
    ScalarOp("sqrt", 1, np.sqrt),
    ScalarOp("reciprocal", 1, np.reciprocal),
    ScalarOp("exp", 1, np.exp),
    ScalarOp("exp2", 1, np.exp2),
    ScalarOp("log", 1, np.log),
    ScalarOp("log2", 1, np.log2),
    ScalarOp("log10", 1, np.log10),
    ScalarOp("log1p", 1, np.log1p),
    ScalarOp("expm1", 1, np.expm1),
    ScalarOp("sin", 1, np.sin),
    ScalarOp("cos", 1, np.cos),
    ScalarOp("tan", 1, np.tan),
    ScalarOp("arcsin", 1, np.arcsin),
    ScalarOp("arccos", 1, np.arccos),
    ScalarOp("arctan", 1, np.arctan),
    ScalarOp("arctan2", 2, np.arctan2),
    ScalarOp("sinh", 1, np.sinh),
    ScalarOp("cosh", 1, np.cosh),
    ScalarOp("tanh", 1, np.tanh),
    ScalarOp("sigmoid", 1, sigmoid_impl),
    ScalarOp("softplus", 1, softplus_impl),
    ScalarOp("erf", 1, erf_impl),
    ScalarOp("floor", 1, np.floor, **_ND),
    ScalarOp("ceil", 1, np.ceil, **_ND),
    ScalarOp("round", 1, np.round, **_ND),
    ScalarOp("trunc", 1, np.trunc, **_ND),
    ScalarOp("maximum", 2, np.maximum, commutative=True, associative=True),
    ScalarOp("minimum", 2, np.minimum, commutative=True, associative=True),
    ScalarOp("clip", 3, np.clip),
    ScalarOp("switch", 3, np.where),
    ScalarOp("lt", 2, np.less, **_ND),
    ScalarOp("le", 2, np.less_equal, **_ND),
    ScalarOp("gt", 2, np.greater, **_ND),
    ScalarOp("ge", 2, np.greater_equal, **_ND),
    ScalarOp("eq", 2, np.equal, commutative=True, **_ND),
    ScalarOp("neq", 2, np.not_equal, commutative=True, **_ND),
    ScalarOp("and_", 2, np.bitwise_and, "({0} & {1})", commutative=True, associative=True, **_ND),
    ScalarOp("or_", 2, np.bitwise_or, "({0} | {1})", commutative=True, associative=True, **_ND),
    ScalarOp("xor", 2, np.bitwise_xor, "({0} ^ {1})", commutative=True, associative=True, **_ND),
    ScalarOp("invert", 1, np.invert, "(~{0})", **_ND),
    ScalarOp("isnan", 1, np.isnan, **_ND),
    ScalarOp("isinf", 1, np.isinf, **_ND),
    ScalarOp("identity", 1, identity_impl),
)


def scalar_op(name: str) -> ScalarOp:
    """The table's op called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return SCALAR_OPS[name]
    except KeyError:
        raise KeyError(f"no scalar op {name!r}; known: {', '.join(sorted(SCALAR_OPS))}") from None


def operand_of(dtype: str, weak: bool = False) -> tuple[str, bool]:
    """A ``(dtype, weak)`` operand description for ``output_dtypes``."""
    return canonical_dtype(dtype), weak
