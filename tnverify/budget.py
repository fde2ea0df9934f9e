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

__all__ = ["MEMORY", "WORK", "factor", "set_factor", "parse_factor", "scaled", "require", "human", "Tally", "comb", "comb_log10", "comb_capped",
           "power", "product", "ENV", "FLAG"]

#: Bytes a request may allocate at once, before the factor.
MEMORY = 4 * 2**30
#: Elementary operations a request may perform, before the factor.
WORK = 1e12
#: Environment variable read when no ``--budget`` was given.
ENV = "TNVERIFY_BUDGET"
#: The flag named in every budget message.
FLAG = "--budget"

_factor: float | None = None
#: ``$TNVERIFY_BUDGET`` as the process found it, saved by the first :func:`set_factor`.
_environment: list = []


def parse_factor(text) -> float:
    """The factor of a ``--budget`` value: a positive number, or ``0`` / ``inf`` for no limit."""
    s = str(text).strip().lower()
    try:
        if not s.isascii() or "_" in s:  # float() also takes 1_000 and non-ASCII digits
            raise ValueError
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
    """Set the factor for this process and the worker processes it starts.

    The factor is exported as ``$TNVERIFY_BUDGET`` (``0`` for no limit), which local workers
    (``--jobs``) inherit; ``None`` returns to the environment's own value, or 1.
    """
    global _factor
    if not _environment:
        _environment.append(os.environ.get(ENV))
    _factor = value
    if value is not None:
        os.environ[ENV] = "0" if value == math.inf else repr(float(value))
    elif _environment[0] is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = _environment[0]


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
    if not math.isfinite(x) or abs(x) >= 1e21:
        return f"{x:.3g}{unit and ' ' + unit}"
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
            if amount == math.inf:
                need = "an astronomical amount of memory" if noun == "memory" else "astronomically many operations"
            else:
                need = f"{human(amount, unit)} of memory" if noun == "memory" else f"{human(amount)} {noun}"
            have = human(cap, unit) if noun == "memory" else human(cap)
            raise BudgetError(f"{what} needs about {need} (budget {have}); raise the budget with "
                              f"{FLAG} N (N times the default, 0 = no limit) or {ENV}=N")


class Tally:
    """The budget of a loop: the running total of its work and its largest allocation.

    Each item is added with :meth:`add` before it runs; the total is refused (one
    :class:`~tnverify.errors.BudgetError` naming ``what``) as soon as it exceeds the budget, so
    a loop of many items that each fit cannot run past it either.
    """

    def __init__(self, what: str):
        self.what, self.work, self.memory = what, 0.0, 0.0

    def add(self, *, memory: float = 0, work: float = 0) -> None:
        """Count one more item (bytes it allocates at once, operations it performs) and check the total."""
        self.work += float(work) if work < 1e300 else math.inf
        self.memory = max(self.memory, float(memory) if memory < 1e300 else math.inf)
        require(self.what, memory=self.memory, work=self.work)


# ------------------------------------------------------------------ sizes for estimates
# Sizes such as C(n + d - 1, d) can have millions of digits (computing them exactly takes
# minutes): estimates use these floats, which saturate at inf instead.
_LOG_MAX = 700.0  # exp(700) ~ 1e304, the largest value kept finite


def comb(n: int, k: int) -> float:
    """The binomial coefficient C(n, k) as a float (``inf`` beyond ~1e304), from ``math.lgamma``.

    Relative error about 1e-12 for moderate arguments; never evaluates the exact integer.
    """
    n, k = int(n), int(k)
    if k < 0 or k > n:
        return 0.0
    k = min(k, n - k)
    if k == 0:
        return 1.0
    if n > 1e300:
        return math.inf
    lg = math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)
    return math.exp(lg) if lg < _LOG_MAX else math.inf


def comb_log10(n: int, k: int) -> float:
    """``log10 C(n, k)`` from ``math.lgamma`` (0 outside ``0 <= k <= n``)."""
    n, k = int(n), int(k)
    if k < 0 or k > n:
        return 0.0
    return (math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)) / math.log(10)


def comb_capped(n: int, k: int, cap: int) -> int:
    """``min(C(n, k), cap + 1)`` exactly, without the huge integer: the partial products
    ``C(n - k + i, i)`` grow with i and are built one factor at a time, stopping above ``cap``.

    Cost O(i) multiplications of integers of about ``log10(cap)`` digits for the first i whose
    partial product exceeds ``cap`` (at most ``min(k, n - k)``).
    """
    n, k = int(n), int(k)
    if k < 0 or k > n:
        return 0
    k = min(k, n - k)
    value = 1
    for i in range(1, k + 1):
        value = value * (n - k + i) // i
        if value > cap:
            return cap + 1
    return value


def power(a: float, b: float) -> float:
    """``a ** b`` for ``a, b >= 0`` as a float, ``inf`` instead of an overflow."""
    a, b = float(a), float(b)
    if a <= 1.0 or b == 0.0:
        return a ** b
    return math.inf if b * math.log(a) >= _LOG_MAX else a ** b


def product(values) -> float:
    """The product of nonnegative numbers as a float (``inf`` instead of an overflow)."""
    out = 1.0
    for v in values:
        v = float(v) if v < 1e300 else math.inf
        if v == 0.0:
            return 0.0
        out *= v
    return out
