"""Essential uniqueness of CP decompositions and identifiability of 2-layer polynomial networks.

A CP decomposition ``T = [[F_1, ..., F_N]] = sum_r F_1[:, r] (x) ... (x) F_N[:, r]`` of rank
``R`` is *essentially unique* when every decomposition of ``T`` with ``R`` terms has the
same rank-one terms (up to their order and the scaling inside each term). Every test
here is a SUFFICIENT condition: a verdict is ``proved`` (unique,
checker-verified certificate) or ``unknown``. "Not unique" is never inferred from a
failed sufficient condition; it needs its own proof, e.g. the parameter count of
:func:`pnn_identifiability`.

Conditions
----------
* Kruskal (1977): ``k_A + k_B + k_C >= 2R + 2`` [1]_; N-way (Sidiropoulos, Bro 2000):
  ``sum_n k_n >= 2R + N - 1`` with every ``k_n >= 1`` [2]_.
* Compound (Jiang, Sidiropoulos 2004; De Lathauwer 2006): ``C`` of full column rank and
  ``C2(A) (.) C2(B)`` of full column rank ``C(R, 2)`` [3]_ [4]_ (``C2`` = second compound,
  the 2 x 2 minors; ``(.)`` = column-wise Khatri-Rao product). Generically much weaker
  than Kruskal's condition.
* U2 (Jiang, Sidiropoulos 2004 [3]_): with ``C`` of full column rank the CPD is unique IFF no
  nonzero ``(d_i d_j)_{i<j}`` lies in ``ker C2(A) (.) C2(B)``. Decided exactly when a kernel
  basis vector lies in that cone (``refuted``: not unique, its own proof) or the kernel is
  one-dimensional (:func:`in_u2_cone`; docs/mathematics.md, section 4).
* Jennrich (Harshman 1970; Leurgans, Ross, Abel 1993): ``A``, ``B`` of full column rank
  and ``k_C >= 2`` -- a special case of Kruskal's condition that comes with an algorithm
  (:func:`exact_jennrich`), exact over Q when the eigenvalues are rational [5]_ [6]_.
* Domanov and De Lathauwer's C_m condition (one factor of rank r_C, m = R - r_C + 2):
  :mod:`tnverify.theory.domanov`. Generic formats beyond these: the Chiantini-Ottaviani-
  Vannieuwenhoven criterion (:mod:`tnverify.theory.cov`), whose parameter count also proves
  "not unique" when ``R (sum n_k - N + 1) > prod n_k``.

Generic results: every condition above is Zariski open in the factors; holding at one
integer point (mod p, hence over Q) it holds on a dense open set, i.e. for generic
factors of the format over C.

2-layer polynomial networks ``f(x) = sum_j v_j (w_j^T x)^d`` (``W`` n x m, ``V`` o x m):
the coefficient tensor is the partially symmetric CP ``sum_j v_j (x) w_j^{(x)d}``. Grouping
the d symmetric modes into parts ``a_1 + ... + a_N' = d`` gives a CP decomposition whose
factors are the Veronese matrices ``W^{(a)}`` (columns: the degree-a monomials of w_j);
Kruskal's condition on it proves identifiability up to permutation and scaling.
NOT identifiable: ``m (n + o - 1) > o C(n + d - 1, d)`` (parameters modulo the
m-dimensional scaling symmetry exceed the dimension of the output forms), at every point.

References
----------
.. [1] J. B. Kruskal, Linear Algebra Appl. 18 (1977) 95-138.
.. [2] N. D. Sidiropoulos, R. Bro, J. Chemometrics 14 (2000) 229-239.
.. [3] T. Jiang, N. D. Sidiropoulos, IEEE Trans. Signal Process. 52 (2004) 2625-2636.
.. [4] L. De Lathauwer, SIAM J. Matrix Anal. Appl. 28 (2006) 642-666.
.. [5] S. E. Leurgans, R. T. Ross, R. B. Abel, SIAM J. Matrix Anal. Appl. 14 (1993) 1064-1083.
.. [6] R. A. Harshman, "Foundations of the PARAFAC procedure", UCLA Working Papers in
   Phonetics 16 (1970) 1-84. The arguments: docs/mathematics.md, section 4.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field as dc_field

import flint
import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate, matrix_object, tensor_object
from tnverify.errors import BudgetError, InputError, ShapeError
from tnverify.messages import brief
from tnverify.exact import as_exact_array, integer_rows, nullspace, rank, solve, to_fmpq_mat
from tnverify.numbers import to_exact
from tnverify.numeric.modp import random_prime, rank_profile
from tnverify.results import Status
from tnverify.theory.domanov import domanov_condition
from tnverify.theory.cov import check_cp_format, cov_identifiability, segre_dim
from tnverify.theory.costs import compound_cost, generic_uniqueness_cost, jennrich_cost, pnn_cost
from tnverify.theory.kruskal import best_grouping as _best_grouping, kruskal_certificate, kruskal_rank, random_matrix

__all__ = ["Condition", "UniquenessResult", "factors_uniqueness", "generic_uniqueness", "pnn_identifiability",
           "compound2", "in_u2_cone", "khatri_rao", "veronese", "exact_jennrich", "JennrichResult"]

#: Bits of the entries of random points (a degeneracy has probability <= degree / 2^bits).
POINT_BITS = 20


@dataclass
class Condition:
    """One sufficient condition: ``held`` is True (proved), False (fails at these factors) or None (not
    shown: not applicable, or a rank mod p too small to decide)."""

    name: str
    held: bool | None
    detail: str

    def to_dict(self) -> dict:
        """JSON-ready name, outcome and detail."""
        return {"name": self.name, "held": self.held, "detail": self.detail}


@dataclass
class UniquenessResult:
    """Verdict of the conditions; ``status`` is ``proved``, ``refuted`` (U2, or a parameter count) or ``unknown``.

    ``verdict`` is ``unique`` / ``identifiable`` / ``not identifiable`` when proved,
    ``unknown`` otherwise. ``values`` holds the numbers (k-ranks, rank, format).
    ``notion`` says which uniqueness (essential uniqueness or identifiability, at the
    factors or generic); every verdict is over the field C.
    """

    status: Status
    verdict: str
    conditions: list
    values: dict
    certificate: Certificate | None = None
    notion: str = "essential uniqueness of the CP decomposition, over C"
    field: str = "C"

    def to_dict(self) -> dict:
        """JSON-ready verdict, status, notion, field, conditions and values (no certificate)."""
        return {"status": self.status, "verdict": self.verdict, "notion": self.notion, "field": self.field,
                "conditions": [c.to_dict() for c in self.conditions], **self.values}

    def text(self) -> str:
        """The verdict line, then one line per condition (holds / fails / n/a) with its detail."""
        out = [f"{self.verdict} ({self.status}) -- {self.notion}"]
        for c in self.conditions:
            mark = {True: "holds", False: "fails", None: "not shown"}[c.held]
            out.append(f"  [{mark:5}] {c.name}: {c.detail}")
        return "\n".join(out)


# ------------------------------------------------------------------ exact building blocks
def compound2(A: np.ndarray) -> np.ndarray:
    """Second compound matrix: rows = row pairs i1 < i2, columns = column pairs r1 < r2 (lexicographic).

    Entry (i1 i2, r1 r2) is the 2 x 2 minor A[i1, r1] A[i2, r2] - A[i1, r2] A[i2, r1]. O(C(I,2) C(R,2)).
    """
    I, R = A.shape
    O = A.astype(object)
    rows = list(itertools.combinations(range(I), 2))
    cols = list(itertools.combinations(range(R), 2))
    out = np.empty((len(rows), len(cols)), dtype=object)
    for a, (i1, i2) in enumerate(rows):
        for b, (r1, r2) in enumerate(cols):
            out[a, b] = O[i1, r1] * O[i2, r2] - O[i1, r2] * O[i2, r1]
    return out


def khatri_rao(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Column-wise Kronecker product: column r is ``A[:, r] (x) B[:, r]`` (row index i * rows(B) + j)."""
    if A.shape[1] != B.shape[1]:
        raise ShapeError(f"Khatri-Rao product needs equal column counts, got {A.shape} and {B.shape}")
    return np.einsum("ir,jr->ijr", A.astype(object), B.astype(object)).reshape(A.shape[0] * B.shape[0], A.shape[1])


