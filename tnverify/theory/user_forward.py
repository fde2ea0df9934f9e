"""A user's own architecture, given by its forward pass as a Python function.

The protocol (docs/grid_tensors.md, "Your own architecture")::

    # mynet.py
    def score(weights, inputs, p):
        '''weights: dict name -> nested lists of ints (in [0, p) when p is a prime);
        inputs: list of N integer vectors (length M); p: a prime or None (over Z).
        Returns the network's scalar output, an int (reduced mod p when p is given).
        Only ring operations on the weights: the output must be a polynomial in them.'''
        ...

    score.weight_shapes = {"W": (3, 2), "w": (3,)}   # required
    score.degree = 4                                  # total degree in the weights (needed for --network)

``tnverify separation --forward mynet.py:score --inputs N --features M`` then
proves lower bounds on the separation rank of the function's grid tensor
A[d_1..d_N] = score(W, (e_{d_1}, ..., e_{d_N}), p): the rank of a block of its
flattening on sampled template sequences, at random weights mod a random prime.
The upper bound min(M^|I|, M^|J|) (the shape) is structural. A cut bound needs a
tensor network that the user also supplies (``--network NET.json``, cores named
like the weights, copies ``name.k``, identity cores ``in{t}`` for copied input
indices). Agreement of that network with the function on EVERY grid entry at k
random weight points mod p is a Schwartz-Zippel test [1]_ [2]_: a nonzero difference of
degree <= D survives one point with probability <= D/p, so the cut bound is
``probable`` with failure probability (D/p)^k, never ``proved``.

The certificate records the module's file and its SHA-256; the checker imports
that same file (only with ``--allow-code``: the user's code is part of the claim)
and computes the minor's entries by calling the function.

References
----------
.. [1] J. T. Schwartz, "Fast probabilistic algorithms for verification of polynomial
   identities", J. ACM 27(4) (1980), 701-717.
.. [2] R. Zippel, "Probabilistic algorithms for sparse polynomials", EUROSAM 1979,
   Lecture Notes in Comput. Sci. 72, 216-226.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tnverify import budget
from tnverify.certificate import Certificate
from tnverify.errors import InputError, ShapeError
from tnverify.numbers import enc
from tnverify.numeric.modp import random_prime
from tnverify.results import Bounds, Notion

__all__ = ["UserForward", "load_forward", "forward_separation", "ForwardResult", "CALL_OPS"]

#: Operations charged per call of the user's forward pass (Python code on one-hot inputs, about
#: a millisecond): the work budget allows about 3 10^5 calls.
CALL_OPS = 3e6
#: Weight points of the agreement test.
AGREEMENT_POINTS = 3


@dataclass
class UserForward:
    """A loaded user forward pass: the function, its weight shapes, its source file and hash."""

    path: str
    function: str
    fn: object
    shapes: dict
    sha256: str
    degree: int | None

    def describe(self) -> str:
        """One line for messages: the function, its file and the start of its SHA-256."""
        return f"the user function {self.function} in {self.path} (sha256 {self.sha256[:12]}...)"

    def score(self, weights: dict, inputs: list, p: int | None) -> int:
        """The function's output on ``inputs`` at ``weights``, an int (reduced mod p when p is given).

        A grid entry A[d] when the inputs are the one-hot vectors e_{d_1}, ..., e_{d_N}. The
        user's exceptions and non-integer results become one :class:`~tnverify.errors.InputError`.
        """
        try:
            y = self.fn(weights, inputs, p)
        except Exception as e:  # the user's code: report, never a traceback
            raise InputError(f"{self.function} raised {type(e).__name__}: {e}") from None
        if isinstance(y, (bool, float)) or not isinstance(y, (int, np.integer)):
            raise InputError(f"{self.function} must return an int (exact), got {type(y).__name__} {y!r}")
        return int(y) % p if p else int(y)


def load_forward(spec: str) -> UserForward:
    """Load ``path/to/file.py:function`` or ``package.module:function`` (see the module docstring)."""
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise InputError(f"expected --forward FILE.py:FUNCTION or MODULE:FUNCTION, got {spec!r}")
    where, name = spec.split(":")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise InputError(f"no forward-pass file at {where!r}")
        mod_name = f"_tnverify_user_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}"
        mspec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(mspec)
        try:
            mspec.loader.exec_module(module)
        except Exception as e:
            raise InputError(f"importing {where} failed: {type(e).__name__}: {e}") from None
    else:
        try:
            module = importlib.import_module(where)
        except Exception as e:
            raise InputError(f"importing module {where!r} failed: {type(e).__name__}: {e}") from None
        path = Path(inspect.getsourcefile(module) or "")
    fn = getattr(module, name, None)
    if not callable(fn):
        raise InputError(f"{where} has no function {name!r}")
    shapes = getattr(fn, "weight_shapes", None)
    if not isinstance(shapes, dict) or not shapes:
        raise InputError(f"{name} needs an attribute weight_shapes = {{name: shape}} (see docs/grid_tensors.md)")
    norm = {}
    for k, s in shapes.items():
        s = (s,) if isinstance(s, int) else tuple(s)
        if not isinstance(k, str) or not s or any(isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in s):
            raise InputError(f"{name}.weight_shapes[{k!r}]: expected a tuple of positive ints, got {shapes[k]!r}")
        norm[k] = s
    deg = getattr(fn, "degree", None)
    if deg is not None and (isinstance(deg, bool) or not isinstance(deg, int) or deg < 1):
        raise InputError(f"{name}.degree must be a positive int, got {deg!r}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return UserForward(str(path), name, fn, norm, digest, deg)


def _nested(flat: np.ndarray, shape) -> list:
    return np.asarray(flat).reshape(shape).tolist()


def _one_hot(d: int, m: int) -> list:
    return [int(i == d) for i in range(m)]


def _block(uf: UserForward, W: dict, N: int, M: int, rows, R, C, p) -> np.ndarray:
    cols = [k for k in range(N) if k not in rows]
    Wn = {k: _nested(v, uf.shapes[k]) for k, v in W.items()}
    F = np.zeros((len(R), len(C)), dtype=np.int64)
    for a, r in enumerate(R):
        for b, c in enumerate(C):
            x = [None] * N
            for q, k in enumerate(rows):
                x[k] = _one_hot(int(r[q]), M)
            for q, k in enumerate(cols):
                x[k] = _one_hot(int(c[q]), M)
            F[a, b] = uf.score(Wn, x, p)
    return F


@dataclass(kw_only=True)
class ForwardResult(Bounds):
    """Bounds on the generic separation rank over C of a user function's grid tensor.

    A :class:`tnverify.results.Bounds`: ``lower`` is proved (checker); ``upper`` is
    the shape bound (proved) or, with a network, its cut (``probable`` with
    ``failure_probability``, after the agreement test). Everything assumes that the
    function is a polynomial in its weights (the protocol of the module docstring).
    """

    notion: Notion = "generic separation rank"
    field: str = "C"
    rank: int | None
    rows: tuple
    shape_bound: int
    cut_bound: int | None
    failure_probability: float | None
    forward: UserForward
    seconds: float = 0.0

    @property
    def subject(self) -> str:
        """What the bounds are about: the grid tensor of the user's function."""
        return f"the grid tensor of {self.forward.describe()}"

    def to_dict(self) -> dict:
        """:meth:`tnverify.results.Bounds.to_dict` plus the subject, partition, both upper bounds and the hash."""
        return {**super().to_dict(), "subject": self.subject, "rank": self.rank, "rows": list(self.rows),
                "shape_bound": self.shape_bound, "cut_bound": self.cut_bound,
                "failure_probability": self.failure_probability, "sha256": self.forward.sha256,
                "assumption": "the function is a polynomial in its weights", "seconds": round(self.seconds, 6)}

    def text(self) -> str:
        """The human-readable report: subject, verdict, upper bounds, and the seeds and primes of the lower."""
        head = f"{self.subject}, partition I={list(self.rows)}\n  (the user's code is part of the claim)"
        up = f"shape {self.shape_bound} (proved)"
        if self.cut_bound is not None:
            up += f"; network cut {self.cut_bound} (probable, failure probability <= {self.failure_probability:.2e})"
        if self.status == "proved":
            line = f"generic separation rank = {self.rank} (proved)"
        elif self.status == "probable":
            line = f"generic separation rank = {self.rank} (probable: the lower bound is proved, the upper bound " \
                   f"holds unless the network disagrees with the function)"
        else:
            line = f"generic separation rank unknown: {self.lower} <= rank <= {self.upper}"
        return f"{head}\n{line}\n  upper: {up}\n  lower: proved at seeds {self.seeds}, primes {self.primes}"


