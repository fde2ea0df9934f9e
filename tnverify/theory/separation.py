"""Certified generic separation ranks of tensor networks.

For a network family (cores with free parameters, possibly tied) and a bipartition
(I, J) of its open legs, the *generic separation rank* is the rank of the
flattening [T]_{I,J} over the function field of the parameters: the separation
rank of the function a generic network of the architecture computes [1]_ [2]_.

* **Upper bound** (structural, every parameter value): a minimum cut of the
  network between the legs of I and those of J; its value is the exact product of
  the dimensions of the cut bonds [3]_ (:func:`tnverify.networks.mincut.min_cut`).
* **Lower bound** (one point): at a point theta0 with integer entries uniform mod a
  random prime p (2^19 < p < 2^20), multiply open leg k by a random s_k x M_k test
  matrix S_k. The sketch (kron_{I} S_i) [T]_{I,J} (kron_{J} S_j)^T is the
  flattening of the sketched network, its rows and columns are rank-one test
  vectors, and its rank is at most rank [T]_{I,J}. Its rank mod p is computed with
  a pivot minor. Why one point suffices: that minor is a polynomial in the
  parameters (and the test entries) that is nonzero at theta0 (nonzero mod p, hence
  nonzero over Z), so it is a nonzero polynomial; it is then nonzero on a dense
  Zariski-open set, and the flattening rank is at least r for generic parameters.
  Randomness only affects tightness (Schwartz-Zippel); s_k = min(M_k, min-cut of
  leg k) keeps the sketch generically exact, because T lies in the tensor product of
  the mode-k column spaces, on which a generic S_k is injective.
* When the bounds meet the generic separation rank is **proved** (a certificate
  with the rules ``cut-bound``, ``network-rank-at-least`` and
  ``generic-from-point`` goes through the independent checker). Otherwise fresh
  seeds and primes are tried; then the status is ``unknown`` with both bounds,
  the cut and every seed. No closed form is ever reported as the answer.

References
----------
.. [1] N. Cohen, O. Sharir, A. Shashua, "On the expressive power of deep learning: a
   tensor analysis", COLT 2016.
.. [2] N. Cohen, A. Shashua, "Inductive bias of deep convolutional networks through
   pooling geometry", ICLR 2017.
.. [3] Y. Levine, D. Yakira, N. Cohen, A. Shashua, "Deep learning and quantum
   entanglement", ICLR 2018.
.. [4] V. Khrulkov, A. Novikov, I. Oseledets, "Expressive power of recurrent neural
   networks", ICLR 2018.
.. [5] Y. Levine, O. Sharir, A. Ziv, A. Shashua, "Benefits of depth for long-term
   memory of recurrent networks", 2017.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field as dc_field

import numpy as np

from tnverify.certificate import Certificate
from tnverify import budget
from tnverify.errors import BudgetError, InputError, NoNetworkError
from tnverify.exact.tensor import flatten
from tnverify.networks.forward import (
    Arch, boundary_bound, forward, grid_block, network_values, random_weights, symmetric_bound, tree_leaves,
)
from tnverify.networks.mincut import Cut, min_cut
from tnverify.networks.overlap import CONV_FAMILIES, capped_prod, frontier_bound, span_bound
from tnverify.networks.product_point import product_separators, select_channel_zero
from tnverify.networks.network import TensorNetwork, contract, contraction_path, random_core_values, sketched
from tnverify.numbers import enc
from tnverify.numeric.modp import random_prime, rank_profile
from tnverify.theory.costs import SKETCH_BYTES, sketch_limit
from tnverify.results import Bounds, Notion

__all__ = ["SeparationResult", "separation_rank", "architecture_separation", "separation", "sketch_sizes", "network_object",
           "PRIME_BITS", "shallow_width", "separation_certificate"]

#: Bits of the random primes (p < 2^20: exact int64 contraction and the fast float64 mod-p kernel).
PRIME_BITS = 20
def _over(what: str, entries: int, limit: int) -> BudgetError:
    """The error for ``entries`` over ``limit``: the budget's own message (naming ``--budget``) when
    the budget is what they exceed, else the explicit ``limit``'s."""
    budget.require(what, memory=entries * SKETCH_BYTES)
    return BudgetError(f"{what} needs {_magnitude(entries)} entries, over the limit {limit}")


