"""The core never imports a backend: the IR, the ops and the user's vocabulary load no module of
``symc.backends`` (DESIGN.md, "Rules that keep the house livable")."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

import symc

SYMC_DIR = pathlib.Path(symc.__file__).parent


def loaded_after(statement: str) -> list[str]:
    """The ``symc`` modules a fresh interpreter has loaded after running ``statement``."""
    code = (f"import sys, json\n{statement}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('symc'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_graph_ops_and_tensor_load_no_backend():
    modules = loaded_after("import symc.graph, symc.ops, symc.tensor")
    assert "symc.tensor" in modules and "symc.graph.basic" in modules
    assert "symc.ops.scalar" in modules
    assert not [m for m in modules if m.startswith("symc.backends")], modules


def test_passes_and_building_expressions_load_no_backend():
    modules = loaded_after(
        "import symc, symc.passes.pipeline\n"
        "x = symc.dvector('x')\n"
        "y = (symc.exp(x) + 1).sum() + symc.dot(x, x) + x[0] + x.reshape((-1, 1)).max()")
    assert not [m for m in modules if m.startswith("symc.backends")], modules


def test_compiling_with_numpy_loads_no_llvm():
    modules = loaded_after(
        "import symc\n"
        "x = symc.dvector('x')\n"
        "f = symc.function([x], x + 1, mode=symc.Mode('fast_run', 'numpy'))\n"
        "f([1.0])")
    assert "symc.backends.numpy" in modules
    assert not [m for m in modules if m.startswith("symc.backends.llvm")], modules


def symc_imports(path: pathlib.Path) -> set[str]:
    """The ``symc`` subpackages (``symc.X``) a source file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                found.add("a relative import")
                continue
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(".".join(n.split(".")[:2]) for n in names if n.split(".")[0] == "symc")
    return found


#: DESIGN.md's table: what each layer may import (config is a leaf anyone may read).
ALLOWED = {
    "graph": {"symc.graph"},
    "ops": {"symc.graph", "symc.ops"},
    "tensor.py": {"symc.graph", "symc.ops", "symc.config"},
}


@pytest.mark.parametrize("layer", list(ALLOWED))
def test_layers_import_only_what_design_allows(layer):
    path = SYMC_DIR / layer
    files = [path] if path.suffix else sorted(path.rglob("*.py"))
    assert files
    for file in files:
        extra = symc_imports(file) - ALLOWED[layer]
        assert not extra, f"{file.relative_to(SYMC_DIR)} imports {sorted(extra)}"
