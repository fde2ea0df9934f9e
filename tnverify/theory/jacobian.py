"""Jacobians of polynomial parameter maps, built directly as machine integers mod p.

Terracini's lemma: the dimension of the closure of the image of a polynomial map
``phi: C^P -> C^N`` is the rank of its Jacobian at a generic point. At ANY integer
point, the rank over GF(p) of the Jacobian mod p is a proved lower bound on that
dimension (docs/mathematics.md, section 1): a nonzero minor mod p is nonzero over Z, and rank
is lower semicontinuous. Every builder here draws its point uniformly from
GF(p)^P (from ``seed``), records it, and returns the residues of the Jacobian.

Formats (the ``spec`` dicts are also the certificate's description of the map):

``{"format": "partial-symmetric", "blocks": [[n_1, d_1], ...], "rank": R}``
    ``sum_r (x)_k l_{k,r}^{(x) d_k}`` with ``l_{k,r}`` in C^{n_k}. CP of any order
    is all ``d_k = 1`` (the Segre secant); Waring / symmetric CP is one block
    (the Veronese secant). Coordinates: for each block the multisets of size
    ``d_k`` of ``range(n_k)`` (``itertools.combinations_with_replacement`` order;
    the entry of ``l^{(x)d}`` at a multiset with exponents a is ``l^a``), C order
    over the blocks. Parameters: ``L_k`` (n_k x R) in C order, block after block.
``{"format": "tensor-network", "cores": [{"shape": [...], "labels": [...]}, ...], "outputs": [...]}``
    Tucker, TT, TR and HT (see :func:`tucker_spec`, :func:`tt_spec`, :func:`tr_spec`, :func:`ht_spec`):
    the full tensor (C order over ``outputs``) as a multilinear function of the
    cores (parameters: the cores' entries, C order, core after core).
``{"format": "polynet", "widths": [d_0, ..., d_h], "degree": r}``
    ``f(x) = W_h s(W_{h-1} ... s(W_1 x))``, ``s(t) = t^r`` (Kileel, Trager, Bruna
    2019). Evaluated at ``K`` = #monomials of degree ``r^(h-1)`` in ``d_0``
    variables random points: rows ``(output j, point t)``, forward-mode
    derivatives mod p. The evaluation map composed with the coefficient map has
    rank <= that of the coefficient map, so the bound stays sound for any points.

References
----------
.. [1] A. Terracini, "Sulle V_k per cui la varieta degli S_h (h+1)-seganti ha
   dimensione minore dell'ordinario", 1911.
.. [2] J. Kileel, M. Trager, J. Bruna, "On the expressive power of deep
   polynomial neural networks", NeurIPS 2019.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from tnverify import budget
from tnverify.errors import InputError, ShapeError
from tnverify.numeric.modp import uniform_point

__all__ = [
    "Jacobian", "cp_spec", "symmetric_spec", "partial_spec", "tucker_spec", "tt_spec", "tr_spec", "ht_spec",
    "polynet_spec", "ambient_dim", "param_count", "jacobian_shape", "jacobian_cost", "require_jacobian", "describe",
    "format_name",
    "build", "random_parameters", "monomials",
]

#: Bytes per Jacobian entry: the int64 residues and the float64 copy of the BLAS elimination.
BYTES_PER_ENTRY = 16
#: Bytes per entry of an object-dtype (Python integer) intermediate, pointer included.
OBJECT_BYTES = 48
#: Operations charged per entry touched by object-dtype arithmetic or a Python loop.
OBJECT_OPS = 50


@dataclass
class Jacobian:
    """Residues mod ``prime`` of the Jacobian (rows: ambient coordinates, cols: parameters)."""

    matrix: np.ndarray
    prime: int
    point: list = field(default_factory=list)  # integer parameter blocks (residues)
    spec: dict = field(default_factory=dict)


# ------------------------------------------------------------------ specs
def _posint(x, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or int(x) < 1:
        raise InputError(f"expected {what} to be an integer >= 1, got {x!r}")
    return int(x)


def partial_spec(blocks, rank: int) -> dict:
    """Partially symmetric CP ``sum_r (x)_k l_{k,r}^{(x)d_k}``: blocks ``[(n_k, d_k), ...]``."""
    bl = [[_posint(n, "a dimension"), _posint(d, "a degree")] for n, d in blocks]
    if not bl:
        raise ShapeError("expected at least one block (n, d)")
    return {"format": "partial-symmetric", "blocks": bl, "rank": _posint(rank, "the rank")}


def cp_spec(dims, rank: int) -> dict:
    """CP format ``n_1 x ... x n_N`` of rank R (the R-th secant of the Segre variety)."""
    if len(dims) < 1:
        raise ShapeError("expected at least one dimension")
    return partial_spec([(n, 1) for n in dims], rank)


def symmetric_spec(n: int, d: int, rank: int) -> dict:
    """Waring format: sums of R d-th powers of linear forms in n variables."""
    return partial_spec([(n, d)], rank)


def tucker_spec(dims, ranks) -> dict:
    """Tucker: core (r_1..r_N) and factors U_k (n_k x r_k)."""
    dims = [_posint(n, "a dimension") for n in dims]
    ranks = [_posint(r, "a Tucker rank") for r in ranks]
    if len(dims) != len(ranks) or len(dims) < 2:
        raise ShapeError(f"expected as many Tucker ranks as dimensions (>= 2), got {len(ranks)} and {len(dims)}")
    cores = [{"shape": ranks, "labels": [f"r{k}" for k in range(len(dims))]}]
    cores += [{"shape": [n, r], "labels": [f"i{k}", f"r{k}"]} for k, (n, r) in enumerate(zip(dims, ranks))]
    return {"format": "tensor-network", "kind": "tucker", "cores": cores, "outputs": [f"i{k}" for k in range(len(dims))]}


def tt_spec(dims, ranks) -> dict:
    """Tensor train: cores (r_{k-1}, n_k, r_k) with r_0 = r_N = 1 (dropped)."""
    dims = [_posint(n, "a dimension") for n in dims]
    ranks = [_posint(r, "a TT rank") for r in ranks]
    N = len(dims)
    if N < 2 or len(ranks) != N - 1:
        raise ShapeError(f"expected N-1 = {N - 1} TT ranks for {N} dimensions, got {len(ranks)}")
    cores = []
    for k, n in enumerate(dims):
        shape, labels = [n], [f"i{k}"]
        if k > 0:
            shape, labels = [ranks[k - 1]] + shape, [f"b{k - 1}"] + labels
        if k < N - 1:
            shape, labels = shape + [ranks[k]], labels + [f"b{k}"]
        cores.append({"shape": shape, "labels": labels})
    return {"format": "tensor-network", "kind": "tt", "cores": cores, "outputs": [f"i{k}" for k in range(N)]}


def tr_spec(dims, ranks) -> dict:
    """Tensor ring: cores (r_{k-1}, n_k, r_k), k = 0..N-1, indices of the ranks mod N (a closed chain).

    ``T[i_0, ..., i_{N-1}] = trace(G_0[:, i_0, :] ... G_{N-1}[:, i_{N-1}, :])``; bond ``b{k}`` joins
    core k to core k+1 (mod N) and has dimension ``ranks[k]``. N >= 2.
    """
    dims = [_posint(n, "a dimension") for n in dims]
    ranks = [_posint(r, "a TR rank") for r in ranks]
    N = len(dims)
    if N < 2 or len(ranks) != N:
        raise ShapeError(f"expected N = {N} TR ranks for {N} >= 2 dimensions, got {len(ranks)}")
    cores = [{"shape": [ranks[k - 1], n, ranks[k]], "labels": [f"b{(k - 1) % N}", f"i{k}", f"b{k}"]}
             for k, n in enumerate(dims)]
    return {"format": "tensor-network", "kind": "tr", "cores": cores, "outputs": [f"i{k}" for k in range(N)]}


def ht_spec(dims, rank: int) -> dict:
    """Hierarchical Tucker over the balanced binary tree of the modes, every edge of dimension ``rank``.

    Leaves ``U_k`` (n_k x r); an internal node with children c1, c2 has a transfer
    tensor (r_c1, r_c2, r) and the root one (r_c1, r_c2).
    """
    dims = [_posint(n, "a dimension") for n in dims]
    r = _posint(rank, "the HT rank")
    if len(dims) < 2:
        raise ShapeError(f"expected at least 2 dimensions for HT, got {len(dims)}")
    cores = [{"shape": [n, r], "labels": [f"i{k}", f"e{k}"]} for k, n in enumerate(dims)]
    level = [f"e{k}" for k in range(len(dims))]
    t = 0
    while len(level) > 1:
        nxt = []
        for a in range(0, len(level) - 1, 2):
            if len(level) == 2:
                cores.append({"shape": [r, r], "labels": [level[a], level[a + 1]]})
            else:
                cores.append({"shape": [r, r, r], "labels": [level[a], level[a + 1], f"t{t}"]})
                nxt.append(f"t{t}")
                t += 1
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return {"format": "tensor-network", "kind": "ht", "cores": cores, "outputs": [f"i{k}" for k in range(len(dims))]}


def polynet_spec(widths, degree: int) -> dict:
    """Polynomial network with widths ``(d_0, ..., d_h)`` and activation ``t^degree``."""
    w = [_posint(x, "a width") for x in widths]
    if len(w) < 2:
        raise ShapeError(f"expected at least 2 widths (input and output), got {len(w)}")
    return {"format": "polynet", "widths": w, "degree": _posint(degree, "the degree")}


# ------------------------------------------------------------------ sizes
def monomials(n: int, d: int) -> list:
    """Multisets of size d from range(n) (sorted tuples), the coordinate order of S^d."""
    return list(itertools.combinations_with_replacement(range(n), d))


def ambient_dim(spec: dict) -> int:
    """Dimension of the ambient space of the map's image."""
    f = spec["format"]
    if f == "partial-symmetric":
        return math.prod(math.comb(n + d - 1, d) for n, d in spec["blocks"])
    if f == "tensor-network":
        dims = _label_dims(spec)
        return math.prod(dims[o] for o in spec["outputs"])
    w, r = spec["widths"], spec["degree"]
    D = r ** (len(w) - 2)
    return w[-1] * math.comb(w[0] + D - 1, D)