@dataclass(kw_only=True)
class SeparationResult(Bounds):
    """A certified generic separation rank over C (or both bounds when they do not meet).

    A :class:`tnverify.results.Bounds` about the notion ``generic separation rank``:
    ``lower`` is proved at a random point (and so generically); ``upper`` is the
    exact product of the cut ``cut`` (for an architecture, the least of the bounds
    in ``bounds``: cut, shape, boundary states); ``rank`` is set only when they meet
    (``status == "proved"``). ``seeds`` and ``primes`` list every attempt.
    """

    notion: Notion = "generic separation rank"
    field: str = "C"
    rank: int | None
    cut: Cut
    rows: tuple
    network: TensorNetwork
    sketch_shape: tuple
    seconds: float = 0.0
    arch: Arch | None = None
    bounds: dict = dc_field(default_factory=dict)
    factors: list = dc_field(default_factory=list)

    @property
    def subject(self) -> str:
        """What the claim is about: the architecture's grid tensor, or the given network."""
        if self.arch is not None:
            return f"the grid tensor of {self.arch.describe()}"
        return f"the given tensor network ({self.network.describe()})"

    def to_dict(self) -> dict:
        d = {
            **super().to_dict(), "subject": self.subject, "rank": self.rank, "rows": list(self.rows),
            "cut": self.cut.labels if self.cut else None, "cut_side": self.cut.side if self.cut else None,
            "sketch_shape": list(self.sketch_shape),
            "network": self.network.describe() if self.network else None, "seconds": round(self.seconds, 6),
        }
        if self.factors:
            d["product_point"] = [{"inputs": list(ins), "rank": r} for ins, r in self.factors]
        if self.arch is not None:
            d["architecture"] = self.arch.params()
            d["upper_bounds"] = dict(self.bounds)
        return d

    def _upper_text(self) -> str:
        if not self.bounds:
            return f"min cut {self.upper} over bonds {', '.join(self.cut.labels)}"
        parts = [f"cut {self.bounds['cut']} over {', '.join(self.cut.labels)}"] if self.cut else []
        parts += [f"{k} {v}" for k, v in self.bounds.items() if k != "cut"]
        if self.cut is None:
            parts.append("no cut: a mixed network sums two networks" if self.arch.family == "mixed" else
                         "no cut: the grid network has too many copies of reused units")
        return f"{self.upper} = min({'; '.join(parts)})"

    def text(self) -> str:
        head = f"{self.subject}, partition I={list(self.rows)}"
        cut = self._upper_text()
        sketched = self.arch is None or (self.arch.multilinear and self.network is not None)
        what = "sketch" if sketched else "block on sampled template sequences"
        what = "product point" if self.factors else what
        if self.status == "proved" and self.factors:
            ranks = " x ".join(str(r) for _, r in self.factors)
            return (f"{head}\ngeneric separation rank = {self.rank} (proved)\n  upper: {cut}\n"
                    f"  lower: product point, {len(self.factors)} separators of ranks {ranks} (each a nonzero "
                    f"minor mod {self.primes[-1]}, seed {self.seeds[-1]})\n  {self.seconds:.3f} s")
        if self.status == "proved":
            return (f"{head}\ngeneric separation rank = {self.rank} (proved)\n  upper: {cut}\n"
                    f"  lower: nonzero {self.lower}x{self.lower} minor of a {self.sketch_shape[0]}x"
                    f"{self.sketch_shape[1]} {what} mod {self.primes[-1]} (seed {self.seeds[-1]})\n"
                    f"  {self.seconds:.3f} s")
        return (f"{head}\ngeneric separation rank unknown: {self.lower} <= rank <= {self.upper}\n  upper: {cut}\n"
                f"  lower: best {what} rank {self.lower}; seeds {self.seeds}, primes {self.primes}\n"
                f"  {self.seconds:.3f} s")


def _rank_profile(F: np.ndarray, p: int) -> tuple:
    """(rank, pivot rows, pivot cols) over GF(p) of F (entries in [0, p)): :func:`tnverify.numeric.modp.rank_profile`."""
    res = rank_profile(F, p, reduced=True)
    return res.rank, list(res.rows), list(res.cols)


#: Memory of a mixed network's units, spans and random weights, per input (about 7.2 KB at 65536
#: inputs, measured as the peak resident size of ``separation --arch mixed``): 2^20 inputs would need 7.5 GB.
MIXED_BYTES_PER_INPUT = 8 * 2**10

