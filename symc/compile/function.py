"""``symc.function``: compile a graph into a callable ``Function``."""

from __future__ import annotations

import operator
import time
import warnings
from collections.abc import Sequence

import numpy as np

from symc.compile.entry import make_entry
from symc.compile.inputs import describe, input_label, make_checker
from symc.compile.linker import link
from symc.compile.mode import get_mode
from symc.compile.shared import SharedVariable
from symc.config import config
from symc.graph.basic import Constant, Variable, ancestors, as_variable, clone_replace, user_site
from symc.graph.fg import FunctionGraph
from symc.passes.pipeline import MAX_OPERANDS, optimize


class UnusedInputError(ValueError):
    """An input that no output depends on (``on_unused_input="raise"``)."""


class MissingInputError(ValueError):
    """The outputs depend on a variable that is neither an input, a constant nor shared."""


def _as_output_list(outputs):
    if isinstance(outputs, (list, tuple)):
        return [as_variable(o) for o in outputs], True
    return [as_variable(outputs)], False


def _check_inputs(inputs) -> list[Variable]:
    if isinstance(inputs, Variable):
        raise TypeError("function(inputs, ...): inputs must be a list of variables, "
                        "got one variable")
    inputs = list(inputs)
    for pos, var in enumerate(inputs):
        if not isinstance(var, Variable):
            raise TypeError(f"function(): input {pos} is not a symbolic variable: {var!r}")
        if isinstance(var, (Constant, SharedVariable)) or var.owner is not None:
            kind = "a constant" if isinstance(var, Constant) else (
                "a shared variable" if isinstance(var, SharedVariable) else "computed by " +
                str(var.owner.op))
            raise TypeError(f"function(): input {pos} ({var}) is {kind}; inputs must be "
                            "free variables made with symc.vector(), symc.matrix(), ...")
    if len(set(inputs)) != len(inputs):
        raise ValueError("function(): the same variable is listed twice among the inputs")
    return inputs


def _normalize_updates(updates) -> list[tuple[SharedVariable, Variable]]:
    if updates is None:
        return []
    pairs = list(updates.items()) if isinstance(updates, dict) else list(updates)
    result = []
    for pair in pairs:
        shared_var, expr = pair
        if not isinstance(shared_var, SharedVariable):
            raise TypeError(f"updates: {shared_var!r} is not a shared variable")
        expr = as_variable(expr)
        if expr.dtype != shared_var.dtype or expr.ndim != shared_var.ndim:
            raise TypeError(f"updates: the new value of '{shared_var.name}' has type {expr.type}, "
                            f"but the variable is {shared_var.type}; use .astype(...)")
        result.append((shared_var, expr))
    if len({id(s) for s, _ in result}) != len(result):
        raise ValueError("updates: a shared variable is updated twice")
    return result


def _apply_givens(outputs, givens):
    if not givens:
        return outputs
    pairs = dict(givens.items() if isinstance(givens, dict) else givens)
    replace = {}
    for old, new in pairs.items():
        if not isinstance(old, Variable):
            raise TypeError(f"givens: key {old!r} is not a symbolic variable")
        new = as_variable(new)
        if new.dtype != old.dtype or new.ndim != old.ndim:
            raise TypeError(f"givens: {old} has type {old.type}, its replacement {new.type}")
        replace[old] = new
    return clone_replace(outputs, replace)


def _check_graph_roots(inputs, outputs, on_unused_input: str) -> list[SharedVariable]:
    roots = [v for v in ancestors(outputs) if v.owner is None and not isinstance(v, Constant)]
    shared_vars = [v for v in roots if isinstance(v, SharedVariable)]
    given = set(inputs)
    for var in roots:
        if var not in given and not isinstance(var, SharedVariable):
            raise MissingInputError(f"the outputs depend on {var!r} ({var.type}), which is not "
                                    "among the inputs of function()")
    used = set(roots)
    for pos, var in enumerate(inputs):
        if var not in used:
            msg = f"{input_label(var, pos)} is not used to compute any output"
            if on_unused_input == "raise":
                raise UnusedInputError(msg + " (pass on_unused_input='ignore' to allow this)")
            if on_unused_input == "warn":
                warnings.warn(msg, stacklevel=3)
            elif on_unused_input != "ignore":
                raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got "
                                 f"{on_unused_input!r}")
    return sorted(shared_vars, key=lambda v: v.id)


