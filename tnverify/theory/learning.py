"""Learning a 2-layer network by the method of moments (Janzamin, Sedghi, Anandkumar 2015).

Model: ``y = sum_j a_j s(w_j^T x + b_j)`` with ``x ~ N(0, I_d)``, ``W = [w_1 .. w_k]`` (d x k).
Stein's identity gives the third-order score moment

.. math:: M_3 = E[y\\, He_3(x)] = \\sum_j \\lambda_j w_j^{\\otimes 3},
          \\qquad \\lambda_j = a_j E[s'''(w_j^T x + b_j)],

with ``He_3(x)_{ikl} = x_i x_k x_l - x_i d_{kl} - x_k d_{il} - x_l d_{ik}`` (Hermite polynomials).
Decomposing the empirical ``M_3`` recovers the directions ``w_j / |w_j|`` up to sign when the
``w_j`` are linearly independent and every ``lambda_j != 0`` (then ``M_3`` has the essentially
unique decomposition of Kruskal's theorem, ``3 k_W >= 2k + 2``). Two decompositions:

* ``jennrich`` (default): simultaneous diagonalisation of two random contractions ``M_3(I, I, z)``,
  refined by CP-ALS on ``M_3`` (kept when it lowers the fit error; the three modes are averaged;
  CP-ALS from a random start when the noisy slices make Jennrich singular);
* ``power``: whitening with ``M_2 = E[y He_2(x)] = sum_j a_j E[s''(.)] w_j w_j^T`` (which needs
  all those weights of one sign), then the robust tensor power method with deflation
  (Anandkumar et al. 2014) on ``M_3(W, W, W)``.

Everything computed from samples is *numerical*. For polynomial activations the population
moment is exact (:func:`exact_moment`, Gaussian moments by Isserlis with sympy); the identity
``M_3 = sum_j lambda_j w_j^{(x)3}`` then gets a certificate that the independent checker
recomputes from the definitions (rule ``gaussian-moment-identity``), and exact Jennrich over Q
recovers the weights exactly when that is possible.

Conventions: :func:`recovery_error` = max over true neurons of ``1 - |cos(w_j, u_pi(j))|`` for
the matching ``pi`` of true and recovered directions that minimises this maximum (bottleneck
assignment); it needs the generating weights, so it is an *oracle* comparison, for synthetic
data only. The end-to-end method, its diagnostics from the samples alone and its held-out test
error are in :mod:`tnverify.theory.moment_method` and :mod:`tnverify.theory.learning_diagnostics`;
the overcomplete case in :mod:`tnverify.theory.learning_hardness`; the method, the ReLU
coefficient and the limits of the method in docs/learning.md.

References
----------
.. [1] M. Janzamin, H. Sedghi, A. Anandkumar, "Beating the perils of non-convexity: guaranteed
   training of neural networks using tensor methods", arXiv:1506.08473, 2015.
.. [2] A. Anandkumar, R. Ge, D. Hsu, S. M. Kakade, M. Telgarsky, "Tensor decompositions for
   learning latent variable models", J. Mach. Learn. Res. 15 (2014), 2773-2832.

The identities and their proofs: docs/mathematics.md, section 8.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from tnverify import budget, numeric
from tnverify.certificate import Certificate, matrix_object, tensor_object
from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numbers import enc, strict_json_loads, to_exact

__all__ = ["Activation", "TwoLayerNet", "parse_activation", "random_network", "load_network", "sample",
           "empirical_moment", "batch_moments", "second_moment", "min_samples", "recover", "recovery_error",
           "identifiability_warnings", "exact_moment", "stein_weights", "moment_certificate", "exact_recovery",
           "exact_moment_cost"]

#: CP-ALS sweeps refining Jennrich's factors on the (noisy) empirical moment.
REFINE_ITERATIONS = 200
#: Operations charged per sympy term operation (Python objects, hashing, rational arithmetic).
SYMPY_OPS = 10_000


def exact_moment_cost(d: int, k: int, degree: int) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`exact_moment` for ``d`` inputs, ``k`` hidden units and an
    activation of this degree: sympy expands ``y`` (``C(d + degree, degree)`` monomials, k terms)
    and multiplies it by ``He_3`` for each of the ``C(d + 2, 3)`` distinct entries;
    :data:`SYMPY_OPS` per term operation."""
    terms = budget.comb(d + degree, degree)
    return 400.0 * terms * 4, SYMPY_OPS * terms * (k + budget.comb(d + 2, 3) * 4)