#: Most open legs (inputs) a network may have here: the dense sketched tensor keeps one numpy
#: einsum index per input, and numpy accepts 52.
MAX_INPUTS = 52


def _power_prod(values) -> int:
    """prod(values) as a product of powers of the distinct values (linear, not quadratic, in 10^6 factors)."""
    return math.prod(v ** c for v, c in Counter(values).items())


def _magnitude(n: int) -> str:
    """``n`` in full up to 10^12, else as a power of ten (messages stay one short line)."""
    return str(n) if n < 10**12 else f"~10^{int(n.bit_length() * math.log10(2))}"


def sketch_sizes(net: TensorNetwork, rows, upper: int, limit: int | None = None) -> list:
    """Test-matrix heights s_k = min(M_k, min cut of leg k), shrunk to fit ``limit`` (default :func:`sketch_limit`).

    Shrinking keeps prod_{I} s_i >= upper and prod_{J} s_j >= upper (else the sketch
    could not show the upper bound); :class:`BudgetError` when that is impossible.
    """
    limit = sketch_limit() if limit is None else limit
    s = [min(d, min_cut(net, [k]).value) for k, d in enumerate(net.shape)]
    rows = set(rows)

    def side_ok(k):
        side = [i for i in range(len(s)) if (i in rows) == (k in rows)]
        return math.prod(s[i] - (i == k) for i in side) >= upper

    while math.prod(s) > limit:
        cand = [k for k in range(len(s)) if s[k] > 1 and side_ok(k)]
        if not cand:
            raise _over(f"the sketched tensor that shows rank {_magnitude(upper)}", math.prod(s), limit)
        k = max(cand, key=lambda i: s[i])
        s[k] -= 1
    return s


def _require_sketch(s, rows, upper: int, attempts: int) -> None:
    """The work of ``attempts`` sketches of heights ``s``: contraction (E N) and a rank profile of the
    prod_I s x prod_J s flattening whose rank is at most ``upper`` (E upper), E = prod s."""
    E = math.prod(s)
    budget.require(f"showing rank {_magnitude(upper)} on a sketch of {_magnitude(E)} entries",
                   memory=E * SKETCH_BYTES, work=max(1, attempts) * E * (min(upper, math.isqrt(E)) + len(s)))


def network_object(net: TensorNetwork, with_values: bool) -> dict:
    """A ``network`` object of a certificate (values flat, core after core, C order)."""
    ent = []
    if with_values:
        for v in net.values:
            ent.extend(enc(x) for x in np.asarray(v).ravel().tolist())
    o = {"type": "network", "entries": ent, "names": list(net.names),
         "inputs": [list(ix) for ix in net.inputs], "output": list(net.output), "size_dict": dict(net.size_dict)}
    if net.shared:
        o["shared"] = [list(g) for g in net.shared]
    return o