def param_count(spec: dict) -> int:
    """Number of parameters of the map."""
    f = spec["format"]
    if f == "partial-symmetric":
        return spec["rank"] * sum(n for n, _ in spec["blocks"])
    if f == "tensor-network":
        return sum(math.prod(c["shape"]) for c in spec["cores"])
    w = spec["widths"]
    return sum(w[i] * w[i + 1] for i in range(len(w) - 1))


def jacobian_shape(spec: dict) -> tuple[int, int]:
    """(rows, cols) of the Jacobian :func:`build` makes (rows = evaluations for polynets)."""
    if spec["format"] == "polynet":
        w, r = spec["widths"], spec["degree"]
        D = r ** (len(w) - 2)
        return w[-1] * math.comb(w[0] + D - 1, D), param_count(spec)
    return ambient_dim(spec), param_count(spec)


def _short(values) -> str:
    """A list as ``3x3x3``, or ``3x3x...x3 (1000000 entries)`` when long (one-line messages)."""
    v = [str(x) for x in values]
    return "x".join(v) if len(v) <= 6 else f"{'x'.join(v[:3])}x...x{v[-1]} ({len(v)} entries)"


def format_name(blocks) -> str:
    """A partially symmetric format for messages: ``3x3x3``, ``S^4(C^3)``, ``S^2(C^3) x S^1(C^2)``."""
    if all(d == 1 for _, d in blocks):
        return _short([n for n, _ in blocks])
    return " x ".join(f"S^{d}(C^{n})" for n, d in blocks[:4]) + (f" x ... ({len(blocks)} blocks)"
                                                                if len(blocks) > 4 else "")


