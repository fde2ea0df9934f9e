"""Matricization ranks of rectifier networks' grid tensors, on a set of positive measure.

A rectifier network (:mod:`tnverify.networks.rectifier`) is piecewise polynomial in its
weights, not polynomial, so one point never proves a *generic* rank. It proves this much
(docs/rectifier.md):

* **Lower bound, on an open set.** At explicit rational weights, a block of the flattening
  [A]_{I,J} on sampled distinct template sequences has an r x r minor that is nonzero mod a
  prime p, hence nonzero over Q. Every breakpoint margin of the minor's r^2 forward passes is
  checked exactly (no zero pre-activation, no tie in a max pooling between different local
  polynomials). Then each entry is a polynomial in the weights on a neighbourhood of the
  point, so the minor is a polynomial that is nonzero at the point: it is nonzero on an open
  set of weights, a set of positive measure, and rank [A]_{I,J} >= r there. (Continuity of the
  forward pass alone gives the open set; the margins make the minor a polynomial there, so the
  bound holds for almost every weight of the whole activation region of the point.)
* **Upper bounds, for every weight** (structure only, never sampling): the shape
  min(M^|I|, M^|J|); for the shallow ``relu-cp``, ``Z`` (product pooling), ``2`` (average
  pooling) or Z (1 + min(|I|, |J|) M) (max pooling; Z (M + 1) with shared weights); for average
  pooling, 2 for the split at the last pooling (the score is a sum of a function of each side).
* **"Almost all weights"** needs more than one point: :func:`rectifier_sampling` evaluates many
  random points and reports ``numerical`` evidence (the count and the smallest rank seen).

The notion is ``rank on a set of positive measure`` (:data:`tnverify.results.NOTIONS`).

References
----------
.. [1] N. Cohen, A. Shashua, "Convolutional rectifier networks as generalized tensor
   decompositions", ICML 2016.
.. [2] V. Khrulkov, O. Hrinchuk, I. Oseledets, "Generalized tensor models for recurrent neural
   networks", ICLR 2019.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field as dc_field
from fractions import Fraction

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.networks.forward import tree_leaves
from tnverify.networks.rectifier import Breakpoint, RectArch, evaluate, exact_weights, grid_block, random_weights
from tnverify.numbers import enc
from tnverify.numeric.modp import random_prime, rank_profile
from tnverify.results import Bounds, Notion

__all__ = ["RectifierResult", "upper_bounds", "rectifier_separation", "rectifier_object", "rectifier_sampling",
           "rectifier_certificate", "shallow_channels", "shallow_match", "match_inputs", "match_channels",
           "MAX_BLOCK", "NOTION", "MAX_MATCH_SEQUENCES", "MAX_MATCH_CHANNELS"]

#: Most sampled template sequences per side of a block (the checker recomputes r^2 forward passes).
MAX_BLOCK = 256
NOTION = "rank on a set of positive measure"


@dataclass(kw_only=True)
class RectifierResult(Bounds):
    """Bounds on the rank of [A]_{I,J} on a set of positive measure (lower) and for every weight (upper)."""

    notion: Notion = NOTION
    field: str = "Q"
    rank: int | None = None
    arch: RectArch
    rows: tuple
    bounds: dict = dc_field(default_factory=dict)
    margin: Fraction | int | None = None
    block: tuple = ()
    seconds: float = 0.0

    @property
    def subject(self) -> str:
        """What the claim is about."""
        return f"the grid tensor of {self.arch.describe()}"

    def to_dict(self) -> dict:
        return {**super().to_dict(), "subject": self.subject, "rank": self.rank, "rows": list(self.rows),
                "architecture": self.arch.params(), "upper_bounds": dict(self.bounds),
                "margin": None if self.margin is None else str(self.margin), "block": list(self.block),
                "seconds": round(self.seconds, 6)}

    def text(self) -> str:
        head = f"{self.subject}, partition I={list(self.rows)}"
        up = f"{self.upper} = min({'; '.join(f'{k} {v}' for k, v in self.bounds.items())}), for every weight"
        low = (f"nonzero {self.lower}x{self.lower} minor of a {self.block[0]}x{self.block[1]} block on sampled "
               f"template sequences mod {self.primes[-1]} (seed {self.seeds[-1]}), least breakpoint margin "
               f"{self.margin}" if self.lower else "none")
        if self.status == "proved":
            what = f"rank on a set of positive measure = {self.rank} (proved)"
        else:
            what = f"rank on a set of positive measure: {self.lower} <= rank <= {self.upper} ({self.status})"
        return f"{head}\n{what}\n  upper: {up}\n  lower: {low}\n  {self.seconds:.3f} s"


def upper_bounds(a: RectArch, rows) -> dict:
    """Structural upper bounds on rank [A]_{I,J}, valid for every weight (docs/rectifier.md, "Upper bounds")."""
    rows = sorted(rows)
    cols = sorted(set(range(a.N)) - set(rows))
    out = {"shape": min(a.M ** len(rows), a.M ** len(cols))}
    if a.family == "relu-cp":
        Z = a.widths[0]
        if a.pooling == "product":
            out["shallow"] = Z
        elif a.pooling == "max":
            out["shallow"] = Z * (1 + (1 if a.shared else min(len(rows), len(cols))) * a.M)
    if a.pooling == "avg" and additive_split(a, rows):
        out["additive"] = 2
    return out


def additive_split(a: RectArch, rows) -> bool:
    """Is {rows, rest} a split at which an average-pooled network's score is a sum f(x_I) + g(x_J)?"""
    rows = sorted(rows)
    if a.family == "relu-cp":
        return True
    if a.family == "relu-tt":
        return rows in ([a.N - 1], list(range(a.N - 1)))
    left = sorted(tree_leaves(a.tree[0]))
    return rows in (left, sorted(set(range(a.N)) - set(left)))


