"""Peers built from one expression written once for every array namespace.

A workload writes its expression as ``expr(m, *inputs)`` where ``m`` is ``numpy``,
``jax.numpy``, ``pytensor.tensor`` or ``symc``; the functions here turn it into the NumPy,
PyTensor, JAX and symc peers. The symbolic peers get typed inputs from ``types``, a list of
``(ndim, dtype)`` pairs, one per input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from benchmarks.peers import Peer, import_library

Expr = Callable[..., object]
Types = list[tuple[int, str]]

_NAMES = "xyzwuv"
SYMC_NODES_NOTE = (
    "symc status `ok (nodes: 3 L + 1 Py)`: how many graph nodes its LLVM (L) and NumPy (Py)"
    " backends run after the rewrites."
)


def numpy_peer(expr: Expr) -> Peer:
    """NumPy, the reference: the expression evaluated eagerly."""
    import numpy as np

    return Peer("numpy", "numpy", lambda: lambda *args: expr(np, *args))


def pytensor_peer(expr: Expr, types: Types, name: str = "pytensor", **kwargs) -> Peer:
    """PyTensor in its default mode (``pytensor.function``); ``kwargs`` go to it."""

    def build():
        pytensor = import_library("pytensor")
        import pytensor.tensor as pt

        inputs = [
            pt.tensor(_NAMES[i], dtype=dtype, shape=(None,) * ndim)
            for i, (ndim, dtype) in enumerate(types)
        ]
        return pytensor.function(inputs, expr(pt, *inputs), **kwargs)

    return Peer(name, "pytensor", build)


def jax_peer(expr: Expr) -> Peer:
    """``jax.jit`` of the expression, inputs on the device, waiting for the result."""

    def build():
        jax = import_library("jax")
        import jax.numpy as jnp

        jitted = jax.jit(lambda *args: expr(jnp, *args))
        return lambda *args: jitted(*args).block_until_ready()

    def prepare(inputs: tuple) -> tuple:
        jax = import_library("jax")
        return tuple(jax.device_put(a) for a in inputs)

    return Peer("jax jit", "jax", build, prepare)


def symc_variables(types: Types) -> list:
    """One symc input variable per ``(ndim, dtype)``, named x, y, z, ..."""
    symc = import_library("symc")
    return [
        symc.tensor(_NAMES[i], dtype=dtype, shape=(None,) * ndim)
        for i, (ndim, dtype) in enumerate(types)
    ]


def symc_peer(expr: Expr, types: Types, name: str = "symc", **kwargs) -> Peer:
    """``symc.function`` of the expression, FAST_RUN unless ``kwargs`` say otherwise."""

    def build():
        symc = import_library("symc")
        inputs = symc_variables(types)
        return symc.function(inputs, expr(symc, *inputs), **kwargs)

    return Peer(name, "symc", build, describe=symc_backends)


def symc_backends(f) -> str:
    """How many graph nodes each backend runs, e.g. ``"nodes: 2 L + 1 Py"``.

    The tags are the backends' own (``L`` = LLVM, ``Py`` = NumPy). This reads symc
    internals (``Function.program.tags``) while the core is young, so that a symc row that
    silently fell back to NumPy says so; "" when they are not there.
    """
    tags = getattr(getattr(f, "program", None), "tags", None)
    if not isinstance(tags, dict) or not tags:
        return ""
    counts = Counter(str(tag) for tag in tags.values())
    return "nodes: " + " + ".join(f"{n} {tag}" for tag, n in sorted(counts.items()))


def array_peers(expr: Expr, types: Types) -> list[Peer]:
    """The NumPy, PyTensor, JAX and symc peers of one expression, in table order."""
    return [numpy_peer(expr), pytensor_peer(expr, types), jax_peer(expr), symc_peer(expr, types)]
