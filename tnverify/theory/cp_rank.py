"""From numbers to proofs: exact CP-rank bounds of explicit tensors, with certificates.

Upper bounds come only from explicit decompositions that the checker re-multiplies exactly
(rule ``cp-decomposition``): rationalised numerical CP factors, exact Jennrich over Q, the
slice bound, or factors given by the user (e.g. Strassen's algorithm). Lower bounds come from
flattening ranks (rule ``cp-rank-from-flattening``: rank(T) >= rank of every flattening) and,
for n x n x K tensors, from a non-diagonalizable pencil (rule ``cp-rank-pencil``: rank >= n+1).
When the bounds meet, the CP rank is proved; otherwise the result is ``unknown`` with both.
Both kinds of bound hold over Q, R and C (a rational decomposition exists over all three; the
lower bounds hold over C, hence over its subfields), so a proved value is the rank over each.

Rationalisation: a CP decomposition is unique only up to scaling, so modes 1..N-1 are scaled
to have largest entry 1 in every column and rounded to fractions with small denominators
(:meth:`fractions.Fraction.limit_denominator`); mode 0 (with the weights) is then SOLVED for
exactly, ``T_(0)^T = KR(A_1, ..., A_{N-1}) A_0^T`` over Q. Planted integer factors are recovered
this way whenever CP-ALS finds the planted (essentially unique) decomposition.

References
----------
.. [1] J. B. Kruskal, "Three-way arrays: rank and uniqueness of trilinear decompositions, with
   application to arithmetic complexity and statistics", Linear Algebra Appl. 18 (1977) 95-138
   (rank and flattenings). The arguments: docs/mathematics.md, section 7.
.. [2] J. Ja'Ja', "Optimal evaluation of pairs of bilinear forms", SIAM J. Comput. 8 (1979)
   (pencils: rank of n x n x 2 tensors and the Jordan form).
.. [3] V. Strassen, "Gaussian elimination is not optimal", Numer. Math. 13 (1969).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field as dc_field
from fractions import Fraction

import flint
import numpy as np

from tnverify import budget, numeric
from tnverify.certificate import Certificate, matrix_object, tensor_object
from tnverify.exact.rank import rank_certificate
from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.exact import as_exact_array, flatten, rank as exact_rank, solve, to_fmpq_mat
from tnverify.numbers import enc, to_exact
from tnverify.results import Status

#: Largest number of ranks above the lower bound tried by the numerical search (by default).
MAX_SEARCH_SPAN = 4
#: CP-ALS sweeps of one start of the numerical search.
ALS_SWEEPS = 3000
#: Bytes per entry of an object-dtype (Python integer) tensor, pointer included.
OBJECT_BYTES = 48
#: Operations charged per entry of object-dtype arithmetic.
OBJECT_OPS = 50

__all__ = ["rationalize", "rational_cp", "flattening_lower_bound", "pencil_lower_bound", "slice_decomposition",
           "fiber_decomposition",
           "cp_certificate", "border_rank_certificate", "CPRankResult", "cp_rank_bounds", "cp_rank_cost",
           "als_cost"]


# ------------------------------------------------------------------ rationalisation
def rationalize(X, max_denominator: int = 1000, tol: float = 1e-7) -> np.ndarray | None:
    """Entrywise nearest fractions with denominator <= ``max_denominator``, or None when some
    entry is farther than ``tol * max(1, |x|)`` from its fraction (an object array otherwise).

    The best rational approximations of :meth:`fractions.Fraction.limit_denominator`
    (continued fractions); O(number of entries) of them."""
    X = np.asarray(X, dtype=np.float64)
    out = np.empty(X.shape, dtype=object)
    for idx, x in np.ndenumerate(X):
        f = Fraction(float(x)).limit_denominator(max_denominator)
        if abs(float(f) - x) > tol * max(1.0, abs(x)):
            return None
        out[idx] = int(f) if f.denominator == 1 else f
    return out


def rational_cp(T, factors, max_denominator: int = 1000, tol: float = 1e-7) -> list | None:
    """Exact rational factors ``[A_0, ..., A_{N-1}]`` with ``T == [[A_0, ..., A_{N-1}]]``, or None.

    Modes 1..N-1 of the numerical ``factors`` (weights folded into any mode) are scaled to largest entry 1 per
    column and rationalised; ``A_0`` is the exact solution of ``KR(A_1..A_{N-1}) A_0^T = T_(0)^T``
    over Q (None when that system is inconsistent, i.e. the rounding was wrong). ``KR`` is the
    Khatri-Rao product (column r = A_1[:, r] (x) ... (x) A_{N-1}[:, r]) and ``T_(0)`` the mode-0
    flattening. Cost: one exact solve of a (prod_{n >= 1} I_n) x R system with I_0 right-hand
    sides (:func:`tnverify.exact.solve`).
    """
    T = as_exact_array(T, name="tensor")
    F = [np.asarray(f, dtype=np.float64) for f in factors]
    R = F[0].shape[1]
    rest = []
    for f in F[1:]:
        piv = np.argmax(np.abs(f), axis=0)
        scale = f[piv, np.arange(R)]
        if np.any(scale == 0):
            return None
        q = rationalize(f / scale, max_denominator, tol)
        if q is None:
            return None
        rest.append(q)
    KR = rest[0]
    for q in rest[1:]:
        KR = np.einsum("ir,jr->ijr", KR, q).reshape(-1, R)
    try:
        A0t = solve(KR, flatten(T, (0,)).T)
    except InputError:
        return None
    A0 = np.array([[to_exact(x) for x in row] for row in A0t.T], dtype=object)
    return [A0] + [np.array([[to_exact(x) for x in row] for row in q], dtype=object) for q in rest]


def _cp_equals(T, factors) -> bool:
    R = factors[0].shape[1]
    acc = np.zeros(T.shape, dtype=object)
    for r in range(R):
        term = np.array(1, dtype=object)
        for f in factors:
            term = np.multiply.outer(term, f[:, r])
        acc = acc + term
    return all(a == b for a, b in zip(acc.ravel(), T.ravel()))


def slice_decomposition(T, mode: int) -> list:
    """Exact CP factors from rank factorisations of the slices along ``mode``.

    ``T = sum_k T_k (x)_mode e_k`` and ``T_k = U_k V_k`` (pivot columns times the nonzero rows
    of the rref, over Q), so rank(T) <= sum_k rank(T_k): a structural upper bound. Order 3 only.
    Cost: K reduced echelon forms over Q of the I x J slices.
    """
    T = as_exact_array(T, name="tensor")
    if T.ndim != 3:
        raise ShapeError(f"the slice bound needs an order-3 tensor, got order {T.ndim}")
    Tm = np.moveaxis(T, mode, 2)
    I, J, K = Tm.shape
    cols = [[], [], []]
    for k in range(K):
        S = Tm[:, :, k]
        Rr, r = to_fmpq_mat(S).rref()
        piv = [next(j for j in range(J) if Rr[i, j] != 0) for i in range(r)]
        for t in range(r):
            cols[0].append([to_exact(S[i, piv[t]]) for i in range(I)])
            cols[1].append([to_exact(Rr[t, j]) for j in range(J)])
            cols[2].append([int(k == kk) for kk in range(K)])
    if not cols[0]:
        return []
    A, B, C = (np.array(c, dtype=object).T for c in cols)
    others = [m for m in range(3) if m != mode]
    out = [None, None, None]
    out[others[0]], out[others[1]], out[mode] = A, B, C
    return out


def fiber_decomposition(T) -> list:
    """Exact CP factors ``T = sum e_{i_1} (x) ... (x) T[i_1, .., :, .., i_N]`` over the nonzero
    fibres along the largest mode: rank(T) <= their number (a structural upper bound).

    O(number of entries)."""
    T = as_exact_array(T, name="tensor")
    m = int(np.argmax(T.shape))
    others = [k for k in range(T.ndim) if k != m]
    cols = [[] for _ in range(T.ndim)]
    for idx in itertools.product(*[range(T.shape[k]) for k in others]):
        sl = list(idx)
        sl.insert(m, slice(None))
        fib = T[tuple(sl)]
        if not any(x != 0 for x in fib):
            continue
        for k, i in zip(others, idx):
            cols[k].append([int(t == i) for t in range(T.shape[k])])
        cols[m].append(list(fib))
    if not cols[0]:
        return []
    return [np.array(c, dtype=object).T for c in cols]


# ------------------------------------------------------------------ lower bounds
def flattening_lower_bound(T, *, seed: int = 0):
    """Largest proved flattening rank over all bipartitions: ``(rank, rows, RankResult, M)``.

    rank(T) >= rank [T]_{I,J} for every bipartition (I, J), over Q, R and C, and so does the
    border rank (docs/mathematics.md, section 7). One exact rank over Q
    (:func:`tnverify.exact.rank`) per bipartition up to transposition, 2^(N-1) - 1 of them;
    ``M`` is the flattening that reached ``rank``.
    """
    T = as_exact_array(T, name="tensor")
    N = T.ndim
    if N < 2:
        raise ShapeError(f"expected a tensor of order >= 2, got order {N}")
    from tnverify.exact.rank import rank_cost

    side = min(math.sqrt(T.size), max(T.shape))  # no flattening has a smaller side longer than this
    memory, work = rank_cost(side, T.size / side)
    budget.require(f"the ranks of the {2 ** (N - 1) - 1} flattenings of a {' x '.join(map(str, T.shape))} tensor",
                   memory=memory, work=budget.power(2, N - 1) * work)
    best = None
    for size in range(1, N // 2 + 1):
        for rows in itertools.combinations(range(N), size):
            if 2 * size == N and 0 not in rows:
                continue  # the complement was already seen (transpose: same rank)
            M = flatten(T, rows)
            res = exact_rank(M, "Q", seed=seed, upper="kernel" if M.size <= 4096 else "auto")
            if best is None or res.lower > best[2].lower:
                best = (res.lower, list(rows), res, M)
    return best


def pencil_lower_bound(T, *, seed: int = 0, tries: int = 4):
    """For an n x n x K tensor: ``(n + 1, z1, z2)`` when ``T(z2) T(z1)^{-1}`` is not diagonalizable
    for random integer z1, z2 (T(z1) invertible), else None. See rule ``cp-rank-pencil``.

    A generic pencil of a tensor of rank <= n IS diagonalizable, so None proves nothing.
    Diagonalizability is tested exactly: M is diagonalizable over C iff s(M) = 0 for the
    squarefree part s = chi / gcd(chi, chi') of its characteristic polynomial chi
    (Ja'Ja' 1979; docs/mathematics.md, section 7). Cost per try: an n x n inverse,
    characteristic polynomial and polynomial evaluation over Q (FLINT).
    """
    T = as_exact_array(T, name="tensor")
    if T.ndim != 3 or T.shape[0] != T.shape[1]:
        return None
    n, _, K = T.shape
    rng = np.random.default_rng(seed)
    for t in range(tries):
        if t == 0 and K == 2:
            z1, z2 = [1, 0], [0, 1]
        else:
            z1, z2 = ([int(v) for v in rng.integers(-20, 21, K)] for _ in range(2))
        S1, S2 = (to_fmpq_mat(T.astype(object) @ np.array(z, dtype=object)) for z in (z1, z2))
        if S1.det() == 0:
            continue
        M = S2 * S1.inv()
        chi = M.charpoly()
        s = chi // chi.gcd(chi.derivative())
        acc = flint.fmpq_mat(n, n)
        eye = flint.fmpq_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])
        for c in reversed(s.coeffs()):
            acc = acc * M + eye * c
        if any(acc[i, j] != 0 for i in range(n) for j in range(n)):
            return n + 1, z1, z2
    return None


# ------------------------------------------------------------------ certificates
def cp_certificate(T, factors, cert: Certificate | None = None, *, name: str = "T", conclude: bool = True,
                   weights=None) -> Certificate:
    """Certificate (rule ``cp-decomposition``) that ``T == [[factors]]``: cp-rank-at-most R."""
    T = as_exact_array(T, name="tensor")
    cert = cert or Certificate()
    cert.objects.setdefault(name, tensor_object(T))
    factors = [as_exact_array(F, name="factor") for F in factors]
    refs = []
    for n, F in enumerate(factors):
        fname = f"{name}_F{n}"
        cert.objects[fname] = matrix_object(F)
        refs.append({"object": fname})
    R = int(np.asarray(factors[0]).shape[1])
    data = {"tensor": name, "rank": R, "factors": refs}
    if weights is not None:
        data["weights"] = [enc(x) for x in weights]
    cert.add_step("cp-decomposition", id="upper-cp", **data)
    if conclude:
        cert.conclude("cp-rank-at-most", {"tensor": {"object": name}, "field": "Q"}, R)
    return cert


def border_rank_certificate(T, factors, weights, degree: int, cert: Certificate | None = None, *,
                            name: str = "T", seed: int = 0) -> Certificate:
    """Certificate of ``lo <= border rank(T) <= R``: rule ``border-rank-curve``
    (``T = lim t^{-degree} sum_r w_r(t) (x)_n F_n[:, r](t)``, R = ``len(weights)``) plus
    ``cp-rank-from-flattening`` (lo, the largest flattening rank); border rank = R when lo = R
    (docs/mathematics.md, section 7)."""
    T = as_exact_array(T, name="tensor")
    cert = cert or Certificate()
    cert.objects.setdefault(name, tensor_object(T))
    R = len(weights)
    enc_poly = lambda p: [enc(x) for x in p]  # noqa: E731
    cert.add_step("border-rank-curve", id="border-upper", tensor=name, rank=R, degree=degree,
                  factors=[[[enc_poly(p) for p in row] for row in F] for F in factors],
                  weights=[enc_poly(p) for p in weights])
    lo, rows, res, M = flattening_lower_bound(T, seed=seed)
    sub = Certificate(objects={})
    rank_certificate(res, M, {"object": name, "rows": rows}, sub)
    cert.steps += [{**s, "id": f"border-{s['id']}"} for s in sub.steps if s["rule"] == "rank-at-least"]
    cert.add_step("cp-rank-from-flattening", id="border-lower", tensor=name, rows=rows, rank=lo)
    for kind, v in (("border-rank-at-least", lo), ("border-rank-at-most", R)):
        cert.conclude(kind, {"tensor": {"object": name}, "field": "C"}, v)
    return cert


@dataclass
class CPRankResult:
    """Proved bounds ``lower <= rank(T) <= upper`` (over Q, R and C); ``status`` proved/unknown."""

    lower: int
    upper: int | None
    status: Status
    certificate: Certificate
    factors: list | None = None
    lower_method: str = ""
    upper_method: str = ""
    notes: list = dc_field(default_factory=list)

    @property
    def rank(self) -> int | None:
        """The CP rank when proved (``lower == upper``), else None."""
        return self.lower if self.status == "proved" else None

    def to_dict(self) -> dict:
        """JSON-ready bounds, status, methods and notes (the certificate is not included)."""
        return {"rank": self.rank, "lower": self.lower, "upper": self.upper, "status": self.status,
                "lower_method": self.lower_method, "upper_method": self.upper_method, "notes": self.notes,
                "field": "Q, R and C (the bounds hold over each)"}


def _numeric_upper(T, R: int, seed: int, n_starts: int, max_denominator: int):
    """Rational rank-R factors from CP-ALS (several seeded starts), or None."""
    X = np.array(T, dtype=np.float64)
    if not np.any(X):
        return None
    for s in range(n_starts):
        try:
            res = numeric.cp_als(X, R, n_iter_max=3000, tol=1e-16, seed=seed + s, linesearch=True)
        except NumericalError:
            continue
        if res.rel_error > 1e-9:
            continue
        F = [f.copy() for f in res.factors]
        F[0] = F[0] * res.weights
        q = rational_cp(T, F, max_denominator)
        if q is not None and _cp_equals(T, q):
            return q
    return None


def als_cost(shape, R: int, sweeps: int) -> tuple[float, float]:
    """``(bytes, operations)`` of ``sweeps`` CP-ALS sweeps of rank R on a tensor of this shape.

    Per sweep and mode n: the MTTKRP (``2 E R`` multiply-adds with E entries) and its
    Khatri-Rao product (``E R / I_n`` entries), plus a fixed 10^4 of Python overhead.
    Memory: the tensor, one unfolding and the largest Khatri-Rao product (float64).
    """
    dims = [float(n) for n in shape]
    E = budget.product(dims)
    return 8 * (2 * E + E * R / min(dims)), float(sweeps) * (len(dims) * 3 * E * R + 1e4)


def cp_rank_cost(shape, *, numeric_search: bool = True, n_starts: int = 4, max_rank: int | None = None
                 ) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`cp_rank_bounds` on a tensor of this shape, from the shape alone.

    With E entries and order N: the exact ranks of the 2^(N-1) - 1 flattenings
    (:func:`tnverify.exact.rank.rank_cost`, at most E sqrt(E) each), the object-dtype work
    of the slice, fibre and decomposition checks (``E min(I, J)``), exact Jennrich for order 3
    (:func:`tnverify.theory.costs.jennrich_cost`), and the numerical search:
    ``n_starts`` CP-ALS runs of :data:`ALS_SWEEPS` sweeps (``N E R`` each) for up to
    :data:`MAX_SEARCH_SPAN` + 1 ranks R, each at most ``sqrt(E) + MAX_SEARCH_SPAN``
    (the lower bound is a flattening rank) and ``max_rank``.
    """
    from tnverify.exact.rank import rank_cost
    from tnverify.theory.costs import jennrich_cost

    dims = [float(n) for n in shape]
    N, E = len(dims), budget.product(dims)
    side = min(math.sqrt(E), max(dims))  # the smaller side of the squarest flattening
    memory = max(4 * OBJECT_BYTES * E, rank_cost(side, E / side)[0])
    work = budget.power(2, N - 1) * rank_cost(side, E / side)[1] + OBJECT_OPS * E * (2 + sorted(dims)[0])
    if N == 3:
        m, w = jennrich_cost(*shape)
        memory, work = max(memory, m), work + w
    if numeric_search:
        R = side + MAX_SEARCH_SPAN if max_rank is None else min(side + MAX_SEARCH_SPAN, max_rank)
        m, w = als_cost(shape, R, ALS_SWEEPS)
        memory, work = max(memory, m), work + n_starts * (MAX_SEARCH_SPAN + 1) * w
    return memory, work


def cp_rank_bounds(T, *, factors=None, max_rank: int | None = None, seed: int = 0, n_starts: int = 4,
                   max_denominator: int = 1000, numeric_search: bool = True) -> CPRankResult:
    """Prove bounds on the CP rank of an exact tensor (see the module docstring).

    Parameters
    ----------
    T : exact array of order >= 3 (ints / Fractions)
    factors : optional exact factors of a known decomposition (e.g. Strassen's), checked exactly
    max_rank : do not search numerically above this rank (default: the lower bound +
        :data:`MAX_SEARCH_SPAN`); the search never goes above the best upper bound - 1
    seed, n_starts : seeds of the CP-ALS starts (``seed``, ``seed + 1``, ...)
    max_denominator : largest denominator of rationalised factor entries
    numeric_search : try CP-ALS + rationalisation for ranks between the bounds

    Returns
    -------
    CPRankResult
        With a certificate holding the best lower bound (flattening or pencil) and the best
        upper bound (a ``cp-decomposition`` step), each concluded over Q.
    """
    T = as_exact_array(T, name="tensor")
    if T.ndim < 3:
        raise ShapeError(f"CP rank needs a tensor of order >= 3 (a matrix's rank is its CP rank), got order {T.ndim}")
    memory, work = cp_rank_cost(T.shape, numeric_search=numeric_search, n_starts=n_starts, max_rank=max_rank)
    budget.require(f"CP-rank bounds of a {' x '.join(map(str, T.shape))} tensor", memory=memory, work=work)
    lo, rows, res, M = flattening_lower_bound(T, seed=seed)
    cert = Certificate(objects={"T": tensor_object(T)})
    rank_certificate(res, M, {"object": "T", "rows": rows}, cert)
    cert.steps = [s for s in cert.steps if s["rule"] == "rank-at-least"]
    cert.conclusion = []
    cert.add_step("cp-rank-from-flattening", id="lower-cp", tensor="T", rows=rows, rank=lo)
    lower_method = f"flattening rows={rows} has rank {lo}"
    # upper candidates: given factors, slice bounds, exact Jennrich, numerical search
    best: tuple | None = None
    notes = []
    if factors is not None:
        Fs = [as_exact_array(f, name="factor") for f in factors]
        if [f.shape[0] for f in Fs] != list(T.shape) or len({f.shape[1] for f in Fs}) != 1:
            raise ShapeError(f"expected factors of shapes (I_n, R) for a tensor of shape {T.shape}")
        if not _cp_equals(T, Fs):
            raise InputError("the given factors do not reproduce the tensor exactly")
        best = (Fs, "given decomposition")
    if T.ndim == 3:
        for mode in range(3):
            Fs = slice_decomposition(T, mode)
            if Fs and (best is None or Fs[0].shape[1] < best[0][0].shape[1]):
                best = (Fs, f"slice bound along mode {mode}")
    else:
        Fs = fiber_decomposition(T)
        if Fs and (best is None or Fs[0].shape[1] < best[0][0].shape[1]):
            best = (Fs, "fiber bound (nonzero fibres along the largest mode)")
    pen = None
    if best is None or best[0][0].shape[1] > lo:
        pen = pencil_lower_bound(T, seed=seed) if T.ndim == 3 and T.shape[0] <= lo else None
        if pen is not None and pen[0] > lo:
            lo = pen[0]
            cert.add_step("cp-rank-pencil", id="lower-pencil", tensor="T", z1=pen[1], z2=pen[2])
            lower_method = f"pencil T(z2) T(z1)^-1 is not diagonalizable: rank >= {lo}"
    if T.ndim == 3 and (best is None or best[0][0].shape[1] > lo):
        from tnverify.theory.uniqueness import exact_jennrich

        jr = exact_jennrich(T, seed=seed)
        if jr.factors is not None and (best is None or jr.rank < best[0][0].shape[1]):
            best = ([np.asarray(f, dtype=object) for f in jr.factors], "exact Jennrich over Q")
        elif jr.factors is None:
            notes.append(f"exact Jennrich: {jr.message}")
    top = best[0][0].shape[1] - 1 if best is not None else lo
    top = min(top, lo + MAX_SEARCH_SPAN if max_rank is None else max_rank)
    if numeric_search:
        for R in range(lo, top + 1):
            q = _numeric_upper(T, R, seed, n_starts, max_denominator)
            if q is not None:
                best = (q, f"CP-ALS rank {R} rationalised (denominators <= {max_denominator})")
                break
            notes.append(f"CP-ALS found no rational rank-{R} decomposition ({n_starts} starts)")
    upper = None
    upper_method = ""
    Fbest = None
    if best is not None:
        Fbest, upper_method = best
        upper = int(Fbest[0].shape[1])
        cp_certificate(T, Fbest, cert, conclude=False)
    sub = {"tensor": {"object": "T"}, "field": "Q"}
    status = "proved" if upper == lo else "unknown"
    if status == "proved":
        cert.conclude("cp-rank-at-least", sub, lo)
        cert.conclude("cp-rank-at-most", sub, upper)
    else:
        cert.conclude("cp-rank-at-least", sub, lo)
        if upper is not None:
            cert.conclude("cp-rank-at-most", sub, upper)
    return CPRankResult(lo, upper, status, cert, Fbest, lower_method, upper_method, notes)
