"""Generic identifiability of CP decompositions beyond Kruskal: the Chiantini-Ottaviani-Vannieuwenhoven criterion.

Setting: the format ``n_1 x ... x n_d`` (d >= 3, every n_k >= 2) and a rank r. The Segre cone
X = {a^1 (x) ... (x) a^d}; a general tensor of rank r is ``z = sum_i phi(p_i)`` with
``phi(p_i) = a_i^1 (x) ... (x) a_i^d``. *Generic r-identifiability* means that a general such
z has exactly one decomposition with r terms (up to order and scaling inside the terms).
Let ``s = sum_k n_k - d + 1`` (the dimension of X) and ``N = prod_k n_k``.

The criterion (Chiantini, Ottaviani, Vannieuwenhoven 2014 [1]_, building on the tangential
contact locus of Chiantini and Ottaviani 2012 [2]_ and on Chiantini and Ciliberto [3]_), at
r points p_1..p_r of X, written exactly at one integer point mod a prime p:

1. **Terracini**: the Jacobian ``J`` (N x r sum n_k) of ``(a_i^k) -> sum_i phi(p_i)`` has rank
   ``r s``, so sigma_r has the expected dimension and T = colspan J = <T_{p_1}, ..., T_{p_r}>.
2. **Tangential contact locus** C = {x in X : T_x X in T}: at each p_i the linearised
   condition ``H_kj v in T`` for all modes k and coordinates j, with
   ``H_kj v = sum_{k' != k} a_i^1 (x) .. v^{k'} .. e_j (slot k) .. (x) a_i^d``, has only the d
   trivial solutions ``v = (c_1 a_i^1, ..., c_d a_i^d)``. With N_T a basis of the annihilator
   of T, this is ``rank K_i = sum n_k - d`` for the stacked matrix ``K_i = [N_T H_kj]``. The
   Zariski tangent space of C's cone at p_i is inside that kernel, so p_i is an isolated
   point of C.
3. **Span of the points** (a reshaped flattening): for a bipartition G | G' of the modes, the
   Khatri-Rao product of the factors of G' has full column rank r and the Khatri-Rao product of
   G has no two proportional columns. Then a rank-one tensor ``sum_i c_i phi(p_i)`` has
   flattening ``K_G diag(c) K_{G'}^T`` of rank equal to the rank of the columns of K_G in the
   support of c, so the support is one index: X meets <phi(p_1)..phi(p_r)> only in the p_i.

Why 1-3 prove generic identifiability: each is a nonvanishing minor, hence holds on a dense
Zariski-open set U of r-tuples, invariant under scaling the vectors. Every decomposition q of a
general z lies in U (the image of the complement of U has dimension < dim sigma_r). By 1 at p
and q, ``T = <T_{p_i}> = <T_{q_j}> = T_z sigma_r``, so every q_j lies in C(p) = C(q), where it is
isolated by 2. Moving z in the span <p>, the decompositions q(z) stay in a finite set of
isolated points, hence are constant, so <p> = <q>; by 3 the q_j are the p_i. (The argument is
the one of [1]_, Section 4, with the contact locus of [2]_, Prop. 2.4; docs/mathematics.md,
section 4.)

Exactness: every rank is a rank mod p of an integer matrix, a lower bound on the rank over Q
(a nonzero minor mod p is a nonzero integer) and, by lower semicontinuity, on the generic rank.
Step 1 meets the structural upper bound (rank J <= dim sigma_r <= r s), so rank J = r s over Q
and over GF(p); the mod-p annihilator then is the reduction of a saturated integer basis of the rational one, and the rank
of K_i mod p bounds its rank over Q from below. Step 2's rank is at most ``sum n_k - d`` at
every point, so equality at this point is the generic value.

Not identifiable (``refuted``): when ``r s > N`` the r s parameters modulo scaling exceed the
ambient dimension, so dim sigma_r <= N < r s and the generic fibre is positive-dimensional; when
step 1 fails and equations of sigma_r certify ``dim sigma_r < r s``
(:func:`tnverify.theory.terracini.secant_dimension`), likewise.
A failure of 1-3 is ``unknown``, never "not identifiable".

Cost: the Jacobian's rank, ``N (r sum n_k)^2`` operations mod p; the annihilator (m = N - r s
rows); r contact matrices of ``sum n_k * m`` rows and ``sum n_k`` columns, each from
``m N d^2`` multiply-adds.

References
----------
.. [1] L. Chiantini, G. Ottaviani, N. Vannieuwenhoven, "An algorithm for generic and low-rank
   specific identifiability of complex tensors", SIAM J. Matrix Anal. Appl. 35(4) (2014) 1265-1287.
.. [2] L. Chiantini, G. Ottaviani, "On generic identifiability of 3-tensors of small rank",
   SIAM J. Matrix Anal. Appl. 33(3) (2012) 1018-1037.
.. [3] L. Chiantini, C. Ciliberto, "On the concept of k-secant order of a variety",
   J. London Math. Soc. 73(2) (2006) 436-454.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import flint
import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.errors import InputError
from tnverify.messages import brief
from tnverify.numeric.modp import FAST_PRIME_BITS, pick_prime, rank_profile, uniform_point
from tnverify.theory import jacobian as J

__all__ = ["CovResult", "cov_identifiability", "check_cp_format", "segre_dim", "cov_max_rank", "cov_cost",
           "expected_generic_rank"]


@dataclass
class CovResult:
    """Outcome of the COV criterion: ``proved`` (identifiable), ``refuted`` (not) or ``unknown``."""

    status: str
    verdict: str
    detail: str
    values: dict = field(default_factory=dict)
    certificate: Certificate | None = None


def check_cp_format(shape, rank: int) -> list:
    """Validate a CP format and rank: >= 3 modes, every dimension >= 2, 1 <= rank <= ambient dimension.

    Raises :class:`~tnverify.errors.InputError` with what was expected and what was received.
    """
    try:
        dims = [int(n) for n in shape]
    except (TypeError, ValueError):
        raise InputError(f"expected a format of integers like 3,3,3, got {brief(shape)}") from None
    if len(dims) < 3:
        raise InputError(f"expected a format with at least 3 modes, got {brief(dims)}")
    if min(dims) < 2:
        raise InputError(f"expected every dimension of the format to be at least 2, got {brief(dims)} "
                         "(a dimension 1 is a tensor of lower order; drop it)")
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise InputError(f"expected a rank >= 1, got {rank!r}")
    N = math.prod(dims)
    if rank > N:
        raise InputError(f"expected a rank at most the ambient dimension {N} of the format {brief(dims)}, got {rank}")
    return dims


def segre_dim(shape) -> int:
    """s = sum n_k - d + 1: the dimension of the cone of rank-one tensors (parameters per term)."""
    return sum(shape) - len(shape) + 1


def cov_max_rank(shape) -> int:
    """The largest r with ``r s < prod n_k`` (strictly subgeneric): the ranks where the criterion may apply."""
    return (math.prod(shape) - 1) // segre_dim(shape)


def expected_generic_rank(shape) -> int:
    """ceil(prod n_k / s): the generic rank when sigma_r is not defective."""
    return -(-math.prod(shape) // segre_dim(shape))


def cov_cost(shape, r: int, tries: int = 2) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`cov_identifiability`: floats from the sizes alone.

    The Jacobian (N x r sum n_k, 16 bytes per entry) and its rank, the annihilator (m x N) and
    the r contact matrices (``sum n_k m`` x ``sum n_k``) with their ``m N d^2`` contractions.
    """
    N = budget.product(shape)
    P = float(r) * sum(shape)
    m = max(N - float(r) * segre_dim(shape), 1.0)
    d = len(shape)
    memory = 16.0 * N * P + 16.0 * m * N + 8.0 * sum(shape) * m * sum(shape)
    work = N * P * min(N, P) + P * N * m + r * (m * N * d * d + sum(shape) ** 2 * m * sum(shape))
    return memory, tries * work


