"""Exact linear algebra over Q, Z and GF(p) on python-flint, with witnesses.

Every rank this module reports comes with the evidence a checker needs:

* **lower bound** -- pivot rows and columns whose r x r minor is nonzero modulo a
  prime p. A minor that is nonzero mod p is a nonzero integer, so the rank over Q
  is at least r (and so is the rank over GF(p)).
* **upper bound** -- one of

  - ``shape``: r = min(m, n);
  - ``kernel``: n - r linearly independent exact kernel vectors (small matrices);
  - ``modular``: rank mod p_i <= r for distinct primes whose product exceeds the
    Hadamard bound H of every (r+1) x (r+1) minor of the (row-cleared) integer
    matrix. Each such minor D satisfies |D| <= H < prod p_i and p_i | D for
    all i, hence D = 0. Deterministic, and far smaller than a kernel whose
    entries have hundreds of digits;
  - ``probable``: rank mod k random primes <= r. Not a proof: the status is
    ``probable`` with the failure probability bound of MATH.md section 1,
    ``(log2 H / ((b - 1) |S|))^k`` for primes drawn uniformly from the set S of
    b-bit primes.

Conventions: matrices are numpy arrays of dtype int64 (fast path) or object
(Python ``int`` or ``fractions.Fraction``); rational rows are cleared of
denominators before any rank computation (scaling a row by a nonzero integer
keeps the rank). Randomness always comes from ``seed=`` and every prime used is
recorded.

References
----------
.. [1] J. von zur Gathen, J. Gerhard, *Modern Computer Algebra*, ch. 5
   (modular algorithms and the Hadamard bound).
.. [2] The FLINT team, FLINT: Fast Library for Number Theory (nmod_mat, fmpz_mat).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field as dc_field
from fractions import Fraction
from typing import Iterable, Sequence

import flint
import numpy as np

from tnverify.errors import FieldError, InputError, NotExactError, ShapeError
from tnverify.numeric.modp import (
    PRIME_BITS, flint_rank_profile as rank_profile_modp, is_prime, pick_prime, random_prime, rank_modp,
    rank_profile as fast_rank_profile, rref_pivots as _rref_pivots, to_fmpz_mat, to_nmod_mat,
)

__all__ = [
    "Field",
    "parse_field",
    "as_exact_array",
    "integer_rows",
    "random_prime",
    "is_prime",
    "rank_profile_modp",
    "rank_modp",
    "RankResult",
    "rank",
    "nonzero_minor",
    "nullspace",
    "det",
    "solve",
    "hadamard_log2",
    "reduce_mod",
]

#: Work budget (multiply-adds mod p) for a deterministic modular upper bound.
MODULAR_BUDGET = 4.0e10
#: Largest m * n * (n - r) for which an exact kernel is used as the upper witness.
KERNEL_BUDGET = 2.0e6


# --------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class Field:
    """A field or ring of exact arithmetic: ``Q``, ``Z`` or ``GF(p)``."""

    kind: str
    p: int | None = None

    def __str__(self) -> str:
        return f"GF({self.p})" if self.kind == "GF" else self.kind


Q = Field("Q")
Z = Field("Z")


def parse_field(spec: "str | Field | int") -> Field:
    """Parse ``Q``/``QQ``, ``Z``/``ZZ``, ``GF(p)``/``GF p``/``p`` into a :class:`Field`.

    Raises :class:`FieldError` for an unknown name, a non-prime modulus or a modulus
    outside [2, 2^63] (word-size modular arithmetic).
    """
    if isinstance(spec, Field):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        p = spec
    else:
        s = str(spec).strip().replace(" ", "")
        if s.upper() in ("Q", "QQ"):
            return Q
        if s.upper() in ("Z", "ZZ"):
            return Z
        body = s
        for prefix in ("GF(", "gf(", "F(", "Z/"):
            if s.startswith(prefix):
                body = s[len(prefix):].rstrip(")").replace("Z", "")
                break
        try:
            p = int(body)
        except ValueError:
            raise FieldError(f"expected a field Q, Z or GF(p), got {spec!r}") from None
    if p < 2 or p >= 2**63:
        raise FieldError(f"expected a prime modulus in [2, 2^63), got {p}")
    if not is_prime(p):
        raise FieldError(f"expected a prime modulus for GF(p), got {p}, which is not prime")
    return Field("GF", p)


# ------------------------------------------------------------------- normalisation
def _exact_scalar(x, where: str):
    """Return x as an int or Fraction, or raise NotExactError naming the offender."""
    if isinstance(x, (bool, np.bool_)):
        raise NotExactError(f"expected an integer or rational entry at {where}, got a boolean {x!r}")
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, Fraction):
        return x if x.denominator != 1 else int(x.numerator)
    if isinstance(x, (flint.fmpz,)):
        return int(x)
    if isinstance(x, (flint.fmpq,)):
        f = Fraction(int(x.p), int(x.q))
        return f if f.denominator != 1 else int(f.numerator)
    if isinstance(x, str):
        s = x.strip()
        try:
            if "/" in s:
                num, den = s.split("/")
                if int(den) == 0:
                    raise NotExactError(f"zero denominator at {where}: {x!r}")
                f = Fraction(int(num), int(den))
                return f if f.denominator != 1 else int(f.numerator)
            return int(s)
        except ValueError:
            raise NotExactError(
                f"expected an integer or rational string like '3/4' at {where}, got {x!r}"
            ) from None
    if hasattr(x, "is_Rational") and getattr(x, "is_Rational", False):  # sympy Rational
        f = Fraction(int(x.p), int(x.q))
        return f if f.denominator != 1 else int(f.numerator)
    kind = "NaN" if isinstance(x, float) and math.isnan(x) else type(x).__name__
    raise NotExactError(f"expected an integer or rational entry at {where}, got {kind} {x!r}")


def as_exact_array(data, *, name: str = "input") -> np.ndarray:
    """Convert ``data`` to an exact numpy array (dtype int64, or object of int/Fraction).

    Accepts integer numpy arrays, object arrays / nested lists of ints, Fractions and
    rational strings (``"3/4"``), sympy matrices and flint matrices. Floats are always
    refused, even integral ones: an exact path never takes a float silently.

    Raises
    ------
    NotExactError
        A float, NaN, bool or non-numeric entry.
    ShapeError
        A ragged nesting or an empty array.
    """
    if isinstance(data, (flint.fmpz_mat, flint.fmpq_mat)):
        data = [[_exact_scalar(x, name) for x in row] for row in data.tolist()]
    elif hasattr(data, "tolist") and hasattr(data, "shape") and not isinstance(data, np.ndarray):
        data = data.tolist()  # sympy Matrix
    if isinstance(data, np.ndarray) and data.dtype != object:
        if data.dtype.kind in "iu":
            if data.size == 0:
                raise ShapeError(f"expected a nonempty {name}, got shape {data.shape}")
            if data.dtype.kind == "u" and data.size and int(data.max()) >= 2**63:
                return np.array([int(x) for x in data.ravel()], dtype=object).reshape(data.shape)
            return np.ascontiguousarray(data, dtype=np.int64)
        kind = {"f": "floating-point", "c": "complex", "b": "boolean"}.get(data.dtype.kind, str(data.dtype))
        why = "; exact paths never take floats" if data.dtype.kind in "fc" else ""
        raise NotExactError(f"expected integer or rational entries in {name}, got a {kind} array "
                            f"(dtype {data.dtype}){why}")
    arr = _nested_to_object(data, name)
    if arr.size == 0:
        raise ShapeError(f"expected a nonempty {name}, got shape {arr.shape}")
    flat = arr.ravel()
    out = np.empty(flat.shape, dtype=object)
    all_int = True
    for i, x in enumerate(flat):
        try:
            v = _exact_scalar(x, name)
        except NotExactError:  # say where (the position is formatted only on error)
            v = _exact_scalar(x, f"{name} entry {tuple(int(k) for k in np.unravel_index(i, arr.shape))}")
        all_int &= isinstance(v, int)
        out[i] = v
    out = out.reshape(arr.shape)
    if all_int and all(-(2**62) < v < 2**62 for v in out.ravel()):
        return out.astype(np.int64)
    return out


def _nested_to_object(data, name: str) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data
    shape = []
    probe = data
    while isinstance(probe, (list, tuple)):
        shape.append(len(probe))
        if not probe:
            break
        probe = probe[0]

    def fill(x, depth, idx):
        if depth == len(shape):
            if isinstance(x, (list, tuple)):
                raise ShapeError(f"expected a rectangular {name}: ragged nesting at index {idx}")
            return [x]
        if not isinstance(x, (list, tuple)) or len(x) != shape[depth]:
            got = len(x) if isinstance(x, (list, tuple)) else "a scalar"
            raise ShapeError(
                f"expected a rectangular {name}: at index {idx} expected length {shape[depth]}, got {got}"
            )
        out = []
        for i, y in enumerate(x):
            out.extend(fill(y, depth + 1, idx + (i,)))
        return out

    flat = fill(data, 0, ())
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return arr.reshape(shape)


def _as_matrix(A, name: str = "matrix") -> np.ndarray:
    M = as_exact_array(A, name=name)
    if M.ndim != 2:
        raise ShapeError(f"expected a 2-d {name}, got an array with {M.ndim} dimensions, shape {M.shape}")
    return M


def integer_rows(M: np.ndarray) -> np.ndarray:
    """Scale each row of an exact matrix by the lcm of its denominators.

    The result is an integer matrix (int64 or object) with the same rank over Q and
    the same kernel. Integer input is returned unchanged.
    """
    if M.dtype != object or all(isinstance(x, int) for x in M.ravel()):
        return M
    out = np.empty(M.shape, dtype=object)
    for i, row in enumerate(M):
        lcm = 1
        for x in row:
            if isinstance(x, Fraction):
                lcm = lcm * x.denominator // math.gcd(lcm, x.denominator)
        out[i] = [int(x * lcm) for x in row]
    return out


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

    H = product of the k largest Euclidean row norms (a minor's rows are sub-rows),
    or the same with columns; the smaller is returned with its name
    (``"rows"``/``"cols"``). Hadamard's inequality |det B| <= prod ||b_i||.
    """
    best = (math.inf, "rows")
    for axis, name in ((1, "rows"), (0, "cols")):
        sq = sorted(_squared_norms(M, axis), reverse=True)[:k]
        if 0 in sq:
            return 0.0, name  # every k x k minor contains a zero line: H = 0
        val = 0.5 * sum(math.log2(s) for s in sq)
        best = min(best, (val, name))
    return best


