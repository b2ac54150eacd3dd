"""``shared()`` variables: values that live between calls and that ``updates`` change."""

from __future__ import annotations

import numpy as np

from symc.compile.inputs import convert_value
from symc.graph.basic import Variable
from symc.graph.types import TensorType


class SharedVariable(Variable):
    """A variable whose value is stored with it and used implicitly by every function."""

    __slots__ = ("_value",)

    def __init__(self, type: TensorType, value: np.ndarray, name: str | None = None):
        super().__init__(type, name=name)
        self._value = value

    def get_value(self, borrow: bool = False) -> np.ndarray:
        """The current value (a copy unless ``borrow=True``)."""
        return self._value if borrow else self._value.copy()

    def set_value(self, value, borrow: bool = False) -> None:
        """Replace the value; it must convert exactly to the variable's type."""
        what = f"shared variable '{self.name}'" if self.name else "shared variable"
        arr = convert_value(self, value, what)
        self._value = arr if borrow and arr is value else np.array(arr, copy=True)

    def clone(self):
        return self  # the stored value is the identity: a function uses the variable itself


def shared(value, name: str | None = None, dtype=None) -> SharedVariable:
    """A shared variable holding a copy of ``value`` (its dtype, or ``dtype``)."""
    arr = np.array(value, dtype=dtype, copy=True)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"shared({name!r}): expected a numeric value, got dtype {arr.dtype}")
    if arr.dtype == np.float64 and isinstance(value, float) and dtype is None:
        arr = arr.astype(np.float64)
    return SharedVariable(TensorType(arr.dtype, (None,) * arr.ndim), arr, name=name)