def veronese(W: np.ndarray, a: int) -> np.ndarray:
    """Degree-a Veronese matrix: column j holds the monomials of w_j, order of combinations_with_replacement.

    C(n + a - 1, a) x m, exact (int64 when every entry fits); O(C(n + a - 1, a) m a).
    """
    n, m = W.shape
    O = W.astype(object)
    if a == 0:
        return np.ones((1, m), dtype=np.int64)
    combos = np.array(list(itertools.combinations_with_replacement(range(n), a)), dtype=np.int64).reshape(-1, a)
    out = np.prod(O[combos], axis=1)
    big = out.size and max(abs(int(out.max())), abs(int(out.min()))) >= 2**62
    return out if big else out.astype(np.int64)


def _factor_names(N: int) -> list:
    return ["A", "B", "C"] if N == 3 else [f"F{i + 1}" for i in range(N)]


#: Most modes of a CP decomposition whose uniqueness is certified (the checker's limit on factor matrices).
MAX_MODES = 64


def _validate_factors(factors) -> list:
    if not isinstance(factors, (list, tuple)) or len(factors) < 3:
        raise InputError(f"expected at least 3 factor matrices, got {len(factors) if isinstance(factors, (list, tuple)) else factors!r}")
    if len(factors) > MAX_MODES:
        raise InputError(f"expected at most {MAX_MODES} factor matrices (the checker's limit), got {len(factors)}")
    Fs = []
    for i, F in enumerate(factors):
        M = as_exact_array(F, name=f"factor {i + 1}")
        if M.ndim != 2:
            raise ShapeError(f"expected factor {i + 1} to be a matrix, got shape {M.shape}")
        Fs.append(M)
    Rs = [F.shape[1] for F in Fs]
    if len(set(Rs)) != 1:
        raise ShapeError(f"expected factor matrices with the same number of columns (the rank), got {Rs}")
    return Fs


