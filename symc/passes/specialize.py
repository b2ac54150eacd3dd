"""Specialization: general ops with constant operands become cheaper ones.

``x**2 -> sqr(x)``, ``x**0.5 -> sqrt(x)``, ``x**-1 -> reciprocal(x)``, small integer powers
by multiplication, and division by a power of two as multiplication by its (exact) inverse.
"""

from __future__ import annotations

import numpy as np

from symc.graph.basic import Apply, Constant, Variable
from symc.graph.fg import FunctionGraph
from symc.graph.types import TensorType, is_float
from symc.ops.elemwise import cast, elemwise
from symc.passes.patterns import POW_FAST_DTYPES, RULES, fits, is_power_of_two, scalar_value


def _sqr(x: Variable) -> Variable:
    return elemwise("sqr", x)


#: exponent -> (builder of ``x**exponent`` from ``x`` in the loop dtype, float-only?). Float-only
#: ones are exact only where NumPy's own ``power`` special-cases them (see POW_FAST_DTYPES);
#: the others differ from ``pow`` by float rounding at most and wrap like it for integers.
POWERS = {
    1: (lambda x: x, False),
    2: (_sqr, False),
    3: (lambda x: elemwise("mul", _sqr(x), x), False),
    4: (lambda x: _sqr(_sqr(x)), False),
    0.5: (lambda x: elemwise("sqrt", x), True),
    -1: (lambda x: elemwise("reciprocal", x), True),
}


@RULES.register("specialize", tracks=("pow",))
def specialize_power(fgraph: FunctionGraph, node: Apply):
    """``x**k`` for a constant ``k`` in ``POWERS`` -> sqr/sqrt/reciprocal/products."""
    exponent = scalar_value(node.inputs[1])
    if exponent is None or isinstance(exponent, np.bool_):
        return None
    exponent = float(exponent)
    key = int(exponent) if exponent.is_integer() else exponent
    if key not in POWERS:
        return None
    build, float_only = POWERS[key]
    dtype = node.out.dtype
    if float_only and dtype not in POW_FAST_DTYPES:
        return None  # integers raise on negative powers; float16 pow is not sqrt/reciprocal
    # NumPy converts the base to the loop dtype (the output's) before ``pow``: do the same.
    result = build(cast(node.inputs[0], dtype))
    return [result] if fits(result, node.out) else None


def _inverse(c: Constant, dtype: str) -> Constant | None:
    """``1/c`` as a constant when every entry of ``c`` is a power of two with an exact inverse
    in the loop ``dtype``; same weakness as ``c``."""
    values = np.asarray(c.data, dtype=np.float64)
    if not all(is_power_of_two(v) for v in values.flat):
        return None
    inverse = 1.0 / values
    with np.errstate(all="ignore"):
        in_loop = inverse.astype(dtype)
        if not (np.all(np.isfinite(in_loop)) and np.array_equal(in_loop, inverse)
                and np.array_equal(values.astype(dtype), values)):
            return None
    const_dtype = c.dtype if is_float(c.dtype) else ("float64" if c.weak else dtype)
    data = inverse.astype(const_dtype).reshape(c.data.shape)
    return Constant(TensorType(const_dtype, data.shape), data, weak=c.weak)


@RULES.register("specialize", tracks=("true_div",))
def divide_by_power_of_two(fgraph: FunctionGraph, node: Apply):
    """``x / 2**k -> x * 2**-k``: exact (both round the same real number once), and faster."""
    divisor = node.inputs[1]
    if not isinstance(divisor, Constant) or divisor.data.size > 1024:
        return None
    inverse = _inverse(divisor, node.out.dtype)
    if inverse is None:
        return None
    result = elemwise("mul", node.inputs[0], inverse)
    return [result] if fits(result, node.out) else None
