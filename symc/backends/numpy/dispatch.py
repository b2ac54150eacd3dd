"""The NumPy backend's rule table: op class -> a maker of thunks (plain Python callables)."""

from __future__ import annotations

import functools

from symc.graph.basic import Apply, Op


@functools.singledispatch
def numpy_thunk(op: Op, node: Apply):
    """Return ``fn(*input_values)`` computing ``node`` (one value, or a tuple for several)."""
    raise NotImplementedError(f"the NumPy backend has no rule for {type(op).__name__}")