def _mod(x, p: int) -> int:
    if isinstance(x, Fraction):
        return x.numerator % p * pow(x.denominator, -1, p) % p
    return int(x) % p


def _denominators(a: RectArch, W: dict) -> int:
    d = math.lcm(*(x.denominator for t in a.templates for x in t if isinstance(x, Fraction)), 1)
    for v in W.values():
        d = math.lcm(d, *(x.denominator for x in v.ravel().tolist() if isinstance(x, Fraction)), 1)
    return d * (2 * a.N if a.pooling == "avg" else 1)


def _sequences(rng, M: int, k: int, s: int) -> np.ndarray:
    total = M ** k
    if total <= s:
        return np.array(np.unravel_index(np.arange(total), (M,) * k)).T.reshape(total, k)
    picks = rng.choice(total, size=s, replace=False) if total < 2**62 else None
    if picks is None:
        seen: dict = {}
        while len(seen) < s:
            seen.setdefault(tuple(rng.integers(0, M, k).tolist()), None)
        return np.array(list(seen), dtype=np.int64)
    return np.array(np.unravel_index(np.sort(picks), (M,) * k)).T.reshape(s, k)


def _index(seq, M: int) -> int:
    out = 0
    for d in seq:
        out = out * M + int(d)
    return out


def _attempt(a: RectArch, rows, W: dict, upper: int, rng, p: int, max_block: int):
    """Grow a sampled block until its rank stops growing; (rank, R, C, pivot rows, pivot cols, shape)."""
    cols = sorted(set(range(a.N)) - set(rows))
    cap = min(a.M ** len(rows), a.M ** len(cols), max_block)
    s, last = min(32, cap), -1
    to_p = np.frompyfunc(lambda x: _mod(x, p), 1, 1)
    while True:
        R, C = _sequences(rng, a.M, len(rows), s), _sequences(rng, a.M, len(cols), s)
        F = to_p(grid_block(a, W, rows, R, C)).astype(np.int64)
        res = rank_profile(F, p, reduced=True)
        r = res.rank
        if r >= upper or s >= cap or (r < s and r == last):
            return r, R, C, list(res.rows), list(res.cols), F.shape
        last, s = r, min(2 * s, cap)


