"""One-way dependencies between the tiers, read from the import statements of the source files.

The folders are the tiers (docs/architecture.md). A module imports only modules of its own
layer or of lower ones; the checker imports only the standard library, its own modules and
python-flint (through its linear-algebra gate); ``numba_kernels`` only numpy and numba; only
``tnverify.numeric`` imports ``numba_kernels``.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
STDLIB = set(sys.stdlib_module_names)

#: The layers, lowest first; a module may import its own layer and lower ones only.
LAYERS = [
    {"errors", "results", "numbers", "parallel", "budget", "files", "messages"},
    {"numeric"},
    {"exact", "networks", "certificate"},
    {"theory"},
    {"theorems"},
    {"cli", "bench", "plot", "pytest_plugin"},
]


def _layer(part: str) -> int:
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    raise AssertionError(f"tnverify.{part} belongs to no layer; add it to LAYERS")


def _imports(path: Path):
    """(absolute module name, line) of every import in ``path`` (relative imports resolved)."""
    pkg = list(path.relative_to(ROOT).with_suffix("").parts)
    if pkg[-1] == "__init__":
        pkg = pkg[:-1]
    else:
        pkg = pkg[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else [])), node.lineno
            else:
                yield node.module or "", node.lineno


def _sources(top: str):
    return sorted((ROOT / top).rglob("*.py"))


def test_every_module_belongs_to_a_layer_and_imports_only_downwards():
    bad = []
    for f in _sources("tnverify"):
        rel = f.relative_to(ROOT / "tnverify").parts
        if rel[0] == "checker" or rel == ("__init__.py",):
            continue
        mine = _layer(rel[0].removesuffix(".py"))
        for mod, line in _imports(f):
            parts = mod.split(".")
            if parts[0] != "tnverify" or len(parts) < 2:
                continue
            if parts[1] == "checker":
                if parts[1:] != ["checker"]:
                    bad.append(f"{f.relative_to(ROOT)}:{line} reaches into the checker's internals ({mod})")
                continue
            if _layer(parts[1]) > mine:
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod} from a higher layer")
    assert not bad, "\n".join(bad)


def test_the_checker_imports_only_the_stdlib_itself_and_its_engines_through_their_gate():
    """FLINT only in checker/linalg.py; numba and numpy only in checker/compiled.py, which only linalg imports."""
    bad = []
    for f in _sources("tnverify/checker"):
        for mod, line in _imports(f):
            top = mod.split(".")[0]
            if top == "flint" or mod == "tnverify.checker.compiled":
                if f.name != "linalg.py":
                    bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod} outside the gate checker/linalg.py")
            elif top in ("numba", "numpy"):
                if f.name != "compiled.py":
                    bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod} outside checker/compiled.py")
            elif mod.startswith("tnverify.") and not mod.startswith("tnverify.checker"):
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod}")
            elif top not in STDLIB and top != "tnverify":
                bad.append(f"{f.relative_to(ROOT)}:{line} imports {mod}")
    for f in _sources("tnverify"):
        for node in ast.walk(ast.parse(f.read_text())):
            if (isinstance(node, ast.ImportFrom) and node.module == "tnverify.checker"
                    and any(a.name == "compiled" for a in node.names) and f.name != "linalg.py"):
                bad.append(f"{f.relative_to(ROOT)}:{node.lineno} imports checker.compiled outside checker/linalg.py")
    assert not bad, "\n".join(bad)


def test_numba_kernels_import_only_numpy_and_numba():
    for f in _sources("numba_kernels"):
        for mod, line in _imports(f):
            top = mod.split(".")[0]
            assert top in STDLIB | {"numpy", "numba", "numba_kernels"}, f"{f.name}:{line} imports {mod}"


def test_only_the_numeric_tier_imports_numba_kernels():
    for f in _sources("tnverify"):
        rel = f.relative_to(ROOT / "tnverify").parts
        for mod, line in _imports(f):
            if mod.split(".")[0] == "numba_kernels":
                assert rel[0] == "numeric", f"{f.relative_to(ROOT)}:{line} imports {mod}; go through tnverify.numeric"


def test_no_string_loaders():
    """Modules are imported by import statements, never by importlib strings (user code aside)."""
    allowed = {"user_forward.py", "forward.py"}  # a user's own forward pass is loaded from the file they name
    for f in _sources("tnverify"):
        if f.name in allowed:
            continue
        text = f.read_text()
        assert "import_module(" not in text and "__import__(" not in text, f"{f.relative_to(ROOT)} loads by name"


def test_cli_start_up_does_not_import_the_numeric_stack():
    """Every command (even --version) builds the parser: it must stay cheap."""
    import subprocess

    code = ("import sys, tnverify.cli as c; c.build_parser(); "
            "heavy = [m for m in ('numba', 'flint', 'networkx', 'sympy', 'matplotlib') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.strip()
    assert out == "[]", out
