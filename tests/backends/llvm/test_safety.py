"""Out-of-bounds safety and the call path of LLVM kernels: shapes and strides are checked
before any kernel runs, any input (even a wrong one under ``trust_input=True``) either works or
raises, results never alias inputs, and the GIL is released while a long kernel runs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import symc
from symc.ops.elemwise import Elemwise
from symc.ops.reduce import Reduce

LLVM = symc.Mode(None, "llvm")


def _thunk(fn, op_type=Elemwise):
    """The LLVM thunk of the first ``op_type`` node of a compiled function."""
    (node,) = [n for n in fn.program.order if isinstance(n.op, op_type)]
    assert fn.program.tags[node] == "L"
    return fn.program.fn.__globals__[f"t{fn.program.order.index(node)}"]


def test_mismatched_shapes_raise_value_error_naming_op_shapes_and_line():
    x, y = symc.vector("x"), symc.vector("y")
    f = symc.function([x, y], x + y, mode=LLVM)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    assert "(3,)" in message and "(4,)" in message and "add" in message
    assert "test_safety.py" in message  # the user's line that built the node


def test_entry_point_rejects_mismatched_shapes_on_its_own():
    """Even past the Python checks, the compiled entry refuses shapes that do not broadcast."""
    x, y = symc.matrix("x"), symc.matrix("y")
    f = symc.function([x, y], x * y, mode=LLVM)
    call = _thunk(f).__globals__["_call"]
    out = np.empty((3, 4))
    assert call(np.ones((3, 4)), np.ones((2, 4)), out) == 2
    assert call(np.ones((3, 4)), np.ones((3, 4)), np.empty((3, 5))) == 2
    assert call(np.ones((3, 4)), np.ones((1, 4)), out) == 0


def test_entry_point_refuses_anything_but_matching_ndarrays():
    """Wrong types, counts, dtypes, ranks, read-only or non-contiguous outputs: status 1."""
    x = symc.vector("x")
    f = symc.function([x], x * 2, mode=LLVM)
    call = _thunk(f).__globals__["_call"]
    good, out = np.ones(5), np.empty(5)
    assert call(good, out) == 0
    readonly = np.empty(5)
    readonly.flags.writeable = False
    for args in [(good,), (good, out, out), (None, out), (3.0, out), ([1.0] * 5, out),
                 (good.astype(np.float32), out), (np.ones((5, 1)), out), (good, readonly),
                 (good, np.empty(10)[::2]), (good.astype(">f8"), out), ("text", out)]:
        assert call(*args) == 1, args


def test_trust_input_never_crashes():
    """Skipped checks do not let a kernel read past an array: it converts or raises."""
    x = symc.vector("x")
    f = symc.function([x], symc.exp(x) + 1, mode=LLVM, trust_input=True)
    expected = np.exp(np.arange(4.0)) + 1
    for value in [np.arange(4.0), np.arange(4, dtype=np.float32), list(range(4)),
                  np.arange(4.0).astype(">f8"), np.arange(8.0)[::2] * 0 + np.arange(4.0)]:
        np.testing.assert_allclose(f(value), expected)
    for value in [np.arange(4.0).reshape(2, 2), "abc", np.arange(4, dtype=np.complex128)]:
        with pytest.raises((TypeError, ValueError)):
            f(value)


def test_unaligned_subclass_and_broadcast_views():
    x, y = symc.matrix("x"), symc.matrix("y")
    f = symc.function([x, y], x - y, mode=LLVM)
    raw = np.zeros(8 * 12 + 1, dtype=np.uint8)[1:].view(np.float64).reshape(3, 4)  # unaligned
    raw[...] = np.arange(12.0).reshape(3, 4)
    assert not raw.flags.aligned

    class Sub(np.ndarray):
        pass

    sub = np.ones((3, 4)).view(Sub)
    stretched = np.broadcast_to(np.arange(4.0), (3, 4))  # stride 0 along a length-3 axis
    np.testing.assert_array_equal(f(raw, sub), np.arange(12.0).reshape(3, 4) - 1)
    np.testing.assert_array_equal(f(stretched, stretched[::-1]), np.zeros((3, 4)))
    np.testing.assert_array_equal(f(stretched.T.T, np.ones((1, 4))), stretched - 1)


def test_zero_size_negative_strides_and_broadcast_dims():
    x, y = symc.matrix("x"), symc.vector("y")
    f = symc.function([x, y], [x * y, (x * y).sum(axis=0)], mode=LLVM)
    g = symc.function([x, y], (x + y).max(axis=1), mode=LLVM)
    xd, yd = np.arange(20.0).reshape(4, 5), np.arange(5.0)
    for a, b in [(xd, yd), (xd[::-1, ::-1], yd[::-1]), (xd[:, :1], yd), (xd[::2], yd[:1]),
                 (xd[:0], yd), (xd[:, :0], yd[:0])]:
        got = f(a, b)
        np.testing.assert_array_equal(got[0], a * b)
        np.testing.assert_array_equal(got[1], (a * b).sum(axis=0))
        if (a + b).shape[1]:
            np.testing.assert_array_equal(g(a, b), (a + b).max(axis=1))
        else:
            with pytest.raises(ValueError, match="zero-size"):
                g(a, b)


def test_results_are_fresh_arrays():
    """Outputs never alias an input and are not overwritten by the next call."""
    x = symc.vector("x")
    f = symc.function([x], [x * 1, x + 0], mode=LLVM)
    a = np.arange(3.0)
    first = f(a)
    second = f(a + 10)
    assert not np.shares_memory(first[0], a) and not np.shares_memory(first[0], first[1])
    np.testing.assert_array_equal(first[0], a)
    np.testing.assert_array_equal(second[1], a + 10)


def test_gil_is_released_while_a_long_kernel_runs():
    """Another Python thread keeps running during a long kernel."""
    x = symc.vector("x")
    with symc.config.change(simd_math=False):  # libm: slow enough to take a while
        f = symc.function([x], symc.sin(symc.exp(symc.cos(x))), mode="FAST_RUN")
    data = np.linspace(0, 1, 4_000_000)
    # One thread: the kernel must not hold both cores, so only the GIL is under test.
    with symc.config.change(num_threads=1):
        start = time.perf_counter()
        f(data)
        alone = time.perf_counter() - start
        done, stamps = threading.Event(), []
        worker = threading.Thread(target=lambda: (f(data), done.set()))
        worker.start()
        while not done.is_set():
            stamps.append(time.perf_counter())
        worker.join()
    gaps = np.diff(stamps) if len(stamps) > 1 else np.array([alone])
    assert gaps.max() < 0.5 * alone, (gaps.max(), alone)


def test_reduction_kernel_checks_its_output():
    """A reduction's entry refuses an output of the wrong shape instead of writing past it."""
    x = symc.matrix("x")
    f = symc.function([x], Reduce("add", (0,), "float64")(x), mode=LLVM)
    call = _thunk(f, Reduce).__globals__["_call"]
    assert call(np.ones((3, 4)), np.empty(4)) == 0
    assert call(np.ones((3, 4)), np.empty(3)) == 2
    assert call(np.ones((3, 4)), np.empty((4, 1))) == 1
