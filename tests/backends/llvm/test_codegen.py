"""Code generation: the fused pi kernel is vectorized (packed SIMD in its assembly), all kernels
of one function share one compiled module, and a failing emitter never fails compilation."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import symc
import symc.backends.llvm as backend
from symc.backends.llvm import emit_scalar
from symc.backends.llvm.jit import assembly
from symc.ops.composite import composite_from_graph
from symc.ops.reduce import Reduce

PACKED = re.compile(r"^\s*v\w+(pd|ps|q|d|b|w)?\s.*%[yz]mm", re.M)


def _pi_node():
    x, y = symc.vector("x"), symc.vector("y")
    comp = composite_from_graph([x, y], [x**2 + y**2 <= 1])
    return Reduce("add", (0,), "int64", pre=comp)(x, y).owner


def _function_asm(asm: str, name: str) -> str:
    start = asm.index(f"{name}:")
    return asm[start:asm.index(".Lfunc_end", start)]


def test_pi_kernel_uses_packed_simd():
    """The chunk function of Sum{Composite{le(sqr(x) + sqr(y), 1)}} runs on ymm/zmm registers:
    vector loads, multiplies (or FMAs), compares and integer adds of the counts."""
    plans = backend.plan_nodes([_pi_node()])
    module, plans, _ = backend.build_module(plans)
    asm = _function_asm(assembly(str(module)), "k0_strided")
    packed = PACKED.findall(asm)
    assert packed, "no packed SIMD instruction in the pi kernel"
    text = "\n".join(line for line in asm.splitlines() if PACKED.match(line))
    assert re.search(r"vmul|vfmadd", text) and re.search(r"vcmp", text), text[:2000]


def test_one_module_per_function():
    """Every lowered node of a function calls into the same compiled library."""
    x, y = symc.vector("x"), symc.vector("y")
    f = symc.function([x, y], [x + y, (x * y).sum(), symc.exp(x).max()], mode=symc.Mode(None))
    libraries = {id(f.program.fn.__globals__[f"t{k}"].__globals__["_call"].__self__.library)
                 for k, node in enumerate(f.program.order) if f.program.tags[node] == "L"}
    assert len(libraries) == 1
    assert list(f.program.tags.values()) == ["L"] * 5  # add, mul, sum, exp, max


def test_an_emitter_bug_falls_back_to_numpy(monkeypatch):
    """An exception inside an emitter leaves that node to NumPy, with a warning."""
    def broken(e, args, out):
        raise ZeroDivisionError("emitter bug")

    monkeypatch.setitem(emit_scalar.EMITTERS, "tanh", broken)
    x = symc.vector("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = symc.function([x], [symc.tanh(x), x + 1], mode=symc.Mode(None))
    assert any("emitter bug" in str(w.message) for w in caught)
    tags = {str(n.op): t for n, t in f.program.tags.items()}
    assert tags == {"Elemwise{tanh}": "Py", "Elemwise{add}": "L"}
    np.testing.assert_allclose(f(np.arange(3.0))[0], np.tanh(np.arange(3.0)))


def test_numpy_backend_is_selectable():
    """``Mode(backend="numpy")`` and ``config.backend`` bypass the LLVM backend."""
    x = symc.vector("x")
    assert set(symc.function([x], x + 1, mode=symc.Mode(backend="numpy")).program.tags
               .values()) == {"Py"}
    with symc.config.change(backend="numpy"):
        assert set(symc.function([x], x + 1).program.tags.values()) == {"Py"}
    assert set(symc.function([x], x + 1).program.tags.values()) == {"L"}


@pytest.mark.parametrize("fastmath", ["", "contract", "reassoc nsz arcp contract afn"])
def test_fast_math_subset_keeps_nan_and_inf(fastmath):
    """Whatever subset is configured, NaN and inf flow through as in NumPy (no nnan/ninf)."""
    x = symc.vector("x")
    with symc.config.change(fastmath=fastmath):
        f = symc.function([x], [x * 2 + 1, symc.isnan(x), x.max()], mode=symc.Mode(None))
    data = np.array([1.0, np.nan, np.inf, -np.inf])
    doubled, nan, top = f(data)
    np.testing.assert_array_equal(doubled, data * 2 + 1)
    np.testing.assert_array_equal(nan, np.isnan(data))
    assert np.isnan(top)
