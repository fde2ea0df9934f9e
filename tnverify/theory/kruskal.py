"""Kruskal rank (k-rank) with certified bounds, over Q or GF(p).

The Kruskal rank ``k_A`` of an ``I x R`` matrix ``A`` is the largest ``k`` such that
EVERY set of ``k`` columns of ``A`` is linearly independent [1]_;
``k_A <= rank(A) <= min(I, R)``.

How a value is proved
---------------------
* lower bound ``k``: every ``k``-subset of columns is independent modulo a prime ``p``.
  A nonzero maximal minor mod p is a nonzero integer, so the subsets are independent
  over Q too: sound for Q whatever p is (:func:`tnverify.numeric.kruskal_search.kruskal_search`,
  a depth-first enumeration with prefix reuse on numba threads).
* upper bound ``k``: one dependent ``(k+1)``-subset with an EXACT kernel vector over Q
  (or over GF(p) for the field GF(p)). A subset that is dependent mod p may be
  independent over Q; it counts only after the exact confirmation, otherwise the search
  resumes with a fresh prime from the proved lower bound.
* trivial upper bound: ``k_A <= R``.

Budgets (``max_subsets``, ``timeout``, and by default the work budget of
:mod:`tnverify.budget` as a number of subset tests) stop the enumeration between kernel calls;
the result then reports the proved interval ``[lower, upper]`` with status
``unknown``, never a guess.

Rational entries: each row is scaled by the lcm of its denominators (a left
multiplication by an invertible diagonal matrix, which keeps every column dependency).

References
----------
.. [1] J. B. Kruskal, "Three-way arrays: rank and uniqueness of trilinear
   decompositions", Linear Algebra Appl. 18 (1977) 95-138.
"""
from __future__ import annotations

import itertools
import math
import sys
import time
from dataclasses import dataclass, field as dc_field
from fractions import Fraction

import flint
import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate, matrix_object
from tnverify.errors import BudgetError, InputError, ShapeError
from tnverify.exact import Field, as_exact_array, integer_rows, nullspace, parse_field, rank as exact_rank
from tnverify.numbers import enc
from tnverify.numeric.kruskal_search import MAX_KERNEL_PRIME, count_subsets, kruskal_search, kruskal_search_chunked
from tnverify.numeric.modp import random_prime, rank as rank_mod_p, uniform_point
from tnverify.results import Bounds, Notion

__all__ = ["KruskalResult", "kruskal_rank", "kruskal_certificate", "generic_kruskal_rank", "random_matrix",
           "flint_kruskal_rank", "kruskal_cost", "subset_work", "best_grouping"]

#: Bits of the kernel primes (p < 2^31 keeps products of residues in int64).
KERNEL_PRIME_BITS = 31
#: Subset tests below which one kernel call does everything (no progress bar needed).
ONE_CALL_SUBSETS = 20_000_000
#: Size of the first call of a scheduled (timed / progress) search.
FIRST_CALL_SUBSETS = 1_000_000
#: Most subsets (of sizes 1..k together) that the checker enumerates (its ``MAX_KRANK_SUBSETS``): a lower
#: bound k with more could not be certified, so the search stops below it.
CHECKABLE_SUBSETS = 20_000_000
#: Bytes per entry of a Kruskal search: the integer matrix, its residues and their int64 copy.
BYTES_PER_ENTRY = 24
#: Operations charged per row and per entry of a subset in the FLINT reference search (Python lists).
FLINT_OPS = 50


def subset_work(I: int, R: int, p: int | None = None) -> float:
    """Operations charged per subset test of an ``I x R`` search: ``I`` for the kernel (one
    column update of the prefix's echelon form), ``FLINT_OPS I min(I, R)`` for the FLINT
    reference search, which modular searches with ``p > 2^31`` use."""
    if p is not None and p > MAX_KERNEL_PRIME:
        return float(FLINT_OPS) * I * min(I, R)
    return float(I)


