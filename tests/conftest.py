"""Shared test settings: every pass is followed by ``FunctionGraph.check()``, and value tests
run in each mode/backend combination."""

from __future__ import annotations

import numpy as np
import pytest

import symc
from symc.passes import pipeline

pipeline.CHECK_AFTER_EACH_PASS = True

#: (optimizer, backend): both rewrite levels on both backends, plus no rewriting at all.
MODES = [
    symc.Mode("fast_run", "llvm"),
    symc.Mode("fast_run", "numpy"),
    symc.Mode("fast_compile", "llvm"),
    symc.Mode("fast_compile", "numpy"),
]
MODE_IDS = [f"{m.optimizer}-{m.backend}" for m in MODES]


@pytest.fixture(params=MODES, ids=MODE_IDS)
def mode(request):
    """Each of the four mode/backend combinations in turn."""
    return request.param


@pytest.fixture
def rng():
    """A seeded generator, so failures reproduce."""
    return np.random.default_rng(20261121)
