"""Defect certificates: upper bounds on the dimension of a secant variety from its equations.

If polynomials f_1..f_k vanish on the image of ``Phi`` (here sigma_R of a partially symmetric
format, ``Phi(theta) = sum_r (x)_k l_{k,r}^{(x)d_k}``), then ``grad f(Phi(theta)) J_Phi(theta) = 0``
for every theta, so at a generic theta ``rank J_Phi <= N - rank grad f(Phi(theta))``; rank being
lower semicontinuous, the rank of the gradients at ANY integer point theta_0 (mod p) bounds the
generic one below. Hence ``dim sigma_R <= N - k`` whenever k gradients are independent at one point
(docs/mathematics.md, "Defects: upper bounds on dimensions from equations").

Equations used, all re-derived by the checker from the format alone:

* the (R+1)-minors of every flattening of the full tensor (one per bipartition of the modes up to
  the block symmetry; rank <= R on sigma_R);
* for order-3 formats, the (C(2p,p) R + 1)-minors of the Koszul-Young flattenings
  (:mod:`tnverify.theory.koszul`);
* for Waring formats S^d(C^n), d >= 3, the same minors of the symmetric Young flattenings
  ``S^a (x) Lambda^p C^{2p+1} -> S^{d-a-1} (x) Lambda^{p+1} C^{2p+1}`` (Koszul-Young flattenings on
  non-decreasing multi-indices, :func:`symmetric_young_candidates`; Landsberg-Ottaviani 2013).

Choice of minors. At ``x_0 = Phi(theta_0)`` let a matrix family M have rank exactly ``B = kR``,
with a nonsingular B x B block ``M_00`` (rows I0, cols J0). The minors ``det M[I0+i, J0+j]``
(i, j outside) equal ``det M_00`` times the Schur complement entry ``s_ij``, which vanishes at
x_0, so their gradients there are ``det M_00 . [-u_i 1] dM [-w_j; 1]`` with
``u = M_10 M_00^{-1}``, ``w = M_00^{-1} M_01``: all (m - B)(n - B) of them span the normal space of
the determinantal variety at M(x_0), pulled back to the coordinates. The gradients of all
families are stacked, and a rank profile mod p picks k independent rows (minors) and k columns
(coordinates): the certificate (rule ``dim-at-most-by-equations``) names the family, the rows and
the columns of each minor, never a polynomial.

Complexity: per family ``O(N m n)`` memory for the matrices of the N coordinate tensors and
``O((m - B) m n N)`` operations mod p, then one rank profile of the stacked gradients.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.numeric.modp import matmul_mod, rank_profile
from tnverify.theory import jacobian as J
from tnverify.theory import koszul as K

__all__ = ["DefectBound", "families", "symmetric_young_candidates", "defect_cost", "defect_bound", "coordinate_map",
           "family_name"]


@dataclass
class DefectBound:
    """``dim <= bound`` from ``rank`` independent equation gradients, and which families gave them."""

    bound: int
    rank: int
    used: dict

    def describe(self) -> str:
        """Which equations closed the gap, for people: ``2 independent gradients of 4-minors of ...``."""
        parts = [f"{n} of the {size}-minors of the {name}" for name, (n, size) in self.used.items()]
        grads = "1 nonzero gradient" if self.rank == 1 else f"{self.rank} independent gradients"
        return f"equations: {grads} at a point of the variety (" + "; ".join(parts) + ")"


def family_name(fam: dict, shape) -> str:
    """``flattening {0,1|2,3}`` or ``Koszul-Young p=1 (A = modes [0] -> C^3)``."""
    if "rows" in fam:
        rest = [k for k in range(len(shape)) if k not in fam["rows"]]
        return "flattening {" + ",".join(map(str, fam["rows"])) + "|" + ",".join(map(str, rest)) + "}"
    if "symmetric-young" in fam:
        kz = fam["symmetric-young"]
        q = len(kz["projection"])
        return (f"Young flattening S^{len(kz['b'])} (x) L^{(q - 1) // 2} C^{q} -> S^{len(kz['c'])} (x) "
                f"L^{(q + 1) // 2} C^{q} (symmetric Koszul-Young, A = modes {kz['a']} -> C^{q})")
    kz = fam["koszul-young"]
    q = len(kz["projection"])
    return f"Koszul-Young flattening p={(q - 1) // 2} (A = modes {kz['a']} -> C^{q}, B = {kz['b']}, C = {kz['c']})"


def coordinate_map(blocks) -> np.ndarray:
    """For each entry of the full tensor (C order), the index of its coordinate (monomials per block)."""
    shape = [n for n, d in blocks for _ in range(d)]
    tables = [{m: i for i, m in enumerate(J.monomials(n, d))} for n, d in blocks]
    sizes = [len(t) for t in tables]
    out = np.empty(math.prod(shape), dtype=np.int64)
    for f, idx in enumerate(itertools.product(*[range(s) for s in shape])):
        c, pos = 0, 0
        for (n, d), table, size in zip(blocks, tables, sizes):
            c = c * size + table[tuple(sorted(idx[pos:pos + d]))]
            pos += d
        out[f] = c
    return out


def families(blocks, rank: int, rng, p: int) -> list:
    """(family, per-term bound k, rows, cols) whose (kR+1)-minors exist: flattenings, then Koszul-Young."""
    offs = np.cumsum([0] + [d for _, d in blocks])
    D = int(offs[-1])
    shape = [n for n, d in blocks for _ in range(d)]
    out, seen = [], set()
    for a in itertools.product(*[range(d + 1) for _, d in blocks]):
        if sum(a) == 0 or sum(a) == D or tuple(d - x for (_, d), x in zip(blocks, a)) in seen:
            continue
        seen.add(tuple(a))
        rows = [int(offs[k]) + t for k in range(len(blocks)) for t in range(a[k])]
        m = math.prod(shape[x] for x in rows)
        n = math.prod(shape) // m
        if rank < min(m, n):
            out.append(({"rows": rows}, 1, m, n))
    if len(blocks) == 1 and D >= 3:
        out += [c for c in symmetric_young_candidates(*blocks[0], rng, p) if c[1] * rank < min(c[2], c[3])]
    elif D == 3:
        out += [c for c in K.young_candidates(shape, rng, p, max_entries=1e5) if c[1] * rank < min(c[2], c[3])]
    return out


def symmetric_young_candidates(n: int, d: int, rng, p: int, max_entries: float = 1e5) -> list:
    """``(family, k, rows, cols)`` of the Young flattenings of S^d(C^n) in tensor coordinates.

    ``{"symmetric-young": {a: [0], b: [1..a], c: [a+1..d-1], projection}}`` for ``1 <= a <= d-2``
    and ``1 <= p' <= (n-1)/2`` (projection random mod p, the identity when n = 2p'+1): the
    Koszul-Young flattening on non-decreasing multi-indices, ``C(2p'+1, p'+1) C(n+d-a-2, d-a-1)``
    rows and ``C(2p'+1, p') C(n+a-1, a)`` columns, ``k = C(2p', p')`` (:mod:`tnverify.theory.young`
    for the same map written on the coefficients of a form). Families over ``max_entries`` are skipped.
    """
    out = []
    for pp in range(1, (n - 1) // 2 + 1):
        q = 2 * pp + 1
        for a in range(1, d - 1):
            m = math.comb(q, pp + 1) * math.comb(n + d - a - 2, d - a - 1)
            c = math.comb(q, pp) * math.comb(n + a - 1, a)
            if m * c > max_entries:
                continue
            proj = np.eye(q, dtype=np.int64) if q == n else rng.integers(0, p, (q, n))
            fam = {"symmetric-young": {"a": [0], "b": list(range(1, a + 1)), "c": list(range(a + 1, d)),
                                       "projection": proj.tolist()}}
            out.append((fam, math.comb(2 * pp, pp), m, c))
    return out


def defect_cost(spec: dict) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`defect_bound`, from the sizes alone (floats)."""
    blocks, R = spec["blocks"], spec["rank"]
    N = budget.product(budget.comb(n + d - 1, d) for n, d in blocks)
    full = budget.product(n ** d for n, d in blocks)
    mem, work, rows = 8 * N * full, N * full, 0.0
    for fam, k, m, n in families(blocks, R, np.random.default_rng(0), 101) if full < 1e7 else []:
        B = k * R
        mem = max(mem, 24 * N * m * n)
        work += N * m * n * (m - B + n - B) + m * n * min(m, n)
        rows += (m - B) * (n - B)
    return mem + 8 * rows * N, work + rows * N * min(rows, N)