def _agreement(uf: UserForward, net, N: int, M: int, rng) -> tuple:
    """Check the network against the function on every grid entry at random weights; (points, D, p)."""
    from tnverify.networks.network import contract

    if uf.degree is None:
        raise InputError(f"--network needs {uf.function}.degree (the total degree in the weights) for the "
                         "Schwartz-Zippel failure probability")
    if tuple(net.shape) != (M,) * N:
        raise ShapeError(f"the network's open legs must be {N} legs of dimension {M}, got {list(net.shape)}")
    calls = AGREEMENT_POINTS * M ** N
    budget.require(f"testing the network on every grid entry ({calls} calls of {uf.function})",
                   memory=8 * M ** N, work=calls * CALL_OPS)
    base = []
    for n in net.names:
        b = n.split(".")[0]
        if not (b in uf.shapes or (b.startswith("in") and b[2:].isdigit())):
            raise InputError(f"network core {n!r} is named after no weight of {uf.function} "
                             f"(weights: {sorted(uf.shapes)}; copies are name.k, input copies in{{t}})")
        base.append(b)
    D = max(uf.degree, sum(1 for b in base if b in uf.shapes))
    p = random_prime(rng, bits=20)
    idx = np.indices((M,) * N).reshape(N, -1).T
    for _ in range(AGREEMENT_POINTS):
        W = {k: rng.integers(0, p, s, dtype=np.int64) for k, s in uf.shapes.items()}
        vals = [np.eye(M, dtype=np.int64) if b not in uf.shapes else W[b] for b in base]
        T = contract(net.with_values(vals), modulus=p).reshape(-1)
        Wn = {k: v.tolist() for k, v in W.items()}
        for e, seq in enumerate(idx):
            y = uf.score(Wn, [_one_hot(int(d), M) for d in seq], p)
            if y != int(T[e]):
                raise InputError(f"the network disagrees with {uf.function} at grid entry {tuple(map(int, seq))}: "
                                 f"{int(T[e])} != {y} (mod {p}); it does not represent the function")
    return AGREEMENT_POINTS, D, p