# ------------------------------------------------------------------ given factors
def _compound_condition(Fs, names, R, kres, rng, cert, conds, seed, u2: bool = True) -> str | None:
    """Try the compound condition with each full-column-rank factor; record the outcome.

    Returns "unique", "not unique" (only with ``u2``: the exact condition U_2 decides when the
    compound matrix is rank deficient, a fact about these factors alone) or None.
    """
    if R < 2:
        conds.append(Condition("compound C2(A)(.)C2(B), C full column rank", None, "needs R >= 2"))
        return None
    for fr in range(3):
        rr = rank(Fs[fr], seed=seed)
        x, y = [i for i in range(3) if i != fr]
        label = f"compound C2({names[x]})(.)C2({names[y]}), {names[fr]} full column rank"
        if rr.rank < R:
            continue
        need = R * (R - 1) // 2
        if min(Fs[x].shape[0], Fs[y].shape[0]) < 2:  # a one-row factor: C2 has no rows
            K = np.empty((0, need), dtype=object)
        else:
            memory, work = compound_cost(Fs[x].shape[0], Fs[y].shape[0], R)
            budget.require(f"the compound condition C2({names[x]})(.)C2({names[y]}) for rank {R}", memory=memory,
                           work=work)
            K = khatri_rao(compound2(Fs[x]), compound2(Fs[y]))
        if K.shape[0] < need:
            conds.append(Condition(label, False, f"{K.shape[0]} rows < C({R},2) = {need} columns"))
            verdict = _u2_condition(K, None, R, fr, names, rr, cert, conds, seed) if u2 else None
            if verdict is not None:
                return verdict
            continue
        p = random_prime(rng)
        prof = rank_profile(K, p)
        r, rows = prof.rank, prof.rows
        if r < need:
            rq = rank(K, seed=seed)
            if rq.rank < need:
                conds.append(Condition(label, False, f"rank {rq.rank} < C({R},2) = {need} ({rq.status})"))
                verdict = _u2_condition(K, rq, R, fr, names, rr, cert, conds, seed) if u2 else None
                if verdict is not None:
                    return verdict
                continue
            r, rows, p = rq.rank, rq.pivot_rows, rq.prime
        _full_rank_step(cert, names[fr], rr)
        cert.add_step("compound-uniqueness", id="compound", factors=[{"object": n} for n in names], rank=R,
                      full_rank=fr, rows=rows, modulus=p)
        conds.append(Condition(label, True, f"rank {need} = C({R},2) (minor mod {p}); rank {names[fr]} = {R}"))
        return "unique"
    if not any(c.name.startswith("compound") for c in conds):
        conds.append(Condition("compound C2(A)(.)C2(B), C full column rank", None,
                               "no factor has full column rank"))
    return None


def _full_rank_step(cert, name: str, rr) -> None:
    cert.add_step("rank-at-least", id=f"{name}-full-rank", matrix={"object": name}, rank=rr.rank,
                  minor={"rows": rr.pivot_rows, "cols": rr.pivot_cols}, modulus=rr.prime)


def in_u2_cone(v, R: int) -> bool:
    """Is ``v`` (entries indexed by the pairs i < j of range(R), lexicographic) equal to ``(d_i d_j)_{i<j}`` for a d in C^R?

    Exact, over Q-valued ``v``. Zero is (d = 0). Otherwise fix a pair (i0, j0) with
    v_{i0 j0} != 0; any such d has d_{i0} != 0, and with t = d_{i0}^2 the entries give
    d_k = v_{i0 k} / d_{i0} for every k != i0, so the pairs without i0 hold iff
    v_{i0 k} v_{i0 l} = t v_{kl}. Hence v is in the cone iff one t != 0 solves all these
    linear equations (d_{i0} = sqrt(t) over C). Cost O(R^2) rational operations.

    Examples
    --------
    >>> in_u2_cone([2, 3, 6], 3)      # d = (1, 2, 3)
    True
    >>> in_u2_cone([1, 1, 0], 3)      # d1 d2 = d1 d3 = 1 forces d2 d3 != 0
    False
    """
    from fractions import Fraction

    pairs = list(itertools.combinations(range(R), 2))
    if len(v) != len(pairs):
        raise ShapeError(f"expected {len(pairs)} entries (the pairs of {R} columns), got {len(v)}")
    val = {pq: Fraction(x) for pq, x in zip(pairs, v)}
    nz = next((pq for pq in pairs if val[pq]), None)
    if nz is None:
        return True
    i0 = nz[0]

    def at(i, j):
        return val[(i, j) if i < j else (j, i)]

    t = None
    for k, l in pairs:
        if i0 in (k, l):
            continue
        lhs, rhs = at(i0, k) * at(i0, l), val[(k, l)]
        if rhs == 0:
            if lhs != 0:
                return False
            continue
        if lhs == 0 or (t is not None and lhs / rhs != t):
            return False
        t = lhs / rhs
    return True


#: Most entries of the exact kernel basis that condition U2 searches (dimension times C(R, 2)).
MAX_U2_KERNEL = 2_000_000