def _prime_set_size_lower(bits: int) -> float:
    """Lower bound on the number of primes in [2^(bits-1), 2^bits) (Rosser-Schoenfeld)."""
    hi, lo = 2.0**bits, 2.0 ** (bits - 1)
    return hi / math.log(hi) - 1.25506 * lo / math.log(lo)


# -------------------------------------------------------------------------- rank
@dataclass
class RankResult:
    """The rank of a matrix with its witnesses and its status.

    Attributes
    ----------
    rank : int or None
        The rank when ``status`` is ``proved`` or ``probable``.
    field : Field
        The field the rank is over.
    status : str
        ``proved`` (both bounds certified), ``probable`` (lower bound proved, upper
        bound holds modulo random primes with ``failure_probability``) or ``unknown``.
    lower, upper : int
        Proved lower bound; upper bound (proved, or probable when status says so).
    upper_proved : int
        The best *proved* upper bound (the shape when the upper witness is probable).
    upper_method : str
        ``shape``, ``kernel``, ``modular`` or ``probable``.
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
    """

    rank: int | None
    field: Field
    status: str
    lower: int
    upper: int
    upper_proved: int
    upper_method: str
    shape: tuple[int, int]
    pivot_rows: list[int]
    pivot_cols: list[int]
    prime: int | None
    primes: list[int] = dc_field(default_factory=list)
    kernel: list[list[int]] | None = None
    kernel_support: list[int] = dc_field(default_factory=list)
    hadamard: str | None = None
    failure_probability: float | None = None
    seed: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready summary (witness index lists included, big data excluded)."""
        return {
            "rank": self.rank,
            "field": str(self.field),
            "notion": "rank",
            "status": self.status,
            "lower": self.lower,
            "upper": self.upper,
            "upper_proved": self.upper_proved,
            "upper_method": self.upper_method,
            "shape": list(self.shape),
            "pivot_rows": self.pivot_rows,
            "pivot_cols": self.pivot_cols,
            "prime": self.prime,
            "primes": self.primes,
            "failure_probability": self.failure_probability,
            "seed": self.seed,
            "seconds": round(self.seconds, 6),
        }


def _kernel_from_pivots_Q(M: np.ndarray, rows: Sequence[int], cols: Sequence[int]) -> list[list[int]]:
    """Integer kernel vectors of M built from a nonsingular pivot minor B = M[rows, cols].

    For each non-pivot column j: v[j] = L, v[cols] = -L * B^{-1} M[rows, j], with L
    the lcm of the denominators. They are a kernel basis iff rank M = len(rows); the
    caller (and the checker) confirm ``M v == 0`` exactly.
    """
    m, n = M.shape
    nc = [j for j in range(n) if j not in set(cols)]
    B = to_fmpz_mat(np.ascontiguousarray(M[np.ix_(rows, cols)]))
    Nm = to_fmpz_mat(np.ascontiguousarray(M[np.ix_(rows, nc)]))
    X = B.solve(Nm)  # fmpq_mat, r x (n - r)
    Xl = X.tolist()
    vecs = []
    for t, j in enumerate(nc):
        col = [Fraction(int(Xl[i][t].p), int(Xl[i][t].q)) for i in range(len(cols))]
        lcm = 1
        for f in col:
            lcm = lcm * f.denominator // math.gcd(lcm, f.denominator)
        v = [0] * n
        v[j] = lcm
        for i, c in enumerate(cols):
            v[c] = -int(col[i] * lcm)
        g = 0
        for x in v:
            g = math.gcd(g, x)
        vecs.append([x // g for x in v])
    return vecs


def _kernel_modp(M: np.ndarray, p: int) -> tuple[list[list[int]], list[int]]:
    m, n = M.shape
    R, r = to_nmod_mat(M, p).rref()
    cols = _rref_pivots(R, r, n)
    nc = [j for j in range(n) if j not in set(cols)]
    vecs = []
    for j in nc:
        v = [0] * n
        v[j] = 1
        for i, c in enumerate(cols):
            v[c] = (-int(R[i, j])) % p
        vecs.append(v)
    return vecs, nc


def _matvec_zero(M: np.ndarray, vecs: list[list[int]], p: int | None) -> bool:
    O = M.astype(object)
    for v in vecs:
        w = O.dot(np.array(v, dtype=object))
        if any((x % p if p else x) != 0 for x in w):
            return False
    return True


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
        Integer or rational matrix (see :func:`as_exact_array`).
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
    jobs, scheduler : int, str
        Executor for the independent ranks modulo the upper-bound primes
        (:func:`tnverify.parallel.executor`: local processes or a Dask cluster).

    Returns
    -------
    RankResult

    Notes
    -----
    Lower bound: elimination mod a random 62-bit prime p gives r and a minor that is
    nonzero mod p, hence nonzero over Z, hence rank_Q >= r. Upper bound: see the
    module docstring. Cost: O(m n min(m, n)) word operations per prime; the kernel
    witness adds an exact solve with the r x r pivot minor.

    Examples
    --------
    >>> res = rank([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
    >>> res.rank, res.status, res.upper_method
    (2, 'proved', 'kernel')
    >>> import numpy as np
    >>> M = np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]], dtype=object)
    >>> all(x == 0 for x in M.dot(np.array(res.kernel[0], dtype=object)))
    True
    """
    t0 = time.perf_counter()
    F = parse_field(field)
    M = _as_matrix(A)
    if F.kind == "GF":
        M = reduce_mod(M, F.p)
    M = integer_rows(M)
    m, n = M.shape
    rng = np.random.default_rng(0 if seed is None else seed)
    full = min(m, n)

    if F.kind == "GF":
        p = F.p
        prof = fast_rank_profile(M, p)
        r, rows, cols = prof.rank, prof.rows, prof.cols
        res = RankResult(r, F, "proved", r, r, r, "shape", (m, n), rows, cols, p, seed=seed)
        if r < full:
            if m * n * (n - r) <= KERNEL_BUDGET * 50:
                res.kernel, res.kernel_support = _kernel_modp(M, p)
                res.upper_method = "kernel"
            else:
                res.upper_method, res.primes = "modular", [p]
        res.seconds = time.perf_counter() - t0
        return res

    prof = fast_rank_profile(M, pick_prime(rng))  # 20-bit prime: the BLAS engine's fast path
    r, rows, cols, p0 = prof.rank, prof.rows, prof.cols, prof.prime
    primes_used = [p0]
    res = RankResult(r, F, "proved", r, r, r, "shape", (m, n), rows, cols, p0, seed=seed)
    if r == full:
        res.seconds = time.perf_counter() - t0
        return res

    method = upper
    log2H, hmode = hadamard_log2(M, r + 1)
    n_mod = max(0, math.ceil((log2H + 1) / (PRIME_BITS - 1)))
    if method == "auto":
        if m * n * (n - r) <= KERNEL_BUDGET and r <= 400:
            method = "kernel"
        elif n_mod * m * n * full <= modular_budget:
            method = "modular"
        else:
            method = "probable"
    if method not in ("kernel", "modular", "probable"):
        raise InputError(f"expected upper witness auto, kernel, modular or probable, got {upper!r}")

    if method == "kernel":
        vecs = _kernel_from_pivots_Q(M, rows, cols)
        if _matvec_zero(M, vecs, None):
            res.upper_method, res.kernel = "kernel", vecs
            res.kernel_support = [j for j in range(n) if j not in set(cols)]
            res.seconds = time.perf_counter() - t0
            return res
        # rank over Q exceeds r: p0 divided a larger minor. Retry with another prime.
        return rank(A, F, seed=(0 if seed is None else seed) + 1, upper=upper,
                    probable_primes=probable_primes, modular_budget=modular_budget)

    # modular: primes with rank_p <= r until their product exceeds H (p0 counts too);
    # probable: `probable_primes` fresh primes drawn uniformly from the 62-bit primes.
    if method == "probable":
        primes_used = []
    fresh = []
    bits = sum(math.log2(q) for q in primes_used)
    while (bits <= log2H) if method == "modular" else (len(fresh) < probable_primes):
        q = random_prime(rng, exclude=primes_used + fresh + [p0])
        fresh.append(q)
        bits += math.log2(q)
    if _ranks_modulo(M, fresh, jobs, scheduler) > r:
        # p0 was unlucky (it divides every r+1 minor): restart the witness search with fresh primes
        return rank(A, F, seed=(0 if seed is None else seed) + 1, upper=upper, probable_primes=probable_primes,
                    modular_budget=modular_budget, jobs=jobs, scheduler=scheduler)
    primes_used += fresh
    res.primes = primes_used
    res.hadamard = hmode
    if method == "modular":
        res.upper_method = "modular"
    else:
        bad = log2H / (PRIME_BITS - 1)
        per = min(1.0, bad / _prime_set_size_lower(PRIME_BITS))
        res.upper_method = "probable"
        res.status = "probable"
        res.upper_proved = full
        res.failure_probability = per ** len(primes_used)
    res.seconds = time.perf_counter() - t0
    return res