def _contract(T: np.ndarray, vec: np.ndarray, axis: int, p: int) -> np.ndarray:
    """``sum_j T[..., j (axis), ...] vec[j]`` mod p (int64; Python integers when a sum could overflow)."""
    if T.shape[axis] * (p - 1) ** 2 >= 2**62:
        out = np.tensordot(T.astype(object), vec.astype(object), axes=([axis], [0])) % p
        return np.asarray(out, dtype=np.int64)
    return np.tensordot(T, vec, axes=([axis], [0])) % p


def contact_matrix(Nt: np.ndarray, shape, vecs: list, p: int) -> np.ndarray:
    """K = [N_T H_kj] at the point with vectors ``vecs`` (one per mode), mod p.

    Rows ``(k, j, l)`` (mode k, coordinate j, annihilator row l; offset ``sum_{k'' < k} n_k'' m``,
    then ``j m + l``); columns ``(k', c)`` (offset ``sum_{k'' < k'} n_k''`` + c). Entry: N_l
    contracted with the vectors on every mode except k (index j) and k' (index c); 0 when k = k'.
    """
    m, d = Nt.shape[0], len(shape)
    T = Nt.reshape([m] + list(shape))
    S = sum(shape)
    K = np.zeros((S * m, S), dtype=np.int64)
    roff = np.cumsum([0] + [n * m for n in shape])
    coff = np.cumsum([0] + list(shape))
    for k in range(d):
        for k2 in range(d):
            if k2 == k:
                continue
            X = T
            for ax in sorted((a for a in range(d) if a not in (k, k2)), reverse=True):
                X = _contract(X, vecs[ax], ax + 1, p)
            # X has axes (l, smaller of k/k2, larger of k/k2)
            X = X if k < k2 else X.transpose(0, 2, 1)  # -> (l, j at k, c at k2)
            blk = X.transpose(1, 0, 2).reshape(shape[k] * m, shape[k2])
            K[roff[k]:roff[k + 1], coff[k2]:coff[k2 + 1]] = blk
    return K