def _u2_condition(K, rq, R, fr, names, rr, cert, conds, seed):
    """Jiang and Sidiropoulos's condition U_2 when C2(A)(.)C2(B) is rank deficient; C (factor fr) has full rank.

    With C of full column rank the CPD is unique iff no nonzero vector ``(d_i d_j)_{i<j}`` lies
    in ker C2(A)(.)C2(B) [3]_ (Domanov and De Lathauwer call it U_2). Decided exactly here when
    a kernel basis vector lies in that cone (not unique, any kernel dimension) or the kernel is
    one-dimensional (then the cone meets it iff its basis vector lies in it). Returns
    "unique", "not unique" or None (undecided: a kernel of dimension >= 2 and no basis vector in
    the cone, or a kernel basis of more than :data:`MAX_U2_KERNEL` entries, or an exact kernel
    over the budget). ``rq`` is the exact rank of K when already known (else computed here).
    """
    x, y = [i for i in range(3) if i != fr]
    label = f"U2 (Jiang-Sidiropoulos): no (d_i d_j) in ker C2({names[x]})(.)C2({names[y]}), {names[fr]} full rank"
    if K.shape[0] == 0:  # a factor with one row: C2 is empty; e_(0,1) = (d_i d_j) for d = e_0 + e_1 is in the kernel
        kernel = [[1] + [0] * (K.shape[1] - 1)]
    else:
        rq = rq if rq is not None else rank(K, seed=seed)
        if rq.status != "proved":
            conds.append(Condition(label, None, f"the rank of the compound matrix is not exact ({rq.status})"))
            return None
        dim = K.shape[1] - rq.rank
        if dim * K.shape[1] > MAX_U2_KERNEL:
            conds.append(Condition(label, None, f"a kernel of dimension {dim}: its basis ({dim} x {K.shape[1]} "
                                                f"entries) is not searched (limit {MAX_U2_KERNEL})"))
            return None
        try:
            kernel = nullspace(K)
        except BudgetError as e:
            conds.append(Condition(label, None, f"the exact kernel is over the budget: {e}"))
            return None
    hit = next((v for v in kernel if in_u2_cone(v, R)), None)
    common = dict(factors=[{"object": n} for n in names], rank=R, full_rank=fr)
    if hit is not None:
        _full_rank_step(cert, names[fr], rr)
        cert.add_step("jiang-sidiropoulos", id="u2", kernel=[int(t) for t in hit], **common)
        conds.append(Condition(label, False, f"the kernel vector {brief([int(t) for t in hit])} is (d_i d_j) "
                                             "for some d: U2 fails, so the CPD is not unique"))
        return "not unique"
    if len(kernel) > 1:
        conds.append(Condition(label, None, f"kernel of dimension {len(kernel)}: no basis vector is "
                                            "(d_i d_j), the rest of the kernel is not searched"))
        return None
    v = [int(t) for t in kernel[0]]
    _full_rank_step(cert, names[fr], rr)
    cert.add_step("jiang-sidiropoulos", id="u2", kernel=v, rows=rq.pivot_rows, cols=rq.pivot_cols,
                  modulus=rq.prime, **common)
    conds.append(Condition(label, True, f"kernel of dimension 1 (rank {rq.rank}, minor mod {rq.prime}), "
                                        f"spanned by a vector that is not (d_i d_j)"))
    return "unique"


def factors_uniqueness(factors, *, seed: int = 0, tensor=None, max_subsets: int | None = None,
                       generic_format: bool = False) -> UniquenessResult:
    """Which sufficient conditions prove that ``[[F_1, ..., F_N]]`` is essentially unique.

    Parameters
    ----------
    factors : sequence of N >= 3 exact matrices with the same number R of columns
    seed : seed of the primes (recorded)
    tensor : optional exact tensor; the certificate then also checks ``T == [[F_1..F_N]]``
    max_subsets : budget of each Kruskal-rank enumeration
    generic_format : also conclude the generic fact for the format (the factors being a
        random point of it)

    Returns
    -------
    UniquenessResult
        ``proved`` with a certificate when a condition holds; ``refuted`` (verdict ``not unique``)
        when a factor has full column rank and condition U2 fails; else ``unknown``.

    Notes
    -----
    Cost: the Kruskal-rank enumerations (:func:`tnverify.theory.kruskal.kruskal_rank`) and, for
    N = 3 when Kruskal fails, ranks of the C(I_x,2) C(I_y,2) x C(R,2) compound matrices.
    """
    Fs = _validate_factors(factors)
    N, R = len(Fs), Fs[0].shape[1]
    names = _factor_names(N)
    rng = np.random.default_rng(seed)
    cert = Certificate(objects={n: matrix_object(F) for n, F in zip(names, Fs)})
    Fs = [integer_rows(F) for F in Fs]  # row scaling keeps ranks, k-ranks and compound ranks
    kres = [kruskal_rank(F, seed=seed, max_subsets=max_subsets) for F in Fs]
    for n, F, kr in zip(names, Fs, kres):
        kruskal_certificate(kr, F, {"object": n}, cert, conclude=False)
    lows, ups = [k.lower for k in kres], [k.upper for k in kres]
    need = 2 * R + N - 1
    conds = []
    name = "Kruskal k_A + k_B + k_C >= 2R + 2" if N == 3 else "Sidiropoulos-Bro sum k_n >= 2R + N - 1"
    ok_k = sum(lows) >= need and min(lows) >= 1
    detail = f"k = {lows if lows == ups else list(zip(lows, ups))}, sum {sum(lows)} vs {need}"
    conds.append(Condition(name, True if ok_k else (False if sum(ups) < need else None), detail))
    step = {}
    if tensor is not None:
        T = as_exact_array(tensor, name="tensor")
        cert.objects["T"] = tensor_object(T)
        step["tensor"] = "T"
    proved = ok_k
    if ok_k:
        cert.add_step("kruskal-uniqueness", id="kruskal", factors=[{"object": n} for n in names], rank=R, k=lows,
                      **step)
    if N == 3:
        full = [rank(F, seed=seed).rank == R for F in Fs]
        jn = any(all(full[j] for j in range(3) if j != i) and lows[i] >= 2 for i in range(3))
        conds.append(Condition("Jennrich: two factors of full column rank, k >= 2 for the third", jn,
                               f"full column rank: {dict(zip(names, full))}; implies Kruskal's condition"))
        if not proved:
            decided = _compound_condition(Fs, names, R, kres, rng, cert, conds, seed, u2=not generic_format)
            if decided == "not unique":
                return _not_unique(Fs, names, R, lows, ups, N, cert, conds)
            proved = decided == "unique"
        if not proved and R >= 2:
            held, detail = domanov_condition(Fs, names, lows, cert, rng, seed)
            conds.append(Condition("Domanov-De Lathauwer C_m(A)(.)C_m(B), m = R - r_C + 2", held, detail))
            proved = bool(held)
        if proved and step and cert.steps[-1]["rule"] != "kruskal-uniqueness":
            cert.steps[-1]["tensor"] = "T"
    values = _values(Fs, R, lows, ups, N)
    if not proved:
        return UniquenessResult("unknown", "unknown", conds, values, None)
    held = next(c.name for c in reversed(conds) if c.held and not c.name.startswith("Jennrich"))
    values["criterion"] = "Domanov-De Lathauwer" if held.startswith("Domanov") else held.split()[0]
    sub = {"factors": [{"object": n} for n in names], "field": "C"}
    cert.conclude("cp-unique", sub, True)
    cert.conclude("cp-rank", sub, R)
    if step:
        cert.conclude("cp-unique", {"tensor": {"object": "T"}, "field": "C"}, True)
        cert.conclude("cp-rank-at-least", {"tensor": {"object": "T"}, "field": "Q"}, R)
        cert.conclude("cp-rank-at-most", {"tensor": {"object": "T"}, "field": "Q"}, R)
    if generic_format:
        cert.conclude("generic-cp-unique", {"format": values["format"], "rank": R, "symmetric": False}, True)
    return UniquenessResult("proved", "unique", conds, values, cert)


