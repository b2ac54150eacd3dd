"""``TensorType`` and NumPy 2's dtype promotion with NEP 50 weak Python scalars."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symc
from symc.graph.types import DTYPES, TensorType, broadcast_shapes, canonical_dtype, result_dtype

#: Symbolic dtypes (float16 exists only as NumPy's result of e.g. exp(int8)).
USER_DTYPES = [dt for dt in DTYPES if dt != "float16"]


# -- TensorType -----------------------------------------------------------------------------------

def test_tensor_type_basics():
    t = TensorType("float32", (None, 1, 3))
    assert t.dtype == "float32" and t.shape == (None, 1, 3) and t.ndim == 3
    assert t.broadcastable == (False, True, False)
    assert TensorType(np.float32, [None, 1, 3]) == t
    assert hash(TensorType("f4", (None, 1, 3))) == hash(t)
    assert TensorType("float32", (None, 1, 4)) != t
    assert TensorType("float64", (None, 1, 3)) != t
    assert TensorType("int8").shape == () and TensorType("int8").ndim == 0
    assert "float32" in repr(t) and "?" in repr(t)


@pytest.mark.parametrize(("given", "name"), [
    (np.float64, "float64"), ("f8", "float64"), (float, "float64"), (bool, "bool"),
    (np.dtype("int16"), "int16"), ("uint64", "uint64"), (np.bool_, "bool"), ("float16", "float16"),
])
def test_canonical_dtype(given, name):
    assert canonical_dtype(given) == name


@pytest.mark.parametrize("bad", ["float128", "complex64", "S3", object, "datetime64", "nope"])
def test_unsupported_dtypes_raise_type_error(bad):
    with pytest.raises(TypeError, match="dtype"):
        TensorType(bad, ())


@pytest.mark.parametrize("shape", [(-1,), (2.5,), ("3",), (None, -3)])
def test_bad_static_shapes_raise_value_error(shape):
    with pytest.raises(ValueError):
        TensorType("float64", shape)


def test_is_super_and_value_shape_ok():
    loose, tight = TensorType("float64", (None, 3)), TensorType("float64", (2, 3))
    assert loose.is_super(tight) and not tight.is_super(loose)
    assert not loose.is_super(TensorType("float32", (2, 3)))
    assert not loose.is_super(TensorType("float64", (3,)))
    assert loose.value_shape_ok((5, 3)) and loose.value_shape_ok((0, 3))
    assert not loose.value_shape_ok((5, 4)) and not loose.value_shape_ok((3,))
    assert TensorType("int8", ()).value_shape_ok(())


def test_static_broadcasting():
    assert broadcast_shapes([(None, 1), (1, 5)], "add") == (None, 5)
    assert broadcast_shapes([(1, 1), (1, 1)], "add") == (1, 1)
    assert broadcast_shapes([(None,), (1,)], "add") == (None,)
    assert broadcast_shapes([(3,), (None,)], "add") == (3,)
    with pytest.raises(ValueError, match="mul"):
        broadcast_shapes([(3,), (4,)], "mul")


# -- promotion ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_promotion_of_arrays_is_numpy_result_type(a, b):
    assert result_dtype((a, False), (b, False)) == np.result_type(a, b).name
    assert result_dtype((b, False), (a, False)) == np.result_type(a, b).name


WEAK = {"bool": True, "int64": 1, "float64": 1.0}


@pytest.mark.parametrize("weak", list(WEAK))
@pytest.mark.parametrize("dtype", DTYPES)
def test_promotion_with_weak_python_scalars_is_nep50(dtype, weak):
    expected = np.result_type(np.dtype(dtype), WEAK[weak]).name
    assert result_dtype((dtype, False), (weak, True)) == expected
    assert result_dtype((weak, True), (dtype, False)) == expected


@pytest.mark.parametrize(("left", "right", "expected"), [
    (("int8", False), ("int64", True), "int8"),  # int8 + 1
    (("int8", False), ("float64", True), "float64"),  # int8 + 1.0: NumPy's default float
    (("float32", False), ("float64", True), "float32"),  # float32 + 2.0
    (("float16", False), ("float64", True), "float16"),
    (("uint8", False), ("int8", False), "int16"),
    (("bool", False), ("bool", False), "bool"),
    (("bool", False), ("int64", True), "int64"),  # bool + 1
    (("int32", False), ("bool", True), "int32"),  # int32 + True
    (("uint64", False), ("int64", False), "float64"),
    (("int64", True), ("float64", True), "float64"),  # two Python scalars
    (("int32", False), ("float32", False), "float64"),
    (("int16", False), ("float32", False), "float32"),
])
def test_promotion_table(left, right, expected):
    assert result_dtype(left, right) == expected


@pytest.mark.parametrize(("build", "dtype"), [
    (lambda: symc.bvector() + 1, "int8"),
    (lambda: symc.bvector() + 1.0, "float64"),
    (lambda: symc.fvector() + 2.0, "float32"),
    (lambda: 2.0 * symc.fvector(), "float32"),
    (lambda: symc.fvector() * symc.dvector(), "float64"),
    (lambda: symc.vector(dtype="uint8") + symc.bvector(), "int16"),
    (lambda: symc.vector(dtype="bool") + symc.vector(dtype="bool"), "bool"),
    (lambda: symc.vector(dtype="bool") * 3, "int64"),
    (lambda: symc.ivector() / symc.ivector(), "float64"),
    (lambda: symc.ivector() // 2, "int32"),
    (lambda: symc.fvector() ** 2, "float32"),
    (lambda: symc.exp(symc.bvector()), "float16"),
    (lambda: symc.ivector() < 2.5, "bool"),
    (lambda: symc.ivector().sum(), "int64"),
    (lambda: symc.vector(dtype="bool").sum(), "int64"),
    (lambda: symc.vector(dtype="uint8").sum(), "uint64"),
    (lambda: symc.fvector().sum(), "float32"),
    (lambda: symc.ivector().mean(), "float64"),
    (lambda: symc.fvector().mean(), "float32"),
    (lambda: symc.dot(symc.ivector(), symc.fvector()), "float64"),
])
def test_expression_dtypes_follow_numpy(build, dtype):
    assert build().dtype == dtype


def test_weak_constant_is_weak_and_arrays_are_not():
    assert symc.constant(2.0).weak and symc.constant(2).weak and symc.constant(True).weak
    assert not symc.constant(np.float64(2.0)).weak
    assert not symc.constant(np.arange(3)).weak
    assert not symc.constant(2.0, dtype="float32").weak
    assert symc.constant(2.0, dtype="float32").dtype == "float32"
