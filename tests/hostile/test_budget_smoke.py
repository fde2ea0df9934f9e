"""The shared budget: a factor that is not a number is refused; a tiny budget stops work before it starts."""
from __future__ import annotations


def test_budget_flag_refuses_a_non_number(cli):
    r = cli("list", "--budget", "lots")
    assert r.code == 2 and r.one_line_error and "budget" in r.err


def test_budget_env_refuses_a_negative_factor(cli):
    r = cli("list", env={"TNVERIFY_BUDGET": "-1"})
    assert r.code == 2 and r.one_line_error
