"""The checker's own overlapping, dilated and mixed ConvACs: units, grid-minor entries, grid network, bounds.

Written from the papers' equations, independently of the prover (tnverify/networks/overlap.py):
every product unit is y = prod_i (W_i y_{child_i}) elementwise, a sum unit (mixed networks,
its taps without weights) is y = sum_i y_{child_i}, and score = <w, y_top>
(docs/grid_tensors.md, section 8).
"""
from __future__ import annotations

from tnverify.checker.kernel import Malformed


def _mv(W, x, rows, cols, p):
    """(W x) mod p for W flat (rows x cols), x of length cols."""
    return [sum(W[i * cols + j] * x[j] for j in range(cols)) % p for i in range(rows)]


def conv_units(a: dict) -> tuple:
    """Product units of an ``overlap`` or ``dilated`` network: ({unit: (width, [(child, weight)])}, top).

    overlap (Sharir & Shashua, ICLR 2018): layer l has receptive field r_l and stride
    s_l; unit (l, j) reads positions j s_l .. j s_l + r_l - 1 of layer l-1 (inputs at l = 1).
    dilated (Cohen, Tamari & Shashua, ICLR 2018): unit (l, t) reads (l-1, t - d_l) and
    (l-1, t); only the units that the output at time N-1 reads. A child is (l, j), or
    ("x", k) for input k. Every unit is y = prod_i (W_i y_child_i) elementwise.
    """
    if a["family"] == "mixed":
        return _mixed(a)
    L = len(a["w"])
    out: dict = {}

    def child(l, j):
        return ("x", j) if l == 0 else (l, j)

    if a["family"] == "overlap":
        n = a["N"]
        for l in range(1, L + 1):
            r, s = a["field"][l - 1], a["stride"][l - 1]
            n = (n - r) // s + 1
            for j in range(n):
                out[(l, j)] = (a["w"][l - 1], [(child(l - 1, j * s + i), f"W{l - 1}_{j}_{i}") for i in range(r)])
        return out, (L, 0)
    frontier = [a["N"] - 1]
    for l in range(L, 0, -1):
        d = a["dilations"][l - 1]
        for t in frontier:
            out[(l, t)] = (a["w"][l - 1], [(child(l - 1, t - d), f"W{l - 1}_{t}_0"), (child(l - 1, t), f"W{l - 1}_{t}_1")])
        frontier = sorted({x for t in frontier for x in (t - d, t)})
    return dict(sorted(out.items())), (L, a["N"] - 1)


def _mixed(a: dict) -> tuple:
    """Units of a mixed network: two dilated branches joined by sum units.

    Branch A (dilations ``dilations``, weights ``W{l}_{t}_{i}``) and branch B
    (``dilations_b``, ``B{l}_{t}_{i}``). Built bottom-up over all times t (then pruned to
    what the top reads): at layer l, branch X's unit at t reads, at times t - d_l and t,
    the layer below: the input at layer 0, the sum unit ("m", l-1, t') when l-1 is an
    interconnection layer, else X's own unit. Layer L is always summed; the top is
    ("m", L, N-1). A sum unit's taps carry the weight name None.
    """
    L, N = len(a["w"]), a["N"]
    mix = set(a["mix"]) | {L}
    out: dict = {}
    for l in range(1, L + 1):
        for x, d, nm in (("A", a["dilations"][l - 1], "W"), ("B", a["dilations_b"][l - 1], "B")):
            for t in range(d, N):
                kids = []
                for i, s in enumerate((t - d, t)):
                    c = ("x", s) if l == 1 else ("m", l - 1, s) if l - 1 in mix else (x, l - 1, s)
                    kids.append((c, f"{nm}{l - 1}_{t}_{i}"))
                out[(x, l, t)] = (a["w"][l - 1], kids)
        if l in mix:
            for t in range(N):
                if ("A", l, t) in out and ("B", l, t) in out:
                    out[("m", l, t)] = (a["w"][l - 1], [(("A", l, t), None), (("B", l, t), None)])
    top = ("m", L, N - 1)
    keep, todo = set(), [top]
    while todo:
        u = todo.pop()
        if u in keep or u[0] == "x":
            continue
        if u not in out:
            raise Malformed(f"unit {u} of the mixed network is read but does not exist")
        keep.add(u)
        todo.extend(c for c, _ in out[u][1])
    return {u: v for u, v in out.items() if u in keep}, top


