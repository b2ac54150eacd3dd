"""NumPy rules for ``Elemwise`` and ``DimShuffle``."""

from __future__ import annotations

import numpy as np

from symc.backends.numpy.dispatch import numpy_thunk
from symc.graph.basic import Constant
from symc.ops.elemwise import DimShuffle, Elemwise


@numpy_thunk.register(Elemwise)
def _elemwise(op: Elemwise, node):
    impl = op.scalar_op.impl
    dtypes = [np.dtype(o.dtype) for o in node.outputs]
    if len(dtypes) == 1:
        (dtype,) = dtypes
        # Weak constants arrive as Python scalars; when every input is one, NumPy's result is
        # 0-d where the graph's (padded) type has length-1 dimensions.
        shape = node.outputs[0].type.shape
        scalars = all(isinstance(v, Constant) and v.weak for v in node.inputs) and shape != ()

        def run(*args):
            out = impl(*args)
            # The graph's dtype is the contract (e.g. a weak constant folded into an array).
            out = out if out.dtype == dtype else out.astype(dtype)
            return np.reshape(out, shape) if scalars else out

        return run

    def run_many(*args):
        return tuple(o if o.dtype == d else o.astype(d)
                     for o, d in zip(impl(*args), dtypes, strict=True))

    return run_many


@numpy_thunk.register(DimShuffle)
def _dimshuffle(op: DimShuffle, node):
    dropped, perm = op.dropped, op.perm
    index = tuple(None if d == "x" else slice(None) for d in op.new_order)
    needs_index = "x" in op.new_order
    identity_perm = perm == tuple(sorted(perm))

    def run(x):
        x = np.asarray(x)
        if dropped:
            x = np.squeeze(x, axis=dropped)  # the kept axes are renumbered in order
        if not identity_perm:
            rank = {axis: k for k, axis in enumerate(sorted(perm))}
            x = x.transpose([rank[a] for a in perm])
        return x[index] if needs_index else x

    return run
