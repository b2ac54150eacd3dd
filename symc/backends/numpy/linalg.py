"""NumPy rule for ``Dot`` (BLAS for float matrices)."""

from __future__ import annotations

import numpy as np

from symc.backends.numpy.dispatch import numpy_thunk
from symc.ops.linalg import Dot


@numpy_thunk.register(Dot)
def _dot(op: Dot, node):
    dtype = np.dtype(node.out.dtype)

    def run(a, b):
        out = np.dot(a, b)
        return out if out.dtype == dtype else out.astype(dtype)

    return run
