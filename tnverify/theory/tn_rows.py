"""Row-sampled Jacobians of tensor networks mod p, and the rank of a row subset with its witness minor.

The Terracini Jacobian of a tensor-network spec (:mod:`tnverify.theory.jacobian`: Tucker, TT, TR,
HT) has one row per entry of the full tensor, ``prod(outputs)`` rows; a 1024 x 1024 layer has
2^20. A nonsingular minor of a subset of rows is a minor of the Jacobian, so the rank of a few
rows mod p is already a proved lower bound on the dimension (docs/layers.md, section 5).

**One row.** Fix an entry i of the tensor (one value per output label) and slice every core at
the outputs it carries; what is left is a closed network on the bond labels whose value is T[i].
T is linear in each core, so ``dT[i] / dG_k[f]`` is 0 unless f agrees with i on the outputs of
core k, and otherwise the contraction of all the other sliced cores (the environment of core k)
at the bond part of f. For TT this is ``left_k(i) (x) right_k(i)`` (the products of the core
slices before and after k); for TR the matrix ``G_{k+1} ... G_{k-1}`` (a trace); for Tucker the
core contracted with the factor rows ``U_l[i_l, :]``, l != k (and, for the core itself, their
outer product); for HT the tree contracted with one node removed. Here every environment is one
contraction of the other sliced cores, batched over the rows, by pairwise ``numpy.einsum`` steps
reduced mod p after each (int64 is exact: each step sums at most ``2^63 / (p-1)^2`` products,
else it runs on Python integers).

**Row sampling.** :func:`sampled_rank` draws rows uniformly without replacement, takes the rank
mod p (:func:`tnverify.numeric.modp.rank_profile`, which returns a nonsingular pivot minor), and
adds rows while the rank is below the target (an upper bound on the rank) and the cap allows;
it stops as soon as the target is met. Rows (parameters) of the gauge action (:func:`gauge_rows`)
are drawn core by core (:func:`gauge_rank`): a minor of a subset of its rows bounds its rank
from below, so ``parameters - that rank`` is still an upper bound on the dimension.

Cost: ``S`` rows cost ``S`` times the einsum work of the K environments (:func:`rows_cost`), the
S x P matrix (16 bytes per entry with the elimination's float copy), and its rank
``S P min(S, P)``.

References
----------
.. [1] A. Terracini, 1911; J. M. Landsberg, *Tensors: Geometry and Applications*, AMS 2012, ch. 5.
.. [2] S. Holtz, T. Rohwedder, R. Schneider, "On manifolds of tensors of fixed TT-rank",
   Numer. Math. 120 (2012), 701-731 (the TT tangent space, left and right interfaces).
"""
from __future__ import annotations

import math
import string

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.errors import ShapeError
from tnverify.numeric.modp import FAST_PRIME_BITS, ModularRank, pick_prime, rank_profile

__all__ = ["network_rows", "gauge_rows", "gauge_count", "sampled_rank", "rows_cost", "gauge_cost", "sample_size",
           "checker_row_work", "gauge_rank", "network_dimension", "BATCH"]

#: Rows of the tensor processed at once (bounds the einsum intermediates).
BATCH = 2048
#: The checker's largest union of labels in one pairwise step (checker/network_eval.py, copied:
#: no module outside the checker may import its internals).
CHECKER_STEP = 2_000_000
_INT64_SUM = 2**63 - 1


def _structure(spec: dict):
    cores, outs = spec["cores"], spec["outputs"]
    dims: dict = {}
    for c in cores:
        for lab, s in zip(c["labels"], c["shape"]):
            if dims.setdefault(lab, s) != s:
                raise ShapeError(f"label {lab!r} has dimensions {dims[lab]} and {s}")
    bonds = sorted({lab for c in cores for lab in c["labels"] if lab not in outs})
    letters = string.ascii_letters.replace("Z", "")
    if len(bonds) > len(letters):
        raise ShapeError(f"expected at most {len(letters)} bond labels in a tensor network, got {len(bonds)}")
    return dims, {lab: letters[i] for i, lab in enumerate(bonds)}


def _slice(core: np.ndarray, labels: list, outs: dict, a: np.ndarray) -> tuple[np.ndarray, bool]:
    """The core at the rows' output values: (S, bond axes...) if it carries outputs, else the core (no batch)."""
    oax = [ax for ax, lab in enumerate(labels) if lab in outs]
    if not oax:
        return core, False
    bax = [ax for ax in range(core.ndim) if ax not in oax]
    t = np.transpose(core, oax + bax)
    return t[tuple(a[:, outs[labels[ax]]] for ax in oax)], True