def _values(Fs, R, lows, ups, N) -> dict:
    return {"rank": R, "format": [F.shape[0] for F in Fs], "k_ranks": lows, "k_upper": ups, "order": N}


def _not_unique(Fs, names, R, lows, ups, N, cert, conds) -> UniquenessResult:
    """The refutation by U_2: another decomposition with R terms exists (``cp-unique`` false)."""
    values = {**_values(Fs, R, lows, ups, N), "criterion": "U2"}
    # U_2 needs no Kruskal rank: the checker is not made to enumerate subsets for facts nothing uses
    cert.steps = [s for s in cert.steps if s["rule"] not in ("kruskal-rank-at-least", "kruskal-rank-at-most")]
    cert.conclude("cp-unique", {"factors": [{"object": n} for n in names], "field": "C"}, False)
    return UniquenessResult("refuted", "not unique", conds, values, cert)


# ------------------------------------------------------------------ generic factors
def _check_format(shape, R) -> list:
    shape = [int(s) for s in shape]
    if len(shape) < 3:
        raise InputError(f"expected a format with at least 3 modes, got {shape}")
    if min(shape) < 1 or R < 1:
        raise InputError(f"expected positive dimensions and rank, got format {shape} and rank {R}")
    return shape


def generic_uniqueness(shape, R: int, *, symmetric: bool = False, seed: int = 0, tries: int = 2) -> UniquenessResult:
    """Generic essential uniqueness of rank-R CP decompositions of a format, proved at a random point.

    With ``symmetric`` the decomposition is ``sum_r lambda_r a_r^{(x)N}`` of an ``n x ... x n``
    tensor, i.e. a 2-layer polynomial network with n inputs, R neurons and degree N
    (:func:`pnn_identifiability`, which also tries groupings of the modes).
    """
    shape = _check_format(shape, R)
    if symmetric:
        if len(set(shape)) != 1:
            raise InputError(f"expected equal dimensions for a symmetric format, got {shape}")
        res = pnn_identifiability(shape[0], R, len(shape), outputs=1, seed=seed, tries=tries)
        res.values.update({"format": shape, "rank": R, "symmetric": True})
        res.notion = "essential uniqueness of the symmetric CP decomposition (Waring), generic, over C"
        if res.verdict == "identifiable":
            res.verdict = "unique"
        elif res.verdict == "not identifiable":
            res.verdict = "not unique"
        return res
    if len(shape) > MAX_MODES:
        raise InputError(f"expected a format with at most {MAX_MODES} modes (the checker's limit on factor matrices), "
                         f"got {len(shape)}")
    shape = check_cp_format(shape, R)  # >= 2 per mode, R <= ambient (a dimension 1 is a lower order)
    if R * segre_dim(shape) > math.prod(shape):  # no sufficient condition can hold: refuted by the count
        return _with_cov(None, cov_identifiability(shape, R, seed=seed), shape, R)
    memory, work = generic_uniqueness_cost(shape, R, tries)  # before the random factors
    budget.require(f"generic uniqueness of rank-{R} CP of format {brief(shape)}", memory=memory, work=work)
    best = None
    for t in range(tries):
        Fs = [random_matrix((I, R), seed + 101 * t + n, POINT_BITS) for n, I in enumerate(shape)]
        res = factors_uniqueness(Fs, seed=seed + t, generic_format=True)
        expected = [min(I, R) for I in shape]
        res.values.update({"k_expected": expected, "symmetric": False, "point_seed": seed + t})
        res.notion = "generic essential uniqueness of the CP decomposition, over C (proved at a random point)"
        best = res
        if res.status == "proved" or res.values["k_ranks"] == expected:
            break
    if best.status == "proved":
        return best
    best.notion = "generic essential uniqueness of the CP decomposition, over C (tested at a random point)"
    return _with_cov(best, cov_identifiability(shape, R, seed=seed), shape, R)


