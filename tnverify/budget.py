"""One budget in front of every piece of work.

Every entry point (a CLI flag, a catalog ``[params]`` table, an input file) estimates what a
request needs BEFORE it allocates or loops, and calls :func:`require`. When the estimate is
over the budget, :func:`require` raises :class:`~tnverify.errors.BudgetError` (exit code 2)
with one line: what was asked, what it would need, the budget, and the flag that raises it.

The budget has two parts, both scaled by one factor:

* **memory**: bytes that the request would allocate at once (default 4 GiB, about a sixth of
  this project's reference machine, so that a request fails before the operating system kills
  it);
* **work**: elementary operations (multiply-adds, entries visited, subsets enumerated; default
  1e12, minutes to an hour of work on one core).

``--budget X`` (every command; docs/cli.md) or the environment variable
``TNVERIFY_BUDGET=X`` multiplies both by X; ``--budget 0`` or ``inf`` removes the limits. The
factor is read when :func:`require` runs, so a command sets it once with :func:`set_factor`
and every layer below honours it.

Estimates are upper bounds up to small constants; they never replace an exact size check
(a shape error is still a shape error).
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager

from tnverify.errors import BudgetError, InputError

__all__ = ["MEMORY", "WORK", "factor", "set_factor", "parse_factor", "scaled", "require", "human", "ENV", "FLAG"]

#: Bytes a request may allocate at once, before the factor.
MEMORY = 4 * 2**30
#: Elementary operations a request may perform, before the factor.
WORK = 1e12
#: Environment variable read when no ``--budget`` was given.
ENV = "TNVERIFY_BUDGET"
#: The flag named in every budget message.
FLAG = "--budget"

_factor: float | None = None


def parse_factor(text) -> float:
    """The factor of a ``--budget`` value: a positive number, or ``0`` / ``inf`` for no limit."""
    s = str(text).strip().lower()
    try:
        v = float(s)
    except ValueError:
        raise InputError(f"expected a budget factor like 0.5, 10 or inf (0 = no limit), got {text!r}") from None
    if math.isnan(v) or v < 0:
        raise InputError(f"expected a budget factor >= 0 (0 or inf = no limit), got {text!r}")
    return math.inf if v == 0 else v


def factor() -> float:
    """The budget factor in force: :func:`set_factor`'s, else ``$TNVERIFY_BUDGET``, else 1."""
    if _factor is not None:
        return _factor
    env = os.environ.get(ENV)
    return parse_factor(env) if env else 1.0


def set_factor(value: float | None) -> None:
    """Set the factor for this process (``None`` returns to the environment's or 1)."""
    global _factor
    _factor = value


@contextmanager
def scaled(value: float | None):
    """Context manager: the factor ``value`` inside the block, the previous one after it."""
    global _factor
    old = _factor
    _factor = value
    try:
        yield
    finally:
        _factor = old


def human(x: float, unit: str = "") -> str:
    """``x`` with an SI suffix (``3.2e+09 B`` -> ``3.2 GB``); ``inf`` as is."""
    if not math.isfinite(x):
        return f"{x}{unit and ' ' + unit}"
    for suffix, scale in (("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {suffix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def require(what: str, *, memory: float = 0, work: float = 0) -> None:
    """Refuse ``what`` before it starts if it needs more than the budget.

    Parameters
    ----------
    what : str
        The request as the user would recognise it, e.g. ``"rank of a 100000 x 1000 matrix"``.
    memory : float
        Bytes it would allocate at once (an upper estimate).
    work : float
        Elementary operations it would perform (an upper estimate). Pass Python ints or floats;
        huge values (``10**100``) are fine.

    Raises
    ------
    BudgetError
        ``<what> needs about <X> of memory (budget <Y>); raise the budget with --budget N``.
    """
    f = factor()
    if f == math.inf:
        return
    for amount, limit, unit, noun in ((memory, MEMORY, "B", "memory"), (work, WORK, "", "operations")):
        amount = float(amount) if amount < 1e300 else math.inf
        cap = limit * f
        if amount > cap:
            need = human(amount, unit) if noun == "memory" else f"{human(amount)} {noun}"
            have = human(cap, unit) if noun == "memory" else human(cap)
            raise BudgetError(f"{what} needs about {need} (budget {have}); raise the budget with "
                              f"{FLAG} N (N times the default, 0 = no limit) or {ENV}=N")
