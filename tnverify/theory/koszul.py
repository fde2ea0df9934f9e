"""Koszul-Young flattenings of tensors of any format, and the border-rank lower bounds they give.

Group the modes of a tensor T into ``A (x) B (x) C`` (each group a C-order multi-index) and
restrict A to a ``(2p+1)``-dimensional quotient by an integer ``(2p+1) x dim A`` matrix Q
(``T' = Q ._A T``; the identity when ``dim A = 2p+1``). The Koszul-Young flattening is

    T_A^{wedge p}: Lambda^p A' (x) B*  ->  Lambda^{p+1} A' (x) C,
    e_S (x) beta  ->  sum_s (e_s ^ e_S) (x) T'(s, beta, .).

At a rank-one tensor ``a (x) b (x) c`` it is ``(a ^ .) (x) (b c^T)``, of rank
``C(2p+1, p) - C(2p, p-1) = C(2p, p)``; rank is subadditive and "rank <= k" is closed, so on
the secant variety sigma_R (border rank <= R) its rank is at most ``R C(2p, p)``, and the
border rank of T is at least ``ceil(rank / C(2p, p))``. For p = 1 and dim A = 3 it is the
3n x 3n Strassen matrix (border rank of a generic 3 x n x n tensor >= ceil(3n / 2)).

Index conventions (the checker's; docs/mathematics.md, "Koszul-Young flattenings"):
rows ``(S', gamma)``, the (p+1)-subsets S' of ``range(2p+1)`` in ``itertools.combinations``
order, then gamma over C; columns ``(S, beta)``; the entry is ``(-1)^pos T'(s, beta, gamma)``
when ``S' = S + {s}`` with s at position pos of S', else 0. Size
``C(2p+1, p+1) dim C x C(2p+1, p) dim B``.

References
----------
.. [1] J. M. Landsberg, G. Ottaviani, "Equations for secant varieties of Veronese and other
   varieties", Ann. Mat. Pura Appl. 192 (2013) 569-606.
.. [2] V. Strassen, "Rank and optimal computation of generic tensors", Lin. Alg. Appl. 52/53 (1983).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate, tensor_object
from tnverify.errors import InputError
from tnverify.numeric.modp import FAST_PRIME_BITS, pick_prime, rank_profile
from tnverify.theory.terracini import filling_rank

__all__ = ["young_size", "young_matrix", "sorted_indices", "koszul_blocks", "flattening_matrix", "family_matrix",
           "groupings", "young_candidates", "BorderResult", "border_rank_lower", "border_cost"]


def young_size(dims, p: int) -> tuple[int, int]:
    """(rows, cols) of the Koszul-Young flattening with group dimensions ``dims = (dA, dB, dC)``."""
    q = 2 * p + 1
    return math.comb(q, p + 1) * dims[2], math.comb(q, p) * dims[1]


def _grouped(T: np.ndarray, groups) -> np.ndarray:
    """A batch of tensors (leading axis) as (batch, dA, dB, dC) in the groups' C order."""
    shape = T.shape[1:]
    order = [0] + [1 + m for g in groups for m in g]
    dims = [math.prod(shape[m] for m in g) for g in groups]
    return np.transpose(T, order).reshape(T.shape[0], *dims)


def young_matrix(T: np.ndarray, groups, proj: np.ndarray, p: int, symmetric: bool = False) -> np.ndarray:
    """Koszul-Young flattenings mod the prime p of a batch ``T`` (batch, *shape) of tensors.

    ``groups = (a, b, c)`` lists of modes partitioning the modes; ``proj`` is (2p'+1) x dim A.
    Returns int64 residues of shape (batch, rows, cols) (module docstring for the order). With
    ``symmetric``, only the columns beta and rows gamma that are non-decreasing multi-indices
    over B and over C are kept (:func:`sorted_indices`): a submatrix, so its rank is still at
    most C(2p', p') per rank-one term; on a symmetric tensor it drops only repeated rows and
    columns (the symmetric Young flattening of the form, up to nonzero row scalings; docs/
    mathematics.md, "Koszul-Young flattenings").
    Cost O(batch (2p'+1) dA dB dC + batch rows cols).
    """
    X = _grouped(np.asarray(T, dtype=np.int64) % p, groups)
    if symmetric:
        shape = T.shape[1:]
        keep = [sorted_indices([shape[m] for m in g]) for g in groups[1:]]
        X = X[:, :, keep[0]][:, :, :, keep[1]]
    return koszul_blocks(X, proj, p)


