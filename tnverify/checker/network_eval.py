"""Hinted entries of the Jacobian and of the gauge action of a tensor network, without the full matrices.

A ``tensor-network`` variety (:mod:`tnverify.checker.families.terracini`) maps its cores to the
full tensor ``T[i] = sum over the bond labels of prod_c G_c[...]`` (C order over the outputs;
parameters: the cores' entries, C order, core after core). The rule ``jacobian-rank-at-least``
needs the r x r entries ``J[i, (c, f)] = dT[i] / dG_c[f]`` of a hinted minor, and ``dim-at-most``
(method ``gauge``) the hinted entries of the infinitesimal gauge action. Both are built here entry
by entry, so the checker never holds a matrix with ``prod(outputs)`` rows.

**Jacobian rows.** Fix a row i (one value per output label). Slicing every core at the outputs
it carries leaves a closed network on the bond labels; its value is T[i]. T[i] is linear in each
sliced core, so ``dT[i] / dG_c[f]`` is 0 unless f agrees with i on the outputs of core c, and
otherwise the *environment* of core c (the contraction of all the other sliced cores) at the bond
part of f. The environments of all cores come from one contraction and its reverse pass: the
network is contracted pairwise in a fixed order (chosen here from the structure, greedily: the
pair sharing a label whose union of labels is smallest), and for a step ``C = A . B`` (summing
the labels A and B share) the derivative of the scalar with respect to A is the contraction of
the derivative with respect to C with B (bilinearity; the chain rule). The reverse pass starts
from 1 at the root. Each pairwise contraction is a product of a (free-of-A x shared) and a
(shared x free-of-B) matrix, computed mod p with Python integers.

**Gauge action.** For a bond e of dimension r joining cores A (axis a) and B (axis b), and
``X = E_uw`` in gl(r): ``dA[.., a=w, ..] = A[.., a=u, ..]`` and ``dB[.., b=u, ..] = -B[.., b=w, ..]``
(A -> A X, B -> X^{-1} B). Columns: bonds in sorted label order, then (u, w) in C order; the two
ends of a bond in core order. Every entry is one parameter of the point, or 0.

Cost: per Jacobian row, the sliced cores plus three times the work of the contraction order
(:func:`network_plan`), then one lookup per nonzero hinted entry. ``rows x per-row work`` is
at most :data:`MAX_WORK` and each step spans at most :data:`MAX_STEP` entries, both checked from
the labels before any table is built. Gauge entries cost O(number of legs) each. Only the
standard library (and the kernel's exceptions) is used.
"""
from __future__ import annotations

from math import prod
from operator import mul

from tnverify.checker.kernel import Malformed

#: Most cores in a network whose Jacobian entries are rebuilt (the greedy order costs K^3).
MAX_CORES = 64
#: Most multiply-adds (hinted rows x per-row work) spent on the entries of one Jacobian minor.
MAX_WORK = 400_000_000
#: Most entries of the union of the labels of one pairwise step (bounds every table the step builds).
MAX_STEP = 2_000_000


def _strides(labels, dims) -> dict:
    st, s = {}, 1
    for lab in reversed(labels):
        st[lab] = s
        s *= dims[lab]
    return st


def _layout(labels, dims, order) -> list:
    """Flat positions, in the C-order tensor over ``labels``, of its entries listed in C order over ``order``."""
    st = _strides(labels, dims)
    out = [0]
    for lab in order:
        s = st[lab]
        out = [o + i * s for o in out for i in range(dims[lab])]
    return out