def _gradients(Mall: np.ndarray, M0: np.ndarray, B: int, p: int):
    """Gradients of the Schur-complement minors at M0 (rank exactly B), as rows over the coordinates."""
    import flint

    res = rank_profile(M0, p, reduced=True)
    if res.rank != B:
        return None
    m, n = M0.shape
    I0, J0 = res.rows, res.cols
    I1 = [i for i in range(m) if i not in set(I0)]
    J1 = [j for j in range(n) if j not in set(J0)]
    inv = flint.nmod_mat(B, B, M0[np.ix_(I0, J0)].ravel().tolist(), p).inv()
    inv = np.array([[int(x) for x in row] for row in inv.tolist()], dtype=np.int64)
    U = matmul_mod(M0[np.ix_(I1, J0)], inv, p)  # (m-B) x B
    W = matmul_mod(inv, M0[np.ix_(I0, J1)], p)  # B x (n-B)
    Lf = np.zeros((len(I1), m), dtype=np.int64)
    Lf[:, I0] = (p - U) % p
    Lf[np.arange(len(I1)), I1] = 1
    Rf = np.zeros((n, len(J1)), dtype=np.int64)
    Rf[J0, :] = (p - W) % p
    Rf[J1, np.arange(len(J1))] = 1
    Nc = Mall.shape[0]
    Y = matmul_mod(Lf, np.ascontiguousarray(Mall.transpose(1, 0, 2)).reshape(m, Nc * n), p)  # (m-B) x (N n)
    Z = matmul_mod(Y.reshape(len(I1) * Nc, n), Rf, p).reshape(len(I1), Nc, len(J1))
    G = np.ascontiguousarray(Z.transpose(0, 2, 1)).reshape(len(I1) * len(J1), Nc)
    minors = [(I0 + [i], J0 + [j]) for i in I1 for j in J1]
    return G, minors


