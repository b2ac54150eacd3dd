"""symc: a Theano-like symbolic expression compiler (graph rewrites, fused LLVM kernels, profiling).

>>> import numpy as np, symc
>>> x, y = symc.vector("x"), symc.vector("y")
>>> f = symc.function([x, y], (x ** 2 + y ** 2 <= 1).sum())
>>> int(f(np.zeros(3), np.ones(3)))
3
"""

from symc import variable_methods as _variable_methods  # noqa: F401 (installs operators)
from symc.compile.function import Function, MissingInputError, UnusedInputError, function
from symc.compile.mode import FAST_COMPILE, FAST_RUN, Mode
from symc.compile.shared import SharedVariable, shared
from symc.config import config
from symc.grad import grad, hessian, jacobian
from symc.graph.basic import Constant, Variable, constant
from symc.graph.types import TensorType
from symc.tensor import *  # noqa: F403 (the user's vocabulary)
from symc.tensor import __all__ as _tensor_all

__version__ = "0.1.0"

if config.backend == "llvm":
    # FAST_RUN compiles with LLVM: load libllvmlite (~30 ms of dynamic linking) with symc, as
    # NumPy loads its own extension modules, rather than in the user's first function(). The
    # LLVM backend itself stays unimported until something is compiled with it.
    try:
        import llvmlite.binding  # noqa: F401
    except ImportError:  # the backend says what is missing when it is first used
        pass

__all__ = [
    "FAST_COMPILE", "FAST_RUN", "Constant", "Function", "MissingInputError", "Mode",
    "SharedVariable", "TensorType", "UnusedInputError", "Variable", "config", "constant",
    "function", "grad", "hessian", "jacobian", "shared", *_tensor_all,
]
