"""Adversarial tests of the whole-function program entry (symc/backends/llvm/emit_program.py).

Every test compares the native builtin ``f(...)`` with the Python entry ``f._entry(...)`` on
values, dtypes, shapes, flags and exceptions (type and message), on inputs chosen to hit the
edges of what the native code checks: 0-d arrays and NumPy scalars, zero-size dimensions,
negative and zero strides, runtime broadcasting, several dtypes, empty max/min, views of
inputs and of intermediates, failing allocations, unused and statically shaped inputs,
threads. It also checks that no returned array aliases an input or another output and that
no path leaks references.
"""

from __future__ import annotations

import gc
import sys
import threading
import tracemalloc
import weakref

import numpy as np
import pytest

import symc
import symc.runtime.dispatch as dispatch

from .program_paths import assert_fresh, assert_same, both_paths, is_native

FAST = symc.Mode("fast_run", "llvm")
#: A 1-d float64 array of 2**47 elements (1 PiB) that takes 8 bytes: stride 0.
HUGE = np.broadcast_to(np.zeros(1), (2**47,))


def check(f, *args, native=True, fresh=True):
    """Compare the paths on ``args``; return the Python entry's answer. ``native``: whether
    the function must run natively (None: either way)."""
    if native is not None:
        assert is_native(f) == native
    got, want = both_paths(f, *args)
    assert_same(got, want)
    if fresh and not isinstance(got, Exception):
        assert_fresh(got, args)
    return want


# --------------------------------------------------------------------------- 0-d and scalars


def test_zero_d_inputs_arrays_numpy_scalars_and_python_numbers():
    s, t = symc.scalar("s"), symc.scalar("t", "float32")
    v = symc.dvector("v")
    f = symc.function([s, v], [symc.exp(s) * v, s + 1], mode=FAST)
    g = symc.function([t], symc.tanh(t), mode=FAST)
    vec = np.linspace(-1, 1, 5)
    for first in (np.array(0.25), np.float64(0.25), 0.25, 1, np.array(2.0)[()],
                  np.array(0.25, dtype=np.float32), np.array([0.25]), "x", None):
        check(f, first, vec)
    for value in (np.array(0.5, dtype=np.float32), np.float32(0.5), 0.5, np.array(0.5),
                  np.array(3, dtype=np.int8), np.array(70000, dtype=np.int32)):
        check(g, value)
    # a 0-d output computed from a 0-d input is a new array, not the input
    out = f(np.array(0.25), vec)[1]
    assert out.shape == () and out.base is None


def test_zero_d_views_of_zero_d_and_dropped_axes():
    s = symc.scalar("s")
    col = symc.tensor("col", "float64", shape=(None, 1))
    row = symc.tensor("row", "float64", shape=(1, None))
    f = symc.function([s, col, row], [(col + row) * s.dimshuffle("x", "x"),
                                      col.dimshuffle(0) + row.dimshuffle(1).sum()], mode=FAST)
    c, r = np.arange(3.0).reshape(3, 1), np.arange(4.0).reshape(1, 4)
    check(f, np.array(2.0), c, r)
    check(f, np.array(2.0), c[::-1], r[:, ::-1])
    check(f, np.array(2.0), c[:0], r[:, :0])
    check(f, np.array(2.0), np.ones((3, 2)), r)  # a static length 1 that is not 1


# --------------------------------------------------------------------------- shapes, strides


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (1, 1), (1, 5), (5, 1), (4, 3)])
def test_zero_size_and_length_one_dims(shape, rng):
    x, y = symc.matrix("x"), symc.matrix("y")
    f = symc.function([x, y], [symc.exp(x) + y, (x * y).sum(axis=0), (x - y).sum(axis=1),
                               (x + y).sum()], mode=FAST)
    a = rng.standard_normal(shape)
    check(f, a, a)
    check(f, a, a[:1, :1] if a.size else a)  # runtime broadcasting of length-1 dims
    check(f, a[:1], a)
    check(f, a, rng.standard_normal((shape[0] + 2, shape[1])))  # not broadcastable


