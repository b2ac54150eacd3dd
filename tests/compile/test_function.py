"""``symc.function``: updates, aliasing of results, output forms, givens, ``eval``, shared
variables, names and modes (API.md, "Functions")."""

from __future__ import annotations

import numpy as np
import pytest

import symc


def assert_owns_memory(result: np.ndarray, *others: np.ndarray) -> None:
    """``result`` shares no memory with any of ``others``."""
    for other in others:
        assert not np.shares_memory(result, other), "a result aliases another array"


# -- updates --------------------------------------------------------------------------------------

def test_updates_are_applied_together_after_the_outputs(mode):
    """Two shared variables swap values in one step; outputs see the values before the step."""
    a = symc.shared(np.array([1.0, 2.0]), name="a")
    b = symc.shared(np.array([10.0, 20.0]), name="b")
    fn = symc.function([], [a, b, a + b], updates=[(a, b), (b, a)], mode=mode)
    out_a, out_b, total = fn()
    assert out_a.tolist() == [1.0, 2.0] and out_b.tolist() == [10.0, 20.0]
    assert total.tolist() == [11.0, 22.0]
    assert a.get_value().tolist() == [10.0, 20.0] and b.get_value().tolist() == [1.0, 2.0]
    fn()
    assert a.get_value().tolist() == [1.0, 2.0] and b.get_value().tolist() == [10.0, 20.0]


def test_update_dict_and_accumulator(mode):
    """``updates`` as a dict; the output is computed from the value before the update."""
    x = symc.dvector("x")
    acc = symc.shared(np.zeros(3), name="acc")
    count = symc.shared(np.int64(0), name="count")
    fn = symc.function([x], acc + x, updates={acc: acc + x, count: count + 1}, mode=mode)
    first = fn(np.ones(3))
    second = fn(np.full(3, 2.0))
    assert first.tolist() == [1.0] * 3 and second.tolist() == [3.0] * 3
    assert acc.get_value().tolist() == [3.0] * 3 and int(count.get_value()) == 2
    assert_owns_memory(second, acc.get_value(borrow=True))


def test_update_does_not_change_a_returned_output(mode):
    """A result returned before an update is not changed by later updates of the shared value."""
    w = symc.shared(np.arange(3.0), name="w")
    fn = symc.function([], w, updates=[(w, w * 2)], mode=mode)
    first = fn()
    fn()
    assert first.tolist() == [0.0, 1.0, 2.0]
    assert w.get_value().tolist() == [0.0, 4.0, 8.0]


# -- results never alias anything -----------------------------------------------------------------

def test_identity_output_does_not_alias_the_input(mode):
    x = symc.dvector("x")
    fn = symc.function([x], x, mode=mode)
    value = np.arange(4.0)
    result = fn(value)
    assert result.tolist() == value.tolist()
    assert_owns_memory(result, value)
    result[0] = 99.0
    assert value[0] == 0.0


@pytest.mark.parametrize("build", [
    lambda x, m: [x, x],
    lambda x, m: [x[::-1], x],
    lambda x, m: [m.T, m],
    lambda x, m: [m.reshape((-1,)), m[1:], m.transpose(1, 0), m.flatten()],
    lambda x, m: [x * 2, x * 2],
    lambda x, m: [x[1:3], x[::2], x[::-1], x[0]],
], ids=["same-twice", "reversed-view", "transpose", "views-of-m", "same-expr", "slices"])
def test_outputs_alias_neither_inputs_nor_each_other(build, mode):
    x, m = symc.dvector("x"), symc.dmatrix("m")
    fn = symc.function([x, m], build(x, m), mode=mode, on_unused_input="ignore")
    xv, mv = np.arange(5.0), np.arange(6.0).reshape(2, 3)
    results = fn(xv, mv)
    expected = build(xv, mv)
    for k, (got, want) in enumerate(zip(results, expected, strict=True)):
        np.testing.assert_array_equal(got, want)
        assert isinstance(got, np.ndarray)
        assert_owns_memory(got, xv, mv, *results[:k])


def test_results_are_not_overwritten_by_a_later_call(mode):
    x = symc.dvector("x")
    fn = symc.function([x], [x * 2, (x + 1).sum(), x[::-1]], mode=mode)
    first = fn(np.arange(3.0))
    kept = [r.copy() for r in first]
    second = fn(np.full(3, 7.0))
    for old, copy in zip(first, kept, strict=True):
        np.testing.assert_array_equal(old, copy)
    for a, b in zip(first, second, strict=True):
        assert_owns_memory(a, b)


