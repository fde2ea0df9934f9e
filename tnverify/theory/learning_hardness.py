"""Where the method of moments cannot work: more hidden units than inputs (the overcomplete case).

For ``k > d`` hidden units, whitening needs the d x d second moment ``M_2`` to have rank ``k``, and
Jennrich needs the ``k`` columns of ``W`` (d x k) to be independent; both are impossible, because
the mode-1 flattening ``[M_3]_{(1)}`` (d x d^2) of the third moment has rank at most ``d < k``
(it has ``d`` rows), while a decomposition into ``k`` separable components that these methods
could read off would need rank ``k``. This is a statement about the shape, proved without any
computation. For a polynomial activation with rational weights the population moment is exact
(:func:`tnverify.theory.learning.exact_moment`), and :func:`overcomplete` also proves its exact
flattening rank, with a certificate (moment identity + rank) that the independent checker
verifies.

What would be needed: higher-order moments (the flattening of ``E[y He_4(x)]`` as a d^2 x d^2
matrix has rank up to ``C(d + 1, 2)``, so ``k`` up to about ``d^2 / 2`` components can be
separated by their 2-2 flattening, as in FOOBI, De Lathauwer 2006), or Koszul-Young
flattenings of the third moment (Landsberg and Ottaviani 2013), which reach ranks above ``d``.
Neither is implemented here. Deciding tensor rank is NP-hard in general (Hastad 1990; Hillar and
Lim 2013), so no general certificate is to be expected: docs/learning.md, section 5.
"""
from __future__ import annotations

from dataclasses import dataclass

from tnverify.theory.learning import TwoLayerNet, exact_moment, moment_certificate

__all__ = ["Overcomplete", "overcomplete", "NEEDED"]

#: What an overcomplete network would need, for the message.
NEEDED = ("higher-order moments (the d^2 x d^2 flattening of E[y He_4(x)], FOOBI-type methods) or Koszul-Young "
          "flattenings of the third moment; not implemented here")


@dataclass
class Overcomplete:
    """Why whitening and Jennrich cannot separate ``k > d`` components, and how it is proved.

    ``flattening_rank`` is the exact rank of ``[M_3]_{(1)}`` when computed (polynomial activation,
    rational weights), else None; ``bound`` is the proved upper bound used (that rank, or ``d``
    from the shape); ``verdict`` is the checker's verdict on ``certificate`` (None without one).
    """

    d: int
    k: int
    bound: int
    flattening_rank: int | None
    reason: str
    certificate: object = None
    verdict: str | None = None

    @property
    def proved(self) -> bool:
        """True: the shape bound needs no certificate; an exact rank counts only when VERIFIED."""
        return self.certificate is None or self.verdict == "VERIFIED"

    def to_dict(self) -> dict:
        """JSON-ready values; the learning status is ``unknown`` (nothing was learned)."""
        return {"status": "unknown", "method_applies": False, "inputs": self.d, "hidden": self.k,
                "flattening_rank_upper": self.bound, "flattening_rank": self.flattening_rank,
                "reason": self.reason, "reason_proved": self.proved, "checker": self.verdict, "needed": NEEDED}


def overcomplete(net: TwoLayerNet, *, seed: int = 0) -> Overcomplete:
    """The proved reason why the tensor methods of ``learn`` cannot recover ``k > d`` neurons.

    For a polynomial activation with rational weights: the exact moment (sympy, budgeted), the exact
    rank of its d x d^2 flattening over Q with a certificate merged into the moment-identity
    certificate, checked by :func:`tnverify.checker.check`. Otherwise the shape bound
    ``rank <= d``. Cost: :func:`tnverify.theory.learning.exact_moment_cost` plus one exact rank of
    a d x d^2 matrix.
    """
    from tnverify.certificate import dumps
    from tnverify.checker import check
    from tnverify.exact import flatten, rank
    from tnverify.exact.rank import rank_certificate

    d, k = net.W.shape
    if k <= d:
        raise ValueError(f"overcomplete() needs k > d, got k = {k}, d = {d}")
    shape = (f"the mode-1 flattening of E[y He_3(x)] is a {d} x {d * d} matrix, so its rank is at most {d} < {k} "
             f"hidden units: whitening (a rank-{k} d x d second moment) and Jennrich ({k} independent w_j in "
             f"R^{d}) cannot separate {k} components")
    if net.activation.coeffs is None or not net.exact:
        return Overcomplete(d, k, d, None, shape + " (proved by the shape)")
    M3 = exact_moment(net)
    F = flatten(M3, (0,))
    res = rank(F, "Q", seed=seed)
    cert = moment_certificate(net, M3)
    rank_certificate(res, F, {"object": "M3", "rows": [0]}, cert)
    verdict = check(dumps(cert)).status
    r = int(res.upper) if res.status == "proved" else None
    if r is None:
        return Overcomplete(d, k, d, None, shape + " (proved by the shape)", cert, verdict)
    reason = (f"the exact population moment's mode-1 flattening ({d} x {d * d}) has rank {r} over Q "
              f"(checker: {verdict}) < {k} hidden units; " + shape)
    return Overcomplete(d, k, r, r, reason, cert, verdict)

