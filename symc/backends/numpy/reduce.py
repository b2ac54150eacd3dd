"""NumPy rules for ``Reduce``, ``Argmax`` and ``Argmin``."""

from __future__ import annotations

import numpy as np

from symc.backends.numpy.dispatch import numpy_thunk
from symc.ops.reduce import REDUCTIONS, Argmax, Reduce, SumToShape


@numpy_thunk.register(Reduce)
def _reduce(op: Reduce, node):
    fn = REDUCTIONS[op.fold][1]
    axis, dtype = op.axis, np.dtype(op.dtype)
    takes_dtype = op.fold in ("add", "mul")
    pre = op.pre.impl if op.pre is not None else None

    def run(*args):
        x = pre(*args) if pre is not None else args[0]
        if takes_dtype:
            return fn(x, axis=axis, dtype=dtype)
        out = fn(x, axis=axis)
        return out if out.dtype == dtype else np.asarray(out).astype(dtype)

    return run


@numpy_thunk.register(Argmax)
def _argmax(op: Argmax, node):
    fn, axis = op.numpy_fn, op.axis

    def run(x):
        return np.asarray(fn(x, axis=axis), dtype=np.int64)

    return run


@numpy_thunk.register(SumToShape)
def _sum_to_shape(op: SumToShape, node):
    def run(g, like):
        if g.shape == like.shape:
            return g
        axes = tuple(d for d, (n, m) in enumerate(zip(g.shape, like.shape, strict=True))
                     if m == 1 and n != 1)
        out = g.sum(axis=axes, keepdims=True, dtype=g.dtype) if axes else g
        if out.shape != like.shape:
            raise ValueError(f"SumToShape: a gradient of shape {g.shape} cannot be summed to "
                             f"shape {like.shape}")
        return out

    return run
