"""Theorem family: generic ranks, secant dimensions, neurovarieties (Terracini, certified).

Each theorem returns the proved Jacobian lower bound, the structural upper bound
and, when they meet, status ``proved`` with a certificate the independent checker
re-derives (rules in :mod:`tnverify.checker.families.terracini`). All statements are
over C at generic points; real typical ranks can differ.
"""
from __future__ import annotations

from tnverify.theory import terracini as G
from tnverify.theory import jacobian as J
from tnverify.errors import InputError
from tnverify.theorems import Outcome, theorem

_REF = "Terracini 1911; Strassen 1983; Alexander-Hirschowitz 1995; Abo-Ottaviani-Peterson 2009"


def _fmt(dims, vars, degree, blocks):
    if blocks is not None:
        return {"blocks": [tuple(b) for b in blocks]}
    if vars is not None:
        if degree is None:
            raise InputError("a symmetric format needs both vars and degree")
        return {"symmetric": (vars, degree)}
    if dims is None:
        raise InputError("expected dims, vars+degree or blocks")
    return {"dims": list(dims)}


@theorem("generic-rank", statement="the generic rank over C of a (partially symmetric) tensor format is R",
         reference=_REF)
def generic_rank(dims=None, vars=None, degree=None, blocks=None, seed=0) -> Outcome:
    r = G.generic_rank(**_fmt(dims, vars, degree, blocks), seed=seed)
    values = {"generic_rank": r.generic_rank, "lower": r.lower, "upper": r.upper, "expected": r.expected,
              "ambient": r.ambient}
    msg = (f"generic rank {r.generic_rank} over C (expected {r.expected}); not at R-1 by {r.lower_source}"
           if r.status == "proved" else f"generic rank in [{r.lower}, {r.upper}] over C: {r.note}")
    return Outcome(r.status, values, r.certificate, msg)


@theorem("secant-dimension", statement="dim sigma_R of a (partially symmetric) format, and defectivity",
         reference=_REF)
def secant_dimension(rank, dims=None, vars=None, degree=None, blocks=None, seed=0) -> Outcome:
    f = _fmt(dims, vars, degree, blocks)
    r = G.secant_dimension(f.get("dims"), rank, symmetric=f.get("symmetric"), blocks=f.get("blocks"), seed=seed)
    values = {"dim": r.dim, "lower": r.lower, "upper": r.upper, "expected": r.expected, "ambient": r.ambient,
              "defective": r.defective}
    return Outcome(r.status, values, r.certificate,
                   f"dim sigma_{rank} in [{r.lower}, {r.upper}] (upper: {r.upper_source}), expected {r.expected}")


@theorem("format-dimension", statement="dimension of a Tucker / TT / HT tensor-network variety",
         reference="Holtz, Rohwedder, Schneider 2012; Uschmajew, Vandereycken 2013")
def format_dimension(kind, dims, ranks, seed=0) -> Outcome:
    builders = {"tucker": lambda: J.tucker_spec(dims, ranks), "tt": lambda: J.tt_spec(dims, ranks),
                "ht": lambda: J.ht_spec(dims, ranks)}
    if kind not in builders:
        raise InputError(f"expected kind tucker, tt or ht, got {kind!r}")
    r = G.format_dimension(builders[kind](), seed)
    values = {"dim": r.dim, "lower": r.lower, "upper": r.upper, "ambient": r.ambient, "params": r.params}
    return Outcome(r.status, values, r.certificate, f"dim in [{r.lower}, {r.upper}] (upper: {r.upper_source})")


@theorem("neurovariety-dimension", statement="dimension of the neurovariety of a polynomial network",
         reference="Kileel, Trager, Bruna, NeurIPS 2019")
def neurovariety_dimension(widths, degree, seed=0) -> Outcome:
    r = G.neurovariety(widths, degree, seed)
    d = r.to_dict()
    values = {"dim": r.dim, "lower": r.lower, "upper": r.upper, "expected": r.expected, "ambient": r.ambient,
              "filling": d["filling"], "defective": r.defective}
    return Outcome(r.status, values, r.certificate,
                   f"dim in [{r.lower}, {r.upper}] (upper: {r.upper_source}), expected {r.expected}, ambient {r.ambient}")


@theorem("deep-identifiability",
         statement="a deep polynomial network is locally identifiable (finite fibres modulo rescaling) or not",
         reference="Kileel, Trager, Bruna, NeurIPS 2019; Usevich et al. 2025")
def deep_identifiability(widths, degree, seed=0) -> Outcome:
    d = G.deep_identifiability(widths, degree, seed)
    values = {"identifiable": d["identifiable"], "lower": d["lower"], "upper": d["upper"],
              "params_minus_symmetry": d["params_minus_symmetry"]}
    return Outcome(d["identifiability_status"], values, d["certificate_obj"],
                   f"locally identifiable: {d['identifiable']} ({d['notion']})")
