"""Operators and NumPy-style methods of symbolic variables.

``Variable`` lives in ``symc.graph``, which may not import the op vocabulary; this module
installs the methods on it once, the way JAX attaches array methods to its tracers.
"""

from __future__ import annotations

import weakref

from symc import tensor as T
from symc.graph.basic import Variable, as_variable
from symc.ops.shape import subtensor


def _binary(name: str, reflected: bool = False):
    fn = getattr(T, name)
    if reflected:
        return lambda self, other: fn(other, self)
    return lambda self, other: fn(self, other)


def _shape(self):
    return T.shape(self)


def _bool(self):
    raise TypeError(f"the truth value of symbolic variable {self} is unknown until it is computed; "
                    "use symc.switch/where for conditions")


def _len(self):
    raise TypeError(f"len() of symbolic variable {self} is unknown; use {self}.shape[0]")


def _iter(self):
    raise TypeError(f"symbolic variable {self} is not iterable")


def _eval(self, inputs=None):
    """Compile (cached per set of inputs) and compute this variable's value."""
    from symc.compile.function import function

    inputs = dict(inputs or {})
    keys = tuple(inputs)
    cache = _eval_cache.setdefault(self, {})
    if keys not in cache:
        cache[keys] = function(list(keys), self, on_unused_input="ignore")
    return cache[keys](*inputs.values())


_eval_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_METHODS = {
    "__add__": _binary("add"), "__radd__": _binary("add", True),
    "__sub__": _binary("sub"), "__rsub__": _binary("sub", True),
    "__mul__": _binary("mul"), "__rmul__": _binary("mul", True),
    "__truediv__": _binary("true_div"), "__rtruediv__": _binary("true_div", True),
    "__floordiv__": _binary("floor_div"), "__rfloordiv__": _binary("floor_div", True),
    "__mod__": _binary("mod"), "__rmod__": _binary("mod", True),
    "__pow__": _binary("pow"), "__rpow__": _binary("pow", True),
    "__lt__": _binary("lt"), "__le__": _binary("le"),
    "__gt__": _binary("gt"), "__ge__": _binary("ge"),
    "__and__": _binary("and_"), "__rand__": _binary("and_", True),
    "__or__": _binary("or_"), "__ror__": _binary("or_", True),
    "__xor__": _binary("xor"), "__rxor__": _binary("xor", True),
    "__matmul__": _binary("dot"), "__rmatmul__": _binary("dot", True),
    "__neg__": lambda self: T.neg(self),
    "__abs__": lambda self: T.abs(self),
    "__invert__": lambda self: T.invert(self),
    "__getitem__": lambda self, key: subtensor(self, key),
    "__bool__": _bool, "__len__": _len, "__iter__": _iter,
    "sum": lambda self, axis=None, keepdims=False, dtype=None: T.sum(self, axis, keepdims, dtype),
    "prod": lambda self, axis=None, keepdims=False, dtype=None: T.prod(self, axis, keepdims, dtype),
    "max": lambda self, axis=None, keepdims=False: T.max(self, axis, keepdims),
    "min": lambda self, axis=None, keepdims=False: T.min(self, axis, keepdims),
    "mean": lambda self, axis=None, keepdims=False: T.mean(self, axis, keepdims),
    "any": lambda self, axis=None, keepdims=False: T.any(self, axis, keepdims),
    "all": lambda self, axis=None, keepdims=False: T.all(self, axis, keepdims),
    "argmax": lambda self, axis=None, keepdims=False: T.argmax(self, axis, keepdims),
    "argmin": lambda self, axis=None, keepdims=False: T.argmin(self, axis, keepdims),
    "dimshuffle": lambda self, *pattern: T.dimshuffle(self, *pattern),
    "transpose": lambda self, *axes: T.transpose(self, axes[0] if len(axes) == 1 and
                                                 isinstance(axes[0], (tuple, list)) else
                                                 (axes or None)),
    "reshape": lambda self, *shape: T.reshape(self, shape[0] if len(shape) == 1 else shape),
    "flatten": lambda self, ndim=1: T.flatten(self, ndim),
    "astype": lambda self, dtype: T.astype(self, dtype),
    "dot": lambda self, other: T.dot(self, other),
    "clip": lambda self, lo, hi: T.clip(self, lo, hi),
    "eval": _eval,
    "T": property(lambda self: T.transpose(self)),
    "shape": property(_shape),
    "size": property(lambda self: T.prod(T.shape(self))),
}


def install() -> None:
    """Attach the operators and methods to ``Variable`` (idempotent)."""
    for name, method in _METHODS.items():
        setattr(Variable, name, method)
    # ``==``/``!=`` stay identity comparisons so variables remain usable as dict keys.
    Variable.__hash__ = object.__hash__


install()
__all__ = ["as_variable", "install"]
