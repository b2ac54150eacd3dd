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

from symc.backends.llvm import numpy_api
from symc.backends.llvm.status import prepare_runtime

METH_FASTCALL = 0x0080
METH_KEYWORDS = 0x0002
#: Where a tuple's items start in its object (``PyTupleObject.ob_item``, 64-bit CPython).
TUPLE_ITEMS = 24


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


def _builtin(library, symbol: str, name: str, flags: int, held: tuple | None = None):
    """The builtin calling ``symbol``; its ``self`` is the owner, or ``held + (owner,)``."""
    method_def = _MethodDef(name.encode(), library.address(symbol), flags, None)
    owner = _Owner(method_def, library)
    self_obj = owner if held is None else (*held, owner)
    return _new_builtin(ctypes.addressof(method_def), self_obj, None)


def builtin_function(library, symbol: str, name: str):
    """The builtin calling ``symbol`` (a ``METH_FASTCALL`` function in ``library``)."""
    return _builtin(library, symbol, name, METH_FASTCALL)


def program_builtin(library, symbol: str, name: str, python_entry, prepare):
    """The builtin calling the program entry ``symbol`` (see :mod:`emit_program`), whose
    ``self`` is the tuple ``(python_entry, prepare, owner)``; None when this process's tuples
    or NumPy do not have the layout the entry reads."""
    if not (tuple_layout_ok((python_entry, prepare, None)) and numpy_api.addresses()):
        return None
    return _builtin(library, symbol, name, METH_FASTCALL | METH_KEYWORDS,
                    (python_entry, prepare))


def tuple_layout_ok(sample: tuple) -> bool:
    """True when a tuple's first item sits at :data:`TUPLE_ITEMS` in the object."""
    return ctypes.c_void_p.from_address(id(sample) + TUPLE_ITEMS).value == id(sample[0])


def type_address(key: str) -> int:
    """The address of ``key``: ``ndarray``, a dtype's NumPy scalar type, or a function of
    NumPy's C API (:mod:`numpy_api`)."""
    if key in numpy_api.SLOTS:
        return numpy_api.address(key)
    return id(np.ndarray) if key == "ndarray" else id(np.dtype(key).type)


def initialize_module(library, init_symbol: str, keys: list[str]) -> None:
    """Call the module's initializer with the addresses of the type objects ``keys``."""
    init = ctypes.CFUNCTYPE(None, *([ctypes.c_void_p] * len(keys)))(library.address(init_symbol))
    init(*(type_address(key) for key in keys))


class NativeProgram:
    """A module's program entries (:mod:`emit_program`): ``bind`` makes a function's builtin."""

    def __init__(self, library, symbols: list[str]):
        self.library = library
        self.symbols = symbols

    def bind(self, python_entry, return_list: bool, name: str = "function"):
        """The builtin running the whole function, falling back on ``python_entry`` (which
        also gets every call with keywords); None when there is no entry of that flavour or
        this process cannot run one. ``name`` is the builtin's ``__name__``."""
        suffix = "_list" if return_list else "_one"
        symbol = next((s for s in self.symbols if s.endswith(suffix)), None)
        if symbol is None:
            return None
        return program_builtin(self.library, symbol, name, python_entry, prepare_runtime)