def test_negative_zero_and_odd_strides(rng):
    x, y = symc.matrix("x"), symc.matrix("y")
    f = symc.function([x, y], [x * y + 1, (x - y).max(axis=1), symc.exp(x).sum(axis=0)],
                      mode=FAST)
    a = rng.standard_normal((6, 8))
    cases = [
        (a[::-1, ::-1], a),
        (a[::-2, 1::3], a[:3, :3].T),
        (a.T, a.T.copy()),
        (np.asfortranarray(a), a),
        (np.broadcast_to(a[:1], (6, 8)), a),  # stride 0 along axis 0, read-only
        (np.broadcast_to(a[:, :1], (6, 8)), a[::-1]),
        (np.lib.stride_tricks.as_strided(a, (3, 3), (8, 8)), a[:3, :3]),  # overlapping rows
    ]
    for args in cases:
        check(f, *args)


def test_transposed_and_non_contiguous_views_of_intermediates(rng):
    x = symc.matrix("x")
    e = symc.exp(x)
    f = symc.function([x], [e * e.T + x, (e.T - 1).sum(axis=0)], mode=FAST)
    a = rng.standard_normal((5, 5))
    check(f, a)
    check(f, a[::-1, ::2][:3, :3])
    check(f, a.T)
    check(f, a[:, :3])  # e * e.T: (5, 3) against (3, 5), the Python entry's message


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "int64", "uint64",
                                   "float16", "float32", "float64"])
def test_dtypes(dtype, rng):
    x, y = symc.vector("x", dtype), symc.matrix("y", dtype)
    outs = [x + y, (y * x).sum(axis=1), y.max(axis=0), y.min(), x.shape[0]]
    if dtype != "bool":
        outs.append(symc.exp(x) if dtype.startswith("float") else x * 3 - y)
    f = symc.function([x, y], outs, mode=FAST)
    if dtype == "bool":
        a, b = rng.random(7) < 0.5, rng.random((3, 7)) < 0.5
    elif dtype.startswith("float"):
        a, b = (rng.standard_normal(7).astype(dtype), rng.standard_normal((3, 7)).astype(dtype))
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, 7, dtype=dtype, endpoint=True)
        b = rng.integers(info.min, info.max, (3, 7), dtype=dtype, endpoint=True)
    check(f, a, b)
    check(f, a[::-1], b[:, ::-1])
    check(f, a[:0], b[:, :0])  # the max over axis 0 is empty-safe, min() is not
    check(f, a.astype(">" + a.dtype.str[1:]) if a.dtype.itemsize > 1 else a, b)
    check(f, list(a), b.tolist())
    other = "float64" if dtype != "float64" else "float32"
    check(f, a.astype(other), b)  # converted or refused by the Python entry


def test_integer_power_status_falls_back_to_the_python_error():
    x, y = symc.ivector("x"), symc.ivector("y")
    f = symc.function([x, y], [x + y, x**y], mode=FAST)
    a = np.arange(1, 6, dtype=np.int32)
    check(f, a, a)
    err = check(f, a, -a)
    assert isinstance(err, ValueError)


# --------------------------------------------------------------------------- reductions


def test_reductions_over_several_axes_and_empty_max_min(rng):
    t = symc.tensor("t", "float64", shape=(None, None, None))
    f = symc.function([t], [t.sum(axis=(0, 2)), t.max(axis=(0, 2)), t.min(axis=(1, 2)),
                            t.sum(axis=(0, 1, 2)), (t * 2).max()], mode=FAST)
    a = rng.standard_normal((4, 3, 5))
    for arg in (a, a.transpose(2, 0, 1), a[::-1, :, ::-2], a[:, :1, :], a[:0], a[:, :0],
                a[:, :, :0], np.zeros((0, 0, 0))):
        check(f, arg)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_max_min_of_empty_axes(shape):
    x = symc.matrix("x")
    a = np.zeros(shape)
    for out in (x.max(axis=0), x.max(axis=1), x.min(axis=0), x.min(axis=1), x.max(),
                [x.sum(axis=1), x.max(axis=1)]):
        f = symc.function([x], out, mode=FAST)
        check(f, a)