def describe(spec: dict) -> str:
    """A one-line description of the map of ``spec`` for messages (long lists shortened)."""
    f = spec["format"]
    if f == "partial-symmetric":
        return f"rank-{spec['rank']} format {format_name(spec['blocks'])}"
    if f == "tensor-network":
        return f"{spec.get('kind', 'tensor-network')} format with {len(spec['cores'])} cores"
    return f"polynomial network of widths {_short(spec['widths']).replace('x', ',')} and degree {spec['degree']}"


def jacobian_cost(spec: dict) -> tuple[float, float]:
    """``(bytes, operations)`` of building the Jacobian of ``spec`` at one point and its rank mod p.

    Computed from the spec's sizes as floats (``inf`` when astronomically large) and never
    from the exact counts, which can have millions of digits (C(2 10^6, 10^6)):

    * the Jacobian, ``rows x P`` entries of :data:`BYTES_PER_ENTRY` bytes, and its rank mod
      p, ``rows P min(rows, P)`` operations (:func:`jacobian_shape`);
    * ``partial-symmetric``: per block the monomials and the power tables of
      :func:`power_block`, ``N_k (d_k + 1) R`` entries;
    * ``tensor-network``: the object-dtype contraction of each core against an identity
      (``rows x size`` Python integers per core, ``rows P max-bond`` operations) and the
      gauge action (``P x sum r_e^2``);
    * ``polynet``: the ``K`` evaluation points and the forward-mode tangents, ``P x width x K``
      Python integers per layer.

    Operations on Python integers count :data:`OBJECT_OPS` each.
    """
    f = spec["format"]
    extra_mem = extra_work = 0.0
    if f == "partial-symmetric":
        R = float(spec["rank"])
        sizes = [budget.comb(n + d - 1, d) for n, d in spec["blocks"]]
        rows, P = budget.product(sizes), R * sum(float(n) for n, _ in spec["blocks"])
        for Nk, (n, d) in zip(sizes, spec["blocks"]):
            extra_mem = max(extra_mem, Nk * (OBJECT_BYTES * d + 8 * (3 * (d + 1) * R + n * R)))
            extra_work += Nk * (OBJECT_OPS * d + 3.0 * (d + 1) * R + float(n) * R)
        extra_work += rows * P * len(spec["blocks"])
    elif f == "tensor-network":
        dims = _label_dims(spec)
        rows = budget.product(dims[o] for o in spec["outputs"])
        sizes = [budget.product(c["shape"]) for c in spec["cores"]]
        P, big = sum(sizes), max(sizes)
        bond = max(float(x) for x in dims.values())
        gauge = sum(float(dims[lab]) ** 2 for lab in dims if lab not in spec["outputs"])
        extra_mem = OBJECT_BYTES * big * rows + 8 * big * big + 8 * P * gauge
        extra_work = OBJECT_OPS * (rows * P * bond + P * gauge)
    else:
        w = [float(x) for x in spec["widths"]]
        D = budget.power(spec["degree"], len(w) - 2)
        K = budget.comb(int(w[0]) + D - 1, D) if D < 1e300 else math.inf
        rows, P = w[-1] * K, sum(w[i] * w[i + 1] for i in range(len(w) - 1))
        extra_mem = OBJECT_BYTES * P * max(w) * K + 8 * w[0] * K
        extra_work = OBJECT_OPS * sum(P * w[i] * w[i + 1] * K for i in range(len(w) - 1))
    return BYTES_PER_ENTRY * rows * P + extra_mem, rows * P * min(rows, P) + extra_work


