"""The process-wide thread pool and the calls that run a chunked loop on it.

``parallel_for`` hands a compiled chunk function (the ABI of :mod:`symc.runtime`) to the native
pool of :mod:`symc.runtime.pool_ir`; ``parallel_call`` does the same for a Python callable,
through one ctypes callback. The pool is created lazily on the first call that wants more
than one thread, grows when ``config.num_threads`` grows, and is forgotten in a forked child
(which creates its own on first use).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import threading
import time

from symc.config import config
from symc.runtime.pool_ir import FIELDS, POOL_BYTES, PoolCode, compile_pool_code

__all__ = [
    "NativePool",
    "chunk_bounds",
    "current_pool",
    "pool_with",
    "native_code",
    "parallel_call",
    "parallel_for",
]

_MAX_CHUNKS = 2**31 - 1  # the pool counts finished chunks in a 32-bit futex word
_MAX_N = 2**63 - 1
#: How long a waiting thread spins before it sleeps: long enough to catch the next job of
#: a sequence of kernels without a futex round trip, short enough that idling costs nothing.
SPIN_SECONDS = 30e-6

_POOL_RUN = ctypes.CFUNCTYPE(
    ctypes.c_int32,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
)
_RUN_INLINE = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64
)
_PAUSE_LOOP = ctypes.CFUNCTYPE(None, ctypes.c_int64)
_CYCLE_COUNTER = ctypes.CFUNCTYPE(ctypes.c_int64)
_POOL_WAKE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)
#: The chunk-function ABI as a ctypes type, for Python callables.
CHUNK_FUNCTION = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.aligned_alloc.restype = ctypes.c_void_p
_libc.aligned_alloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
_libc.pthread_create.argtypes = [
    ctypes.POINTER(ctypes.c_ulong),
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
]
_libc.pthread_detach.argtypes = [ctypes.c_ulong]


class NativeCode:
    """The JIT-compiled pool functions, wrapped as ctypes callables."""

    def __init__(self, code: PoolCode):
        self.code = code  # holds the execution engine, so the machine code stays mapped
        self.pool_run = _POOL_RUN(code.pool_run)
        self.run_inline = _RUN_INLINE(code.run_inline)
        self.pool_wake = _POOL_WAKE(code.pool_wake)
        self.noop_chunk = code.noop_chunk
        self.barrier_chunk = code.barrier_chunk
        self.spin_count = _calibrate_spin(_PAUSE_LOOP(code.pause_loop))
        self.cycle_counter = _CYCLE_COUNTER(code.cycle_counter)
        self.cycles_per_second = _calibrate_cycles(self.cycle_counter)


def _calibrate_spin(pause_loop) -> int:
    """Return how many pause instructions take about :data:`SPIN_SECONDS`."""
    count = 4096
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        pause_loop(count)
        best = min(best, time.perf_counter() - start)
    return max(16, int(count * SPIN_SECONDS / max(best, 1e-9)))


def _calibrate_cycles(counter) -> float:
    """How fast the cycle counter (``rdtsc``) runs, over ~2 ms."""
    start_time, start = time.perf_counter(), counter()
    time.sleep(2e-3)
    return max(1.0, (counter() - start) / max(time.perf_counter() - start_time, 1e-6))


class NativePool:
    """One pool block (in never-freed C memory) and the native workers serving it.

    The block is never freed because detached workers keep reading it for the rest of the
    process; the memory cost is a few hundred bytes per pool.
    """

    def __init__(self, native: NativeCode):
        self.native = native
        self.address = _libc.aligned_alloc(64, POOL_BYTES)
        if not self.address:
            raise MemoryError("symc.runtime: could not allocate the thread pool block")
        ctypes.memset(self.address, 0, POOL_BYTES)
        ctypes.c_int64.from_address(self.address + FIELDS["spin"][0]).value = native.spin_count
        self._sleepers = ctypes.c_int64.from_address(self.address + FIELDS["sleepers"][0])
        self.n_workers = 0

    def field(self, name: str) -> int:
        """Read one field of the pool block (for tests and diagnostics)."""
        offset, _, size = FIELDS[name]
        ctype = ctypes.c_int32 if size == 4 else ctypes.c_int64
        return ctype.from_address(self.address + offset).value

    def workers_awake(self, helpers: int) -> bool:
        """True while at least ``helpers`` workers are awake (spinning or working).

        Dispatching a job to that many helpers is then cheap: no futex wake-up.
        """
        return self.n_workers - self._sleepers.value >= helpers > 0

    def wake(self, seconds: float = 0.0) -> None:
        """Wake sleeping workers without work; they spin ``seconds`` longer than usual.

        For a caller that expects to dispatch a job soon (within ``seconds`` plus the usual
        spin window): the workers will be awake, so that dispatch is cheap.
        """
        extra = int(self.native.spin_count * max(0.0, seconds) / SPIN_SECONDS)
        self.native.pool_wake(self.address, extra)

    def add_workers(self, count: int) -> None:
        """Start ``count`` more worker threads."""
        # Workers inherit the creating thread's signal mask: block everything so that
        # signals go to Python's threads and never interrupt a worker's futex wait.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            for _ in range(count):
                thread = ctypes.c_ulong()
                err = _libc.pthread_create(
                    ctypes.byref(thread), None, self.native.code.worker_main, self.address
                )
                if err:
                    raise OSError(err, f"symc.runtime: pthread_create failed: {os.strerror(err)}")
                _libc.pthread_detach(thread)
                self.n_workers += 1
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    def run(self, fn_address: int, ctx: int | None, n: int, n_chunks: int, helpers: int) -> bool:
        """Run a job with at most ``helpers`` workers besides the caller.

        Returns False when the pool was busy and the chunks ran inline on this thread.
        """
        return bool(self.native.pool_run(self.address, fn_address, ctx, n, n_chunks, helpers))


class _Runtime:
    """The lazily made process state: compiled code and pool (reset in a forked child)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.native: NativeCode | None = None
        self.pool: NativePool | None = None

    def code(self) -> NativeCode:
        """The compiled pool functions, compiled on first use."""
        if self.native is None:
            with self.lock:
                if self.native is None:
                    self.native = NativeCode(compile_pool_code())
        return self.native

    def pool_with(self, helpers: int) -> NativePool:
        """The pool, created or grown so that it has at least ``helpers`` workers."""
        pool = self.pool
        if pool is not None and pool.n_workers >= helpers:
            return pool
        native = self.code()
        with self.lock:
            if self.pool is None:
                self.pool = NativePool(native)
            if self.pool.n_workers < helpers:
                self.pool.add_workers(helpers - self.pool.n_workers)
            return self.pool

    def forget_pool(self):
        # The child has only the forking thread: the parent's workers do not exist here, and
        # the lock may have been held by a thread that is gone. The compiled code is still
        # mapped and valid, so keep it.
        self.lock = threading.Lock()
        self.pool = None


