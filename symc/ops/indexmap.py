"""``IndexMap``: an inner graph evaluated at every row index, the results stacked.

symc has no scan yet; the Jacobian needs one loop: row ``k`` is the gradient of
``expression[k]``. ``IndexMap(index, inputs, output)(n, *values)`` is the array whose row
``k`` (for ``k`` in ``range(n)``) is ``output`` computed with ``index = k`` and ``inputs``
bound to ``values``. The inner graph is held by the op (compared by identity) and run by the
NumPy backend.
"""

from __future__ import annotations

from symc.graph.basic import Apply, Op, Variable, as_variable
from symc.graph.types import TensorType


class IndexMap(Op):
    """Rows ``output(index=k, inputs=values)`` for ``k < n``; ``like`` is the position among
    ``inputs`` of a variable with the row's shape (to shape an empty result)."""

    __props__ = ("index", "inputs", "output", "like")

    def __init__(self, index: Variable, inputs: tuple, output: Variable, like: int):
        self.index = index
        self.inputs = tuple(inputs)
        self.output = output
        self.like = like

    def make_node(self, n, *values):
        n = as_variable(n)
        values = [as_variable(v) for v in values]
        if n.ndim != 0 or not n.dtype.startswith("int"):
            raise TypeError(f"IndexMap: the row count must be an integer scalar, got {n.type}")
        if len(values) != len(self.inputs):
            raise TypeError(f"IndexMap takes {len(self.inputs)} values, got {len(values)}")
        for inner, value in zip(self.inputs, values, strict=True):
            if inner.type != value.type:
                raise TypeError(f"IndexMap: {value} has type {value.type}, the inner graph "
                                f"expects {inner.type}")
        shape = (None,) + self.output.type.shape
        return Apply(self, [n, *values], [TensorType(self.output.dtype, shape)])

    def __str__(self):
        return "IndexMap"
