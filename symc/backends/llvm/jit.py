"""The LLVM JIT: LLVM IR text in, native function addresses out, through the compile cache.

    lib = compile_ir(ir_text, ["kernel"])
    fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(lib.address("kernel"))

A miss parses and verifies the IR, optimizes it at O3 with the loop and SLP vectorizers for
the host CPU, emits an object file and stores it in :data:`codecache.code_cache`. A hit (in
memory, or on disk from an earlier process) skips all of that and only loads the object code
into a fresh MCJIT engine. :func:`cached_library` does only that, for a caller that knows the
key without the IR (the backend's signature records). :data:`stats` counts what happened, so
tests can prove a hit did no LLVM work, and every :class:`Library` carries the seconds each
phase took.

Facts about llvmlite (0.47 and 0.50) this module relies on:

- ``llvm.initialize()`` raises; only the native target and asm printer need initializing.
- Only the new pass manager exists: ``create_pipeline_tuning_options(speed_level=3)``
  (0.50 dropped ``size_level``), ``create_pass_builder(tm, pto)``,
  ``pb.getModulePassManager().run(module, pb)``.
- ``create_mcjit_compiler(module, tm)`` takes ownership of ``tm``: the engine frees it. One
  target machine shared by two engines crashes the process when the first engine dies, so
  each engine gets its own and the process-wide one never goes to an engine.
- ``engine.get_function_address(name)`` returns 0 for an unknown name.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from dataclasses import dataclass

import llvmlite.binding as llvm

from symc.backends.llvm.codecache import cache_key, code_cache

__all__ = [
    "CompileError",
    "Library",
    "assembly",
    "clear_memory_cache",
    "cached_library",
    "compile_ir",
    "host",
    "ir_key",
    "optimize_ir",
    "reset_stats",
    "stats",
    "target_machine",
]

_OPT_LEVEL = 3
# "jitdefault" is the large code model on 64-bit hosts: MCJIT may place the object's
# sections and the libm functions it calls more than 2 GiB apart, which the small model's
# 32-bit relocations cannot reach.
_RELOC = "default"
_CODE_MODEL = "jitdefault"
#: Part of every cache key: changing how we compile must not reuse old object code.
PIPELINE = f"O{_OPT_LEVEL} loop-vectorize slp-vectorize unroll reloc={_RELOC} cm={_CODE_MODEL}"

_STAT_NAMES = (
    "memory_hits",
    "disk_hits",
    "misses",
    "parsed",
    "optimized",
    "codegen",
    "loaded",
    "parse_seconds",
    "optimize_seconds",
    "codegen_seconds",
    "load_seconds",
    "signature_hits",
    "signature_misses",
    "ir_builds",
    "ir_build_seconds",
)
#: Process-wide counters: hits and misses, LLVM phases run, and seconds spent in each phase;
#: ``signature_*`` and ``ir_builds`` are kept by the backend (:mod:`symc.backends.llvm`): a
#: function whose nodes' signature is known uses cached object code without building IR.
stats: dict[str, float] = dict.fromkeys(_STAT_NAMES, 0)

# LLVM's global context is not safe for concurrent parsing or code generation.
_lock = threading.RLock()


class CompileError(RuntimeError):
    """LLVM rejected kernel IR: it does not parse, does not verify, or lacks a function."""


@dataclass(frozen=True)
class Host:
    """What LLVM knows of the machine we run on; every object code is made for it alone."""

    triple: str
    cpu_name: str
    cpu_features: str
    target: llvm.Target

    def new_target_machine(self) -> llvm.TargetMachine:
        """Return a fresh target machine for this host (an MCJIT engine takes ownership)."""
        return self.target.create_target_machine(
            cpu=self.cpu_name,
            features=self.cpu_features,
            opt=_OPT_LEVEL,
            reloc=_RELOC,
            codemodel=_CODE_MODEL,
        )


_host: Host | None = None
_target_machine: llvm.TargetMachine | None = None


def host() -> Host:
    """Return the host description, initializing LLVM on first use."""
    global _host
    with _lock:
        if _host is None:
            _host = _initialize()
        return _host


def _initialize() -> Host:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    _load_libm()
    triple = llvm.get_process_triple()
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # LLVM cannot read the features on this platform
        features = ""
    return Host(triple, llvm.get_host_cpu_name(), features, llvm.Target.from_triple(triple))


#: libm by its usual sonames (glibc, other Unixes, macOS), tried before the slow search.
_LIBM_NAMES = ("libm.so.6", "libm.so", "libm.dylib")


def _load_libm() -> None:
    """Make libm's functions resolvable by MCJIT, which looks only in libraries loaded
    permanently through LLVM, not in those the executable happens to link.

    Opening it by soname costs microseconds; ``ctypes.util.find_library`` runs ``ldconfig``
    in a subprocess (~15 ms), so it is only the fallback for unusual systems.
    """
    for name in _LIBM_NAMES:
        try:
            llvm.load_library_permanently(name)
            return
        except RuntimeError:  # not this platform's name
            continue
    import ctypes.util

    found = ctypes.util.find_library("m")
    if found:
        llvm.load_library_permanently(found)


def target_machine() -> llvm.TargetMachine:
    """Return the process-wide target machine used to optimize and emit code.

    Without the host CPU name and features LLVM assumes a baseline x86-64 and vectorizes
    nothing. Never pass this one to an execution engine (the engine would free it).
    """
    global _target_machine
    with _lock:
        if _target_machine is None:
            _target_machine = host().new_target_machine()
        return _target_machine


def reset_stats() -> None:
    """Set every counter and timer in :data:`stats` back to zero."""
    for name in _STAT_NAMES:
        stats[name] = 0


def clear_memory_cache() -> None:
    """Forget the object code held in memory, so the next compile reads the disk or rebuilds.

    Libraries already returned keep working: each holds its own engine.
    """
    with _lock:
        _live_engines.clear()
        code_cache.clear_memory()


class _Engine:
    """An MCJIT engine holding one object file; its code lives as long as this object."""

    def __init__(self, engine: llvm.ExecutionEngine, object_code: bytes) -> None:
        self.engine = engine
        self.object_code = object_code

    def addresses(self, names: list[str]) -> dict[str, int]:
        """Return the native address of each function in ``names``; raise if one is missing."""
        addresses = {}
        with _lock:
            for name in names:
                address = self.engine.get_function_address(name)
                if not address:
                    raise CompileError(f"the compiled module defines no function named {name!r}")
                addresses[name] = address
        return addresses


# Engines still referenced by some Library, by key: a memory hit on a live one just shares it.
_live_engines: weakref.WeakValueDictionary[str, _Engine] = weakref.WeakValueDictionary()


class Library:
    """Native functions compiled from one IR module; addresses are valid while it lives."""

    def __init__(
        self, key: str, engine: _Engine, names: list[str], cache: str, timings: dict
    ) -> None:
        self.key = key
        #: Where the object code came from: ``"memory"``, ``"disk"`` or ``"miss"`` (compiled).
        self.cache = cache
        #: Seconds spent in each phase by this compile: parse, optimize, codegen, load.
        self.timings = timings
        self._engine = engine
        self._addresses = engine.addresses(names)

    @property
    def names(self) -> list[str]:
        """The function names this library was asked to expose."""
        return list(self._addresses)

    @property
    def object_code(self) -> bytes:
        """The object file (ELF on Linux) the functions were loaded from."""
        return self._engine.object_code

    def address(self, name: str) -> int:
        """Return the native address of function ``name``."""
        try:
            return self._addresses[name]
        except KeyError:
            raise KeyError(f"{name!r} is not among this library's functions {self.names}") from None

    def __repr__(self) -> str:
        return f"<Library {self.key[:12]} {self.names} cache={self.cache}>"


def compile_ir(ir_text: str, names: list[str]) -> Library:
    """Compile LLVM IR text for the host and return its functions ``names``, cached.

    Raises :class:`CompileError` when the IR does not parse or verify, or when it defines no
    function of one of ``names``.
    """
    names = list(names)
    key = ir_key(ir_text)
    timings = _no_timings()
    with _lock:
        library = _cached(key, names, timings)
        if library is not None:
            return library
        stats["misses"] += 1
        object_code = _compile_object(ir_text, names, timings)
        code_cache.put(key, object_code)
        return _loaded(key, object_code, names, "miss", timings)


def ir_key(ir_text: str) -> str:
    """The cache key of ``ir_text`` compiled on this host by this pipeline."""
    h = host()
    return cache_key(ir_text, h.cpu_name, h.cpu_features, PIPELINE)


def cached_library(key: str, names: list[str]) -> Library | None:
    """The library of the object code stored under ``key`` (memory or disk), or ``None``.

    This is how a caller that knows the key without the IR (the backend's signature map)
    gets its code: no parsing, no optimization, no code generation. ``None`` also when the
    entry is missing, damaged, or lacks one of ``names``; the caller then compiles the IR.
    """
    timings = _no_timings()
    with _lock:
        try:
            return _cached(key, list(names), timings)
        except CompileError:
            return None


def _no_timings() -> dict:
    return dict.fromkeys(("parse", "optimize", "codegen", "load"), 0.0)


def _cached(key: str, names: list[str], timings: dict) -> Library | None:
    """A library from a live engine or from the code cache; ``None`` on a miss."""
    engine = _live_engines.get(key)
    if engine is not None:
        stats["memory_hits"] += 1
        return Library(key, engine, names, "memory", timings)
    found = code_cache.get(key)
    if found is None:
        return None
    object_code, where = found
    stats[f"{where}_hits"] += 1
    return _loaded(key, object_code, names, where, timings)


def _loaded(key: str, object_code: bytes, names: list[str], where: str, timings) -> Library:
    engine = _load(object_code, timings)
    _live_engines[key] = engine
    return Library(key, engine, names, where, timings)


def _compile_object(ir_text: str, names: list[str], timings: dict) -> bytes:
    """Parse, verify, optimize and emit ``ir_text`` as an object file; time each phase."""
    start = time.perf_counter()
    module = _parse(ir_text)
    _check_defines(module, names)
    _record(timings, "parse", "parsed", start)
    start = time.perf_counter()
    _optimize(module)
    _record(timings, "optimize", "optimized", start)
    start = time.perf_counter()
    object_code = target_machine().emit_object(module)
    _record(timings, "codegen", "codegen", start)
    return object_code


def _load(object_code: bytes, timings: dict) -> _Engine:
    """Load an object file into a new MCJIT engine and resolve its symbols."""
    start = time.perf_counter()
    # The engine needs a module to start from; the code comes from the object file alone.
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), host().new_target_machine())
    engine.add_object_file(llvm.ObjectFileRef.from_data(object_code))
    engine.finalize_object()
    _record(timings, "load", "loaded", start)
    return _Engine(engine, object_code)


def _record(timings: dict, phase: str, counter: str, start: float) -> None:
    seconds = time.perf_counter() - start
    timings[phase] += seconds
    stats[counter] += 1
    stats[f"{phase}_seconds"] += seconds


def _parse(ir_text: str) -> llvm.ModuleRef:
    """Parse and verify IR text, retargeted to the host."""
    tm = target_machine()
    try:
        module = llvm.parse_assembly(ir_text)
    except RuntimeError as exc:
        raise CompileError(_describe("does not parse", exc, ir_text)) from None
    # The optimizer needs the data layout (alignment, vector widths) of the real target.
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    try:
        module.verify()
    except RuntimeError as exc:
        raise CompileError(_describe("does not verify", exc, ir_text)) from None
    return module


def _check_defines(module: llvm.ModuleRef, names: list[str]) -> None:
    defined = {f.name for f in module.functions if not f.is_declaration}
    missing = [name for name in names if name not in defined]
    if missing:
        raise CompileError(
            f"kernel IR defines no function named {missing}; it defines {sorted(defined)}"
        )


def _describe(problem: str, exc: Exception, ir_text: str) -> str:
    """Return LLVM's message plus the IR line it points at (``<string>:LINE:COL``)."""
    message = f"kernel IR {problem}: {str(exc).strip()}"
    match = re.search(r"<string>:(\d+):(\d+)", str(exc))
    lines = ir_text.splitlines()
    if match and 0 < int(match.group(1)) <= len(lines):
        number = int(match.group(1))
        message += f"\n  line {number}: {lines[number - 1].strip()}"
    return message


def _optimize(module: llvm.ModuleRef) -> None:
    """Run LLVM's O3 module pipeline with loop and SLP vectorization for the host."""
    tuning = llvm.create_pipeline_tuning_options(speed_level=_OPT_LEVEL)
    tuning.loop_vectorization = True
    tuning.slp_vectorization = True
    tuning.loop_unrolling = True
    builder = llvm.create_pass_builder(target_machine(), tuning)
    builder.getModulePassManager().run(module, builder)


def optimize_ir(ir_text: str) -> str:
    """Return the IR after the O3 pipeline, for inspection (not cached)."""
    with _lock:
        module = _parse(ir_text)
        _optimize(module)
        return str(module)


def assembly(ir_text: str) -> str:
    """Return the host assembly of the optimized IR, for inspection (not cached)."""
    with _lock:
        module = _parse(ir_text)
        _optimize(module)
        return target_machine().emit_assembly(module)