def _khatri_rao(mats: list, p: int) -> np.ndarray:
    W = np.ones((1, mats[0].shape[1]), dtype=np.int64)
    for A in mats:
        W = (W[:, None, :] * A[None, :, :] % p).reshape(-1, A.shape[1])
    return W


def _no_proportional_columns(A: np.ndarray, p: int) -> bool:
    """Every column nonzero and no two proportional, mod p (columns normalised to a leading 1)."""
    seen = set()
    for c in range(A.shape[1]):
        col = [int(x) % p for x in A[:, c]]
        lead = next((x for x in col if x), 0)
        if not lead:
            return False
        inv = pow(lead, p - 2, p)
        key = tuple(x * inv % p for x in col)
        if key in seen:
            return False
        seen.add(key)
    return True


def _attempt(dims, r: int, p: int, rng) -> tuple[dict | None, str]:
    """One point: the step of a ``cov-identifiable`` certificate, or None and the reason."""
    d, S, N = len(dims), sum(dims), math.prod(dims)
    rs = r * segre_dim(dims)
    point = [uniform_point(rng, p, (n, r)) for n in dims]
    Jm = J.build(J.cp_spec(dims, r), p, point).matrix
    jr = rank_profile(Jm, p, reduced=True)
    if jr.rank < rs:
        return None, f"Terracini: the Jacobian has rank {jr.rank} < r s = {rs} at the point (mod {p})"
    X, nullity = flint.nmod_mat(Jm.T.tolist(), p).nullspace()
    m = N - rs
    if nullity != m:
        return None, f"the annihilator of the tangent span has dimension {nullity}, expected {m}"
    Nt = np.array(X.tolist(), dtype=np.int64)[:, :m].T.copy()  # m x N
    nr = rank_profile(Nt, p, reduced=True)
    contact = []
    for i in range(r):
        K = contact_matrix(Nt, dims, [A[:, i] for A in point], p)
        kr = rank_profile(K, p, reduced=True)
        if kr.rank < S - d:
            return None, (f"tangential contact locus: at point {i + 1} the linearised contact condition has "
                          f"rank {kr.rank} < sum n_k - d = {S - d} (a positive-dimensional contact locus)")
        contact.append({"rows": kr.rows, "cols": kr.cols})
    g = int(np.argmax(dims))
    rest = [k for k in range(d) if k != g]
    W = _khatri_rao([point[k] for k in rest], p)
    wr = rank_profile(W, p, reduced=True)
    if wr.rank < r or not _no_proportional_columns(point[g], p):
        return None, f"the span of the points: the Khatri-Rao product of modes {rest} has rank {wr.rank} < {r}"
    step = {"format": dims, "rank": r, "modulus": p, "point": [A.tolist() for A in point],
            "jacobian_minor": {"rows": jr.rows, "cols": jr.cols}, "annihilator": Nt.tolist(),
            "annihilator_minor": {"rows": nr.rows, "cols": nr.cols}, "contact_minors": contact,
            "split": [g], "split_minor": {"rows": wr.rows, "cols": wr.cols}}
    return step, f"Terracini rank {rs}, contact rank {S - d} at all {r} points, span split {g}|{rest} (mod {p})"


