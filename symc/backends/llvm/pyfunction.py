"""Turn a compiled ``METH_FASTCALL`` function into a Python builtin, and give kernels the
process-specific addresses they need.

``PyCFunction_NewEx`` wraps a ``PyMethodDef`` (name, C function, flags) into a builtin
function object, exactly as a C extension module does at import. Calling it costs what
calling ``len`` costs; calling the same code through ctypes costs ten times more, because
ctypes converts every argument and releases and re-takes the GIL. The entry point releases
the GIL itself when a loop is long (:mod:`emit_entry`).

The builtin's ``self`` is a holder of the method definition and of the compiled
:class:`~symc.backends.llvm.jit.Library`, so neither can be freed while the builtin lives.
"""

from __future__ import annotations

import ctypes

import numpy as np

METH_FASTCALL = 0x0080


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


_new_builtin = ctypes.pythonapi.PyCFunction_NewEx
_new_builtin.restype = ctypes.py_object
_new_builtin.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]


class _Owner:
    """What a builtin keeps alive: its method definition and the machine code."""

    __slots__ = ("method_def", "library")

    def __init__(self, method_def, library):
        self.method_def = method_def
        self.library = library


def builtin_function(library, symbol: str, name: str):
    """The builtin calling ``symbol`` (a ``METH_FASTCALL`` function in ``library``)."""
    method_def = _MethodDef(name.encode(), library.address(symbol), METH_FASTCALL, None)
    owner = _Owner(method_def, library)
    return _new_builtin(ctypes.addressof(method_def), owner, None)


def type_address(key: str) -> int:
    """The address of the type object ``key``: ``ndarray``, or a dtype's NumPy scalar type."""
    return id(np.ndarray) if key == "ndarray" else id(np.dtype(key).type)


def initialize_module(library, init_symbol: str, keys: list[str]) -> None:
    """Call the module's initializer with the addresses of the type objects ``keys``."""
    init = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * len(keys)))(library.address(init_symbol))
    init(*(type_address(key) for key in keys))