def test_keepdims_reductions(rng):
    x = symc.matrix("x")
    a = rng.standard_normal((4, 6))
    # as an intermediate (a DimShuffle view of the reduction): native
    inner = symc.function([x], [(x - x.max(axis=1, keepdims=True)).sum(axis=0),
                                symc.exp(x - x.mean(axis=(0, 1), keepdims=True))], mode=FAST)
    for arg in (a, a.T, a[:, :0], a[:0]):
        check(inner, arg)
    # as an output: a view of the reduction's own fresh result, returned as is on both paths
    # (never of an input, never shared between outputs)
    outer = symc.function([x], [x.sum(axis=1, keepdims=True), x.max(axis=0, keepdims=True)],
                          mode=FAST)
    check(outer, a, native=True)


# --------------------------------------------------------------------------- aliasing


def test_the_same_array_as_two_inputs(rng):
    x, y = symc.matrix("x"), symc.matrix("y")
    f = symc.function([x, y], [x * y, x - y.T, (x + y).sum(axis=0)], mode=FAST)
    a = rng.standard_normal((4, 4))
    check(f, a, a)
    check(f, a, a.T)
    check(f, a[::-1], a)


def test_an_output_feeding_other_nodes_and_views(rng):
    x = symc.matrix("x")
    e = symc.exp(x)
    f = symc.function([x], [e, e.sum(axis=0), e.T * 2, e + e.T, x.shape[0]], mode=FAST)
    a = rng.standard_normal((3, 3))
    got = check(f, a)
    native = f(a)
    np.testing.assert_allclose(native[0], np.exp(a), rtol=1e-15)
    # the first output is the one the others were computed from: changing it afterwards
    # must not change them (they are separate arrays)
    before = [o.copy() for o in native[1:]]
    native[0][...] = 0
    for o, b in zip(native[1:], before, strict=True):
        np.testing.assert_array_equal(o, b)
    assert len(got) == 5


def test_outputs_computed_from_views_of_inputs(rng):
    x, b = symc.matrix("x"), symc.dvector("b")
    f = symc.function([x, b], [x.T + 1, symc.tanh(x + b), (x.T * b.dimshuffle(0, "x")).sum()],
                      mode=FAST)
    a, v = rng.standard_normal((4, 3)), rng.standard_normal(3)
    check(f, a, v)
    out = f(a, v)
    out[0][...] = 7  # writing to an output must not write to the input
    assert not np.any(a == 7)


def test_outputs_are_fresh_on_every_call(rng):
    x = symc.dvector("x")
    f = symc.function([x], [x * 2, x.sum()], mode=FAST)
    a = rng.standard_normal(5)
    first, second = f(a), f(a)
    for p, q in zip(first, second, strict=True):
        assert p is not q and not np.shares_memory(p, q)


def test_a_several_output_kernel_whose_outputs_are_returned_and_reduced(rng):
    x = symc.dvector("x")
    e = symc.exp(x)
    f = symc.function([x], [e + 1, e * 2, (e * 3).sum()], mode=FAST)
    g = symc.function([x], [(e * 3).sum(), e * 2, e + 1], mode=FAST)  # the other order
    for fn in (f, g):
        assert any(len(node.outputs) > 1 for node in fn.program.order)  # one fused kernel
    a = rng.standard_normal(9)
    for arg in (a, a[::-2], a[:0], a[:1]):
        check(f, arg)
        check(g, arg)


def test_lengths_as_intermediates_and_outputs(rng):
    x = symc.matrix("x")
    f = symc.function([x], [x - x.sum(axis=0) / x.shape[0], x.shape[1] + x.sum(axis=1),
                            x.shape[0]], mode=FAST)
    a = rng.standard_normal((4, 3))
    for arg in (a, a.T, a[:0], a[:, :0], a[:1]):
        check(f, arg)


@pytest.mark.parametrize("optimized_away", ["identity", "repeated", "input_times_one"])
def test_outputs_the_optimizer_may_turn_into_inputs_or_repeats(optimized_away, rng):
    """Whatever the rewrites make of these, no output may alias an input or another output."""
    x = symc.dvector("x")
    outs = {"identity": [x + 0, symc.exp(x)],
            "repeated": [symc.exp(x), symc.exp(x) * 1],
            "input_times_one": [x * 1, x.sum()]}[optimized_away]
    f = symc.function([x], outs, mode=FAST)
    check(f, rng.standard_normal(5), native=None)


