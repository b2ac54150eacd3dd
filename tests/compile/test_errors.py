"""Errors are for people: every mistake of the Core issue's point 7 raises the documented exception
with a message that names the variable (or, for run-time shape errors, the op, the shapes and the
user's source file and line). Exact conversions are accepted."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

import symc

THIS_FILE = os.path.basename(__file__)


def here() -> int:
    """The caller's line number (the line that builds the failing node)."""
    return sys._getframe(1).f_lineno


def assert_names_site(message: str, line: int) -> None:
    """The message points at this test file and the given line."""
    assert f"{THIS_FILE}:{line}" in message, f"expected {THIS_FILE}:{line} in: {message}"


# -- values given to a compiled function ----------------------------------------------------------

def test_wrong_number_of_inputs_names_the_inputs(mode):
    alpha, beta = symc.dvector("alpha"), symc.dvector("beta")
    fn = symc.function([alpha, beta], alpha + beta, mode=mode)
    for args in [(np.ones(2),), (np.ones(2),) * 3, ()]:
        with pytest.raises(TypeError) as info:
            fn(*args)
        msg = str(info.value)
        assert "alpha" in msg and "beta" in msg and "2" in msg and str(len(args)) in msg


def test_wrong_ndim_names_the_input_and_both_types(mode):
    alpha = symc.dvector("alpha")
    fn = symc.function([alpha], alpha * 2, mode=mode)
    for value, given in [(np.ones((2, 2)), "2-d"), (np.float64(1.0), "float64"), (3.0, "3.0"),
                         ([[1.0]], "[[1.0]]")]:
        with pytest.raises(TypeError) as info:
            fn(value)
        msg = str(info.value)
        assert "'alpha'" in msg and "float64" in msg and given in msg, msg


def test_float64_array_into_float32_input(mode):
    gamma = symc.fvector("gamma")
    fn = symc.function([gamma], gamma + 1, mode=mode)
    with pytest.raises(TypeError) as info:
        fn(np.ones(3))
    msg = str(info.value)
    assert "'gamma'" in msg and "float32" in msg and "float64" in msg


def test_values_that_overflow_int32_are_refused(mode):
    delta, eps = symc.ivector("delta"), symc.iscalar("eps")
    fn = symc.function([delta, eps], delta + eps, mode=mode)
    too_big = 2**31
    cases = [
        (np.array([1, too_big], dtype=np.int64), 1, "'delta'"),  # an int64 array: lossy type
        ([1, too_big], 1, "'delta'"),  # a list of Python ints that do not fit
        (np.array([1, 2], np.int32), too_big, "'eps'"),  # a Python int that does not fit
        (np.array([1, 2], np.int32), -too_big - 1, "'eps'"),
        (np.array([1, 2], np.uint32), 1, "'delta'"),  # uint32 values may not fit int32
    ]
    for d, e, name in cases:
        with pytest.raises(TypeError) as info:
            fn(d, e)
        msg = str(info.value)
        assert name in msg and "int32" in msg, msg


def test_float_values_into_int_inputs_are_refused(mode):
    k = symc.lvector("k")
    fn = symc.function([k], k * 2, mode=mode)
    for value in ([1.5, 2.0], np.array([1.0, 2.0]), [1e30]):
        with pytest.raises(TypeError, match="'k'"):
            fn(value)


def test_float_overflow_into_float32_is_refused(mode):
    f = symc.fscalar("f")
    fn = symc.function([f], f * 2, mode=mode)
    with pytest.raises(TypeError, match="'f'"):
        fn(1e300)


@pytest.mark.parametrize("value", ["abc", object(), None, ["a", "b"], {"x": 1}, 1 + 2j,
                                   np.array([1 + 1j]), np.array(["1.0"])],
                         ids=["str", "object", "None", "list-of-str", "dict", "complex",
                              "complex-array", "str-array"])
def test_non_numeric_values_are_refused(value, mode):
    zeta = symc.dvector("zeta") if isinstance(value, (list, np.ndarray)) else symc.dscalar("zeta")
    fn = symc.function([zeta], zeta + 1, mode=mode)
    with pytest.raises(TypeError) as info:
        fn(value)
    assert "'zeta'" in str(info.value)