def cov_identifiability(shape, rank: int, *, seed: int = 0, tries: int = 2) -> CovResult:
    """Generic identifiability of rank-``rank`` CP of the format ``shape`` by the COV criterion.

    Parameters
    ----------
    shape : sequence of int
        ``n_1, ..., n_d`` with d >= 3 and every n_k >= 2 (else :class:`~tnverify.errors.InputError`).
    rank : int
        ``1 <= r <= prod n_k``.
    seed : int
        Seed of the points and primes (recorded in the certificate through the point itself).
    tries : int
        Points tried before ``unknown``.

    Returns
    -------
    CovResult
        ``proved`` / ``identifiable`` with a ``cov-identifiable`` certificate; ``refuted`` / ``not
        identifiable`` when ``r s > prod n_k`` (certificate: the ambient dimension bounds dim sigma_r);
        ``unknown`` otherwise, with the step that failed.
    """
    dims = check_cp_format(shape, rank)
    r, s, N = int(rank), segre_dim(dims), math.prod(dims)
    values = {"format": dims, "rank": r, "segre_dim": s, "ambient": N, "params_mod_scaling": r * s,
              "cov_max_rank": cov_max_rank(dims), "expected_generic_rank": expected_generic_rank(dims)}
    spec = J.cp_spec(dims, r)
    sub = {"format": dims, "rank": r, "symmetric": False}
    if r * s > N:
        cert = Certificate()
        cert.add_step("dim-at-most", id="ambient", variety=spec, method="ambient", rank=N)
        cert.add_step("cp-not-identifiable", id="fibre", format=dims, rank=r)
        cert.conclude("generic-cp-unique", sub, False)
        return CovResult("refuted", "not identifiable",
                         f"r s = {r} x {s} = {r * s} > {N}: dim sigma_r <= {N}, every fibre has positive dimension",
                         values, cert)
    if r * s == N:
        return CovResult("unknown", "unknown", f"r s = {r * s} = prod n_k: the tangent span is the whole space, so "
                         "the contact locus is all of X and the criterion cannot apply (perfect format)", values, None)
    memory, work = cov_cost(dims, r, tries)
    budget.require(f"the COV identifiability criterion for rank {r} in the format {brief(dims)}",
                   memory=memory, work=work)
    rng = np.random.default_rng([seed, 14])
    reason, used = "", []
    for _ in range(max(1, tries)):
        p = pick_prime(rng, FAST_PRIME_BITS, exclude=used)
        used.append(p)
        step, reason = _attempt(dims, r, p, rng)
        if step is not None:
            cert = Certificate()
            cert.add_step("cov-identifiable", id="cov", **step)
            cert.conclude("generic-cp-unique", sub, True)
            values["prime"] = p
            return CovResult("proved", "identifiable", reason, values, cert)
    if reason.startswith("Terracini"):  # defective at the point: an equation of sigma_r may prove it
        return _defect_refutation(dims, r, seed, reason, values)
    return CovResult("unknown", "unknown", reason, values, None)


def _defect_refutation(dims, r: int, seed: int, reason: str, values: dict) -> CovResult:
    """``refuted`` when a certified upper bound (equations of sigma_r) puts dim sigma_r below r s, else unknown.

    :func:`tnverify.theory.terracini.secant_dimension` proves ``dim sigma_r <= u`` by the gradients of
    equations of sigma_r at a point of it; ``u < r s`` means positive-dimensional fibres.
    """
    from tnverify.theory.terracini import secant_dimension

    res = secant_dimension(dims, r, seed=seed)
    rs = r * segre_dim(dims)
    if res.upper >= rs or res.certificate is None:
        return CovResult("unknown", "unknown", reason, values, None)
    cert = res.certificate
    cert.add_step("cp-not-identifiable", id="fibre", format=dims, rank=r)
    cert.conclude("generic-cp-unique", {"format": dims, "rank": r, "symmetric": False}, False)
    return CovResult("refuted", "not identifiable", f"dim sigma_{r} <= {res.upper} < r s = {rs} "
                     f"({res.upper_source}): every fibre has positive dimension", values, cert)