_runtime = _Runtime()
os.register_at_fork(after_in_child=_runtime.forget_pool)


def native_code() -> NativeCode:
    """The compiled pool functions (compiled on first use)."""
    return _runtime.code()


def current_pool() -> NativePool | None:
    """The pool if one was created in this process, else None."""
    return _runtime.pool


def pool_with(helpers: int) -> NativePool:
    """The pool, created or grown so that it has at least ``helpers`` workers."""
    return _runtime.pool_with(helpers)


def _check_job(n, n_chunks) -> tuple[int, int]:
    n, n_chunks = int(n), int(n_chunks)
    if n < 0 or n > _MAX_N:
        raise ValueError(f"parallel loop: n must be in [0, 2**63), got {n}")
    if n_chunks < 1 or n_chunks > _MAX_CHUNKS:
        raise ValueError(f"parallel loop: n_chunks must be in [1, 2**31), got {n_chunks}")
    return n, n_chunks


def chunk_bounds(n: int, n_chunks: int) -> list[tuple[int, int]]:
    """The ``(start, stop)`` of each chunk when ``[0, n)`` is cut into ``n_chunks`` pieces.

    Contiguous and nearly equal: the first ``n % n_chunks`` chunks get one element more.
    This is exactly the split ``parallel_for`` uses, whatever thread runs a chunk.
    """
    n, n_chunks = _check_job(n, n_chunks)
    q, r = divmod(n, n_chunks)
    starts = [c * q + min(c, r) for c in range(n_chunks + 1)]
    return list(zip(starts[:-1], starts[1:], strict=True))


