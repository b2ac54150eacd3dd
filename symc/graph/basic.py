"""The graph's nodes: ``Variable``, ``Constant``, ``Apply`` and ``Op``."""

from __future__ import annotations

import functools
import itertools
import os
import sys
from collections.abc import Iterable, Sequence

import numpy as np

from symc.graph.types import TensorType

_SYMC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ids = itertools.count()


@functools.lru_cache(maxsize=1024)
def _inside_symc(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SYMC_DIR + os.sep)


def user_site() -> tuple[str, int] | None:
    """The ``(filename, line)`` of the innermost frame outside the symc package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _inside_symc(filename):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


class Variable:
    """A symbolic value: an input when ``owner`` is None, else output ``index`` of ``owner``."""

    __slots__ = ("type", "owner", "index", "name", "id", "__weakref__")

    def __init__(self, type: TensorType, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None):
        if not isinstance(type, TensorType):
            raise TypeError(f"a Variable needs a TensorType, got {type!r}")
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.id = next(_ids)

    @property
    def dtype(self) -> str:
        """The element type's name, e.g. ``'float64'``."""
        return self.type.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self.type.ndim

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        """Which dimensions are statically of length 1."""
        return self.type.broadcastable

    def clone(self) -> Variable:
        """A new input variable of the same type and name (no owner)."""
        return type(self)(self.type, name=self.name)

    def __repr__(self):
        return self.name if self.name else f"<{type(self).__name__} {self.type!r} #{self.id}>"

    def __str__(self):
        if self.name:
            return self.name
        if self.owner is not None:
            suffix = f".{self.index}" if len(self.owner.outputs) > 1 else ""
            return f"{self.owner.op}.out{suffix}"
        return f"<{self.type}>"


class Constant(Variable):
    """A variable with a fixed value; ``weak`` marks Python scalars (NEP 50 promotion)."""

    __slots__ = ("data", "weak", "_signature")

    def __init__(self, type: TensorType, data, name: str | None = None, weak: bool = False):
        super().__init__(type, name=name)
        data = np.array(data, dtype=type.dtype)
        data.setflags(write=False)
        if not type.value_shape_ok(data.shape):
            raise ValueError(f"constant of shape {data.shape} does not fit {type}")
        self.data = data
        self.weak = weak
        self._signature = None

    def signature(self) -> tuple:
        """A hashable key: equal for constants of equal type, weakness and value bits."""
        if self._signature is None:
            self._signature = (self.type, self.weak, self.data.tobytes())
        return self._signature

    def argument(self):
        """The value a thunk receives: a weak constant as a Python scalar (so NumPy applies
        NEP 50's weak promotion to it), any other as its array."""
        return self.data.item() if self.weak else self.data

    def clone(self) -> Constant:
        return Constant(self.type, self.data, name=self.name, weak=self.weak)

    def __str__(self):
        if self.name:
            return self.name
        if self.data.size == 1:
            return format_scalar(self.data.reshape(()))
        return f"Constant{{{np.array2string(self.data, threshold=6)}}}"