def _with_cov(res: UniquenessResult | None, cov, shape, R) -> UniquenessResult:
    """Add the COV criterion's outcome to a generic result (or make one): its condition, verdict and certificate."""
    count = cov.status == "refuted" and cov.detail.startswith("r s")
    name = ("parameter count r (sum n_k - d + 1) > prod n_k (positive-dimensional fibres)" if count else
            "dim sigma_r < r (sum n_k - d + 1) by equations (positive-dimensional fibres)" if cov.status == "refuted"
            else "Chiantini-Ottaviani-Vannieuwenhoven (Terracini + tangential contact locus)")
    cond = Condition(name, True if cov.status != "unknown" else None, cov.detail)
    if res is None:
        values = {"rank": R, "format": list(shape), "k_ranks": None, "order": len(shape), "symmetric": False}
        res = UniquenessResult("unknown", "unknown", [], values, None,
                               "generic essential uniqueness of the CP decomposition, over C")
    res.conditions.append(cond)
    res.values.update({k: cov.values[k] for k in ("segre_dim", "cov_max_rank", "expected_generic_rank")})
    if cov.status == "unknown":
        return res
    res.status, res.certificate = cov.status, cov.certificate
    res.verdict = "unique" if cov.status == "proved" else "not unique"
    res.values["criterion"] = "COV" if cov.status == "proved" else ("parameter count" if count else "defect")
    res.notion = "generic essential uniqueness of the CP decomposition, over C " + (
        "(proved at a random point)" if cov.status == "proved" else "(refuted: positive-dimensional fibres)")
    return res


# ------------------------------------------------------------------ polynomial networks
#: Ambient dimensions up to this size are reported as exact integers, larger ones as ``about 10^k``.
AMBIENT_EXACT = 10 ** 60

def pnn_identifiability(n: int, m: int, d: int, outputs: int = 1, *, seed: int = 0, W=None, V=None,
                        tries: int = 2) -> UniquenessResult:
    """Identifiability of ``f(x) = V (W^T x)^d`` (n inputs, m neurons, o outputs) up to permutation and scaling.

    Generic (W, V None): proved at a random point, valid for generic weights over C. With
    weights: at those weights (plus, the conditions being open, generically).

    * NOT identifiable (proved, every point): ``m (n + o - 1) > o C(n + d - 1, d)``.
    * identifiable (proved): Kruskal's N-way condition on a grouping of the d symmetric
      modes (and the output mode when o > 1), factors ``W^{(a)}``; the grouping with the
      largest expected slack ``sum min(C(n+a-1, a), m) (+ min(o, m)) - (2m + N - 1)`` first.
    * otherwise unknown (e.g. d <= 2 with one output: quadrics have orthogonal symmetries).
    """
    for name, x in (("inputs", n), ("neurons", m), ("degree", d), ("outputs", outputs)):
        if not isinstance(x, (int, np.integer)) or isinstance(x, bool) or x < 1:
            raise InputError(f"expected a positive integer number of {name}, got {x!r}")
    o = outputs
    if W is not None:
        W, V = _pnn_weights(W, V, n, m, o)  # wrong shapes are bad input whatever the verdict
    memory, work = pnn_cost(n, m, d, o, 1 if W is not None else tries)
    budget.require(f"the identifiability of a polynomial network with {n} inputs, {m} neurons, degree {d}"
                   + (f", {o} outputs" if o > 1 else ""), memory=memory, work=work)
    params = m * (n + o - 1)
    small = budget.comb_capped(n + d - 1, d, max(params, AMBIENT_EXACT))  # never the million-digit integer
    ambient = o * small if small <= max(params, AMBIENT_EXACT) else (
        f"{o} C({n + d - 1}, {d}), about 10^{math.log10(o) + budget.comb_log10(n + d - 1, d):.0f}")
    values = {"inputs": n, "width": m, "outputs": o, "degree": d, "params_mod_scaling": params,
              "ambient": ambient}
    conds = []
    notion = ("identifiability up to permutation and scaling of the neurons, "
              + ("at the given weights and generically" if W is not None else "generic (random point)") + ", over C")
    if isinstance(ambient, int) and params > ambient:
        cert = Certificate()
        cert.add_step("parameter-count-not-identifiable", id="count", inputs=n, width=m, outputs=o, degree=d)
        cert.conclude("generic-pnn-identifiable", {"inputs": n, "width": m, "outputs": o, "degree": d}, False)
        conds.append(Condition("parameter count m(n+o-1) > o C(n+d-1,d)", True,
                               f"{params} > {ambient}: every fibre has dimension >= {m * (n + o) - ambient} > {m}"))
        return UniquenessResult("proved", "not identifiable", conds, values, cert, notion)
    conds.append(Condition("parameter count m(n+o-1) > o C(n+d-1,d)", False, f"{params} <= {ambient}"))
    plans = []
    g = _best_grouping(n, m, d, 2 if o > 1 else 3)
    if g is not None:
        ks = [min(budget.comb_capped(n + a - 1, a, m), m) for a in g] + ([min(o, m)] if o > 1 else [])
        plans.append((sum(ks) - (2 * m + len(ks) - 1), g, ks))
    if not plans or plans[0][0] < 0:
        detail = ("no grouping into >= 3 factors" if not plans else
                  f"best grouping {brief(plans[0][1])}: expected k-ranks {brief(plans[0][2])} fall short by "
                  f"{-plans[0][0]}")
        conds.append(Condition("Kruskal on a grouping of the modes", False if plans else None, detail))
        values["groups"] = list(plans[0][1]) if plans else None
        return UniquenessResult("unknown", "unknown", conds, values, None, notion)
    slack, groups, kexp = plans[0]
    given = W is not None
    for t in range(1 if given else tries):
        if given:
            Wm, Vm = _pnn_weights(W, V, n, m, o)
        else:
            Wm = random_matrix((n, m), seed + 7 * t, POINT_BITS)
            Vm = random_matrix((o, m), seed + 7 * t + 1, POINT_BITS)
        res = _pnn_kruskal(Wm, Vm, d, groups, seed + t)
        if res is not None:
            cert, ks = res
            conds.append(Condition(f"Kruskal on the grouping {brief(groups)}" + (" + output mode" if o > 1 else ""),
                                   True, f"k-ranks {brief(ks)}, sum {sum(ks)} >= {2 * m + len(ks) - 1}"))
            values.update({"groups": list(groups), "k_ranks": ks})
            return UniquenessResult("proved", "identifiable", conds, values, cert, notion)
    conds.append(Condition(f"Kruskal on the grouping {brief(groups)}", False if given else None,
                           "the k-ranks at the point fall short of the expected " + brief(kexp)))
    values["groups"] = list(groups)
    return UniquenessResult("unknown", "unknown", conds, values, None, notion)