def test_static_shape_mismatch_of_a_value(mode):
    eta = symc.tensor("eta", shape=(None, 3))
    fn = symc.function([eta], eta.sum(axis=1), mode=mode)
    assert fn(np.ones((2, 3))).shape == (2,)
    with pytest.raises(TypeError) as info:
        fn(np.ones((2, 4)))
    msg = str(info.value)
    assert "'eta'" in msg and "3" in msg and "(2, 4)" in msg


def test_static_shape_mismatch_at_construction():
    a = symc.tensor("a", shape=(3,))
    b = symc.tensor("b", shape=(4,))
    with pytest.raises(ValueError) as info:
        a + b
    assert "(3)" in str(info.value) and "(4)" in str(info.value)
    with pytest.raises(ValueError, match="aligned"):
        symc.dot(symc.tensor("m", shape=(2, 3)), symc.tensor("v", shape=(4,)))


# -- run-time shape errors name the op, the shapes and the user's line ----------------------------

def test_runtime_broadcast_mismatch_names_op_shapes_and_line(mode):
    x, y = symc.dvector("x"), symc.dvector("y")
    line = here(); out = x + y  # noqa: E702 (the node must be built on the line recorded)
    fn = symc.function([x, y], out, mode=mode)
    assert fn([1.0, 2.0], [3.0, 4.0]).tolist() == [4.0, 6.0]
    with pytest.raises(ValueError) as info:
        fn(np.ones(3), np.ones(4))
    msg = str(info.value)
    assert "add" in msg and "(3,)" in msg and "(4,)" in msg
    assert_names_site(msg, line)


def test_runtime_broadcast_mismatch_in_a_fusable_chain_names_the_failing_line(mode):
    """After fusion the error still points at the user's line of the failing node."""
    x, y = symc.dmatrix("x"), symc.dvector("y")
    z = symc.exp(x * 2.0 + 1.0)
    line = here(); out = z * y  # noqa: E702
    fn = symc.function([x, y], out, mode=mode)
    with pytest.raises(ValueError) as info:
        fn(np.ones((2, 3)), np.ones(4))
    msg = str(info.value)
    assert "(2, 3)" in msg and "4)" in msg  # y may show as (1, 4), the broadcast op's input
    assert_names_site(msg, line)


def test_runtime_dot_mismatch_names_op_shapes_and_line(mode):
    m, v = symc.dmatrix("m"), symc.dvector("v")
    line = here(); out = symc.dot(m, v)  # noqa: E702
    fn = symc.function([m, v], out, mode=mode)
    with pytest.raises(ValueError) as info:
        fn(np.ones((3, 2)), np.ones(4))
    msg = str(info.value)
    assert "Dot" in msg and "(3, 2)" in msg and "(4,)" in msg
    assert_names_site(msg, line)


def test_runtime_reshape_mismatch_names_line(mode):
    m = symc.dmatrix("m")
    line = here(); out = m.reshape((5, -1))  # noqa: E702
    fn = symc.function([m], out, mode=mode)
    with pytest.raises(ValueError) as info:
        fn(np.ones((3, 2)))
    msg = str(info.value)
    assert "Reshape" in msg and "(3, 2)" in msg
    assert_names_site(msg, line)


def test_runtime_error_with_profiling_still_names_line(mode):
    x, y = symc.dvector("x"), symc.dvector("y")
    line = here(); out = x - y  # noqa: E702
    fn = symc.function([x, y], out, mode=mode, profile=True)
    with pytest.raises(ValueError) as info:
        fn(np.ones(2), np.ones(5))
    assert "(2,)" in str(info.value) and "(5,)" in str(info.value)
    assert_names_site(str(info.value), line)


# -- graph-construction and compile-time mistakes -------------------------------------------------

def test_missing_input_names_the_variable(mode):
    x, theta = symc.dvector("x"), symc.dvector("theta")
    with pytest.raises(symc.MissingInputError) as info:
        symc.function([x], x + theta, mode=mode)
    assert "theta" in str(info.value)