def require_jacobian(spec: dict, times: float = 1, what: str | None = None) -> None:
    """Refuse, before anything is allocated, ``times`` Jacobians of ``spec`` over the budget.

    :func:`jacobian_cost` against :func:`tnverify.budget.require`; ``times`` counts the
    points (and primes) a caller may try. Raises :class:`~tnverify.errors.BudgetError`.
    """
    memory, work = jacobian_cost(spec)
    budget.require(what or f"the Jacobian of the {describe(spec)}", memory=memory, work=times * work)


def _label_dims(spec: dict) -> dict:
    dims: dict = {}
    for c in spec["cores"]:
        for lab, s in zip(c["labels"], c["shape"]):
            if dims.setdefault(lab, s) != s:
                raise ShapeError(f"label {lab!r} has dimensions {dims[lab]} and {s}")
    return dims


# ------------------------------------------------------------------ points
def random_parameters(spec: dict, p: int, seed: int | np.random.Generator = 0) -> list:
    """Uniform residues mod p (:func:`tnverify.numeric.modp.uniform_point`) for every parameter block of ``spec``."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    f = spec["format"]
    if f == "partial-symmetric":
        shapes = [(n, spec["rank"]) for n, _ in spec["blocks"]]
    elif f == "tensor-network":
        shapes = [tuple(c["shape"]) for c in spec["cores"]]
    else:
        w = spec["widths"]
        shapes = [(w[i + 1], w[i]) for i in range(len(w) - 1)]
        D = spec["degree"] ** (len(w) - 2)
        shapes.append((w[0], math.comb(w[0] + D - 1, D)))  # evaluation points (columns)
    return [uniform_point(rng, p, s) for s in shapes]


def build(spec: dict, p: int, point: list) -> Jacobian:
    """The Jacobian of ``spec`` at ``point`` (see :func:`random_parameters`) mod the prime p < 2^31."""
    if p >= 1 << 31:
        raise InputError(f"Jacobian builders need a prime below 2^31, got {p}")
    require_jacobian(spec)
    f = spec["format"]
    if f == "partial-symmetric":
        J = _partial_jacobian(spec, p, point)
    elif f == "tensor-network":
        J = _network_jacobian(spec, p, point)
    else:
        J = _polynet_jacobian(spec, p, point)
    return Jacobian(J, p, point, spec)


# ------------------------------------------------------------------ partially symmetric CP
def power_block(L: np.ndarray, d: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Values ``S[a, r] = l_r^a`` and derivatives ``D[a, j, r] = a_j l_r^(a - e_j)`` mod p.

    ``a`` runs over the multisets of size d (:func:`monomials`); ``L`` is n x R.
    """
    n, R = L.shape
    mon = np.array(monomials(n, d), dtype=np.int64).reshape(-1, d)
    Nk = mon.shape[0]
    F = L[mon]  # (Nk, d, R): factor t of each monomial
    pre = np.ones((Nk, d + 1, R), dtype=np.int64)
    suf = np.ones((Nk, d + 1, R), dtype=np.int64)
    for t in range(d):
        pre[:, t + 1] = pre[:, t] * F[:, t] % p
        suf[:, d - t - 1] = suf[:, d - t] * F[:, d - t - 1] % p
    S = pre[:, d]
    D = np.zeros((Nk, n, R), dtype=np.int64)
    rows = np.arange(Nk)
    for t in range(d):
        np.add.at(D, (rows, mon[:, t]), pre[:, t] * suf[:, t + 1] % p)
    return S, D % p