def _pair(A: np.ndarray, sa: str, B: np.ndarray, sb: str, keep: str, p: int) -> np.ndarray:
    """``einsum(sa, sb -> keep)`` mod p; int64 when every sum of products fits, else Python integers."""
    size = {c: n for s, o in ((sa, A), (sb, B)) for c, n in zip(s, o.shape)}
    k = math.prod(size[c] for c in set(sa + sb) if c not in keep)
    if k * (p - 1) ** 2 > _INT64_SUM:
        A, B = A.astype(object), B.astype(object)
    return np.asarray(np.einsum(f"{sa},{sb}->{keep}", A, B) % p, dtype=np.int64)


def _contract(ops: list, subs: list, out: str, p: int) -> np.ndarray:
    """``einsum(subs -> out)`` of residue arrays mod p, two operands at a time, reduced after each step.

    The next pair is the one sharing a bond label whose union of bond labels is smallest (the
    batch label ``Z`` is not counted: pairing two cores only through it would build an outer
    product), else the two smallest operands.
    """
    ops, subs = list(ops), list(subs)
    size = {c: n for sb, o in zip(subs, ops) for c, n in zip(sb, o.shape)}
    while len(ops) > 1:
        best = None
        for i in range(len(ops)):
            for j in range(i + 1, len(ops)):
                bi, bj = set(subs[i]) - {"Z"}, set(subs[j]) - {"Z"}
                key = (not bi & bj, math.prod(size[c] for c in bi | bj), i, j)
                best = key if best is None or key < best else best
        i, j = best[2], best[3]
        rest = "".join(sb for t, sb in enumerate(subs) if t not in (i, j)) + out
        keep = "".join(dict.fromkeys(c for c in subs[i] + subs[j] if c in rest))
        R = _pair(ops[i], subs[i], ops[j], subs[j], keep, p)
        ops = [o for t, o in enumerate(ops) if t not in (i, j)] + [R]
        subs = [sb for t, sb in enumerate(subs) if t not in (i, j)] + [keep]
    return np.einsum(f"{subs[0]}->{out}", ops[0]) % p


def network_rows(spec: dict, p: int, point: list, rows) -> np.ndarray:
    """The rows ``rows`` (C-order indices over the outputs) of the Jacobian of ``spec`` at ``point`` mod p.

    Returns an ``(len(rows), P)`` int64 array of residues, columns the cores' entries (C order,
    core after core), equal to those rows of :func:`tnverify.theory.jacobian.build`. Computed by
    batches of :data:`BATCH` rows, one contraction of the other sliced cores per core (module docstring).
    """
    cores, outputs = spec["cores"], spec["outputs"]
    dims, sym = _structure(spec)
    outs = {o: k for k, o in enumerate(outputs)}
    rows = np.asarray(rows, dtype=np.int64)
    P = sum(math.prod(c["shape"]) for c in cores)
    offs = np.cumsum([0] + [math.prod(c["shape"]) for c in cores])
    vals = [np.asarray(x, dtype=np.int64).reshape(c["shape"]) % p for x, c in zip(point, cores)]
    M = np.zeros((len(rows), P), dtype=np.int64)
    for s0 in range(0, len(rows), BATCH):
        idx = rows[s0:s0 + BATCH]
        S = len(idx)
        a = np.stack(np.unravel_index(idx, [dims[o] for o in outputs]), axis=1)
        sliced = [_slice(v, c["labels"], outs, a) for v, c in zip(vals, cores)]
        subs = [("Z" if batched else "") + "".join(sym[lab] for lab in c["labels"] if lab not in outs)
                for (_, batched), c in zip(sliced, cores)]
        r = np.arange(S)[:, None]
        for k, c in enumerate(cores):
            own = "".join(sym[lab] for lab in c["labels"] if lab not in outs)
            others = [t for t in range(len(cores)) if t != k]
            batched = any(sliced[t][1] for t in others)
            env = _contract([sliced[t][0] for t in others], [subs[t] for t in others], ("Z" if batched else "") + own,
                            p) if others else np.ones((), dtype=np.int64)
            env = np.broadcast_to(env, (S,) + tuple(dims[lab] for lab in c["labels"] if lab not in outs))
            # the column of core k's entry: output axes at the row's values, bond axes over all values
            shape = c["shape"]
            nb = sum(1 for lab in c["labels"] if lab not in outs)
            flat, b = np.zeros((S,) + (1,) * nb, dtype=np.int64), 0
            stride = np.cumprod([1] + list(shape[::-1]))[::-1][1:]
            for ax, lab in enumerate(c["labels"]):
                if lab in outs:
                    val = a[:, outs[lab]].reshape((S,) + (1,) * nb)
                else:
                    val = np.arange(shape[ax]).reshape((1,) + tuple(shape[ax] if t == b else 1 for t in range(nb)))
                    b += 1
                flat = flat + val * int(stride[ax])
            M[s0 + r, offs[k] + flat.reshape(S, -1)] = np.asarray(env).reshape(S, -1)
    return M


