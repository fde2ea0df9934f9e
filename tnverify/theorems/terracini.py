"""Theorem family: generic ranks, secant dimensions, neurovarieties (Terracini, certified).

Each theorem returns the proved Jacobian lower bound, the structural upper bound
and, when they meet, status ``proved`` with a certificate the independent checker
re-derives (rules in :mod:`tnverify.checker.families.terracini`, described in
``docs/certificates.md``). All statements are over C at generic points; real
typical ranks can differ.

A format is given by ``dims`` (n_1 x ... x n_d), by ``vars`` and ``degree``
(symmetric tensors: forms of that degree in that many variables), or by ``blocks``
(partially symmetric: a list of ``[n, d]`` pairs, the Segre-Veronese product of
the d-th Veronese embeddings of P^(n-1)).

References
----------
A. Terracini, "Sulle V_k per cui la varietà degli S_h (h+1)-seganti ha dimensione
minore dell'ordinario", Rend. Circ. Mat. Palermo 31 (1911): the tangent space at a
generic point of the secant variety is spanned by the tangent spaces at the points.
"""
from __future__ import annotations

from typing import Literal

from tnverify.errors import InputError
from tnverify.theorems import Outcome, theorem
from tnverify.theory import jacobian as J
from tnverify.theory import terracini as G

#: The tensor-network formats of ``format-dimension`` and their Jacobian builders.
FORMATS = {"tucker": J.tucker_spec, "tt": J.tt_spec, "ht": J.ht_spec}
Format = Literal["tucker", "tt", "ht"]


def _fmt(dims: list[int] | None, vars: int | None, degree: int | None, blocks: list[list[int]] | None) -> dict:
    """The format as keyword arguments of :mod:`tnverify.theory.terracini` (exactly one description)."""
    if blocks is not None:
        bad = [b for b in blocks if len(b) != 2]
        if bad:
            raise InputError(f"expected blocks as [n, d] pairs (dimension, degree), got {bad[0]}")
        return {"blocks": [tuple(b) for b in blocks]}
    if vars is not None:
        if degree is None:
            raise InputError("a symmetric format needs both vars and degree")
        return {"symmetric": (vars, degree)}
    if dims is None:
        raise InputError("expected dims, vars+degree or blocks")
    return {"dims": list(dims)}


@theorem(
    "generic-rank",
    statement="The generic rank over C of a (partially symmetric) tensor format is R.",
    notion="generic rank", fields=("C",),
    values=("generic_rank", "lower", "upper", "expected", "ambient"),
    references=("strassen_1983", "alexander_hirschowitz_1995", "abo_ottaviani_peterson_2009"),
)
def generic_rank(dims: list[int] | None = None, vars: int | None = None, degree: int | None = None,
                 blocks: list[list[int]] | None = None, seed: int = 0) -> Outcome:
    """The generic rank over C of a format (see the module docstring for the format).

    Returns
    -------
    Outcome
        ``proved`` when sigma_R fills the ambient space (a Jacobian of full rank at a
        random point) and sigma_(R-1) does not (a parameter count or a border-rank
        flattening of a random tensor); ``unknown`` with both bounds otherwise.
    """
    r = G.generic_rank(**_fmt(dims, vars, degree, blocks), seed=seed)
    values = {"generic_rank": r.generic_rank, "lower": r.lower, "upper": r.upper, "expected": r.expected,
              "ambient": r.ambient}
    msg = (f"generic rank {r.generic_rank} over C (expected {r.expected}); not at R-1 by {r.lower_source}"
           if r.status == "proved" else f"generic rank in [{r.lower}, {r.upper}] over C: {r.note}")
    return Outcome(r.status, values, r.certificate, msg)


@theorem(
    "secant-dimension",
    statement="The dimension of the R-th secant variety sigma_R of a (partially symmetric) format, and whether "
              "it is defective.",
    notion="dimension", fields=("C",),
    values=("dim", "lower", "upper", "expected", "ambient", "defective"),
    references=("strassen_1983", "alexander_hirschowitz_1995", "abo_ottaviani_peterson_2009"),
)
def secant_dimension(rank: int, dims: list[int] | None = None, vars: int | None = None, degree: int | None = None,
                     blocks: list[list[int]] | None = None, seed: int = 0) -> Outcome:
    """dim sigma_R of a format: the rank of the Terracini Jacobian at a random point.

    Returns
    -------
    Outcome
        ``proved`` when the Jacobian lower bound meets an upper bound (the expected
        dimension, the ambient space or an equation such as Strassen's degree-9
        invariant); ``defective`` compares with the expected dimension.
    """
    f = _fmt(dims, vars, degree, blocks)
    r = G.secant_dimension(f.get("dims"), rank, symmetric=f.get("symmetric"), blocks=f.get("blocks"), seed=seed)
    values = {"dim": r.dim, "lower": r.lower, "upper": r.upper, "expected": r.expected, "ambient": r.ambient,
              "defective": r.defective}
    return Outcome(r.status, values, r.certificate,
                   f"dim sigma_{rank} in [{r.lower}, {r.upper}] (upper: {r.upper_source}), expected {r.expected}")


