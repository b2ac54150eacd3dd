"""The compile cache: stable keys, entry framing, corrupt entries, concurrent and failed writes."""

import ctypes
import json
import os
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import symc
from symc.backends.llvm import codecache, jit
from symc.backends.llvm.codecache import CodeCache, cache_key, decode_entry, encode_entry

SCALE_IR = """
define void @scale(ptr %x, i64 %n) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%next, %loop]
  %p = getelementptr inbounds double, ptr %x, i64 %i
  %v = load double, ptr %p
  %w = fmul double %v, FACTOR
  store double %w, ptr %p
  %next = add nuw nsw i64 %i, 1
  %more = icmp slt i64 %next, %n
  br i1 %more, label %loop, label %done
done:
  ret void
}
"""

# A child process: wait until time argv[3] (so siblings start together), compile argv[1]
# for function argv[2], run it on [0, 1, 2, 3], print the values and where the code came from.
CHILD = textwrap.dedent(
    """
    import ctypes, json, sys, time
    import numpy as np
    from symc.backends.llvm import jit
    time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
    lib = jit.compile_ir(sys.argv[1], [sys.argv[2]])
    x = np.arange(4.0)
    ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(lib.address(sys.argv[2]))(
        x.ctypes.data, x.size)
    print(json.dumps({"stats": jit.stats, "cache": lib.cache, "values": x.tolist()}))
    """
)


def scale_ir(factor):
    """Return IR of ``void scale(double* x, i64 n)`` multiplying ``x`` in place by ``factor``."""
    return SCALE_IR.replace("FACTOR", f"{float(factor)!r}")


@pytest.fixture
def cache_dir(tmp_path):
    """Point the compile cache at an empty folder and start with empty memory and counters."""
    jit.clear_memory_cache()
    jit.reset_stats()
    with symc.config.change(cache_dir=str(tmp_path)):
        yield tmp_path
    jit.clear_memory_cache()


def run_scale(lib, values):
    """Call ``scale`` from ``lib`` on a copy of ``values`` and return it."""
    x = np.array(values, dtype=np.float64)
    ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(lib.address("scale"))(
        x.ctypes.data, x.size
    )
    return x


def start_child(cache_dir, ir_text, at=0.0):
    """Start a Python process that compiles and runs ``scale`` with ``cache_dir`` at time ``at``."""
    env = dict(os.environ, SYMC_FLAGS=f"cache_dir={cache_dir}")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, ir_text, "scale", repr(at)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def child_report(process):
    """Wait for a child from :func:`start_child` and return its JSON report."""
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return json.loads(out)


def entry_path(ir_text):
    """Return the cache file for ``ir_text`` under the current ``config.cache_dir``."""
    host = jit.host()
    key = cache_key(ir_text, host.cpu_name, host.cpu_features, jit.PIPELINE)
    return codecache.code_cache.path(key)


def test_key_depends_on_ir_and_machine():
    base = cache_key("ir", "znver5", "+avx")
    assert base == cache_key("ir", "znver5", "+avx")
    assert len(base) == 64
    others = {
        cache_key("ir2", "znver5", "+avx"),
        cache_key("ir", "znver4", "+avx"),
        cache_key("ir", "znver5", "-avx"),
        cache_key("ir", "znver5", "+avx", "O2"),
        cache_key("i", "rznver5", "+avx"),  # moving text between fields changes the key
    }
    assert base not in others and len(others) == 5


def test_key_is_the_same_in_another_process():
    code = "from symc.backends.llvm.codecache import cache_key; print(cache_key('ir', 'c', 'f'))"
    # A different hash seed must not matter: the key is a content hash, not hash().
    env = dict(os.environ, PYTHONHASHSEED="12345")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == cache_key("ir", "c", "f")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # truncated payload
        lambda data: data[:10],  # truncated header
        lambda data: b"",
        lambda data: b"X" + data[1:],  # wrong magic
        lambda data: data[:-5] + bytes([data[-5] ^ 0x40]) + data[-4:],  # flipped payload bit
        lambda data: data + b"\x00",  # trailing garbage
    ],
    ids=["short-payload", "short-header", "empty", "magic", "bit-flip", "trailing"],
)
def test_damaged_entries_are_rejected(damage):
    data = encode_entry(b"object code" * 100)
    assert decode_entry(data) == b"object code" * 100
    assert decode_entry(damage(data)) is None


def test_entry_goes_to_memory_and_disk(tmp_path):
    cache = CodeCache()
    with symc.config.change(cache_dir=str(tmp_path)):
        assert cache.get("k" * 64) is None
        cache.put("k" * 64, b"payload")
        assert cache.get("k" * 64) == (b"payload", "memory")
        cache.clear_memory()
        assert cache.get("k" * 64) == (b"payload", "disk")
        assert cache.get("k" * 64) == (b"payload", "memory")
        assert os.listdir(cache.directory()) == ["k" * 64 + ".o"]  # no temp files left
    with symc.config.change(cache_dir=str(tmp_path / "elsewhere")):
        cache.clear_memory()
        assert cache.get("k" * 64) is None  # the folder is read at every call