def separation_rank(net: TensorNetwork, rows, seed: int = 0, attempts: int = 3, certificate: bool = True,
                    prefix: str = "", limit: int | None = None) -> SeparationResult:
    """Certified generic separation rank of ``net`` (its structure) for the partition ``rows`` | rest.

    Attempt a uses the seed ``seed + a`` (point, test matrices and prime all drawn
    from it) and stops as soon as the lower bound meets the cut. Cost per attempt:
    one contraction of the sketched network (dense, prod s_k entries) and one rank
    profile mod p of the prod_I s_i x prod_J s_j sketch.
    """
    t0 = time.perf_counter()
    rows = tuple(sorted(rows))
    if net.order > MAX_INPUTS:
        raise BudgetError(f"separation ranks are computed for at most {MAX_INPUTS} inputs (the sketched tensor "
                          f"keeps one index per input), got {net.order}")
    limit = sketch_limit() if limit is None else limit
    fam = net.structure()
    cut = min_cut(fam, rows)
    if cut.value * cut.value > limit:  # the sketch is at least cut x cut: fail before the per-leg cuts
        raise _over(f"showing rank {_magnitude(cut.value)} (a sketched flattening of at least its square)",
                    cut.value ** 2, limit)
    s = sketch_sizes(fam, rows, cut.value, limit)
    _require_sketch(s, rows, cut.value, attempts)
    best = None
    seeds, primes = [], []
    for a in range(max(1, attempts)):
        sd = seed + a
        rng = np.random.default_rng(sd)
        p = random_prime(rng, bits=PRIME_BITS)
        point = fam.with_values(random_core_values(fam, rng, p))
        mats = [rng.integers(0, p, (sk, mk), dtype=np.int64) for sk, mk in zip(s, fam.shape)]
        snet = sketched(point, mats)
        holder = {lab: n for n, ix in zip(fam.names, fam.inputs) for lab in ix if lab in fam.output}
        path = contraction_path(snet, first=[(holder[lab], f"S~{k}") for k, lab in enumerate(fam.output)])
        Tp = contract(snet, modulus=p, path=path)
        F = flatten(Tp, rows)
        del Tp
        r, pr, pc = _rank_profile(F, p)
        seeds.append(sd)
        primes.append(p)
        if best is None or r > best[0]:
            best = (r, pr, pc, p, point, mats, path, F.shape)
        if r >= cut.value:
            break
    r, pr, pc, p, point, mats, path, shp = best
    status = "proved" if r == cut.value else "unknown"
    res = SeparationResult(status=status, lower=r, upper=cut.value, rank=r if status == "proved" else None, cut=cut,
                           rows=rows, network=fam, sketch_shape=tuple(shp), seeds=seeds, primes=primes)
    if certificate:
        res.certificate = separation_certificate(res, point, mats, path, p, pr, pc, prefix=prefix)
    res.seconds = time.perf_counter() - t0
    return res


def separation_certificate(res: SeparationResult, point, mats, path, p, pr, pc, prefix: str = "",
                           cert: Certificate | None = None) -> Certificate:
    """Certificate: cut-bound (upper), network-rank-at-least at the point, generic-from-point (lower)."""
    cert = cert or Certificate()
    fam, pt = f"{prefix}family", f"{prefix}point"
    rows = list(res.rows)
    cert.objects[fam] = network_object(res.network, False)
    cert.objects[pt] = network_object(point, True)
    cert.add_step("cut-bound", id=f"{prefix}upper", network=fam, rows=rows, side=res.cut.side, cut=res.cut.labels,
                  rank=res.upper)
    cert.add_step("network-rank-at-least", id=f"{prefix}point-lower", network=pt, rows=rows,
                  sketch=[[[int(x) for x in row] for row in S.tolist()] for S in mats],
                  path=[list(q) for q in path[:-1]], minor={"rows": pr, "cols": pc}, modulus=p, rank=res.lower)
    cert.add_step("generic-from-point", id=f"{prefix}lower", point=pt, family=fam, rows=rows, rank=res.lower)
    subject = {"network": fam, "rows": rows}
    cert.conclude("generic-rank-at-least", subject, res.lower)
    cert.conclude("generic-rank-at-most", subject, res.upper)
    cert.claim.update({"network": res.network.describe(), "rows": rows, "status": res.status,
                       "seeds": res.seeds, "primes": [str(q) for q in res.primes],
                       "notion": "generic separation rank over C"})
    return cert


def shallow_width(arch: str, inputs: int, features, rows, target: int, cert: Certificate | None = None,
                  depth: int = 1, max_width: int = 1 << 20, dilations=None, label: str = "shallow") -> tuple:
    """Smallest uniform width w of ``arch`` whose min-cut for ``rows`` reaches ``target``.

    Returns ``(w, bound)`` where ``bound`` is the cut bound at width w - 1 (< target),
    or ``(None, bound at max_width)``. Below w, every network of the family has
    separation rank < target, so it cannot equal a network of separation rank
    ``target`` (a necessary condition, [1]_ Cor. 1). The cut is monotone in w, so a
    doubling and bisection search is exact. With ``cert``, a ``grid-cut-bound`` step
    for the architecture at width w - 1 is added (object ``{label}_family``, step
    ``{label}_upper``); the checker builds that architecture's network itself.
    ``dilations``: the order of a ``dilated`` family (default increasing).
    """
    from tnverify.networks.architectures import network, spec

    if arch == "mixed":
        raise InputError("a mixed network has no min cut (it sums two networks), so it cannot be the shallow side "
                         "of a comparison; compare it as the deep side, against dilated")

    def arch_at(w):
        return spec(arch, inputs, features, None if arch == "cp" else w, w if arch == "cp" else None, depth=depth,
                    dilations=dilations)

    def cut(w):
        return min_cut(network(arch_at(w)), rows).value

    if cut(max_width) < target:
        return None, cut(max_width)
    hi = 1
    while cut(hi) < target:
        hi *= 2
    lo = hi // 2  # cut(lo) < target or lo == 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cut(mid) >= target:
            hi = mid
        else:
            lo = mid
    if hi == 1:
        return 1, 0
    below = arch_at(hi - 1)
    c = min_cut(network(below), rows)
    if cert is not None:
        cert.objects[f"{label}_family"] = architecture_object(below)
        cert.add_step("grid-cut-bound", id=f"{label}_upper", architecture=f"{label}_family", rows=list(rows),
                      side=c.side, cut=c.labels, rank=c.value)
        cert.conclude("generic-rank-at-most", {"architecture": f"{label}_family", "rows": list(rows)}, c.value)
    return hi, c.value