def sorted_indices(dims) -> list:
    """C-order flat indices of the non-decreasing multi-indices ``i_1 <= i_2 <= ...`` over ``dims``."""
    return [int(np.ravel_multi_index(t, dims)) if dims else 0
            for t in itertools.product(*[range(n) for n in dims]) if all(x <= y for x, y in zip(t, t[1:]))]


def koszul_blocks(X: np.ndarray, proj: np.ndarray, p: int, wedge: int | None = None) -> np.ndarray:
    """The Koszul-Young block matrix mod p of a batch ``X`` (batch, dA, dB, dC) projected by ``proj``.

    Rows ``(S', gamma)``, columns ``(S, beta)``, entry ``(-1)^pos T'(s, beta, gamma)`` with
    ``T' = proj ._A X`` (module docstring); S runs over the ``wedge``-subsets of ``range(q)``
    (q = rows of ``proj``; default ``(q - 1) / 2``). Cost O(batch q dA dB dC + batch rows cols).
    """
    Q = np.asarray(proj, dtype=np.int64) % p
    q = Q.shape[0]
    pp = (q - 1) // 2 if wedge is None else wedge
    nb, dA, dB, dC = X.shape
    Tp = np.zeros((nb, q, dB, dC), dtype=np.int64)
    for t in range(dA):  # T'(s) = sum_t Q[s, t] T(t); one term at a time keeps int64 exact
        Tp = (Tp + Q[None, :, t, None, None] * X[:, None, t]) % p
    Sp = {S: j for j, S in enumerate(itertools.combinations(range(q), pp))}
    Sq = list(itertools.combinations(range(q), pp + 1))
    M = np.zeros((nb, len(Sq) * dC, len(Sp) * dB), dtype=np.int64)
    for I, S2 in enumerate(Sq):
        for pos, s in enumerate(S2):
            J = Sp[S2[:pos] + S2[pos + 1:]]
            blk = Tp[:, s].transpose(0, 2, 1)
            M[:, I * dC:(I + 1) * dC, J * dB:(J + 1) * dB] = blk if pos % 2 == 0 else (p - blk) % p
    return M


def flattening_matrix(T: np.ndarray, rows) -> np.ndarray:
    """Flattenings of a batch (batch, *shape): rows = C-order multi-index over ``rows`` (order given)."""
    nd = T.ndim - 1
    cols = [k for k in range(nd) if k not in rows]
    m = math.prod(T.shape[1 + k] for k in rows)
    return np.transpose(T, [0] + [1 + k for k in list(rows) + cols]).reshape(T.shape[0], m, -1)


def family_matrix(T: np.ndarray, fam: dict, p: int) -> np.ndarray:
    """The matrix family ``fam`` of a batch: ``{"rows": [...]}``, ``{"koszul-young": {a, b, c, projection}}`` or
    ``{"symmetric-young": {...}}`` (the same, non-decreasing multi-indices over B and C only)."""
    if "rows" in fam:
        return flattening_matrix(np.asarray(T, dtype=np.int64) % p, fam["rows"])
    kind = "koszul-young" if "koszul-young" in fam else "symmetric-young"
    kz = fam[kind]
    return young_matrix(T, (kz["a"], kz["b"], kz["c"]), np.array(kz["projection"], dtype=np.int64), p,
                        symmetric=kind == "symmetric-young")