def kruskal_cost(I: int, R: int, k: int, p: int | None = None) -> tuple[float, float]:
    """``(bytes, operations)`` of a full search of the k-subsets (sizes 1..k) of an ``I x R`` matrix.

    ``sum_{j <= k} C(R, j)`` subset tests of :func:`subset_work` each, as floats (``inf`` when
    astronomically many), and :data:`BYTES_PER_ENTRY` per entry.
    """
    subsets = 0.0
    for j in range(1, int(min(k, R)) + 1):
        subsets += budget.comb(R, j)
        if subsets == math.inf:
            break
    return BYTES_PER_ENTRY * float(I) * R, subsets * subset_work(I, R, p)


@dataclass(kw_only=True)
class KruskalResult(Bounds):
    """A Kruskal rank with its proved interval and witnesses (a :class:`tnverify.results.Bounds`).

    Attributes
    ----------
    k_rank : int or None
        The Kruskal rank when ``status == "proved"`` (``lower == upper``).
    status : str
        ``proved`` or ``unknown`` (budget, timeout, ``k_max`` or unlucky primes).
    lower, upper : int
        Proved bounds: every ``lower`` columns are independent; some ``upper + 1``
        columns are dependent (or ``upper = min(I, R)``).
    field : Field
    shape : tuple of int
        (I, R).
    witness : list of int
        The dependent ``(upper + 1)``-subset (empty when ``upper = min(I, R)``, the shape bound).
    kernel : list
        A nonzero exact vector ``v`` with ``A[:, witness] @ v == 0`` (over Q, or mod p).
    prime : int or None
        Prime of the lower-bound enumeration.
    primes : list of int
        Every prime tried.
    n_checked : int
        Subsets decided by the enumeration.
    reason : str
        Why the status is ``unknown`` (empty when proved).
    seed : int
        The seed of the primes (``seeds == [seed]``).
    """

    notion: Notion = "Kruskal rank"
    k_rank: int | None
    shape: tuple
    witness: list = dc_field(default_factory=list)
    kernel: list = dc_field(default_factory=list)
    prime: int | None = None
    n_checked: int = 0
    reason: str = ""
    seed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """:meth:`tnverify.results.Bounds.to_dict` plus the k-rank, shape, witnesses and search counts."""
        return {
            **super().to_dict(), "k_rank": self.k_rank, "shape": list(self.shape),
            "witness": self.witness or None, "kernel": [enc(x) for x in self.kernel] or None,
            "prime": self.prime, "n_checked": self.n_checked, "reason": self.reason, "seed": self.seed,
            "seconds": round(self.seconds, 6),
        }


def _as_integer_matrix(A, field: Field) -> np.ndarray:
    """The matrix over the field: residues mod p, or rows cleared of denominators (same column dependencies)."""
    M = as_exact_array(A, name="matrix")
    if M.ndim != 2:
        raise ShapeError(f"expected a 2-d matrix for a Kruskal rank, got shape {M.shape}")
    return integer_rows(field.reduce(M))


def _exact_kernel_vector(M: np.ndarray, cols, field: Field) -> list:
    """A nonzero kernel vector of ``M[:, cols]`` over the field, or [] if the columns are independent."""
    sub = M[:, list(cols)]
    vecs = nullspace(sub, field if field.kind == "GF" else "Q")
    return list(vecs[0]) if vecs else []


def flint_kruskal_rank(M: np.ndarray, p: int, k_max: int, max_subsets: int | None = None):
    """Reference enumeration: one FLINT ``nmod_mat.rank()`` per column subset, sizes 1..k_max.

    Returns ``(k_lower, witness, n_checked, converged)`` with the same meaning as
    :func:`tnverify.numeric.kruskal_search.kruskal_search`. Any prime below 2^63 works.
    Cost: ``count_subsets(R, k)`` FLINT calls; used beyond the kernel's prime range
    and as the benchmark baseline.
    """
    I, R = M.shape
    rows = [[int(x) % p for x in row] for row in M]
    n = 0
    for s in range(1, min(k_max, R) + 1):
        if max_subsets is not None and n + math.comb(R, s) > max_subsets:
            return s - 1, (), n, False
        for S in itertools.combinations(range(R), s):
            n += 1
            if flint.nmod_mat([[row[c] for c in S] for row in rows], p).rank() < s:
                return s - 1, S, n, True
    return min(k_max, R), (), n, True