def test_graphs_differing_only_in_wiring_do_not_share_an_entry(rng):
    """Same ops, types and node count; other wiring, axes or output order (the signature
    must tell them apart, or one would run the other's program)."""
    x, y = symc.matrix("x"), symc.matrix("y")
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    variants = [
        ([x, y], [x + y.T], lambda p, q: [p + q.T]),
        ([x, y], [x.T + y], lambda p, q: [p.T + q]),
        ([y, x], [x.T + y], lambda p, q: [q.T + p]),
        ([x, y], [x / x.shape[0] + y], lambda p, q: [p / 3 + q]),
        ([x, y], [x / x.shape[1] - y], lambda p, q: [p / 3 - q]),
        ([x, y], [x * y, x - y], lambda p, q: [p * q, p - q]),
        ([x, y], [x - y, x * y], lambda p, q: [p - q, p * q]),
        ([x, y], [x.sum(axis=0) + y.sum(axis=1)], lambda p, q: [p.sum(0) + q.sum(1)]),
        ([x, y], [x.sum(axis=1) + y.sum(axis=0)], lambda p, q: [p.sum(1) + q.sum(0)]),
    ]
    for inputs, outs, want in variants:
        f = symc.function(inputs, outs, mode=FAST)
        assert is_native(f)
        got = f(a, b)
        for g, w in zip(got, want(a, b), strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-15)
        check(f, a, b)
    # a length read from one input or the other (same types, other shapes at run time)
    p, q = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    for source, n in ((x, 3), (y, 2)):
        f = symc.function([x, y], [x * source.shape[0] + y.sum(axis=0)], mode=FAST)
        assert is_native(f)
        np.testing.assert_allclose(f(p, q)[0], p * n + q.sum(axis=0), rtol=1e-15)


# --------------------------------------------------------------------------- failing allocations


def test_huge_outputs_fail_like_the_python_entry():
    x, y = symc.dvector("x"), symc.dvector("y")
    f = symc.function([x], symc.exp(x), mode=FAST)
    err = check(f, HUGE)
    assert isinstance(err, Exception)
    # the first output is made, the second cannot be: everything made is freed
    g = symc.function([x, y], [symc.exp(x), symc.exp(y) + 1], mode=FAST)
    a = np.ones(3)
    refs = sys.getrefcount(a), sys.getrefcount(HUGE)
    for _ in range(5):
        check(g, a, HUGE)
    gc.collect()
    assert (sys.getrefcount(a), sys.getrefcount(HUGE)) == refs


def test_a_failed_allocation_raises_memory_error():
    x = symc.dvector("x")
    f = symc.function([x], symc.exp(x), mode=FAST)
    native, python = both_paths(f, HUGE)
    assert_same(native, python)
    assert isinstance(python, MemoryError)


def test_failed_allocations_keep_no_memory(rng):
    """The first output is made (400 kB), the second is too big for NumPy: all is freed.
    (An overflowing size, not a failing malloc: NumPy leaves a failed malloc's size in
    tracemalloc's books.)"""
    x, c, r = symc.dvector("x"), symc.matrix("c"), symc.matrix("r")
    g = symc.function([x, c, r], [symc.exp(x), c + r], mode=FAST)
    a = rng.standard_normal(50_000)
    col = np.broadcast_to(np.ones((1, 1)), (2**40, 1))
    args = (a, col, col.T)
    err = check(g, *args)
    assert isinstance(err, ValueError)
    for _ in range(3):
        both_paths(g, *args)
    gc.collect()
    refs = [sys.getrefcount(v) for v in args]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(40):
            both_paths(g, *args)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 100_000, f"{grown} bytes kept by 40 failing calls"
    assert [sys.getrefcount(v) for v in args] == refs


def test_broadcast_to_a_shape_too_big_to_allocate():
    z, x, y = symc.dvector("z"), symc.matrix("x"), symc.matrix("y")
    f = symc.function([z, x, y], [z * 2, x + y, (x * y).sum(axis=0)], mode=FAST)
    small = np.arange(3.0)
    for n in (2**24, 2**40):  # 2 PiB to allocate (malloc fails); a size that overflows
        col = np.broadcast_to(np.ones((1, 1)), (n, 1))
        err = check(f, small, col, col.T)  # the first output is made, the second cannot be
        assert isinstance(err, (MemoryError, ValueError, RuntimeError))