def _rank_task(task) -> int:
    M, q = task
    return rank_modp(M, q)


def _ranks_modulo(M: np.ndarray, primes: list[int], jobs: int, scheduler: str | None) -> int:
    """Largest rank of ``M`` modulo the given primes, the primes handled by an executor."""
    if not primes:
        return 0
    if jobs == 1 and not scheduler:
        return max(rank_modp(M, q) for q in primes)
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


# ------------------------------------------------------------ other exact tools
def nonzero_minor(A, *, seed: int | None = None) -> tuple[list[int], list[int], int]:
    """Rows and columns of a maximal nonzero minor, and the prime it was found with.

    The minor ``A[rows][:, cols]`` is nonzero over Q (it is nonzero mod the prime).
    """
    res = rank(A, seed=seed)
    return res.pivot_rows, res.pivot_cols, res.prime


def det(A, field: "str | Field" = "Q"):
    """Determinant over Q (Fraction or int), Z (int) or GF(p) (int in [0, p)).

    Complexity: FLINT's fraction-free / multimodular determinant for Q and Z,
    O(n^3) word operations for GF(p).
    """
    F = parse_field(field)
    M = _as_matrix(A)
    if M.shape[0] != M.shape[1]:
        raise ShapeError(f"expected a square matrix for det, got shape {M.shape}")
    if F.kind == "GF":
        return int(to_nmod_mat(reduce_mod(M, F.p), F.p).det())
    if F.kind == "Z" and M.dtype == object and any(isinstance(x, Fraction) for x in M.ravel()):
        raise NotExactError("expected integer entries for det over Z, got rationals")
    d = _to_fmpq_mat(M).det()
    f = Fraction(int(d.p), int(d.q))
    return int(f) if f.denominator == 1 else f


