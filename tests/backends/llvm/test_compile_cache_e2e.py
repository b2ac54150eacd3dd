"""The compile cache end to end: ``symc.function`` in fresh processes sharing a cache folder.

A second process compiling the same function finds its nodes' structural signature on
record and loads the object code: no IR is built (the IR-building modules are not even
imported), no LLVM pass runs. A damaged or stale signature record is ignored and rewritten,
and concurrent writers leave whole entries.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import symc
from symc.backends.llvm import codecache, emit_scalar, jit, signature
from symc.backends.llvm.codecache import decode_entry, encode_entry

# A child process: wait until time argv[1] (so siblings start together), compile pi, call it
# on fixed samples, and report what the JIT did and which backend modules got imported.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    import symc
    time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
    x, y = symc.vector("x"), symc.vector("y")
    f = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
    rng = np.random.default_rng(0)
    value = f(rng.uniform(-1, 1, 1000), rng.uniform(-1, 1, 1000))
    from symc.backends.llvm import jit
    modules = sorted(m for m in sys.modules if m.startswith("symc.backends.llvm"))
    print(json.dumps({"stats": jit.stats, "value": float(value), "modules": modules,
                      "tags": sorted(f.program.tags.values())}))
    """
)


def expected_pi() -> float:
    """What the child's pi returns (NumPy's answer on the same samples)."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, 1000), rng.uniform(-1, 1, 1000)
    return float(4 * (x**2 + y**2 <= 1).sum() / x.shape[0])


def start_child(cache_dir, at: float = 0.0):
    """Start a process compiling and calling pi with ``cache_dir`` at time ``at``."""
    env = dict(os.environ, SYMC_FLAGS=f"cache_dir={cache_dir}")
    return subprocess.Popen([sys.executable, "-c", CHILD, repr(at)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def child_report(process) -> dict:
    """Wait for a child of :func:`start_child`; check its answer and return its report."""
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["value"] == expected_pi()
    return report


def run_child(cache_dir) -> dict:
    """One child, run to the end."""
    return child_report(start_child(cache_dir))


def llvm_work(stats: dict) -> dict:
    """The counters of work a warm compile must not do."""
    return {name: stats[name] for name in ("ir_builds", "parsed", "optimized", "codegen")}


def signature_files(cache_dir) -> list[str]:
    """The signature records under ``cache_dir``."""
    folder = os.path.join(cache_dir, codecache.signature_cache.subdir)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def object_files(cache_dir) -> list[str]:
    """The object-code entries under ``cache_dir``."""
    folder = os.path.join(cache_dir, codecache.code_cache.subdir)
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture
def cache_dir(tmp_path):
    """An empty cache folder, empty in-memory caches and zeroed counters."""
    def forget():
        jit.clear_memory_cache()
        codecache.signature_cache.clear_memory()
        jit.reset_stats()

    forget()
    with symc.config.change(cache_dir=str(tmp_path)):
        yield tmp_path
    forget()


def pi_nodes():
    """The optimized nodes of pi, in the order the linker hands them to the backend."""
    x, y = symc.vector("x"), symc.vector("y")
    return symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]).program.order


# -- across processes ----------------------------------------------------------------------------

def test_second_process_builds_no_ir_and_runs_no_llvm(cache_dir):
    first = run_child(cache_dir)
    assert first["stats"]["ir_builds"] == 1 and first["stats"]["codegen"] == 1
    assert first["stats"]["signature_misses"] == 1
    assert len(signature_files(cache_dir)) == 1 and len(object_files(cache_dir)) == 1
    second = run_child(cache_dir)
    assert llvm_work(second["stats"]) == dict.fromkeys(llvm_work(second["stats"]), 0)
    assert second["stats"]["signature_hits"] == 1 and second["stats"]["disk_hits"] == 1
    assert "symc.backends.llvm.lowering" not in second["modules"], second["modules"]
    assert second["tags"] == first["tags"] == ["L", "L", "Py"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "bad pickle"])
def test_damaged_signature_record_is_ignored_and_rewritten(cache_dir, damage):
    run_child(cache_dir)
    (name,) = signature_files(cache_dir)
    path = os.path.join(cache_dir, codecache.signature_cache.subdir, name)
    data = open(path, "rb").read()
    damaged = {
        "truncate": data[: len(data) // 2],
        "flip": data[:-3] + bytes([data[-3] ^ 0x10]) + data[-2:],
        "empty": b"",
        # A whole, well-framed entry whose payload is not a record: e.g. from a foreign symc.
        "bad pickle": encode_entry(b"not a pickle", codecache.signature_cache.magic),
    }[damage]
    with open(path, "wb") as f:
        f.write(damaged)
    report = run_child(cache_dir)
    # The record is rebuilt from IR, but the object code is still found by the IR's hash.
    assert report["stats"]["signature_misses"] == 1 and report["stats"]["ir_builds"] == 1
    assert report["stats"]["codegen"] == 0 and report["stats"]["disk_hits"] == 1
    payload = decode_entry(open(path, "rb").read(), codecache.signature_cache.magic)
    assert payload is not None and isinstance(pickle.loads(payload), signature.ModuleRecord)
    assert run_child(cache_dir)["stats"]["signature_hits"] == 1


def test_record_pointing_at_missing_object_code_is_rebuilt(cache_dir):
    run_child(cache_dir)
    (name,) = object_files(cache_dir)
    os.unlink(os.path.join(cache_dir, codecache.code_cache.subdir, name))
    report = run_child(cache_dir)
    assert report["stats"]["signature_misses"] == 1 and report["stats"]["codegen"] == 1
    assert object_files(cache_dir) == [name]
    assert llvm_work(run_child(cache_dir)["stats"])["codegen"] == 0


def test_concurrent_first_compiles_leave_whole_entries(cache_dir):
    start = time.time() + 1.5  # after every child has imported symc
    children = [start_child(cache_dir, at=start) for _ in range(3)]
    reports = [child_report(child) for child in children]
    assert all(r["tags"] == ["L", "L", "Py"] for r in reports)
    (sig,) = signature_files(cache_dir)  # one record, no temporary files left
    (obj,) = object_files(cache_dir)
    sig_data = open(os.path.join(cache_dir, codecache.signature_cache.subdir, sig), "rb").read()
    assert decode_entry(sig_data, codecache.signature_cache.magic) is not None
    obj_data = open(os.path.join(cache_dir, codecache.code_cache.subdir, obj), "rb").read()
    assert decode_entry(obj_data) is not None
    assert llvm_work(run_child(cache_dir)["stats"])["ir_builds"] == 0


# -- within one process --------------------------------------------------------------------------

def test_second_compile_in_a_process_uses_the_record_in_memory(cache_dir):
    x, y = symc.vector("x"), symc.vector("y")
    first = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])
    assert jit.stats["ir_builds"] == 1
    a, b = symc.vector("a"), symc.vector("b")  # other variables, same structure
    second = symc.function([a, b], 4 * (a**2 + b**2 <= 1).sum() / a.shape[0])
    assert jit.stats["ir_builds"] == 1 and jit.stats["signature_hits"] == 1
    assert jit.stats["memory_hits"] == 1 and jit.stats["codegen"] == 1
    samples = np.linspace(-1, 1, 101), np.linspace(1, -1, 101)
    assert second(*samples) == first(*samples)


def test_a_failing_emitter_is_not_recorded(cache_dir, monkeypatch):
    """A plan dropped by an emitter bug is not remembered: the next compile tries again."""
    def broken(e, args, out):
        raise ZeroDivisionError("emitter bug")

    monkeypatch.setitem(emit_scalar.EMITTERS, "tanh", broken)
    x = symc.vector("x")
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f = symc.function([x], [symc.tanh(x), x + 1], mode=symc.Mode(None))
        assert any("emitter bug" in str(w.message) for w in caught)
        assert sorted(f.program.tags.values()) == ["L", "Py"]
    assert jit.stats["ir_builds"] == 2 and signature_files(cache_dir) == []


# -- the signature itself --------------------------------------------------------------------

def test_signature_is_deterministic_and_structural():
    assert signature.signature_text(pi_nodes()) == signature.signature_text(pi_nodes())
    code = ("import symc\nfrom symc.backends.llvm import signature\n"
            "x, y = symc.vector('x'), symc.vector('y')\n"
            "f = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0])\n"
            "print(signature.signature_text(f.program.order))")
    env = dict(os.environ, PYTHONHASHSEED="4321")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # Line 2 is the source files' sizes and mtimes: equal too, unless someone edits symc while
    # the tests run (this process read them once, earlier), so it is left out.
    here = signature.signature_text(pi_nodes()).strip().splitlines()
    there = done.stdout.strip().splitlines()
    assert there[:1] + there[2:] == here[:1] + here[2:] and len(there) == len(here)


def _sum_nodes(expression):
    x = symc.vector("x")
    return symc.function([x], expression(x), mode=symc.Mode(None)).program.order


@pytest.mark.parametrize("other", [
    lambda x: (x + 2).sum(),  # a different inlined constant
    lambda x: (x * 1).sum(),  # a different op
    lambda x: (x + 1.0).sum(),  # a float constant instead of an int one
    lambda x: (x.astype("float32") + 1).sum(),  # another dtype
])
def test_signature_changes_with_what_the_kernels_depend_on(other):
    base = signature.signature_text(_sum_nodes(lambda x: (x + 1).sum()))
    assert signature.signature_text(_sum_nodes(other)) != base


def test_signature_changes_with_settings_and_static_shapes():
    base = signature.signature_text(pi_nodes())
    with symc.config.change(fastmath="contract"):
        assert signature.signature_text(pi_nodes()) != base
    with symc.config.change(simd_math=False):
        assert signature.signature_text(pi_nodes()) != base
    with symc.config.change(cache_dir="/somewhere/else"):
        assert signature.signature_text(pi_nodes()) == base  # where the cache is: irrelevant
    x = symc.TensorType("float64", (3,))
    v = symc.Variable(x, name="v")
    static = symc.function([v], (v + 1).sum(), mode=symc.Mode(None)).program.order
    assert signature.signature_text(static) != signature.signature_text(
        _sum_nodes(lambda x: (x + 1).sum()))


def test_unspellable_prop_means_no_signature():
    class Odd:
        pass

    nodes = list(pi_nodes())
    odd = type(nodes[0].op).__new__(type(nodes[0].op))
    odd.__dict__.update(nodes[0].op.__dict__)
    odd.fold = Odd()  # a prop the signature cannot spell exactly
    fake = type("FakeNode", (), {"op": odd, "inputs": nodes[0].inputs,
                                 "outputs": nodes[0].outputs})()
    assert signature.signature_text([fake]) is None


def test_record_that_does_not_fit_the_nodes_is_ignored(cache_dir):
    x, y = symc.vector("x"), symc.vector("y")
    fgraph = symc.function([x, y], 4 * (x**2 + y**2 <= 1).sum() / x.shape[0]).fgraph
    nodes = fgraph.toposort()
    key = "f" * 64
    good = signature.load_record(jit.ir_key(signature.signature_text(nodes, fgraph)), nodes)
    assert good is not None and good.program == ["symc_program_one", "symc_program_list"]
    plan = good.kernels[0][2]
    for kernels, program in [([(len(nodes), "k0_fast", plan)], []),  # no such node
                             ([(good.kernels[0][0], "k0_fast", "not a plan")], []),
                             ([], []),
                             (good.kernels, [b"symc_program_one"])]:  # not a symbol name
        bad = signature.ModuleRecord(good.key, good.init, good.type_keys, kernels, program)
        signature.store_record(key, bad)
        assert signature.load_record(key, nodes) is None