def test_huge_view_of_an_intermediate_fails_cleanly():
    x = symc.dvector("x")
    e = symc.exp(x)
    f = symc.function([x], (e.dimshuffle(0, "x") + e.dimshuffle("x", 0)).sum(), mode=FAST)
    check(f, np.ones(4))
    check(f, HUGE)  # exp of 1 PiB: no memory


# --------------------------------------------------------------------------- inputs


def test_unused_inputs_are_still_checked():
    x, u = symc.dvector("x"), symc.matrix("u", "int32")
    f = symc.function([x, u], x + 1, mode=FAST, on_unused_input="ignore")
    a = np.arange(3.0)
    for unused in (np.zeros((2, 2), np.int32), np.zeros((0, 0), np.int32), [[1]], None,
                   np.zeros(3, np.int32), np.zeros((2, 2)), np.zeros((2, 2), np.int8)):
        check(f, a, unused)
    check(f, a)  # too few arguments
    check(f)  # none at all
    check(f, a, np.zeros((1, 1), np.int32), a)  # too many


def test_inputs_with_static_shapes(rng):
    x = symc.tensor("x", "float64", shape=(3, None))
    b = symc.tensor("b", "float64", shape=(1, None))
    z = symc.tensor("z", "float64", shape=(0,))
    f = symc.function([x, b, z], [x * b + 1, x.sum(axis=1), z + 1, x.shape[1]], mode=FAST)
    a, r, e = rng.standard_normal((3, 4)), rng.standard_normal((1, 4)), np.zeros(0)
    check(f, a, r, e)
    check(f, a[:, ::-1], r, e)
    check(f, a[:2], r, e)  # a static length that is wrong
    check(f, a, np.ones((2, 4)), e)
    check(f, a, r, np.zeros(1))
    check(f, a, r[:, :2], e)  # broadcasting fails in the kernel


def test_input_subclasses_and_odd_arrays(rng):
    x = symc.dvector("x")
    f = symc.function([x], [symc.exp(x), x.sum()], mode=FAST)
    a = rng.standard_normal(6)
    unaligned = np.frombuffer(b"\0" + a.tobytes(), dtype=np.float64, offset=1, count=6)
    structured = np.zeros(6, dtype=[("f", "f8")])
    for arg in (np.ma.masked_array(a), a.view(np.recarray), unaligned, structured,
                a.view("i8"), a.astype(np.complex128), a.astype(np.longdouble),
                a.astype(np.float16), np.zeros(6, dtype="V8"), a.astype(object),
                a.astype("m8[s]"), np.array(a, ndmin=2)):
        check(f, arg, fresh=False)


def test_unaligned_and_byte_swapped_inputs_of_views(rng):
    x = symc.matrix("x")
    f = symc.function([x], [x.T * 2 + x, x.shape[0] + x.T.sum(axis=0)], mode=FAST)
    a = rng.standard_normal((4, 4))
    raw = np.frombuffer(b"\0" + a.tobytes(), dtype=np.uint8, offset=1, count=a.nbytes)
    unaligned = raw.view(np.float64).reshape(4, 4)
    assert not unaligned.flags.aligned
    for arg in (unaligned, unaligned.T, a.astype(">f8"), a.astype(">f8").T):
        check(f, arg)


def test_trust_input_functions(rng):
    x, y = symc.dvector("x"), symc.dvector("y")
    f = symc.function([x, y], [x * y, (x - y).sum()], mode=FAST, trust_input=True)
    a = rng.standard_normal(5)
    check(f, a, a[::-1])
    check(f, a, a[:3])
    check(f, a.astype(np.float32), a)  # not checked by the Python entry: computed anyway


def test_keyword_arguments_raise_type_error_on_both_paths():
    x = symc.dvector("x")
    f = symc.function([x], x + 1, mode=FAST)
    with pytest.raises(TypeError):
        f(x=np.ones(2))
    with pytest.raises(TypeError):
        f._entry(x=np.ones(2))


def test_keyword_argument_message_matches_the_python_entry():
    x = symc.dvector("x")
    f = symc.function([x], x + 1, mode=FAST, name="kw")
    assert is_native(f)
    messages = []
    for call in (f, f._entry):
        with pytest.raises(TypeError) as info:
            call(np.ones(2), y=1)
        messages.append(str(info.value))
    # the documented form (NativeProgram.bind), or the Python entry's own message
    assert messages[0] in ("kw() takes no keyword arguments", messages[1])


