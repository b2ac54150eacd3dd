"""plan_chunks and dispatch_cost: split only when the work clearly pays for the dispatch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symc
from symc.runtime import (
    dispatch_cost,
    parallel_call,
    parallel_for,
    plan_chunks,
    reduction_chunks,
)
from symc.runtime import plan as plan_module
from symc.runtime.plan import MIN_REDUCTION_CHUNK, SPLIT_MARGIN, dispatch_costs

from .kernels import kernels, pointers


def test_dispatch_cost_is_measured_and_asleep_is_the_dearer():
    with symc.config.change(num_threads=2):
        asleep, awake = dispatch_cost(), dispatch_cost(asleep=False)
    assert 0.0 < awake <= asleep < 0.1  # finite even on a loaded machine
    assert dispatch_cost(1) == 0.0


@pytest.mark.parametrize("n", [0, 1, 10, 1000])
def test_small_loops_run_inline(n):
    with symc.config.change(num_threads=2):
        assert plan_chunks(n, 1.0) == 1


@pytest.mark.parametrize("threads", [2, 4])
def test_large_loops_split_up_to_num_threads(threads):
    with symc.config.change(num_threads=threads):
        chunks = plan_chunks(10**9, 1.0)  # a second of work
    assert chunks == threads


def test_one_thread_never_splits():
    with symc.config.change(num_threads=1):
        assert plan_chunks(10**9, 100.0) == 1


def test_never_more_chunks_than_elements():
    with symc.config.change(num_threads=4):
        assert plan_chunks(3, 1e9) == 3


def test_split_only_above_margin_times_dispatch_cost():
    with symc.config.change(num_threads=2):
        # Two chunks need 2 * SPLIT_MARGIN dispatch costs of work; the cost used depends on
        # whether the workers are awake, so test below the cheaper and above the dearer.
        below = 0.9 * 2 * SPLIT_MARGIN * dispatch_cost(asleep=False)
        above = 1.1 * 2 * SPLIT_MARGIN * dispatch_cost(asleep=True)
        assert plan_chunks(1000, below * 1e9 / 1000) == 1
        assert plan_chunks(1000, above * 1e9 / 1000) == 2


@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_bad_estimates_raise(bad):
    with pytest.raises(ValueError):
        plan_chunks(10, bad)


def test_reduction_chunks_depend_on_n_and_threads_only():
    with symc.config.change(num_threads=4):
        assert reduction_chunks(0) == 1
        assert reduction_chunks(MIN_REDUCTION_CHUNK - 1) == 1
        assert reduction_chunks(2 * MIN_REDUCTION_CHUNK) == 2
        assert reduction_chunks(10**9) == 4
    with symc.config.change(num_threads=1):
        assert reduction_chunks(10**9) == 1


def test_reduction_gives_same_bits_whatever_the_plan():
    n = 100_000
    x = np.random.default_rng(5).standard_normal(n)
    with symc.config.change(num_threads=2):
        n_chunks = reduction_chunks(n)
        results = set()
        for threads in (1, 2, plan_chunks(n, 1.0), 2, 1):
            partials = np.zeros(n_chunks)
            ctx = pointers(x, partials)
            parallel_for(kernels().sum_partials, ctx.ctypes.data, n, n_chunks, num_threads=threads)
            results.add(partials.tobytes())
    assert n_chunks == 2 and len(results) == 1


def test_planning_inside_a_busy_pool_stays_inline_and_does_not_hang():
    answers = []

    def chunk(c, start, stop):
        # The pool runs this very job, so the 5-thread costs cannot be measured now.
        answers.append((dispatch_costs(), plan_chunks(10**9, 1.0)))

    try:
        # (config is process-wide: change it here, not in the chunks, which run concurrently)
        with symc.config.change(num_threads=5):
            parallel_call(chunk, 2, 2)
        assert answers == [(None, 1), (None, 1)]
    finally:
        plan_module._retry_after.pop(5, None)
