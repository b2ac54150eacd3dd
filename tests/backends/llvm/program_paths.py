"""Helpers comparing a function's native program entry with its Python entry (tests of
symc/backends/llvm/emit_program.py)."""

from __future__ import annotations

import numpy as np


def is_native(f) -> bool:
    return f._call is not f._entry and type(f._call).__name__ == "builtin_function_or_method"


def both_paths(f, *args):
    """``[native result or exception, Python entry result or exception]``."""
    out = []
    for call in (f, f._entry):
        try:
            with np.errstate(all="ignore"):
                out.append(call(*args))
        except Exception as exc:  # compared by assert_same
            out.append(exc)
    return out


def _assert_same_array(native, python):
    assert type(native) is type(python), (type(native), type(python))
    assert native.dtype == python.dtype, (native.dtype, python.dtype)
    assert native.shape == python.shape, (native.shape, python.shape)
    assert native.flags.writeable == python.flags.writeable
    assert native.flags.c_contiguous == python.flags.c_contiguous
    assert native.flags.owndata == python.flags.owndata
    np.testing.assert_array_equal(native, python, strict=True)


def assert_same(native, python):
    """The two paths gave the same arrays (or list of arrays), or the same exception."""
    if isinstance(python, Exception):
        assert isinstance(native, Exception), f"native gave {native!r}, Python raised {python!r}"
        assert type(native) is type(python), (native, python)
        assert str(native) == str(python)
        return
    assert not isinstance(native, Exception), f"native raised {native!r}"
    if isinstance(python, list):
        assert isinstance(native, list) and len(native) == len(python)
        for a, b in zip(native, python, strict=True):
            _assert_same_array(a, b)
        return
    _assert_same_array(native, python)


def assert_fresh(result, args):
    """No returned array shares memory with an input or with another returned array."""
    outs = result if isinstance(result, list) else [result]
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    for k, out in enumerate(outs):
        assert out.base is None or not isinstance(out.base, np.ndarray) or all(
            out.base is not a for a in arrays)
        for a in arrays:
            assert not np.shares_memory(out, a)
        for other in outs[k + 1:]:
            assert not np.shares_memory(out, other)