class _Pair:
    """``Z[out] = sum over the shared labels of X[lx] Y[ly]`` mod p, ``out`` a permutation of the free labels."""

    def __init__(self, lx, ly, out, dims):
        shared = [lab for lab in lx if lab in ly]
        fx, fy = [lab for lab in lx if lab not in ly], [lab for lab in ly if lab not in lx]
        self.ix = _layout(lx, dims, fx + shared)
        self.iy = _layout(ly, dims, fy + shared)
        self.k = prod(dims[lab] for lab in shared)
        self.perm = None if fx + fy == list(out) else _layout(fx + fy, dims, out)

    def __call__(self, X: list, Y: list, p: int) -> list:
        k = self.k
        xs, ys = [X[i] for i in self.ix], [Y[i] for i in self.iy]
        if k == 1:
            Z = [a * b % p for a in xs for b in ys]
        else:
            xr = [xs[i:i + k] for i in range(0, len(xs), k)]
            yr = [ys[i:i + k] for i in range(0, len(ys), k)]
            Z = [sum(map(mul, a, b)) % p for a in xr for b in yr]
        return Z if self.perm is None else [Z[i] for i in self.perm]


def _labels(v: dict):
    cores, outs = v["cores"], set(v["outputs"])
    dims = {lab: s for c in cores for lab, s in zip(c["labels"], c["shape"])}
    bonds = [[lab for lab in c["labels"] if lab not in outs] for c in cores]
    return dims, bonds


def network_plan(v: dict) -> dict:
    """The contraction order of the sliced network of ``v`` and its work per row, from the labels alone.

    Returns ``{"steps": [(a, b, n)], "root", "labels", "work"}``: nodes 0..K-1 are the sliced
    cores, node n = a . b, ``labels[n]`` its labels; ``work`` counts, for one row, the sliced
    entries plus three times the union size of every step (the forward and the reverse pass).
    Malformed above :data:`MAX_CORES` cores or when a step's union exceeds :data:`MAX_STEP`.
    """
    dims, bonds = _labels(v)
    K = len(bonds)
    if K > MAX_CORES:
        raise Malformed(f"step.map: {K} cores, over the checker limit {MAX_CORES} for a Jacobian minor")
    labels = [list(b) for b in bonds]
    active = list(range(K))
    steps, work = [], sum(prod(dims[lab] for lab in b) for b in bonds)
    while len(active) > 1:
        best = None
        for x in range(len(active)):
            for y in range(x + 1, len(active)):
                a, b = active[x], active[y]
                union = set(labels[a]) | set(labels[b])
                key = (not set(labels[a]) & set(labels[b]), prod(dims[lab] for lab in union), a, b)
                if best is None or key < best:
                    best = key
        _, union, a, b = best
        if union > MAX_STEP:
            raise Malformed(f"step.map: a contraction step of the sliced network spans {union} entries, over the "
                            f"checker limit {MAX_STEP}")
        n = len(labels)
        labels.append([lab for lab in labels[a] if lab not in labels[b]]
                      + [lab for lab in labels[b] if lab not in labels[a]])
        steps.append((a, b, n))
        work += 3 * union
        active = [x for x in active if x not in (a, b)] + [n]
    return {"steps": steps, "root": active[0], "labels": labels, "work": work}


def _compile(plan: dict, dims: dict) -> list:
    """The steps of ``plan`` with their contractions: (a, b, n, forward, derivative to a, derivative to b)."""
    L = plan["labels"]
    return [(a, b, n, _Pair(L[a], L[b], L[n], dims), _Pair(L[n], L[b], L[a], dims), _Pair(L[n], L[a], L[b], dims))
            for a, b, n in plan["steps"]]


def _split(i: int, sizes: list) -> list:
    out = []
    for s in reversed(sizes):
        i, a = divmod(i, s)
        out.append(a)
    return out[::-1]


