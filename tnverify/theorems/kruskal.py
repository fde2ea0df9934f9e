"""Theorems about Kruskal ranks, CP uniqueness and identifiability of polynomial networks.

* ``kruskal-rank`` -- the Kruskal rank of a matrix family (explicit, planted dependency,
  Vandermonde, generic random point), proved by enumeration mod p and an exact kernel.
* ``cp-unique-generic`` -- generic essential uniqueness of rank-R CP of a format
  (Kruskal / Sidiropoulos-Bro / compound condition at a random point); ``unknown`` when
  no sufficient condition holds (never "not unique").
* ``cp-unique-factors`` -- the same for explicit factor matrices.
* ``jennrich-exact`` -- exact Jennrich decomposition over Q of T = [[A, B, C]] built from
  integer factors, and its certified uniqueness.
* ``pnn-identifiable`` -- f(x) = V (W^T x)^d is identifiable up to permutation and scaling
  (proved by Kruskal on a grouping of the modes) or not (refuted by the parameter count).
"""
from __future__ import annotations

import numpy as np

from tnverify.errors import InputError
from tnverify.exact.rank import as_exact_array
from tnverify.theory.kruskal import generic_kruskal_rank, kruskal_certificate, kruskal_rank
from tnverify.theory.uniqueness import factors_uniqueness, generic_uniqueness, jennrich, pnn_identifiability
from tnverify.theorems import Outcome, theorem

MATRIX_FAMILIES = ("explicit", "planted", "vandermonde", "generic")


def _matrix(family: str, rows, cols, entries, size, seed) -> np.ndarray:
    if family == "explicit":
        if entries is None:
            raise InputError("family 'explicit' needs entries = [[...], ...]")
        return as_exact_array(entries, name="entries")
    if not isinstance(rows, int) or not isinstance(cols, int) or rows < 1 or cols < 1:
        raise InputError(f"family {family!r} needs positive integers rows and cols, got {rows!r}, {cols!r}")
    rng = np.random.default_rng(seed)
    if family == "vandermonde":
        return np.array([[x**i for x in range(1, cols + 1)] for i in range(rows)], dtype=object)
    if family == "planted":
        if not isinstance(size, int) or not 2 <= size <= cols:
            raise InputError(f"family 'planted' needs 2 <= size <= cols, got size {size!r}")
        A = rng.integers(-1000, 1001, (rows, cols))
        coef = rng.integers(1, 10, size - 1)
        A[:, size - 1] = A[:, : size - 1] @ coef  # columns 0..size-1 are dependent
        return A
    raise InputError(f"unknown matrix family {family!r}; valid: {', '.join(MATRIX_FAMILIES)}")


@theorem(
    "kruskal-rank",
    statement="The Kruskal rank (largest k with every k columns independent) of a matrix over Q or GF(p).",
    reference="Kruskal 1977, Linear Algebra Appl. 18, Section 4",
)
def kruskal_rank_theorem(family: str, rows: int | None = None, cols: int | None = None, entries=None,
                         size: int | None = None, seed: int = 0, field: str = "Q") -> Outcome:
    if family == "generic":
        res, A = generic_kruskal_rank(rows, cols, seed=seed)
        cert = kruskal_certificate(res, A)
        cert.meta["generic"] = "every k columns independent is Zariski open: true at this point, hence generically"
    else:
        A = _matrix(family, rows, cols, entries, size, seed)
        res = kruskal_rank(A, field, seed=seed)
        cert = kruskal_certificate(res, A)
    values = {"k_rank": res.k_rank, "lower": res.lower, "upper": res.upper, "field": str(res.field),
              "witness": res.witness or None}
    msg = (f"Kruskal rank over {res.field} = {res.k_rank}" if res.status == "proved"
           else f"Kruskal rank in [{res.lower}, {res.upper}] ({res.reason})")
    return Outcome(res.status, values, cert, msg)