def forward_separation(uf: UserForward, N: int, M: int, rows, seed: int = 0, attempts: int = 3, network=None,
                       certificate: bool = True) -> ForwardResult:
    """Bounds on the generic separation rank of the grid tensor of a user's forward pass.

    Lower (proved, checker): the rank mod p of a block of [A]_{I,J} on sampled distinct
    template sequences at random weights; it lifts to generic weights when the function
    is a polynomial in its weights (the protocol's requirement). Upper: the shape
    (proved); with ``network``, its min cut, ``probable`` after the agreement test.
    Cost: m n calls of the function per attempt (m, n <= 2 upper + 64).
    """
    from tnverify.networks.mincut import min_cut
    from tnverify.theory.costs import sketch_limit
    from tnverify.theory.separation import _index, _sampled_lower

    t0 = time.perf_counter()
    if isinstance(M, bool) or not isinstance(M, int) or M < 1 or isinstance(N, bool) or not isinstance(N, int) or N < 2:
        raise InputError(f"expected --inputs N >= 2 and one --features M >= 1, got N={N!r}, M={M!r}")
    rows = tuple(sorted(rows))
    cols = [k for k in range(N) if k not in rows]
    shape_bound = min(M ** len(rows), M ** len(cols))
    cut_bound = fail = None
    rng = np.random.default_rng(seed)
    if network is not None:
        cut_bound = min_cut(network.structure(), rows).value
        k, D, p0 = _agreement(uf, network, N, M, rng)
        fail = (D / p0) ** k
    upper = min(shape_bound, cut_bound or shape_bound)
    # blocks double from 64 up to `side` sequences per side: at most 4/3 side^2 calls per attempt
    side = min(shape_bound, 2 * upper + 64, math.isqrt(sketch_limit()))
    budget.require(f"the lower bound of {uf.function} ({max(1, attempts)} attempts of up to {side} x {side} calls)",
                   memory=8 * side * side, work=max(1, attempts) * 4 / 3 * side * side * CALL_OPS)
    best, seeds, primes = None, [], []
    for att in range(max(1, attempts)):
        sd = seed + att
        rng = np.random.default_rng(sd)
        p = random_prime(rng, bits=20)
        W = {k: rng.integers(0, p, s, dtype=np.int64) for k, s in uf.shapes.items()}
        r, R, C, pr, pc, shp = _sampled_lower([M] * len(rows), [M] * len(cols), upper, rng,
                                              lambda R, C: _block(uf, W, N, M, rows, R, C, p), p)
        seeds.append(sd)
        primes.append(p)
        if best is None or r > best[0]:
            best = (r, [_index(R[i], [M] * len(rows)) for i in pr], [_index(C[j], [M] * len(cols)) for j in pc],
                    p, W)
        if r >= upper:
            break
    r, mr, mc, p, W = best
    if r == shape_bound:
        status = "proved"
    elif cut_bound is not None and r == cut_bound:
        status = "probable"
    else:
        status = "unknown"
    res = ForwardResult(status=status, lower=r, upper=upper, rank=r if status != "unknown" else None, rows=rows,
                        shape_bound=shape_bound, cut_bound=cut_bound, failure_probability=fail, seeds=seeds,
                        primes=primes, forward=uf)
    if certificate:
        res.certificate = _certificate(res, N, M, W, p, mr, mc)
    res.seconds = time.perf_counter() - t0
    return res