# ------------------------------------------------------------------ architectures
def architecture_object(a: Arch, weights: dict | None = None) -> dict:
    """An ``architecture`` object of a certificate: the family's parameters (and a point's weights)."""
    o = {"type": "architecture", **a.params()}
    if weights is not None:
        o["weights"] = {n: [enc(x) for x in np.asarray(v).ravel().tolist()] for n, v in weights.items()}
    return o


def _index(seq, base) -> int:
    """C-order index of a multi-index ``seq`` with radices ``base`` (Python int: no overflow)."""
    out = 0
    for d, b in zip(seq, base):
        out = out * b + int(d)
    return out


def _sample_sequences(rng, base, s: int) -> np.ndarray:
    """``s`` distinct template sequences (rows of an array) with radices ``base``; all of them when fewer."""
    total = math.prod(base)
    if total <= s:
        return np.array(np.unravel_index(np.arange(total), base)).T.reshape(total, len(base))
    seen: dict = {}
    while len(seen) < s:
        draw = np.stack([rng.integers(0, b, 2 * s) for b in base], axis=1)
        for row in map(tuple, draw.tolist()):
            seen.setdefault(row, None)
            if len(seen) == s:
                break
    return np.array(list(seen), dtype=np.int64)


def _sampled_lower(rb, cb, upper: int, rng, block, p: int, limit: int | None = None):
    """Rank mod p of a block of a flattening on sampled distinct template sequences.

    ``rb``, ``cb``: template counts of the row and column inputs; ``block(R, C)``
    returns the block on row sequences R and column sequences C. Starts from 64
    sequences per side and doubles while the rank still grows and is below
    ``upper`` (at most 2 upper + 64 per side, or all of them). Returns
    (rank, R, C, pivot rows, pivot cols, block shape).
    """
    limit = sketch_limit() if limit is None else limit
    cap = min(2 * upper + 64, math.isqrt(limit))
    cap = min(capped_prod(rb, cap), capped_prod(cb, cap))
    if cap < upper:
        raise _over(f"showing rank {_magnitude(upper)} (a block of at least {_magnitude(upper)} x "
                    f"{_magnitude(upper)} entries)", upper * upper, limit)
    s, last = min(64, cap), -1
    while True:
        R, C = _sample_sequences(rng, rb, s), _sample_sequences(rng, cb, s)
        F = block(R, C)
        r, pr, pc = _rank_profile(F, p)
        if r >= upper or s >= cap or (r < s and r == last):
            return r, R, C, pr, pc, F.shape
        last, s = r, min(2 * s, cap)


def _grid_lower(a: Arch, weights: dict, rows, upper: int, rng, p: int):
    """:func:`_sampled_lower` on the grid tensor's forward pass (deep RACs: not multilinear).

    Returns (rank, row indices, column indices, block shape), indices in C order over the templates.
    """
    cols = sorted(set(range(a.N)) - set(rows))
    rb, cb = [a.M[k] for k in rows], [a.M[k] for k in cols]
    r, R, C, pr, pc, shp = _sampled_lower(rb, cb, upper, rng,
                                          lambda R, C: grid_block(a, weights, rows, R, C, p), p)
    return r, [_index(R[i], rb) for i in pr], [_index(C[j], cb) for j in pc], shp


