"""Where NumPy keeps an ndarray's data pointer, shape, strides, flags and dtype in memory.

The fast call path hands ndarray objects themselves to a compiled entry point, which reads
these fields straight from the ``PyArrayObject_fields`` and ``PyArray_Descr`` structs: that is
several times cheaper than asking Python for ``arr.ctypes.data`` (see DESIGN.md, "Measured
facts"). The offsets below are NumPy 2's on 64-bit platforms; :func:`layout_ok` checks them
once per process against what NumPy reports through Python, and the LLVM backend lowers
nothing when they disagree (the NumPy backend then runs every node).
"""

from __future__ import annotations

import ctypes
import functools
import sys

import numpy as np

#: Byte offsets in ``PyArrayObject_fields``.
OB_TYPE = 8
DATA = 16
NDIM = 24
DIMS = 32
STRIDES = 40
DESCR = 56
FLAGS = 64

#: Byte offsets in ``PyArray_Descr``.
DESCR_KIND = 24
DESCR_BYTEORDER = 26
DESCR_ELSIZE = 40

#: Byte offset of the value in a NumPy scalar object (``np.float64(1.0)``, ...).
SCALAR_VALUE = 16

#: ``flags`` bits (numpy/ndarraytypes.h).
C_CONTIGUOUS = 0x0001
ALIGNED = 0x0100
WRITEABLE = 0x0400


def _read(address: int, ctype) -> int:
    return ctype.from_address(address).value


def _array_fields_match(arr: np.ndarray) -> bool:
    base = id(arr)
    ndim = _read(base + NDIM, ctypes.c_int32)
    dims = _read(base + DIMS, ctypes.c_void_p)
    strides = _read(base + STRIDES, ctypes.c_void_p)
    flags = _read(base + FLAGS, ctypes.c_int32)
    shape = tuple(_read(dims + 8 * k, ctypes.c_int64) for k in range(ndim)) if ndim else ()
    steps = tuple(_read(strides + 8 * k, ctypes.c_int64) for k in range(ndim)) if ndim else ()
    want_flags = (C_CONTIGUOUS if arr.flags.c_contiguous else 0) | (
        ALIGNED if arr.flags.aligned else 0) | (WRITEABLE if arr.flags.writeable else 0)
    return (
        _read(base + OB_TYPE, ctypes.c_void_p) == id(type(arr))
        and _read(base + DATA, ctypes.c_void_p) == arr.__array_interface__["data"][0]
        and ndim == arr.ndim and shape == arr.shape and steps == arr.strides
        and flags & (C_CONTIGUOUS | ALIGNED | WRITEABLE) == want_flags
        and _read(base + DESCR, ctypes.c_void_p) == id(arr.dtype)
    )


def _descr_fields_match(dtype: np.dtype) -> bool:
    base = id(dtype)
    return (
        _read(base + DESCR_KIND, ctypes.c_char) == dtype.kind.encode()
        and _read(base + DESCR_BYTEORDER, ctypes.c_char) == dtype.byteorder.encode()
        and _read(base + DESCR_ELSIZE, ctypes.c_int64) == dtype.itemsize
    )


def _scalar_value_matches(dtype: np.dtype) -> bool:
    value = np.ones((), dtype=dtype)[()] * 3 if dtype.kind != "b" else np.True_
    raw = ctypes.string_at(id(value) + SCALAR_VALUE, dtype.itemsize)
    return type(value) is dtype.type and np.frombuffer(raw, dtype=dtype)[0] == value


@functools.cache
def layout_ok() -> bool:
    """True when the offsets above describe this process's NumPy (checked once)."""
    if sys.maxsize != 2**63 - 1 or sys.byteorder != "little":
        return False
    samples = [
        np.zeros((3, 5), dtype=np.float32)[::2, ::-2],
        np.arange(7, dtype=np.int8),
        np.zeros((), dtype=np.uint16),
        np.ones((2, 0, 4), dtype=bool).T,
        np.frombuffer(b"\0" * 16, dtype=np.float64),  # read-only
    ]
    dtypes = [np.dtype(name) for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", ">f8", np.longlong)]
    try:
        return (all(map(_array_fields_match, samples)) and all(map(_descr_fields_match, dtypes))
                and all(map(_scalar_value_matches, dtypes[:12])))
    except (ValueError, OSError):  # an unreadable address: certainly not our layout
        return False
