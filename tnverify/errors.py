"""The one exception hierarchy of tnverify.

Every error a user can cause derives from :class:`TnverifyError` and carries the
exit code the CLI returns. Messages are one line: what was expected, what was
received. The CLI prints ``tnverify: error: <message>`` and never a traceback
for these.

Exit codes (shared by every subcommand):

* 0 -- proved, or every outcome as expected
* 1 -- refuted, or a check failed
* 2 -- usage error or bad input (this module's errors, by default)
* 3 -- inconclusive where a definite answer was demanded
"""
from __future__ import annotations

import difflib

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3


class TnverifyError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_USAGE


class InputError(TnverifyError):
    """Bad user input: a file, a shape, an entry, a parameter."""


class NotExactError(InputError):
    """A float, NaN or other inexact value where an exact one is needed."""


class ShapeError(InputError):
    """Dimensions that do not fit together."""


class FieldError(InputError):
    """An unknown field or a modulus that is not a prime of the supported size."""


class UnknownNameError(InputError):
    """An unknown name (theorem, rule, architecture, case); lists close matches."""

    def __init__(self, what: str, name: str, valid):
        valid = sorted(valid)
        close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        shown = ", ".join(valid[:12]) + (", ..." if len(valid) > 12 else "")
        super().__init__(f"unknown {what} {name!r}{hint} (valid: {shown})")
        self.name = name
        self.close = close


class BudgetError(InputError):
    """A computation that would exceed its budget (memory, subsets, time) before it starts."""


class NoNetworkError(InputError):
    """The architecture is not one tensor network (a mixed network sums two), so it has no cut."""


class NumericalError(TnverifyError):
    """A numeric kernel reported failure (no convergence, singular system)."""

    exit_code = EXIT_FAILED


class SchedulerError(TnverifyError):
    """A distributed scheduler that cannot be reached."""