def groupings(shape):
    """Ways to see a tensor of order >= 3 as A (x) B (x) C: A one mode, B and C a split of the rest.

    Order 3: the three choices of A. Higher order: A one mode (one per distinct dimension),
    B the first half of the remaining modes (balanced split), C the rest.
    """
    N = len(shape)
    out, seen = [], set()
    for a in range(N):
        rest = [m for m in range(N) if m != a]
        if N > 3 and shape[a] in seen:
            continue
        seen.add(shape[a])
        h = len(rest) // 2
        out.append(([a], rest[:h], rest[h:]))
    return out


def young_candidates(shape, rng, p: int, max_entries: float = 4e6):
    """(family, per-term bound k, rows, cols) of Koszul-Young flattenings worth trying, best ratio first.

    For each grouping with dim A >= 3 and each p' with 2p'+1 <= dim A: a random projection mod p
    (the identity when dim A = 2p'+1). Families larger than ``max_entries`` are skipped.
    """
    out = []
    for a, b, c in groupings(shape):
        dims = [math.prod(shape[m] for m in g) for g in (a, b, c)]
        for pp in range(1, (dims[0] - 1) // 2 + 1):
            m, n = young_size(dims, pp)
            if m * n > max_entries:
                break
            q = 2 * pp + 1
            proj = np.eye(q, dtype=np.int64) if q == dims[0] else rng.integers(0, p, (q, dims[0]))
            fam = {"koszul-young": {"a": a, "b": b, "c": c, "projection": proj.tolist()}}
            out.append((fam, math.comb(2 * pp, pp), m, n))
    out.sort(key=lambda t: -(min(t[2], t[3]) / t[1]))
    return out


# ------------------------------------------------------------------ border rank of an explicit tensor
@dataclass
class BorderResult:
    """A proved lower bound on the border rank of an explicit tensor, and its witness."""

    lower: int
    upper: int
    witness: str
    rank: int
    per_term: int
    prime: int
    certificate: Certificate

    @property
    def status(self) -> str:
        return "proved" if self.lower == self.upper else "unknown"

    def to_dict(self) -> dict:
        return {"notion": "border rank", "field": "C", "lower": self.lower, "upper": self.upper,
                "border_rank": self.lower if self.status == "proved" else None, "status": self.status,
                "witness": self.witness, "flattening_rank": self.rank, "per_term": self.per_term,
                "prime": self.prime}


def border_cost(shape) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`border_rank_lower` on a tensor of ``shape``, from the sizes alone."""
    mem = work = 0.0
    N = budget.product(shape)
    for k in range(1, len(shape)):
        m = budget.product(shape[:k])
        n = N / m
        mem, work = max(mem, 16 * m * n), work + m * n * min(m, n)
    for a, b, c in groupings(shape):
        dims = [budget.product(shape[x] for x in g) for g in (a, b, c)]
        for pp in range(1, int(dims[0] - 1) // 2 + 1):
            m, n = young_size(dims, pp)
            if m * n > 4e6:
                break
            mem, work = max(mem, 16 * m * n), work + m * n * min(m, n) + dims[0] * m * n
    return mem, work


def border_rank_lower(T: np.ndarray, seed: int = 0, mode: int | None = None) -> BorderResult:
    """A proved lower bound on the border rank (over C) of the integer tensor ``T``, with a certificate.

    Tries every flattening ``{0..k-1 | k..N-1}`` (border rank >= its rank) and the Koszul-Young
    flattenings of :func:`young_candidates` (border rank >= ceil(rank / C(2p, p))), ranks mod a
    random prime (a lower bound on the rank over Q), and keeps the best. The upper bound is the
    trivial ``min_k prod_{j != k} n_j`` (the slices along the largest mode). With ``mode``, only the
    Koszul-Young flattenings with A = that mode are tried. Raises InputError for a tensor of order
    < 3, non-integer entries, or a ``mode`` of dimension < 3 (no 3-dimensional quotient of A).
    """
    T = np.asarray(T)
    if T.ndim < 3:
        raise InputError(f"expected a tensor of order >= 3 for a border rank, got order {T.ndim}")
    if mode is not None and not 0 <= mode < T.ndim:
        raise InputError(f"expected a Koszul mode in 0..{T.ndim - 1}, got {mode}")
    if mode is not None and T.shape[mode] < 3:
        raise InputError(f"expected a mode of dimension >= 3 for a Koszul-Young flattening (dim A = 2p+1 >= 3), "
                         f"got mode {mode} of dimension {T.shape[mode]}")
    if T.dtype == object:
        if not all(isinstance(x, (int, np.integer)) or getattr(x, "denominator", None) == 1 for x in T.ravel()):
            raise InputError("expected integer entries for the exact border-rank bound (Koszul-Young flattenings "
                             "mod p), got non-integer entries")
    elif not np.issubdtype(T.dtype, np.integer):
        raise InputError(f"expected integer entries for the exact border-rank bound, got dtype {T.dtype}")
    shape = list(T.shape)
    memory, work = border_cost(shape)
    budget.require(f"the border-rank bound of a {'x'.join(map(str, shape))} tensor", memory=memory, work=work)
    rng = np.random.default_rng([seed, 13])
    p = pick_prime(rng, FAST_PRIME_BITS)
    Tp = np.array([int(x) % p for x in T.ravel()], dtype=np.int64).reshape(shape)
    upper = min(math.prod(shape) // n for n in shape)
    best = None
    for k in range(1, len(shape)):
        rows = list(range(k))
        res = rank_profile(flattening_matrix(Tp[None], rows)[0], p, reduced=True)
        if best is None or res.rank > best[0]:
            best = (res.rank, res.rank, {"rows": rows}, 1, res)
    for fam, k, m, n in young_candidates(shape, rng, p):
        if -(-min(m, n) // k) <= best[0] or mode is not None and fam["koszul-young"]["a"] != [mode]:
            continue
        res = rank_profile(family_matrix(Tp[None], fam, p)[0], p, reduced=True)
        if -(-res.rank // k) > best[0]:
            best = (-(-res.rank // k), res.rank, fam, k, res)
    lower, r, fam, k, res = best
    cert = Certificate(objects={"T": tensor_object(np.array([int(x) for x in T.ravel()], dtype=object).reshape(shape))})
    if "rows" in fam:
        ref = {"object": "T", "rows": fam["rows"]}
        cert.add_step("rank-at-least", id="flattening", matrix=ref, rank=r, minor={"rows": res.rows, "cols": res.cols},
                      modulus=p)
        cert.add_step("cp-rank-from-flattening", id="border-lower", tensor="T", rows=fam["rows"], rank=r)
        witness = f"flattening rows={fam['rows']} of rank {r}"
    else:
        kz = fam["koszul-young"]
        cert.add_step("border-rank-koszul", id="border-lower", tensor="T", **{"koszul-young": kz}, modulus=p,
                      rank=r, minor={"rows": res.rows, "cols": res.cols})
        q = len(kz["projection"])
        witness = (f"Koszul-Young flattening p={(q - 1) // 2} (A = modes {kz['a']} -> C^{q}, B = {kz['b']}, "
                   f"C = {kz['c']}) of rank {r} > {k} x {lower - 1}")
    subject = {"tensor": {"object": "T"}, "field": "C"}
    cert.conclude("border-rank-at-least", subject, lower)
    cert.claim.update({"statement": f"border rank over C of the tensor >= {lower}", "seed": seed})
    filled = filling_rank([[n, 1] for n in shape], lower, seed)
    if filled is not None and filled[0] < upper:
        upper, fcert = filled
        cert.merge(fcert, prefix="fill-")
        cert.add_step("border-rank-at-most-by-filling", id="border-upper", tensor="T", rank=upper)
        cert.conclude("border-rank-at-most", subject, upper)
        cert.claim["statement"] = ("border rank over C of the tensor "
                                   + (f"= {lower}" if lower == upper else f"in [{lower}, {upper}]"))
    return BorderResult(lower, upper, witness, r, k, p, cert)