def _uniq_outcome(res) -> Outcome:
    values = {k: v for k, v in res.values.items() if k in ("rank", "format", "k_ranks", "order", "symmetric")}
    values["verdict"] = res.verdict
    values["conditions_held"] = [c.name for c in res.conditions if c.held]
    msg = "; ".join(f"{c.name}: {c.detail}" for c in res.conditions)
    return Outcome(res.status, values, res.certificate, msg)


@theorem(
    "cp-unique-generic",
    statement="Rank-R CP decompositions of a generic tensor of the format are essentially unique "
              "(a sufficient condition proved at a random point; unknown otherwise).",
    reference="Kruskal 1977; Sidiropoulos & Bro 2000; De Lathauwer 2006, Theorem 4.1",
)
def cp_unique_generic(shape: list, rank: int, symmetric: bool = False, seed: int = 0) -> Outcome:
    return _uniq_outcome(generic_uniqueness(shape, rank, symmetric=symmetric, seed=seed))


@theorem(
    "cp-unique-factors",
    statement="The CP decomposition [[F_1, ..., F_N]] with the given factor matrices is essentially unique.",
    reference="Kruskal 1977; Sidiropoulos & Bro 2000; De Lathauwer 2006",
)
def cp_unique_factors(factors: list, seed: int = 0) -> Outcome:
    return _uniq_outcome(factors_uniqueness(factors, seed=seed))


@theorem(
    "jennrich-exact",
    statement="Jennrich's algorithm recovers the CP decomposition of T = [[A, B, C]] exactly over Q, "
              "and the decomposition is unique (A, B full column rank, k_C >= 2).",
    reference="Leurgans, Ross & Abel 1993, SIAM J. Matrix Anal. Appl. 14; Harshman 1970",
)
def jennrich_exact(shape: list | None = None, rank: int | None = None, factors: list | None = None,
                   seed: int = 0) -> Outcome:
    if factors is None:
        if shape is None or rank is None or len(shape) != 3:
            raise InputError("jennrich-exact needs factors, or shape = [I, J, K] and rank")
        rng = np.random.default_rng(seed)
        factors = [rng.integers(-5, 6, (n, rank)) for n in shape]
    Fs = [as_exact_array(F, name="factor") for F in factors]
    T = np.einsum("ir,jr,kr->ijk", *[F.astype(object) for F in Fs])
    jr = jennrich(T, seed=seed)
    if jr.uniqueness is None:
        return Outcome("unknown", {"rank": jr.rank, "recovered": False}, None, jr.message)
    res = jr.uniqueness
    values = {"rank": jr.rank, "recovered": True, "k_ranks": res.values["k_ranks"], "verdict": res.verdict}
    return Outcome(res.status, values, res.certificate, jr.message + "; " + res.conditions[0].detail)


@theorem(
    "pnn-identifiable",
    statement="The 2-layer polynomial network f(x) = V (W^T x)^d with n inputs, m neurons and o outputs "
              "is identifiable up to permutation and scaling (generically, or at the given weights).",
    reference="Kruskal 1977 on the partially symmetric CP sum_j v_j (x) w_j^(x)d; parameter count",
)
def pnn_identifiable(inputs: int, width: int, degree: int, outputs: int = 1, weights=None, coefficients=None,
                     seed: int = 0) -> Outcome:
    res = pnn_identifiability(inputs, width, degree, outputs, seed=seed, W=weights, V=coefficients)
    status = {"identifiable": "proved", "not identifiable": "refuted"}.get(res.verdict, "unknown")
    values = {"identifiable": {"identifiable": True, "not identifiable": False}.get(res.verdict),
              "params_mod_scaling": res.values["params_mod_scaling"], "ambient": res.values["ambient"],
              "groups": res.values.get("groups"), "k_ranks": res.values.get("k_ranks")}
    msg = "; ".join(f"{c.name}: {c.detail}" for c in res.conditions)
    return Outcome(status, values, res.certificate, msg)