def _search(M, p, k_max, start, budget, timeout, t0, bar):
    """Kernel calls from the proved ``start`` upward within the budget and the time limit.

    Returns (k_lower, witness, n_checked, converged).
    """
    R = M.shape[1]
    total = count_subsets(R, k_max)
    if p > MAX_KERNEL_PRIME:
        k, w, n, ok = flint_kruskal_rank(M, p, k_max, budget)
        bar.update(n)
        return k, w, n, ok
    if timeout is None and not _bar_visible(bar) and total <= ONE_CALL_SUBSETS:
        res = kruskal_search(M, p, k_max, start, budget)
        bar.update(res.n_checked)
        return res.k_lower, res.witness, res.n_checked, res.converged
    used, k, rate = 0, start, None
    while True:
        limit = math.inf  # what the budget and the time left allow
        if timeout is not None and rate is not None:
            limit = int((timeout - (time.perf_counter() - t0)) * rate)
        if budget is not None:
            limit = min(limit, budget - used)
        # calls grow at most 4-fold (the rate they measure keeps the timeout honest), one size at least
        allowed = min(limit, FIRST_CALL_SUBSETS if rate is None else 4 * max(used, FIRST_CALL_SUBSETS))
        target = k_max
        while target > k + 1 and count_subsets(R, target) > allowed:
            target -= 1
        if count_subsets(R, target) > limit and rate is not None:
            return k, (), used, False  # the next size does not fit what is left
        t1 = time.perf_counter()
        try:
            res = kruskal_search(M, p, target, k, None if budget is None else budget - used)
        except BudgetError:
            if used:
                return k, (), used, False
            raise
        dt = time.perf_counter() - t1
        used += res.n_checked
        bar.update(res.n_checked)
        rate = max(res.n_checked, 1) / max(dt, 1e-4)
        k = res.k_lower
        if res.witness or not res.converged:
            return k, res.witness, used, res.converged
        if k >= k_max:
            return k, (), used, True


def _bar_visible(bar) -> bool:
    return not getattr(bar, "disable", True)