def reduce_mod(M: np.ndarray, p: int) -> np.ndarray:
    """Entrywise image of an exact matrix in GF(p): a/b -> a * b^(-1) mod p, in [0, p).

    Raises :class:`NotExactError` when a denominator is divisible by p.
    """
    if M.dtype == np.int64:
        return M % np.int64(p) if p < 2**62 else (M.astype(object) % p)
    out = np.empty(M.shape, dtype=object)
    for idx, x in np.ndenumerate(M):
        if isinstance(x, Fraction):
            if x.denominator % p == 0:
                raise NotExactError(f"entry {idx} = {x} has a denominator divisible by {p}")
            out[idx] = x.numerator * pow(x.denominator, -1, p) % p
        else:
            out[idx] = int(x) % p
    return out


def _to_fmpq_mat(M: np.ndarray) -> "flint.fmpq_mat":
    m, n = M.shape
    return flint.fmpq_mat(m, n, [flint.fmpq(x.numerator, x.denominator) if isinstance(x, Fraction)
                                 else flint.fmpq(int(x)) for x in M.ravel()])


def nullspace(A, field: "str | Field" = "Q") -> list[list]:
    """A basis of the right kernel {x : A x = 0}.

    Over Q and Z the basis vectors are primitive integer vectors (a basis of the
    rational kernel, not necessarily of the integer lattice); over GF(p) the entries
    are in [0, p). Vector j has a nonzero entry at the j-th non-pivot column and
    zeros at the other non-pivot columns, so independence is visible.
    """
    F = parse_field(field)
    M = _as_matrix(A)
    if F.kind == "GF":
        vecs, _ = _kernel_modp(reduce_mod(M, F.p), F.p)
        return vecs
    Mi = integer_rows(M)
    res = rank(Mi, seed=0, upper="kernel") if min(Mi.shape) > 0 else None
    if res.rank == Mi.shape[1]:
        return []
    if res.kernel is not None:
        return res.kernel
    return _kernel_from_pivots_Q(Mi, res.pivot_rows, res.pivot_cols)


