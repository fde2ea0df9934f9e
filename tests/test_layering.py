"""One-way dependencies, read from the import statements of the source files."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
STDLIB = set(sys.stdlib_module_names)

#: module -> tnverify modules it must never import (directly)
FORBIDDEN = {
    "errors": {"*"},
    "modular": {"exact", "tensor", "certificate", "network", "cli", "theorems", "bench", "numeric"},
    "exact": {"tensor", "certificate", "network", "cli", "theorems", "bench", "numeric"},
    "tensor": {"certificate", "network", "cli", "theorems", "bench"},
    "io": {"certificate", "cli", "theorems", "bench"},
    "certificate": {"cli", "theorems", "bench", "checker"},
    "parallel": {"cli", "theorems", "bench"},
}


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield (node.module or ""), node.level


def _tnverify_targets(path: Path):
    """Names of tnverify modules imported by a module of the tnverify package."""
    pkg = path.parent.relative_to(ROOT).parts  # ("tnverify",) or ("tnverify", "theorems")
    for mod, level in _imports(path):
        if level:
            base = list(pkg[: len(pkg) - level + 1])
            full = ".".join(base + ([mod] if mod else []))
        else:
            full = mod
        if full.startswith("tnverify.") or full == "tnverify":
            yield full.split(".")[1] if "." in full else ""


def test_numba_kernels_import_only_numpy_and_numba():
    for f in (ROOT / "numba_kernels").glob("*.py"):
        for mod, level in _imports(f):
            top = mod.split(".")[0]
            assert level or top in STDLIB | {"numpy", "numba"}, f"{f.name} imports {mod}"


def test_only_wrappers_import_numba_kernels():
    allowed = {"numeric.py", "modular.py", "modular_kruskal.py"}
    for f in (ROOT / "tnverify").rglob("*.py"):
        for mod, _ in _imports(f):
            if mod.split(".")[0] == "numba_kernels":
                assert f.name in allowed, f"{f.relative_to(ROOT)} imports numba_kernels; go through numeric/modular"


def test_lower_layers_do_not_import_upper_layers():
    for name, bad in FORBIDDEN.items():
        f = ROOT / "tnverify" / f"{name}.py"
        targets = set(_tnverify_targets(f)) - {""}
        if "*" in bad:
            assert not targets, f"{name}.py imports {targets}"
        else:
            assert not targets & bad, f"{name}.py imports {targets & bad}"


def test_no_tnverify_module_imports_the_checker_internals_except_faces():
    """The prover never reaches into the checker's code (only faces call check())."""
    for f in (ROOT / "tnverify").glob("*.py"):
        for mod, level in _imports(f):
            assert "checker._core" not in mod and "checker.linalg" not in mod, f"{f.name} imports {mod}"


def test_cli_start_up_does_not_import_the_numeric_stack():
    """Every command (even --version) builds the parser: it must stay cheap."""
    import subprocess

    code = ("import sys, tnverify.cli as c; c.build_parser(); "
            "heavy = [m for m in ('numba', 'flint', 'networkx', 'sympy', 'matplotlib') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out
