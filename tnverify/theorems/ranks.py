"""Theorems about exact ranks of explicit matrices and tensor flattenings.

Families (parameter ``family``):

* ``vandermonde`` -- V[i, j] = x_i^(n-1-j) with nodes x_i = 1..n (``np.vander``
  order). Over Q its determinant prod_{i<j}(x_j - x_i) is nonzero: rank n. Over
  GF(p) the nodes take min(n, p) distinct values: rank min(n, p).
* ``hilbert`` -- H[i, j] = 1/(i + j + 1); nonsingular (Cauchy determinant).
* ``product`` -- U V with random integer U (m x inner), V (inner x n): rank
  min(m, inner, n) for all but a measure-zero set of factors.
* ``matmul`` -- the flattening {A} | {B, C} of the matrix multiplication tensor
  <n, n, n> (modes indexed by entries of A, B, C): rank n^2 (Strassen 1969).
* ``w-state`` -- e1e1e2 + e1e2e1 + e2e1e1: every 1 | 2 flattening has rank 2
  (de Silva and Lim 2008); its tensor rank is 3.
* ``explicit`` -- ``entries`` given in the instance (integers or "p/q" strings).

``claim_at_least`` / ``claim_at_most`` turn the instance into the claim "rank >= k"
or "rank <= k": ``proved`` or ``refuted``, each with a certificate. The rank
certificates and their rules are described in ``docs/certificates.md``.
"""
from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from tnverify.certificate import Certificate, tensor_object
from tnverify.exact.rank import rank_certificate
from tnverify.errors import InputError
from tnverify.exact import as_exact_array, examples, parse_field, rank, reduce_mod
from tnverify.exact.tensor import flatten, parse_modes
from tnverify.theorems import ExactArray, Outcome, theorem
from tnverify.theorems.claims import decide

Family = Literal["vandermonde", "hilbert", "product", "matmul", "w-state", "explicit"]
FAMILIES: tuple[str, ...] = get_args(Family)


def build(family: Family, n: int | None, m: int | None, inner: int | None, seed: int,
          entries: ExactArray | None) -> np.ndarray:
    """The exact matrix or tensor of a family (see the module docstring).

    Raises :class:`~tnverify.errors.InputError` when a size the family needs is
    missing or not a positive integer.
    """
    def need(x, name):
        if not isinstance(x, int) or isinstance(x, bool) or x < 1:
            raise InputError(f"family {family!r} needs a positive integer {name}, got {x!r}")
        return x

    if family in ("vandermonde", "hilbert", "matmul"):
        return examples.get(family)(need(n, "n"))
    if family == "product":
        return examples.product(need(m, "m"), need(inner, "inner"), need(n, "n"), seed)
    if family == "w-state":
        return examples.w_tensor(3)
    if family == "explicit":
        if entries is None:
            raise InputError("family 'explicit' needs entries = [[...], ...]")
        return as_exact_array(entries, name="entries")
    raise InputError(f"unknown matrix family {family!r}; valid: {', '.join(FAMILIES)}")


@theorem(
    "matrix-rank",
    statement="The rank over a field of an explicit matrix, or of a flattening of an explicit tensor.",
    notion="rank", fields=("Q", "GF(p)"),
    values=("rank", "lower", "upper", "field", "shape"),
    references=("classical_ranks", "strassen_1969", "de_silva_lim_2008"),
)
def matrix_rank(family: Family, n: int | None = None, m: int | None = None, inner: int | None = None,
                seed: int = 0, entries: ExactArray | None = None, rows: str | list[int] | None = None,
                field: str = "Q", upper: Literal["auto", "kernel", "modular", "probable"] = "auto",
                claim_at_least: int | None = None, claim_at_most: int | None = None) -> Outcome:
    """The rank of a family's matrix (or of a flattening of its tensor) over Q or GF(p).

    Parameters
    ----------
    family : {"vandermonde", "hilbert", "product", "matmul", "w-state", "explicit"}
        The object (see the module docstring); ``n``, ``m``, ``inner``, ``seed`` and
        ``entries`` are its sizes, seed and entries.
    rows : str or list of int, optional
        Row modes of the flattening of a tensor (default mode 0).
    field : str
        ``"Q"`` or ``"GF(p)"``.
    upper : {"auto", "kernel", "modular", "probable"}
        How the upper bound over Q is witnessed (:func:`tnverify.exact.rank.rank`).
    claim_at_least, claim_at_most : int, optional
        Turn the instance into the claim "rank >= k" or "rank <= k"
        (:func:`tnverify.theorems.claims.decide`).

    Returns
    -------
    Outcome
        ``proved`` when a nonzero minor and an upper witness meet, ``probable`` when
        the upper bound holds modulo random primes only.

    Notes
    -----
    The lower bound is a nonzero r x r minor, the upper bound a kernel, the shape or
    ranks modulo primes; the certificate states both and the checker re-derives them
    (``docs/certificates.md``, rules ``rank-at-least`` / ``rank-at-most``).
    """
    F = parse_field(field)
    T = build(family, n, m, inner, seed, entries)
    if F.kind == "GF":
        T = reduce_mod(T, F.p)
    if T.ndim == 2 and rows is None:
        M, ref, cert = T, {"object": "M"}, None
    else:
        modes = parse_modes(rows if rows is not None else [0], T.ndim)
        M = flatten(T, modes)
        ref = {"object": "T", "rows": list(modes)}
        cert = Certificate(objects={"T": tensor_object(T)})
    res = rank(M, F, seed=seed, upper=upper)
    cert = rank_certificate(res, M, ref, cert)
    values = {"rank": res.rank, "lower": res.lower, "upper": res.upper, "field": str(F), "shape": list(M.shape)}
    if claim_at_least is not None or claim_at_most is not None:
        out = decide(res.lower, res.upper if res.status == "proved" else res.upper_proved, at_least=claim_at_least,
                     at_most=claim_at_most, certificate=cert, subject={"matrix": ref, "field": str(F)},
                     values=values)
    else:
        out = Outcome(res.status, values, cert,
                      f"rank over {F} = {res.rank} ({res.status}; upper witness: {res.upper_method})")
    out.field = str(F)
    return out