def format_scalar(value: np.ndarray) -> str:
    """Print a 0-d value the way Theano prints constants: ``1.0``, ``2``, ``True``."""
    item = value.item()
    return repr(item) if isinstance(item, float) else str(item)


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``.

    ``site`` is the ``(filename, line)`` of the user's code that built the node, kept through
    rewrites so run-time errors can point at it.
    """

    __slots__ = ("op", "inputs", "outputs", "site")

    def __init__(self, op: Op, inputs: Sequence[Variable], output_types: Iterable[TensorType],
                 site: tuple[str, int] | None = None):
        for pos, var in enumerate(inputs):
            if not isinstance(var, Variable):
                raise TypeError(f"input {pos} of {op} is not a symbolic variable: {var!r}")
        self.op = op
        self.inputs = list(inputs)
        self.outputs = [Variable(t, owner=self, index=i) for i, t in enumerate(output_types)]
        self.site = site if site is not None else user_site()

    @property
    def out(self) -> Variable:
        """The only output of a single-output node."""
        (out,) = self.outputs
        return out

    def site_text(self) -> str:
        """Where the node was built, for error messages."""
        return f"{self.site[0]}:{self.site[1]}" if self.site else "<unknown source line>"

    def __repr__(self):
        return f"Apply({self.op}, {self.inputs})"


class Op:
    """An operation. Ops are equal when their types and ``__props__`` values are equal."""

    __props__: tuple[str, ...] = ()

    def make_node(self, *inputs: Variable) -> Apply:
        """Check the inputs and return the ``Apply`` node with typed outputs."""
        raise NotImplementedError

    def __call__(self, *inputs):
        node = self.make_node(*inputs)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        props = self._props()
        if not props:
            return type(self).__name__
        pairs = zip(self.__props__, props, strict=True)
        return f"{type(self).__name__}{{{', '.join(f'{n}={v}' for n, v in pairs)}}}"

    __repr__ = __str__


def ancestors(outputs: Iterable[Variable]) -> list[Variable]:
    """All variables that ``outputs`` depend on, each once."""
    seen: set[int] = set()
    result: list[Variable] = []
    stack = list(outputs)
    while stack:
        var = stack.pop()
        if var.id in seen:
            continue
        seen.add(var.id)
        result.append(var)
        if var.owner is not None:
            stack.extend(var.owner.inputs)
    return result


def toposort(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Apply]:
    """The ``Apply`` nodes that compute ``outputs``, inputs before users (iterative DFS).

    ``ValueError`` when a node depends on its own result (a cycle, which only a broken rewrite
    can make): without the check the walk would never end.
    """
    done: set[int] = {v.id for v in stop_at}
    order: list[Apply] = []
    visited_nodes: set[int] = set()
    on_path: set[int] = set()  # nodes whose inputs are being walked (the DFS's grey nodes)
    stack: list[tuple[Variable, bool]] = [(v, False) for v in reversed(list(outputs))]
    while stack:
        var, expanded = stack.pop()
        node = var.owner
        if node is None or var.id in done:
            continue
        key = id(node)
        if expanded:
            on_path.discard(key)
            if key not in visited_nodes:
                visited_nodes.add(key)
                order.append(node)
            done.update(o.id for o in node.outputs)
            continue
        if key in visited_nodes:
            continue
        if key in on_path:
            raise ValueError(f"the graph has a cycle: {node.op} depends on its own output {var!r}")
        on_path.add(key)
        stack.append((var, True))
        stack.extend((i, False) for i in reversed(node.inputs) if i.owner is not None)
    return order


def constant(value, dtype=None, name: str | None = None) -> Constant:
    """A ``Constant`` holding ``value``; Python scalars become weak (NEP 50) constants."""
    if isinstance(value, Constant) and dtype is None:
        return value
    weak = dtype is None and type(value) in (bool, int, float)
    if isinstance(value, (str, bytes)) or (
            isinstance(value, np.ndarray) and value.dtype.kind in "OUSV"):
        raise TypeError(f"cannot make a numeric constant from {value!r}")
    try:
        data = np.asarray(value, dtype=dtype)
    except (OverflowError, ValueError, TypeError) as exc:
        raise TypeError(f"cannot make a constant of dtype {dtype} from {value!r}: {exc}") from exc
    if data.dtype.kind in "OUSVc":
        raise TypeError(f"cannot make a numeric constant from {value!r} (dtype {data.dtype})")
    return Constant(TensorType(data.dtype, data.shape), data, name=name, weak=weak)


def as_variable(value, name: str | None = None) -> Variable:
    """``value`` itself when it is a Variable, else a constant of it."""
    if isinstance(value, Variable):
        return value
    if isinstance(value, Apply):
        raise TypeError(f"{name or 'argument'}: expected a variable, got the node {value!r}")
    return constant(value, name=None)


def clone_replace(outputs: Sequence[Variable], replace: dict[Variable, Variable]) -> list[Variable]:
    """Copies of ``outputs`` in which each key of ``replace`` is replaced by its value."""
    memo: dict[Variable, Variable] = dict(replace)
    for node in toposort(outputs, stop_at=list(replace)):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs, strict=True)):
            continue
        new_node = node.op.make_node(*new_inputs)
        new_node.site = node.site
        for old, new in zip(node.outputs, new_node.outputs, strict=True):
            new.name = old.name
            memo[old] = new
    return [memo.get(v, v) for v in outputs]