def partial_block_columns(spec: dict, p: int, point: list, k: int, SD=None) -> np.ndarray:
    """Columns of the Jacobian for block k's factor (N x n_k R), C order over (j, r)."""
    blocks, R = spec["blocks"], spec["rank"]
    SD = SD or [power_block(np.asarray(point[i]) % p, d, p) for i, (n, d) in enumerate(blocks)]
    K = len(blocks)
    Ns = [SD[i][0].shape[0] for i in range(K)]
    nk = blocks[k][0]
    shape = [1] * K + [nk, R]
    shape[k] = Ns[k]
    X = SD[k][1].reshape(shape)
    for i in range(K):
        if i != k:
            s = [1] * K + [1, R]
            s[i] = Ns[i]
            X = X * SD[i][0].reshape(s) % p
    X = np.broadcast_to(X, tuple(Ns) + (nk, R))
    return np.ascontiguousarray(X).reshape(math.prod(Ns), nk * R)


def _partial_jacobian(spec: dict, p: int, point: list) -> np.ndarray:
    SD = [power_block(np.asarray(point[i]) % p, d, p) for i, (n, d) in enumerate(spec["blocks"])]
    return np.hstack([partial_block_columns(spec, p, point, k, SD) for k in range(len(spec["blocks"]))])


# ------------------------------------------------------------------ tensor networks
def _network_jacobian(spec: dict, p: int, point: list) -> np.ndarray:
    """Block k = contraction of the other cores with a batched identity in place of core k."""
    cores = spec["cores"]
    labels = sorted(_label_dims(spec))
    if len(labels) > 50:
        raise ShapeError(f"expected at most 50 distinct labels in a tensor network, got {len(labels)}")
    sym = {lab: chr(ord("a") + i) if i < 26 else chr(ord("A") + i - 26) for i, lab in enumerate(labels)}
    out = "".join(sym[o] for o in spec["outputs"])
    vals = [np.asarray(x).astype(object) % p for x in point]
    blocks = []
    for k, c in enumerate(cores):
        size = math.prod(c["shape"])
        eye = np.zeros((size, size), dtype=object)
        np.fill_diagonal(eye, 1)
        ops, subs = [], []
        for i, ci in enumerate(cores):
            subs.append("".join(sym[x] for x in ci["labels"]))
            ops.append(vals[i] if i != k else eye.reshape([size] + list(c["shape"])))
        subs[k] = "Z" + subs[k]
        expr = ",".join(subs) + "->Z" + out
        T = np.einsum(expr, *ops, optimize=True)
        blocks.append(np.array(T.reshape(size, -1) % p, dtype=np.int64).T)
    return np.hstack(blocks)