def test_shared_value_and_constants_are_not_aliased(mode):
    w = symc.shared(np.arange(3.0), name="w")
    fn = symc.function([], [w, w.T, symc.constant(np.arange(3)) * 2], mode=mode)
    results = fn()
    assert_owns_memory(results[0], w.get_value(borrow=True))
    assert_owns_memory(results[1], w.get_value(borrow=True))
    for r in results:
        r[...] = 0  # the caller owns its results: changing them changes nothing else
    again = fn()
    assert again[0].tolist() == [0.0, 1.0, 2.0] and again[2].tolist() == [0, 2, 4]
    assert w.get_value().tolist() == [0.0, 1.0, 2.0]


# -- output forms ---------------------------------------------------------------------------------

def test_zero_d_outputs_are_zero_d_arrays(mode):
    x, s = symc.dvector("x"), symc.iscalar("s")
    fn = symc.function([x, s], [x.sum(), s * 2, x[0], x.shape[0], x.argmax()], mode=mode)
    results = fn(np.array([1.0, 5.0]), 3)
    for r in results:
        assert isinstance(r, np.ndarray) and r.ndim == 0
    assert [r.dtype.name for r in results] == ["float64", "int32", "float64", "int64", "int64"]
    assert [r.item() for r in results] == [6.0, 6, 1.0, 2, 1]
    single = symc.function([s], s + 1, mode=mode)(np.int32(4))
    assert isinstance(single, np.ndarray) and single.shape == () and single.dtype == np.int32


def test_output_forms(mode):
    x = symc.dvector("x")
    one = symc.function([x], x + 1, mode=mode)([1.0])
    assert isinstance(one, np.ndarray) and one.tolist() == [2.0]
    listed = symc.function([x], [x + 1], mode=mode)([1.0])
    assert isinstance(listed, list) and len(listed) == 1 and listed[0].tolist() == [2.0]
    from_tuple = symc.function([x], (x + 1, x - 1), mode=mode)([1.0])
    assert isinstance(from_tuple, list) and [r.tolist() for r in from_tuple] == [[2.0], [0.0]]
    nothing = symc.function([], [], mode=mode)()
    assert nothing == []


def test_function_of_no_inputs_and_constant_output(mode):
    fn = symc.function([], symc.constant(np.arange(3.0)) * 2 + 1, mode=mode)
    first = fn()
    first[:] = -1
    assert fn().tolist() == [1.0, 3.0, 5.0]


# -- givens and eval ------------------------------------------------------------------------------

def test_givens_replace_variables(mode):
    x, y = symc.dvector("x"), symc.dvector("y")
    w = symc.shared(np.array([1.0, 2.0]), name="w")
    out = x * 2 + 1
    fn = symc.function([y], out, givens={x: y * 10}, mode=mode)
    assert fn([1.0, 2.0]).tolist() == [21.0, 41.0]
    fn_shared = symc.function([], out, givens=[(x, w)], mode=mode)
    assert fn_shared().tolist() == [3.0, 5.0]
    # The user's graph is unchanged by givens.
    assert symc.function([x], out, mode=mode)([0.0]).tolist() == [1.0]


def test_eval(mode):
    x, y = symc.dvector("x"), symc.dscalar("y")
    out = (x * y).sum()
    assert float(out.eval({x: np.array([1.0, 2.0]), y: 3.0})) == 9.0
    assert float(out.eval({x: [1.0, 1.0], y: 0.5})) == 1.0
    assert (symc.constant(np.arange(3)) * 2).eval().tolist() == [0, 2, 4]
    value = (x + 1).eval({x: np.zeros(2)})
    assert isinstance(value, np.ndarray) and value.tolist() == [1.0, 1.0]
    with pytest.raises(symc.MissingInputError):
        out.eval({x: np.ones(2)})


# -- shared variables -----------------------------------------------------------------------------

def test_shared_get_and_set_value_copy():
    source = np.arange(3.0)
    w = symc.shared(source, name="w")
    assert w.name == "w" and w.dtype == "float64" and w.ndim == 1
    source[0] = 100.0
    assert w.get_value()[0] == 0.0  # shared() copied its value
    got = w.get_value()
    got[1] = 100.0
    assert w.get_value()[1] == 1.0  # get_value returns a copy
    new = np.array([5.0, 6.0, 7.0, 8.0])
    w.set_value(new)
    new[0] = -1.0
    assert w.get_value().tolist() == [5.0, 6.0, 7.0, 8.0]  # set_value copied too


