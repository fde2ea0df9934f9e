"""Theorem family: the dimension of the set of weight matrices of a tensorized layer (Terracini, certified).

An m x n weight matrix reshaped as ``rows`` (m_1..m_d) x ``cols`` (n_1..n_d), row and column
factors paired into modes m_k n_k as in the TT-matrix of Novikov et al. 2015, and stored in a CP,
Tucker, TT, TR or HT format with the given ranks (:mod:`tnverify.theory.layers`, docs/layers.md).
The dimension over C of the set of such matrices is proved when the Jacobian rank at an integer
point mod p meets a structural upper bound (ambient, parameters, gauge count) and the checker
verifies the certificate. The closed forms of the literature (Holtz, Rohwedder, Schneider 2012 for
TT; Uschmajew, Vandereycken 2013 for Tucker and HT; the expected dimension for CP) are reported
beside it, with whether they apply (full ranks) and whether they agree.
"""
from __future__ import annotations

from typing import Literal

from tnverify.theorems import Outcome, theorem
from tnverify.theory import layers as L

__all__ = ["layer_dimension"]

Format = Literal["cp", "tucker", "tt", "tr", "ht"]


@theorem(
    "layer-dimension",
    statement="The dimension over C of the set of m x n weight matrices a tensorized layer (CP, Tucker, TT, TR "
              "or HT of the paired reshaping) can store, against its parameter count and the closed form.",
    notion="dimension", fields=("C",),
    values=("dim", "lower", "upper", "params", "ambient", "closed_form", "closed_form_applies",
            "closed_form_agrees", "effective_dim"),
    references=("novikov_podoprikhin_osokin_vetrov_2015", "holtz_rohwedder_schneider_2012"),
)
def layer_dimension(format: Format, rows: list[int], cols: list[int], ranks: list[int], seed: int = 0) -> Outcome:
    """The dimension of a tensorized layer's set of weight matrices (see the module docstring).

    Returns
    -------
    Outcome
        ``proved`` when the bounds meet and the checker verifies them; ``unknown`` with both bounds
        otherwise. ``effective_dim`` is the proved dimension of the set at the effective ranks (the
        same set when the ranks are not full; docs/layers.md), None when the ranks are full or it is
        not proved; the certificate carries both.
    """
    res = L.layer_dimension(L.make_layer(format, rows, cols, ranks), seed, verify=False)  # the runner checks
    d = res.to_dict()
    c = d["closed_form"]
    eff = res.effective or {}
    values = {"dim": res.dim, "lower": res.lower, "upper": res.upper, "params": res.params, "ambient": res.ambient,
              "closed_form": c["value"], "closed_form_applies": c["applies"], "closed_form_agrees": c["agrees"],
              "effective_dim": eff.get("lower") if eff.get("status") == "proved" else None}
    head = (f"dim = {res.lower}" if res.status == "proved" else
            f"dim in [{'?' if res.lower is None else res.lower}, {res.upper}]")
    return Outcome(res.status, values, res.certificate,
                   f"{res.layer.describe()}: {head}, {res.params} parameters, closed form {c['value']} "
                   f"(applies: {c['applies']}, agrees: {c['agrees']})")
