"""Large dense ranks over GF(p): the one entry point, dispatching between BLAS and FLINT.

:func:`rank_profile` returns the rank of an integer matrix modulo a prime ``p``
together with pivot rows and columns of a nonsingular ``r x r`` minor (the
witness a checker needs). Primes ``p <= tnverify.numeric.pluq.P_MAX`` (about
1.19e7) go to the blocked elimination on float64 BLAS of :mod:`tnverify.numeric.pluq`,
exact because every inner product of ``k`` residues satisfies ``k (p-1)^2 < 2^53``;
primes below ``2^20`` are its fast path (:data:`FAST_PRIME_BITS`). Larger primes (up to ``2^63``) fall
back to FLINT's ``nmod_mat``. This module is the mod-p engine
layer: :mod:`tnverify.exact.rank` builds witnesses and certificates on top of it.

Soundness of a small prime: a minor that is nonzero mod ``p`` is a nonzero
integer, so the rank mod ``p`` of an integer matrix is a lower bound on its rank
over Q whatever ``p`` is. A small prime only makes an accidental drop more likely
(Schwartz-Zippel: a fixed nonzero minor of degree D vanishes at a uniform point
of GF(p)^n with probability <= D / p), never the bound unsound.

Also here: :func:`matmul_mod`, an exact product of residue matrices on float64
BLAS (chunked so that every partial sum stays below 2^53).

References
----------
.. [1] J.-G. Dumas, P. Giorgi, C. Pernet, "Dense linear algebra over word-size
   prime fields: the FFLAS and FFPACK packages", ACM TOMS 35(3), 2008.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import flint
import numpy as np

from tnverify.errors import FieldError, NotExactError, ShapeError
from tnverify.numeric.pluq import P_MAX, pluq_rank_profile

__all__ = ["ModularRank", "rank_profile", "rank", "pick_prime", "matmul_mod", "reduce", "FAST_PRIME_BITS",
           "PRIME_BITS", "is_prime", "random_prime", "uniform_point", "to_nmod_mat", "to_fmpz_mat", "rref_pivots"]

#: Bits of the random primes used with FLINT (nmod_mat needs a word-size modulus).
PRIME_BITS = 62


def is_prime(n: int) -> bool:
    """Exact primality (FLINT's ``fmpz.is_prime``, a proof, not a probable-prime test)."""
    return n >= 2 and bool(flint.fmpz(n).is_prime())


def random_prime(rng: np.random.Generator, bits: int = PRIME_BITS, exclude: Iterable[int] = ()) -> int:
    """A prime drawn uniformly from [2^(bits-1), 2^bits) by rejection sampling.

    Rejection sampling (not "next prime after a random integer") makes every prime
    of the interval equally likely, which the failure bound of ``probable`` needs.
    """
    ex = set(exclude)
    lo = 1 << (bits - 1)
    while True:
        n = lo + int(rng.integers(0, lo, dtype=np.uint64)) | 1
        if n not in ex and is_prime(n):
            return n


def uniform_point(rng: np.random.Generator, p: int, shape) -> np.ndarray:
    """The one sampler of random points: entries uniform in [0, p) (int64), a uniform point of GF(p)^shape.

    Every random point of tnverify (network cores, architecture weights, Jacobian
    parameters, factor matrices) is drawn here, from the whole field rather than a small
    range: by Schwartz-Zippel a fixed nonzero polynomial of degree D vanishes at such a
    point with probability at most D / p (docs/grid_tensors.md). ``p`` need not be prime
    when the entries are used over Z. Cost O(prod shape).
    """
    return rng.integers(0, p, shape, dtype=np.int64)


def _mod_flat(M: np.ndarray, p: int) -> list:
    if M.dtype == np.int64:
        return (M % np.int64(p) if p < 2**62 else M.astype(object) % p).ravel().tolist()
    return [int(x) % p for x in M.ravel()]


def to_nmod_mat(M: np.ndarray, p: int) -> "flint.nmod_mat":
    """The integer matrix ``M`` reduced mod ``p`` as a flint ``nmod_mat``."""
    m, n = M.shape
    return flint.nmod_mat(m, n, _mod_flat(M, p), p)


def to_fmpz_mat(M: np.ndarray) -> "flint.fmpz_mat":
    """The integer matrix ``M`` as a flint ``fmpz_mat``."""
    m, n = M.shape
    return flint.fmpz_mat(m, n, [int(x) for x in M.ravel()] if M.dtype == object else M.ravel().tolist())


def rref_pivots(R, r: int, ncols: int) -> list[int]:
    """Pivot columns of an rref of rank r: first nonzero of each of the first r rows."""
    piv, j = [], 0
    for i in range(r):
        while int(R[i, j]) == 0:
            j += 1
        piv.append(j)
        j += 1
    return piv


def _flint_rank_profile(M: np.ndarray, p: int) -> tuple[int, list[int], list[int]]:
    """Rank over GF(p) with pivot rows and columns of a nonsingular r x r minor.

    Returns ``(r, rows, cols)`` such that ``M[rows][:, cols]`` is nonsingular mod p.
    Square full-rank input costs one rank computation; otherwise two echelon forms
    (one of ``M`` or ``M^T`` for the first index set, one of the r selected lines for
    the other). Complexity O(m n min(m, n)).
    """
    m, n = M.shape
    N = to_nmod_mat(M, p)
    if m == n:
        r = N.rank()
        if r == n:
            return r, list(range(m)), list(range(n))
    if m <= n:
        R, r = N.rref()
        cols = rref_pivots(R, r, n)
        if r == m:
            return r, list(range(m)), cols
        if r == 0:
            return 0, [], []
        C = to_nmod_mat(np.ascontiguousarray(M[:, cols].T), p)
        R2, _ = C.rref()
        rows = rref_pivots(R2, r, m)
        return r, rows, cols
    r, cols, rows = _flint_rank_profile(np.ascontiguousarray(M.T), p)
    return r, rows, cols


#: Bits of the primes picked by default: the BLAS kernel's fast path (p < 2^20).
FAST_PRIME_BITS = 20
_TWO53 = 1 << 53


@dataclass(frozen=True)
class ModularRank:
    """Rank of an integer matrix over GF(prime) with a witness minor.

    ``M[rows][:, cols]`` (``rows``, ``cols`` increasing, length ``rank``) is
    nonsingular mod ``prime``; ``engine`` is ``"blas"`` or ``"flint"``.
    """

    rank: int
    rows: list
    cols: list
    prime: int
    engine: str


def pick_prime(seed: int | np.random.Generator = 0, bits: int = FAST_PRIME_BITS, exclude=()) -> int:
    """A prime drawn uniformly from [2^(bits-1), 2^bits) (rejection sampling, recorded by callers)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return random_prime(rng, bits=bits, exclude=exclude)


def _check_prime(p) -> int:
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise FieldError(f"expected a prime modulus (an integer), got {p!r}")
    p = int(p)
    if not 2 <= p < 2**63 or not is_prime(p):
        raise FieldError(f"expected a prime modulus in [2, 2^63), got {p}")
    return p


def reduce(M, p: int) -> np.ndarray:
    """Residues in [0, p) of an integer array (int64 or object of Python ints), as int64.

    Raises :class:`NotExactError` for float or other non-integer arrays.
    """
    p = _check_prime(p)
    A = np.asarray(M)
    if A.dtype == object:
        try:
            return np.array([int(x) % p for x in A.ravel()], dtype=np.int64).reshape(A.shape)
        except (TypeError, ValueError):
            raise NotExactError("expected integer entries for a reduction mod p") from None
    if A.dtype.kind not in "iu" or A.dtype == np.uint64:
        raise NotExactError(f"expected an integer matrix for a rank mod p, got dtype {A.dtype}")
    return np.mod(A.astype(np.int64, copy=False), np.int64(p))


def rank_profile(M, p: int, *, reduced: bool = False) -> ModularRank:
    """Rank of the integer matrix ``M`` over GF(p) with a nonsingular pivot minor.

    Parameters
    ----------
    M : (m, n) integer array (int64, other integer dtypes, or object of ints)
    p : prime, ``2 <= p < 2^63``. Primes ``<= tnverify.numeric.pluq.P_MAX`` use the
        blocked float64-BLAS elimination (fast below ``2^20``); larger ones FLINT.
    reduced : set True when the entries are already in ``[0, p)`` (skips a copy)

    Returns
    -------
    ModularRank
        ``M[rows][:, cols]`` is nonsingular mod p, so ``rank`` is a proved lower
        bound on the rank of ``M`` over Q.

    Notes
    -----
    Cost O(m n r) field operations, almost all in BLAS; memory one float64 copy.

    Examples
    --------
    >>> res = rank_profile(np.array([[1, 2, 3], [2, 4, 6], [0, 1, 1]]), 7)
    >>> (res.rank, res.rows, res.cols)
    (2, [0, 2], [0, 1])
    """
    p = _check_prime(p)
    A = np.asarray(M)
    if A.ndim != 2:
        raise ShapeError(f"expected a 2-d matrix for a rank mod p, got {A.ndim} dimensions, shape {A.shape}")
    if A.size == 0:
        raise ShapeError(f"expected a nonempty matrix, got shape {A.shape}")
    R = np.ascontiguousarray(A if reduced and A.dtype == np.int64 else reduce(A, p))
    if p <= P_MAX:
        r, rows, cols = pluq_rank_profile(R, p)
        return ModularRank(r, [int(i) for i in rows], [int(j) for j in cols], p, "blas")
    r, rows, cols = _flint_rank_profile(R, p)
    return ModularRank(int(r), sorted(int(i) for i in rows), sorted(int(j) for j in cols), p, "flint")


def rank(M, p: int) -> int:
    """Rank of the integer matrix ``M`` over GF(p), without a witness.

    The engines of :func:`rank_profile` (BLAS elimination for ``p <= P_MAX``, FLINT's
    ``nmod_mat.rank`` above), without the second echelon form that pivots need.
    Cost O(m n min(m, n)).
    """
    p = _check_prime(p)
    A = np.asarray(M)
    if A.ndim != 2 or A.size == 0:
        raise ShapeError(f"expected a nonempty 2-d matrix for a rank mod p, got shape {A.shape}")
    R = np.ascontiguousarray(reduce(A, p))
    if p <= P_MAX:
        return int(pluq_rank_profile(R, p)[0])
    return int(to_nmod_mat(R, p).rank())


def matmul_mod(A: np.ndarray, B: np.ndarray, p: int) -> np.ndarray:
    """``A @ B mod p`` for residue matrices (int64 in [0, p)), exact on float64 BLAS.

    The inner dimension is cut into chunks of ``k`` with ``k (p-1)^2 < 2^53`` so
    every partial sum is an exactly represented integer. Requires ``p < 2^26``.
    """
    if p >= 1 << 26:
        raise FieldError(f"matmul_mod needs a prime below 2^26, got {p}")
    k = max(1, (_TWO53 - 1) // ((p - 1) ** 2 or 1))
    Af, Bf = A.astype(np.float64), B.astype(np.float64)
    n = A.shape[1]
    out = np.zeros((A.shape[0], B.shape[1]), dtype=np.int64)
    for s in range(0, n, k):
        out += np.mod(Af[:, s:s + k] @ Bf[s:s + k], p).astype(np.int64)
        out %= p
    return out