def _margin(a: RectArch, W: dict, rows, Rsel, Csel):
    """Least breakpoint margin over the minor's forward passes (None: no comparison); Breakpoint if one is 0."""
    cols = sorted(set(range(a.N)) - set(rows))
    seqs = []
    for r in Rsel:
        for c in Csel:
            seq = [0] * a.N
            for q, k in enumerate(rows):
                seq[k] = int(r[q])
            for q, k in enumerate(cols):
                seq[k] = int(c[q])
            seqs.append(seq)
    return evaluate(a, W, seqs)[1]


def rectifier_separation(a: RectArch, rows, seed: int = 0, attempts: int = 3, weights: dict | None = None,
                         max_block: int = MAX_BLOCK, certificate: bool = True, prefix: str = "") -> RectifierResult:
    """Rank of [A]_{I,J} on a set of positive measure: a proved lower bound against structural upper bounds.

    Each attempt draws integer weights (or takes ``weights``, exact rationals) and a prime p
    (2^19 < p < 2^20, coprime to every denominator), grows a block on sampled distinct template
    sequences (32 per side, doubled while the rank grows, at most ``max_block``), takes a pivot
    minor mod p and checks the breakpoint margins of its r^2 forward passes exactly. ``proved``
    when the lower bound meets the least upper bound and the certificate is verified (the caller
    runs the checker). Cost per attempt: O(max_block^2) exact forward passes and one rank mod p.
    """
    t0 = time.perf_counter()
    rows = tuple(sorted(rows))
    cols = sorted(set(range(a.N)) - set(rows))
    if not rows or not cols:
        from tnverify.errors import InputError
        raise InputError(f"a partition needs inputs on both sides, got I={list(rows)} of {a.N} inputs")
    bounds = upper_bounds(a, rows)
    upper = min(bounds.values())
    cap = min(a.M ** len(rows), a.M ** len(cols), max_block)
    budget.require(f"a {cap} x {cap} block of the grid tensor of {a.describe()}",
                   work=cap * cap * (a.N * a.D * max(a.widths) ** 2 + 1) * 20,
                   memory=cap * cap * 200)
    best, seeds, primes = None, [], []
    for att in range(max(1, attempts) if weights is None else 1):
        rng = np.random.default_rng(seed + att)
        W = exact_weights(a, weights) if weights is not None else random_weights(a, rng)
        den = _denominators(a, W)
        p = random_prime(rng, bits=20)
        while den % p == 0:
            p = random_prime(rng, bits=20)
        r, R, C, pr, pc, shp = _attempt(a, rows, W, upper, rng, p, max_block)
        seeds.append(seed + att)
        primes.append(p)
        try:
            margin = _margin(a, W, rows, R[pr], C[pc])
        except Breakpoint:
            continue
        if best is None or r > best[0]:
            best = (r, [_index(R[i], a.M) for i in pr], [_index(C[j], a.M) for j in pc], p, W, margin, shp)
        if r >= upper:
            break
    if best is None:
        res = RectifierResult(status="unknown", lower=0, upper=upper, arch=a, rows=rows, bounds=bounds,
                              seeds=seeds, primes=primes)
    else:
        r, ri, ci, p, W, margin, shp = best
        status = "proved" if r == upper else "unknown"
        res = RectifierResult(status=status, lower=r, upper=upper, rank=r if status == "proved" else None, arch=a,
                              rows=rows, bounds=bounds, margin=margin, block=tuple(shp), seeds=seeds, primes=primes)
        if certificate:
            res.certificate = rectifier_certificate(res, W, p, ri, ci, prefix=prefix)
    res.seconds = time.perf_counter() - t0
    return res