def _pnn_weights(W, V, n, m, o):
    Wm = integer_rows(as_exact_array(W, name="weights W"))
    Vm = as_exact_array(V, name="output weights V") if V is not None else np.ones((1, m), dtype=np.int64)
    if Vm.ndim == 1:
        Vm = Vm.reshape(1, -1)
    if Wm.shape != (n, m) or Vm.shape != (o, m):
        raise ShapeError(f"expected W of shape {(n, m)} and V of shape {(o, m)}, got {Wm.shape} and {Vm.shape}")
    return Wm, Vm


def _pnn_kruskal(Wm, Vm, d, groups, seed):
    """Certificate of Kruskal's condition for the grouping at (W, V), or None if it fails there."""
    o, m = Vm.shape
    if any(int(x) == 0 for x in Vm.ravel()) and o == 1:
        return None
    cert = Certificate(objects={"W": matrix_object(Wm), "V": matrix_object(Vm)})
    ks_by_a = {}
    for a in sorted(set(groups)):
        F = veronese(Wm, a)
        name = f"W_pow{a}"
        cert.objects[name] = matrix_object(F)
        kr = kruskal_rank(F, seed=seed, k_max=m)
        kruskal_certificate(kr, F, {"object": name}, cert, conclude=False)
        ks_by_a[a] = kr.lower
    ks = [ks_by_a[a] for a in groups]
    if o > 1:
        kv = kruskal_rank(Vm, seed=seed, k_max=m)
        kruskal_certificate(kv, Vm, {"object": "V"}, cert, conclude=False)
        ks.append(kv.lower)
    if min(ks) < 1 or sum(ks) < 2 * m + len(ks) - 1:
        return None
    runs: list = []  # the grouping as runs of equal group sizes: a degree of 10^5 is a few runs, not 10^5 entries
    for a in groups:
        if runs and runs[-1][0] == a:
            runs[-1][1] += 1
        else:
            runs.append([a, 1])
    extra = {"group_counts": [c for _, c in runs]} if any(c > 1 for _, c in runs) else {}
    cert.add_step("pnn-identifiable", id="identifiable", weights={"object": "W"}, coefficients={"object": "V"},
                  degree=d, groups=[a for a, _ in runs], factors=[{"object": f"W_pow{a}"} for a, _ in runs],
                  k=[ks_by_a[a] for a, _ in runs] + ks[len(groups):], **extra)
    n = Wm.shape[0]
    cert.conclude("pnn-identifiable", {"weights": {"object": "W"}, "coefficients": {"object": "V"}, "degree": d}, True)
    cert.conclude("generic-pnn-identifiable", {"inputs": n, "width": m, "outputs": o, "degree": d}, True)
    return cert, ks


# ------------------------------------------------------------------ Jennrich
@dataclass
class JennrichResult:
    """Outcome of :func:`exact_jennrich`: exact factors over Q, or the reason there are none."""

    status: str
    factors: list | None
    rank: int | None
    message: str
    uniqueness: UniquenessResult | None = None
    eigenvalues: list = dc_field(default_factory=list)