def kruskal_rank(A, field: "str | Field" = "Q", *, k_max: int | None = None, max_subsets: int | None = None,
                 timeout: float | None = None, seed: int = 0, progress: bool = False,
                 max_primes: int = 4, jobs: int = 1, scheduler: str | None = None) -> KruskalResult:
    """Kruskal rank of a matrix over Q (default) or GF(p), with proved bounds.

    Parameters
    ----------
    A : array_like, (I, R) integer or rational matrix (floats are refused)
    field : ``"Q"`` or ``"GF(p)"``
    k_max : stop at this size (the result is then ``k_A >= k_max`` unless a smaller
        dependency exists)
    max_subsets : budget of subset tests over the whole search (default: the work budget of
        :mod:`tnverify.budget` divided by :func:`subset_work`; a larger one is refused)
    timeout : seconds; no kernel call is started that would not fit
    seed : seed of the random primes (recorded)
    progress : show a tqdm bar on stderr
    max_primes : primes tried before a mod-p dependency that is not one over Q is
        reported as ``unknown``
    jobs, scheduler : split the enumeration into chunks (one per smallest column,
        :func:`tnverify.numeric.kruskal_search.kruskal_search_chunked`) run by local processes
        or a Dask cluster. For clusters: on one machine the kernel already uses every
        core. A full search: no ``max_subsets`` or ``timeout`` with it.

    Returns
    -------
    KruskalResult

    Notes
    -----
    Cost: at most ``sum_{j <= k+1} C(R, j)`` subset tests of ``O(I)`` each (pruned by
    the rank mod p and by the first dependency), plus one exact kernel per witness.

    Examples
    --------
    The k-rank of ``[e1, e2, e1 + e2, e3]`` is 2 (``{e1, e2, e1 + e2}`` is dependent):

    >>> res = kruskal_rank([[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    >>> res.k_rank, res.status, res.witness
    (2, 'proved', [0, 1, 2])
    >>> import numpy as np
    >>> A = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    >>> bool((A[:, res.witness] @ np.array(res.kernel) == 0).all())
    True
    """
    t0 = time.perf_counter()
    F = parse_field(field)
    if isinstance(A, np.ndarray) and A.ndim == 2:  # before any conversion
        budget.require(f"the Kruskal rank of a {A.shape[0]} x {A.shape[1]} matrix",
                       memory=BYTES_PER_ENTRY * float(A.size))
    M = _as_integer_matrix(A, F)
    I, R = M.shape
    what = f"the Kruskal rank of a {I} x {R} matrix"
    budget.require(what, memory=BYTES_PER_ENTRY * float(I) * R)
    if k_max is not None and (not isinstance(k_max, (int, np.integer)) or k_max < 1):
        raise InputError(f"expected k_max >= 1, got {k_max!r}")
    if max_subsets is not None and max_subsets < 1:
        raise BudgetError(f"expected a positive subset budget, got {max_subsets}")
    if timeout is not None and not timeout > 0:
        raise BudgetError(f"expected a positive timeout in seconds, got {timeout}")
    chunked = jobs != 1 or scheduler is not None
    if chunked and (max_subsets is not None or timeout is not None):
        raise InputError("a chunked (--jobs/--scheduler) Kruskal search is a full search: "
                         "drop --max-subsets/--timeout or run it in one process")
    km = R if k_max is None else min(int(k_max), R)
    checkable, total = 1, R  # the largest k whose subsets of sizes 1..k the checker can enumerate, together
    while checkable < km and total + math.comb(R, checkable + 1) <= CHECKABLE_SUBSETS:
        checkable += 1
        total += math.comb(R, checkable)
    if checkable < min(km, I):
        km = checkable  # past it no lower bound could be certified
    per = subset_work(I, R, F.p if F.kind == "GF" else None)
    if chunked:  # a full search: its worst case (k <= rank <= I, one size more to find a dependency)
        budget.require(what, work=kruskal_cost(I, R, min(km, I) + 1, F.p if F.kind == "GF" else None)[1])
    elif max_subsets is not None:
        budget.require(f"{what} with --max-subsets {max_subsets}", work=max_subsets * per)
    implicit = not chunked and max_subsets is None and budget.factor() != math.inf
    if implicit:  # the work budget as a budget of subset tests: the result is "unknown" when it is spent
        max_subsets = max(1, int(budget.WORK * budget.factor() / per))
    rng = np.random.default_rng(seed)
    # k_A <= rank(A) <= min(I, R)
    res = KruskalResult(k_rank=None, status="unknown", lower=0, upper=min(I, R), field=F, shape=(I, R), seed=seed,
                        seeds=[seed])
    from tqdm import tqdm

    with tqdm(total=count_subsets(R, km), unit="subsets", file=sys.stderr, disable=not progress,
              desc="k-rank", unit_scale=True, leave=False) as bar:
        lower = 0
        for _ in range(max_primes if F.kind == "Q" else 1):
            p = F.p if F.kind == "GF" else random_prime(rng, KERNEL_PRIME_BITS, exclude=res.primes)
            res.primes.append(p)
            if progress and len(res.primes) == 1:  # the rank mod p prunes the sizes searched
                bar.total = count_subsets(R, min(km, rank_mod_p(M, p)))
                bar.refresh()
            left = None if max_subsets is None else max_subsets - res.n_checked
            if left is not None and left <= 0:
                break
            try:
                if chunked and p <= MAX_KERNEL_PRIME:
                    out = kruskal_search_chunked(M, p, km, jobs=jobs, scheduler=scheduler)
                    k, wit, n, converged = out.k_lower, out.witness, out.n_checked, True
                    bar.update(n)
                else:
                    k, wit, n, converged = _search(M, p, km, lower, left, timeout, t0, bar)
            except BudgetError:
                if res.n_checked:
                    break
                if implicit:  # the shared budget's message, naming --budget
                    budget.require(f"{what} (every subset of up to {lower + 1} columns)",
                                   work=kruskal_cost(I, R, lower + 1, p)[1])
                raise
            res.n_checked += n
            if k > lower or res.prime is None:
                res.prime = p
            lower = max(lower, k)
            res.lower = lower
            if not converged:
                timed = timeout is not None and (max_subsets is None or res.n_checked < max_subsets)
                res.reason = "timeout" if timed else "budget"
                break
            if not wit or len(wit) - 1 >= res.upper:
                break  # every km-subset is independent, or the shape already bounds k
            vec = _exact_kernel_vector(M, wit, F)
            if vec:
                res.upper, res.witness, res.kernel = len(wit) - 1, list(wit), vec
                break
            # dependent mod p only: the proved lower bound stands; retry with a fresh prime
            res.reason = f"dependency mod {p} not confirmed over Q"
        else:
            res.reason = f"no dependency confirmed over Q after {max_primes} primes"
    if res.upper > res.lower and res.lower == km and km < R:
        _rank_upper(M, F, res)
        limited = km == checkable and (k_max is None or km < k_max)
        res.reason = res.reason or (f"the checker enumerates at most {CHECKABLE_SUBSETS:.0e} subsets, and those "
                                    f"of up to {km + 1} columns are more" if limited else
                                    f"search limited to k_max = {km}")
    if res.lower == res.upper:
        res.k_rank, res.status, res.reason = res.lower, "proved", ""
    res.seconds = time.perf_counter() - t0
    return res


