"""Theorem family: border-rank lower bounds from Koszul-Young flattenings, certified.

``koszul-border-rank`` bounds the border rank (over C) of a named tensor below by the best
flattening or Koszul-Young flattening (:mod:`tnverify.theory.koszul`); the checker rebuilds the
flattening from the tensor and checks a nonzero minor mod p (rule ``border-rank-koszul``,
docs/certificates.md). Tensors: the matrix multiplication tensor ``<n, n, n>`` and a
tensor with uniform random integer entries of a given shape (a generic tensor of the format
with probability close to 1; the bound is proved for the tensor drawn, whatever it is).

References
----------
V. Strassen, "Rank and optimal computation of generic tensors", 1983 (3 x n x n: border rank
>= 3n/2); J. M. Landsberg, G. Ottaviani, "Equations for secant varieties of Veronese and other
varieties", 2013 (border rank of <n, n, n> >= 2n^2 - n).
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from tnverify.errors import InputError
from tnverify.theorems import Outcome, theorem
from tnverify.theorems.claims import decide
from tnverify.theory.koszul import border_rank_lower


def matmul_tensor(n: int) -> np.ndarray:
    """The matrix multiplication tensor <n, n, n>: ``sum_{i,j,k} e_{ij} (x) e_{jk} (x) e_{ki}`` (n^2 x n^2 x n^2)."""
    T = np.zeros((n * n,) * 3, dtype=np.int64)
    for i in range(n):
        for j in range(n):
            for k in range(n):
                T[i * n + j, j * n + k, k * n + i] = 1
    return T


@theorem(
    "koszul-border-rank",
    statement="A lower bound on the border rank over C of a tensor, from a flattening or a Koszul-Young "
              "flattening T_A^(wedge p) (rank <= C(2p, p) on rank-one tensors).",
    notion="border rank", fields=("C",),
    values=("lower", "upper", "flattening_rank", "per_term"),
    references=("strassen_1983", "landsberg_ottaviani_2013"),
)
def koszul_border_rank(tensor: Literal["matmul", "random"], claim_at_least: int | None = None,
                       claim_at_most: int | None = None, n: int | None = None, shape: list[int] | None = None,
                       entries_seed: int = 0, seed: int = 0) -> Outcome:
    """Border rank of ``tensor`` >= ``claim_at_least`` (or <= ``claim_at_most``): ``matmul`` (``n``) or
    ``random`` (``shape``, entries in [-9, 9]).

    Returns
    -------
    Outcome
        ``proved`` when a certified bound implies the claim: the lower bound from a flattening or
        a Koszul-Young flattening, the upper bound from a secant variety that fills the format
        (border rank <= generic rank, by Terracini); ``refuted`` when a certified bound
        contradicts it; ``unknown`` otherwise.
    """
    if tensor == "matmul":
        if n is None or n < 1:
            raise InputError(f"expected n >= 1 for the matrix multiplication tensor, got {n!r}")
        T = matmul_tensor(n)
    else:
        if not shape or any(s < 1 for s in shape):
            raise InputError(f"expected a shape of positive dimensions for a random tensor, got {shape!r}")
        T = np.random.default_rng(entries_seed).integers(-9, 10, shape)
    res = border_rank_lower(T, seed=seed)
    filled = any(s["rule"] == "border-rank-at-most-by-filling" for s in res.certificate.steps)
    values = {"lower": res.lower, "upper": res.upper if filled else None, "flattening_rank": res.rank,
              "per_term": res.per_term}
    return decide(res.lower, res.upper if filled else None, at_least=claim_at_least, at_most=claim_at_most,
                  certificate=res.certificate,
                  subject={"tensor": {"object": "T"}, "field": "C"}, values=values,
                  facts=("border-rank-at-least", "border-rank-at-most"), detail=res.witness)
