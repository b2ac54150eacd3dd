"""``symc.config``: defaults, ``SYMC_FLAGS`` and ``OMP_NUM_THREADS`` at import, ``change()``,
validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import symc

READ_CONFIG = """
import json, symc
c = symc.config
print(json.dumps({"floatX": c.floatX, "num_threads": c.num_threads, "backend": c.backend,
                  "optimizer": c.optimizer, "profile": c.profile, "cache_dir": c.cache_dir,
                  "vector": symc.vector().dtype, "mode": repr(symc.function([], []).mode)}))
"""


def import_config(**env) -> dict:
    """The settings a fresh interpreter reads at import under environment ``env``."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SYMC_FLAGS", "OMP_NUM_THREADS")}
    clean.update(env)
    proc = subprocess.run([sys.executable, "-c", READ_CONFIG], env=clean, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def import_error(**env) -> str:
    """stderr of a fresh ``import symc`` that must fail under environment ``env``."""
    proc = subprocess.run([sys.executable, "-c", "import symc"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, f"import symc succeeded with {env}"
    return proc.stderr


def test_defaults():
    settings = import_config()
    assert settings["floatX"] == "float64" and settings["vector"] == "float64"
    assert settings["backend"] == "llvm" and settings["optimizer"] == "fast_run"
    assert settings["profile"] is False
    assert settings["num_threads"] == len(os.sched_getaffinity(0))
    assert settings["cache_dir"]
    assert settings["mode"] == repr(symc.Mode("fast_run", "llvm"))


def test_symc_flags_are_read_at_import():
    settings = import_config(SYMC_FLAGS="num_threads=2,backend=numpy,floatX=float32")
    assert settings["num_threads"] == 2
    assert settings["backend"] == "numpy"
    assert settings["floatX"] == "float32" and settings["vector"] == "float32"
    assert settings["mode"] == repr(symc.Mode("fast_run", "numpy"))
    settings = import_config(SYMC_FLAGS=" optimizer = fast_compile , profile=False,,")
    assert settings["optimizer"] == "fast_compile" and settings["profile"] is False


def test_omp_num_threads_and_its_override():
    assert import_config(OMP_NUM_THREADS="3")["num_threads"] == 3
    assert import_config(OMP_NUM_THREADS="3", SYMC_FLAGS="num_threads=5")["num_threads"] == 5


@pytest.mark.parametrize("flags", ["floatX=float16", "num_threads=0", "backend=cuda",
                                   "num_threads", "no_such_setting=1"])
def test_bad_symc_flags_fail_at_import(flags):
    stderr = import_error(SYMC_FLAGS=flags)
    assert ("ValueError" in stderr or "AttributeError" in stderr), stderr
    assert flags.split("=")[0] in stderr


def test_change_sets_and_restores():
    before = (symc.config.num_threads, symc.config.floatX, symc.config.backend)
    with symc.config.change(num_threads=1, floatX="float32", backend="numpy") as cfg:
        assert cfg is symc.config
        assert (symc.config.num_threads, symc.config.floatX, symc.config.backend) == (
            1, "float32", "numpy")
    assert (symc.config.num_threads, symc.config.floatX, symc.config.backend) == before


def test_change_restores_after_an_exception():
    before = symc.config.floatX
    with pytest.raises(RuntimeError), symc.config.change(floatX="float32"):
        assert symc.config.floatX == "float32"
        raise RuntimeError("inside the block")
    assert symc.config.floatX == before


def test_change_with_an_invalid_value_leaves_config_unchanged():
    before = (symc.config.num_threads, symc.config.floatX)
    with pytest.raises(ValueError), symc.config.change(num_threads=1, floatX="int8"):
        pass
    assert (symc.config.num_threads, symc.config.floatX) == before


@pytest.mark.parametrize(("name", "value"), [
    ("floatX", "float16"), ("floatX", "int32"), ("num_threads", 0), ("num_threads", -2),
    ("num_threads", "many"), ("backend", "cuda"), ("optimizer", "O3"), ("profile", "maybe"),
])
def test_invalid_values_raise_value_error(name, value):
    before = getattr(symc.config, name)
    with pytest.raises(ValueError) as info:
        setattr(symc.config, name, value)
    assert name in str(info.value) or str(value) in str(info.value)
    assert getattr(symc.config, name) == before


def test_unknown_setting_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such"):
        symc.config.no_such = 1
    with pytest.raises(AttributeError):
        symc.config.no_such  # noqa: B018
    with pytest.raises(AttributeError), symc.config.change(no_such=1):
        pass


def test_valid_values_are_normalized():
    with symc.config.change(num_threads="3", profile="yes", optimizer=None):
        assert symc.config.num_threads == 3
        assert symc.config.profile is True
        assert symc.config.optimizer in (None, "None")


def test_floatx_float32_makes_default_tensors_float32():
    with symc.config.change(floatX="float32"):
        assert symc.vector().dtype == "float32"
        assert symc.scalar("s").dtype == "float32"
        assert symc.matrix().dtype == "float32"
        assert symc.tensor("t", shape=(None, 1)).dtype == "float32"
        assert symc.dvector().dtype == "float64"  # typed constructors keep their dtype
        assert symc.vector(dtype="int32").dtype == "int32"
    assert symc.vector().dtype == symc.config.floatX
