"""``Mode``: which rewrites run (``optimizer``) and which backend runs the nodes first."""

from __future__ import annotations

from symc.config import config

_OPTIMIZERS = ("fast_run", "fast_compile", None)
_BACKENDS = ("llvm", "numpy")


class Mode:
    """``Mode(optimizer="fast_run"|"fast_compile"|None, backend="llvm"|"numpy")``."""

    def __init__(self, optimizer="fast_run", backend="llvm"):
        if optimizer == "None":
            optimizer = None
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"Mode: optimizer must be one of {_OPTIMIZERS}, got {optimizer!r}")
        if backend not in _BACKENDS:
            raise ValueError(f"Mode: backend must be one of {_BACKENDS}, got {backend!r}")
        self.optimizer = optimizer
        self.backend = backend

    def __eq__(self, other):
        return isinstance(other, Mode) and (self.optimizer, self.backend) == (
            other.optimizer, other.backend)

    def __hash__(self):
        return hash((self.optimizer, self.backend))

    def __repr__(self):
        return f"Mode(optimizer={self.optimizer!r}, backend={self.backend!r})"


FAST_RUN = Mode("fast_run", "llvm")
FAST_COMPILE = Mode("fast_compile", "numpy")
_NAMED = {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE}


def get_mode(mode) -> Mode:
    """A ``Mode`` from ``None`` (the config's), a name (``"FAST_RUN"``) or a ``Mode``."""
    if mode is None:
        return Mode(config.optimizer, config.backend)
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str) and mode.upper() in _NAMED:
        return _NAMED[mode.upper()]
    raise ValueError(f"unknown mode {mode!r}; use 'FAST_RUN', 'FAST_COMPILE' or symc.Mode(...)")