def test_shared_dtypes_and_exact_set_value():
    assert symc.shared(np.zeros(2, np.float32)).dtype == "float32"
    assert symc.shared(3.0).dtype == "float64" and symc.shared(3.0).ndim == 0
    assert symc.shared([1, 2]).dtype == "int64"
    assert symc.shared(np.zeros(2), dtype="float32").dtype == "float32"
    i = symc.shared(np.zeros(2, np.int32), name="i")
    i.set_value([1, 2])
    i.set_value(np.array([3, 4], np.int16))
    assert i.get_value().dtype == np.int32 and i.get_value().tolist() == [3, 4]
    f = symc.shared(np.zeros(2, np.float32), name="f")
    f.set_value([0.1, 0.5])  # Python floats round to float32, as function inputs do
    assert f.get_value().dtype == np.float32


@pytest.mark.parametrize(("value", "dtype"), [
    (np.array([1.5, 2.0]), "float32"),  # a float64 array into float32
    ([1.5, 2.0], "int32"),  # fractions into ints
    (np.array([1, 2], np.int64), "int32"),  # int64 array into int32
    ([2**40, 1], "int32"),  # values that overflow
    (np.zeros((2, 2), np.float32), "float32"),  # wrong ndim
    (["a", "b"], "float32"),  # not numeric
])
def test_shared_set_value_refuses_lossy_values(value, dtype):
    s = symc.shared(np.zeros(2, dtype), name="lossy")
    with pytest.raises(TypeError) as info:
        s.set_value(value)
    assert "lossy" in str(info.value)
    assert s.get_value().tolist() == [0, 0]


def test_shared_value_change_is_seen_by_compiled_functions(mode):
    w = symc.shared(np.ones(2), name="w")
    x = symc.dvector("x")
    fn = symc.function([x], x * w, mode=mode)
    assert fn([2.0, 3.0]).tolist() == [2.0, 3.0]
    w.set_value(np.array([10.0, 100.0]))
    assert fn([2.0, 3.0]).tolist() == [20.0, 300.0]
    w.set_value(np.array([1.0, 2.0, 3.0]))  # a new length is fine: the type has no static shape
    assert fn([1.0, 1.0, 1.0]).tolist() == [1.0, 2.0, 3.0]


def test_shared_non_numeric_value_refused():
    with pytest.raises(TypeError):
        symc.shared(["a", "b"])
    with pytest.raises(TypeError):
        symc.shared(None)


# -- name and modes -------------------------------------------------------------------------------

def test_name_is_kept_and_used_in_messages(mode):
    x = symc.dvector("x")
    fn = symc.function([x], x + 1, name="step", mode=mode)
    assert fn.name == "step"
    with pytest.raises(TypeError, match="step"):
        fn()


@pytest.mark.parametrize(("mode_arg", "optimizer", "backend"), [
    ("FAST_RUN", "fast_run", "llvm"),
    ("FAST_COMPILE", "fast_compile", "numpy"),
    (symc.FAST_RUN, "fast_run", "llvm"),
    (symc.Mode(optimizer=None, backend="numpy"), None, "numpy"),
    (symc.Mode(optimizer="fast_compile", backend="llvm"), "fast_compile", "llvm"),
])
def test_mode_strings_and_objects(mode_arg, optimizer, backend):
    x, y = symc.dvector("x"), symc.dvector("y")
    fn = symc.function([x, y], [symc.exp(x) * y + 1, (x * y).sum()], mode=mode_arg)
    assert fn.mode == symc.Mode(optimizer, backend)
    xv, yv = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    got = fn(xv, yv)
    np.testing.assert_allclose(got[0], np.exp(xv) * yv + 1, rtol=4e-15)
    assert float(got[1]) == 3.0


def test_default_mode_comes_from_config():
    x = symc.dvector("x")
    with symc.config.change(optimizer="fast_compile", backend="numpy"):
        assert symc.function([x], x + 1).mode == symc.Mode("fast_compile", "numpy")
    assert symc.function([x], x + 1).mode == symc.Mode(symc.config.optimizer,
                                                      symc.config.backend)


def test_profile_flag_keeps_results(mode):
    x = symc.dvector("x")
    fn = symc.function([x], [(x * 2).sum(), x + 1], mode=mode, profile=True)
    got = fn(np.arange(3.0))
    assert float(got[0]) == 6.0 and got[1].tolist() == [1.0, 2.0, 3.0]
    assert fn.profile is not None


def test_function_does_not_change_the_users_graph(mode):
    x = symc.dvector("x")
    out = symc.log(1 + symc.exp(x)) * 1
    owner_before, inputs_before = out.owner, list(out.owner.inputs)
    symc.function([x], out, mode=mode)
    assert out.owner is owner_before and out.owner.inputs == inputs_before
