"""Ranks over Q, Z and GF(p) with the witnesses a checker needs.

Every rank reported here comes with evidence (README.md, "Exact ranks with
witnesses"; the certificate is built by :func:`rank_certificate`):

* **lower bound** -- pivot rows and columns whose r x r minor is nonzero modulo a
  prime p. A minor that is nonzero mod p is a nonzero integer, so the rank over Q
  is at least r (and so is the rank over GF(p)).
* **upper bound** -- one of

  - ``shape``: r = min(m, n);
  - ``kernel``: n - r linearly independent exact kernel vectors (small matrices;
    :func:`rational_kernel`, :func:`modular_kernel`);
  - ``modular``: rank mod p_i <= r for distinct primes whose product exceeds the
    Hadamard bound H of every (r+1) x (r+1) minor of the (row-cleared) integer
    matrix (:func:`hadamard_log2`). Each such minor D satisfies |D| <= H < prod p_i
    and p_i | D for all i, hence D = 0. Deterministic, and far smaller than a
    kernel whose entries have hundreds of digits;
  - ``probable``: rank mod k random primes <= r. Not a proof: the status is
    ``probable``. A nonzero (r+1)-minor D has at most log2(H) / (b - 1) prime
    divisors of b bits, so one prime drawn uniformly from the set S of b-bit
    primes divides it with probability at most ``log2 H / ((b - 1) |S|)``, and
    all k primes with probability at most ``(log2 H / ((b - 1) |S|))^k`` (|S| is
    bounded below by Rosser and Schoenfeld [3]_).

Conventions: the input is an exact array (:mod:`tnverify.exact.arrays`); over Q
the rows are cleared of denominators before any rank computation (scaling a row
by a nonzero integer keeps the rank); over GF(p) entries are reduced by
:meth:`tnverify.exact.Field.reduce`. Randomness always comes from ``seed=``;
every seed and prime used is recorded in the result.

References
----------
.. [1] J. von zur Gathen, J. Gerhard, *Modern Computer Algebra*, ch. 5
   (modular algorithms and the Hadamard bound).
.. [2] The FLINT team, FLINT: Fast Library for Number Theory (nmod_mat, fmpz_mat).
.. [3] J. B. Rosser, L. Schoenfeld, "Approximate formulas for some functions of
   prime numbers", Illinois J. Math. 6 (1962) 64-94.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field as dc_field
from typing import Sequence

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate, matrix_object
from tnverify.errors import InputError
from tnverify.exact.arrays import as_exact_matrix, integer_rows
from tnverify.exact.fields import Field, parse_field
from tnverify.numbers import enc, to_exact
from tnverify.numeric.modp import (
    PRIME_BITS, pick_prime, random_prime, rank as rank_mod_p, rank_profile, rref_pivots, to_fmpz_mat, to_nmod_mat,
)
from tnverify.numeric.pluq import P_MAX
from tnverify.results import Bounds, Notion

__all__ = ["RankResult", "rank", "rank_certificate", "rank_cost", "require_rank", "hadamard_log2", "rational_kernel", "modular_kernel",
           "MODULAR_BUDGET", "KERNEL_BUDGET"]

#: Work budget (multiply-adds mod p) for a deterministic modular upper bound.
MODULAR_BUDGET = 4.0e10
#: Largest m * n * (n - r) for which an exact kernel is used as the upper witness over Q.
KERNEL_BUDGET = 2.0e6
#: Largest rank for which the exact kernel is used as the upper witness over Q.
KERNEL_MAX_RANK = 400
#: Over GF(p) the kernel (entries < p) is cheap: a budget this many times larger.
MODP_KERNEL_FACTOR = 50


#: Bytes per entry of a rank over Q (or GF(p) with p > P_MAX): the int64 matrix, its residues,
#: and a 62-bit upper-witness prime's Python integers (40 bytes with the list) and FLINT nmod_mat.
BYTES_PER_ENTRY = 72
#: Bytes per entry of a rank over GF(p), p <= P_MAX: residues and the float64 copy of the BLAS elimination.
BYTES_PER_ENTRY_BLAS = 24
#: Ranks modulo a prime that a rank over Q computes at most under ``auto``: the lower-bound
#: prime and the two of a ``probable`` witness (a ``modular`` one is chosen within MODULAR_BUDGET).
PRIMES_OVER_Q = 3


def rank_cost(m: int, n: int, field: "str | Field" = "Q") -> tuple[float, float]:
    """``(bytes, operations)`` that :func:`rank` needs for an ``m x n`` matrix over ``field``.

    Memory: :data:`BYTES_PER_ENTRY` per entry (:data:`BYTES_PER_ENTRY_BLAS` over a small
    GF(p)). Work: ``m n min(m, n)`` operations per rank modulo a prime, for
    :data:`PRIMES_OVER_Q` primes over Q and one over GF(p). Floats, from the shape alone:
    the caller estimates before it converts or allocates anything.
    """
    F = parse_field(field)
    entries = float(m) * float(n)
    small = F.kind == "GF" and F.p <= P_MAX
    return (entries * (BYTES_PER_ENTRY_BLAS if small else BYTES_PER_ENTRY),
            (1 if F.kind == "GF" else PRIMES_OVER_Q) * entries * min(m, n))


def require_rank(m: int, n: int, field: "str | Field" = "Q", what: str | None = None) -> None:
    """:func:`tnverify.budget.require` with :func:`rank_cost`: refuse a rank over the budget before it starts."""
    memory, work = rank_cost(m, n, field)
    budget.require(what or f"the rank of a {m} x {n} matrix over {parse_field(field)}", memory=memory, work=work)


# ---------------------------------------------------------------------- Hadamard
def _squared_norms(M: np.ndarray, axis: int) -> list[int]:
    if M.dtype == np.int64:
        mx = int(np.abs(M).max()) if M.size else 0
        if mx * mx * M.shape[axis] < 2**63:  # the int64 sum of squares cannot overflow
            return [int(v) for v in (M * M).sum(axis=axis)]
    O = M.astype(object)
    return [int(v) for v in (O * O).sum(axis=axis)]


def hadamard_log2(M: np.ndarray, k: int) -> tuple[float, str]:
    """log2 of a bound H on |det| of every k x k minor of the integer matrix ``M``.

    Hadamard's inequality |det B| <= prod_i ||b_i|| for the rows (or columns) b_i
    of B, and a minor's rows are sub-rows of ``M``'s: H = product of the k largest
    Euclidean row norms, or the same with columns. Returns the smaller with its
    name (``"rows"``/``"cols"``); ``(0.0, name)`` when every k x k minor contains a
    zero line. O(m n).

    Examples
    --------
    >>> hadamard_log2(np.array([[3, 4], [0, 1]]), 2)   # rows: 5 * 1; columns: 3 * sqrt(17)
    (2.321928094887362, 'rows')
    """
    best = (math.inf, "rows")
    for axis, name in ((1, "rows"), (0, "cols")):
        sq = sorted(_squared_norms(M, axis), reverse=True)[:k]
        if 0 in sq:
            return 0.0, name
        val = 0.5 * sum(math.log2(s) for s in sq)
        best = min(best, (val, name))
    return best


def _prime_set_size_lower(bits: int) -> float:
    """Lower bound on the number of primes in [2^(bits-1), 2^bits) (Rosser-Schoenfeld [3]_)."""
    hi, lo = 2.0**bits, 2.0 ** (bits - 1)
    return hi / math.log(hi) - 1.25506 * lo / math.log(lo)


# -------------------------------------------------------------------------- result
@dataclass(kw_only=True)
class RankResult(Bounds):
    """The rank of a matrix with its witnesses and its status (a :class:`tnverify.results.Bounds`).

    Attributes
    ----------
    rank : int or None
        The rank when ``status`` is ``proved`` or ``probable``.
    field : Field
        The field the rank is over.
    status : str
        ``proved`` (both bounds certified) or ``probable`` (lower bound proved, upper
        bound holds modulo random primes with ``failure_probability``).
    lower, upper : int
        Proved lower bound; upper bound (proved, or probable when status says so).
    upper_proved : int
        The best *proved* upper bound (the shape when the upper witness is probable).
    upper_method : str
        ``shape``, ``kernel``, ``modular`` or ``probable``.
    shape : tuple of int
        (m, n).
    pivot_rows, pivot_cols : list of int
        A nonzero r x r minor (nonzero mod ``prime``).
    prime : int
        The prime of the lower-bound witness.
    primes : list of int
        The primes of a modular or probable upper bound.
    kernel : list of list of int, optional
        Independent kernel vectors (integers; mod p for GF(p)), the ``kernel`` witness.
    kernel_support : list of int
        Coordinates where the kernel vectors form a nonsingular diagonal block.
    hadamard : str or None
        ``rows``/``cols``: which Hadamard bound the modular or probable witness used.
    failure_probability : float or None
        Bound on the probability that a ``probable`` upper bound is wrong.
    seed : int or None
        The seed of the witness (the last of ``seeds``).
    seconds : float
        Wall time.
    """

    rank: int | None
    notion: Notion = "rank"
    upper_proved: int
    upper_method: str
    shape: tuple
    pivot_rows: list
    pivot_cols: list
    prime: int | None
    kernel: list | None = None
    kernel_support: list = dc_field(default_factory=list)
    hadamard: str | None = None
    failure_probability: float | None = None
    seed: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready summary (witness index lists included, big data excluded)."""
        return {
            **super().to_dict(),
            "rank": self.rank,
            "upper_proved": self.upper_proved,
            "upper_method": self.upper_method,
            "shape": list(self.shape),
            "pivot_rows": self.pivot_rows,
            "pivot_cols": self.pivot_cols,
            "prime": self.prime,
            "failure_probability": self.failure_probability,
            "seed": self.seed,
            "seconds": round(self.seconds, 6),
        }