def gauge_count(spec: dict) -> int:
    """Columns of the gauge action: the sum over bonds of r^2."""
    dims, sym = _structure(spec)
    return sum(dims[lab] ** 2 for lab in sym)


def gauge_rows(spec: dict, p: int, point: list, params) -> np.ndarray:
    """The rows ``params`` (parameter indices) of :func:`tnverify.theory.jacobian.gauge_action` mod p.

    Row (core c, index f), column (bond e, u, w) (bonds in sorted order, (u, w) in C order): for
    the first end of e, axis a, ``G_c[f with a = u]`` when ``f_a = w``; for the second end, axis
    b, ``-G_c[f with b = w]`` when ``f_b = u``; 0 otherwise. Cost O(len(params) x legs x r).
    """
    cores = spec["cores"]
    dims, sym = _structure(spec)
    ends: dict = {}
    for ci, c in enumerate(cores):
        for ax, lab in enumerate(c["labels"]):
            if lab in sym:
                ends.setdefault(lab, []).append((ci, ax))
    start, s = {}, 0
    for lab in sorted(ends):
        start[lab] = s
        s += dims[lab] ** 2
    params = np.asarray(params, dtype=np.int64)
    offs = np.cumsum([0] + [math.prod(c["shape"]) for c in cores])
    G = np.zeros((len(params), s), dtype=np.int64)
    core_of = np.searchsorted(offs, params, side="right") - 1
    for ci, c in enumerate(cores):
        sel = np.nonzero(core_of == ci)[0]
        if not len(sel):
            continue
        A = np.asarray(point[ci], dtype=np.int64).reshape(c["shape"]) % p
        idx = np.stack(np.unravel_index(params[sel] - offs[ci], c["shape"]), axis=1)
        for ax, lab in enumerate(c["labels"]):
            if lab not in sym:
                continue
            r, first = dims[lab], ends[lab][0] == (ci, ax)
            for t in range(r):
                moved = idx.copy()
                moved[:, ax] = t
                x = A[tuple(moved.T)]
                if first:  # columns (u = t, w = f_a)
                    G[sel, start[lab] + t * r + idx[:, ax]] = x
                else:  # columns (u = f_b, w = t)
                    G[sel, start[lab] + idx[:, ax] * r + t] = (p - x) % p
    return G


def sample_size(target: int, total: int) -> int:
    """Rows of a first draw: about 5% more than the target rank, never more than there are."""
    return int(min(total, math.ceil(1.05 * target) + 16))


