"""Every public function and class of ``tnverify`` has a docstring, and docstrings cite only the repository.

Public means no leading underscore, or listed in the module's ``__all__``. A docstring may point to
the repository's own docs (``docs/...``) and to the literature, never to files outside the
repository. The content of a docstring is a matter for review, not for this test.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import tnverify

#: Names of files outside the repository that a docstring must not cite.
OUTSIDE = ("MATH.md", "CATALOG.md", "DESIGN.md", "LAYOUT.md", "../shared")
#: Modules that run something when imported.
SKIP = {"tnverify.cli.__main__"}


def _module_names() -> list[str]:
    names = [tnverify.__name__]
    for info in pkgutil.walk_packages(tnverify.__path__, prefix=tnverify.__name__ + "."):
        if info.name not in SKIP:
            names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def _own_public(module) -> list[tuple[str, object]]:
    """Functions and classes defined in ``module`` whose names are public."""
    exported = set(getattr(module, "__all__", ()))
    out = []
    for name, obj in vars(module).items():
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if name.startswith("_") and name not in exported:
            continue
        out.append((name, obj))
    return out


def _docstrings(module):
    """(where, text) of the module's docstring and of every function, class and method defined in it."""
    if module.__doc__:
        yield module.__name__, module.__doc__
    for name, obj in vars(module).items():
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if obj.__doc__:
            yield f"{module.__name__}.{name}", obj.__doc__
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                target = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if inspect.isfunction(target) and target.__doc__:
                    yield f"{module.__name__}.{name}.{attr}", target.__doc__


def test_the_walk_finds_the_package():
    assert "tnverify.checker.kernel" in MODULES and "tnverify.networks.forward" in MODULES
    assert "tnverify.cli.__main__" not in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_and_class_has_a_docstring(name):
    module = importlib.import_module(name)
    missing = [n for n, obj in _own_public(module) if not (obj.__doc__ or "").strip()]
    assert not missing, f"{name}: public names without a docstring: {missing}"


@pytest.mark.parametrize("name", MODULES)
def test_no_docstring_cites_a_file_outside_the_repository(name):
    module = importlib.import_module(name)
    bad = [(where, s) for where, text in _docstrings(module) for s in OUTSIDE if s in text]
    assert not bad, f"{name}: docstrings citing files outside the repository: {bad}"
