"""parallel_for, parallel_call and chunk_bounds: results, the split, errors."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.runtime import chunk_bounds, parallel_call, parallel_for

from .kernels import kernels, pointers

THREADS = [1, 2, 4]


@pytest.mark.parametrize("n", [0, 1, 7, 10, 10**6])
@pytest.mark.parametrize("n_chunks", [1, 2, 3, 4, 7])
def test_chunk_bounds_cover_range_contiguously_and_evenly(n, n_chunks):
    bounds = chunk_bounds(n, n_chunks)
    assert len(bounds) == n_chunks
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(
        stop == next_start
        for (_, stop), (next_start, _) in zip(bounds[:-1], bounds[1:], strict=True)
    )
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("num_threads", THREADS)
@pytest.mark.parametrize("n", [0, 1, 7, 10**6])
@pytest.mark.parametrize("n_chunks", [1, 2, 3, 4])
def test_scale2_is_correct(num_threads, n, n_chunks):
    x = np.arange(n, dtype=np.float64)
    y = np.full(n, -1.0)
    ctx = pointers(x, y)
    with symc.config.change(num_threads=num_threads):
        parallel_for(kernels().scale2, ctx.ctypes.data, n, n_chunks)
    np.testing.assert_array_equal(y, 2 * x)


@pytest.mark.parametrize("num_threads", THREADS)
@pytest.mark.parametrize("n, n_chunks", [(1, 1), (1, 4), (3, 4), (7, 3), (10**6, 4), (10, 64)])
def test_every_chunk_runs_once_with_its_fixed_range(num_threads, n, n_chunks):
    calls, starts, stops = (np.zeros(n_chunks, dtype=np.int64) for _ in range(3))
    ctx = pointers(calls, starts, stops)
    with symc.config.change(num_threads=num_threads):
        for _ in range(20):
            parallel_for(kernels().record, ctx.ctypes.data, n, n_chunks)
    np.testing.assert_array_equal(calls, 20)
    assert list(zip(starts.tolist(), stops.tolist(), strict=True)) == chunk_bounds(n, n_chunks)


def test_n_zero_calls_nothing():
    calls, starts, stops = (np.zeros(4, dtype=np.int64) for _ in range(3))
    ctx = pointers(calls, starts, stops)
    parallel_for(kernels().record, ctx.ctypes.data, 0, 4)
    assert not calls.any()


def _sequential_sum(values):
    total = 0.0
    for value in values.tolist():
        total += value
    return total


def test_partials_are_deterministic_and_per_chunk():
    n, n_chunks = 200_003, 4
    x = np.random.default_rng(7).standard_normal(n)
    expected = np.array([_sequential_sum(x[a:b]) for a, b in chunk_bounds(n, n_chunks)])
    for num_threads in (1, 2, 4, 2, 1):
        with symc.config.change(num_threads=num_threads):
            for _ in range(5):
                partials = np.full(n_chunks, np.nan)
                ctx = pointers(x, partials)
                parallel_for(kernels().sum_partials, ctx.ctypes.data, n, n_chunks)
                # Bitwise: the same split adds the same numbers in the same order.
                assert partials.tobytes() == expected.tobytes()


@pytest.mark.parametrize("n, n_chunks", [(-1, 2), (10, 0), (10, -3)])
def test_bad_sizes_raise_value_error(n, n_chunks):
    with pytest.raises(ValueError):
        parallel_for(kernels().scale2, 0, n, n_chunks)
    with pytest.raises(ValueError):
        parallel_call(lambda c, a, b: None, n, n_chunks)
    with pytest.raises(ValueError):
        chunk_bounds(n, n_chunks)


@pytest.mark.parametrize("num_threads", THREADS)
def test_parallel_call_runs_every_chunk(num_threads):
    n, n_chunks = 1000, 3
    seen = np.zeros(n, dtype=np.int64)
    got = []

    def chunk(c, start, stop):
        seen[start:stop] += 1
        got.append((c, start, stop))

    with symc.config.change(num_threads=num_threads):
        parallel_call(chunk, n, n_chunks)
    np.testing.assert_array_equal(seen, 1)
    assert sorted(got) == [(c, a, b) for c, (a, b) in enumerate(chunk_bounds(n, n_chunks))]


@pytest.mark.parametrize("num_threads", THREADS)
def test_parallel_call_reraises_lowest_failing_chunk_after_all_ran(num_threads):
    ran = []

    def chunk(c, start, stop):
        ran.append(c)
        if c in (1, 3):
            raise KeyError(f"chunk {c}")

    with symc.config.change(num_threads=num_threads), pytest.raises(KeyError, match="chunk 1"):
        parallel_call(chunk, 100, 4)
    assert sorted(ran) == [0, 1, 2, 3]
