"""symc's settings: one object, read from ``SYMC_FLAGS`` and ``OMP_NUM_THREADS`` at import.

>>> import symc
>>> symc.config.floatX
'float64'
>>> with symc.config.change(num_threads=1):
...     pass
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields

_FLOAT_TYPES = ("float32", "float64")
_BACKENDS = ("llvm", "numpy")
_OPTIMIZERS = ("fast_run", "fast_compile", "None")


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "symc")


def _default_num_threads() -> int:
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    if omp.isdigit() and int(omp) > 0:
        return int(omp)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class Config:
    """The settings; assign attributes, or use :meth:`change` for a block."""

    floatX: str = "float64"
    num_threads: int = field(default_factory=_default_num_threads)
    backend: str = "llvm"
    optimizer: str = "fast_run"
    profile: bool = False
    cache_dir: str = field(default_factory=_default_cache_dir)
    #: LLVM fast-math flags on float instructions; never ``nnan``/``ninf`` (NaN and inf exist).
    fastmath: str = "reassoc nsz arcp contract afn"
    #: ``True`` uses symc's vectorisable maths in LLVM kernels; ``False`` calls libm.
    simd_math: bool = True

    def __setattr__(self, name: str, value) -> None:
        if name not in _FIELD_NAMES:
            raise AttributeError(f"symc.config has no setting {name!r}; "
                                 f"known: {sorted(_FIELD_NAMES)}")
        object.__setattr__(self, name, _validate(name, value))

    @contextlib.contextmanager
    def change(self, **settings):
        """Set some settings for the duration of a ``with`` block."""
        old = {name: getattr(self, name) for name in settings}
        try:
            for name, value in settings.items():
                setattr(self, name, value)
            yield self
        finally:
            for name, value in old.items():
                setattr(self, name, value)


_FIELD_NAMES = frozenset(f.name for f in fields(Config))


def _parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected a boolean, got {value!r}")


def _validate(name: str, value):
    if name == "floatX":
        if value not in _FLOAT_TYPES:
            raise ValueError(f"config.floatX must be one of {_FLOAT_TYPES}, got {value!r}")
    elif name == "num_threads":
        value = int(value)
        if value < 1:
            raise ValueError(f"config.num_threads must be >= 1, got {value}")
    elif name == "backend":
        if value not in _BACKENDS:
            raise ValueError(f"config.backend must be one of {_BACKENDS}, got {value!r}")
    elif name == "optimizer":
        value = "None" if value is None else value
        if value not in _OPTIMIZERS:
            raise ValueError(f"config.optimizer must be one of {_OPTIMIZERS}, got {value!r}")
    elif name in ("profile", "simd_math"):
        value = _parse_bool(value)
    elif name in ("cache_dir", "fastmath"):
        value = str(value)
        if name == "fastmath" and ({"nnan", "ninf", "fast"} & set(value.split())):
            raise ValueError("config.fastmath may not contain nnan, ninf or fast: "
                             "NaN and inf exist")
    return value


def parse_flags(text: str) -> dict[str, str]:
    """Parse ``"k=v,k=v"`` (the ``SYMC_FLAGS`` format) into a dict."""
    settings = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"SYMC_FLAGS entry {item!r} is not of the form key=value")
        settings[key.strip()] = value.strip()
    return settings


def _from_environment() -> Config:
    config = Config()
    for key, value in parse_flags(os.environ.get("SYMC_FLAGS", "")).items():
        setattr(config, key, value)
    return config


config = _from_environment()
