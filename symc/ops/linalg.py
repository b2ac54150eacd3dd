"""Linear algebra: ``Dot`` for every vector/matrix pairing (BLAS through NumPy)."""

from __future__ import annotations

from symc.graph.basic import Apply, Op, as_variable
from symc.graph.types import TensorType, result_dtype


class Dot(Op):
    """``np.dot`` of two tensors of 1 or 2 dimensions."""

    __props__ = ()

    def make_node(self, a, b):
        a, b = as_variable(a), as_variable(b)
        for name, v in (("first", a), ("second", b)):
            if v.ndim not in (1, 2):
                raise TypeError(f"dot: the {name} argument {v} must be a vector or a matrix, "
                                f"got {v.ndim} dimensions")
        k_a = a.type.shape[-1]
        k_b = b.type.shape[0]
        if k_a is not None and k_b is not None and k_a != k_b:
            raise ValueError(f"dot: shapes {a.type.shape} and {b.type.shape} are not aligned")
        shape = a.type.shape[:-1] + b.type.shape[1:]
        dtype = result_dtype((a.dtype, False), (b.dtype, False))
        return Apply(self, [a, b], [TensorType(dtype, shape)])
