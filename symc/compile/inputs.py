"""Checking and converting the values given for a function's inputs."""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Variable


def describe(value) -> str:
    """A short description of a given value, for error messages."""
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-d {value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:120]


def _exact_from_python(arr: np.ndarray, dtype: np.dtype) -> bool:
    """Whether Python numbers in ``arr`` convert to ``dtype`` without losing their value."""
    if dtype.kind == "f" and arr.dtype.kind in "biuf":
        with np.errstate(over="ignore"):
            converted = arr.astype(dtype)
        # Rounding a Python float to float32 is accepted (as Theano does); overflow is not.
        return bool(np.all(np.isfinite(converted) | ~np.isfinite(arr)))
    with np.errstate(all="ignore"):
        converted = arr.astype(dtype)
        back = converted.astype(arr.dtype)
    return bool(np.array_equal(back, arr, equal_nan=True))


def convert_value(var: Variable, value, what: str) -> np.ndarray:
    """``value`` as an ndarray of ``var``'s type, or ``TypeError`` naming ``what``."""
    dtype = np.dtype(var.dtype)
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{what} expects {var.type}, got {describe(value)} (not numeric)")
        if arr.dtype != dtype:
            if not np.can_cast(arr.dtype, dtype, "safe"):
                raise TypeError(f"{what} expects {var.type}, got {describe(value)}: converting "
                                f"{arr.dtype} to {dtype} could lose data; call "
                                f".astype({dtype.name!r}) first if that is what you want")
            arr = arr.astype(dtype)
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, OverflowError) as exc:
            raise TypeError(f"{what} expects {var.type}, got {describe(value)}: {exc}") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{what} expects {var.type}, got {describe(value)} (not numeric)")
        if arr.dtype != dtype:
            if not _exact_from_python(arr, dtype):
                raise TypeError(f"{what} expects {var.type}, got {describe(value)}: the value "
                                f"does not fit {dtype} exactly")
            arr = arr.astype(dtype)
    if arr.ndim != var.ndim:
        raise TypeError(f"{what} expects {var.ndim} dimensions ({var.type}), got {describe(value)}")
    if not var.type.value_shape_ok(arr.shape):
        raise TypeError(f"{what} expects static shape {var.type.shape}, got {describe(value)}")
    return arr


def make_checker(var: Variable, what: str):
    """A fast ``check(value) -> ndarray`` for ``var``: a type test first, conversion if needed."""
    dtype, ndim = np.dtype(var.dtype), var.ndim
    static = var.type.shape if any(d is not None for d in var.type.shape) else None
    ndarray = np.ndarray

    def check(value):
        if type(value) is ndarray and value.dtype == dtype and value.ndim == ndim and (
                static is None or var.type.value_shape_ok(value.shape)):
            return value
        return convert_value(var, value, what)

    return check


def input_label(var: Variable, position: int) -> str:
    """How error messages name an input: ``input 'x' (position 0)``."""
    name = f"'{var.name}'" if var.name else "<unnamed>"
    return f"input {name} (position {position})"
