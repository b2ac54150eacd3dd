"""The reference backend: every op runs here, through NumPy. Its results are symc's semantics."""

from symc.backends.numpy import elemwise, linalg, reduce, shape  # noqa: F401 (registers rules)
from symc.backends.numpy.dispatch import numpy_thunk

NAME = "numpy"
#: The backend's tag in profiles (Theano's ``<type>`` column).
TAG = "Py"


def make_thunks(fgraph, nodes):
    """Thunks for every node (the NumPy backend has a rule for every op)."""
    return {node: numpy_thunk(node.op, node) for node in nodes}


__all__ = ["NAME", "TAG", "make_thunks", "numpy_thunk"]
