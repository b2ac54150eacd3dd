"""The whole-function program entry (symc/backends/llvm/emit_program.py).

A function whose nodes are all LLVM kernels or ``Shape_i`` runs as one compiled builtin;
anything it does not expect goes, untouched, to the Python entry. These tests check that the
two paths agree on values, dtypes, errors and messages, and that the native one leaks no
references or memory, whichever way it ends.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
import tracemalloc

import numpy as np
import pytest

import symc

from .program_paths import assert_same, both_paths, is_native

FAST_RUN_LLVM = symc.Mode("fast_run", "llvm")


def pi(mode=FAST_RUN_LLVM, **kwargs):
    x, y = symc.vector("x"), symc.vector("y")
    return symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0], mode=mode,
                         **kwargs)


def test_pi_runs_natively_and_equals_numpy(mode, rng):
    f = pi(mode)
    assert is_native(f) == (mode.backend == "llvm" and mode.optimizer == "fast_run")
    for n in [0, 1, 7, 1000, 30_000]:
        x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
        with np.errstate(all="ignore"):
            want = 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]
        with np.errstate(all="ignore"):  # n=0: 0/0 as in NumPy
            got = f(x, y)
        assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.float64
        np.testing.assert_array_equal(got, want)


def test_elementwise_chain_with_several_outputs_returns_a_list(mode, rng):
    x, y = symc.matrix("x"), symc.matrix("y")
    f = symc.function([x, y], [symc.exp(x) * y + 1, (x - y).max(axis=0), x.shape[1]],
                      mode=mode)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    got = f(a, b)
    assert isinstance(got, list) and len(got) == 3
    np.testing.assert_allclose(got[0], np.exp(a) * b + 1, rtol=1e-14)
    np.testing.assert_array_equal(got[1], (a - b).max(axis=0))
    assert got[2].dtype == np.int64 and got[2].shape == () and got[2] == 3
    one = symc.function([x], [x + 1], mode=mode)(a)
    assert isinstance(one, list) and len(one) == 1
    np.testing.assert_array_equal(one[0], a + 1)


@pytest.mark.parametrize("case", [
    "list", "float32", "int", "scalar_to_vector", "mismatch", "subclass", "unaligned",
    "strided", "negative_strides", "readonly", "empty", "count", "none",
])
def test_fallbacks_agree_with_the_python_entry(case, rng):
    f = pi()
    assert is_native(f)
    a, b = rng.uniform(-1, 1, 64), rng.uniform(-1, 1, 64)
    unaligned = np.frombuffer(b"\0" + a.tobytes(), dtype=np.float64, offset=1, count=64)
    readonly = a.copy()
    readonly.flags.writeable = False
    args = {
        "list": (list(a), list(b)),
        "float32": (a.astype(np.float32), b),
        "int": (np.arange(64), b),
        "scalar_to_vector": (1.0, b),
        "mismatch": (a, b[:5]),
        "subclass": (a.view(np.recarray), b),
        "unaligned": (unaligned, b),
        "strided": (np.repeat(a, 2)[::2], b),
        "negative_strides": (a[::-1], b[::-1]),
        "readonly": (readonly, b),
        "empty": (a[:0], b[:0]),
        "count": (a,),
        "none": (None, b),
    }[case]
    with np.errstate(all="ignore"):
        native, python = both_paths(f, *args)
    assert_same(native, python)


def test_failures_in_a_later_node_raise_the_python_message(rng):
    x, y, z = symc.vector("x"), symc.vector("y"), symc.vector("z")
    f = symc.function([x, y, z], [symc.exp(x) + y, (x * z).max()], mode=FAST_RUN_LLVM)
    assert is_native(f)
    a = rng.standard_normal(6)
    native, python = both_paths(f, a, a, a[:4])
    assert isinstance(python, ValueError)
    assert_same(native, python)
    native, python = both_paths(symc.function([x], x.max(), mode=FAST_RUN_LLVM), a[:0])
    assert isinstance(python, ValueError) and "zero-size" in str(python)
    assert_same(native, python)


def _softmax(x):
    e = symc.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _np_softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", ["softmax", "bias", "center", "transpose", "drop", "scalar"])
def test_views_run_natively_and_equal_numpy(name, mode, rng):
    """DimShuffle nodes become views made by the program entry (based on the
    source), so these graphs run natively on LLVM (fast_run) and equal NumPy everywhere."""
    x, b = symc.matrix("x"), symc.vector("b")
    col = symc.tensor("col", "float64", shape=(None, 1))
    s = symc.scalar("s")
    a, v = rng.standard_normal((5, 3)), rng.standard_normal(3)
    c, k = rng.standard_normal((5, 1)), np.float64(1.5)
    inputs, out, args, want = {
        "softmax": ([x], _softmax(x), (a,), _np_softmax(a)),
        "bias": ([x, b], symc.tanh(x + b), (a, v), np.tanh(a + v)),
        "center": ([x], x - x.mean(axis=0), (a,), a - a.mean(axis=0)),
        "transpose": ([x], x.T * 2 + 1, (a,), a.T * 2 + 1),
        "drop": ([col], col.dimshuffle(0) * 3, (c,), c[:, 0] * 3),
        "scalar": ([x, s], x * s.dimshuffle("x", "x") + s, (a, k), a * k + k),
    }[name]
    f = symc.function(inputs, out, mode=mode)
    if mode.backend == "llvm" and mode.optimizer == "fast_run":
        assert is_native(f)
    got = f(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    for bad in ([(a[:, :2], v)] if name == "bias" else []):  # shapes that do not broadcast
        native, python = both_paths(f, *bad)
        assert isinstance(python, ValueError)
        assert_same(native, python)


def test_views_of_inputs_are_never_returned(rng):
    """A function returning a view goes the Python way, which copies it (no aliasing)."""
    x = symc.matrix("x")
    f = symc.function([x], [x.T, x.sum(axis=1, keepdims=True)], mode=FAST_RUN_LLVM)
    a = rng.standard_normal((4, 3))
    t, s = f(a)
    np.testing.assert_array_equal(t, a.T)
    np.testing.assert_allclose(s, a.sum(axis=1, keepdims=True), rtol=1e-14)
    assert not np.shares_memory(t, a)


def test_static_lengths_are_checked():
    x = symc.tensor("x", "float64", shape=(3,))
    f = symc.function([x], x * 2, mode=FAST_RUN_LLVM)
    np.testing.assert_array_equal(f(np.arange(3.0)), np.arange(3.0) * 2)
    native, python = both_paths(f, np.arange(4.0))
    assert isinstance(python, Exception)
    assert_same(native, python)


def test_no_references_or_memory_leak_on_any_path(rng):
    x, y, z = symc.vector("x"), symc.vector("y"), symc.vector("z")
    m = symc.matrix("m")
    # intermediates (the sum, the length), outputs, and a node that can fail after another
    f = symc.function([x, y, z], [symc.exp(x) + y, (x * z).sum() / x.shape[0]],
                      mode=FAST_RUN_LLVM)
    # views (of an input and of an intermediate), which hold their source and its dtype
    g = symc.function([m, y], [symc.tanh(m + y), _softmax(m)], mode=FAST_RUN_LLVM)
    # a gradient: SumToShape passes its input on when the shapes agree, else falls back
    h = symc.function([x, y], symc.grad((symc.tanh(x * y) ** 2).sum(), [x, y]),
                      mode=FAST_RUN_LLVM)
    d = symc.function([m, y], symc.tanh(symc.dot(m, y)), mode=FAST_RUN_LLVM)  # NumPy's dot
    assert is_native(f) and len(f.program.order) == 4 and is_native(g) and is_native(h)
    assert is_native(d)
    assert any(str(n.op) == "SumToShape" for n in h.program.order)
    a, b = rng.standard_normal(2000), rng.standard_normal(2000)
    mat = rng.standard_normal((50, 40))
    cases = [(f, (a, b, b)), (f, (a, b, b[:10])), (f, (list(a[:5]), b[:5], b[:5])),
             (g, (mat, b[:40])), (g, (mat, b[:7])), (h, (a, b)), (h, (a, b[:1])),
             (d, (mat, b[:40])), (d, (mat, b[:7]))]
    for fn, args in cases:
        _run(fn, args, 20)  # warm: caches, the runtime's first measurements
        gc.collect()  # an error's traceback holds the arguments until the collector runs
        counts = [sys.getrefcount(v) for v in [*args, mat.dtype]]
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            _run(fn, args, 300)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert [sys.getrefcount(v) for v in [*args, mat.dtype]] == counts
        # one leaked 0-d intermediate per call would be ~100 bytes a call
        assert grown < 30_000, f"{grown} bytes kept by 300 calls"


def _run(fn, args, times: int) -> None:
    for _ in range(times):
        try:
            fn(*args)
        except ValueError:
            pass


def test_threads_calling_one_function_at_once(rng):
    f = pi()
    data = [(rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)) for n in (10, 5000, 200_000)]
    want = [4 * (x**2 + y**2 <= 1).sum() / len(x) for x, y in data]
    errors = []

    def work():
        try:
            for _ in range(50):
                for (x, y), w in zip(data, want, strict=True):
                    assert f(x, y) == w
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_profiled_functions_do_not_use_it():
    f = pi(profile=True)
    assert not is_native(f) and f.program.native is None
    assert f(np.zeros(4), np.zeros(4)) == 4.0


def test_shared_variables_and_updates_do_not_use_it():
    x = symc.vector("x")
    s = symc.shared(np.zeros(3), name="s")
    f = symc.function([x], x + s, updates={s: s + x}, mode=FAST_RUN_LLVM)
    assert not is_native(f)
    np.testing.assert_array_equal(f(np.ones(3)), np.ones(3))
    np.testing.assert_array_equal(f(np.ones(3)), 2 * np.ones(3))


def test_a_second_compile_and_a_fresh_process_get_it(tmp_path):
    assert is_native(pi()) and is_native(pi())  # the second one from the signature record
    script = textwrap.dedent("""
        import numpy as np, symc
        x, y = symc.vector("x"), symc.vector("y")
        f = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
        assert type(f._call).__name__ == "builtin_function_or_method", f._call
        big = np.linspace(-1, 1, 3_000_000)  # large: the first call prepares the pool
        for _ in range(3):
            assert f(big, big) == 4 * (2 * big**2 <= 1).sum() / big.size
        print("ok")
    """)
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(tmp_path)}
    for _ in range(2):  # compiled, then from the disk cache
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=env, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_same_nodes_with_other_inputs_get_their_own_entry():
    """The program entry checks every input, used or not: graphs whose nodes are the same but
    whose inputs differ (an unused one, another static shape) must not share a module."""
    a, b, c = symc.dvector("a"), symc.dvector("b"), symc.dvector("c")
    fixed = symc.tensor("a", "float64", shape=(2,))
    two = symc.function([a, b], a + b, mode=FAST_RUN_LLVM)
    three = symc.function([a, b, c], a + b, mode=FAST_RUN_LLVM, on_unused_input="ignore")
    static = symc.function([fixed, b], fixed + b, mode=FAST_RUN_LLVM)
    o = np.ones(2)
    np.testing.assert_array_equal(two(o, o), 2 * o)
    np.testing.assert_array_equal(three(o, o, o), 2 * o)
    np.testing.assert_array_equal(static(o, o), 2 * o)
    with pytest.raises(TypeError, match="takes 2 input"):
        two(o, o, o)
    with pytest.raises(TypeError, match="takes 3 input"):
        three(o, o)
    with pytest.raises(TypeError):
        static(np.ones(3), np.ones(3))
    np.testing.assert_array_equal(two(np.ones(3), np.ones(3)), 2 * np.ones(3))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dot_runs_natively_through_numpy(dtype, rng):
    """Dot calls NumPy's own dot (BLAS) from the entry; a 0-d result or mixed dtypes go the
    Python way, and mismatched shapes give the Python entry's error."""
    m, n, v = (symc.tensor(k, dtype, ndim=d) for k, d in (("m", 2), ("n", 2), ("v", 1)))
    f = symc.function([m, n, v], [symc.tanh(symc.dot(m, n)), symc.dot(m, v) + 1,
                                  symc.dot(v, n)], mode=FAST_RUN_LLVM)
    assert is_native(f)
    a, b = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal((4, 2)).astype(dtype)
    c = rng.standard_normal(4).astype(dtype)
    got = f(a, b, c)
    for out, want in zip(got, [np.tanh(a @ b), a @ c + 1, c @ b], strict=True):
        assert out.dtype == want.dtype
        np.testing.assert_allclose(out, want, rtol=1e-5 if dtype == "float32" else 1e-13)
    native, python = both_paths(f, a, b[:3], c)
    assert isinstance(python, ValueError)
    assert_same(native, python)
    inner = symc.function([v], symc.dot(v, v), mode=FAST_RUN_LLVM)
    assert not is_native(inner) and inner(c) == pytest.approx(c @ c, rel=1e-5)


def test_shared_variables_and_updates_run_the_native_program(rng):
    """With shared variables the Function's general path runs the native program (outputs
    and new values as a list); an error leaves the shared values untouched."""
    x = symc.dmatrix("x")
    w = symc.shared(rng.standard_normal((3, 2)), name="w")
    start = w.get_value().copy()
    cost = (symc.dot(x, w) ** 2).sum()
    f = symc.function([x], cost, updates=[(w, w - 0.1 * symc.grad(cost, w))],
                      mode=FAST_RUN_LLVM)
    assert type(f._run).__name__ == "builtin_function_or_method"
    a = rng.standard_normal((5, 3))
    np.testing.assert_allclose(f(a), ((a @ start) ** 2).sum(), rtol=1e-13)
    np.testing.assert_allclose(w.get_value(), start - 0.1 * 2 * a.T @ (a @ start), rtol=1e-13)
    before = w.get_value().copy()
    with pytest.raises(ValueError, match="Called with x: \\(5, 4\\)"):
        f(rng.standard_normal((5, 4)))
    np.testing.assert_array_equal(w.get_value(), before)
