"""The LLVM JIT: compiling hand-written IR, vectorization, and cache hits that do no LLVM work."""

import ctypes
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import symc
from symc.backends.llvm import jit

FASTMATH = "reassoc nsz arcp contract afn"

ADD1_IR = """
define void @add1(ptr %x, i64 %n) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %p = getelementptr inbounds double, ptr %x, i64 %i
  %v = load double, ptr %p
  %w = fadd double %v, 1.0
  store double %w, ptr %p
  %next = add nuw nsw i64 %i, 1
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}
"""

# y[i] = x[i]*x[i] + z[i]*z[i]: the loop vectorizer must turn this into packed SIMD.
SUMSQ_IR = f"""
define void @sumsq(ptr noalias %x, ptr noalias %z, ptr noalias %y, i64 %n) {{
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %px = getelementptr inbounds double, ptr %x, i64 %i
  %pz = getelementptr inbounds double, ptr %z, i64 %i
  %py = getelementptr inbounds double, ptr %y, i64 %i
  %vx = load double, ptr %px
  %vz = load double, ptr %pz
  %xx = fmul {FASTMATH} double %vx, %vx
  %zz = fmul {FASTMATH} double %vz, %vz
  %s = fadd {FASTMATH} double %xx, %zz
  store double %s, ptr %py
  %next = add nuw nsw i64 %i, 1
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}}
"""

# Calls libm's exp: the JIT must resolve symbols of the running process.
EXP_IR = """
declare double @exp(double)

define void @exp_inplace(ptr %x, i64 %n) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %p = getelementptr inbounds double, ptr %x, i64 %i
  %v = load double, ptr %p
  %e = call double @exp(double %v)
  store double %e, ptr %p
  %next = add nuw nsw i64 %i, 1
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}
"""

INPLACE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)

# A child process: compile IR (argv[1]) for function argv[2], run it in place on [0, 1, 2, 3]
# and print what the JIT did.
CHILD = textwrap.dedent(
    """
    import ctypes, json, sys
    import numpy as np
    from symc.backends.llvm import jit
    lib = jit.compile_ir(sys.argv[1], [sys.argv[2]])
    x = np.arange(4.0)
    ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(lib.address(sys.argv[2]))(
        x.ctypes.data, x.size)
    print(json.dumps({"stats": jit.stats, "cache": lib.cache, "values": x.tolist()}))
    """
)


@pytest.fixture
def cache_dir(tmp_path):
    """Point the compile cache at an empty folder and start with empty memory and counters."""
    jit.clear_memory_cache()
    jit.reset_stats()
    with symc.config.change(cache_dir=str(tmp_path)):
        yield tmp_path
    jit.clear_memory_cache()


def run_inplace(lib, name, values):
    """Call ``void name(double*, i64)`` from ``lib`` on a copy of ``values``; return it."""
    x = np.array(values, dtype=np.float64)
    INPLACE(lib.address(name))(x.ctypes.data, x.size)
    return x


def run_child(cache_dir, ir_text, name):
    """Compile and run ``name`` in a new process sharing ``cache_dir``; return its report."""
    env = dict(os.environ, SYMC_FLAGS=f"cache_dir={cache_dir}")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, ir_text, name],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_compiles_and_calls_a_kernel(cache_dir):
    lib = jit.compile_ir(ADD1_IR, ["add1"])
    np.testing.assert_array_equal(run_inplace(lib, "add1", [1.5, -2.0, 0.0]), [2.5, -1.0, 1.0])
    assert lib.cache == "miss"
    assert lib.names == ["add1"]
    assert set(lib.timings) == {"parse", "optimize", "codegen", "load"}
    assert lib.timings["optimize"] > 0 and lib.timings["codegen"] > 0


def test_vectorizable_loop_uses_packed_simd():
    if "+avx2" not in jit.host().cpu_features:
        pytest.skip("host has no AVX2")
    asm = jit.assembly(SUMSQ_IR)
    assert re.search(r"\bv(mul|fmadd\w*)pd\b", asm), asm
    assert re.search(r"%[yz]mm\d", asm), asm
    assert re.search(r"<[48] x double>", jit.optimize_ir(SUMSQ_IR))


def test_vectorized_kernel_gives_right_values(cache_dir):
    lib = jit.compile_ir(SUMSQ_IR, ["sumsq"])
    rng = np.random.default_rng(0)
    x, z = rng.standard_normal(1001), rng.standard_normal(1001)
    y = np.empty_like(x)
    fn = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * 3, ctypes.c_int64)(lib.address("sumsq"))
    fn(x.ctypes.data, z.ctypes.data, y.ctypes.data, x.size)
    np.testing.assert_allclose(y, x * x + z * z, rtol=1e-15)


