"""Shared fixtures and the ``slow`` marker switch (``--runslow``)."""
from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _budget_environment_is_restored():
    """An in-process ``tnverify`` call exports its budget factor as $TNVERIFY_BUDGET (for its workers).

    Restore the variable and the factor after every test, so that no later test, and no
    subprocess it starts, runs under another test's budget.
    """
    from tnverify import budget

    outer, saved = os.environ.get(budget.ENV), (budget._factor, list(budget._environment))
    yield
    budget._factor, budget._environment[:] = saved
    if outer is None:
        os.environ.pop(budget.ENV, None)
    else:
        os.environ[budget.ENV] = outer