def rectifier_object(a: RectArch, weights: dict | None = None) -> dict:
    """A ``rectifier`` object of a certificate: the parameters, and a point's weights flat in ``entries``.

    ``entries`` lists the weights in the order of :func:`tnverify.networks.rectifier.weight_shapes`,
    each in C order (empty for the family).
    """
    from tnverify.networks.rectifier import weight_shapes

    o = {"type": "rectifier", **a.params(), "entries": []}
    if weights is not None:
        o["entries"] = [enc(x) for n in weight_shapes(a) for x in np.asarray(weights[n]).ravel().tolist()]
    return o


def rectifier_certificate(res: RectifierResult, weights: dict, p: int, ri, ci, prefix: str = "",
                          cert: Certificate | None = None) -> Certificate:
    """Certificate: the structural upper bounds, a minor at a breakpoint-free point, and its lift to an open set."""
    cert = cert or Certificate()
    fam, pt = f"{prefix}family", f"{prefix}point"
    rows = list(res.rows)
    cert.objects[fam] = rectifier_object(res.arch)
    cert.objects[pt] = rectifier_object(res.arch, weights)
    rule = {"shape": "relu-shape-bound", "shallow": "relu-shallow-bound", "additive": "relu-additive-bound"}
    for name, value in res.bounds.items():
        cert.add_step(rule[name], id=f"{prefix}upper-{name}", rectifier=fam, rows=rows, rank=value)
    subject = {"rectifier": fam, "rows": rows}
    if res.lower > 0:
        cert.add_step("relu-rank-at-least", id=f"{prefix}point-lower", point=pt, rows=rows, modulus=p,
                      minor={"rows": [int(i) for i in ri], "cols": [int(j) for j in ci]}, rank=res.lower,
                      margin="none" if res.margin is None else str(res.margin))
        cert.add_step("relu-open-set-from-point", id=f"{prefix}lower", point=pt, family=fam, rows=rows,
                      rank=res.lower)
        cert.conclude("open-set-rank-at-least", subject, res.lower)
    cert.conclude("everywhere-rank-at-most", subject, res.upper)
    cert.claim.update({"architecture": res.arch.params(), "object": res.subject, "rows": rows,
                       "status": res.status, "seeds": res.seeds, "primes": [str(q) for q in res.primes],
                       "notion": NOTION + " (lower bound on an open set of weights, upper bound for every weight)"})
    return cert


def rectifier_sampling(a: RectArch, rows, count: int = 20, seed: int = 0, max_block: int = 64) -> dict:
    """Numerical evidence for an "almost all weights" statement: the rank at ``count`` random points.

    Each point's rank is the rank mod p of one sampled block (a lower bound on the point's rank);
    points with a breakpoint in the minor are counted apart. Returns ``{"status": "numerical",
    "count", "smallest", "largest", "ranks", "breakpoints"}``; never a proof of anything about
    almost every weight.
    """
    rows = tuple(sorted(rows))
    upper = min(upper_bounds(a, rows).values())
    ranks, hits = [], 0
    for t in range(count):
        rng = np.random.default_rng(seed + t)
        W = random_weights(a, rng)
        p = random_prime(rng, bits=20)
        while _denominators(a, W) % p == 0:
            p = random_prime(rng, bits=20)
        r, R, C, pr, pc, _ = _attempt(a, rows, W, upper, rng, p, max_block)
        try:
            _margin(a, W, rows, R[pr], C[pc])
        except Breakpoint:
            hits += 1
        ranks.append(r)
    return {"status": "numerical", "count": count, "smallest": min(ranks), "largest": max(ranks), "ranks": ranks,
            "breakpoints": hits, "upper": upper}