def gauge_action(spec: dict, p: int, point: list) -> np.ndarray:
    """Infinitesimal gauge action on the parameters (params x sum r_e^2) mod p.

    For a bond e of dimension r shared by cores A and B and X = E_{uv} in gl(r):
    ``dA[.., e=v] = A[.., e=u]`` and ``dB[e=u, ..] = -B[e=v, ..]`` (A -> A X, B -> X^{-1} B).
    The gauge orbit lies in the fibre, so ``dim image <= params - rank`` of this
    matrix at any point (the rank at a point is at most the generic orbit dimension).
    """
    cores = spec["cores"]
    offs = np.cumsum([0] + [math.prod(c["shape"]) for c in cores])
    bonds: dict = {}
    for ci, c in enumerate(cores):
        for ax, lab in enumerate(c["labels"]):
            if lab not in spec["outputs"]:
                bonds.setdefault(lab, []).append((ci, ax))
    cols = []
    for lab in sorted(bonds):
        ends = bonds[lab]
        if len(ends) != 2:
            continue
        r = cores[ends[0][0]]["shape"][ends[0][1]]
        for u in range(r):
            for v in range(r):
                col = np.zeros(int(offs[-1]), dtype=np.int64)
                for side, (ci, ax) in enumerate(ends):
                    A = np.asarray(point[ci]) % p
                    dA = np.zeros_like(A)
                    src, dst = (u, v) if side == 0 else (v, u)
                    sl_dst = [slice(None)] * A.ndim
                    sl_src = [slice(None)] * A.ndim
                    sl_dst[ax], sl_src[ax] = dst, src
                    dA[tuple(sl_dst)] = A[tuple(sl_src)] if side == 0 else (p - A[tuple(sl_src)]) % p
                    col[offs[ci]:offs[ci + 1]] += dA.ravel()
                cols.append(col % p)
    if not cols:
        return np.zeros((int(offs[-1]), 0), dtype=np.int64)
    return np.stack(cols, axis=1)


# ------------------------------------------------------------------ polynomial networks
def _polynet_jacobian(spec: dict, p: int, point: list) -> np.ndarray:
    """Forward mode mod p: tangents dz (P, d_i, K) through a_i = W_i z_{i-1}, z_i = a_i^r."""
    w, r = spec["widths"], spec["degree"]
    h = len(w) - 1
    Ws = [np.asarray(x, dtype=np.int64) % p for x in point[:h]]
    X = np.asarray(point[h], dtype=np.int64) % p  # d_0 x K
    K = X.shape[1]
    P = param_count(spec)
    z = X
    dz = np.zeros((P, w[0], K), dtype=np.int64)
    off = 0
    for i in range(h):
        W = Ws[i]
        a = _mm(W, z, p)
        da = np.einsum("ab,Pbk->Pak", W.astype(object), dz.astype(object)) % p if i else np.zeros((P, w[i + 1], K), dtype=object)
        da = np.asarray(da, dtype=np.int64)
        for aa in range(w[i + 1]):
            for bb in range(w[i]):
                da[off + aa * w[i] + bb, aa, :] = (da[off + aa * w[i] + bb, aa, :] + z[bb]) % p
        off += w[i + 1] * w[i]
        if i == h - 1:
            return np.ascontiguousarray(da.transpose(1, 2, 0)).reshape(w[h] * K, P)
        pw = np.ones_like(a)
        for _ in range(r - 1):
            pw = pw * a % p
        z = pw * a % p
        dz = da * (r * pw % p)[None] % p
    raise AssertionError("unreachable")


def _mm(A: np.ndarray, B: np.ndarray, p: int) -> np.ndarray:
    return np.asarray(A.astype(object) @ B.astype(object) % p, dtype=np.int64)
