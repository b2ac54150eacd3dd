"""Compiled functions on the thread pool: same values at every thread count, deterministic
reductions, concurrent callers, fork, an idle pool that sleeps, and the split decision.

Splitting normally depends on measured dispatch costs (hence on the machine's load);
:func:`symc.runtime.dispatch.forced_split` makes every loop split, so these tests do not.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

import symc
from symc.backends.llvm.kernel_cost import ns_per_element
from symc.backends.llvm.lowering import plan_node
from symc.runtime import dispatch
from symc.runtime.pool import current_pool

THREAD_COUNTS = (1, 2, 3)
N = 20_011  # reductions split into reduction_chunks(N) = num_threads pieces (>= 4096 each)
DEADLINE = 20.0


@pytest.fixture(scope="module")
def functions():
    """Elementwise (several dtypes, broadcasting, two outputs) and reductions (whole, per
    axis, with a fused Composite, integer counts, max/min)."""
    x, y = symc.vector("x"), symc.vector("y")
    m = symc.matrix("m")
    v32 = symc.vector("v32", dtype="float32")
    heavy = symc.exp(-(x**2) / 2) * symc.sin(y) + symc.log1p(abs(x * y))
    return {
        "heavy": symc.function([x, y], heavy),
        "pair": symc.function([x, y], [x * y + 1, symc.tanh(x - y)]),
        "float32": symc.function([v32], symc.exp(v32) * 3 - v32),
        "pi": symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]),
        "sums": symc.function([x], [x.sum(), (x * x).sum(), x.max(), x.min(), x.prod()]),
        "matrix": symc.function(
            [m], [m.sum(), m.sum(axis=0), m.sum(axis=1), symc.exp(m).max(axis=0), m * 2 + 1]),
        "broadcast": symc.function([m, x], m * x + symc.exp(m)),
    }


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    m = rng.standard_normal((181, 133))
    return {
        "heavy": (rng.uniform(-3, 3, N), rng.uniform(-3, 3, N)),
        "pair": (rng.standard_normal(N), rng.standard_normal(N)),
        "float32": (rng.standard_normal(N).astype(np.float32),),
        "pi": (rng.uniform(-1, 1, N), rng.uniform(-1, 1, N)),
        "sums": (rng.uniform(0.999, 1.001, N),),
        "matrix": (m,),
        "matrix strided": (m[::-1, ::2],),
        "matrix transposed": (np.ascontiguousarray(m.T).T,),
        "broadcast": (rng.standard_normal((57, 401)), rng.standard_normal(401)),
    }


def _outputs(result) -> list[np.ndarray]:
    return [np.asarray(r) for r in (result if isinstance(result, list | tuple) else [result])]


def _run(functions, name, args, threads):
    fn = functions[name.split()[0]]
    with symc.config.change(num_threads=threads), dispatch.forced_split():
        return _outputs(fn(*args)), _outputs(fn(*args))


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


@pytest.mark.parametrize("name", ["heavy", "pair", "float32", "broadcast", "matrix",
                                  "matrix strided", "matrix transposed", "pi", "sums"])
def test_thread_counts_agree(functions, data, name):
    """Bitwise across thread counts for elementwise outputs and order-free reductions,
    to rounding for float sums; bitwise across repeated runs at each count."""
    results = {}
    for threads in THREAD_COUNTS:
        first, again = _run(functions, name, data[name], threads)
        for a, b in zip(first, again, strict=True):
            assert _bits(a) == _bits(b), f"{name}: two runs on {threads} threads differ"
        results[threads] = first
    for threads in THREAD_COUNTS[1:]:
        for k, (one, many) in enumerate(zip(results[1], results[threads], strict=True)):
            assert one.shape == many.shape and one.dtype == many.dtype
            if one.ndim and one.shape[0] == data[name][0].shape[0] or one.dtype.kind != "f":
                assert _bits(one) == _bits(many), f"{name} output {k}, {threads} threads"
            else:
                np.testing.assert_allclose(many, one, rtol=1e-12, atol=1e-12,
                                           err_msg=f"{name} output {k}, {threads} threads")


def test_values_match_numpy_when_split(functions, data):
    x, y = data["heavy"]
    with symc.config.change(num_threads=3), dispatch.forced_split():
        got = functions["heavy"](x, y)
        sums = functions["matrix"](data["matrix strided"][0])
        pi = functions["pi"](*data["pi"])
    np.testing.assert_allclose(got, np.exp(-(x**2) / 2) * np.sin(y) + np.log1p(abs(x * y)),
                               rtol=1e-14, atol=1e-15)
    m = data["matrix strided"][0]
    for value, want in zip(sums, [m.sum(), m.sum(0), m.sum(1), np.exp(m).max(0), m * 2 + 1],
                           strict=True):
        np.testing.assert_allclose(value, want, rtol=1e-12)
    px, py = data["pi"]
    assert pi == 4 * np.count_nonzero(px**2 + py**2 <= 1) / N


def test_partials_larger_than_the_stack_buffer(functions):
    """sum(axis=0) with a wide output: the per-chunk partials are malloc'ed."""
    m = np.random.default_rng(1).standard_normal((9000, 300))
    with symc.config.change(num_threads=2), dispatch.forced_split():
        total, by_column, *_ = functions["matrix"](m)
    np.testing.assert_allclose(by_column, m.sum(0), rtol=1e-12)
    np.testing.assert_allclose(total, m.sum(), rtol=1e-12)


def _jobs() -> int:
    """Jobs the pool has run so far (its generation counter moves by 2 per job)."""
    pool = current_pool()
    return 0 if pool is None else pool.field("gen") // 2