def rows_cost(spec: dict, S: int, target: int) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`sampled_rank` on the Jacobian, first draw ``S`` rows (at most ``2 S`` in all).

    Per row, each of the K environments is charged K pairwise steps of at most the largest
    sliced core times the largest bond (a bound for a path through a tree or a ring), and a batch
    holds a few such intermediates; the matrix and the point (P residues and a reduced copy) take 16
    bytes per entry, and the (at most three)
    ranks of S, 1.5 S and 2 S rows cost rows x P x min(2 S, P, target + 32) each.
    """
    dims, sym = _structure(spec)
    P = float(sum(budget.product(c["shape"]) for c in spec["cores"]))
    K = len(spec["cores"])
    big = max([float(dims[lab]) for lab in sym] or [1.0])
    step = max(budget.product(dims[lab] for lab in c["labels"] if lab in sym) for c in spec["cores"]) * big
    rows = 2.0 * S
    memory = 16.0 * (rows + 2) * P + 8.0 * 3 * min(rows, BATCH) * step
    return memory, rows * (K * K * step + P) + 4.5 * S * P * min(rows, P, float(target) + 32)


def checker_row_work(spec: dict) -> float:
    """The multiply-adds the independent checker spends per hinted row of a Jacobian minor of ``spec``.

    The checker (docs/certificates.md, ``jacobian-rank-at-least``) contracts the sliced network
    pairwise, always the pair sharing a label with the smallest union of labels (then the lowest
    positions), and runs the reverse pass: the sliced entries plus three times the sum of the
    union sizes. Recomputed here from the structure, as the checker's limit needs it; ``inf`` when
    a step spans more than :data:`CHECKER_STEP` entries (the checker refuses it).
    """
    dims, sym = _structure(spec)
    labels = [[lab for lab in c["labels"] if lab in sym] for c in spec["cores"]]
    work = sum(math.prod(dims[lab] for lab in b) for b in labels)
    active = list(range(len(labels)))
    while len(active) > 1:
        best = None
        for x in range(len(active)):
            for y in range(x + 1, len(active)):
                a, b = set(labels[active[x]]), set(labels[active[y]])
                key = (not a & b, math.prod(dims[lab] for lab in a | b), active[x], active[y])
                best = key if best is None or key < best else best
        _, union, a, b = best
        if union > CHECKER_STEP:
            return math.inf
        work += 3 * union
        labels.append([lab for lab in labels[a] if lab not in labels[b]]
                      + [lab for lab in labels[b] if lab not in labels[a]])
        active = [t for t in active if t not in (a, b)] + [len(labels) - 1]
    return work


def _gauge_share(spec: dict) -> list:
    """Per core, the gauge generators that move it: the sum of r^2 over its bonds."""
    dims, sym = _structure(spec)
    return [sum(dims[lab] ** 2 for lab in c["labels"] if lab in sym) for c in spec["cores"]]


def gauge_cost(spec: dict) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`gauge_rank`: at most three draws, the last of about 4.2 x the
    generators of each core (or all its entries) as rows; their ranks; the point (P residues and a
    reduced copy), which is drawn in full.
    """
    g = float(gauge_count(spec))
    P = float(sum(budget.product(c["shape"]) for c in spec["cores"]))
    rows = min(P, sum(4.2 * t + 5 for t in _gauge_share(spec)))
    return 16.0 * rows * g + 16.0 * P, 2.0 * rows * g * min(rows, g) + rows * g + P


def gauge_rank(spec: dict, p: int, point: list, rng: np.random.Generator) -> ModularRank:
    """Rank mod p of rows of the gauge action drawn core by core, with a nonsingular minor.

    A generator E_uw of a bond moves only the two cores of the bond, so a uniform draw over all
    parameters can miss a small core (an HT root) that many generators need. Here each core
    gives ``min(its entries, ceil(c t) + 4)`` random rows, t its generators (:func:`_gauge_share`),
    c = 1.05, then 2.1 and 4.2 while the rank is below the number of generators. The minor's rows
    are parameter indices; the rank bounds that of the whole action from below.
    """
    g = gauge_count(spec)
    sizes = [math.prod(c["shape"]) for c in spec["cores"]]
    offs = np.cumsum([0] + sizes)
    share = _gauge_share(spec)
    for c in (1.05, 2.1, 4.2):
        rows = np.concatenate([offs[k] + np.sort(rng.choice(n, size=min(n, math.ceil(c * t) + 4), replace=False))
                               for k, (n, t) in enumerate(zip(sizes, share))])
        res = rank_profile(gauge_rows(spec, p, point, rows), p, reduced=True)
        if res.rank >= g or len(rows) == offs[-1]:
            break
    return ModularRank(res.rank, sorted(int(rows[i]) for i in res.rows), sorted(res.cols), p, res.engine)