def shallow_channels(a: RectArch, rows, lower: int, cert: Certificate | None = None) -> tuple:
    """(per-channel bound c, channels needed) for a shallow relu-cp network to reach ``lower`` at ``rows``.

    The shallow network has ``a``'s templates, pooling (max or product) and sharing. Every one
    with Z channels has rank <= Z c for every weight (:func:`upper_bounds`), so fewer than
    ceil(lower / c) channels never reach ``lower``. With ``cert``, the shallow family with one
    channel fewer and its ``relu-shallow-bound`` step are added.
    """
    from tnverify.networks.rectifier import rect_spec

    if a.pooling == "avg":
        from tnverify.errors import InputError
        raise InputError("a shallow average-pooled network has rank <= 2 whatever its width: compare needs "
                         "--pooling max or product")
    T = [list(t) for t in a.templates]
    per = upper_bounds(rect_spec("relu-cp", a.N, [1], templates=T, pooling=a.pooling, shared=a.shared,
                                 activation=a.activation), rows)["shallow"]
    need = max(1, math.ceil(lower / per))
    if need > 1 and cert is not None:
        below = rect_spec("relu-cp", a.N, [need - 1], templates=T, pooling=a.pooling, shared=a.shared,
                          activation=a.activation)
        cert.objects["shallow_family"] = rectifier_object(below)
        cert.add_step("relu-shallow-bound", id="shallow-upper", rectifier="shallow_family", rows=list(rows),
                      rank=(need - 1) * per)
        cert.conclude("everywhere-rank-at-most", {"rectifier": "shallow_family", "rows": list(rows)},
                      (need - 1) * per)
    return per, need


#: Most template sequences (M^N) a shallow match evaluates: the prover and the checker see all of them;
#: most channels of its shallow network (the checker's largest width).
MAX_MATCH_SEQUENCES, MAX_MATCH_CHANNELS = 1 << 16, 1 << 10


def match_channels(M: int, s: int) -> int:
    """Channels of the shallow network that realizes every function of ``s`` inputs: (M + 1)^s - 1."""
    return (M + 1) ** s - 1


def match_inputs(a: RectArch, inputs) -> list:
    """The inputs S of a shallow match, validated with the network before any work (one-line errors)."""
    from tnverify.errors import InputError

    S = sorted(set(int(i) for i in ([inputs] if isinstance(inputs, int) else inputs)))
    if a.family != "relu-ht" or a.activation != "relu" or a.pooling != "max" or a.shared:
        raise InputError(f"a shallow match needs an unshared relu-ht network with ReLU and max pooling, got "
                         f"{a.describe()}")
    if not S or S[0] < 0 or S[-1] >= a.N:
        raise InputError(f"expected the matched inputs as a nonempty subset of 0..{a.N - 1}, got {list(inputs)}")
    onehot = [[int(i == d) for i in range(a.M)] for d in range(a.M)]
    if [list(t) for t in a.templates] != onehot:
        raise InputError("a shallow match needs one-hot templates (the OR channels read one template each)")
    if match_channels(a.M, len(S)) > MAX_MATCH_CHANNELS:
        raise InputError(f"matching the inputs {S} needs (M+1)^|S| - 1 = {match_channels(a.M, len(S))} shallow "
                         f"channels; the checker takes at most {MAX_MATCH_CHANNELS} (use fewer inputs)")
    if a.M ** a.N > MAX_MATCH_SEQUENCES:
        raise InputError(f"a shallow match evaluates all M^N = {a.M ** a.N} template sequences; at most "
                         f"{MAX_MATCH_SEQUENCES} are allowed")
    return S