def conv_width(a: dict, units: dict, c) -> int:
    """Width of a child: M_k for input k, the unit's channel count otherwise."""
    return a["M"][c[1]] if c[0] == "x" else units[c][0]


def conv_minor(a: dict, rows: list, vecs: list, mr: list, mc: list, p: int, max_states: int) -> list:
    """Minor entries (row-major) of an overlap / dilated network by its forward pass, mod p, tabled.

    A unit depends only on the inputs in its receptive field, so its value is computed once
    per distinct choice of the row vectors and of the column vectors that fall in that field
    (children before parents, each unit once, whoever reads it), not once per entry. Cost: the
    sum over units of (distinct row choices) x (distinct column choices) forward steps, at
    at most ``max_states`` as r^2 times the number of units, and at most ``max_states / 4``
    integers in the tables (states times their widths); the entries are then <w, y_top>.
    """
    N = a["N"]
    cols = [k for k in range(N) if k not in rows]
    units, top = conv_units(a)
    W = a["weights"]
    if len(mr) * len(mc) * len(units) > max_states:  # also bounds the key scans, r |field| per unit
        raise Malformed(f"the grid minor needs more than {max_states} unit evaluations, over the limit")

    def digits(idx, modes):
        out = [0] * len(modes)
        for q in range(len(modes) - 1, -1, -1):
            idx, out[q] = divmod(idx, len(vecs[modes[q]]))
        return out

    R = [digits(i, rows) for i in mr]
    C = [digits(j, cols) for j in mc]
    rpos = {k: q for q, k in enumerate(rows)}
    cpos = {k: q for q, k in enumerate(cols)}
    field = {("x", k): {k} for k in range(N)}
    for u, (_, kids) in units.items():
        field[u] = set().union(*(field[c] for c, _ in kids))
    states = [0]

    def keyed(node, width):
        """(row positions, column positions, distinct row keys, distinct column keys) of ``node``'s field.

        Charges the table's integers (states times the width of each state) to the limit, a
        quarter of ``max_states``: the tables are kept until the top is reached.
        """
        rsel = sorted(rpos[k] for k in field[node] if k in rpos)
        csel = sorted(cpos[k] for k in field[node] if k in cpos)
        rkeys = list(dict.fromkeys(tuple(r[q] for q in rsel) for r in R))
        ckeys = list(dict.fromkeys(tuple(c[q] for q in csel) for c in C))
        states[0] += len(rkeys) * len(ckeys) * max(1, width)
        if states[0] > max_states // 4:
            raise Malformed(f"the grid minor's tables need more than {max_states // 4} integers, over the limit")
        return rsel, csel, rkeys, ckeys

    tab = {}
    for k in range(N):  # an input's value is its vector: the row or the column choice
        rsel, csel, rkeys, ckeys = keyed(("x", k), a["M"][k])
        tab[("x", k)] = (rsel, csel, rkeys, ckeys,
                         [[vecs[k][(rk or ck)[0]] for ck in ckeys] for rk in rkeys])

    def restrict(parent, child):
        """For each parent row key (column key), the index of its restriction among the child's keys."""
        prs, pcs, prk, pck = parent
        crs, ccs, crk, cck, _ = tab[child]
        ri = {key: n for n, key in enumerate(crk)}
        ci = {key: n for n, key in enumerate(cck)}
        rp = [prs.index(q) for q in crs]
        cp = [pcs.index(q) for q in ccs]
        return [ri[tuple(key[q] for q in rp)] for key in prk], [ci[tuple(key[q] for q in cp)] for key in pck]

    for u, (wd, kids) in units.items():
        head = keyed(u, wd)
        summed = kids[0][1] is None  # a sum unit (mixed): y = y_A + y_B
        acc = [[[0 if summed else 1] * wd for _ in head[3]] for _ in head[2]]
        for c, name in kids:
            rmap, cmap = restrict(head, c)
            vals, cw = tab[c][4], conv_width(a, units, c)
            for n, rn in enumerate(rmap):
                row, arow = vals[rn], acc[n]
                for m, cn in enumerate(cmap):
                    if summed:
                        arow[m] = [(s + t) % p for s, t in zip(arow[m], row[cn])]
                    else:
                        y = _mv(W[name], row[cn], wd, cw, p)
                        arow[m] = [s * t % p for s, t in zip(arow[m], y)]
        tab[u] = (*head, acc)
    trs, tcs, trk, tck, tvals = tab[top]
    rix = {key: n for n, key in enumerate(trk)}
    cix = {key: n for n, key in enumerate(tck)}
    w = W["w"]
    out = []
    for r in R:
        row = tvals[rix[tuple(r[q] for q in trs)]]
        out.extend(sum(s * t for s, t in zip(w, row[cix[tuple(c[q] for q in tcs)]])) % p for c in C)
    return out


