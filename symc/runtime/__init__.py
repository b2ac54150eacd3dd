"""symc.runtime: run a chunked loop on a native thread pool, and decide when that pays.

A compiled loop is a *chunk function* with the C signature::

    void chunk_fn(void *ctx, int64_t chunk, int64_t start, int64_t stop)

that computes iterations ``[start, stop)``; ``chunk`` (0 .. n_chunks-1) lets a reduction write
a per-chunk partial into a buffer at ``ctx``, to be combined in chunk order afterwards, so a
given split gives the same bits whatever thread ran which chunk.

* :func:`parallel_for` runs a chunk function over ``[0, n)`` cut into ``n_chunks`` pieces
  (:func:`chunk_bounds`), with the GIL released; :func:`parallel_call` does the same for a
  Python callable ``fn(chunk, start, stop)`` (useful when it calls GIL-releasing NumPy).
* :func:`plan_chunks` says how many chunks a loop should get (1 = inline), from the work
  estimate and the measured :func:`dispatch_cost`; its answer depends on timing, so a
  reduction cuts its loop into :func:`reduction_chunks` pieces (fixed by ``n`` and the thread
  count) and passes the plan as ``num_threads``::

      parallel_for(fn, ctx, n, reduction_chunks(n), num_threads=plan_chunks(n, ns))

Compiled LLVM kernels do all of this without Python (:mod:`symc.runtime.dispatch`): their
entry points read ``config.num_threads`` and call the runtime's native
``symc_parallel_run`` (:mod:`symc.runtime.dispatch_ir`), which plans with the same rules,
checks what splitting has really bought that kernel, and runs the loop on the pool.
``dispatch.forced_split()`` makes every compiled loop split, for tests.

The pool (:mod:`symc.runtime.pool_ir`) is native code made with llvmlite: no Python runs on
dispatch. It is created on first parallel use with ``config.num_threads - 1`` workers (the
caller is the last worker), is re-created lazily in a forked child, sleeps on a futex when
idle, and runs one job at a time: a call that finds it busy (another thread's job, or a call
from inside a chunk) runs its chunks inline.
"""

from symc.runtime.plan import dispatch_cost, plan_chunks, reduction_chunks
from symc.runtime.pool import chunk_bounds, parallel_call, parallel_for

__all__ = [
    "chunk_bounds",
    "dispatch_cost",
    "parallel_call",
    "parallel_for",
    "plan_chunks",
    "reduction_chunks",
]
