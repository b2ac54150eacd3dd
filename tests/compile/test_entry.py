"""The specialized call path: ``f(...)`` runs a generated entry with the program inlined, and
behaves exactly as the general path does (messages, errors naming nodes, profiling)."""

from __future__ import annotations

import numpy as np
import pytest

import symc


def pi(mode=None, **kwargs):
    """Monte-Carlo pi: reduction, ``Shape_i`` (inlined) and a scalar tail."""
    x, y = symc.vector("x"), symc.vector("y")
    return symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0], mode=mode,
                         **kwargs)


def test_calls_run_the_entry_and_the_function_stays_a_function(mode):
    f = pi(mode)
    assert type(f) is symc.Function and callable(f)
    # no Python frame between the caller and the entry: the Python entry, or the backend's
    # builtin running the whole program (tests/backends/llvm/test_program_entry.py)
    assert f.__call__ is f._entry or f.__call__ is f._call is not None and (
        mode.backend == "llvm" and type(f._call).__name__ == "builtin_function_or_method")
    assert f(np.zeros(4), np.zeros(4)) == 4.0
    assert f([0.5, 2.0], [0.5, 0.0]) == 2.0  # lists go through the input checkers


def test_wrong_argument_counts_get_the_general_message(mode):
    f = pi(mode)
    for args in [(), (np.zeros(2),), (np.zeros(2),) * 3]:
        with pytest.raises(TypeError, match=rf"takes 2 input\(s\) \(x, y\), got {len(args)}"):
            f(*args)
    with pytest.raises(TypeError):
        f(x=np.zeros(2), y=np.zeros(2))


def test_shape_i_is_inlined_and_returns_int64(mode):
    x = symc.vector("x")
    f = symc.function([x], [x.shape[0], x * 2], mode=mode)
    if mode.optimizer == "fast_run":  # fast_compile keeps Shape then Subtensor
        assert "_int64s[i0.shape[0]]" in f.program.source
    n, _ = f(np.zeros(7))
    assert isinstance(n, np.ndarray) and n.dtype == np.int64 and n.shape == () and n == 7
    assert f(np.zeros(12345))[0] == 12345  # a length not seen before
    g = symc.function([x], x.shape[0], mode=mode, trust_input=True)
    assert g(np.zeros(3)) == 3


def test_errors_inside_the_inlined_program_name_the_node(mode):
    f = pi(mode)
    with pytest.raises(ValueError, match=r"failed on inputs of shapes \(3,\), \(4,\)"):
        f(np.zeros(3), np.zeros(4))


def test_profiled_functions_still_count_calls_and_name_nodes():
    f = pi(profile=True)
    f(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="failed on inputs of shapes"):
        f(np.zeros(4), np.zeros(5))
    assert f.profile.to_dict()["calls"] == 2


def test_functions_with_updates_use_the_general_path(mode):
    count = symc.shared(np.int64(0), name="count")
    x = symc.vector("x")
    f = symc.function([x], x.sum(), updates={count: count + 1}, mode=mode)
    assert f._entry is None
    assert f(np.ones(3)) == 3.0 and count.get_value() == 1
    with pytest.raises(TypeError, match="takes 1 input"):
        f()


def test_inspect_sees_the_inputs():
    import inspect

    x, y = symc.vector("x"), symc.vector("x")
    f = symc.function([x, y, symc.vector()], x + y, on_unused_input="ignore")
    assert str(inspect.signature(f)) == "(x, _x, i2, /)"


def test_errors_also_give_the_shapes_the_function_was_called_with(mode):
    """The failing node sees ``b`` broadcast to (1, 3); the message also says what was given."""
    x, b = symc.matrix("x"), symc.vector("b")
    for profile in (False, True):
        f = symc.function([x, b], symc.tanh(x + b), mode=mode, profile=profile)
        with pytest.raises(ValueError, match=r"Called with x: \(5, 2\), b: \(3,\)\.$"):
            f(np.ones((5, 2)), np.ones(3))