def sampled_rank(fn, total: int, target: int, rng: np.random.Generator, p: int, *, cap: int | None = None,
                 rounds: int = 3) -> tuple[ModularRank, np.ndarray]:
    """Rank mod p of rows of a matrix drawn at random until it meets ``target``: (rank with minor, the rows).

    ``fn(rows) -> (len(rows), n) residues`` builds the chosen rows (sorted indices into
    ``range(total)``). The first draw has :func:`sample_size` rows; while the rank is below
    ``target``, up to ``rounds - 1`` more draws add half as many new rows each (at most ``cap``
    rows in all, default ``2 x`` the first draw). The minor's rows are indices into ``range(total)``.
    """
    S = sample_size(target, total)
    cap = min(total, cap if cap is not None else 2 * S)
    chosen = np.zeros(0, dtype=np.int64)
    res = None
    for t in range(rounds):
        want = S if t == 0 else min(cap - len(chosen), max(1, S // 2))
        if want <= 0:
            break
        if len(chosen) + want >= total:
            chosen = np.arange(total, dtype=np.int64)
        else:
            new = np.zeros(0, dtype=np.int64)
            taken = set(chosen.tolist())
            while len(new) < want:
                draw = np.unique(rng.integers(0, total, size=2 * (want - len(new)) + 8, dtype=np.int64))
                draw = np.array([x for x in rng.permutation(draw).tolist() if x not in taken][:want - len(new)],
                                dtype=np.int64)
                taken.update(draw.tolist())
                new = np.concatenate([new, draw])
            chosen = np.sort(np.concatenate([chosen, new]))
        res = rank_profile(fn(chosen), p, reduced=True)
        if res.rank >= target or len(chosen) >= cap:
            break
    rows = sorted(int(chosen[i]) for i in res.rows)
    return ModularRank(res.rank, rows, sorted(res.cols), p, res.engine), chosen


def network_dimension(spec: dict, seed: int, *, gauge: bool, lower: bool, certify: bool, max_side: float) -> dict:
    """Bounds on the dimension of the image of a tensor-network ``spec``, with their certificate.

    At one uniform point mod a prime below 2^20 (both from ``seed``): the upper bound is the least
    of the ambient dimension, the parameter count and, with ``gauge``, ``P - rank`` of sampled rows
    of the gauge action; with ``lower``, the lower bound is the rank of sampled rows of the
    Jacobian, drawn until it meets the upper bound (:func:`sampled_rank`). With ``certify`` and
    a lower bound whose minor has at most ``max_side`` rows, the certificate holds the steps
    ``jacobian-rank-at-least`` (the hinted minor: tensor entries x parameters), ``dim-at-most``
    (method ``gauge`` with its minor, or the count) and, when they meet, ``dimension``.

    Returns ``{"lower", "upper", "lower_source", "upper_source", "certificate", "notes"}``.
    """
    dims, _ = _structure(spec)
    N = math.prod(dims[o] for o in spec["outputs"])
    P = sum(math.prod(c["shape"]) for c in spec["cores"])
    ups, g = [(N, "ambient"), (P, "parameters")], None
    if not (lower or gauge and gauge_count(spec)):  # nothing to compute: no point is drawn
        u, src = min(ups, key=lambda t: t[0])
        return {"lower": None, "upper": u, "lower_source": "not computed", "upper_source": src, "certificate": None,
                "notes": []}
    rng = np.random.default_rng([seed, 17])
    p = pick_prime(rng, FAST_PRIME_BITS)
    point = [rng.integers(0, p, tuple(c["shape"]), dtype=np.int64) for c in spec["cores"]]
    if gauge and gauge_count(spec):
        g = gauge_rank(spec, p, point, rng)
        ups.append((P - g.rank, "gauge"))
    u, src = min(ups, key=lambda t: t[0])
    out = {"lower": None, "upper": u, "lower_source": "not computed", "upper_source": src, "certificate": None,
           "notes": []}
    if not lower:
        if src == "gauge":
            out["upper_source"] = "gauge (computed exactly, not checked)"
        return out
    jac, rows = sampled_rank(lambda rows: network_rows(spec, p, point, rows), N, u, rng, p)
    if not certify or jac.rank > max_side:
        out["notes"].append(f"no lower bound: the Jacobian minor is {jac.rank} x {jac.rank}, over the largest the "
                            f"checker is given ({max_side:.0f} x {max_side:.0f} at this budget)")
        if src == "gauge":
            out["upper_source"] = "gauge (computed exactly, not checked)"
        return out
    out["lower"] = jac.rank
    out["lower_source"] = (f"Jacobian rank mod {p} on {len(rows)} sampled rows of {N} (Terracini)" if len(rows) < N
                           else f"Jacobian rank mod {p} (Terracini)")
    cert = Certificate()
    pt = [x.tolist() for x in point]
    cert.add_step("jacobian-rank-at-least", id="jac-rows", map=spec, point=pt, modulus=p, rank=jac.rank,
                  minor={"rows": jac.rows, "cols": jac.cols})
    cert.conclude("dim-at-least", {"variety": spec}, jac.rank)
    if src == "gauge":
        cert.add_step("dim-at-most", id="gauge-rows", variety=spec, method="gauge", rank=u, point=pt, modulus=p,
                      minor={"rows": g.rows, "cols": g.cols})
    else:
        cert.add_step("dim-at-most", id=f"upper-{src}", variety=spec, method=src, rank=u)
    cert.conclude("dim-at-most", {"variety": spec}, u)
    if jac.rank == u:
        cert.add_step("dimension", id="dim", variety=spec, rank=u)
        cert.conclude("dim", {"variety": spec}, u)
    out["certificate"] = cert
    return out
