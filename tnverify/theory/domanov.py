"""Uniqueness of a specific CP decomposition [[A, B, C]] by Domanov and De Lathauwer's C_m condition.

For third-order factors A (I x R), B (J x R), C (K x R) with r_C = rank C, let
``m = R - r_C + 2``. Domanov and De Lathauwer (2013, Part II [1]_) prove: if

* ``max(min(k_A, k_B - 1), min(k_A - 1, k_B)) + k_C >= R + 1`` (k-ranks), and
* ``C_m(A) (.) C_m(B)`` has full column rank C(R, m),

then T = [[A, B, C]] has rank R and its CPD is unique. ``C_m`` is the m-th compound matrix
(all m x m minors; rows and columns indexed by m-subsets in lexicographic order) and ``(.)``
the column-wise Khatri-Rao product. With r_C = R (m = 2) this is De Lathauwer's compound
condition; when no factor has full column rank it reaches beyond Kruskal's condition, and it
contains Kruskal's condition (Part II, Section 1). Any factor may play C; the prover tries
each role.

Exactness: r_C is the exact rank over Q (a nonzero minor mod p and, below min(K, R), exact
kernel vectors); the k-ranks are proved lower bounds (:mod:`tnverify.theory.kruskal`), which
the inequality only needs from below; full column rank is a nonzero C(R,m)-minor mod p of the
integer matrix ``C_m(A) (.) C_m(B)``, nonzero over Q. The checker rebuilds that minor from the
factors itself (docs/mathematics.md, section 4).

Cost: ``C(I, m) C(J, m) C(R, m)`` products of two m x m determinants and a rank mod p of that
matrix.

References
----------
.. [1] I. Domanov, L. De Lathauwer, "On the uniqueness of the canonical polyadic decomposition of
   third-order tensors -- Part I: Basic results and uniqueness of one factor matrix" and "-- Part II:
   Uniqueness of the overall decomposition", SIAM J. Matrix Anal. Appl. 34(3) (2013) 855-875, 876-903.
"""
from __future__ import annotations

import itertools
import math

import flint
import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.exact import rank
from tnverify.exact.rank import rank_certificate
from tnverify.numeric.modp import random_prime, rank_profile

__all__ = ["compound", "domanov_condition", "domanov_cost"]


def compound(A: np.ndarray, m: int) -> np.ndarray:
    """m-th compound matrix: entry (I, S) = det A[I, S] for m-subsets I of rows, S of columns (lexicographic)."""
    I, R = A.shape
    rows = list(itertools.combinations(range(I), m))
    cols = list(itertools.combinations(range(R), m))
    out = np.empty((len(rows), len(cols)), dtype=object)
    for a, ri in enumerate(rows):
        for b, cj in enumerate(cols):
            out[a, b] = int(flint.fmpz_mat([[int(A[i, j]) for j in cj] for i in ri]).det())
    return out


def domanov_cost(I: int, J: int, R: int, m: int) -> tuple[float, float]:
    """``(bytes, operations)`` of the C_m condition: ``C(I,m) C(J,m) x C(R,m)`` Python integers and their rank."""
    rows, cols = budget.comb(I, m) * budget.comb(J, m), budget.comb(R, m)
    return 48.0 * rows * cols, (50.0 + m ** 3) * rows * cols + rows * cols * min(rows, cols)


def domanov_condition(Fs: list, names: list, ks: list, cert: Certificate, rng, seed: int = 0):
    """Try the C_m condition with each factor as C; on success add its steps to ``cert``.

    ``Fs`` are three integer factor matrices (rows cleared of denominators), ``names`` their
    object names in ``cert``, ``ks`` proved lower bounds on their k-ranks (with their
    ``kruskal-rank-at-least`` steps already in ``cert``). Returns ``(held, detail)``: True with
    the role and m, or None / False with the reason.
    """
    R = Fs[0].shape[1]
    detail = "no role of C meets the k-rank inequality"
    for c in range(3):
        a, b = [i for i in range(3) if i != c]
        kA, kB, kC = ks[a], ks[b], ks[c]
        if max(min(kA, kB - 1), min(kA - 1, kB)) + kC < R + 1:
            continue
        rr = rank(Fs[c], seed=seed)
        if rr.status != "proved":
            continue
        m = R - rr.rank + 2
        if m > min(Fs[a].shape[0], Fs[b].shape[0]) or m < 2:
            detail = f"{names[c]} as C: m = {m} exceeds the rows of {names[a]} or {names[b]}"
            continue
        need = math.comb(R, m)
        if math.comb(Fs[a].shape[0], m) * math.comb(Fs[b].shape[0], m) < need:
            detail = f"{names[c]} as C: C_{m} has fewer rows than C({R},{m}) = {need} columns"
            continue
        memory, work = domanov_cost(Fs[a].shape[0], Fs[b].shape[0], R, m)
        budget.require(f"the C_{m} condition of Domanov and De Lathauwer for rank {R}", memory=memory, work=work)
        Ca, Cb = compound(Fs[a], m), compound(Fs[b], m)
        K = np.einsum("ir,jr->ijr", Ca, Cb).reshape(Ca.shape[0] * Cb.shape[0], -1)
        p = random_prime(rng)
        prof = rank_profile(K, p)
        if prof.rank < need:
            detail = f"{names[c]} as C: C_{m}({names[a]})(.)C_{m}({names[b]}) has rank {prof.rank} < {need} mod {p}"
            continue
        rank_certificate(rr, Fs[c], {"object": names[c]}, cert)
        cert.add_step("domanov-uniqueness", id="domanov", factors=[{"object": n} for n in names], rank=R, role=c,
                      rank_c=rr.rank, k=list(ks), rows=prof.rows, modulus=p)
        return True, (f"{names[c]} as C: r_C = {rr.rank}, m = {m}, C_{m}({names[a]})(.)C_{m}({names[b]}) "
                      f"rank {need} (minor mod {p}); k = {ks}")
    return None, detail
