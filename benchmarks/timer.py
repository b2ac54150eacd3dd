"""Timing: auto-ranged inner loops and interleaved rounds over several callables.

Every timing is one ``time.perf_counter`` interval around ``loops`` calls, with ``loops``
chosen so that the interval lasts at least ``min_time`` (timer resolution and call jitter
then stay well under 1%). Peers are timed round by round (A, B, C, then A, B, C again) so
that a burst of load from the other users of this shared machine hits every peer alike
instead of spoiling one peer's whole series.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

#: Never run more inner loops than this, whatever the callable costs.
_MAX_LOOPS = 1_000_000


@dataclass
class Timing:
    """Seconds per call of one callable: best and median over ``repeats`` rounds."""

    best: float
    median: float
    loops: int
    repeats: int

    def to_json(self) -> dict:
        """The timing as a plain dict (for ``benchmarks.json``)."""
        return asdict(self)


def time_loops(fn: Callable[[], object], loops: int) -> float:
    """Seconds for ``loops`` back-to-back calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(loops):
        fn()
    return time.perf_counter() - start


def choose_loops(fn: Callable[[], object], min_time: float) -> int:
    """A loop count whose interval lasts at least ``min_time`` seconds.

    Like ``timeit.Timer.autorange``, but growing by the measured ratio so that a slow
    callable is not run 1, 2, 5, 10... times just to find out it is slow. Growth is capped
    at 10x a step: one lucky fast call on a busy machine must not buy a loop count that
    then takes seconds per timing.
    """
    loops = 1
    while loops < _MAX_LOOPS:
        elapsed = time_loops(fn, loops)
        if elapsed >= min_time:
            return loops
        # Aim 20% past the target so noise does not make us undershoot again.
        wanted = int(1.2 * min_time / max(elapsed / loops, 1e-9)) + 1
        loops = min(_MAX_LOOPS, loops * 10, max(loops * 2, wanted))
    return _MAX_LOOPS


def _why(exc: Exception) -> str:
    return f"while timing: {type(exc).__name__}: {exc}"[:300]


def time_interleaved(
    callables: dict[str, Callable[[], object]], repeats: int, min_time: float
) -> tuple[dict[str, Timing], dict[str, str]]:
    """Time each callable ``repeats`` times, interleaving them round by round.

    Returns seconds per call (best and median) by name, and the names that raised while
    being timed, with the error: those drop out of the remaining rounds and get no timing.
    The callables must already be warm (JIT compiled); the loop-count calibration doubles
    as a second warm-up.
    """
    loops, errors = {}, {}
    for name, fn in callables.items():
        try:
            loops[name] = choose_loops(fn, min_time)
        except Exception as exc:
            errors[name] = _why(exc)
    samples: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(repeats):
        for name in [n for n in loops if n not in errors]:
            try:
                elapsed = time_loops(callables[name], loops[name])
            except Exception as exc:
                errors[name] = _why(exc)
                continue
            samples[name].append(elapsed / loops[name])
            if elapsed > 10 * min_time:  # calibrated in a lull: shorten the next rounds
                loops[name] = max(1, int(loops[name] * 2 * min_time / elapsed))
    timings = {
        name: Timing(min(s), statistics.median(s), loops[name], repeats)
        for name, s in samples.items()
        if name not in errors
    }
    return timings, errors


def time_once(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds for one call of ``fn`` and its result (used for JIT warm-up)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result