class Function:
    """A compiled function: call it with values for its inputs."""

    # ``f(...)`` runs ``f._call``: the specialized entry (symc.compile.entry), else the general
    # path. A property over attrgetter is resolved in C, so no Python frame stands between the
    # caller and the entry (a ``def __call__`` forwarding to it costs ~0.1 µs per call).
    __call__ = property(operator.attrgetter("_call"), doc="Call the function on input values.")

    def __init__(self, inputs, outputs, updates=None, givens=None, profile=None, name=None,
                 mode=None, trust_input=False, on_unused_input="raise"):
        start = time.perf_counter()
        self.name = name
        self.site = user_site()
        self.mode = get_mode(mode)
        self.trust_input = bool(trust_input)
        self.inputs = _check_inputs(inputs)
        outs, self._return_list = _as_output_list(outputs)
        update_pairs = _normalize_updates(updates)
        all_outs = _apply_givens(outs + [e for _, e in update_pairs], givens)
        self.shared = _check_graph_roots(self.inputs, all_outs, on_unused_input)
        self.shared += [s for s, _ in update_pairs if s not in self.shared]
        self.n_outputs = len(outs)
        self.updated = [s for s, _ in update_pairs]
        self.fgraph = FunctionGraph(self.inputs + self.shared, all_outs)
        self.profile = _make_profiler(profile, self)
        phases = optimize(self.fgraph, self.mode.optimizer, MAX_OPERANDS[self.mode.backend])
        link_start = time.perf_counter()
        self.program = link(self.fgraph, self.mode.backend, self.profile)
        self._fn = self.program.fn
        self._checkers = [make_checker(v, input_label(v, k)) for k, v in enumerate(self.inputs)]
        self._entry = make_entry(self)  # the specialized call path (None: call_general)
        # The backend's native program, when it has one, stands in for the entry (falling
        # back on it); without an entry (shared variables, updates) it stands in for the
        # program that call_general runs (all outputs and new values, as a list).
        if self._entry is not None:
            self._call = _bind_native(self, self._entry, self._return_list) or self._entry
            self._run = self._fn
        else:
            self._call = self.call_general
            self._run = _bind_native(self, self._fn, True) or self._fn
        self.compile_time = {"rewrite": phases, "link": time.perf_counter() - link_start,
                             "total": time.perf_counter() - start}
        if self.profile is not None:
            self.profile.record_compile(self.compile_time)
            self.__class__ = _ProfiledFunction

    @property
    def __signature__(self):
        """``(x, y, /)``: the inputs, for ``inspect`` and IDEs (``__call__`` is a property)."""
        import inspect

        names, seen = [], set()
        for k, var in enumerate(self.inputs):
            name = var.name if var.name and var.name.isidentifier() else f"i{k}"
            while name in seen:
                name = f"_{name}"
            names.append(name)
            seen.add(name)
        return inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY)
                                  for n in names])

    def call_general(self, *args):
        """The call path for every case: checks, shared variables, updates, messages."""
        entry = self._entry
        if entry is not None and len(args) == len(self.inputs):
            return entry(*args)
        n = len(self.inputs)
        if len(args) != n:
            names = ", ".join(str(v) for v in self.inputs)
            raise TypeError(f"{self._label()} takes {n} input(s) ({names}), got {len(args)}")
        if not self.trust_input:
            args = [check(a) for check, a in zip(self._checkers, args, strict=True)]
        if self.shared:
            args = [*args, *(s._value for s in self.shared)]
        try:
            results = self._run(*args)
        except Exception as exc:
            raise self._explain(exc) from exc
        if self.updated:
            for var, value in zip(self.updated, results[self.n_outputs:], strict=True):
                var._value = value
            results = results[:self.n_outputs]
        return list(results) if self._return_list else results[0]

    def _label(self) -> str:
        return f"function '{self.name}'" if self.name else "the compiled function"

    def _explain(self, exc: Exception) -> Exception:
        """``exc`` restated with the failing node, its input shapes and the user's line."""
        # The program runs as itself or inlined in the entry, its lines shifted by an offset.
        offsets = {self._fn.__code__: 0}
        if self._entry is not None and self._entry.line_offset is not None:
            offsets[self._entry.__code__] = self._entry.line_offset
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code not in offsets:
            tb = tb.tb_next
        if tb is None:
            return exc
        line = tb.tb_lineno - offsets[tb.tb_frame.f_code]
        node = self.program.line_node.get(line)
        if node is None:
            return exc
        local = tb.tb_frame.f_locals
        shapes = []
        for arg in self.program.line_args[line]:
            value = local.get(arg, self._fn.__globals__.get(arg))
            shapes.append(str(np.shape(value)) if value is not None else "?")
        msg = (f"{node.op} failed on inputs of shapes {', '.join(shapes)}: {str(exc).strip()}. "
               f"The node was built at {node.site_text()}.{self._given_shapes(local)}")
        # The error's own class, else the nearest base taking one message (NumPy's
        # _ArrayMemoryError wants more arguments: it is restated as a MemoryError).
        for cls in type(exc).__mro__:
            try:
                return cls(msg)
            except Exception:
                continue
        return RuntimeError(msg)

    def _given_shapes(self, local: dict) -> str:
        """`` Called with x: (5, 2), y: (3,).`` from the failing frame's inputs ``i<k>``
        (the node's own inputs may be views or broadcasts of them); "" when absent."""
        given = []
        for k, var in enumerate(self.inputs):
            if f"i{k}" not in local:
                return ""
            given.append(f"{var.name or f'input {k}'}: {np.shape(local[f'i{k}'])}")
        return f" Called with {', '.join(given)}." if given else ""

    def describe_inputs(self, args) -> str:
        """A description of given values, for messages."""
        return ", ".join(describe(a) for a in args)


class _ProfiledFunction(Function):
    """A ``Function`` whose calls are timed whole into ``self.profile``.

    ``Function.__init__`` switches a profiled function to this class, so that an unprofiled
    call pays nothing for profiling, not even a test of ``self.profile``.
    """

    def __call__(self, *args):
        return self.profile.call(Function.call_general, self, args)


def _bind_native(fn: Function, fallback, return_list: bool):
    """The backend's builtin running the whole program, handing anything unusual to
    ``fallback``; None when the backend offers none."""
    native = fn.program.native
    return native.bind(fallback, return_list, fn.name or "function") if native else None


def _make_profiler(profile, fn: Function):
    if profile is None:
        profile = config.profile
    if not profile:
        return None
    from symc.profiling.stats import ProfileStats

    return profile if isinstance(profile, ProfileStats) else ProfileStats(fn)


def function(inputs: Sequence[Variable], outputs, updates=None, givens=None, profile=None,
             name=None, mode=None, trust_input=False, on_unused_input="raise") -> Function:
    """Compile ``outputs`` as a function of ``inputs`` (Theano's ``theano.function``)."""
    return Function(inputs, outputs, updates=updates, givens=givens, profile=profile, name=name,
                    mode=mode, trust_input=trust_input, on_unused_input=on_unused_input)
