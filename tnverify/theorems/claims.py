"""Claims "rank >= k" and "rank <= k", decided from proved bounds only.

An instance with ``claim_at_least = k`` or ``claim_at_most = k`` states one
inequality. :func:`decide` turns the proved bounds of a computation into
``proved`` or ``refuted`` (each with a certificate whose conclusion is the one
fact that settles the claim) or ``unknown``. A bound that was not proved (a
``probable`` upper bound, a failed search) never decides a claim. See
``docs/certificates.md`` for the facts a conclusion may state.
"""
from __future__ import annotations

from tnverify.certificate import Certificate
from tnverify.errors import InputError
from tnverify.theorems import Outcome

__all__ = ["decide"]


def decide(lower: int, upper: int | None, *, at_least: int | None = None, at_most: int | None = None,
           certificate: Certificate, subject: dict, values: dict,
           facts: tuple[str, str] = ("rank-at-least", "rank-at-most"), about: str = "",
           detail: str = "") -> Outcome:
    """Decide "rank >= at_least" or "rank <= at_most" from the proved bounds.

    Parameters
    ----------
    lower : int
        A proved lower bound.
    upper : int or None
        A proved upper bound (None when none is known).
    at_least, at_most : int, optional
        The claimed bound; exactly one is given.
    certificate : Certificate
        The certificate of both bounds. Its conclusion is replaced by the deciding
        fact: ``facts[0]`` (at least) or ``facts[1]`` (at most) about ``subject``.
    subject : dict
        The subject of the conclusion, e.g. ``{"matrix": {"object": "M"}, "field": "Q"}``.
    values : dict
        The outcome's values.
    facts : (str, str)
        The lower- and upper-bound facts, e.g. ``("cp-rank-at-least", "cp-rank-at-most")``.
    about, detail : str
        Prefix and trailing detail of the message.

    Returns
    -------
    Outcome
        ``proved`` (the claimed bound is implied by a proved bound), ``refuted`` (a
        proved bound contradicts it; the conclusion states that bound) or
        ``unknown`` (no certificate).

    Raises
    ------
    InputError
        When neither or both claims are given, or the claimed bound is negative.
    """
    if (at_least is None) == (at_most is None):
        raise InputError(f"expected exactly one of claim_at_least and claim_at_most, got {at_least!r} and "
                         f"{at_most!r}")
    k = at_least if at_least is not None else at_most
    if k < 0:
        raise InputError(f"expected a nonnegative claimed rank, got {k}")
    fact_lower, fact_upper = facts
    if at_least is not None:
        claim = f"rank >= {k}"
        if lower >= k:
            status, fact, value = "proved", fact_lower, k
        elif upper is not None and upper < k:
            status, fact, value = "refuted", fact_upper, upper
        else:
            status = "unknown"
    else:
        claim = f"rank <= {k}"
        if upper is not None and upper <= k:
            status, fact, value = "proved", fact_upper, k
        elif lower > k:
            status, fact, value = "refuted", fact_lower, lower
        else:
            status = "unknown"
    bounds = f"proved bounds {lower} <= rank" + (f" <= {upper}" if upper is not None else "")
    message = f"{about + ': ' if about else ''}{claim} {status if status != 'unknown' else 'undecided'} " \
              f"({bounds}{'; ' + detail if detail else ''})"
    if status == "unknown":
        return Outcome("unknown", values, None, message)
    certificate.conclusion = []
    certificate.conclude(fact, subject, value)
    return Outcome(status, values, certificate, message)