@pytest.mark.parametrize("bad", [np.ones(3), 2.0, "x", None])
def test_non_variable_input_to_function(bad, mode):
    x = symc.dvector("x")
    with pytest.raises(TypeError) as info:
        symc.function([x, bad], x * 2, mode=mode, on_unused_input="ignore")
    assert "input 1" in str(info.value)


def test_computed_or_constant_or_shared_variable_as_input(mode):
    x = symc.dvector("x")
    w = symc.shared(np.zeros(3), name="w")
    for bad, words in [(x * 2, "computed"), (symc.constant(1.0), "constant"),
                       (w, "shared variable")]:
        with pytest.raises(TypeError) as info:
            symc.function([x, bad], x + 1, mode=mode, on_unused_input="ignore")
        assert words in str(info.value)


def test_single_variable_instead_of_input_list(mode):
    x = symc.dvector("x")
    with pytest.raises(TypeError, match="list"):
        symc.function(x, x + 1, mode=mode)


@pytest.mark.parametrize("build", [
    lambda m: m.sum(axis=2),
    lambda m: m.max(axis=-3),
    lambda m: symc.mean(m, axis=(0, 5)),
    lambda m: m.argmax(axis=2),
    lambda m: m.sum(axis=(0, 0)),
    lambda m: m.dimshuffle(2, 0),
    lambda m: m.dimshuffle(0, 0),
    lambda m: m.transpose(0, 2),
    lambda m: m.dimshuffle(0),  # drops axis 1, which is not known to have length 1
], ids=["sum2", "max-3", "mean05", "argmax2", "repeated", "ds-range", "ds-repeat", "transpose",
        "ds-drop"])
def test_impossible_axis_fails_at_construction(build):
    m = symc.dmatrix("m")
    with pytest.raises(ValueError):
        build(m)


def test_non_int_axis_is_a_type_error():
    with pytest.raises(TypeError):
        symc.dmatrix("m").sum(axis=1.0)


@pytest.mark.parametrize("dtype", ["float128", "complex128", "foo", "object", "U3"])
def test_unknown_dtype(dtype):
    with pytest.raises(TypeError) as info:
        symc.vector("v", dtype=dtype)
    assert "dtype" in str(info.value)
    with pytest.raises(TypeError):
        symc.dvector("w").astype(dtype)
    with pytest.raises(TypeError):
        symc.cast(symc.dvector("w"), dtype)


def test_unknown_mode():
    x = symc.dvector("x")
    with pytest.raises(ValueError):
        symc.function([x], x, mode="FAST_SOMETIMES")
    with pytest.raises(ValueError):
        symc.Mode(optimizer="o2")
    with pytest.raises(ValueError):
        symc.Mode(backend="cuda")


