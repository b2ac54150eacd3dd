"""Refuse object code that calls a symbol this process cannot provide.

LLVM's code generator may call runtime routines the IR never mentions (``__truncdfhf2`` for a
double -> half conversion on CPUs without the instruction, for instance). MCJIT resolves a
missing one to address 0, and the first call crashes the process. Reading the object file's
undefined symbols and looking each up in the process first turns that crash into a fallback
to the NumPy backend.
"""

from __future__ import annotations

import struct

import llvmlite.binding as llvm

_SYMBOL = struct.Struct("<IBBHQQ")  # ELF64_Sym: name, info, other, shndx, value, size


def _sections(object_code: bytes) -> dict[str, bytes]:
    found = {}
    for section in llvm.ObjectFileRef.from_data(object_code).sections():
        name = section.name()
        name = name.decode() if isinstance(name, bytes) else name
        if name in (".symtab", ".strtab"):
            found[name] = bytes(section.data())
    return found


def undefined_symbols(object_code: bytes) -> list[str]:
    """Names the ELF object refers to but does not define (empty when not ELF64)."""
    if object_code[:5] != b"\x7fELF\x02":
        return []
    sections = _sections(object_code)
    table, names = sections.get(".symtab", b""), sections.get(".strtab", b"")
    result = []
    for offset in range(0, len(table) - _SYMBOL.size + 1, _SYMBOL.size):
        name_at, _, _, shndx, _, _ = _SYMBOL.unpack_from(table, offset)
        if shndx == 0 and name_at:
            result.append(names[name_at:names.index(b"\0", name_at)].decode())
    return result


def unresolved_symbols(object_code: bytes) -> list[str]:
    """The undefined symbols of ``object_code`` that the process cannot resolve."""
    return [name for name in undefined_symbols(object_code) if not llvm.address_of_symbol(name)]