_NAMED = {"cube": [0, 0, 0, 1], "square": [0, 0, 1], "quartic": [0, 0, 0, 0, 1]}


@dataclass
class Activation:
    """An activation ``s``: vectorised ``fn``, its third derivative ``d3`` where that is a function
    (None for ReLU, whose third derivative is the distribution delta'), and for polynomials
    ``coeffs`` (degree 0 up, exact)."""

    name: str
    fn: object
    coeffs: list | None = None
    d3: object = None


def _poly(spec, c):
    cf = [float(x) for x in c][::-1]
    return Activation(spec, lambda u: np.polyval(cf, u), c, lambda u: np.polyval(np.polyder(cf, 3), u))


def _sigmoid(u):
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def _sigmoid3(u):
    g = _sigmoid(u)
    return g * (1 - g) * (1 - 6 * g + 6 * g * g)


def parse_activation(spec: str) -> Activation:
    """``sigmoid``, ``tanh``, ``relu`` (max(u, 0)), ``cube`` (u^3), ``square`` (u^2), ``quartic``
    (u^4) or ``poly:c0,c1,...`` (sum_m c_m u^m; integers or p/q). Third derivatives:
    ``-2 (1 - t^2)(1 - 3 t^2)`` for tanh (t = tanh u), ``g (1 - g)(1 - 6 g + 6 g^2)`` for the
    sigmoid g."""
    if not isinstance(spec, str):
        raise InputError(f"expected an activation name, got {spec!r}")
    if spec == "sigmoid":
        return Activation(spec, _sigmoid, None, _sigmoid3)
    if spec == "tanh":
        return Activation(spec, np.tanh, None, lambda u: -2 * (1 - np.tanh(u) ** 2) * (1 - 3 * np.tanh(u) ** 2))
    if spec == "relu":
        return Activation(spec, lambda u: np.maximum(u, 0.0))
    if spec in _NAMED:
        return _poly(spec, [Fraction(x) for x in _NAMED[spec]])
    if spec.startswith("poly:"):
        c = [Fraction(to_exact(x, f"a coefficient of {spec!r}")) for x in spec[5:].split(",") if x.strip()]
        if not c:
            raise InputError(f"expected at least one coefficient in {spec!r}")
        return _poly(spec, c)
    raise InputError(f"unknown activation {spec!r} (valid: sigmoid, tanh, relu, cube, square, quartic, "
                     "poly:c0,c1,...)")


@dataclass
class TwoLayerNet:
    """``y = sum_j a_j s(w_j^T x + b_j)``; ``W`` (d x k), ``b``, ``a`` (k,), exact or float."""

    W: np.ndarray
    b: np.ndarray
    a: np.ndarray
    activation: Activation

    @property
    def d(self) -> int:
        """Number of inputs (rows of W)."""
        return self.W.shape[0]

    @property
    def k(self) -> int:
        """Number of hidden units (columns of W)."""
        return self.W.shape[1]

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """``y = s(X W + b) a`` in floating point for the rows x of ``X`` (n x d); O(n d k)."""
        Wf = np.asarray(self.W, dtype=float)
        return self.activation.fn(X @ Wf + np.asarray(self.b, dtype=float)) @ np.asarray(self.a, dtype=float)

    @property
    def exact(self) -> bool:
        """True when W, b and a are all integers or Fractions (what exact mode needs)."""
        return all(isinstance(x, (int, Fraction, np.integer)) for arr in (self.W, self.b, self.a)
                   for x in np.asarray(arr, dtype=object).ravel())


def _check_dims(d, k):
    for v, what in ((d, "inputs"), (k, "hidden units")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"expected a positive integer number of {what}, got {v!r}")


