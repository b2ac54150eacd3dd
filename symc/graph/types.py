"""Tensor types: a dtype and a static shape, and NumPy 2's dtype promotion rules (NEP 50)."""

from __future__ import annotations

import numpy as np

#: The dtypes a symbolic tensor may have (float16 appears only as NumPy's result of e.g. exp(int8)).
DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
)
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float16", "float32", "float64")


_CANONICAL: dict = {}


def canonical_dtype(dtype) -> str:
    """Return the dtype's name, or raise ``TypeError`` for one symc does not support."""
    try:
        return _CANONICAL[dtype]  # graph building asks this for every new variable
    except (KeyError, TypeError):
        pass
    name = _canonical_dtype(dtype)
    try:
        _CANONICAL[dtype] = name
    except TypeError:  # an unhashable dtype-like
        pass
    return name


def _canonical_dtype(dtype) -> str:
    try:
        name = np.dtype(dtype).name
    except TypeError as exc:
        raise TypeError(f"unknown dtype {dtype!r}; symc supports {', '.join(DTYPES)}") from exc
    if name not in DTYPES:
        raise TypeError(f"unsupported dtype {name!r}; symc supports {', '.join(DTYPES)}")
    return name


def is_float(dtype: str) -> bool:
    """True for float16/32/64."""
    return dtype in FLOAT_DTYPES


def is_int(dtype: str) -> bool:
    """True for signed and unsigned integer dtypes (not bool)."""
    return dtype in INT_DTYPES


# A weak (Python) scalar takes part in promotion by kind only (NEP 50): these stand for it.
_WEAK_STANDINS = {"bool": False, "int64": 0, "float64": 0.0}


def result_dtype(*operands: tuple[str, bool]) -> str:
    """NumPy 2's result dtype of ``(dtype, weak)`` operands; weak ones are Python scalars."""
    args = [_WEAK_STANDINS.get(dt, np.dtype(dt)) if weak else np.dtype(dt) for dt, weak in operands]
    return canonical_dtype(np.result_type(*args))


class TensorType:
    """The type of a symbolic tensor: ``dtype`` and a static ``shape``.

    Each entry of ``shape`` is an ``int`` (known length; ``1`` means broadcastable) or
    ``None`` (unknown until run time).
    """

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype, shape=()):
        self.dtype = canonical_dtype(dtype)
        shape = tuple(shape)
        for dim in shape:
            if dim is not None and (not isinstance(dim, (int, np.integer)) or dim < 0):
                raise ValueError(f"a static shape entry must be None or an int >= 0, got {dim!r}")
        self.shape = tuple(None if d is None else int(d) for d in shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        """Theano's view of the static shape: which dimensions have length 1."""
        return tuple(d == 1 for d in self.shape)

    def __eq__(self, other):
        return type(other) is TensorType and (self.dtype, self.shape) == (other.dtype, other.shape)

    def __hash__(self):
        return hash((self.dtype, self.shape))

    def __repr__(self):
        dims = ", ".join("?" if d is None else str(d) for d in self.shape)
        return f"TensorType({self.dtype}, ({dims}{',' if self.ndim == 1 else ''}))"

    def is_super(self, other: TensorType) -> bool:
        """True when every value of ``other`` is also a value of this type."""
        return (
            self.dtype == other.dtype
            and self.ndim == other.ndim
            and all(a is None or a == b for a, b in zip(self.shape, other.shape, strict=True))
        )

    def value_shape_ok(self, shape: tuple[int, ...]) -> bool:
        """True when a concrete ``shape`` fits the static shape."""
        return len(shape) == self.ndim and all(
            want is None or want == got for want, got in zip(self.shape, shape, strict=True)
        )


def broadcast_shapes(shapes: list[tuple], where: str) -> tuple:
    """Static broadcast of equal-length shapes; ``ValueError`` when two known dims clash."""
    out = []
    for dims in zip(*shapes, strict=True):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"{where}: shapes {_fmt_shapes(shapes)} cannot be broadcast together")
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _fmt_shapes(shapes) -> str:
    return " ".join("(" + ", ".join("?" if d is None else str(d) for d in s) + ")" for s in shapes)