def forward_object(uf: UserForward, N: int, M: int, W: dict | None = None) -> dict:
    """The certificate's ``forward`` object: the function's file, name, SHA-256 and weight shapes.

    With ``W`` it is a point (weights flat in C order); without, the family
    (docs/certificates.md, "Rules about a user's forward pass").
    """
    o = {"type": "forward", "source": uf.path, "function": uf.function, "sha256": uf.sha256, "inputs": N,
         "features": M, "weight_shapes": {k: list(s) for k, s in uf.shapes.items()}}
    if W is not None:
        o["weights"] = {k: [enc(x) for x in np.asarray(v).ravel().tolist()] for k, v in W.items()}
    return o


def _certificate(res: ForwardResult, N, M, W, p, mr, mc) -> Certificate:
    cert = Certificate()
    rows = list(res.rows)
    cert.objects["family"] = forward_object(res.forward, N, M)
    cert.objects["point"] = forward_object(res.forward, N, M, W)
    cert.add_step("forward-shape-bound", id="upper-shape", forward="family", rows=rows, rank=res.shape_bound)
    subject = {"forward": "family", "rows": rows}
    if res.lower > 0:
        cert.add_step("forward-rank-at-least", id="point-lower", forward="point", rows=rows, modulus=p,
                      minor={"rows": mr, "cols": mc}, rank=res.lower)
        cert.add_step("forward-generic-from-point", id="lower", point="point", family="family", rows=rows,
                      rank=res.lower)
        cert.conclude("generic-rank-at-least", subject, res.lower)
    cert.conclude("generic-rank-at-most", subject, res.shape_bound)
    cert.claim.update({"object": res.subject, "rows": rows, "status": res.status, "seeds": res.seeds,
                       "primes": [str(q) for q in res.primes], "user_code": True,
                       "notion": "generic separation rank over C, assuming the function is a polynomial in "
                                 "its weights"})
    if res.cut_bound is not None:
        cert.claim["probable_upper"] = {"cut": res.cut_bound, "failure_probability": res.failure_probability}
    return cert