def jacobian_minor(v: dict, pt: list, p: int, rows: list, cols: list) -> list:
    """The entries ``J[i][j]`` (i in ``rows``, j in ``cols``) of the Jacobian of ``v`` at ``pt`` mod p.

    ``pt``: one flat list of residues per core (C order). Rows are C-order indices over the
    outputs, columns parameter indices. Malformed when ``len(rows)`` times the per-row work of
    :func:`network_plan` exceeds :data:`MAX_WORK`.
    """
    cores, outs = v["cores"], v["outputs"]
    dims, bonds = _labels(v)
    plan = network_plan(v)
    if len(rows) * plan["work"] > MAX_WORK:
        raise Malformed(f"step.minor: {len(rows)} rows of {plan['work']} multiply-adds each exceed the checker "
                        f"limit {MAX_WORK} for a tensor-network Jacobian")
    steps = _compile(plan, dims)
    opos = {o: k for k, o in enumerate(outs)}
    out_sizes = [dims[o] for o in outs]
    offs = [0]
    for c in cores:
        offs.append(offs[-1] + prod(c["shape"]))
    # per core: strides of its axes, the offsets of its bond assignments, its output labels
    info = []
    for c, bl in zip(cores, bonds):
        st = _strides(c["labels"], dims)
        info.append((st, _layout(c["labels"], dims, bl), [lab for lab in c["labels"] if lab in opos]))
    groups: dict = {}  # (core, output values) -> [(position in the minor row, index into the environment)]
    for j, col in enumerate(cols):
        k = max(c for c in range(len(cores)) if offs[c] <= col)
        f = col - offs[k]
        idx = _split(f, cores[k]["shape"])
        lab_val = dict(zip(cores[k]["labels"], idx))
        env = 0
        for lab in bonds[k]:
            env = env * dims[lab] + lab_val[lab]
        key = (k, tuple(lab_val[lab] for lab in info[k][2]))
        groups.setdefault(key, []).append((j, env))
    M = []
    for i in rows:
        a = _split(i, out_sizes)
        vals = []
        for k, (st, boffs, olabs) in enumerate(info):
            base = sum(a[opos[lab]] * st[lab] for lab in olabs)
            vals.append([pt[k][base + o] for o in boffs])
        for a_, b_, n, fwd, _, _ in steps:
            vals.append(fwd(vals[a_], vals[b_], p))
        grad = [None] * len(vals)
        grad[plan["root"]] = [1]
        for a_, b_, n, _, ga, gb in reversed(steps):
            grad[a_] = ga(grad[n], vals[b_], p)
            grad[b_] = gb(grad[n], vals[a_], p)
        row = [0] * len(cols)
        for k, (_, _, olabs) in enumerate(info):
            g = grad[k]
            for j, e in groups.get((k, tuple(a[opos[lab]] for lab in olabs)), ()):
                row[j] = g[e]
        M.append(row)
    return M


def gauge_columns(v: dict) -> int:
    """The number of columns of the gauge action: the sum over bonds of r^2."""
    dims, bonds = _labels(v)
    return sum(dims[lab] ** 2 for lab in {lab for b in bonds for lab in b})


def gauge_minor(v: dict, pt: list, p: int, rows: list, cols: list) -> list:
    """The entries (parameter i in ``rows``, gauge generator j in ``cols``) of the gauge action at ``pt`` mod p."""
    cores = v["cores"]
    dims, bonds = _labels(v)
    ends: dict = {}
    for ci, bl in enumerate(bonds):
        for lab in bl:
            ends.setdefault(lab, []).append((ci, cores[ci]["labels"].index(lab)))
    gens, start = [], 0  # per bond: (first column, r, end 0, end 1)
    for lab in sorted(ends):
        r = dims[lab]
        gens.append((start, r, ends[lab][0], ends[lab][1]))
        start += r * r
    offs = [0]
    for c in cores:
        offs.append(offs[-1] + prod(c["shape"]))
    colinfo = []
    for j in cols:
        s, r, e0, e1 = next(g for g in gens if g[0] <= j < g[0] + g[1] ** 2)
        u, w = divmod(j - s, r)
        colinfo.append((u, w, e0, e1))
    M = []
    for i in rows:
        ci = max(c for c in range(len(cores)) if offs[c] <= i)
        f = i - offs[ci]
        shape = cores[ci]["shape"]
        idx = _split(f, shape)
        st = _strides(list(range(len(shape))), dict(enumerate(shape)))
        row = []
        for u, w, (c0, a0), (c1, a1) in colinfo:
            x = 0
            if ci == c0 and idx[a0] == w:
                x = pt[ci][f + (u - w) * st[a0]]
            elif ci == c1 and idx[a1] == u:
                x = -pt[ci][f + (w - u) * st[a1]] % p
            row.append(x)
        M.append(row)
    return M
