"""pytest plugin (entry point ``pytest11``): theorem instances as test items.

* Collects instance TOML files (a ``[claim]`` table naming a registered theorem)
  as test items, in ``proofs_checks/`` and anywhere else pytest looks.
* Failures read as mathematics: the statement, what was expected, what was
  obtained with its bounds, and the checker's message; never a traceback.
* Records the certificate path and the checker verdict as JUnit properties
  (``--junitxml``); certificates go to ``--tnverify-emit DIR`` when given.
* ``--runslow`` runs instances and tests marked slow (skipped by default).
* Fixture ``assert_certified``: ``assert_certified(cert_or_path)`` asserts that a
  certificate VERIFIES; ``assert_certified(instance_toml)`` asserts the instance
  runs as expected.

Instance files are validated by :func:`tnverify.theorems.instance.load_instance`
(an invalid file is one failing item with its one-line message) and run by
:func:`tnverify.theorems.runner.run_instance`; see ``docs/architecture.md``.
"""
from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    """The ``--runslow`` option: also run instances marked ``slow``."""
    group = parser.getgroup("tnverify")
    group.addoption("--runslow", action="store_true", default=False, help="run slow tests and slow theorem instances")
    group.addoption("--tnverify-emit", default=None, metavar="DIR", help="write instance certificates to DIR")


def pytest_configure(config):
    """Register the ``slow`` marker."""
    config.addinivalue_line("markers", "slow: takes more than a few seconds; run with --runslow")


def pytest_collection_modifyitems(config, items):
    """Skip ``slow`` items unless ``--runslow`` is given."""
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_collect_file(parent, file_path: Path):
    """Collect an instance TOML file (one with a ``[claim]`` table) as a test."""
    if file_path.suffix == ".toml" and file_path.name != "pyproject.toml":
        try:
            text = file_path.read_text()
        except OSError:
            return None
        if "[claim]" in text:
            return InstanceFile.from_parent(parent, path=file_path)
    return None


class InstanceFile(pytest.File):
    """An instance TOML file: one test item (a file that fails to load is one failing item)."""

    def collect(self):
        from tnverify.theorems.instance import load_instance

        try:
            inst = load_instance(self.path)
        except Exception as e:  # an invalid instance file is one failing item, with its message
            yield InstanceItem.from_parent(self, name=self.path.stem, load_error=str(e))
            return
        item = InstanceItem.from_parent(self, name=self.path.stem, load_error=None)
        if inst.slow:
            item.add_marker(pytest.mark.slow)
        yield item


class InstanceFailure(Exception):
    """An instance whose outcome differs from its expectation."""


class InstanceItem(pytest.Item):
    """Runs one instance through the theorem and the independent checker; fails on any mismatch."""

    def __init__(self, *, load_error, **kw):
        super().__init__(**kw)
        self.load_error = load_error

    def runtest(self):
        from tnverify.theorems.runner import run_instance

        if self.load_error:
            raise InstanceFailure(self.load_error)
        emit = self.config.getoption("--tnverify-emit")
        res = run_instance(self.path, emit_dir=emit)
        self.user_properties.append(("theorem", res.theorem))
        self.user_properties.append(("expect", res.expect))
        self.user_properties.append(("got", res.got))
        self.user_properties.append(("verdict", res.verdict or "none"))
        if res.certificate:
            self.user_properties.append(("certificate", res.certificate))
        if not res.passed:
            raise InstanceFailure(_explain(res))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, InstanceFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"instance {self.path.stem}"


def _explain(res) -> str:
    lines = [
        f"theorem instance {res.id} ({res.theorem}) did not come out as expected",
        f"  statement: {res.statement}",
        f"  source:    {res.source}",
        f"  expected:  {res.expect}" + (f" with {res.expected}" if res.expected else ""),
        f"  obtained:  {res.got}" + (f" with {res.values}" if res.values else ""),
        f"  checker:   {res.verdict or 'no certificate'}",
        f"  notion:    {res.notion}" + (f" over {res.field}" if res.field else ""),
    ]
    if res.message:
        lines.append(f"  message:   {res.message}")
    return "\n".join(lines)


@pytest.fixture
def assert_certified():
    """Assert that a certificate (path, JSON text, dict or Certificate) verifies,
    or that an instance TOML file runs as expected."""
    from tnverify.certificate import Certificate
    from tnverify.checker import check
    from tnverify.theorems.runner import run_instance

    def _assert(obj):
        if isinstance(obj, (str, Path)) and str(obj).endswith(".toml"):
            res = run_instance(obj)
            if not res.passed:
                pytest.fail(_explain(res), pytrace=False)
            return res
        v = check(obj.to_dict() if isinstance(obj, Certificate) else obj)
        if not v.ok:
            pytest.fail(f"certificate {v.status}: {v.message}", pytrace=False)
        return v

    return _assert
