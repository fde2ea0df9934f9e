"""The shared budget (tnverify/budget.py): its message, the factor and where it comes from, loops, size helpers."""
from __future__ import annotations

import math
import os

import pytest

from tnverify import budget
from tnverify.errors import BudgetError, InputError


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    """Each test starts with no factor set and no $TNVERIFY_BUDGET, and leaves the module as it found it."""
    monkeypatch.delenv(budget.ENV, raising=False)
    saved = (budget._factor, list(budget._environment))
    budget._factor = None
    budget._environment.clear()
    yield
    budget._factor = saved[0]
    budget._environment[:] = saved[1]  # $TNVERIFY_BUDGET itself: tests/conftest.py restores it


# ------------------------------------------------------------------ the message
def test_memory_over_the_budget_is_one_line_naming_the_request_the_need_and_the_flag():
    with pytest.raises(BudgetError) as e:
        budget.require("the rank of a 100000 x 1000 matrix", memory=7.2e9)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("the rank of a 100000 x 1000 matrix needs about 7.2 GB of memory")
    assert f"(budget {4 * 2**30 / 1e9:.3g} GB)" in msg  # 4 GiB = 4.29 GB
    assert "--budget N" in msg and f"{budget.ENV}=N" in msg
    assert e.value.exit_code == 2


def test_work_over_the_budget_names_operations():
    with pytest.raises(BudgetError, match=r"^a loop needs about 2 T operations \(budget 1 T\); .*--budget N"):
        budget.require("a loop", work=2e12)


def test_the_limits_themselves_fit():
    budget.require("exactly the budget", memory=budget.MEMORY, work=budget.WORK)
    with pytest.raises(BudgetError):
        budget.require("one byte more", memory=budget.MEMORY + 1)
    with pytest.raises(BudgetError):
        budget.require("one operation more", work=budget.WORK * (1 + 1e-9))


def test_huge_and_undefined_amounts_are_refused_not_crashed():
    with pytest.raises(BudgetError, match="astronomically many operations"):
        budget.require("10^400 steps", work=10**400)  # float(10**400) would overflow
    with pytest.raises(BudgetError, match="an astronomical amount of memory"):
        budget.require("inf bytes", memory=math.inf)
    with pytest.raises(BudgetError):
        budget.require("nan bytes", memory=math.nan)


def test_human_uses_si_suffixes_and_scientific_notation_beyond_exa():
    assert budget.human(3.2e9, "B") == "3.2 GB"
    assert budget.human(999, "B") == "999 B"
    assert budget.human(1.5e4) == "15 k"
    assert budget.human(1.87e27, "B") == "1.87e+27 B"


# ------------------------------------------------------------------ the factor
@pytest.mark.parametrize("text, value", [("0.5", 0.5), ("10", 10.0), (" 2 ", 2.0), ("1e3", 1000.0),
                                         ("0", math.inf), ("inf", math.inf), ("Infinity", math.inf)])
def test_factor_parsing(text, value):
    assert budget.parse_factor(text) == value


@pytest.mark.parametrize("text", ["lots", "", "-1", "-0.5", "nan", "1_000", "１０"])
def test_factor_parsing_refuses_what_is_not_a_factor(text):
    with pytest.raises(InputError, match="budget factor"):
        budget.parse_factor(text)


def test_a_factor_scales_both_limits():
    with budget.scaled(0.5):
        budget.require("half", memory=budget.MEMORY / 2, work=budget.WORK / 2)
        with pytest.raises(BudgetError, match=r"budget 2.15 GB"):
            budget.require("over half", memory=budget.MEMORY / 2 + 1)
        with pytest.raises(BudgetError, match=r"budget 500 G\)"):
            budget.require("over half", work=budget.WORK / 2 * 1.01)
    with budget.scaled(3):
        budget.require("three times", memory=3 * budget.MEMORY, work=3 * budget.WORK)


def test_factor_zero_and_inf_remove_the_limits():
    for text in ("0", "inf"):
        with budget.scaled(budget.parse_factor(text)):
            budget.require("anything", memory=10**400, work=math.inf)


def test_the_environment_gives_the_factor_when_none_is_set(monkeypatch):
    assert budget.factor() == 1.0
    monkeypatch.setenv(budget.ENV, "4")
    assert budget.factor() == 4.0
    monkeypatch.setenv(budget.ENV, "0")
    assert budget.factor() == math.inf
    monkeypatch.setenv(budget.ENV, "-1")
    with pytest.raises(InputError, match="budget factor"):
        budget.factor()


