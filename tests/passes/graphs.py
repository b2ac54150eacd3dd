"""Helpers for the pass tests: run passes on a graph, list what is left, compare values."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.graph.fg import FunctionGraph
from symc.ops.composite import Composite
from symc.ops.elemwise import Elemwise
from symc.passes.pipeline import optimize

#: Rules that never reach a fixed point are a bug: make their warning fail the test.
FIXED_POINT = pytest.mark.filterwarnings("error::symc.graph.rewrite.RewriteWarning")
#: NumPy's warnings about NaN and inf, which these tests produce on purpose.
QUIET_NUMPY = pytest.mark.filterwarnings("ignore::RuntimeWarning")

#: The unoptimized graph on the NumPy backend: the semantics every rewrite must keep.
REFERENCE = symc.Mode(None, "numpy")
OPTIMIZED = symc.Mode("fast_run", "numpy")


def rewritten(inputs, outputs, *passes, **options) -> FunctionGraph:
    """A FunctionGraph of ``outputs`` after ``passes`` (default: all of fast_run), checked."""
    outputs = outputs if isinstance(outputs, list) else [outputs]
    fgraph = FunctionGraph(inputs, outputs)
    if not passes:
        optimize(fgraph, "fast_run", **options)
    for pass_fn in passes:
        pass_fn(fgraph, **options)
        fgraph.check()
    return fgraph


def ops(fgraph: FunctionGraph) -> list[str]:
    """The graph's nodes in order: scalar op names for Elemwise (``Composite`` for fused
    ones), ``str(op)`` for the others."""
    names = []
    for node in fgraph.toposort():
        if isinstance(node.op, Elemwise):
            names.append(node.op.scalar_op.name)
        else:
            names.append(type(node.op).__name__)
    return names


def composites(fgraph: FunctionGraph) -> list:
    """The fused Elemwise(Composite) nodes."""
    return [n for n in fgraph.toposort()
            if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)]


def assert_same_values(inputs, outputs, values, mode=OPTIMIZED, rtol=1e-12):
    """The optimized function gives the reference's values (dtypes, shapes, NaN positions)."""
    ref = symc.function(inputs, outputs, mode=REFERENCE, on_unused_input="ignore")(*values)
    got = symc.function(inputs, outputs, mode=mode, on_unused_input="ignore")(*values)
    ref, got = (ref, got) if isinstance(outputs, list) else ([ref], [got])
    for r, g in zip(ref, got, strict=True):
        assert g.dtype == r.dtype and g.shape == r.shape
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(g, r)
        else:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=0, equal_nan=True)
    return got