@theorem(
    "format-dimension",
    statement="The dimension of a Tucker / TT / HT tensor-network variety.",
    notion="dimension", fields=("C",),
    values=("dim", "lower", "upper", "ambient", "params"),
    references=("usevich_2025",),
)
def format_dimension(kind: Format, dims: list[int], ranks: int | list[int], seed: int = 0) -> Outcome:
    """The dimension of the Tucker, TT or HT variety of format ``dims`` and ``ranks``.

    Returns
    -------
    Outcome
        ``proved`` when the Jacobian rank of the parametrisation at a random point
        meets the parameter count minus the gauge (Holtz, Rohwedder, Schneider 2012;
        Uschmajew, Vandereycken 2013).
    """
    if kind not in FORMATS:
        raise InputError(f"expected kind {', '.join(FORMATS)}, got {kind!r}")
    if (kind == "ht") != isinstance(ranks, int):
        raise InputError(f"expected ranks of {kind} to be {'one integer' if kind == 'ht' else 'a list of integers'}, "
                         f"got {ranks!r}")
    r = G.format_dimension(FORMATS[kind](dims, ranks), seed)
    values = {"dim": r.dim, "lower": r.lower, "upper": r.upper, "ambient": r.ambient, "params": r.params}
    return Outcome(r.status, values, r.certificate, f"dim in [{r.lower}, {r.upper}] (upper: {r.upper_source})")


@theorem(
    "neurovariety-dimension",
    statement="The dimension of the neurovariety of a polynomial network with widths d_0, ..., d_h and "
              "activation t^r.",
    notion="dimension", fields=("C",),
    values=("dim", "lower", "upper", "expected", "ambient", "filling", "defective"),
    references=("kileel_trager_bruna_2019", "finkel_2024"),
)
def neurovariety_dimension(widths: list[int], degree: int, seed: int = 0) -> Outcome:
    """The dimension of the neurovariety of f(x) = W_h s(W_(h-1) ... s(W_1 x)), s(t) = t^degree.

    Returns
    -------
    Outcome
        ``proved`` when the Jacobian rank at a random point meets an upper bound: the
        expected dimension min(parameters - rescalings, ambient) (Kileel, Trager, Bruna
        2019), a width-one bottleneck, a first hidden layer narrower than the input
        (f = G([I | X] x)), a split after a hidden layer (f = H(s(g))), the suffix after the first
        layer (f = G(s(W_1 x))), the product form of a quadratic last layer of width 2, the
        orthogonal symmetry (all in :func:`tnverify.theory.terracini.polynet_upper`), or the
        equations of the secant variety that a one-hidden-layer network is
        (:func:`tnverify.theory.terracini.polynet_secant`; this settles the Alexander-Hirschowitz
        defects), for the network itself or for the head or tail of a deep one. docs/mathematics.md,
        "Defects".
    """
    r = G.neurovariety(widths, degree, seed)
    d = r.to_dict()
    values = {"dim": r.dim, "lower": r.lower, "upper": r.upper, "expected": r.expected, "ambient": r.ambient,
              "filling": d["filling"], "defective": r.defective}
    return Outcome(r.status, values, r.certificate, f"dim in [{r.lower}, {r.upper}] (upper: {r.upper_source}), "
                                                    f"expected {r.expected}, ambient {r.ambient}")


@theorem(
    "deep-identifiability",
    statement="A deep polynomial network is locally identifiable (finite fibres modulo rescaling) or not.",
    notion="identifiability", fields=("C",),
    values=("identifiable", "lower", "upper", "params_minus_symmetry"),
    references=("usevich_2025", "kileel_trager_bruna_2019"),
)
def deep_identifiability(widths: list[int], degree: int, seed: int = 0) -> Outcome:
    """Local identifiability of a deep polynomial network: Jacobian rank = parameters - rescalings.

    Returns
    -------
    Outcome
        ``proved`` with ``identifiable`` true (the Jacobian rank reaches parameters
        - hidden widths: finite generic fibres modulo rescaling) or false (a
        structural upper bound is below it: positive-dimensional fibres), ``unknown``
        with ``identifiable`` None otherwise.
    """
    d = G.deep_identifiability(widths, degree, seed)
    values = {"identifiable": d["identifiable"], "lower": d["lower"], "upper": d["upper"],
              "params_minus_symmetry": d["params_minus_symmetry"]}
    return Outcome(d["identifiability_status"], values, d["certificate_obj"],
                   f"locally identifiable: {d['identifiable']} ({d['notion']})")
