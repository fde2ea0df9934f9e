"""Tensorized layers: the parameter count against the dimension of the set of weight matrices.

A tensorized layer stores its m x n weight matrix W in a tensor format. The reshaping
``rows = (m_1, ..., m_d)``, ``cols = (n_1, ..., n_d)`` (``prod m_k = m``, ``prod n_k = n``) pairs
the k-th row factor with the k-th column factor, as the TT-matrix of Novikov et al. [1]_ does:

    W[(i_1, ..., i_d), (j_1, ..., j_d)] = T[i_1 n_1 + j_1, ..., i_d n_d + j_d],

with row and column multi-indices in C order (i_1 most significant). T has d modes of sizes
``N_k = m_k n_k``, and it is stored as CP (rank R), Tucker (ranks r_1..r_d), TT (ranks
r_1..r_{d-1}), TR (ranks r_1..r_d, a closed ring) or HT (one rank on every edge of the balanced
tree of :func:`tnverify.theory.jacobian.ht_spec`). W -> T is a linear isomorphism, so the set of
weight matrices and the set of tensors of the format have the same dimension (over C).

For a format the module gives

* the **parameter count** P (the entries of the cores);
* the **dimension** of the set (the closure of the image of the parameter map), with a lower
  bound from Terracini's lemma at an integer point mod p (:mod:`tnverify.theory.terracini`) and an
  upper bound from structure: the ambient dimension m n, P, and P minus the rank of the
  infinitesimal gauge action at a point (for CP: R (sum N_k - d + 1), the scalings). The dimension
  is ``proved`` only when the bounds meet in a certificate the independent checker verified;
* the **closed form**, a separate check: TT of full TT-rank, sum_k r_{k-1} N_k r_k -
  sum_{k=1}^{d-1} r_k^2 (Holtz, Rohwedder, Schneider [2]_); Tucker, prod r_k + sum r_k (N_k - r_k)
  [3]_; HT, P - sum_edges r_e^2 [3]_; CP, R (sum N_k - d + 1) when sigma_R is not defective [4]_.
  The tree formulas are theorems only for *full* ranks (below);
* the **effective ranks**: a bond of dimension r between cores A and B may be replaced by
  min(r, a, b), with a (b) the product of the other dimensions of A (B), without changing the
  set: A, as an a x r matrix, equals I_a A, and the factor A moves into B; zero padding gives the
  other inclusion. Repeating this until nothing changes gives the effective ranks; ranks are
  *full* when they are their own effective ranks. Ranks that are not full make the closed forms
  wrong (the set is that of the smaller effective ranks); docs/layers.md has examples.

Budget and limits: the Terracini Jacobian has m n rows, but a minor of a subset of its rows is a
minor of the Jacobian. The tensor-network formats always take that route
(:mod:`tnverify.theory.tn_rows`): rows of the Jacobian and of the gauge action are computed at
random until the rank meets the upper bound, and the checker re-derives only the hinted entries,
so a 1024 x 1024 layer is proved when its r x r minor is at most :data:`SAMPLED_SIDE` x
:data:`SAMPLED_SIDE` (times the square root of the budget factor). CP takes it when its whole
Jacobian is over the budget (:mod:`tnverify.budget`). A part over the budget or the checker's
limits is skipped, with a note, and the status is ``unknown`` with the structural upper bound.

References
----------
.. [1] A. Novikov, D. Podoprikhin, A. Osokin, D. Vetrov, "Tensorizing neural networks", NeurIPS 2015.
.. [2] S. Holtz, T. Rohwedder, R. Schneider, "On manifolds of tensors of fixed TT-rank",
   Numer. Math. 120 (2012), 701-731.
.. [3] A. Uschmajew, B. Vandereycken, "The geometry of algorithms using hierarchical tensors",
   Linear Algebra Appl. 439 (2013), 133-166 (Tucker and HT manifolds).
.. [4] A. Terracini, 1911; J. M. Landsberg, *Tensors: Geometry and Applications*, AMS 2012, ch. 5.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate, dumps
from tnverify.errors import BudgetError, InputError
from tnverify.numeric.modp import FAST_PRIME_BITS, pick_prime, rank_profile, uniform_point
from tnverify.theory import jacobian as J
from tnverify.theory import terracini as G
from tnverify.theory import tn_rows as TN

__all__ = ["FORMATS", "MAX_FACTORS", "Layer", "LayerResult", "make_layer", "layer_spec", "effective_spec",
           "closed_form", "bond_ranks", "checker_cost", "layer_dimension", "dimension_cost", "sweep"]

#: Formats of a tensorized layer and the number of ranks each takes (d = number of factors).
FORMATS = {"cp": "1 rank R", "tucker": "d ranks", "tt": "d-1 ranks", "tr": "d ranks", "ht": "1 rank (every edge)"}
#: Most factors a reshaping may have (the Jacobian builders name at most 50 bonds and legs).
MAX_FACTORS = 16
#: The checker's limits on a tensor network whose minor it re-derives (checker/network_eval.py and
#: checker/families/terracini.py, copied because no module outside the checker may import its
#: internals): hinted rows x multiply-adds per row, cores, ambient dimension and parameters.
CHECKER_NETWORK_WORK, CHECKER_CORES, CHECKER_AMBIENT = 400_000_000, 64, 10_000_000
#: Largest side of a sampled tensor-network minor certified at budget factor 1 (the checker holds about
#: 1 GB of Python integers); it grows as the square root of the factor, up to the checker's limit.
SAMPLED_SIDE = 4096
#: The checker's largest dimension of one leg or block, and most entries of a hinted minor.
CHECKER_SIDE, CHECKER_MINOR_ENTRIES = 10_000, 50_000_000
#: Most operations spent on a gauge bound that the checker cannot verify (it stays ``unknown`` anyway).
UNCHECKED_GAUGE_WORK = 2e10
#: Bytes and operations of one Python integer the checker keeps or multiplies.
_PY_BYTES, _PY_OPS = 40, 50


@dataclass(frozen=True)
class Layer:
    """A tensorized m x n layer: format, paired reshaping and ranks (normalised to the format's count)."""

    format: str
    rows: tuple
    cols: tuple
    ranks: tuple

    @property
    def modes(self) -> tuple:
        """The mode sizes N_k = m_k n_k of the paired tensor."""
        return tuple(a * b for a, b in zip(self.rows, self.cols))

    @property
    def shape(self) -> tuple:
        """(m, n) of the weight matrix."""
        return math.prod(self.rows), math.prod(self.cols)

    def describe(self) -> str:
        """One line: ``tt layer 16x16 = (4x4) x (4x4), ranks 3``."""
        m, n = self.shape
        r = ",".join(map(str, self.ranks)) if len(self.ranks) <= 8 else f"{self.ranks[0]},... ({len(self.ranks)})"
        return (f"{self.format} layer {m}x{n} = ({'x'.join(map(str, self.rows))}) x "
                f"({'x'.join(map(str, self.cols))}), ranks {r}")


def _rank_count(fmt: str, d: int) -> int:
    return {"cp": 1, "ht": 1, "tucker": d, "tr": d, "tt": d - 1}[fmt]


def make_layer(fmt: str, rows, cols, ranks, shape=None) -> Layer:
    """Validate a layer; raises :class:`~tnverify.errors.InputError` with one line saying what was expected.

    ``ranks`` may be one value for every bond (tucker, tt, tr) or the format's count
    (:data:`FORMATS`). Each rank is at least 1 and at most m n, the number of entries of W (no
    bond can be wider than the whole matrix); ``shape = (m, n)``, when given, must be the
    products of ``rows`` and ``cols``.
    """
    if fmt not in FORMATS:
        raise InputError(f"expected a format {', '.join(FORMATS)}, got {fmt!r}")
    rows, cols, ranks = tuple(int(x) for x in rows), tuple(int(x) for x in cols), tuple(int(x) for x in ranks)
    if len(rows) != len(cols):
        raise InputError(f"expected as many row factors as column factors (they are paired into modes), "
                         f"got {len(rows)} and {len(cols)}")
    d = len(rows)
    if not 2 <= d <= MAX_FACTORS:
        raise InputError(f"expected 2 to {MAX_FACTORS} factors in --rows and --cols, got {d}")
    if any(x < 1 for x in rows + cols + ranks):
        raise InputError(f"expected positive factors and ranks, got rows {rows}, cols {cols}, ranks {ranks}")
    m, n = math.prod(rows), math.prod(cols)
    if shape is not None and (int(shape[0]), int(shape[1])) != (m, n):
        raise InputError(f"expected a reshaping of the {shape[0]} x {shape[1]} layer, got row factors with product "
                         f"{m} and column factors with product {n}")
    want = _rank_count(fmt, d)
    if len(ranks) == 1 and fmt in ("tucker", "tt", "tr"):
        ranks = ranks * want
    if len(ranks) != want:
        raise InputError(f"expected {want} rank(s) for {fmt} with {d} factors ({FORMATS[fmt]}), got {len(ranks)}")
    big = max(ranks)
    if big > m * n:
        raise InputError(f"expected {fmt} ranks <= {m * n} (the entries of the {m} x {n} layer; no bond is wider "
                         f"than W), got {big}")
    return Layer(fmt, rows, cols, ranks)


def layer_spec(layer: Layer) -> dict:
    """The parameter map of the layer as a :mod:`tnverify.theory.jacobian` spec (over the modes N_k)."""
    N, r = layer.modes, layer.ranks
    if layer.format == "cp":
        return J.cp_spec(N, r[0])
    return {"tucker": J.tucker_spec, "tt": J.tt_spec, "tr": J.tr_spec, "ht": J.ht_spec}[layer.format](
        N, r[0] if layer.format == "ht" else r)


def _bonds(spec: dict) -> dict:
    """Bond label -> its two ends (core, axis)."""
    ends: dict = {}
    for ci, c in enumerate(spec["cores"]):
        for ax, lab in enumerate(c["labels"]):
            if lab not in spec["outputs"]:
                ends.setdefault(lab, []).append((ci, ax))
    return ends


def effective_spec(spec: dict) -> dict:
    """The spec with every bond reduced to min(r, a, b) until nothing changes (the same set; module docstring).

    For CP (a partially symmetric spec) the spec itself.
    """
    if spec["format"] != "tensor-network":
        return spec
    cores = [{"shape": list(c["shape"]), "labels": list(c["labels"])} for c in spec["cores"]]
    ends = _bonds(spec)
    changed = True
    while changed:
        changed = False
        for lab in sorted(ends):
            (c0, a0), (c1, a1) = ends[lab]
            r = cores[c0]["shape"][a0]
            other = [math.prod(s for i, s in enumerate(cores[c]["shape"]) if i != a) for c, a in ((c0, a0), (c1, a1))]
            new = min(r, *other)
            if new < r:
                cores[c0]["shape"][a0] = cores[c1]["shape"][a1] = new
                changed = True
    return {**spec, "cores": cores}


def bond_ranks(spec: dict) -> dict:
    """Bond label -> dimension, in label order."""
    return {lab: spec["cores"][e[0][0]]["shape"][e[0][1]] for lab, e in sorted(_bonds(spec).items())}


def closed_form(layer: Layer, spec: dict | None = None) -> dict:
    """The literature's formula for the dimension, where one is known, and when it is a theorem.

    Returns ``{"formula", "value", "applies", "condition", "reference"}``: ``applies`` is True
    when the ranks are full (Tucker, TT, HT: the manifold theorems), False when they are not (the
    formula is then not the dimension in general), None for CP (true exactly when sigma_R is not
    defective, which the Jacobian decides) and for TR (no closed form; ``value`` is the gauge count
    P - sum r_k^2 + 1, the scalar gauge acting trivially on a ring).
    """
    spec = spec or layer_spec(layer)
    N, fmt = layer.modes, layer.format
    P = J.param_count(spec)
    if fmt == "cp":
        R, d = layer.ranks[0], len(N)
        return {"formula": "R (sum N_k - d + 1)", "value": R * (sum(N) - d + 1), "applies": None,
                "condition": "sigma_R not defective and R (sum N_k - d + 1) <= m n", "reference": "expected dimension (Terracini)"}
    full = effective_spec(spec) == spec
    b = bond_ranks(spec)
    cond = "full ranks: every bond <= the product of the other dimensions at each of its two cores"
    if fmt == "tt":
        r = (1,) + tuple(layer.ranks) + (1,)
        value = sum(r[k] * N[k] * r[k + 1] for k in range(len(N))) - sum(x * x for x in layer.ranks)
        return {"formula": "sum r_{k-1} N_k r_k - sum_{k=1}^{d-1} r_k^2", "value": value, "applies": full,
                "condition": cond, "reference": "Holtz, Rohwedder, Schneider 2012"}
    if fmt == "tucker":
        r = layer.ranks
        value = math.prod(r) + sum(x * (n - x) for x, n in zip(r, N))
        return {"formula": "prod r_k + sum r_k (N_k - r_k)", "value": value, "applies": full, "condition": cond,
                "reference": "Uschmajew, Vandereycken 2013"}
    if fmt == "ht":
        return {"formula": "P - sum over edges r_e^2", "value": P - sum(x * x for x in b.values()), "applies": full,
                "condition": cond, "reference": "Uschmajew, Vandereycken 2013"}
    return {"formula": "none known; gauge count P - sum r_k^2 + 1", "value": P - sum(x * x for x in b.values()) + 1,
            "applies": None, "condition": "no theorem: tensor rings need not reach the gauge count",
            "reference": ""}


@dataclass
class LayerResult:
    """Parameters, bounds on the dimension with their sources, the closed form, the certificate."""

    layer: Layer
    params: int
    ambient: int
    lower: int | None
    upper: int
    lower_source: str
    upper_source: str
    status: str
    closed: dict
    certificate: Certificate | None = None
    verdict: str = "not run"
    effective: dict | None = None
    notes: list = field(default_factory=list)

    @property
    def dim(self) -> int | None:
        """The dimension when proved, else None."""
        return self.lower if self.status == "proved" else None

    def closed_agrees(self) -> bool | None:
        """Whether the closed form equals the dimension: known when proved, or when it lies outside the bounds."""
        v = self.closed["value"]
        if self.status == "proved":
            return v == self.lower
        if v > self.upper or (self.lower is not None and v < self.lower):
            return False
        return None

    def to_dict(self) -> dict:
        """JSON-ready values (the certificate apart)."""
        L = self.layer
        return {"format": L.format, "rows": list(L.rows), "cols": list(L.cols), "ranks": list(L.ranks),
                "modes": list(L.modes), "shape": list(L.shape), "params": self.params, "ambient": self.ambient,
                "dim": self.dim, "lower": self.lower, "upper": self.upper, "lower_source": self.lower_source,
                "upper_source": self.upper_source, "status": self.status, "checker": self.verdict,
                "closed_form": {**self.closed, "agrees": self.closed_agrees()}, "effective": self.effective,
                "notes": list(self.notes), "field": "C (generic points)"}


# ------------------------------------------------------------------ costs
def checker_cost(spec: dict, r: int) -> tuple[float, float] | None:
    """``(bytes, operations)`` of the checker re-deriving a certificate of ``spec`` with an r x r minor.

    None when the spec is over the checker's own limits (it would answer MALFORMED).
    """
    if r * r > CHECKER_MINOR_ENTRIES:
        return None
    if spec["format"] == "partial-symmetric":
        N = budget.product(n for n, _ in spec["blocks"])
        if N > CHECKER_AMBIENT or spec["rank"] > 100_000 or max(n for n, _ in spec["blocks"]) > CHECKER_SIDE:
            return None
        d = len(spec["blocks"])
        return _PY_BYTES * r * r, _PY_OPS * r * r * d + float(r) ** 3
    dims = {lab: s for c in spec["cores"] for lab, s in zip(c["labels"], c["shape"])}
    N, P = budget.product(dims[o] for o in spec["outputs"]), float(J.param_count(spec))
    k = len(spec["cores"])
    row = TN.checker_row_work(spec)
    if (k > CHECKER_CORES or N > CHECKER_AMBIENT or P > CHECKER_AMBIENT or max(dims.values()) > CHECKER_SIDE
            or r * row > CHECKER_NETWORK_WORK):
        return None
    return 1.5 * _PY_BYTES * r * r, _PY_OPS * (r * row + r * r) + float(r) ** 3


def _cp_sample_cost(spec: dict, target: int) -> tuple[int, float, float]:
    """(rows sampled, bytes, operations) of the row-sampled CP Jacobian and its rank mod p."""
    N = budget.product(n for n, _ in spec["blocks"])
    P = float(spec["rank"] * sum(n for n, _ in spec["blocks"]))
    S = int(min(N, math.ceil(1.05 * target) + 16))
    d = len(spec["blocks"])
    return S, 16.0 * S * P + 24.0 * S * d * spec["rank"], S * P * min(S, P) + 6.0 * S * d * spec["rank"]


def _fits(what: str, memory: float, work: float) -> str | None:
    """None when the request fits the budget, else the budget's one-line message."""
    try:
        budget.require(what, memory=memory, work=work)
    except BudgetError as e:
        return str(e)
    return None


def _plan(spec: dict) -> dict:
    """What :func:`layer_dimension` will run for ``spec``, each part judged against the budget alone.

    ``lower``: ``"full"`` (the whole Jacobian, :func:`tnverify.theory.terracini.format_dimension`),
    ``"sampled"`` (rows of it) or None; ``gauge``: whether the gauge rank is computed; ``certify``:
    whether the checker can re-derive the certificate; ``memory``/``work``: the total of the parts;
    ``notes``: why a part is skipped. Tensor networks: :func:`_network_plan`.
    """
    if spec["format"] == "tensor-network":
        return _network_plan(spec)
    N, P = J.ambient_dim(spec), J.param_count(spec)
    target = min(N, G.per_term(spec["blocks"]) * spec["rank"])
    plan = {"lower": None, "gauge": False, "certify": False, "memory": 0.0, "work": 0.0, "notes": []}
    check = checker_cost(spec, min(target, 10**7))
    if check is None:
        plan["notes"].append(f"no certificate: the {J.describe(spec)} is over the independent checker's limits "
                             f"(ambient <= {CHECKER_AMBIENT}, a minor of at most {CHECKER_MINOR_ENTRIES} entries)")
        return plan
    over = _fits("checking the certificate of the layer", *check)
    if over:
        plan["notes"].append(f"no certificate: {over}")
        return plan
    plan["certify"] = True
    mem, work = J.jacobian_cost(spec)
    over = _fits(f"the Terracini Jacobian of the {J.describe(spec)} ({N} x {P})", mem, 3 * work)
    if over is None:
        plan["lower"] = "full"
    else:
        S, mem, work = _cp_sample_cost(spec, target)
        over = _fits(f"the Terracini Jacobian of the {J.describe(spec)} on {S} sampled rows", mem, work)
        if over is None:
            plan["lower"] = "sampled"
        else:
            plan["notes"].append(f"no lower bound: {over}")
            return plan
    plan["memory"], plan["work"] = max(check[0], mem), check[1] + (3 * work if plan["lower"] == "full" else work)
    return plan


def max_side() -> float:
    """The largest side of a sampled tensor-network minor certified at the budget in force (:data:`SAMPLED_SIDE`)."""
    f = budget.factor()
    return math.isqrt(CHECKER_MINOR_ENTRIES) if f == math.inf else min(math.isqrt(CHECKER_MINOR_ENTRIES),
                                                                      SAMPLED_SIDE * math.sqrt(f))


def _network_plan(spec: dict) -> dict:
    """:func:`_plan` for a tensor network: sampled rows of the gauge action and of the Jacobian.

    The expected rank is min(m n, P, P - sum r_e^2) (the gauge acting freely, as it does at full
    ranks); the certificate is planned when its minor has at most :func:`max_side` rows and the
    checker's re-derivation (:func:`checker_cost`) and the prover's rows (``tn_rows.rows_cost``)
    fit the budget. An unchecked gauge bound is computed only below :data:`UNCHECKED_GAUGE_WORK`.
    """
    N, P = J.ambient_dim(spec), J.param_count(spec)
    target = min(N, P, max(P - TN.gauge_count(spec), 1))
    plan = {"lower": None, "gauge": False, "certify": False, "memory": 0.0, "work": 0.0, "notes": [],
            "side": max_side()}

    def add(mem, work):
        plan["memory"], plan["work"] = max(plan["memory"], mem), plan["work"] + work

    check = checker_cost(spec, target)
    if target > plan["side"]:
        plan["notes"].append(f"no lower bound: the Jacobian minor would be about {target} x {target}, over the "
                             f"largest certified here ({plan['side']:.0f} x {plan['side']:.0f}; the side grows as the "
                             f"square root of --budget N, up to the checker's {math.isqrt(CHECKER_MINOR_ENTRIES)})")
    elif check is None:
        plan["notes"].append(f"no certificate: the {J.describe(spec)} is over the independent checker's limits "
                             f"(ambient and parameters <= {CHECKER_AMBIENT}, <= {CHECKER_CORES} cores, hinted rows x "
                             f"work per row <= {CHECKER_NETWORK_WORK})")
    else:
        S = TN.sample_size(target, N)
        rows = TN.rows_cost(spec, S, target)
        over = (_fits("checking the certificate of the layer", *check)
                or _fits(f"the Terracini Jacobian of the {J.describe(spec)} on {S} sampled rows", *rows))
        if over:
            plan["notes"].append(f"no lower bound: {over}")
        else:
            plan["lower"], plan["certify"] = "sampled", True
            add(*check)
            add(*rows)
    cost = TN.gauge_cost(spec)
    over = _fits(f"the gauge action of the {J.describe(spec)}", *cost)
    if over is None and not plan["certify"] and cost[1] > UNCHECKED_GAUGE_WORK:
        over = (f"the gauge action needs about {budget.human(cost[1])} operations and no checker "
                f"could verify it (limit {budget.human(UNCHECKED_GAUGE_WORK)} for an unchecked bound)")
    if over:
        plan["notes"].append(f"gauge bound not computed: {over}")
    else:
        plan["gauge"] = True
        add(*cost)
    return plan


def dimension_cost(layer: Layer) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`layer_dimension`: the parts that fit the budget, for the stated and
    the effective ranks (floats from the sizes)."""
    spec = layer_spec(layer)
    a = _plan(spec)
    eff = effective_spec(spec)
    b = _plan(eff) if eff != spec else {"memory": 0.0, "work": 0.0}
    return max(a["memory"], b["memory"]), a["work"] + b["work"]


# ------------------------------------------------------------------ dimension
def _cp_sampled(spec: dict, target: int, seed: int) -> tuple:
    """Rank mod p of the CP Jacobian on a random subset of its rows: (rank, rows, cols, p, point).

    Row a (a multi-index) and column (block k, j, r) hold [j == a_k] prod_{l != k} L_l[a_l, r]
    (C order over the blocks, parameters L_k (N_k x R) block after block). A nonsingular minor
    of these rows is a minor of the whole Jacobian, so its size is a lower bound on the rank.
    """
    blocks, R = spec["blocks"], spec["rank"]
    Ns = [n for n, _ in blocks]
    d, Ntot = len(Ns), math.prod(Ns)
    S, _, _ = _cp_sample_cost(spec, target)
    rng = np.random.default_rng([seed, 13])
    p = pick_prime(rng, FAST_PRIME_BITS)
    point = [uniform_point(rng, p, (n, R)) for n in Ns]
    if S >= Ntot:
        idx = np.arange(Ntot, dtype=np.int64)
    else:
        idx = np.unique(rng.integers(0, Ntot, size=2 * S, dtype=np.int64))
        idx = np.sort(rng.permutation(idx)[:S])
    a = np.stack(np.unravel_index(idx, Ns), axis=1)  # (S, d)
    V = np.stack([point[k][a[:, k]] for k in range(d)], axis=1) % p  # (S, d, R)
    pre = np.ones((len(idx), d + 1, R), dtype=np.int64)
    suf = np.ones((len(idx), d + 1, R), dtype=np.int64)
    for k in range(d):
        pre[:, k + 1] = pre[:, k] * V[:, k] % p
        suf[:, d - k - 1] = suf[:, d - k] * V[:, d - k - 1] % p
    offs = np.cumsum([0] + [n * R for n in Ns])
    M = np.zeros((len(idx), int(offs[-1])), dtype=np.int64)
    s = np.arange(len(idx))[:, None]
    for k in range(d):
        M[s, offs[k] + a[:, k:k + 1] * R + np.arange(R)[None, :]] = pre[:, k] * suf[:, k + 1] % p
    res = rank_profile(M, p, reduced=True)
    return res.rank, sorted(int(idx[i]) for i in res.rows), sorted(res.cols), p, point


def _cp_upper(spec: dict, cert: Certificate | None) -> tuple[int, str]:
    """The least of ambient and parameters (scalings removed) of a CP spec, as a certificate step with ``cert``."""
    ups = [(J.ambient_dim(spec), "ambient"), (G.per_term(spec["blocks"]) * spec["rank"], "parameters")]
    u, src = min(ups, key=lambda t: t[0])
    if cert is not None:
        cert.add_step("dim-at-most", id=f"upper-{len(cert.steps)}", variety=spec, method=src, rank=u)
    return u, src


def _dimension_of(spec: dict, seed: int, notes: list) -> dict:
    """Bounds on the dimension of the image of ``spec`` following :func:`_plan`, with their certificate."""
    plan = _plan(spec)
    notes.extend(plan["notes"])
    if spec["format"] == "tensor-network":
        d = TN.network_dimension(spec, seed, gauge=plan["gauge"], lower=plan["lower"] == "sampled",
                                 certify=plan["certify"], max_side=plan["side"])
        notes.extend(d.pop("notes"))
        return d
    N = J.ambient_dim(spec)
    if plan["lower"] == "full":
        r = G.format_dimension(spec, seed)
        return {"lower": r.lower, "upper": r.upper, "lower_source": f"Jacobian rank mod {r.prime} (Terracini)",
                "upper_source": r.upper_source, "certificate": r.certificate}
    if plan["lower"] == "sampled":
        rk, rows, cols, p, point = _cp_sampled(spec, min(N, G.per_term(spec["blocks"]) * spec["rank"]), seed)
        cert = Certificate()
        cert.add_step("jacobian-rank-at-least", id="jac-sampled", map=spec,
                      point=[np.asarray(x).tolist() for x in point], modulus=p, rank=rk,
                      minor={"rows": rows, "cols": cols})
        cert.conclude("dim-at-least", {"variety": spec}, rk)
        u, src = _cp_upper(spec, cert)
        cert.conclude("dim-at-most", {"variety": spec}, u)
        if rk == u:
            cert.add_step("dimension", id="dim", variety=spec, rank=u)
            cert.conclude("dim", {"variety": spec}, u)
        return {"lower": rk, "upper": u, "lower_source": f"Jacobian rank mod {p} on sampled rows (Terracini)",
                "upper_source": src, "certificate": cert}
    u, src = _cp_upper(spec, None)
    return {"lower": None, "upper": u, "lower_source": "not computed", "upper_source": src, "certificate": None}


def _verify(cert: Certificate | None) -> str:
    from tnverify.checker import check

    if cert is None:
        return "not run"
    v = check(dumps(cert))
    return v.status if v.ok else f"{v.status}: {v.message}"


def layer_dimension(layer: Layer, seed: int = 0, *, verify: bool = True) -> LayerResult:
    """Parameters, dimension bounds, closed form and effective ranks of a tensorized layer.

    Parameters
    ----------
    layer : Layer
        From :func:`make_layer`.
    seed : int
        Seed of the points and primes (recorded in the certificate).
    verify : bool
        Send the certificate through :func:`tnverify.checker.check`; ``proved`` needs VERIFIED
        (the theorem runner checks on its own and passes False).

    Returns
    -------
    LayerResult
        ``proved`` when the Jacobian lower bound meets a structural upper bound and (with
        ``verify``) the checker verified the certificate; otherwise ``unknown`` with the bounds.
        When the ranks are not full, ``effective`` holds the same for the effective ranks, whose
        set is the same (module docstring), with its own status; their proved upper bound, when
        lower, becomes this layer's (the checker's ``dim-at-most`` method ``effective-ranks``).

    Complexity: the Jacobian has m n rows and P columns. Tensor networks use S of its rows, S about
    1.05 x the dimension (:mod:`tnverify.theory.tn_rows`), rank S P min(S, P), and the checker an
    r x r minor (r the dimension); CP uses the whole Jacobian, m n P min(m n, P), when it fits.
    Everything is estimated against the budget first and skipped (with a note) when over it.
    """
    spec = layer_spec(layer)
    notes: list = []
    d = _dimension_of(spec, seed, notes)
    cert = d["certificate"]
    status = "proved" if d["lower"] is not None and d["lower"] == d["upper"] and cert is not None else "unknown"
    res = LayerResult(layer, J.param_count(spec), J.ambient_dim(spec), d["lower"], d["upper"], d["lower_source"],
                      d["upper_source"], status, closed_form(layer, spec), cert, notes=notes)
    eff = effective_spec(spec)
    if eff != spec:
        e_notes: list = []
        e = _dimension_of(eff, seed, e_notes)
        e_status = "proved" if e["lower"] is not None and e["lower"] == e["upper"] and e["certificate"] else "unknown"
        if e["certificate"] is not None:
            if cert is None:
                cert = res.certificate = Certificate()
            cert.merge(e["certificate"], prefix="effective-")
        P_e = J.param_count(eff)
        b = bond_ranks(eff)
        res.effective = {"ranks": b, "params": P_e, "lower": e["lower"], "upper": e["upper"], "status": e_status,
                         "closed_form": P_e - sum(x * x for x in b.values()) if layer.format != "tr" else None,
                         "notes": e_notes}
        if e["certificate"] is not None:
            _bounds_from_effective(res, spec, e, b)
    if verify:
        res.verdict = _verify(res.certificate)
        if res.verdict != "VERIFIED":
            res.status = "unknown"
            if res.effective:
                res.effective["status"] = "unknown"
    return res


def _bounds_from_effective(res: LayerResult, spec: dict, e: dict, ranks: dict) -> None:
    """The effective ranks' proved bounds are this layer's: both parametrisations have one image.

    A better upper bound adds the checker step ``dim-at-most`` (method ``effective-ranks``: the
    checker shrinks the bonds itself and requires the effective network's bound, which the
    merged certificate derives); a better lower bound the step
    ``dim-at-least-from-effective-ranks`` (the smaller bonds embed by zero padding, so the
    effective network's image lies in this one's). When the bounds then meet, the ``dimension``
    step proves the dimension.
    """
    cert = res.certificate
    same = f"effective ranks {list(ranks.values())} (the same set)"
    if e["lower"] is not None and (res.lower is None or e["lower"] > res.lower):
        cert.add_step("dim-at-least-from-effective-ranks", id="effective-ranks-lower", variety=spec, rank=e["lower"])
        res.lower, res.lower_source = e["lower"], same
    if e["upper"] is not None and e["upper"] < res.upper:
        cert.add_step("dim-at-most", id="effective-ranks", variety=spec, method="effective-ranks", rank=e["upper"])
        cert.conclude("dim-at-most", {"variety": spec}, e["upper"])
        res.upper, res.upper_source = e["upper"], same
    if res.status != "proved" and res.lower is not None and res.lower == res.upper:
        if not any(st["rule"] == "dim-at-most" and st.get("variety") == spec for st in cert.steps):
            if res.upper != J.ambient_dim(spec):
                return  # no step of this certificate derives the upper bound
            cert.add_step("dim-at-most", id="ambient-upper", variety=spec, method="ambient", rank=res.upper)
        cert.add_step("dimension", id="dim-effective", variety=spec, rank=res.upper)
        cert.conclude("dim", {"variety": spec}, res.upper)
        res.status = "proved"


def sweep(fmt: str, rows, cols, ranks_list, seed: int = 0, shape=None) -> list[dict]:
    """One row per uniform rank r of ``ranks_list``: parameters, bounds, status, closed form.

    Every layer is validated before any work. The points run in order while their total stays in
    the budget (:func:`dimension_cost`); a point past it gets only its counts and closed form, with
    status ``unknown`` (never a partial computation).
    """
    layers = [make_layer(fmt, rows, cols, [r], shape) for r in ranks_list]
    out, mem, work = [], 0.0, 0.0
    for r, L in zip(ranks_list, layers):
        m1, w1 = dimension_cost(L)
        over = _fits(f"the sweep over the ranks {','.join(map(str, ranks_list))}", max(mem, m1), work + w1)
        if over is None:
            mem, work = max(mem, m1), work + w1
            res = layer_dimension(L, seed)
        else:
            spec = layer_spec(L)
            res = LayerResult(L, J.param_count(spec), J.ambient_dim(spec), None,
                              min(J.ambient_dim(spec), J.param_count(spec)), "not computed", "ambient/parameters",
                              "unknown", closed_form(L, spec), notes=[over])
        d = res.to_dict()
        out.append({"rank": r, "params": d["params"], "ambient": d["ambient"], "lower": d["lower"],
                    "upper": d["upper"], "status": d["status"], "closed_form": d["closed_form"]["value"],
                    "closed_form_applies": d["closed_form"]["applies"], "closed_form_agrees": d["closed_form"]["agrees"],
                    "effective_dim": (d["effective"] or {}).get("lower") if (d["effective"] or {}).get("status") ==
                    "proved" else None})
    return out