def test_on_unused_input_raise_warn_ignore(mode):
    x, unused = symc.dvector("x"), symc.dvector("unused")
    with pytest.raises(symc.UnusedInputError) as info:
        symc.function([x, unused], x * 2, mode=mode)
    assert "unused" in str(info.value)
    with pytest.raises(symc.UnusedInputError):
        symc.function([x, unused], x * 2, mode=mode, on_unused_input="raise")
    with pytest.warns(UserWarning, match="unused"):
        fn = symc.function([x, unused], x * 2, mode=mode, on_unused_input="warn")
    assert fn([1.0], [5.0]).tolist() == [2.0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn = symc.function([x, unused], x * 2, mode=mode, on_unused_input="ignore")
    assert not [w for w in caught if "unused" in str(w.message)]
    assert fn([1.0], [5.0]).tolist() == [2.0]
    with pytest.raises(ValueError):
        symc.function([x, unused], x * 2, mode=mode, on_unused_input="sometimes")


def test_update_with_wrong_dtype_or_ndim_names_the_shared_variable(mode):
    x = symc.fvector("x")
    acc = symc.shared(np.zeros(3, np.float32), name="acc")
    with pytest.raises(TypeError) as info:
        symc.function([x], x, updates=[(acc, acc + x.astype("float64"))], mode=mode)
    assert "acc" in str(info.value) and "float64" in str(info.value)
    with pytest.raises(TypeError) as info:
        symc.function([x], x, updates={acc: acc.sum()}, mode=mode)
    assert "acc" in str(info.value)
    with pytest.raises(TypeError):
        symc.function([x], x, updates=[(x, x + 1)], mode=mode)


def test_givens_with_a_wrong_type_names_the_variable(mode):
    x, y = symc.dvector("x"), symc.fvector("y")
    with pytest.raises(TypeError) as info:
        symc.function([y], x * 2, givens={x: y}, mode=mode)
    assert "x" in str(info.value) and "float32" in str(info.value)
    with pytest.raises(TypeError):
        symc.function([y], x * 2, givens=[(x, symc.dmatrix("m"))], mode=mode,
                      on_unused_input="ignore")


# -- what is accepted -----------------------------------------------------------------------------

def test_exact_conversions_are_accepted(mode):
    i32, f32, f64 = symc.ivector("i32"), symc.fscalar("f32"), symc.dvector("f64")
    b = symc.tensor("b", dtype="bool", shape=(None,))
    fn = symc.function([i32, f32, f64, b], [i32 * 2, f32 + 1, f64 - 1, b], mode=mode)
    cases = [
        ([1, 2, 3], 0.1, [1, 2, 3], [True, False]),  # lists and a Python float rounded to float32
        (np.array([1, 2, 3], np.int16), 2, np.array([1, 2, 3], np.float32), np.array([True])),
        (np.array([1, 2], np.uint16), np.float32(2.5), np.array([1, 2], np.int32), [1, 0]),
        ((4, 5), True, (1.5,), np.array([], bool)),
        (np.array([7], np.int8), np.array(3, np.int16), np.array([True]), [0]),
    ]
    for iv, fv, dv, bv in cases:
        out = fn(iv, fv, dv, bv)
        assert out[0].dtype == np.int32 and out[0].tolist() == (np.asarray(iv) * 2).tolist()
        assert out[1].dtype == np.float32 and out[1] == np.float32(fv) + np.float32(1)
        assert out[2].dtype == np.float64
        assert out[2].tolist() == (np.asarray(dv, float) - 1).tolist()
        assert out[3].dtype == np.bool_ and out[3].tolist() == np.asarray(bv, bool).tolist()


def test_bool_list_for_int_input_and_int_list_for_float_input(mode):
    i, f = symc.lvector("i"), symc.dvector("f")
    fn = symc.function([i, f], [i + 0, f + 0], mode=mode)
    got = fn([True, False], [1, 2**53])
    assert got[0].tolist() == [1, 0] and got[1].tolist() == [1.0, 2.0**53]


def test_non_contiguous_and_negatively_strided_inputs(mode):
    x, m = symc.dvector("x"), symc.dmatrix("m")
    fn = symc.function([x, m], [x * 2 + 1, m.sum(axis=0), symc.dot(m, x)], mode=mode)
    base = np.arange(24.0).reshape(4, 6)
    for xv, mv in [(base[0, ::2], base[:, ::2]), (base[0, ::-2], base[::-1, ::-2]),
                   (base[:3, 0], base[:3, :3].T), (np.arange(3.0)[::-1], np.asfortranarray(
                       base[:3, :3]))]:
        got = fn(xv, mv)
        np.testing.assert_array_equal(got[0], xv * 2 + 1)
        np.testing.assert_array_equal(got[1], mv.sum(axis=0))
        np.testing.assert_allclose(got[2], mv @ xv, rtol=1e-14)


def test_trust_input_still_computes_correctly(mode):
    x, y = symc.fvector("x"), symc.fmatrix("y")
    fn = symc.function([x, y], [x + y, (x * y).sum()], mode=mode, trust_input=True)
    xv = np.array([1.0, 2.0, 3.0], np.float32)
    yv = np.arange(6, dtype=np.float32).reshape(2, 3)
    for xa, ya in [(xv, yv), (xv[::-1], yv[:, ::-1]), (xv, np.asfortranarray(yv))]:
        got = fn(xa, ya)
        assert got[0].dtype == np.float32 and got[1].dtype == np.float32
        np.testing.assert_array_equal(got[0], xa + ya)
        np.testing.assert_allclose(got[1], (xa * ya).sum(), rtol=1e-6)