def test_signature_entries_are_framed_apart_from_object_code(tmp_path):
    sig_magic = codecache.signature_cache.magic
    assert sig_magic != codecache.code_cache.magic
    framed = encode_entry(b"payload")
    assert decode_entry(framed) == b"payload"
    assert decode_entry(framed, sig_magic) is None  # object code is never read as a record
    assert decode_entry(encode_entry(b"record", sig_magic), sig_magic) == b"record"
    cache = CodeCache("records", ".sig", sig_magic)
    with symc.config.change(cache_dir=str(tmp_path)):
        cache.put("k" * 64, b"record")
        assert os.listdir(tmp_path / "records") == ["k" * 64 + ".sig"]
        cache.clear_memory()
        assert cache.get("k" * 64) == (b"record", "disk")
        # The same bytes framed as object code are rejected (and deleted) by this cache.
        (tmp_path / "records" / ("j" * 64 + ".sig")).write_bytes(encode_entry(b"record"))
        assert cache.get("j" * 64) is None
        assert not (tmp_path / "records" / ("j" * 64 + ".sig")).exists()


@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_corrupt_entry_is_rebuilt(cache_dir, how):
    ir_text = scale_ir(3.0)
    jit.compile_ir(ir_text, ["scale"])
    path = entry_path(ir_text)
    good = open(path, "rb").read()
    with open(path, "r+b") as f:
        if how == "truncate":
            f.truncate(len(good) // 2)
        else:
            f.seek(len(good) // 2)
            f.write(bytes([good[len(good) // 2] ^ 0xFF]))
    jit.clear_memory_cache()
    lib = jit.compile_ir(ir_text, ["scale"])
    assert lib.cache == "miss" and jit.stats["disk_hits"] == 0
    np.testing.assert_array_equal(run_scale(lib, [1.0, -2.0]), [3.0, -6.0])
    assert decode_entry(open(path, "rb").read()) is not None


def test_corrupt_entry_is_rebuilt_in_a_fresh_process(cache_dir):
    ir_text = scale_ir(5.0)
    jit.compile_ir(ir_text, ["scale"])
    path = entry_path(ir_text)
    with open(path, "r+b") as f:
        f.seek(-3, os.SEEK_END)
        f.write(b"\x00\x01\x02")
    report = child_report(start_child(cache_dir, ir_text))
    assert report["cache"] == "miss" and report["stats"]["codegen"] == 1
    assert report["values"] == [0.0, 5.0, 10.0, 15.0]
    assert decode_entry(open(path, "rb").read()) is not None
    # The rebuilt entry serves the next process.
    assert child_report(start_child(cache_dir, ir_text))["cache"] == "disk"


def test_concurrent_writers_leave_a_valid_entry(cache_dir):
    ir_text = scale_ir(7.0)
    start = time.time() + 1.0  # after every child has imported llvmlite
    children = [start_child(cache_dir, ir_text, at=start) for _ in range(3)]
    reports = [child_report(child) for child in children]
    assert all(r["values"] == [0.0, 7.0, 14.0, 21.0] for r in reports)
    path = entry_path(ir_text)
    assert decode_entry(open(path, "rb").read()) is not None
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]
    lib = jit.compile_ir(ir_text, ["scale"])
    assert lib.cache == "disk"
    np.testing.assert_array_equal(run_scale(lib, [1.0]), [7.0])


# A child process: write one key (argv[1]) again and again from time argv[2] on, reading it back
# from disk each time; a reader must only ever see a whole entry.
HAMMER = textwrap.dedent(
    """
    import sys, time
    from symc.backends.llvm.codecache import CodeCache
    cache, payload = CodeCache(), bytes(range(256)) * 1024
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
    for _ in range(30):
        cache.put(sys.argv[1], payload)
        cache.clear_memory()
        assert cache.get(sys.argv[1]) == (payload, "disk")
    """
)


def test_concurrent_puts_of_one_key_never_expose_a_partial_entry(tmp_path):
    env = dict(os.environ, SYMC_FLAGS=f"cache_dir={tmp_path}")
    start = repr(time.time() + 0.5)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", HAMMER, "k" * 64, start],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    cache = CodeCache()
    with symc.config.change(cache_dir=str(tmp_path)):
        assert cache.get("k" * 64) == (bytes(range(256)) * 1024, "disk")
        assert os.listdir(cache.directory()) == ["k" * 64 + ".o"]


def test_unwritable_cache_dir_warns_once_and_still_compiles(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    jit.clear_memory_cache()
    with symc.config.change(cache_dir=str(blocker / "cache")):
        with pytest.warns(RuntimeWarning, match="cannot write its compile cache"):
            lib = jit.compile_ir(scale_ir(2.0), ["scale"])
        np.testing.assert_array_equal(run_scale(lib, [4.0]), [8.0])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            other = jit.compile_ir(scale_ir(9.0), ["scale"])
        np.testing.assert_array_equal(run_scale(other, [1.0]), [9.0])
        del lib
        assert jit.compile_ir(scale_ir(2.0), ["scale"]).cache == "memory"
    jit.clear_memory_cache()