def solve(A, B, field: "str | Field" = "Q"):
    """Solve A X = B exactly; returns X as a numpy object array (or vector).

    Over Q any consistent system is solved (a particular solution, free variables
    set to 0); over Z the solution must be unique and integral; over GF(p) entries
    are in [0, p). Raises :class:`InputError` for an inconsistent system.
    """
    F = parse_field(field)
    M = _as_matrix(A, "A")
    Bv = as_exact_array(B, name="B")
    vec = Bv.ndim == 1
    Bm = Bv.reshape(-1, 1) if vec else Bv
    if Bm.ndim != 2 or Bm.shape[0] != M.shape[0]:
        raise ShapeError(f"expected B with {M.shape[0]} rows to match A {M.shape}, got shape {Bv.shape}")
    m, n = M.shape
    k = Bm.shape[1]
    aug = np.concatenate([M, Bm], axis=1).astype(object)
    if F.kind == "GF":
        R, r = flint.nmod_mat(m, n + k, [int(x) for x in reduce_mod(aug, F.p).ravel()], F.p).rref()

        def entry(i, t):
            return int(R[i, n + t])
    else:
        R, r = _to_fmpq_mat(aug).rref()

        def entry(i, t):
            f = Fraction(int(R[i, n + t].p), int(R[i, n + t].q))
            return int(f) if f.denominator == 1 else f
    piv = _rref_pivots(R, r, n + k)
    if piv and piv[-1] >= n:
        raise InputError("the system A X = B is inconsistent over " + str(F))
    X = np.zeros((n, k), dtype=object)
    for i, c in enumerate(piv):
        for t in range(k):
            X[c, t] = entry(i, t)
    if F.kind == "Z":
        if r < n:
            raise InputError(f"solve over Z needs a unique solution; the system has {n - r} free variables")
        if any(isinstance(x, Fraction) for x in X.ravel()):
            raise InputError("the system A X = B has no integer solution (its unique solution is not integral)")
    return X[:, 0] if vec else X