def conv_network(a: dict, names: list, inputs: list, dims: dict, max_cores: int) -> None:
    """overlap / dilated: a copy of a unit's cores per reader; an input read twice copied by ``in{k}``."""
    units, top = conv_units(a)
    copies: dict = {}
    reads = [0] * a["N"]

    def fresh(base):
        k = copies.get(base, 0)
        copies[base] = k + 1
        if len(names) > max_cores:
            raise Malformed(f"the network of this {a['family']} architecture has more than {max_cores} cores, "
                            f"over the checker limit")
        return base if k == 0 else f"{base}.{k}"

    def unit(u):
        lab = fresh(f"h{u[0]}_{u[1]}")
        dims[lab] = units[u][0]
        for c, name in units[u][1]:
            if c[0] == "x":
                reads[c[1]] += 1
                sub = f"d{c[1]}"
            else:
                sub = unit(c)
            names.append(fresh(name))
            inputs.append([lab, sub])
        return lab

    top_label = unit(top)
    names.append("w")
    inputs.append([top_label])
    for k in range(a["N"]):
        if reads[k] == 1:
            for ix in inputs:
                ix[:] = [f"x{k}" if x == f"d{k}" else x for x in ix]
        else:
            dims[f"d{k}"] = a["M"][k]
            names.append(f"in{k}")
            inputs.append([f"x{k}", f"d{k}"])


def frontier_count(a: dict, rows: list) -> int:
    """min over the two sides of prod_f C(C_f + D_f - 1, D_f), f the side's frontier units.

    A unit is pure for a side when its receptive field lies in it; the frontier is the set of
    pure units read by a mixed unit, and D_f counts the paths from the top to f through mixed
    units: the score is a sum of that many monomials in the frontier values, each times a
    function of the other side (docs/grid_tensors.md, section 8).
    """
    from math import comb, prod

    units, top = conv_units(a)
    field = {("x", k): frozenset([k]) for k in range(a["N"])}
    for u, (_, kids) in units.items():
        field[u] = frozenset().union(*(field[c] for c, _ in kids))
    best = None
    for side in (set(rows), set(range(a["N"])) - set(rows)):
        paths, deg = {top: 1}, {}
        for u in sorted(units, reverse=True):
            if u not in paths or field[u] <= side:
                continue
            for c, _ in units[u][1]:
                target = deg if field[c] <= side else paths
                target[c] = target.get(c, 0) + paths[u]
        count = prod(comb(conv_width(a, units, c) + D - 1, D) for c, D in deg.items())
        best = count if best is None else min(best, count)
    return best


def span_count(a: dict, rows: list) -> int:
    """min over the two sides S of R(top): the span count of a mixed network (every weight).

    R(u) is the dimension of the span of x_S -> u_c(x) over channels c and the other inputs:
    R(x_k) = M_k for k in S, else 1; a product unit multiplies its taps' R (a tap W y has
    R <= R(y), and <= the unit's width when y reads S only); a sum unit adds them; a unit that
    reads S only has R <= its width, one that misses S has R = 1, and always
    R <= prod of M_k over the inputs it reads in S. rank [A]_{I,J} <= R(top) since the score
    is a combination of top's channels (docs/grid_tensors.md, section 8).
    """
    from math import prod

    units, top = conv_units(a)
    N = a["N"]
    best = None
    for side in (set(rows), set(range(N)) - set(rows)):
        reads = {("x", k): frozenset([k]) for k in range(N)}
        R = {("x", k): (a["M"][k] if k in side else 1) for k in range(N)}
        for u, (wd, kids) in units.items():
            reads[u] = frozenset().union(*(reads[c] for c, _ in kids))
            if kids[0][1] is None:
                r = sum(R[c] for c, _ in kids)
            else:
                r = 1
                for c, _ in kids:
                    r *= min(R[c], wd) if reads[c] <= side else R[c]
            inside = reads[u] & side
            if not inside:
                r = 1
            else:
                if reads[u] <= side:
                    r = min(r, wd)
                r = min(r, prod(a["M"][k] for k in inside))
            R[u] = r
        best = R[top] if best is None else min(best, R[top])
    return best