def test_num_threads_is_read_at_call_time(functions, data):
    """config.change(num_threads=1) reaches a function compiled (and run) with more."""
    fn, args = functions["heavy"], data["heavy"]
    with dispatch.forced_split():
        with symc.config.change(num_threads=2):
            fn(*args)
            before = _jobs()
            fn(*args)
            assert _jobs() > before
            with symc.config.change(num_threads=1):
                before = _jobs()
                fn(*args)
                assert _jobs() == before


def test_small_loops_stay_inline_without_forcing(functions):
    fn = functions["heavy"]
    x = np.linspace(-1, 1, 50)
    with symc.config.change(num_threads=2):
        before = _jobs()
        for _ in range(20):
            fn(x, x)
        assert _jobs() == before


def test_four_python_threads_call_one_function(functions, data):
    """Elementwise and reduction calls from 4 threads at once: each gets its own answer."""
    heavy, sums = functions["heavy"], functions["sums"]
    rng = np.random.default_rng(9)
    inputs = [(rng.uniform(-3, 3, N + k), rng.uniform(-3, 3, N + k)) for k in range(4)]
    with symc.config.change(num_threads=2), dispatch.forced_split():
        expected = [(heavy(*args), sums(args[0])) for args in inputs]  # before the threads
    failures = []

    def call_many(k):
        for _ in range(15):
            got = heavy(*inputs[k]), sums(inputs[k][0])
            if not (np.array_equal(got[0], expected[k][0]) and all(
                    _bits(a) == _bits(b) for a, b in zip(got[1], expected[k][1], strict=True))):
                failures.append(k)
                return

    with symc.config.change(num_threads=2), dispatch.forced_split():
        threads = [threading.Thread(target=call_many, args=(k,), daemon=True) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
        assert not any(thread.is_alive() for thread in threads), "deadlock?"
    assert failures == []


def _child(functions, data) -> int:
    x, y = data["heavy"]
    with symc.config.change(num_threads=2), dispatch.forced_split():
        got = functions["heavy"](x, y)
        pi = functions["pi"](*data["pi"])
    ok = np.allclose(got, np.exp(-(x**2) / 2) * np.sin(y) + np.log1p(abs(x * y)))
    ok = ok and current_pool() is not None and current_pool().field("gen") > 0
    return 0 if ok and 3.0 < pi < 3.3 else 1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork with threads (3.12+)
def test_forked_child_runs_compiled_functions(functions, data):
    with symc.config.change(num_threads=2), dispatch.forced_split():
        functions["heavy"](*data["heavy"])  # the parent has a pool with a worker
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 3
        try:
            code = _child(functions, data)
        finally:
            os._exit(code)
    deadline = time.monotonic() + DEADLINE
    while not (done := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("forked child hung")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(done[1]) == 0


def test_idle_pool_burns_no_cpu_after_compiled_calls(functions, data):
    with symc.config.change(num_threads=3), dispatch.forced_split():
        for _ in range(10):
            functions["heavy"](*data["heavy"])
            functions["matrix"](*data["matrix"])
    time.sleep(0.05)  # past the workers' spin window
    before = time.process_time()
    time.sleep(1.0)
    burnt = time.process_time() - before
    assert burnt < 0.05, f"the idle pool used {burnt:.3f} s of CPU in 1 s"


def test_prepare_creates_the_pool_and_publishes_costs():
    assert dispatch.prepare(2)
    pool = current_pool()
    assert dispatch.state_value("pool") == pool.address
    assert dispatch.state_value("n_workers") >= 1
    assert dispatch.state_value("awake_ns", 2) > 0 and dispatch.state_value("asleep_ns", 2) > 0
    assert not dispatch.prepare(1)


def test_cost_estimates_follow_the_ops():
    x, y = symc.vector("x"), symc.vector("y")

    def cost(expr, inputs=(x, y)):
        fn = symc.function(list(inputs), expr)
        node = fn.fgraph.outputs[0].owner
        plan = plan_node(node, ())
        return ns_per_element(plan.body, plan.operands)

    add, exp, pw = cost(x + y), cost(symc.exp(x), [x]), cost(x**y)
    heavy = cost(symc.exp(-(x**2) / 2) * symc.sin(y) + symc.log1p(abs(x * y)))
    assert 0 < add < exp < heavy and add < pw
    assert 1.0 < heavy < 6.0  # measured ~2.6 ns/element on the development machine


_FRESH_PROCESS = """
import numpy as np, symc
from symc.runtime import dispatch
x, y = symc.vector("x"), symc.vector("y")
f = symc.function([x, y], symc.exp(-x**2 / 2) * symc.sin(y) + symc.log1p(abs(x * y)))
a = np.linspace(-3, 3, 200_000)
with symc.config.change(num_threads=2):
    small = f(a[:100], a[:100])
    assert dispatch.state_value("pool") == 0  # small loops never create the pool
    big = f(a, a)  # ~0.5 ms of work: runs inline, then has the pool made and measured
assert dispatch.state_value("pool") != 0 and dispatch.state_value("awake_ns", 2) > 0
assert np.array_equal(big[:100], f(a, a)[:100])
print("ok")
"""


def test_a_fresh_process_prepares_the_pool_on_its_first_large_loop():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FRESH_PROCESS], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_costs_measured_under_load_are_measured_again_later(functions, data):
    """An entry finding its costs due for a new measurement has its thunk re-measure."""
    from symc.runtime import plan

    with symc.config.change(num_threads=2):
        assert dispatch.prepare(2)
        before = plan.dispatch_costs(2)
        dispatch._state.set("remeasure_at", 1, 2)  # "due since the counter read 1"
        functions["heavy"](*data["heavy"])  # ~50 us of work: enough to read the costs
        assert dispatch.state_value("remeasure_at", 2) != 1
        assert plan.dispatch_costs(2) is not before
