"""What rules use to read and build graphs: the shared rule book, node keys, constant tests."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.rewrite import RuleBook, type_fits
from symc.ops.elemwise import Elemwise

#: Every local rule of the passes, tagged with its phases (see ``pipeline.py``).
RULES = RuleBook()

#: Float dtypes whose NumPy ``power`` treats exponents 0.5, 2 and -1 exactly as ``sqrt``,
#: ``square`` and ``reciprocal`` (float16 goes through float32 ``pow`` instead).
POW_FAST_DTYPES = ("float32", "float64")


def op_key(node: Apply) -> Hashable:
    """The key rules track: an Elemwise's scalar op name (``"add"``), else the op class."""
    op = node.op
    if isinstance(op, Elemwise):
        return op.scalar_op.name
    return type(op)


def elemwise_name(var: Variable) -> str | None:
    """The scalar op name of the Elemwise computing ``var``, or None."""
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise):
        return node.op.scalar_op.name
    return None


def owner_of(var: Variable, name: str) -> Apply | None:
    """``var``'s owner when it is an Elemwise of the scalar op ``name``."""
    return var.owner if elemwise_name(var) == name else None


def scalar_value(var: Variable):
    """The value of a constant holding one element (any broadcastable shape), else None."""
    if isinstance(var, Constant) and var.data.size == 1:
        return var.data.reshape(())[()]
    return None


def is_constant(var: Variable, value) -> bool:
    """True when ``var`` is a one-element constant equal to ``value`` (never for NaN)."""
    found = scalar_value(var)
    return found is not None and bool(found == value)


def is_power_of_two(value) -> bool:
    """True for a finite, non-zero float or int whose magnitude is ``2**k``."""
    value = np.float64(value)
    if not np.isfinite(value) or value == 0:
        return False
    mantissa, _ = np.frexp(value)
    return abs(float(mantissa)) == 0.5


def fits(new: Variable, old: Variable) -> bool:
    """True when ``new`` may replace ``old`` (same dtype and rank, shapes agree)."""
    return type_fits(old.type, new.type)


def only_client(fgraph, var: Variable, node: Apply) -> bool:
    """True when ``node`` is the only user of ``var`` (and ``var`` is not a graph output)."""
    clients = fgraph.clients.get(var, ())
    return all(client is node for client, _ in clients) and len(clients) > 0