def _slice_mix(T: np.ndarray, z) -> flint.fmpq_mat:
    """The pencil T(z) = sum_k z_k T[:, :, k] as an exact rational matrix."""
    return to_fmpq_mat(T.astype(object) @ np.array(z, dtype=object))


def _eigvecs(M1: flint.fmpq_mat, M2: flint.fmpq_mat, R: int, rows, cols):
    """Rational eigenpairs (lambda, primitive integer vector) of Y = M1[:, cols] M2[rows, cols]^{-1} S_rows."""
    I = M1.nrows()
    B = flint.fmpq_mat([[M2[i, j] for j in cols] for i in rows]).inv()
    C = flint.fmpq_mat([[M1[i, j] for j in cols] for i in range(I)]) * B
    Y = flint.fmpq_mat(I, I)
    for i in range(I):
        for t, r in enumerate(rows):
            Y[i, r] = C[i, t]
    _, facs = Y.charpoly().factor()
    lams = []
    for f, e in facs:
        if f.degree() != 1:
            return None  # an irreducible factor of degree > 1: irrational eigenvalues
        lam = -f[0] / f[1]
        if lam != 0:
            lams.extend([to_exact(lam)] * e)
    if len(lams) != R or len(set(lams)) != R:
        return None
    Yq = [[to_exact(Y[i, j]) for j in range(I)] for i in range(I)]
    out = []
    for lam in lams:
        Z = np.array([[Yq[i][j] - (lam if i == j else 0) for j in range(I)] for i in range(I)], dtype=object)
        vecs = nullspace(Z)
        if len(vecs) != 1:
            return None
        out.append((lam, vecs[0]))
    return out


def exact_jennrich(T, *, seed: int = 0) -> JennrichResult:
    """Exact Jennrich (simultaneous diagonalisation) decomposition of a 3-way tensor over Q.

    ``T(z) = sum_k z_k T[:, :, k] = A diag(C^T z) B^T``. With pivot rows/columns of the
    rank-R matrix ``T(z2)``, ``Y = T(z1)[:, cols] T(z2)[rows, cols]^{-1} S_rows`` (``S_rows x``
    = ``x[rows]``) satisfies ``Y A = A diag((C^T z1) / (C^T z2))``: the columns of A are the eigenvectors for the R
    nonzero eigenvalues; B likewise from the transposed slices, matched by eigenvalue; C
    by an exact linear solve with ``A (.) B``. Exact when the eigenvalues are rational
    (rational factors); the decomposition is then checked exactly and its uniqueness
    certified (A, B of full column rank, k_C >= 2 is inside Kruskal's condition).
    Cost: characteristic polynomials and nullspaces of I x I and J x J rational matrices.
    """
    T = as_exact_array(T, name="tensor")
    if T.ndim != 3:
        raise ShapeError(f"expected a 3-way tensor for Jennrich's algorithm, got shape {T.shape}")
    I, J, K = T.shape
    memory, work = jennrich_cost(I, J, K)
    budget.require(f"exact Jennrich on a {I} x {J} x {K} tensor", memory=memory, work=work)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        z1 = [int(x) for x in rng.integers(-50, 51, K)]
        z2 = [int(x) for x in rng.integers(-50, 51, K)]
        M1, M2 = _slice_mix(T, z1), _slice_mix(T, z2)
        M2i = np.array([[to_exact(M2[i, j]) for j in range(J)] for i in range(I)], dtype=object)
        rr = rank(M2i, seed=seed)
        R = rr.rank
        if R == 0:
            return JennrichResult("unknown", None, 0, "the tensor is zero")
        ea = _eigvecs(M1, M2, R, rr.pivot_rows, rr.pivot_cols)
        eb = _eigvecs(M1.transpose(), M2.transpose(), R, rr.pivot_cols, rr.pivot_rows)
        if ea is None or eb is None:
            continue
        lam_b = {lam: v for lam, v in eb}
        if set(lam_b) != {lam for lam, _ in ea}:
            continue
        A = np.array([v for _, v in ea], dtype=object).T
        B = np.array([lam_b[lam] for lam, _ in ea], dtype=object).T
        KR = khatri_rao(A, B)
        rhs = np.array([[T[i, j, k] for k in range(K)] for i in range(I) for j in range(J)], dtype=object)
        try:
            Ct = solve(KR, rhs)
        except InputError:
            continue
        C = np.array(Ct, dtype=object).reshape(R, K).T
        rebuilt = np.einsum("ir,jr,kr->ijk", A, B, C)
        if not all(x == y for x, y in zip(rebuilt.ravel(), T.ravel())):
            continue
        C = np.array([[int(x) if isinstance(x, int) or x.denominator == 1 else x for x in row] for row in C],
                     dtype=object)
        uq = factors_uniqueness([A, B, C], seed=seed, tensor=T)
        return JennrichResult(uq.status, [A, B, C], R, "exact decomposition over Q", uq,
                              [lam for lam, _ in ea])
    return JennrichResult("unknown", None, None,
                          "no exact rational decomposition: eigenvalues not rational or not distinct "
                          "(Jennrich's condition may fail, or the factors are irrational)")
