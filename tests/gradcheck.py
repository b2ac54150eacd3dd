"""Central finite differences: the reference the gradient tests compare ``symc.grad`` with."""

from __future__ import annotations

import numpy as np


def numeric_grad(cost, arrays, eps: float = 1e-6) -> list[np.ndarray]:
    """The gradient of the NumPy function ``cost(*arrays)`` by central differences, one array
    per input (each computed in float64)."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            hi = [x.copy() for x in arrays]
            lo = [x.copy() for x in arrays]
            hi[k][idx] += eps
            lo[k][idx] -= eps
            g[idx] = (cost(*hi) - cost(*lo)) / (2 * eps)
        grads.append(g)
    return grads