def test_set_factor_wins_over_the_environment_and_is_exported_to_workers(monkeypatch):
    monkeypatch.setenv(budget.ENV, "4")
    budget.set_factor(0.25)
    assert budget.factor() == 0.25
    assert os.environ[budget.ENV] == "0.25"  # what a worker process inherits
    budget.set_factor(math.inf)
    assert os.environ[budget.ENV] == "0" and budget.parse_factor(os.environ[budget.ENV]) == math.inf
    budget.set_factor(None)  # back to the environment as the process found it
    assert os.environ[budget.ENV] == "4" and budget.factor() == 4.0


def test_set_factor_none_removes_an_exported_factor_the_environment_did_not_have():
    budget.set_factor(2.0)
    budget.set_factor(None)
    assert budget.ENV not in os.environ and budget.factor() == 1.0


def test_scaled_restores_the_previous_factor_even_after_an_error():
    budget.set_factor(2.0)
    with pytest.raises(BudgetError):
        with budget.scaled(1e-9):
            assert budget.factor() == 1e-9
            budget.require("tiny", memory=1e3)
    assert budget.factor() == 2.0
    with budget.scaled(None):  # None inside the block: the environment's, which holds the exported 2
        assert budget.factor() == 2.0 and os.environ[budget.ENV] == "2.0"
    with budget.scaled(7.0):
        assert budget.factor() == 7.0
    assert budget.factor() == 2.0


# ------------------------------------------------------------------ loops
def test_a_tally_refuses_the_item_that_takes_the_total_over_the_budget():
    t = budget.Tally("a loop of three")
    t.add(work=0.4 * budget.WORK)
    t.add(work=0.4 * budget.WORK)  # 0.8: still fits
    with pytest.raises(BudgetError, match=r"^a loop of three needs about 1.2 T operations"):
        t.add(work=0.4 * budget.WORK)


def test_a_tally_keeps_the_largest_allocation_not_the_sum():
    t = budget.Tally("items that free their memory")
    for _ in range(10):
        t.add(memory=0.5 * budget.MEMORY)
    assert t.memory == 0.5 * budget.MEMORY
    with pytest.raises(BudgetError, match="of memory"):
        t.add(memory=2 * budget.MEMORY)


# ------------------------------------------------------------------ sizes for estimates
@pytest.mark.parametrize("n, k", [(10, 3), (52, 5), (200, 100), (7, 0), (7, 7), (1000, 2)])
def test_comb_is_close_to_the_exact_binomial(n, k):
    assert budget.comb(n, k) == pytest.approx(math.comb(n, k), rel=1e-9)


def test_comb_out_of_range_and_astronomical():
    assert budget.comb(5, 6) == 0.0 and budget.comb(5, -1) == 0.0
    assert budget.comb(1999999, 1000000) == math.inf  # 2 * 10^6 bits: never computed exactly
    assert budget.comb(10**400, 3) == math.inf


def test_power_and_product_saturate_instead_of_overflowing():
    assert budget.power(50, 3) == 125000.0
    assert budget.power(2, 10**6) == math.inf and budget.power(0.5, 10) == 0.5**10
    assert budget.product([1e200, 1e200]) == math.inf
    assert budget.product([10**400, 2]) == math.inf
    assert budget.product([3, 0, 10**400]) == 0.0
    assert budget.product([]) == 1.0


@pytest.mark.parametrize("n", range(0, 14))
def test_comb_capped_is_min_of_comb_and_cap_plus_one(n):
    for k in range(-1, n + 2):
        exact = math.comb(n, k) if 0 <= k <= n else 0
        for cap in (0, 1, 5, 100, 10 ** 6):
            assert budget.comb_capped(n, k, cap) == min(exact, cap + 1)
        if 0 <= k <= n:
            assert budget.comb_log10(n, k) == pytest.approx(math.log10(exact), abs=1e-9)


def test_pnn_identifiability_never_builds_the_huge_ambient_dimension():
    import time

    from tnverify.theory.uniqueness import pnn_identifiability

    t0 = time.perf_counter()
    res = pnn_identifiability(200_000, 2, 1_000_000)  # C(1199999, 10^6) has about 217,000 digits
    assert time.perf_counter() - t0 < 20
    assert res.values["ambient"].endswith(f"about 10^{round(budget.comb_log10(1_199_999, 1_000_000))}")
    small = pnn_identifiability(3, 2, 3)
    assert small.values["ambient"] == math.comb(5, 3)
