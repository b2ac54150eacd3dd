"""The compile cache: object code keyed by a hash of the IR and the machine, in memory and on disk.

A kernel's identity is the sha256 of its LLVM IR text together with everything that changes
the machine code made from it: symc's version, llvmlite's and LLVM's versions, the host CPU
name and feature string, and the JIT's pipeline options. The same IR on the same machine
gives the same key in every process, so a second process finds the object code on disk and
does no LLVM work.

On disk each entry is one file, ``<config.cache_dir>/llvm/<key>.o``::

    magic (8 bytes) | format version (u32) | payload length (u64) | sha256(payload) (32) | payload

An entry whose header or checksum does not match (a crash mid-write on a filesystem without
atomic rename, a bit flip, a foreign file) is deleted and reported as a miss, never loaded:
handing corrupt machine code to the JIT would crash the process. Writes go to a temporary
file in the same directory and are renamed into place, so readers see either no entry or a
whole one, even with several processes writing the same entry at once.

:data:`signature_cache` keeps, the same way (``<config.cache_dir>/llvm-signatures/<key>.sig``,
framed with its own magic so neither kind is ever read as the other), the records that map
a function's structural signature to the key of its object code (see :mod:`signature`).
"""

from __future__ import annotations

import os
import struct
import threading
import warnings

import llvmlite
import llvmlite.binding as llvm

import symc
from symc.config import config

try:  # CPython's own SHA-256 (3.12+, then 3.11): hashlib would first load OpenSSL's
    from _sha2 import sha256  # libcrypto, ~3 ms of a warm compile, to hash a few kilobytes
except ImportError:
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256

__all__ = [
    "CodeCache", "cache_key", "code_cache", "decode_entry", "encode_entry", "signature_cache",
]

#: Bumped whenever the entry layout or the meaning of the payload changes.
FORMAT_VERSION = 1
_MAGIC = b"SYMCOBJ\x00"
_HEADER = struct.Struct("<8sIQ32s")
_SUBDIR = "llvm"
_SUFFIX = ".o"


def cache_key(ir_text: str, cpu_name: str, cpu_features: str, options: str = "") -> str:
    """Return the hex sha256 naming the object code of ``ir_text`` on this machine.

    ``options`` describes the JIT's pipeline (opt level, code model, ...) so that changing
    how symc compiles invalidates old entries.
    """
    parts = (
        f"format={FORMAT_VERSION}",
        f"symc={symc.__version__}",
        f"llvmlite={llvmlite.__version__}",
        "llvm=" + ".".join(map(str, llvm.llvm_version_info)),
        f"cpu={cpu_name}",
        f"features={cpu_features}",
        f"options={options}",
    )
    digest = sha256()
    # Length-prefixing each part keeps ("ab", "c") and ("a", "bc") from colliding.
    for part in (*parts, ir_text):
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def encode_entry(payload: bytes, magic: bytes = _MAGIC) -> bytes:
    """Return ``payload`` framed with the entry header (magic, version, length, checksum)."""
    header = _HEADER.pack(magic, FORMAT_VERSION, len(payload), sha256(payload).digest())
    return header + payload


def decode_entry(data: bytes, magic: bytes = _MAGIC) -> bytes | None:
    """Return the payload of an encoded entry, or ``None`` when it is not a whole, valid one
    (or was framed with another ``magic``: an object file is never read as a signature)."""
    if len(data) < _HEADER.size:
        return None
    found, version, length, checksum = _HEADER.unpack_from(data)
    if found != magic or version != FORMAT_VERSION or length != len(data) - _HEADER.size:
        return None
    payload = data[_HEADER.size :]
    if sha256(payload).digest() != checksum:
        return None
    return payload


class CodeCache:
    """Entries by key: a process-wide dict in front of files under ``config.cache_dir``.

    ``subdir``, ``suffix`` and ``magic`` say where the files go and how they are framed: object
    code by default, or the signature map (:data:`signature_cache`). The directory is read
    from ``config.cache_dir`` at every call, so ``symc.config.change(cache_dir=...)``
    redirects it for a block.
    """

    def __init__(self, subdir: str = _SUBDIR, suffix: str = _SUFFIX, magic: bytes = _MAGIC):
        self.subdir, self.suffix, self.magic = subdir, suffix, magic
        self._memory: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._warned_dirs: set[str] = set()

    def directory(self) -> str:
        """Return the folder holding the entries for the current ``config.cache_dir``."""
        return os.path.join(os.path.expanduser(config.cache_dir), self.subdir)

    def path(self, key: str) -> str:
        """Return the file that holds (or would hold) the entry for ``key``."""
        return os.path.join(self.directory(), key + self.suffix)

    def get(self, key: str) -> tuple[bytes, str] | None:
        """Return ``(object_code, "memory" | "disk")`` for ``key``, or ``None`` on a miss.

        A disk hit is also kept in memory. A corrupt disk entry is deleted and counts as a miss.
        """
        with self._lock:
            payload = self._memory.get(key)
        if payload is not None:
            return payload, "memory"
        payload = self._read(self.path(key))
        if payload is None:
            return None
        with self._lock:
            self._memory[key] = payload
        return payload, "disk"

    def put(self, key: str, payload: bytes) -> None:
        """Keep ``payload`` in memory and, if the cache folder is writable, on disk."""
        with self._lock:
            self._memory[key] = payload
        directory = self.directory()
        try:
            self._write(directory, key, payload)
        except OSError as exc:
            self._warn_unwritable(directory, exc)

    def clear_memory(self) -> None:
        """Forget the in-memory entries (the disk entries stay)."""
        with self._lock:
            self._memory.clear()

    def _read(self, path: str) -> bytes | None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        payload = decode_entry(data, self.magic)
        if payload is None:
            # Never hand a damaged object file to the JIT; drop it so the rebuild replaces it.
            try:
                os.unlink(path)
            except OSError:
                pass
        return payload

    def _write(self, directory: str, key: str, payload: bytes) -> None:
        os.makedirs(directory, exist_ok=True)
        # A unique temp name per writer: concurrent writers never share a half-written file,
        # and os.replace is atomic within one directory, so the last whole entry wins.
        tmp = os.path.join(directory, f".{key}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(encode_entry(payload, self.magic))
            os.replace(tmp, os.path.join(directory, key + self.suffix))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def _warn_unwritable(self, directory: str, exc: OSError) -> None:
        with self._lock:
            if directory in self._warned_dirs:
                return
            self._warned_dirs.add(directory)
        warnings.warn(
            f"symc cannot write its compile cache in {directory!r} ({exc}); compiled code is "
            "kept in memory only. Set symc.config.cache_dir (or SYMC_FLAGS=cache_dir=...) to a "
            "writable folder to keep it across processes.",
            RuntimeWarning,
            stacklevel=3,
        )


#: The process-wide cache used by :func:`symc.backends.llvm.jit.compile_ir`.
code_cache = CodeCache()
#: Structural signature of a function's lowered nodes -> what ``make_thunks`` needs to use the
#: object code of :data:`code_cache` without building IR (see :mod:`signature`).
signature_cache = CodeCache("llvm-signatures", ".sig", b"SYMCSIG\x00")
