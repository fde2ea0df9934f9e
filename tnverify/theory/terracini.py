"""Generic ranks, secant dimensions, defectivity, neurovarieties: certified by Terracini.

Every dimension here is the dimension over C of the closure of the image of a
polynomial parameter map (:mod:`tnverify.theory.jacobian`).

* **Lower bound** (proved): the rank mod p of the Jacobian at a random integer
  point (Terracini's lemma + lower semicontinuity, docs/mathematics.md, sections 1 and 5).
* **Upper bound** (structure, never sampling), the least of:

  - ``ambient``: the dimension of the ambient space;
  - ``parameters``: the parameter count minus the dimension of a symmetry group
    acting freely at generic points (scalings of the rank-one factors, hidden
    neuron rescalings ``(c, c^{-r})``);
  - ``gauge``: for tensor networks, parameters minus the rank of the
    infinitesimal gauge action at a point (the gauge orbit lies in a fibre);
  - ``border-rank``: ``ambient - 1`` when a flattening (a catalecticant for
    symmetric tensors) or the Strassen/Koszul flattening of a random tensor of
    the format has rank larger than its bound on sigma_R (``R``, resp. ``2R``);
  - ``equations``: ``N - k`` when k gradients of (kR+1)-minors of flattenings or
    Koszul-Young flattenings are independent at a point of sigma_R
    (:mod:`tnverify.theory.defects`; this proves defects, and "not filling at R-1" for
    generic ranks when no single flattening of a random tensor does);
  - ``bottleneck``: for a network with a hidden width 1 at layer i, the outputs
    are ``v * u^(r^(h-1-i))`` with ``u`` the scalar output of the first i layers,
    so ``dim <= (parameters of layers 1..i - hidden widths before i) + d_h - 1``.

  When the bounds meet the status is ``proved``, otherwise ``unknown`` with
  both bounds. When the lower bound falls short, a fresh point and prime are
  tried before giving up.
* **Generic rank** of a format: the least R whose secant fills the ambient space.
  "Fills at R" is a Jacobian rank; "not at R-1" a parameter count or a
  border-rank flattening.

Field and notion: all statements are about generic points over C. Real typical
ranks can differ (2 x 2 x 2: {2, 3} over R, 2 over C); identifiability is local
(finite fibres up to the stated symmetries), not global uniqueness.

References
----------
.. [1] A. Terracini, 1911; J. M. Landsberg, *Tensors: Geometry and Applications*, AMS 2012, ch. 5.
.. [2] V. Strassen, "Rank and optimal computation of generic tensors", Lin. Alg. Appl. 52/53, 1983.
.. [3] J. Alexander, A. Hirschowitz, "Polynomial interpolation in several variables", J. Alg. Geom. 4, 1995.
.. [4] H. Abo, G. Ottaviani, C. Peterson, "Induction for secant varieties of Segre varieties", TAMS 361, 2009.
.. [5] J. Kileel, M. Trager, J. Bruna, "On the expressive power of deep polynomial neural networks", NeurIPS 2019.
"""
from __future__ import annotations

import copy
import functools
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from tnverify import budget
from tnverify.theory import jacobian as J
from tnverify.certificate import Certificate, tensor_object
from tnverify.errors import InputError
from tnverify.numeric.modp import FAST_PRIME_BITS, matmul_mod, pick_prime, rank_profile

__all__ = [
    "DimResult", "GenericRankResult", "secant_dimension", "format_dimension", "generic_rank", "generic_rank_cost",
    "neurovariety", "polynet_secant", "polynet_upper", "filling_rank", "deep_identifiability", "expected_generic_rank", "per_term", "hidden_symmetry",
    "FIELD_NOTE",
]

FIELD_NOTE = ("over C (generic points); real typical ranks may differ, e.g. 2x2x2 has real typical ranks {2, 3}")
_MAX_FULL_TENSOR = 2_000_000


@dataclass
class DimResult:
    """Dimension of the image of a parameter map, with both bounds and their sources."""

    spec: dict
    lower: int
    upper: int
    upper_source: str
    expected: int
    ambient: int
    params: int
    status: str
    prime: int
    seed: int
    certificate: Certificate | None = None
    extra: dict = field(default_factory=dict)

    @property
    def dim(self) -> int | None:
        return self.lower if self.status == "proved" else None

    @property
    def defective(self) -> bool | None:
        if self.upper < self.expected:
            return True
        if self.lower >= self.expected:
            return False
        return None

    def to_dict(self) -> dict:
        return {"spec": self.spec, "dim": self.dim, "lower": self.lower, "upper": self.upper,
                "upper_source": self.upper_source, "expected": self.expected, "ambient": self.ambient,
                "params": self.params, "status": self.status, "defective": self.defective,
                "filling": True if self.lower >= self.ambient else (False if self.upper < self.ambient else None),
                "prime": self.prime, "seed": self.seed, "field": "C", "notion": "dimension (generic points)",
                "field_note": FIELD_NOTE, **self.extra}


# ------------------------------------------------------------------ structural numbers
def per_term(blocks) -> int:
    """Dimension of the cone over one partially symmetric rank-one term: sum n_k - (K - 1)."""
    return sum(n for n, _ in blocks) - (len(blocks) - 1)


