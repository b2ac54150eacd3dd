"""A generated entry function per compiled ``Function``: its call path without generic loops.

``Function.__call__`` handles every case (shared variables, updates, any number of inputs).
For the common case -- no shared variables and no updates -- this module generates a Python
function specialized to the inputs: one inlined type test per input (an exact ndarray of the
expected dtype object and ndim passes as is; anything else goes through the input's full
checker), the program call, and the error restatement of ``Function._explain``. It does
exactly what ``__call__`` does, with a fraction of the interpreter work.
"""

from __future__ import annotations

import numpy as np


def _check_lines(k: int, var) -> list[str]:
    if any(d is not None for d in var.type.shape):
        return [f"    i{k} = _check{k}(i{k})"]  # static lengths: the full checker tests them
    return [f"    if type(i{k}) is not _ndarray or i{k}.dtype is not _dtype{k} or "
            f"i{k}.ndim != {var.ndim}:",
            f"        i{k} = _check{k}(i{k})"]


def make_entry(fn):
    """``entry(*inputs)`` for the ``Function`` ``fn``, or None when it has shared variables
    or updates (``__call__`` then does the work)."""
    if fn.shared or fn.updated:
        return None
    params = ", ".join(f"i{k}" for k in range(len(fn.inputs)))
    lines = [f"def entry({params}):"]
    namespace = {"_ndarray": np.ndarray, "_program": fn._fn, "_explain": fn._explain}
    if not fn.trust_input:
        for k, (var, check) in enumerate(zip(fn.inputs, fn._checkers, strict=True)):
            lines += _check_lines(k, var)
            namespace[f"_check{k}"] = check
            namespace[f"_dtype{k}"] = np.dtype(var.dtype)
    lines += ["    try:",
              f"        results = _program({params})",
              "    except Exception as exc:",
              "        raise _explain(exc) from exc",
              "    return list(results)" if fn._return_list else "    return results[0]"]
    exec(compile("\n".join(lines) + "\n", f"<symc entry {fn.name or ''}>", "exec"), namespace)
    return namespace["entry"]
