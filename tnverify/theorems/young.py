"""Theorem family: Waring border-rank lower bounds of explicit forms from Young flattenings, certified.

``young-border-rank`` bounds the Waring border rank (over C) of a form below by its best
catalecticant or Young flattening (:mod:`tnverify.theory.young`); the checker rebuilds the
hinted minor from the form's coefficients and checks it mod p (rule ``border-rank-young``,
docs/certificates.md). Forms: a polynomial written out (``x0*x1*x2``), or a form in ``n``
variables of degree ``d`` with uniform random integer coefficients (a generic form with
probability close to 1; the bound is proved for the form drawn, whatever it is).

References
----------
J. M. Landsberg, G. Ottaviani, "Equations for secant varieties of Veronese and other varieties",
2013 (Young flattenings; a general ternary quintic is a sum of seven fifth powers).
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np

from tnverify import budget
from tnverify.errors import InputError
from tnverify.theorems import Outcome, theorem
from tnverify.theorems.claims import decide
from tnverify.theory.young import Form, parse_form, waring_border_lower


@theorem(
    "young-border-rank",
    statement="A lower bound on the Waring border rank over C of a form, from a catalecticant (rank <= 1 at "
              "d-th powers) or a Young flattening S^a V* (x) L^p C^q -> S^(d-a-1) V (x) L^(p+1) C^q (rank <= "
              "C(q-1, p) at d-th powers).",
    notion="border rank", fields=("C",),
    values=("lower", "flattening_rank", "per_term"),
    references=("landsberg_ottaviani_2013",),
)
def young_border_rank(form: Literal["polynomial", "random"], claim_at_least: int, polynomial: str = "",
                      n: int = 0, d: int = 0, entries_seed: int = 0, seed: int = 0) -> Outcome:
    """Waring border rank of the form >= ``claim_at_least``: ``polynomial`` (written out) or ``random`` (``n``, ``d``).

    Returns
    -------
    Outcome
        ``proved`` when the certified bound reaches the claim, ``unknown`` otherwise (never
        ``refuted``: no upper bound below the number of monomials is computed).
    """
    if form == "polynomial":
        f = parse_form(polynomial)
    else:
        if n < 1 or d < 2:
            raise InputError(f"expected n >= 1 variables and degree d >= 2 for a random form, got n={n}, d={d}")
        budget.require(f"a random form of degree {d} in {n} variables", memory=64 * budget.comb(n + d - 1, d),
                       work=budget.comb(n + d - 1, d))
        coef = np.random.default_rng(entries_seed).integers(-9, 10, math.comb(n + d - 1, d))
        f = Form(n, d, coef.tolist())
    res = waring_border_lower(f, seed=seed)
    values = {"lower": res.lower, "flattening_rank": res.rank, "per_term": res.per_term}
    return decide(res.lower, None, at_least=claim_at_least, certificate=res.certificate,
                  subject={"form": {"object": "f"}, "field": "C"}, values=values,
                  facts=("border-rank-at-least", "border-rank-at-most"), detail=res.witness)