def _rank_upper(M: np.ndarray, F: Field, res: KruskalResult) -> None:
    """k_A <= rank(A): when the rank is below R, any rank + 1 columns are dependent."""
    rr = exact_rank(M, F if F.kind == "GF" else "Q", upper="kernel" if M.shape[1] <= 400 else "auto")
    if rr.status == "proved" and rr.rank < res.upper:
        cols = list(range(rr.rank + 1))
        vec = _exact_kernel_vector(M, cols, F)
        if vec:
            res.upper, res.witness, res.kernel = rr.rank, cols, vec


def kruskal_certificate(res: KruskalResult, A, ref: dict | None = None, cert: Certificate | None = None, *,
                        name: str = "A", conclude: bool = True) -> Certificate:
    """Certificate of the proved bounds of a :class:`KruskalResult` for the matrix ``ref``.

    Steps: ``kruskal-rank-at-least`` (the checker enumerates every ``lower``-subset mod
    the recorded prime) and, when ``upper < R``, ``kruskal-rank-at-most``: the dependent
    subset and its exact kernel vector, or, without a witness, the shape (``upper`` = the
    number of rows). ``ref`` defaults to ``{"object": name}`` and ``A`` is then stored as
    that matrix object (reduced mod p for a GF(p) result with rational entries).
    """
    if cert is None:
        cert = Certificate()
    if ref is None:
        ref = {"object": name}
        M = as_exact_array(A, name="matrix")
        if res.field.kind == "GF" and M.dtype == object and any(isinstance(x, Fraction) for x in M.ravel()):
            # a GF(p) fact is about M mod p: store that integer matrix (a/b -> a b^-1 mod p)
            M = res.field.reduce(M)
            cert.claim.setdefault("note", f"matrix {name} is stored reduced mod {res.field.p}")
        cert.objects[name] = matrix_object(M)
    fld = str(res.field)
    subject = {"matrix": ref, "field": fld}
    sid = ref["object"]
    cert.add_step("kruskal-rank-at-least", id=f"{sid}-k-lower", matrix=ref, k=res.lower,
                  modulus=res.prime)
    if conclude:
        cert.conclude("kruskal-rank-at-least", subject, res.lower)
    if res.upper < res.shape[1] and not res.witness:
        cert.add_step("kruskal-rank-at-most", id=f"{sid}-k-upper", matrix=ref, k=res.upper, field=fld)
        if conclude:
            cert.conclude("kruskal-rank-at-most", subject, res.upper)
    if res.witness:
        cert.add_step("kruskal-rank-at-most", id=f"{sid}-k-upper", matrix=ref, k=res.upper,
                      subset=res.witness, kernel=[enc(x) for x in res.kernel],
                      modulus=res.field.p if res.field.kind == "GF" else None)
        if conclude:
            cert.conclude("kruskal-rank-at-most", subject, res.upper)
    return cert