def parallel_for(
    fn_address: int, ctx: int | None, n: int, n_chunks: int, num_threads: int | None = None
) -> None:
    """Run ``fn(ctx, c, start_c, stop_c)`` for every chunk ``c`` of ``[0, n)``; see chunk_bounds.

    ``fn_address`` points to ``void fn(void *ctx, int64_t chunk, int64_t start, int64_t
    stop)``. Chunks run on at most ``num_threads`` threads (default ``config.num_threads``;
    the caller is one of them) with the GIL released, and all are done when this returns.
    If the pool is busy (another thread's job, or a call from inside a chunk) the chunks run
    inline on the calling thread instead.
    """
    n, n_chunks = _check_job(n, n_chunks)
    if n == 0:
        return
    threads = config.num_threads if num_threads is None else int(num_threads)
    helpers = min(n_chunks, threads) - 1
    if helpers <= 0:
        native_code().run_inline(fn_address, ctx, n, n_chunks)
        return
    _runtime.pool_with(helpers).run(fn_address, ctx, n, n_chunks, helpers)


class _PythonJob:
    """A Python callable run by ``parallel_call``, and the exceptions its chunks raised."""

    def __init__(self, fn):
        self.fn = fn
        self.errors: list[tuple[int, BaseException]] = []

    def run_chunk(self, chunk: int, start: int, stop: int) -> None:
        try:
            self.fn(chunk, start, stop)
        except BaseException as exc:  # noqa: B036 - re-raised by the caller after all chunks
            self.errors.append((chunk, exc))

    def raise_first_error(self) -> None:
        if self.errors:
            # The lowest chunk's error, so the same failure is reported whatever the timing.
            raise min(self.errors, key=lambda item: item[0])[1]


_python_jobs: dict[int, _PythonJob] = {}
_job_keys = itertools.count(1)  # ctx 0 would arrive as None


def _run_python_chunk(ctx, chunk, start, stop):
    _python_jobs[ctx].run_chunk(chunk, start, stop)


# One callback for every Python job: ctx selects the job, so no ctypes thunk is made per call.
_PYTHON_TRAMPOLINE = CHUNK_FUNCTION(_run_python_chunk)
_PYTHON_TRAMPOLINE_ADDRESS = ctypes.cast(_PYTHON_TRAMPOLINE, ctypes.c_void_p).value


def parallel_call(py_fn, n: int, n_chunks: int) -> None:
    """Run ``py_fn(chunk, start, stop)`` for every chunk of ``[0, n)``, like ``parallel_for``.

    Meant for callables that spend their time in code that releases the GIL (NumPy ufuncs
    on large slices). Every chunk runs even if some raise; then the exception of the lowest
    failing chunk is raised here.
    """
    n, n_chunks = _check_job(n, n_chunks)
    if n == 0:
        return
    job = _PythonJob(py_fn)
    if min(n_chunks, config.num_threads) <= 1:
        for chunk, (start, stop) in enumerate(chunk_bounds(n, n_chunks)):
            job.run_chunk(chunk, start, stop)
    else:
        key = next(_job_keys)
        _python_jobs[key] = job
        try:
            parallel_for(_PYTHON_TRAMPOLINE_ADDRESS, key, n, n_chunks)
        finally:
            del _python_jobs[key]
    job.raise_first_error()