def _sketch_block(a: Arch, weights: dict, rows, mats, R, C, p: int) -> np.ndarray:
    """Block of the sketch (kron_I S_i) [A]_{I,J} (kron_J S_j)^T: row a reads the vectors S_k[R[a]] at I.

    Entry (a, b) is the score on the input vectors chosen by R[a] and C[b] (a multilinear score
    makes these the sketch's entries): len(R) len(C) forward passes, no sketched tensor, in
    chunks of rows of about 2^20 passes each (memory O(2^20 N M) besides the block).
    """
    cols = sorted(set(range(a.N)) - set(rows))
    n = len(C)
    step = max(1, (1 << 20) // max(1, n))
    out = []
    for lo in range(0, len(R), step):
        Rc = R[lo:lo + step]
        X = [None] * a.N
        for q, k in enumerate(rows):
            X[k] = mats[k][np.repeat(Rc[:, q], n)] % p
        for q, k in enumerate(cols):
            X[k] = mats[k][np.tile(C[:, q], len(Rc))] % p
        out.append(forward(a, weights, X, p).reshape(len(Rc), n))
    return np.concatenate(out)


def _sampled_sketch(a: Arch, weights: dict, rows, mats, upper: int, rng, p: int, limit: int):
    """Rank of a block of the sketch on sampled rows and columns (when the whole sketch exceeds ``limit``).

    :func:`_sampled_lower` over the vector choices (radices: the sketch heights): blocks
    grow from 64 rows and columns while the rank still grows, up to 2 upper + 64 or
    sqrt(limit) per side, so the proved minor is square and nonzero whenever a block of that
    size reaches it. Returns (rank, row indices, column indices, block shape), indices in C
    order over the vector choices, as the checker reads a sketched step.
    """
    cols = sorted(set(range(a.N)) - set(rows))
    rb, cb = [len(mats[k]) for k in rows], [len(mats[k]) for k in cols]
    r, R, C, pr, pc, shp = _sampled_lower(rb, cb, upper, rng, lambda R, C: _sketch_block(
        a, weights, rows, mats, R, C, p), p, limit)
    return r, [_index(R[i], rb) for i in pr], [_index(C[j], cb) for j in pc], shp


def architecture_separation(a: Arch, rows, seed: int = 0, attempts: int = 3, certificate: bool = True,
                            prefix: str = "", limit: int | None = None, product: bool = True) -> SeparationResult:
    """Certified generic separation rank of an architecture's grid tensor for the partition ``rows`` | rest.

    The object is the grid tensor of the architecture's forward pass
    (:mod:`tnverify.networks.forward`). Upper bounds, each valid for every weight: the min cut
    of the builder's grid network (:func:`tnverify.networks.architectures.network`, tested
    against the forward pass), the shape min(prod_I M, prod_J M), and for a deep RAC
    with a Start-End partition the boundary-state count
    (:func:`tnverify.networks.forward.boundary_bound`). Lower bound at a random point (weights
    uniform mod a random prime p, 2^19 < p < 2^20): for a multilinear family the rank
    of the sketched flattening (the network contracted with random test vectors on
    each input); for a deep RAC the rank of a block on sampled distinct template
    sequences. For a tree family (ht, convac) with ``product=True``, a *product point* is
    tried first (:mod:`tnverify.networks.product_point`): weights above an antichain of
    separators make the grid tensor a Kronecker product of the separators' small grid
    tensors, whose ranks multiply; it is used when it reaches the upper bound (for the
    interleaved partition of a balanced tree it does: r_0^{N/2}). The certificate gives the
    checker the family's parameters and the point's weights; the checker recomputes the
    minor (or each factor's minor) by its own forward pass and the cut on its own network.
    Cost per attempt: one sketch contraction (or m n forward passes) and one rank profile
    mod p; a product point costs one small rank per tree node instead.
    """
    from tnverify.networks.architectures import network

    t0 = time.perf_counter()
    rows = tuple(sorted(rows))
    if a.family == "mixed":  # its units, their spans and random weights, before any is built
        budget.require(f"the units of a mixed network with {a.N} inputs", memory=MIXED_BYTES_PER_INPUT * a.N)
    if a.N > MAX_INPUTS and a.multilinear and a.family != "mixed":  # a mixed network is never sketched
        raise BudgetError(f"separation ranks are computed for at most {MAX_INPUTS} inputs (the sketched tensor "
                          f"keeps one index per input), got {a.N}")
    try:
        fam = network(a).structure()
    except (BudgetError, NoNetworkError):
        if a.family not in CONV_FAMILIES:
            raise
        fam = None  # too many copies of reused units, or a mixed network's sums: no cut bound, the forward pass
        # gives the lower bound
    cut = min_cut(fam, rows) if fam is not None else None
    cols = sorted(set(range(a.N)) - set(rows))
    bounds = {"shape": min(_power_prod(a.M[k] for k in rows), _power_prod(a.M[k] for k in cols))}
    if cut is not None:
        bounds = {"cut": cut.value, **bounds}
    bb = boundary_bound(a, rows)
    if bb is not None:
        bounds["boundary states"] = bb
    sb = symmetric_bound(a, rows)
    if sb is not None:
        bounds["symmetry"] = sb
    if a.family == "mixed":
        bounds["span"] = span_bound(a, rows)
    elif a.family in CONV_FAMILIES:
        bounds["frontier"] = frontier_bound(a, rows)
    upper = min(bounds.values())
    if product and a.family in ("ht", "convac"):
        res = _product_route(a, rows, seed, upper, cut, fam, bounds, certificate, prefix)
        if res is not None:
            res.seconds = time.perf_counter() - t0
            return res
    sampled = False
    sketch = a.multilinear and fam is not None  # else the grid block by the forward pass
    if sketch:
        limit = sketch_limit() if limit is None else limit
        if upper * upper > limit:
            raise _over(f"showing rank {_magnitude(upper)} (a sketched flattening of at least its square)",
                        upper ** 2, limit)
        try:
            s = sketch_sizes(fam, rows, upper, limit)
            _require_sketch(s, rows, upper, attempts)
        except BudgetError:  # the whole sketch is too large: sample its rows and columns instead
            s, sampled = [min(d, min_cut(fam, [k]).value) for k, d in enumerate(fam.shape)], True
    best = None
    seeds, primes = [], []
    for att in range(max(1, attempts)):
        sd = seed + att
        rng = np.random.default_rng(sd)
        p = random_prime(rng, bits=PRIME_BITS)
        W = random_weights(a, rng, p)
        if sketch and sampled:
            mats = [rng.integers(0, p, (sk, mk), dtype=np.int64) for sk, mk in zip(s, fam.shape)]
            r, pr, pc, shp = _sampled_sketch(a, W, rows, mats, upper, rng, p, limit)
        elif sketch:
            point = fam.with_values(network_values(a, W, fam.names))
            mats = [rng.integers(0, p, (sk, mk), dtype=np.int64) for sk, mk in zip(s, fam.shape)]
            snet = sketched(point, mats)
            holder = {lab: n for n, ix in zip(fam.names, fam.inputs) for lab in ix if lab in fam.output}
            path = contraction_path(snet, first=[(holder[lab], f"S~{k}") for k, lab in enumerate(fam.output)])
            F = flatten(contract(snet, modulus=p, path=path), rows)
            r, pr, pc = _rank_profile(F, p)
            shp = F.shape
            del F
        else:
            mats = None
            r, pr, pc, shp = _grid_lower(a, W, rows, upper, rng, p)
        seeds.append(sd)
        primes.append(p)
        if best is None or r > best[0]:
            best = (r, pr, pc, p, W, mats, shp)
        if r >= upper:
            break
    r, pr, pc, p, W, mats, shp = best
    status = "proved" if r == upper else "unknown"
    res = SeparationResult(status=status, lower=r, upper=upper, rank=r if status == "proved" else None, cut=cut,
                           rows=rows, network=fam, sketch_shape=tuple(shp), seeds=seeds, primes=primes, arch=a,
                           bounds=bounds)
    if certificate:
        res.certificate = architecture_certificate(res, W, mats, p, pr, pc, prefix=prefix)
    res.seconds = time.perf_counter() - t0
    return res


def _product_route(a: Arch, rows, seed, upper, cut, fam, bounds, certificate, prefix) -> SeparationResult | None:
    """The lower bound at a product point (:mod:`tnverify.networks.product_point`), if it reaches ``upper``.

    A few small ranks of the separators' functions instead of one rank of the size of the
    bound; the checker's rule ``grid-rank-product`` multiplies them. None when the best
    product of separators stays below ``upper`` (the sketched route decides then).
    """
    rng = np.random.default_rng(seed)
    p = random_prime(rng, bits=PRIME_BITS)
    W = random_weights(a, rng, p)
    value, factors = product_separators(a, W, rows, p)
    if value < upper:
        return None
    W = select_channel_zero(a, W, [f[0] for f in factors])
    res = SeparationResult(status="proved", lower=value, upper=upper, rank=value, cut=cut, rows=rows, network=fam,
                           sketch_shape=(), seeds=[seed], primes=[p], arch=a, bounds=bounds,
                           factors=[(tuple(sorted(tree_leaves(f[0]))), f[1]) for f in factors])
    if certificate:
        res.certificate = architecture_certificate(res, W, None, p, None, None, prefix=prefix, factors=factors)
    return res


def architecture_certificate(res: SeparationResult, weights: dict, mats, p: int, pr, pc, prefix: str = "",
                             cert: Certificate | None = None, factors: list | None = None) -> Certificate:
    """Certificate: upper bounds the checker re-derives from the parameters; a forward-pass minor at a point."""
    cert = cert or Certificate()
    fam, pt = f"{prefix}family", f"{prefix}point"
    rows = list(res.rows)
    cert.objects[fam] = architecture_object(res.arch)
    cert.objects[pt] = architecture_object(res.arch, weights)
    if res.cut is not None:
        cert.add_step("grid-cut-bound", id=f"{prefix}upper-cut", architecture=fam, rows=rows, side=res.cut.side,
                      cut=res.cut.labels, rank=res.bounds["cut"])
    cert.add_step("grid-shape-bound", id=f"{prefix}upper-shape", architecture=fam, rows=rows,
                  rank=res.bounds["shape"])
    if "boundary states" in res.bounds:
        cert.add_step("grid-boundary-bound", id=f"{prefix}upper-boundary", architecture=fam, rows=rows,
                      rank=res.bounds["boundary states"])
    if "symmetry" in res.bounds:
        cert.add_step("grid-symmetric-bound", id=f"{prefix}upper-symmetry", architecture=fam, rows=rows,
                      rank=res.bounds["symmetry"])
    if "frontier" in res.bounds:
        cert.add_step("grid-frontier-bound", id=f"{prefix}upper-frontier", architecture=fam, rows=rows,
                      rank=res.bounds["frontier"])
    if "span" in res.bounds:
        cert.add_step("grid-span-bound", id=f"{prefix}upper-span", architecture=fam, rows=rows,
                      rank=res.bounds["span"])
    if factors is not None:
        seps = [{"inputs": sorted(tree_leaves(nd)), "minor": {"rows": fr, "cols": fc}, "rank": r}
                for nd, r, fr, fc in factors]
        cert.add_step("grid-rank-product", id=f"{prefix}point-lower", grid=pt, rows=rows, modulus=p,
                      separators=seps, rank=res.lower)
    elif res.lower > 0:
        step = {"grid": pt, "rows": rows, "modulus": p, "minor": {"rows": [int(i) for i in pr],
                                                                   "cols": [int(j) for j in pc]}, "rank": res.lower}
        if mats is not None:
            step["vectors"] = [[[int(x) for x in row] for row in S.tolist()] for S in mats]
        cert.add_step("grid-rank-at-least", id=f"{prefix}point-lower", **step)
    if res.lower > 0:
        cert.add_step("grid-generic-from-point", id=f"{prefix}lower", point=pt, family=fam, rows=rows,
                      rank=res.lower)
    subject = {"architecture": fam, "rows": rows}
    if res.lower > 0:
        cert.conclude("generic-rank-at-least", subject, res.lower)
    cert.conclude("generic-rank-at-most", subject, res.upper)
    cert.claim.update({"architecture": res.arch.params(), "object": res.subject, "rows": rows,
                       "status": res.status, "seeds": res.seeds, "primes": [str(q) for q in res.primes],
                       "notion": "generic separation rank over C (rank of the grid tensor's flattening)"})
    return cert


def separation(subject, rows, **kw) -> SeparationResult:
    """:func:`architecture_separation` for an :class:`Arch`, :func:`separation_rank` for a user's network."""
    if isinstance(subject, Arch):
        return architecture_separation(subject, rows, **kw)
    return separation_rank(subject, rows, **kw)