def random_matrix(shape, seed: int, bits: int = 30) -> np.ndarray:
    """A random point of the format: entries uniform mod a random ``bits``-bit prime (:func:`uniform_point`)."""
    rng = np.random.default_rng(seed)
    return uniform_point(rng, random_prime(rng, bits), tuple(shape))


def generic_kruskal_rank(I: int, R: int, *, seed: int = 0, tries: int = 3) -> tuple[KruskalResult, np.ndarray]:
    """Generic Kruskal rank of ``I x R`` matrices: ``min(I, R)``, proved at a random point.

    "Every k columns are independent" is a Zariski-open condition on ``A``; one integer
    point where it holds (mod p, hence over Q) proves it for generic ``A`` over C. The
    upper bound ``k_A <= min(I, R)`` is the shape. Returns the result at the point
    and the point itself. A point that falls short is retried (``tries`` seeds). Cost: per
    try, every subset of up to min(I, R) columns, ``sum_{j <= min(I, R)} C(R, j)`` tests of
    O(I) (:func:`kruskal_cost`).
    """
    for d in (I, R):
        if not isinstance(d, (int, np.integer)) or d < 1:
            raise ShapeError(f"expected a positive matrix format, got {I} x {R}")
    target = min(I, R)
    memory, work = kruskal_cost(I, R, target)  # the proof enumerates every subset of up to min(I, R) columns
    budget.require(f"the generic Kruskal rank of {I} x {R} matrices (every subset of up to {target} columns)",
                   memory=memory, work=tries * work)
    for t in range(tries):
        A = random_matrix((I, R), seed + t)
        res = kruskal_rank(A, seed=seed + t, k_max=target)
        if res.lower >= target:
            break
    res.upper, res.witness, res.kernel = target, [], []  # the shape bounds k by min(I, R)
    res.k_rank = res.lower if res.lower == target else None
    res.status = "proved" if res.lower == target else "unknown"
    return res, A


def best_grouping(n: int, m: int, d: int, min_parts: int):
    """Grouping of the ``d`` symmetric modes with the largest expected Kruskal slack.

    Maximises ``sum_g (k(a_g) - 1)`` with ``k(a) = min(C(n+a-1, a), m)`` (the generic k-rank
    of the ``a``-th Veronese factor) over partitions of ``d`` into at least ``min_parts`` groups,
    preferring fewer groups among equal sums of the part sizes considered. Only part sizes up to
    ``a* = min {a : C(n+a-1, a) >= m}`` are considered: splitting a larger part into ``a*`` and
    the rest never lowers the sum (it may add a group, e.g. when ``m = 1``). Dynamic
    programming over (degree used, groups so far capped at ``min_parts``): ``O(d a* min_parts)``.
    Returns the group sizes (non-increasing), or None when ``d < min_parts``.
    """
    if d < min_parts:
        return None
    a_star = 1
    while a_star < d and math.comb(n + a_star - 1, a_star) < m:
        a_star += 1
    gain = [0] + [min(math.comb(n + a - 1, a), m) - 1 for a in range(1, a_star + 1)]
    best = [[None] * (d + 1) for _ in range(min_parts + 1)]  # (sum of gains, -groups), parent
    best[0][0] = ((0, 0), None)
    for j in range(d):
        for c in range(min_parts + 1):
            if best[c][j] is None:
                continue
            (g, ng), _ = best[c][j]
            for a in range(1, min(a_star, d - j) + 1):
                c2, val = min(c + 1, min_parts), (g + gain[a], ng - 1)
                cur = best[c2][j + a]
                if cur is None or val > cur[0]:
                    best[c2][j + a] = (val, (c, j, a))
    groups, c, j = [], min_parts, d
    while j > 0:
        pc, pj, a = best[c][j][1]
        groups.append(a)
        c, j = pc, pj
    return tuple(sorted(groups, reverse=True))