# -------------------------------------------------------------------------- kernels
def rational_kernel(M: np.ndarray, rows: Sequence[int], cols: Sequence[int]) -> list[list[int]]:
    """Primitive integer kernel vectors of M built from a nonsingular pivot minor B = M[rows, cols].

    For each non-pivot column j: v[j] = L, v[cols] = -L * B^{-1} M[rows, j], with L
    the lcm of the denominators, then divided by the gcd of its entries. They are a
    basis of the kernel over Q iff rank M = len(rows) (each has a nonzero entry at
    its own non-pivot column and zeros at the others, so they are independent); the
    caller (and the checker) confirm ``M v == 0`` exactly. Cost: one exact solve
    with the r x r minor (FLINT's fraction-free ``fmpz_mat.solve``).
    """
    m, n = M.shape
    pivots = set(cols)
    nc = [j for j in range(n) if j not in pivots]
    B = to_fmpz_mat(np.ascontiguousarray(M[np.ix_(rows, cols)]))
    Nm = to_fmpz_mat(np.ascontiguousarray(M[np.ix_(rows, nc)]))
    X = B.solve(Nm)  # fmpq_mat, r x (n - r)
    vecs = []
    for t, j in enumerate(nc):
        col = [to_exact(X[i, t]) for i in range(len(cols))]
        lcm = math.lcm(*(f.denominator for f in col))
        v = [0] * n
        v[j] = lcm
        for i, c in enumerate(cols):
            v[c] = -int(col[i] * lcm)
        g = math.gcd(*v)
        vecs.append([x // g for x in v])
    return vecs


def modular_kernel(M: np.ndarray, p: int) -> tuple[list[list[int]], list[int]]:
    """A kernel basis of the residue matrix ``M`` over GF(p), and its support (the non-pivot columns).

    From the reduced row echelon form R: for each non-pivot column j, v[j] = 1 and
    v[c_i] = -R[i, j] mod p at the pivot columns c_i. O(m n min(m, n)) operations mod p.
    """
    m, n = M.shape
    R, r = to_nmod_mat(M, p).rref()
    cols = rref_pivots(R, r, n)
    pivots = set(cols)
    nc = [j for j in range(n) if j not in pivots]
    vecs = []
    for j in nc:
        v = [0] * n
        v[j] = 1
        for i, c in enumerate(cols):
            v[c] = (-int(R[i, j])) % p
        vecs.append(v)
    return vecs, nc


def _annihilates(M: np.ndarray, vecs: list[list[int]]) -> bool:
    """Whether ``M v == 0`` exactly for every vector (Python integers: no overflow)."""
    O = M.astype(object)
    return all(all(x == 0 for x in O.dot(np.array(v, dtype=object))) for v in vecs)


# -------------------------------------------------------------------------- rank
def rank(
    A,
    field: "str | Field" = "Q",
    *,
    seed: int | None = None,
    upper: str = "auto",
    probable_primes: int = 2,
    modular_budget: float = MODULAR_BUDGET,
    jobs: int = 1,
    scheduler: str | None = None,
) -> RankResult:
    """Rank of a matrix over Q or GF(p), with a lower and an upper witness.

    Parameters
    ----------
    A : array_like
        Integer or rational matrix (see :func:`tnverify.exact.as_exact_array`).
    field : str or Field
        ``"Q"`` (default; ``"Z"`` is the same rank) or ``"GF(p)"``.
    seed : int, optional
        Seed of the random primes; recorded in the result. Default 0.
    upper : {"auto", "kernel", "modular", "probable"}
        How to witness the upper bound over Q. ``auto`` takes the shape when the
        matrix has full rank, an exact kernel for small matrices, the deterministic
        modular bound while its cost fits ``modular_budget`` multiply-adds, and
        ``probable`` beyond.
    probable_primes : int
        Number of random primes for a ``probable`` upper bound.
    modular_budget : float
        Work budget of the ``modular`` witness under ``auto``.
    jobs, scheduler : int, str
        Executor for the independent ranks modulo the upper-bound primes
        (:func:`tnverify.parallel.executor`: local processes or a Dask cluster).

    Returns
    -------
    RankResult

    Notes
    -----
    Lower bound: elimination mod a random prime p (20 bits: the BLAS engine's fast
    path, :func:`tnverify.numeric.modp.rank_profile`) gives r and a minor that is
    nonzero mod p, hence nonzero over Z, hence rank_Q >= r. Upper bound: see the
    module docstring. If the upper witness fails (p divided every larger minor),
    the whole search restarts with the seed ``seed + 1`` and fresh primes; every
    seed is recorded in ``seeds``. Cost: O(m n min(m, n)) word operations per prime;
    the kernel witness adds an exact solve with the r x r pivot minor. The estimate
    :func:`rank_cost` is checked against the budget (:mod:`tnverify.budget`) before
    the input is converted, and a ``modular`` or ``kernel`` witness once r is known:
    :class:`~tnverify.errors.BudgetError` beyond.

    Examples
    --------
    >>> res = rank([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
    >>> res.rank, res.status, res.upper_method
    (2, 'proved', 'kernel')
    >>> M = np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]], dtype=object)
    >>> all(x == 0 for x in M.dot(np.array(res.kernel[0], dtype=object)))
    True
    """
    t0 = time.perf_counter()
    F = parse_field(field)
    if upper not in ("auto", "kernel", "modular", "probable"):
        raise InputError(f"expected upper witness auto, kernel, modular or probable, got {upper!r}")
    if isinstance(A, np.ndarray) and A.ndim == 2:
        require_rank(*A.shape, F)  # before any conversion
    M = as_exact_matrix(A)
    if not isinstance(A, np.ndarray):
        require_rank(*M.shape, F)
    M = integer_rows(F.reduce(M))
    if F.kind == "GF":
        res = _rank_mod_p(M, F, seed)
    else:
        base = 0 if seed is None else seed
        seeds = []
        for attempt in itertools.count():
            s = seed if attempt == 0 else base + attempt
            seeds.append(base + attempt)
            res = _rank_over_q(M, F, s, upper, probable_primes, modular_budget, jobs, scheduler)
            if res is not None:
                break
        res.seeds = seeds
    res.seconds = time.perf_counter() - t0
    return res


def _rank_mod_p(M: np.ndarray, F: Field, seed: int | None) -> RankResult:
    """Rank over GF(p) of the residue matrix ``M``: pivots, and a kernel or ``modular`` ([p]) upper witness."""
    m, n = M.shape
    p = F.p
    prof = rank_profile(M, p)
    r = prof.rank
    res = RankResult(rank=r, field=F, status="proved", lower=r, upper=r, upper_proved=r, upper_method="shape",
                     shape=(m, n), pivot_rows=prof.rows, pivot_cols=prof.cols, prime=p, seed=seed,
                     seeds=[] if seed is None else [seed])
    if r < min(m, n):
        if m * n * (n - r) <= KERNEL_BUDGET * MODP_KERNEL_FACTOR:
            res.kernel, res.kernel_support = modular_kernel(M, p)
            res.upper_method = "kernel"
        else:
            res.upper_method, res.primes = "modular", [p]
    return res


def _rank_over_q(M, F, seed, upper, probable_primes, modular_budget, jobs, scheduler) -> RankResult | None:
    """One attempt over Q with the primes of ``seed``; None when the lower-bound prime was unlucky."""
    m, n = M.shape
    full = min(m, n)
    rng = np.random.default_rng(0 if seed is None else seed)
    prof = rank_profile(M, pick_prime(rng))
    r, rows, cols, p0 = prof.rank, prof.rows, prof.cols, prof.prime
    res = RankResult(rank=r, field=F, status="proved", lower=r, upper=r, upper_proved=r, upper_method="shape",
                     shape=(m, n), pivot_rows=rows, pivot_cols=cols, prime=p0, seed=seed)
    if r == full:
        return res
    log2H, hmode = hadamard_log2(M, r + 1)
    n_mod = max(0, math.ceil((log2H + 1) / (PRIME_BITS - 1)))
    method = upper
    if method == "auto":
        if m * n * (n - r) <= KERNEL_BUDGET and r <= KERNEL_MAX_RANK:
            method = "kernel"
        elif n_mod * m * n * full <= modular_budget:
            method = "modular"
        else:
            method = "probable"
    if method == "modular":
        budget.require(f"the modular upper witness of a {m} x {n} rank over Q ({n_mod} primes)",
                       work=n_mod * float(m) * n * full)
    if method == "kernel":
        # fraction-free solve: r^2 (n - r) multiplications of integers of up to ~r words
        budget.require(f"the exact kernel of a {m} x {n} matrix of rank {r}",
                       work=float(r) * r * (n - r) * max(1.0, r / 16), memory=float(r) * n * max(8.0, r))
        vecs = rational_kernel(M, rows, cols)
        if not _annihilates(M, vecs):
            return None  # the rank over Q exceeds r: p0 divided every larger minor
        pivots = set(cols)
        res.upper_method, res.kernel = "kernel", vecs
        res.kernel_support = [j for j in range(n) if j not in pivots]
        return res
    # modular: primes with rank_p <= r until their product exceeds H (p0 counts too);
    # probable: `probable_primes` fresh primes drawn uniformly from the PRIME_BITS-bit primes.
    used = [p0] if method == "modular" else []
    fresh = []
    bits = sum(math.log2(q) for q in used)
    while (bits <= log2H) if method == "modular" else (len(fresh) < probable_primes):
        q = random_prime(rng, exclude=used + fresh + [p0])
        fresh.append(q)
        bits += math.log2(q)
    if _ranks_modulo(M, fresh, jobs, scheduler) > r:
        return None
    res.primes, res.hadamard = used + fresh, hmode
    res.upper_method = method
    if method == "probable":
        per = min(1.0, log2H / (PRIME_BITS - 1) / _prime_set_size_lower(PRIME_BITS))
        res.status = "probable"
        res.upper_proved = full
        res.failure_probability = per ** len(res.primes)
    return res


def _rank_task(task) -> int:
    M, q = task
    return rank_mod_p(M, q)


def _ranks_modulo(M: np.ndarray, primes: list[int], jobs: int, scheduler: str | None) -> int:
    """Largest rank of ``M`` modulo the given primes, the primes handled by an executor."""
    if not primes:
        return 0
    if jobs == 1 and not scheduler:
        return max(rank_mod_p(M, q) for q in primes)
    from tnverify.parallel import TaskFailure, executor

    ex = executor(jobs, scheduler)
    try:
        out = []
        for _, rp in ex.map_unordered(_rank_task, [(M, q) for q in primes]):
            if isinstance(rp, TaskFailure):
                raise InputError(f"a rank modulo a prime failed on a worker: {rp.message}")
            out.append(rp)
    finally:
        ex.close()
    return max(out)


def rank_certificate(res, M, ref: dict, cert: "Certificate | None" = None, *, name: str = "M") -> Certificate:
    """Certificate for a :class:`tnverify.exact.RankResult` of the matrix ``ref`` points to.

    ``ref`` is ``{"object": NAME}`` or ``{"object": NAME, "rows": [...]}``; when
    ``cert`` is None a new certificate is made holding ``M`` as a matrix object.
    The conclusion states the rank over the result's field (both bounds) when the
    status is ``proved``, and only the proved lower bound when it is ``probable``.
    Steps: ``rank-at-least`` (the pivot minor and its prime) and ``rank-at-most`` by shape,
    kernel or modular witness (docs/mathematics.md, sections 1 and 2.1).
    """
    if cert is None:
        cert = Certificate(objects={name: matrix_object(M)})
    fld = str(res.field)
    mod = res.field.p if res.field.kind == "GF" else res.prime
    cert.add_step(
        "rank-at-least", id="lower", matrix=ref, rank=res.lower,
        minor={"rows": res.pivot_rows, "cols": res.pivot_cols}, modulus=mod,
    )
    subject = {"matrix": ref, "field": fld}
    cert.conclude("rank-at-least", subject, res.lower)
    if res.status != "proved":
        cert.claim.setdefault("probable_upper", {"value": res.upper, "primes": [str(p) for p in res.primes],
                                                 "failure_probability": f"{res.failure_probability:.6g}"})
        return cert
    if res.upper_method == "shape":
        cert.add_step("rank-at-most", id="upper", matrix=ref, rank=res.upper, method="shape")
    elif res.upper_method == "kernel":
        cert.add_step(
            "rank-at-most", id="upper", matrix=ref, rank=res.upper, method="kernel",
            kernel=[[enc(x) for x in v] for v in res.kernel], support=res.kernel_support,
            modulus=res.field.p if res.field.kind == "GF" else None,
        )
    elif res.upper_method == "modular":
        cert.add_step("rank-at-most", id="upper", matrix=ref, rank=res.upper, method="modular",
                      primes=[enc(p) for p in res.primes], field=fld)
    cert.conclude("rank-at-most", subject, res.upper)
    return cert