def random_network(d: int, k: int, activation: str = "tanh", *, seed: int = 0, integer: bool = False,
                   same_sign: bool = False) -> TwoLayerNet:
    """A random network: unit-norm Gaussian directions, biases N(0, 1/4), output weights +-U[0.5, 1.5].

    ``integer=True`` draws integer W in [-3, 3], b in [-2, 2], a in {+-1, +-2} (exact mode).
    ``same_sign=True`` makes every a_j > 0 and b_j > 0, so that the whitening weights
    a_j E[s''(w_j^T x + b_j)] share one sign for s = u^3 (6 a_j b_j) and for tanh / sigmoid
    (whose s'' is negative on average for a positive shift), as ``method="power"`` needs.
    """
    _check_dims(d, k)
    budget.require(f"a random network with {d} inputs and {k} hidden units", memory=48.0 * d * k, work=10.0 * d * k)
    rng = np.random.default_rng(seed)
    act = parse_activation(activation)
    if integer:
        W = rng.integers(-3, 4, (d, k)).astype(object)
        b = rng.integers(-2, 3, k).astype(object)
        a = (rng.choice([-2, -1, 1, 2], k)).astype(object)
        return TwoLayerNet(W, b, a, act)
    W = rng.standard_normal((d, k))
    W /= np.linalg.norm(W, axis=0)
    b = 0.5 * rng.standard_normal(k)
    a = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 1.5, k)
    if same_sign:
        a, b = np.abs(a), np.abs(b)
    return TwoLayerNet(W, b, a, act)


def load_network(path, activation: str | None = None) -> TwoLayerNet:
    """A network from JSON ``{"weights": d x k, "bias": [k], "output": [k], "activation": NAME}``
    (bias default 0, output default 1; numbers may be ints, floats or "p/q" strings)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"expected a network JSON file, got {str(p)!r}, which does not exist")
    try:
        data = strict_json_loads(p.read_text(), floats=True)
    except json.JSONDecodeError as e:
        raise InputError(f"expected valid JSON in {p.name}: {e.msg} at line {e.lineno}") from None
    if not isinstance(data, dict) or "weights" not in data:
        raise InputError(f"expected a JSON object with 'weights' (d x k) in {p.name}")
    extra = sorted(set(data) - {"weights", "bias", "output", "activation"})
    if extra:
        raise InputError(f"{p.name}: unknown field(s) {extra} (expected weights, bias, output, activation)")

    def arr(x, name):
        vals = np.array(x, dtype=object)
        out = np.empty(vals.shape, dtype=object)
        for idx, v in np.ndenumerate(vals):
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                raise InputError(f"{p.name}: expected numbers in {name}, got {v!r}")
            out[idx] = to_exact(v, f"{p.name} {name}") if isinstance(v, str) else v  # JSON numbers: int or float
            if isinstance(out[idx], float) and not math.isfinite(out[idx]):
                raise InputError(f"{p.name}: expected finite numbers in {name}, got {v!r}")
        return out

    W = arr(data["weights"], "weights")
    if W.ndim != 2:
        raise ShapeError(f"{p.name}: expected weights as a d x k matrix, got shape {W.shape}")
    k = W.shape[1]
    b = arr(data.get("bias", [0] * k), "bias")
    a = arr(data.get("output", [1] * k), "output")
    if b.shape != (k,) or a.shape != (k,):
        raise ShapeError(f"{p.name}: expected bias and output of length {k}, got {b.shape} and {a.shape}")
    act = parse_activation(activation or data.get("activation", "tanh"))
    if any(isinstance(x, float) for arr_ in (W, b, a) for x in arr_.ravel()):
        W, b, a = (x.astype(float) for x in (W, b, a))
    return TwoLayerNet(W, b, a, act)


# ------------------------------------------------------------------ samples and moments
def min_samples(d: int) -> int:
    """Fewest samples accepted: C(d + 2, 3), the number of distinct entries of a symmetric d^3 moment."""
    return math.comb(d + 2, 3)


def sample(net: TwoLayerNet, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples ``(X (n x d), y (n,))`` with ``x ~ N(0, I_d)``."""
    X = rng.standard_normal((n, net.d))
    return X, net(X)


