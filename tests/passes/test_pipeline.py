"""The passes of each mode, and the rules that keep the core backend-free."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import symc
from symc.passes import pipeline

from .graphs import FIXED_POINT, composites, ops, rewritten

pytestmark = FIXED_POINT


def graph():
    x = symc.vector("x")
    return [x], symc.exp(x ** 2 + symc.constant(np.float64(1.0)) * 2) * 1


def compiled_ops(mode):
    inputs, out = graph()
    f = symc.function(inputs, out, mode=mode)
    return ops(f.fgraph), f


def test_fast_run_rewrites_and_fuses():
    names, f = compiled_ops(symc.Mode("fast_run", "numpy"))
    assert names == ["Composite"]
    assert str(f.fgraph.toposort()[0].op) == "Elemwise{Composite{exp((sqr(i0) + 2.0))}}"
    assert set(f.compile_time["rewrite"]) == {
        "merge", "canonicalize", "stabilize", "specialize", "fuse_elemwise", "fuse_reductions"}


def test_fast_compile_only_merges_and_folds():
    names, f = compiled_ops(symc.Mode("fast_compile", "numpy"))
    assert names == ["pow", "add", "exp", "mul"]   # 1.0 * 2 folded, nothing else
    assert set(f.compile_time["rewrite"]) == {"merge", "constant_folding"}


def test_no_optimizer_changes_nothing():
    names, _ = compiled_ops(symc.Mode(None, "numpy"))
    assert names == ["pow", "mul", "DimShuffle", "add", "exp", "mul"]


def test_operand_limit_follows_the_backend():
    assert pipeline.MAX_OPERANDS["numpy"] == 32 and pipeline.MAX_OPERANDS["llvm"] > 32
    xs = [symc.vector(f"x{k}") for k in range(40)]
    total = xs[0]
    for x in xs[1:]:
        total = total + symc.exp(x)
    numpy_graph = rewritten(xs, total, max_operands=pipeline.MAX_OPERANDS["numpy"])
    llvm_graph = rewritten(xs, total, max_operands=pipeline.MAX_OPERANDS["llvm"])
    assert len(composites(numpy_graph)) >= 2 and len(composites(llvm_graph)) == 1


def test_the_core_and_the_passes_load_no_backend():
    code = ("import sys, symc.graph.rewrite, symc.ops.reduce, symc.passes.pipeline; "
            "print([m for m in sys.modules if m.startswith('symc.backends')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