def _kruskal_max(dims) -> int:
    """Largest R with sum_k min(n_k, R) >= 2R + d - 1 (generic k-ranks), 0 when none."""
    return max((R for R in range(1, math.prod(dims) + 1) if sum(min(n, R) for n in dims) >= 2 * R + len(dims) - 1),
               default=0)


def _compound_max(dims) -> int | None:
    """Largest R with some n_c >= R and C(R,2) <= C(n_a,2) C(n_b,2) (De Lathauwer's generic range); 3 modes only."""
    if len(dims) != 3:
        return None
    best = 0
    for c in range(3):
        a, b = [dims[i] for i in range(3) if i != c]
        R = dims[c]
        while R >= 2 and math.comb(R, 2) > math.comb(a, 2) * math.comb(b, 2):
            R -= 1
        best = max(best, R if R >= 2 else 0)
    return best


def _domanov_max(dims) -> int | None:
    """Largest R passing the necessary counts of the C_m condition at generic factors (3 modes only).

    For each role c: r_C = min(n_c, R), m = R - r_C + 2, k-ranks min(n, R); needs
    ``max(min(k_A, k_B - 1), min(k_A - 1, k_B)) + k_C >= R + 1`` and ``C(n_a, m) C(n_b, m) >= C(R, m)``.
    A count, not a proof: the criterion itself is decided at given factors.
    """
    if len(dims) != 3:
        return None
    best = 0
    for R in range(2, math.prod(dims) + 1):
        for c in range(3):
            a, b = [dims[i] for i in range(3) if i != c]
            kA, kB, kC = min(a, R), min(b, R), min(dims[c], R)
            m = R - kC + 2
            if (max(min(kA, kB - 1), min(kA - 1, kB)) + kC >= R + 1 and m <= min(a, b)
                    and math.comb(a, m) * math.comb(b, m) >= math.comb(R, m)):
                best = R
                break
    return best


def criteria_ranges(shape, *, seed: int = 0, scan: bool = True) -> list:
    """The range of ranks each criterion covers for the format ``shape``: rows ``(criterion, range, how)``.

    Kruskal / Sidiropoulos-Bro and De Lathauwer's compound condition: the largest R their
    condition can reach at generic factors (k-ranks min(n_k, R)). Domanov-De Lathauwer: the
    necessary counts of the C_m condition. COV: applicable for ``r s < prod n_k``; with ``scan``
    the criterion is run from that bound down until it proves a rank (the largest rank it decides
    at this format). The parameter count refutes every ``r > prod n_k / s``. The expected generic
    rank is ``ceil(prod n_k / s)`` (the generic rank when no secant is defective).
    """
    dims = check_cp_format(shape, 1)
    s, N = segre_dim(dims), math.prod(dims)
    rows = [("Kruskal / Sidiropoulos-Bro", f"R <= {_kruskal_max(dims)}", "k_n = min(n_n, R) at generic factors")]
    cm, dm = _compound_max(dims), _domanov_max(dims)
    rows.append(("De Lathauwer (compound C2)", f"R <= {cm}" if cm is not None else "3 modes only",
                 "a factor with n_c >= R and C(R,2) <= C(n_a,2) C(n_b,2)"))
    rows.append(("Domanov-De Lathauwer (C_m)", f"R <= {dm} (counts)" if dm is not None else "3 modes only",
                 "given factors: C_m(A)(.)C_m(B) full column rank, m = R - r_C + 2"))
    top = cov_max_rank(dims)
    decided = None
    if scan:
        for r in range(top, 0, -1):
            if cov_identifiability(dims, r, seed=seed).status == "proved":
                decided = r
                break
    rows.append(("Chiantini-Ottaviani-Vannieuwenhoven", f"applies to r <= {top}" + (
        f"; proves r = {decided}" if decided else ("; proves none" if scan else "")), "r s < prod n_k, s = " + str(s)))
    rows.append(("parameter count (not identifiable)", f"r >= {N // s + 1}", f"r s > prod n_k = {N}"))
    rows.append(("expected generic rank", f"{expected_generic_rank(dims)}", "ceil(prod n_k / s)"))
    return rows
