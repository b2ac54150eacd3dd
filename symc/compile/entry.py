"""A generated entry function per compiled ``Function``: its call path without generic loops.

``Function`` handles every case (shared variables, updates, any number of inputs) in its
general path. For the common case -- no shared variables and no updates -- this module
generates a Python function specialized to the inputs, which ``f(...)`` runs directly: one
inlined type test per input (an exact ndarray of the expected dtype object and ndim passes
as is; anything else goes through the input's full checker), then the linked program's own
statements, inlined (not called: a Python call is ~0.1 µs, 3% of pi at N=30,000), and the
error restatement of ``Function._explain``. A wrong number of arguments goes to the general
path, which says what was expected. It does exactly what the general path does, with a
fraction of the interpreter work.

The inlined program keeps its line numbers' order: ``entry.line_offset`` is what to subtract
from a line of the entry to get the program line (``Program.line_node``) of the same node
(``None`` when the entry calls the program instead: a profiled program is never inlined).
"""

from __future__ import annotations

import numpy as np

#: Stands for an argument that was not given (the entry's parameters all have it as default,
#: so that a wrong count reaches the general path's message instead of Python's).
_MISSING = object()


def _check_lines(k: int, var) -> list[str]:
    if any(d is not None for d in var.type.shape):
        return [f"    i{k} = _chk{k}(i{k})"]  # static lengths: the full checker tests them
    return [f"    if type(i{k}) is not _nd or i{k}.dtype is not _dt{k} or i{k}.ndim != {var.ndim}:",
            f"        i{k} = _chk{k}(i{k})"]


def _signature_lines(n: int) -> list[str]:
    """``def entry(...)`` and the hand-over to the general path when the count is wrong."""
    if n == 0:
        return ["def entry(*_rest):", "    if _rest:", "        return _general(*_rest)"]
    params = [f"i{k}" for k in range(n)]
    given = ", ".join(params + ["*_rest"])
    return [f"def entry({', '.join(f'{p}=_MISSING' for p in params)}, /, *_rest):",
            f"    if _rest or i{n - 1} is _MISSING:",
            f"        return _general(*[a for a in ({given}) if a is not _MISSING])"]


def _result_text(fn, results: list[str]) -> str:
    return f"[{', '.join(results)}]" if fn._return_list else results[0]


def _run_lines(fn, params: str) -> list[str]:
    """The program's work: inlined when the linker gave its body, else one call of it."""
    program = fn.program
    if program.body is None:  # an instrumented (profiled) program: call it
        return ["    try:",
                f"        results = _program({params})",
                "    except Exception as exc:",
                "        raise _explain(exc) from exc",
                "    return list(results)" if fn._return_list else "    return results[0]"]
    return (["    try:"] + ["    " + line for line in program.body]
            + [f"        return {_result_text(fn, program.results)}",
               "    except Exception as exc:",
               "        raise _explain(exc) from exc"])


def make_entry(fn):
    """``entry(*inputs)`` for the ``Function`` ``fn``, or None when it has shared variables
    or updates (its general path then does the work)."""
    if fn.shared or fn.updated:
        return None
    n = len(fn.inputs)
    lines = _signature_lines(n)
    namespace = dict(fn.program.namespace)  # the program's thunks and constants
    namespace.update(_nd=np.ndarray, _program=fn._fn, _explain=fn._explain,
                     _general=fn.call_general, _MISSING=_MISSING)
    if not fn.trust_input:
        for k, (var, check) in enumerate(zip(fn.inputs, fn._checkers, strict=True)):
            lines += _check_lines(k, var)
            namespace[f"_chk{k}"] = check
            namespace[f"_dt{k}"] = np.dtype(var.dtype)
    # The body's first statement is line len(lines) + 2 here (after "try:"), line 2 there.
    offset = len(lines)
    lines += _run_lines(fn, ", ".join(f"i{k}" for k in range(n)))
    exec(compile("\n".join(lines) + "\n", f"<symc entry {fn.name or ''}>", "exec"), namespace)
    entry = namespace["entry"]
    entry.line_offset = offset if fn.program.body is not None else None  # None: not inlined
    return entry