def expected_generic_rank(blocks) -> int:
    """ceil(ambient / per-term dimension): the parameter-count lower bound on the generic rank."""
    N = math.prod(math.comb(n + d - 1, d) for n, d in blocks)
    return -(-N // per_term(blocks))


def hidden_symmetry(widths) -> int:
    """Dimension of the hidden-neuron rescaling group: sum of the hidden widths."""
    return sum(widths[1:-1])


def _bottleneck_bound(widths) -> int | None:
    w = list(widths)
    for i in range(1, len(w) - 1):
        if w[i] == 1:
            return sum(w[l] * w[l - 1] for l in range(1, i + 1)) - sum(w[1:i]) + w[-1] - 1
    return None


def _first_layer_bound(spec: dict):
    """``dim <= d_1 (d_0 - d_1) + d_h C(d_1 + D - 1, D)`` when the first hidden width d_1 is below d_0.

    For W_1 of full rank d_1 (an open dense set), ``W_1 = M Q`` with ``Q = [I | X]`` (after a fixed
    column order; a chart of the Grassmannian, d_1 (d_0 - d_1) coordinates) and M invertible, so
    ``f(x) = G(Q x)`` with ``G = W_h s(... s(M y))`` a network of widths ``(d_1, d_1, d_2, ..., d_h)``.
    ``(X, G) -> G(Q x)`` is polynomial, so the dimension is at most ``d_1 (d_0 - d_1)`` plus any
    bound on G's neurovariety. Only G's ambient dimension (d_h forms of degree D = r^(h-1) in d_1
    variables) can help: G's parameter and bottleneck bounds exceed the whole network's own by
    exactly d_1 (d_0 - d_1). Returns ``(bound, sub_spec, ambient of G)`` or None
    (docs/mathematics.md, "Defects").
    """
    w, r = spec["widths"], spec["degree"]
    if len(w) < 3 or w[1] >= w[0]:
        return None
    sub = J.polynet_spec([w[1], w[1]] + list(w[2:]), r)
    u = J.ambient_dim(sub)
    return w[1] * (w[0] - w[1]) + u, sub, u


def polynet_upper(widths, degree: int, known: dict | None = None) -> tuple[int, str, list]:
    """:func:`_polynet_upper` on ``(tuple(widths), degree)`` (cached: the split recurses on prefixes).

    ``known`` maps the widths of a part (a head or a tail) to a bound proved elsewhere (the
    equations of its secant variety, whose steps the caller puts in the certificate first): the
    recursion uses it like any other candidate, with no step of its own.
    """
    return _polynet_upper(tuple(widths), degree, tuple(sorted((tuple(k), v) for k, v in (known or {}).items())))


@functools.lru_cache(maxsize=256)
def _polynet_upper(widths: tuple, degree: int, known: tuple = ()) -> tuple[int, str, list]:
    """The best structural upper bound on a polynet's dimension, with the ``dim-at-most`` steps proving it.

    Candidates: the ambient dimension; parameters minus the hidden rescalings; a width-one
    bottleneck; a narrow first layer (:func:`_first_layer_bound`); for ``s(t) = t^2`` and one output,
    the **orthogonal** symmetry ``z -> g z``, ``g^T diag(a) g = diag(a)``, of the last hidden layer
    (m(m+1)/2 dimensions with the rescalings; free when m <= the width before it); for ``s(t) = t^2``,
    one output and a last hidden width of 2, the **product** ``a_1 z_1^2 + a_2 z_2^2 = w_1 w_2`` over C
    with ``(w_1, w_2)`` an output of the polynet ``(d_0, ..., d_(h-1))`` (its own bound, recursively),
    kept by ``(w_1, w_2) -> (t w_1, w_2 / t)``: ``dim <= dim V_(h-1) - 1``; the **suffix**
    ``f = G(s(W_1 x))`` with G in the polynet ``(d_1, ..., d_h)`` (its own bound), kept by
    ``W_1 -> D W_1`` with G compensating (D diagonal): ``dim <= d_1 (d_0 - 1) + dim V(d_1, ..., d_h)``;
    and a **split** after hidden layer
    l (1 <= l <= h - 1): ``f = H(s(g))`` with g the layer-l pre-activations, a point of the polynet
    ``(d_0, ..., d_l)`` (its own bound, recursively), and H any d_h-tuple of forms of degree
    ``E = r^(h-1-l)`` in d_l variables; rescaling ``g_j -> t_j g_j`` (H compensating) keeps f, so
    ``dim <= dim V_l + d_h C(d_l + E - 1, E) - d_l``. Returns ``(bound, source, steps)``; the steps
    (``{"rule": "dim-at-most", ...}`` without ids, sub-varieties first) prove the bound for the
    checker (shared by the cache: callers copy, never mutate). Cost: O(h^2) with the cache, one call
    per prefix.
    """
    w, r = list(widths), degree
    spec = J.polynet_spec(w, r)

    def step(method: str, rank: int, **extra) -> dict:
        return {"rule": "dim-at-most", "variety": spec, "method": method, "rank": rank, **extra}

    N = J.ambient_dim(spec)
    cands = [(N, "ambient", [step("ambient", N)])]
    proved = dict(known).get(tuple(w))
    if proved is not None:
        cands.append((proved, "equations of its secant variety (proved in the same certificate)", []))
    P = J.param_count(spec) - hidden_symmetry(w)
    cands.append((P, "parameters", [step("parameters", P)]))
    bn = _bottleneck_bound(w)
    if bn is not None:
        cands.append((bn, "bottleneck", [step("bottleneck", bn)]))
    first = _first_layer_bound(spec)
    if first is not None:
        b, sub, u = first
        cands.append((b, f"first-layer: f = G(Q x), Q in a chart of Gr({w[1]}, {w[0]}) ({b - u} coordinates), "
                         f"G of widths {tuple(sub['widths'])} (dim <= {u}, ambient)",
                      [{"rule": "dim-at-most", "variety": sub, "method": "ambient", "rank": u},
                       step("first-layer", b)]))
    m = w[-2]
    if r == 2 and w[-1] == 1 and len(w) >= 3 and 2 <= m <= w[-3]:
        b = J.param_count(spec) - sum(w[1:-2]) - m * (m + 1) // 2
        cands.append((b, f"orthogonal: the output sum_k a_k z_k^2 is kept by the {m * (m - 1) // 2}-dimensional "
                         f"orthogonal group of diag(a) acting on the last hidden layer, beyond its {m} rescalings",
                      [step("orthogonal", b)]))
    if r == 2 and w[-1] == 1 and len(w) >= 3 and m == 2:
        sub_bound, sub_source, sub_steps = _polynet_upper(tuple(w[:-1]), r, known)
        b = max(sub_bound - 1, 0)
        cands.append((b, f"product: a_1 z_1^2 + a_2 z_2^2 = w_1 w_2 over C, (w_1, w_2) in the polynet "
                         f"{tuple(w[:-1])} (dim <= {sub_bound}, {sub_source.split(':')[0]}), less the scaling "
                         f"(t w_1, w_2 / t)",
                      sub_steps + [step("product", b)]))
    h = len(w) - 1
    for l in range(1, h):
        sub_bound, sub_source, sub_steps = _polynet_upper(tuple(w[:l + 1]), r, known)
        E = r ** (h - 1 - l)
        forms = w[-1] * math.comb(w[l] + E - 1, E)
        b = sub_bound + forms - w[l]
        cands.append((b, f"split after hidden layer {l}: f = H(s(g)), g in the polynet {tuple(w[:l + 1])} "
                         f"(dim <= {sub_bound}, {sub_source.split(':')[0]}), H {w[-1]} forms of degree {E} in "
                         f"{w[l]} variables ({forms}), less {w[l]} rescalings",
                      sub_steps + [step("split", b, layer=l)]))
    if len(w) >= 4:  # after the splits: a tie keeps the split
        sub_bound, sub_source, sub_steps = _polynet_upper(tuple(w[1:]), r, known)
        b = w[1] * (w[0] - 1) + sub_bound
        cands.append((b, f"suffix: f = G(s(W_1 x)), G in the polynet {tuple(w[1:])} (dim <= {sub_bound}, "
                         f"{sub_source.split(':')[0]}), W_1 {w[1]} x {w[0]} less {w[1]} rescalings",
                      sub_steps + [step("suffix", b)]))
    return min(cands, key=lambda c: c[0])


# ------------------------------------------------------------------ Jacobian rank (fast path)
def jacobian_rank(spec: dict, p: int, point: list) -> tuple[int, list, list]:
    """Rank mod p of the Jacobian of ``spec`` at ``point``, with pivot rows and columns.

    Partially symmetric formats with a linear block (d_k = 1, e.g. CP) use a block
    Schur complement: that block is ``e_j (x) W`` with ``W`` the Khatri-Rao product
    of the other blocks' powers, so eliminating it costs only a rank profile of
    ``W`` (N/n_k x R); the rest is one rank profile of the (n_k (N/n_k - R)) x
    (other params) complement. The returned minor is a minor of the full Jacobian.
    """
    if spec["format"] == "partial-symmetric":
        lin = [k for k, (n, d) in enumerate(spec["blocks"]) if d == 1]
        if lin and len(spec["blocks"]) > 1:
            k = max(lin, key=lambda i: spec["blocks"][i][0])
            return _schur_rank(spec, p, point, k)
    jac = J.build(spec, p, point)
    res = rank_profile(jac.matrix, p, reduced=True)
    return res.rank, res.rows, res.cols


def _schur_rank(spec: dict, p: int, point: list, k: int) -> tuple[int, list, list]:
    J.require_jacobian(spec)
    blocks, R = spec["blocks"], spec["rank"]
    SD = [J.power_block(np.asarray(point[i]) % p, d, p) for i, (n, d) in enumerate(blocks)]
    Ns = [s.shape[0] for s, _ in SD]
    nk, K = blocks[k][0], len(blocks)
    others = [i for i in range(K) if i != k]
    # W: Khatri-Rao of the other blocks' powers, rows in C order over the other blocks
    W = np.ones((1, R), dtype=np.int64)
    for i in others:
        W = (W[:, None, :] * SD[i][0][None, :, :] % p).reshape(-1, R)
    Nrest = W.shape[0]
    wk = rank_profile(W, p, reduced=True)
    piv, pc = wk.rows, wk.cols
    npiv = np.array(sorted(set(range(Nrest)) - set(piv)), dtype=np.int64)
    # columns of the other blocks, rows permuted so that block k's index comes first
    cols_other = np.hstack([J.partial_block_columns(spec, p, point, i, SD) for i in others])
    perm_shape = Ns
    axes = [k] + others
    idx = np.arange(math.prod(Ns)).reshape(perm_shape).transpose(axes).reshape(nk, Nrest)
    J2 = cols_other[idx.ravel()].reshape(nk, Nrest, -1)
    rk = wk.rank
    if rk:
        import flint

        Wp = flint.nmod_mat(rk, rk, W[np.ix_(piv, pc)].ravel().tolist(), p)
        inv = np.array(Wp.inv().tolist(), dtype=object).astype(np.int64)
        G = matmul_mod(W[np.ix_(npiv, pc)], inv, p)  # (Nrest - rk) x rk
        top = J2[:, piv, :]  # nk x rk x c2
        c2 = J2.shape[2]
        GT = matmul_mod(G, top.transpose(1, 0, 2).reshape(rk, nk * c2), p).reshape(len(npiv), nk, c2)
        S = (J2[:, npiv, :] - GT.transpose(1, 0, 2)) % p
    else:
        S = J2[:, npiv, :]
    if len(npiv) == 0 or S.shape[2] == 0:
        rs_rank, rs_rows, rs_cols = 0, [], []
    else:
        rs = rank_profile(np.ascontiguousarray(S.reshape(nk * len(npiv), -1)), p, reduced=True)
        rs_rank, rs_rows, rs_cols = rs.rank, rs.rows, rs.cols
    rows = [int(idx[j, s]) for j in range(nk) for s in piv]
    rows += [int(idx[t // len(npiv), npiv[t % len(npiv)]]) for t in rs_rows]
    # parameter columns: blocks in order; block k's columns are (j, r) with r in pc
    offs = np.cumsum([0] + [n * R for n, _ in blocks])
    cols = [int(offs[k] + j * R + r) for j in range(nk) for r in pc]
    other_offs = [int(offs[i]) for i in others]
    other_sizes = [blocks[i][0] * R for i in others]
    starts = np.cumsum([0] + other_sizes)
    for u in rs_cols:
        b = int(np.searchsorted(starts, u, side="right") - 1)
        cols.append(other_offs[b] + int(u - starts[b]))
    return nk * rk + rs_rank, sorted(rows), sorted(cols)


# ------------------------------------------------------------------ border-rank flattenings
def _random_partial_tensor(blocks, p: int, rng) -> np.ndarray:
    """A full tensor, symmetric within each block, with uniform random entries mod p."""
    shape = [n for n, d in blocks for _ in range(d)]
    T = np.empty(shape, dtype=np.int64)
    coords = [J.monomials(n, d) for n, d in blocks]
    vals = rng.integers(0, p, math.prod(len(c) for c in coords))
    lookup = {}
    for v, key in zip(vals, itertools.product(*coords)):
        lookup[key] = int(v)
    for idx in itertools.product(*[range(s) for s in shape]):
        key, pos = [], 0
        for n, d in blocks:
            key.append(tuple(sorted(idx[pos:pos + d])))
            pos += d
        T[idx] = lookup[tuple(key)]
    return T


def _flattening_candidates(blocks):
    """(kind, data, max rank, bound factor) for flattenings worth trying, best first."""
    out = []
    offs = np.cumsum([0] + [d for _, d in blocks])
    D = int(offs[-1])
    for a in itertools.product(*[range(d + 1) for _, d in blocks]):
        if sum(a) == 0 or sum(a) == D:
            continue
        rows = [int(offs[k]) + t for k in range(len(blocks)) for t in range(a[k])]
        r1 = math.prod(math.comb(n + x - 1, x) for (n, _), x in zip(blocks, a))
        r2 = math.prod(math.comb(n + d - x - 1, d - x) for (n, d), x in zip(blocks, a))
        out.append(("modes", {"rows": rows}, min(r1, r2), 1))
    shape = [n for n, d in blocks for _ in range(d)]
    if D == 3:
        order = sorted(range(3), key=lambda i: -shape[i])
        a, b, c = order[0], order[1], order[2]
        if shape[a] >= 3:
            out.append(("koszul", {"mode": a}, 3 * min(shape[b], shape[c]), 2))
    out.sort(key=lambda t: -(t[2] / t[3]))
    return out


def koszul_matrix(T: np.ndarray, mode: int, proj: np.ndarray, p: int) -> np.ndarray:
    """Strassen/Koszul flattening of a 3-tensor with ``mode`` projected to C^3 by ``proj`` (3 x n).

    Slices ``T_i = sum_a proj[i, a] T[a]`` (the other two modes in increasing
    order), block matrix ``[[0, T_3, -T_2], [-T_3, 0, T_1], [T_2, -T_1, 0]]``
    mod p: rank <= 2 on rank-one tensors, hence <= 2R on sigma_R.
    """
    X = np.moveaxis(T, mode, 0).astype(object)
    S = [np.tensordot(proj[i].astype(object), X, axes=(0, 0)) % p for i in range(3)]
    b, c = S[0].shape
    Z = np.zeros((b, c), dtype=object)
    M = np.block([[Z, S[2], -S[1]], [-S[2], Z, S[0]], [S[1], -S[0], Z]])
    return np.asarray(M % p, dtype=np.int64)


def _border_rank_bound(spec: dict, p: int, rng, cert: Certificate | None):
    """Try to prove sigma_R != ambient: a flattening of a random tensor of rank > k R."""
    blocks, R = spec["blocks"], spec["rank"]
    if math.prod(n ** d for n, d in blocks) > _MAX_FULL_TENSOR:
        return None
    for kind, data, maxrank, k in _flattening_candidates(blocks):
        if maxrank <= k * R:
            continue
        T = _random_partial_tensor(blocks, p, rng)
        if kind == "modes":
            rows = data["rows"]
            cols = [m for m in range(T.ndim) if m not in rows]
            M = np.transpose(T, rows + cols).reshape(math.prod(T.shape[m] for m in rows), -1)
            flat = {"rows": rows}
        else:
            proj = rng.integers(0, p, (3, T.shape[data["mode"]]))
            M = koszul_matrix(T, data["mode"], proj, p)
            flat = {"koszul": {"mode": data["mode"], "projection": proj.tolist()}}
        res = rank_profile(M, p, reduced=True)
        if res.rank > k * R:
            if cert is not None:
                name = f"T_border_{R}"
                cert.objects[name] = tensor_object(T)
                cert.add_step("secant-not-filling", id=f"border{R}", variety=spec, tensor=name, flattening=flat,
                              rank=res.rank, minor={"rows": res.rows, "cols": res.cols}, modulus=p)
            what = "catalecticant" if len(blocks) == 1 and blocks[0][1] > 1 and kind == "modes" else (
                "Strassen-Koszul flattening" if kind == "koszul" else "flattening")
            return what, res.rank, k
    return None


# ------------------------------------------------------------------ dimensions
def _defect(spec: dict, p: int, point: list, cert: Certificate, seed: int):
    """:func:`tnverify.theory.defects.defect_bound` at ``point`` and its certificate steps (the caller adds
    them when the bound helps), or None. The route is optional: over the budget it is skipped, never an
    error of the request.
    """
    from tnverify.errors import BudgetError
    from tnverify.theory import defects

    tmp = Certificate()
    try:
        d = defects.defect_bound(spec, p, point, tmp, seed=seed, sid=f"equations-{len(cert.steps)}")
    except BudgetError:
        return None
    return None if d is None else (d, tmp.steps)


def _lower(spec: dict, seed: int, prime: int | None, target: int, tries: int):
    """Best Jacobian rank over up to ``tries`` (point, prime) pairs; stops at ``target``."""
    rng = np.random.default_rng(seed)
    best = None
    used: list = []
    for t in range(max(1, tries)):
        p = prime if (prime and t == 0) else pick_prime(rng, FAST_PRIME_BITS, exclude=used)
        used.append(p)
        point = J.random_parameters(spec, p, rng)
        r, rows, cols = jacobian_rank(spec, p, point)
        if best is None or r > best[0]:
            best = (r, rows, cols, p, point)
        if r >= target:
            break
    return best


def _jac_step(cert: Certificate, spec: dict, best, sid: str) -> None:
    r, rows, cols, p, point = best
    cert.add_step("jacobian-rank-at-least", id=sid, map=spec, point=[np.asarray(x).tolist() for x in point],
                  modulus=p, rank=r, minor={"rows": rows, "cols": cols})


def format_dimension(spec: dict, seed: int = 0, *, prime: int | None = None, tries: int = 3,
                     cert: Certificate | None = None, border: bool = True, defects: bool = True) -> DimResult:
    """Dimension of the image of the parameter map ``spec`` (a :mod:`tnverify.theory.jacobian` spec).

    Returns a :class:`DimResult` with the proved Jacobian lower bound, the best
    structural upper bound and its source, and a certificate when ``cert`` is
    given (steps are appended to it) or created. ``border`` and ``defects`` switch the
    border-rank flattening and the equations route (:mod:`tnverify.theory.defects`) on or off.
    """
    J.require_jacobian(spec, times=max(1, tries))  # before any exact size: those can have millions of digits
    cert = cert if cert is not None else Certificate()
    N, P = J.ambient_dim(spec), J.param_count(spec)
    uppers = [(N, "ambient")]
    structural = None
    f = spec["format"]
    rng = np.random.default_rng([seed, 7])
    if f == "partial-symmetric":
        uppers.append((spec["rank"] * per_term(spec["blocks"]), "parameters"))
    elif f == "polynet":
        uppers.append((P - hidden_symmetry(spec["widths"]), "parameters"))
        structural = polynet_upper(spec["widths"], spec["degree"])  # bottleneck, first layer, symmetry, splits
        if structural[0] < min(u for u, _ in uppers):
            uppers.append(structural[:2])
    expected = min(u for u, s in uppers if s in ("ambient", "parameters"))
    if f == "tensor-network":
        expected = N if P >= N else P
    target = min(u for u, _ in uppers)
    best = _lower(spec, seed, prime, target, tries)
    p = best[3]
    extra: dict = {}
    if f == "tensor-network":
        G = J.gauge_action(spec, p, best[4])
        g = rank_profile(G, p, reduced=True) if G.shape[1] else None
        if g is not None:
            uppers.append((P - g.rank, "gauge"))
            expected = min(N, P - g.rank)
            cert.add_step("dim-at-most", id=f"gauge-{len(cert.steps)}", variety=spec, method="gauge",
                          rank=P - g.rank, point=[np.asarray(x).tolist() for x in best[4]], modulus=p,
                          minor={"rows": g.rows, "cols": g.cols})
    if defects and f == "partial-symmetric" and best[0] < min(u for u, _ in uppers):
        got = _defect(spec, p, best[4], cert, seed)
        if got is not None and got[0].bound < min(u for u, _ in uppers):
            d = got[0]
            cert.steps += got[1]
            uppers.append((d.bound, d.describe()))
            extra["equations"] = {"bound": d.bound, "independent": d.rank, "minors": d.used}
    if defects and f == "polynet" and len(spec["widths"]) == 3 and best[0] < min(u for u, _ in uppers):
        sec = polynet_secant(spec)
        prng = np.random.default_rng([seed, 29])
        got = _defect(sec, p, J.random_parameters(sec, p, prng), cert, seed)
        if got is not None and got[0].bound < min(u for u, _ in uppers):
            d = got[0]
            cert.steps += got[1]
            cert.add_step("neurovariety-as-secant", id=f"as-secant-{len(cert.steps)}", variety=spec, rank=d.bound)
            uppers.append((d.bound, f"{d.describe()} on the {J.describe(sec)}, which is this neurovariety "
                                    "up to a linear change of coordinates"))
            extra["equations"] = {"bound": d.bound, "independent": d.rank, "minors": d.used, "secant": sec}
    if defects and f == "polynet" and len(spec["widths"]) >= 4 and best[0] < min(u for u, _ in uppers):
        got = _part_equations(spec, seed, tries)
        if got is not None and got[0][0] < min(u for u, _ in uppers):
            structural, part_certs = got  # these bounds replace the plain ones; their steps go in below
            for i, pc in enumerate(part_certs):
                cert.merge(pc, prefix=f"part{i}-")
            uppers.append(structural[:2])
    if border and f == "partial-symmetric" and best[0] < N and min(u for u, _ in uppers) >= N:
        b = _border_rank_bound(spec, p, rng, cert)
        if b is not None:
            what, brank, k = b
            uppers.append((N - 1, f"border-rank ({what} of rank {brank} > {k} x {spec['rank']})"))
            extra["border_rank_witness"] = {"flattening": what, "rank": brank, "bound_per_term": k}
    upper, source = min(uppers, key=lambda t: t[0])
    _jac_step(cert, spec, best, f"jac-{len(cert.steps)}")
    cert.conclude("dim-at-least", {"variety": spec}, best[0])
    if structural is not None and source == structural[1]:
        for st in copy.deepcopy(structural[2]):  # the cached steps stay untouched
            cert.add_step(st.pop("rule"), id=f"upper-{len(cert.steps)}", **st)
    elif not source.startswith(("border", "gauge", "equations")):
        cert.add_step("dim-at-most", id=f"upper-{len(cert.steps)}", variety=spec, method=source.split()[0], rank=upper)
    cert.conclude("dim-at-most", {"variety": spec}, upper)
    status = "proved" if best[0] == upper else "unknown"
    if status == "proved":
        cert.add_step("dimension", id=f"dim-{len(cert.steps)}", variety=spec, rank=upper)
        cert.conclude("dim", {"variety": spec}, upper)
    return DimResult(spec, best[0], upper, source, expected, N, P, status, p, seed, cert, extra)


def _part_equations(spec: dict, seed: int, tries: int):
    """The structural bounds of a deep polynet again, with its one-hidden-layer parts bounded by equations.

    The head ``(d_0, d_1, d_2)`` and the tail ``(d_(h-2), d_(h-1), d_h)`` are secants of
    Segre-Veronese varieties up to coordinates; when the equations of such a secant
    (:func:`format_dimension`, rule ``neurovariety-as-secant``) prove a bound below the part's
    structural one, the splits (head), the suffixes (tail) and the product form of the whole
    network (:func:`polynet_upper`) use it. Returns ``((bound, source, steps), [part
    certificates])`` (each derives its part's ``dim-at-most`` and must precede the steps), or None
    when the equations improve neither part. Cost: one :func:`format_dimension` per part.
    """
    w, r = spec["widths"], spec["degree"]
    known, certs = {}, []
    for part in dict.fromkeys((tuple(w[:3]), tuple(w[-3:]))):
        sub = format_dimension(J.polynet_spec(list(part), r), seed, tries=tries)
        if "equations" in sub.extra and sub.upper < polynet_upper(part, r)[0]:
            known[part] = sub.upper
            certs.append(sub.certificate)
    if not known:
        return None
    return polynet_upper(w, r, known), certs


def secant_dimension(dims=None, rank: int = 1, *, symmetric: tuple | None = None, blocks=None,
                     seed: int = 0, tries: int = 3) -> DimResult:
    """dim sigma_R of a CP format ``dims``, a symmetric ``(n, d)`` or partially symmetric ``blocks``."""
    spec = _format_spec(dims, symmetric, blocks, rank)
    res = format_dimension(spec, seed, tries=tries)
    if res.defective is not None and res.status == "proved":
        res.certificate.add_step("defectivity", id="defective", variety=spec, rank=res.lower)
        res.certificate.conclude("defective", {"variety": spec}, res.defective)
    return res


def _format_spec(dims, symmetric, blocks, rank) -> dict:
    if blocks is not None:
        return J.partial_spec(blocks, rank)
    if symmetric is not None:
        return J.symmetric_spec(symmetric[0], symmetric[1], rank)
    if not dims:
        raise InputError("expected tensor dimensions, e.g. 3 3 3")
    return J.cp_spec(dims, rank)


@dataclass
class GenericRankResult:
    """The generic rank (over C) of a format, proved or bracketed."""

    blocks: list
    generic_rank: int | None
    lower: int
    upper: int
    lower_source: str
    expected: int
    ambient: int
    status: str
    certificate: Certificate
    secant_dims: dict
    note: str = ""

    def to_dict(self) -> dict:
        return {"blocks": self.blocks, "generic_rank": self.generic_rank, "lower": self.lower,
                "upper": self.upper, "lower_source": self.lower_source, "expected": self.expected,
                "ambient": self.ambient, "status": self.status,
                "defective": self.generic_rank is not None and self.generic_rank != self.expected or None,
                "secant_dims": self.secant_dims, "field": "C", "notion": "generic rank",
                "field_note": FIELD_NOTE, "note": self.note}


def generic_rank_cost(blocks, tries: int = 3) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`generic_rank` on ``blocks`` when the search ends at R0 + 1.

    R0 = ceil(N / per-term) is the expected generic rank; the search tries ``tries`` points
    at R0 and fills at R0 + 1 at the latest for every format known to be defective
    (Alexander-Hirschowitz, Abo-Ottaviani-Peterson). Floats from
    :func:`tnverify.theory.jacobian.jacobian_cost`; the exact sizes are never computed.
    """
    N = budget.product(budget.comb(n + d - 1, d) for n, d in blocks)
    R0 = math.ceil(N / per_term(blocks)) if N < 1e300 else math.inf
    m0, w0 = J.jacobian_cost({"format": "partial-symmetric", "blocks": blocks, "rank": R0})
    m1, w1 = J.jacobian_cost({"format": "partial-symmetric", "blocks": blocks, "rank": R0 + 1})
    return max(m0, m1), max(1, tries) * w0 + w1


def generic_rank(dims=None, *, symmetric: tuple | None = None, blocks=None, seed: int = 0,
                 tries: int = 3, max_rank: int | None = None) -> GenericRankResult:
    """The least R with sigma_R = ambient, over C.

    Search R = ceil(N / per-term), ceil + 1, ... until the Jacobian proves filling
    (so generic rank <= R); then "not at R-1" by a parameter count (R-1 < ceil)
    or a border-rank flattening of a random tensor of the format.

    Budget: :func:`generic_rank_cost` is refused before any exact size is computed, and
    the whole search is counted (:class:`tnverify.budget.Tally`): a format whose search
    runs past R0 + 1 stops with :class:`~tnverify.errors.BudgetError` before the
    Jacobian that would exceed the budget.
    """
    spec0 = _format_spec(dims, symmetric, blocks, 1)
    bl = spec0["blocks"]
    what = f"the generic rank of the format {J.format_name(bl)}"
    memory, work = generic_rank_cost(bl, tries)
    budget.require(what, memory=memory, work=work)
    tally = budget.Tally(what)
    N = J.ambient_dim(spec0)
    R0 = expected_generic_rank(bl)
    cap = max_rank or N
    cert = Certificate()
    fmt = {"format": "partial-symmetric", "blocks": bl}
    dims_seen: dict = {}
    R = R0
    while True:
        spec = J.partial_spec(bl, R)
        memory, work = J.jacobian_cost(spec)
        tally.add(memory=memory, work=max(1, tries) * work)
        best = _lower(spec, seed + R, None, N, tries)
        dims_seen[R] = {"lower": best[0]}
        if best[0] >= N:
            break
        if R >= cap:
            return GenericRankResult(bl, None, R0, cap, "parameters", R0, N, "unknown", cert, dims_seen,
                                     f"no filling up to R = {cap}")
        R += 1
    _jac_step(cert, spec, best, f"fill{R}")
    cert.conclude("dim-at-least", {"variety": spec}, N)
    prev = J.partial_spec(bl, R - 1) if R > 1 else None
    lower_src = None
    if R == 1:
        lower_src = "R >= 1"
    elif (R - 1) * per_term(bl) < N:
        cert.add_step("dim-at-most", id=f"params{R - 1}", variety=prev, method="parameters",
                      rank=(R - 1) * per_term(bl))
        lower_src = f"parameters: {R - 1} x {per_term(bl)} < {N}"
    else:
        b = _border_rank_bound(prev, pick_prime(seed + 101), np.random.default_rng(seed + 11), cert)
        if b is not None:
            lower_src = f"border rank: {b[0]} of rank {b[1]} > {b[2]} x {R - 1}"
        else:
            prng = np.random.default_rng([seed, R - 1, 23])
            pp = pick_prime(prng, FAST_PRIME_BITS)
            got = _defect(prev, pp, J.random_parameters(prev, pp, prng), cert, seed)
            if got is not None and got[0].bound < N:
                cert.steps += got[1]
                lower_src = f"sigma_{R - 1} has dim <= {got[0].bound} < {N}, by {got[0].describe()}"
    if lower_src is None:
        return GenericRankResult(bl, None, max(R0, 1), R, "parameters", R0, N, "unknown", cert, dims_seen,
                                 "filling at R proved; no structural bound excludes R-1")
    if R > 1:
        dims_seen.setdefault(R - 1, {})["upper"] = (N - 1 if lower_src.startswith("border") else got[0].bound
                                                    if lower_src.startswith("sigma") else (R - 1) * per_term(bl))
    cert.add_step("generic-rank", id="generic-rank", format=fmt, rank=R)
    cert.conclude("generic-rank", {"format": fmt}, R)
    return GenericRankResult(bl, R, R, R, lower_src, R0, N, "proved", cert, dims_seen)


#: Largest work (operations) spent on a Terracini upper bound of a border rank (and memory: a quarter
#: of the default budget); beyond them the upper bound stays the trivial one.
FILL_WORK = 2e9


def filling_rank(blocks, lower: int, seed: int):
    """``(R, certificate)`` with sigma_R of the format ``blocks`` proved to fill by Terracini, or None.

    Every tensor (form, with one block) of the format is then a limit of tensors of rank <= R:
    sigma_R is closed and irreducible, so of full dimension it is the whole space (border rank <=
    generic rank). Tries the expected generic rank ``ceil(N / per-term)`` (at least ``lower``; the
    Alexander-Hirschowitz value for forms), then one more; gives up beyond :data:`FILL_WORK`, on a
    block of dimension 1, or at R >= N. The certificate's steps prove ``dim sigma_R >= N``; its
    conclusions are dropped (only the fact is used).
    """
    if min(n for n, _ in blocks) < 2:
        return None
    N = J.ambient_dim(J.partial_spec(blocks, 1))
    R0 = max(lower, -(-N // per_term(blocks)))
    for R in (R0, R0 + 1):
        if R >= N:
            return None
        spec = J.partial_spec(blocks, R)
        memory, work = J.jacobian_cost(spec)
        if work > FILL_WORK or memory > budget.MEMORY / 4:
            return None
        res = format_dimension(spec, seed, border=False, defects=False)
        if res.lower >= N:
            res.certificate.conclusion = []
            return R, res.certificate
    return None


# ------------------------------------------------------------------ networks
def polynet_secant(spec: dict) -> dict:
    """The secant variety that a 2-layer polynomial network's neurovariety is, up to coordinates.

    For widths ``(d_0, d_1, d_2)`` and ``s(t) = t^r``, ``f = W_2 s(W_1 x)`` has the coefficients
    ``multinomial(a) sum_j W_2[i, j] W_1[j]^a`` at ``x^a`` in output i: a fixed invertible diagonal
    map of the coordinates of ``sum_j W_2[:, j] (x) W_1[j]^{(x) r}``. So the neurovariety is
    sigma_{d_1} of the Segre-Veronese variety ``P^{d_2 - 1} x v_r(P^{d_0 - 1})`` (blocks
    ``[[d_2, 1], [d_0, r]]``; the first block dropped when ``d_2 = 1``), and both have the same
    dimension [Kileel, Trager, Bruna 2019, section 3; docs/mathematics.md, "Defects"].
    """
    d0, d1, d2 = spec["widths"]
    blocks = ([[d2, 1]] if d2 > 1 else []) + [[d0, spec["degree"]]]
    return J.partial_spec(blocks, d1)


def neurovariety(widths, degree: int, seed: int = 0, tries: int = 3) -> DimResult:
    """Dimension of the neurovariety of ``f = W_h s(... s(W_1 x))``, ``s(t) = t^degree``."""
    spec = J.polynet_spec(widths, degree)
    res = format_dimension(spec, seed, tries=tries)
    s = J.param_count(spec) - hidden_symmetry(spec["widths"])
    res.extra.update({"symmetry_dim": hidden_symmetry(spec["widths"]), "params_minus_symmetry": s,
                      "filling": True if res.lower >= res.ambient else (False if res.upper < res.ambient else None)})
    c = res.certificate
    if res.lower >= res.ambient:
        c.add_step("filling", id="filling", variety=spec, rank=res.ambient)
        c.conclude("filling", {"variety": spec}, True)
    elif res.upper < res.ambient:
        c.add_step("filling", id="filling", variety=spec, rank=res.upper)
        c.conclude("filling", {"variety": spec}, False)
    return res


def deep_identifiability(widths, degree: int, seed: int = 0) -> dict:
    """Local identifiability of a deep polynomial network (finite generic fibres up to rescaling).

    ``True`` (proved) when the Jacobian rank equals parameters - sum of hidden widths
    (then the generic fibre is a finite union of rescaling orbits); ``False``
    (proved) when a structural upper bound on the dimension is below that number
    (positive-dimensional fibres beyond the symmetry); else ``None`` (unknown).
    Permutations of hidden neurons are finite and not counted. Over C, generic.
    """
    res = neurovariety(widths, degree, seed)
    s = res.extra["params_minus_symmetry"]
    c = res.certificate
    if res.lower >= s:
        ident, status = True, "proved"
        c.add_step("local-identifiability", id="identifiable", variety=res.spec, rank=res.lower)
    elif res.upper < s:
        ident, status = False, "proved"
        c.add_step("local-identifiability", id="identifiable", variety=res.spec, rank=res.upper)
    else:
        ident, status = None, "unknown"
    if ident is not None:
        c.conclude("locally-identifiable", {"variety": res.spec}, ident)
    out = res.to_dict()
    out.update({"identifiable": ident, "identifiability_status": status, "fibre_dim_lower":
                s - res.upper + hidden_symmetry(res.spec["widths"]) if ident is False else None,
                "notion": "local (finite generic fibres modulo hidden-neuron rescaling), over C"})
    out["certificate_obj"] = c
    return out