def shallow_match(a: RectArch, inputs, seed: int = 0, prefix: str = "", cert: Certificate | None = None) -> dict:
    """A deep ReLU/max network matched exactly by a shallow one on an open set of its weights.

    Construction (docs/rectifier.md, section 4). The point W0 has random weights, except at the
    leaves outside ``inputs`` (S), whose weights (and biases) are negative: with templates of
    nonnegative entries their pre-activations are < 0 on every template, so their ReLUs give 0
    on a neighbourhood of W0, and with every comparison strict (checked exactly) the score
    near W0 is a function g_W(d_S) of the templates at S alone. The shallow relu-cp network has
    one channel per nonempty T subset of S and u in [M]^T, an OR: with one-hot templates,
    relu(A_i[d, z]) = [d = u_i] for i in T and 0 elsewhere, so max-pooling gives
    OR_{i in T} [d_i = u_i]. By inclusion-exclusion, [d_S = t] = sum_{T} (-1)^{|T|+1}
    OR_{i in T} [d_i = t_i], so the top weights lam_(T,u) = (-1)^{|T|+1} sum_{t: t_T = u} g(t)
    realize g, whatever g is: every network of the open set is realized with
    Z = (M + 1)^|S| - 1 channels.

    Returns ``{"point": W0, "shallow": (RectArch, weights), "channels": Z, "columns": [...],
    "modulus": p, "margin": ...}``; with ``cert``, the objects and the ``relu-shallow-match``
    step are added. Cost O(M^N) exact forward passes (:data:`MAX_MATCH_SEQUENCES`).
    """
    from itertools import combinations, product

    from tnverify.errors import InputError
    from tnverify.networks.rectifier import forward, rect_spec

    S = match_inputs(a, inputs)
    onehot = [[int(i == d) for i in range(a.M)] for d in range(a.M)]
    seqs = [list(s) for s in product(range(a.M), repeat=a.N)]
    rng = np.random.default_rng(seed)
    for _ in range(5):
        W = random_weights(a, rng)
        for i in range(a.N):
            if i not in S:
                for n in (f"leaf{i}", f"bleaf{i}"):
                    if n in W:
                        W[n] = -np.abs(W[n]) - 1
        try:
            scores, margin = evaluate(a, W, seqs)
            break
        except Breakpoint:
            continue
    else:
        raise InputError(f"five points of {a.describe()} sat at a breakpoint; try another --seed")
    g = {}
    for s, v in zip(seqs, scores):
        t = tuple(s[i] for i in S)
        if g.setdefault(t, v) != v:
            raise AssertionError("the deep network depends on inputs outside S at a point built not to")
    channels = [(T, u) for k in range(1, len(S) + 1) for T in combinations(S, k) for u in product(range(a.M), repeat=k)]
    Z = len(channels)
    q = rect_spec("relu-cp", a.N, [Z], templates=onehot, activation="relu", pooling="max")
    V = {"lam": np.array([sum(((-1) ** (len(T) + 1)) * v for t, v in g.items()
                              if all(t[S.index(i)] == ui for i, ui in zip(T, u))) for T, u in channels], dtype=object)}
    for i in range(a.N):
        A = np.zeros((a.M, Z), dtype=object)
        for z, (T, u) in enumerate(channels):
            if i in T:
                A[u[T.index(i)], z] = 1
        V[f"A{i}"] = A
    V["lam"] = np.array([x.numerator if isinstance(x, Fraction) and x.denominator == 1 else x for x in V["lam"]],
                        dtype=object)
    X = [np.array([a.templates[s[k]] for s in seqs], dtype=object) for k in range(a.N)]
    if forward(q, V, X).tolist() != list(scores):
        raise AssertionError("the shallow OR network does not match the deep one at the point")
    R = np.array([[int(any(t[S.index(i)] == ui for i, ui in zip(T, u))) for T, u in channels]
                  for t in product(range(a.M), repeat=len(S))], dtype=np.int64)
    p = random_prime(rng, bits=20)
    prof = rank_profile(R, p)
    if prof.rank != a.M ** len(S):
        raise AssertionError("the OR channels do not span the functions of the inputs S")
    out = {"point": W, "shallow": (q, V), "channels": Z, "columns": [int(c) for c in prof.cols], "modulus": p,
           "margin": margin, "inputs": S}
    if cert is not None:
        fam, pt, sh = f"{prefix}family", f"{prefix}match_point", f"{prefix}match_shallow"
        cert.objects.setdefault(fam, rectifier_object(a))
        cert.objects[pt] = rectifier_object(a, W)
        cert.objects[sh] = rectifier_object(q, V)
        cert.add_step("relu-shallow-match", id=f"{prefix}match", point=pt, family=fam, shallow=sh, inputs=S,
                      modulus=p, columns=out["columns"], margin="none" if margin is None else str(margin))
        cert.conclude("open-set-shallow-match", {"rectifier": fam, "shallow": sh}, Z)
    return out