def defect_bound(spec: dict, p: int, point: list, cert: Certificate | None = None, *, seed: int = 0,
                 sid: str = "defect") -> DefectBound | None:
    """``dim sigma_R <= N - k`` from equations at ``Phi(point)`` mod p (module docstring); None when k = 0.

    ``point`` holds the factor matrices ``L_k`` (residues mod p), as :func:`tnverify.theory.jacobian.
    random_parameters` draws them. With ``cert``, appends a ``dim-at-most-by-equations`` step.
    The budget (:func:`defect_cost`) is checked first.
    """
    blocks, R = spec["blocks"], spec["rank"]
    memory, work = defect_cost(spec)
    budget.require(f"the defect equations of the {J.describe(spec)}", memory=memory, work=work)
    shape = [n for n, d in blocks for _ in range(d)]
    cmap = coordinate_map(blocks)
    N = int(cmap.max()) + 1
    SD = [J.power_block(np.asarray(point[i]) % p, d, p)[0] for i, (n, d) in enumerate(blocks)]
    x = np.ones((1, R), dtype=np.int64)
    for S in SD:  # coordinates of Phi(point): C order over blocks of the monomial values
        x = (x[:, None, :] * S[None, :, :] % p).reshape(-1, R)
    x0 = x.sum(axis=1) % p
    T0 = x0[cmap].reshape([1] + shape)
    E = (cmap[None, :] == np.arange(N)[:, None]).astype(np.int64).reshape([N] + shape)
    rng = np.random.default_rng([seed, 17])
    rows, info = [], []
    for fam, k, m, n in families(blocks, R, rng, p):
        got = _gradients(K.family_matrix(E, fam, p), K.family_matrix(T0, fam, p)[0], k * R, p)
        if got is None:
            continue
        G, minors = got
        rows.append(G)
        info += [(fam, mi) for mi in minors]
    if not rows:
        return None
    res = rank_profile(np.vstack(rows), p, reduced=True)
    if res.rank == 0:
        return None
    chosen: dict = {}
    for i in res.rows:
        fam, (ri, ci) = info[i]
        key = family_name(fam, shape)
        chosen.setdefault(key, (fam, []))[1].append({"rows": [int(v) for v in ri], "cols": [int(v) for v in ci]})
    used = {name: (len(mins), len(mins[0]["rows"])) for name, (fam, mins) in chosen.items()}
    out = DefectBound(N - res.rank, res.rank, used)
    if cert is not None:
        eqs = [{"matrix": fam, "minors": mins} for fam, mins in chosen.values()]
        # the checker's square matrix: rows = these minors in this order, columns = the pivot
        # coordinates; reordering rows or columns does not change whether it is singular
        cert.add_step("dim-at-most-by-equations", id=sid, variety=spec,
                      point=[np.asarray(v).tolist() for v in point], modulus=p, equations=eqs,
                      coordinates=[int(c) for c in res.cols], rank=out.bound)
    return out