def test_memory_hit_does_no_llvm_work(cache_dir):
    first = jit.compile_ir(ADD1_IR, ["add1"])
    work = {name: jit.stats[name] for name in ("parsed", "optimized", "codegen")}
    assert work == {"parsed": 1, "optimized": 1, "codegen": 1}
    second = jit.compile_ir(ADD1_IR, ["add1"])
    assert {name: jit.stats[name] for name in work} == work
    assert (jit.stats["misses"], jit.stats["memory_hits"]) == (1, 1)
    assert second.cache == "memory"
    assert second.timings == {"parse": 0.0, "optimize": 0.0, "codegen": 0.0, "load": 0.0}
    np.testing.assert_array_equal(run_inplace(second, "add1", [1.0]), [2.0])
    del first
    np.testing.assert_array_equal(run_inplace(second, "add1", [2.0]), [3.0])


def test_memory_hit_after_library_died_reloads_without_compiling(cache_dir):
    jit.compile_ir(ADD1_IR, ["add1"])  # dropped at once: its engine dies
    lib = jit.compile_ir(ADD1_IR, ["add1"])
    assert lib.cache == "memory"
    assert jit.stats["optimized"] == 1 and jit.stats["loaded"] == 2
    np.testing.assert_array_equal(run_inplace(lib, "add1", [0.5]), [1.5])


def test_disk_hit_in_a_second_process_does_no_llvm_work(cache_dir):
    jit.compile_ir(ADD1_IR, ["add1"])
    report = run_child(cache_dir, ADD1_IR, "add1")
    assert report["cache"] == "disk"
    assert report["stats"]["optimized"] == 0 and report["stats"]["codegen"] == 0
    assert report["stats"]["parsed"] == 0 and report["stats"]["disk_hits"] == 1
    assert report["values"] == [1.0, 2.0, 3.0, 4.0]


def test_libm_call_on_miss_and_on_disk_hit(cache_dir):
    lib = jit.compile_ir(EXP_IR, ["exp_inplace"])
    np.testing.assert_allclose(
        run_inplace(lib, "exp_inplace", [0.0, 1.0, -2.0]), np.exp([0.0, 1.0, -2.0]), rtol=1e-15
    )
    report = run_child(cache_dir, EXP_IR, "exp_inplace")
    assert report["cache"] == "disk" and report["stats"]["codegen"] == 0
    np.testing.assert_allclose(report["values"], np.exp(np.arange(4.0)), rtol=1e-15)


def test_unparsable_ir_names_the_line(cache_dir):
    bad = ADD1_IR.replace("fadd double", "fadd dubble")
    with pytest.raises(jit.CompileError, match=r"does not parse(.|\n)*line \d+: %w = fadd dubble"):
        jit.compile_ir(bad, ["add1"])


def test_missing_function_is_an_error(cache_dir):
    with pytest.raises(jit.CompileError, match="no function named.*'nope'.*defines.*'add1'"):
        jit.compile_ir(ADD1_IR, ["nope"])
    lib = jit.compile_ir(ADD1_IR, ["add1"])
    with pytest.raises(jit.CompileError, match="no function named 'nope'"):
        jit.compile_ir(ADD1_IR, ["add1", "nope"])  # a memory hit checks names too
    with pytest.raises(KeyError, match="'nope' is not among"):
        lib.address("nope")


def test_target_machine_is_built_for_the_host():
    tm = jit.target_machine()
    assert tm is jit.target_machine()
    assert tm.triple == jit.host().triple
    assert jit.host().cpu_name and jit.host().cpu_name != "generic"


def test_cached_library_loads_by_key_without_llvm_work(cache_dir):
    assert jit.cached_library("0" * 64, ["add1"]) is None  # never compiled
    first = jit.compile_ir(ADD1_IR, ["add1"])
    assert first.key == jit.ir_key(ADD1_IR)
    del first
    jit.clear_memory_cache()
    jit.reset_stats()
    lib = jit.cached_library(jit.ir_key(ADD1_IR), ["add1"])
    assert lib is not None and lib.cache == "disk"
    assert (jit.stats["parsed"], jit.stats["optimized"], jit.stats["codegen"]) == (0, 0, 0)
    np.testing.assert_array_equal(run_inplace(lib, "add1", [1.0]), [2.0])
    # A name the object code lacks makes it unusable for the caller, not an error.
    assert jit.cached_library(jit.ir_key(ADD1_IR), ["add1", "nope"]) is None


def test_libm_loads_without_running_ldconfig(monkeypatch):
    """Loading libm by soname must not fall back to ctypes.util (a subprocess, ~15 ms)."""
    import ctypes.util

    def forbidden(name):
        raise AssertionError("find_library ran")

    monkeypatch.setattr(ctypes.util, "find_library", forbidden)
    if sys.platform.startswith("linux"):
        jit._load_libm()