def empirical_moment(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(1/n) sum_i y_i He_3(x_i)`` (d x d x d), one GEMM of cost ``O(n d^3)``."""
    n, d = X.shape
    if n < min_samples(d):
        raise InputError(f"expected at least {min_samples(d)} samples for the moment estimate with {d} inputs "
                         f"(the number of distinct entries of a symmetric {d}x{d}x{d} tensor), got {n}")
    return batch_moments(X, y, 1)[0][0]


def batch_moments(X: np.ndarray, y: np.ndarray, batches: int) -> tuple[np.ndarray, list]:
    """``(Ms, sizes)``: :func:`empirical_moment` of each of ``batches`` consecutive batches of nearly
    equal size (B x d x d x d), without its minimum-size check; the size-weighted mean of the
    ``Ms`` is the moment of all samples (the estimator is linear in the samples). O(n d^3)."""
    parts = np.array_split(np.arange(X.shape[0]), batches)
    out = np.empty((batches,) + (X.shape[1],) * 3)
    eye = np.eye(X.shape[1])
    for b, p in enumerate(parts):
        Xb, yb = X[p], y[p]
        KR = (Xb[:, :, None] * Xb[:, None, :]).reshape(len(p), -1)
        T = ((Xb * yb[:, None]).T @ KR).reshape(out.shape[1:]) / len(p)
        m1 = (Xb * yb[:, None]).mean(axis=0)
        out[b] = T - (np.einsum("i,kl->ikl", m1, eye) + np.einsum("k,il->ikl", m1, eye)
                      + np.einsum("l,ik->ikl", m1, eye))
    return out, [len(p) for p in parts]


def second_moment(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(1/n) sum_i y_i He_2(x_i)``, ``He_2(x) = x x^T - I`` (d x d), the whitening moment. O(n d^2)."""
    n = X.shape[0]
    return (X * y[:, None]).T @ X / n - np.mean(y) * np.eye(X.shape[1])


def recover(M3: np.ndarray, k: int, *, method: str = "jennrich", seed=0, M2: np.ndarray | None = None) -> np.ndarray:
    """Unit directions ``U`` (d x k) from a (noisy) ``M3 = sum_j lambda_j w_j^{(x)3}``.

    ``jennrich``: :func:`tnverify.numeric.jennrich` (eigenvectors of M3(I, I, z1) M3(I, I, z2)^+),
    refined by :data:`REFINE_ITERATIONS` CP-ALS sweeps when that lowers the fit error; the three
    factor columns of each term, aligned in sign, are averaged. ``power``: whitening
    W_h^T (+-M2) W_h = I (needs the top k eigenvalues of M2 of one sign), the robust tensor power
    method with deflation on M3(W_h, W_h, W_h) [2]_, then un-whitening by (W_h^T)^+. Each
    column of U is w_j / |w_j| up to sign. Cost O(d^3 k) per CP-ALS sweep; M3(W_h, W_h, W_h) is one einsum, O(d^3 k^3).
    """
    if method == "jennrich":
        try:
            res = numeric.jennrich(M3, k, seed=seed, strict=False)
        except NumericalError:  # noisy slices can be numerically singular: start CP-ALS at random
            res = numeric.cp_als(M3, k, n_iter_max=REFINE_ITERATIONS, tol=1e-12, seed=seed)
        ref = numeric.cp_als(M3, k, init=res, n_iter_max=REFINE_ITERATIONS, tol=1e-12)
        A, B, C = ref.factors if ref.rel_error < res.rel_error else res.factors
        U = A + np.sign(np.sum(A * B, axis=0)) * B + np.sign(np.sum(A * C, axis=0)) * C
        return U / np.linalg.norm(U, axis=0)
    if method == "power":
        if M2 is None:
            raise InputError("the power method needs the second moment M2 for whitening")
        ev = np.linalg.eigvalsh(0.5 * (M2 + M2.T))
        top = ev[np.argsort(-np.abs(ev))[:k]]
        if not (np.all(top > 0) or np.all(top < 0)):
            raise NumericalError("whitening needs E[y He_2(x)] = sum_j a_j E[s''] w_j w_j^T with weights of one sign; "
                                 "they have mixed signs here: use --method jennrich")
        sgn = 1.0 if top[0] > 0 else -1.0
        Wh = numeric.whiten(sgn * M2, k)
        T = np.einsum("ikl,ia,kb,lc->abc", M3, Wh, Wh, Wh)
        _, V, _ = numeric.tensor_power_method(T, k, seed=seed)
        U = np.linalg.pinv(Wh.T) @ V
        return U / np.linalg.norm(U, axis=0)
    raise InputError(f"unknown recovery method {method!r} (valid: jennrich, power)")


def _perfect_matching(ok: np.ndarray) -> list | None:
    """A perfect matching rows -> columns in the boolean bipartite graph ``ok`` (Kuhn), or None."""
    k, m = ok.shape
    match_col = [-1] * m

    def augment(i, seen):
        for j in range(m):
            if ok[i, j] and not seen[j]:
                seen[j] = True
                if match_col[j] < 0 or augment(match_col[j], seen):
                    match_col[j] = i
                    return True
        return False

    for i in range(k):
        if not augment(i, [False] * m):
            return None
    out = [-1] * k
    for j, i in enumerate(match_col):
        if i >= 0:
            out[i] = j
    return out


def recovery_error(W_true, U) -> tuple[float, list]:
    """``(max_j 1 - |cos(w_j, u_pi(j))|, pi)`` for the bottleneck-optimal matching ``pi``.

    Examples
    --------
    >>> import numpy as np
    >>> err, pi = recovery_error(np.eye(2), np.array([[0.0, -2.0], [1.0, 0.0]]))
    >>> float(err), pi
    (0.0, [1, 0])
    """
    W = np.asarray(W_true, dtype=float)
    U = np.asarray(U, dtype=float)
    if U.shape[1] < W.shape[1]:
        raise ShapeError(f"expected at least {W.shape[1]} recovered directions, got {U.shape[1]}")
    Wn = W / np.linalg.norm(W, axis=0)
    Un = U / np.linalg.norm(U, axis=0)
    cost = 1.0 - np.abs(Wn.T @ Un)
    for t in np.unique(cost):
        pi = _perfect_matching(cost <= t)
        if pi is not None:
            return float(max(t, 0.0)), pi
    raise NumericalError("no matching of recovered to true directions (non-finite directions?)")


def identifiability_warnings(net: TwoLayerNet, lambdas=None) -> list[str]:
    """Warnings where uniqueness of the moment decomposition is not established.

    Cross-references :mod:`tnverify.theory.kruskal`: the symmetric CP ``sum_j lambda_j w_j^{(x)3}`` is
    essentially unique when every lambda_j != 0 and ``3 k_W >= 2k + 2`` (Kruskal 1977; k_W is
    proved exactly over Q, float weights taken as the exact binary rationals they are).
    Jennrich and whitening additionally need ``k <= d`` (independent w_j).
    """
    from tnverify.theory.kruskal import kruskal_rank

    out = []
    d, k = net.W.shape
    Wq = np.array([[Fraction(x) if isinstance(x, float) else x for x in row] for row in net.W], dtype=object)
    kr = kruskal_rank(Wq, "Q", max_subsets=200_000)
    if 3 * kr.lower < 2 * k + 2:
        if kr.status == "proved":
            out.append(f"uniqueness not established: Kruskal's condition 3 k_W >= 2k + 2 fails "
                       f"(k_W = {kr.k_rank}, k = {k}); the recovered weights may not be the network's")
        else:
            out.append(f"uniqueness not established: k_W >= {kr.lower} proved, Kruskal needs {math.ceil((2 * k + 2) / 3)}")
    if k > d:
        out.append(f"{k} hidden units > {d} inputs: the w_j are dependent, Jennrich and whitening do not apply")
    if lambdas is not None:
        zero = [j for j, lam in enumerate(lambdas) if lam == 0]
        if zero:
            out.append(f"lambda_j = a_j E[s'''] is 0 for neurons {zero}: the third moment does not see them")
    return out


# ------------------------------------------------------------------ exact mode (polynomial activations)
def _require_exact(net: TwoLayerNet):
    if net.activation.coeffs is None:
        raise InputError(f"exact mode needs a polynomial activation (cube, square, quartic, poly:...), "
                         f"got {net.activation.name!r}")
    if not net.exact:
        raise InputError("exact mode needs integer or rational weights, biases and output weights")


def exact_moment(net: TwoLayerNet) -> np.ndarray:
    """Population ``E[y He_3(x)]`` exactly (object array of ints / Fractions), by sympy.

    ``y`` is expanded as a polynomial in ``x`` and each monomial's Gaussian moment is
    ``E[x^beta] = prod_i (beta_i - 1)!!`` (0 if some beta_i is odd; Isserlis). Cost: one
    polynomial product with ``He_3(x)_{ikl}`` per distinct entry, C(d + 2, 3) of them.
    """
    import sympy

    _require_exact(net)
    d, k = net.W.shape
    memory, work = exact_moment_cost(d, k, len(net.activation.coeffs) - 1)
    budget.require(f"the exact third moment of a network with {d} inputs and {k} hidden units", memory=memory,
                   work=work)
    xs = sympy.symbols(f"x0:{d}")
    u = sympy.Symbol("u")
    s = sum(sympy.Rational(c) * u ** m for m, c in enumerate(net.activation.coeffs))
    y = sum(sympy.Rational(Fraction(net.a[j])) * s.subs(u, sum(sympy.Rational(Fraction(net.W[i, j])) * xs[i]
                                                                  for i in range(d))
                                                         + sympy.Rational(Fraction(net.b[j]))) for j in range(k))
    P = sympy.Poly(sympy.expand(y), *xs, domain="QQ")

    def gauss(poly):
        tot = sympy.Rational(0)
        for mon, c in poly.terms():
            if all(e % 2 == 0 for e in mon):
                tot += c * math.prod(sympy.factorial2(e - 1) for e in mon)
        return tot

    out = np.empty((d, d, d), dtype=object)
    cache = {}
    for i in range(d):
        for kk in range(d):
            for l in range(d):
                key = tuple(sorted((i, kk, l)))
                if key not in cache:
                    a, b, c = key
                    he = xs[a] * xs[b] * xs[c] - (xs[a] if b == c else 0) - (xs[b] if a == c else 0) \
                        - (xs[c] if a == b else 0)
                    v = gauss(P * sympy.Poly(he, *xs, domain="QQ"))
                    cache[key] = to_exact(v)
                out[i, kk, l] = cache[key]
    return out


def stein_weights(net: TwoLayerNet) -> list:
    """``lambda_j = a_j E[s'''(w_j^T x + b_j)]`` exactly (sympy; ``w_j^T x ~ N(0, |w_j|^2)``)."""
    import sympy

    _require_exact(net)
    u, z = sympy.symbols("u z")
    s = sum(sympy.Rational(c) * u ** m for m, c in enumerate(net.activation.coeffs))
    s3 = sympy.diff(s, u, 3)
    out = []
    for j in range(net.k):
        sigma2 = sum(sympy.Rational(Fraction(x)) ** 2 for x in net.W[:, j])
        e = sympy.Poly(sympy.expand(s3.subs(u, sympy.Rational(Fraction(net.b[j])) + sympy.sqrt(sigma2) * z)), z)
        val = sum(c * (sympy.factorial2(m - 1) if m % 2 == 0 else 0) for (m,), c in e.terms())
        val = sympy.nsimplify(sympy.Rational(Fraction(net.a[j])) * val)
        if not val.is_Rational:
            raise NumericalError(f"lambda_{j} = {val} is not rational")
        out.append(to_exact(val))
    return out


def moment_certificate(net: TwoLayerNet, M3=None) -> Certificate:
    """Certificate (rule ``gaussian-moment-identity``): the exact population moment equals
    ``sum_j lambda_j w_j^{(x)3}``, hence has CP rank <= k."""
    M3 = exact_moment(net) if M3 is None else M3
    cert = Certificate(objects={"M3": tensor_object(M3), "W": matrix_object(net.W)})
    cert.add_step("gaussian-moment-identity", id="stein", tensor="M3", weights={"object": "W"},
                  bias=[enc(Fraction(x)) for x in net.b], output=[enc(Fraction(x)) for x in net.a],
                  activation=[enc(c) for c in net.activation.coeffs])
    cert.conclude("gaussian-moment-identity", {"tensor": {"object": "M3"}, "weights": {"object": "W"}}, True)
    cert.conclude("cp-rank-at-most", {"tensor": {"object": "M3"}, "field": "Q"}, net.k)
    return cert


def exact_recovery(net: TwoLayerNet, M3=None, *, seed: int = 0) -> tuple[bool, str]:
    """Exact Jennrich over Q on the population moment: ``(recovered, message)``.

    Recovered means every true w_j is parallel (exactly, over Q) to a recovered column.
    """
    from tnverify.theory.uniqueness import exact_jennrich

    M3 = exact_moment(net) if M3 is None else M3
    jr = exact_jennrich(M3, seed=seed)
    if jr.factors is None:
        return False, f"exact Jennrich: {jr.message}"
    A = jr.factors[0]
    W = np.asarray(net.W, dtype=object)
    used = set()
    for j in range(net.k):
        w = W[:, j]
        hit = None
        for r in range(A.shape[1]):
            a = A[:, r]
            if r not in used and all(w[i] * a[l] == w[l] * a[i] for i in range(len(w)) for l in range(len(w))):
                hit = r
                break
        if hit is None:
            return False, f"w_{j} is not parallel to any recovered column"
        used.add(hit)
    return True, f"all {net.k} weight vectors recovered exactly (up to scale) by Jennrich over Q"
