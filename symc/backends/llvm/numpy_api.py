"""The functions of NumPy's C API that a program entry calls, found and checked once.

A program entry (:mod:`emit_program`) allocates arrays and makes views natively, through
NumPy's C-API table (the ``_ARRAY_API`` capsule an extension module reads at import). The
table's layout is part of NumPy's ABI; still, each function is called once through ctypes
here and must give the array it should, or no program entry is used in this process.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

#: Slots in NumPy's C-API table (``numpy/__multiarray_api.h``).
SLOTS = {"PyArray_New": 93, "PyArray_NewFromDescr": 94, "PyArray_MatrixProduct": 170,
         "PyArray_SetBaseObject": 282}

_P, _I32 = ctypes.c_void_p, ctypes.c_int
_DIMS = ctypes.POINTER(ctypes.c_int64)
_NEW = ctypes.PYFUNCTYPE(ctypes.py_object, _P, _I32, _DIMS, _I32, _P, _P, _I32, _I32, _P)
_NEW_FROM_DESCR = ctypes.PYFUNCTYPE(ctypes.py_object, _P, _P, _I32, _DIMS, _DIMS, _P, _I32, _P)
_SET_BASE = ctypes.PYFUNCTYPE(_I32, ctypes.py_object, ctypes.py_object)
_MATRIX_PRODUCT = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object, ctypes.py_object)


def address(name: str) -> int:
    """The address of the C-API function ``name`` (a key of :data:`SLOTS`), 0 if unusable."""
    return addresses().get(name, 0)


@functools.cache
def addresses() -> dict[str, int]:
    """Every function of :data:`SLOTS` by name; empty when one of them misbehaves."""
    from numpy._core import _multiarray_umath

    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    try:
        table = get(_multiarray_umath._ARRAY_API, None)
    except (AttributeError, ValueError):
        return {}
    found = {name: ctypes.c_void_p.from_address(table + 8 * slot).value or 0
             for name, slot in SLOTS.items()}
    return found if all(found.values()) and _behave(found) else {}


def _behave(found: dict[str, int]) -> bool:
    """Make a 3x4 int16 array, a transposed view of it (given its base), and their product."""
    new = _NEW(found["PyArray_New"])
    array = new(id(np.ndarray), 2, (ctypes.c_int64 * 2)(3, 4), np.dtype(np.int16).num,
                None, None, 0, 0, None)
    if not (type(array) is np.ndarray and array.shape == (3, 4) and array.dtype == np.int16
            and array.flags.c_contiguous and array.flags.writeable):
        return False
    array[...] = np.arange(12).reshape(3, 4)
    descr = array.dtype
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(descr))  # NewFromDescr steals it
    view = _NEW_FROM_DESCR(found["PyArray_NewFromDescr"])(
        id(np.ndarray), id(descr), 2, (ctypes.c_int64 * 2)(4, 3), (ctypes.c_int64 * 2)(2, 8),
        array.ctypes.data, 0, None)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(array))  # SetBaseObject steals it
    if _SET_BASE(found["PyArray_SetBaseObject"])(view, array) != 0:
        return False
    if not (view.base is array and view.flags.aligned and not view.flags.writeable
            and np.array_equal(view, array.T)):
        return False
    product = _MATRIX_PRODUCT(found["PyArray_MatrixProduct"])(array, view)
    return type(product) is np.ndarray and np.array_equal(product, np.dot(array, array.T))