# --------------------------------------------------------------------------- runtime requests


def test_a_failing_runtime_prepare_raises_like_the_python_entry(monkeypatch):
    x = symc.dvector("x")
    f = symc.function([x], symc.exp(x) + 1, mode=FAST)
    assert is_native(f)
    asked = []

    def failing_prepare(*args, **kwargs):
        asked.append(1)
        raise RuntimeError("no pool today")

    monkeypatch.setattr(dispatch, "prepare", failing_prepare)
    a = np.linspace(0, 1, 400_000)
    with symc.config.change(num_threads=37):  # a thread count never measured: big loops ask
        native, python = both_paths(f, a)
    if not asked:
        pytest.skip("no kernel asked the runtime to prepare")
    assert isinstance(python, RuntimeError)
    assert_same(native, python)


def test_loops_split_on_the_pool_agree(rng):
    x, y = symc.matrix("x"), symc.dvector("y")
    e = symc.exp(x)
    f = symc.function([x, y], [e * e.T + y, (e.T - y).sum(axis=0), e.sum(), (x * y).max()],
                      mode=FAST)
    a, b = rng.standard_normal((37, 37)), rng.standard_normal(37)
    with symc.config.change(num_threads=2), dispatch.forced_split():
        for args in ((a, b), (a.T, b[::-1]), (a[:1, :1], b[:1]), (a[:0, :0], b[:0])):
            check(f, *args)


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_no_reference_leaks_on_views_fallbacks_and_failures(dtype, rng):
    x, y = symc.matrix("x", dtype), symc.vector("y", dtype)
    e = symc.exp(x)
    f = symc.function([x, y], [e * e.T + y, (e.T - y).max(axis=0), x.shape[1]], mode=FAST)
    assert is_native(f)
    a, b = rng.standard_normal((5, 5)).astype(dtype), rng.standard_normal(5).astype(dtype)
    cases = [(a, b), (a, b[:3]), (a[:, :2], b), (a[:0, :0], b[:0]), (a, list(b)),
             (a.astype(np.float16), b), (a, HUGE), (a.T, b[::-1]), (a, np.float64(1.0))]
    for args in cases:
        for _ in range(3):
            both_paths(f, *args)
        gc.collect()
        watched = (*args, a.dtype, f._entry, f._call, f._call.__self__)
        refs = [sys.getrefcount(v) for v in watched]
        for _ in range(50):
            both_paths(f, *args)
        gc.collect()
        assert [sys.getrefcount(v) for v in watched] == refs


def test_a_function_with_a_program_entry_can_be_collected():
    x = symc.dvector("x")
    f = symc.function([x], symc.exp(x) + 1, mode=FAST)
    assert is_native(f)
    f(np.ones(3))
    f([1.0, 2.0])  # a fallback through the Python entry
    np.testing.assert_array_equal(symc.function([x], x * 2, mode=FAST)(np.ones(2)), 2.0)
    function, entry = weakref.ref(f), weakref.ref(f._entry)
    del f
    gc.collect()
    assert function() is None and entry() is None


# --------------------------------------------------------------------------- threads


def test_threads_mixing_native_calls_fallbacks_and_errors(rng):
    x, y = symc.matrix("x"), symc.dvector("y")
    e = symc.exp(x)
    f = symc.function([x, y], [e * e.T + y, (e.T - y).sum(axis=0)], mode=FAST)
    assert is_native(f)
    cases = [(rng.standard_normal((n, n)), rng.standard_normal(n)) for n in (3, 40, 150)]
    cases += [(cases[1][0].T, cases[1][1][::-1]), (cases[0][0].tolist(), cases[0][1]),
              (cases[2][0], cases[2][1][:4])]
    want = [f._entry(*c) if k < 5 else None for k, c in enumerate(cases)]
    errors = []

    def work(seed):
        order = np.random.default_rng(seed).permutation(len(cases))
        try:
            for _ in range(15):
                for k in order:
                    if want[k] is None:
                        with pytest.raises(ValueError):
                            f(*cases[k])
                        continue
                    got = f(*cases[k])
                    for g, w in zip(got, want[k], strict=True):
                        np.testing.assert_array_equal(g, w)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
