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

Conventions: ``recovery_error`` = max over true neurons of ``1 - |cos(w_j, u_pi(j))|`` for the
matching ``pi`` of true and recovered directions that minimises this maximum (bottleneck
assignment). ``test_error`` = relative L2 error on fresh samples of the network refitted with
the recovered directions: second layer by least squares on the features
``s(+-|w_j| u_j^T x + b_j)``, i.e. with the ORACLE norms and biases (the paper recovers those by
a Fourier method, not implemented here).

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
import sys
import time
from dataclasses import dataclass, field as dc_field
from fractions import Fraction
from pathlib import Path

import numpy as np

from tnverify import budget, numeric
from tnverify.certificate import Certificate, matrix_object, tensor_object
from tnverify.errors import InputError, NumericalError, ShapeError
from tnverify.numbers import enc, strict_json_loads, to_exact

__all__ = ["Activation", "TwoLayerNet", "parse_activation", "random_network", "load_network", "sample",
           "empirical_moment", "min_samples", "recover", "recovery_error", "refit_test_error", "LearnResult",
           "learn", "identifiability_warnings", "exact_moment", "stein_weights", "moment_certificate",
           "exact_recovery", "sweep", "learn_cost", "exact_moment_cost"]

#: CP-ALS sweeps refining Jennrich's factors on the (noisy) empirical moment.
REFINE_ITERATIONS = 200
#: Operations charged per sympy term operation (Python objects, hashing, rational arithmetic).
SYMPY_OPS = 10_000


def learn_cost(d: int, k: int, n: int, n_test: int = 2000) -> tuple[float, float]:
    """``(bytes, operations)`` of :func:`learn`: ``n`` samples, the ``n x d^2`` Khatri-Rao rows of the
    moment GEMM (``n d^3`` multiply-adds), the ``d^3`` moment and its decomposition
    (:data:`REFINE_ITERATIONS` CP-ALS sweeps of ``d^3 k``), and the test samples."""
    d, k, n = float(d), float(k), float(n) + n_test
    return 8 * n * d * (d + 2) + 8 * d ** 3, 2 * n * d ** 3 + REFINE_ITERATIONS * 3 * d ** 3 * k + n * d * k


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
    """An activation ``s``: vectorised ``fn`` and, for polynomials, ``coeffs`` (degree 0 up, exact)."""

    name: str
    fn: object
    coeffs: list | None = None


def _poly_fn(c):
    cf = [float(x) for x in c]
    return lambda u: np.polyval(cf[::-1], u)


def parse_activation(spec: str) -> Activation:
    """``sigmoid``, ``tanh``, ``cube`` (u^3), ``square`` (u^2), ``quartic`` (u^4) or
    ``poly:c0,c1,...`` (sum_m c_m u^m; integers or p/q)."""
    if not isinstance(spec, str):
        raise InputError(f"expected an activation name, got {spec!r}")
    if spec == "sigmoid":
        return Activation(spec, lambda u: 0.5 * (1.0 + np.tanh(0.5 * u)))
    if spec == "tanh":
        return Activation(spec, np.tanh)
    if spec in _NAMED:
        c = [Fraction(x) for x in _NAMED[spec]]
        return Activation(spec, _poly_fn(c), c)
    if spec.startswith("poly:"):
        c = [Fraction(to_exact(x, f"a coefficient of {spec!r}")) for x in spec[5:].split(",") if x.strip()]
        if not c:
            raise InputError(f"expected at least one coefficient in {spec!r}")
        return Activation(spec, _poly_fn(c), c)
    raise InputError(f"unknown activation {spec!r} (valid: sigmoid, tanh, cube, square, quartic, poly:c0,c1,...)")


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
    KR = (X[:, :, None] * X[:, None, :]).reshape(n, d * d)
    T = ((X * y[:, None]).T @ KR).reshape(d, d, d) / n
    m1 = (X * y[:, None]).mean(axis=0)
    eye = np.eye(d)
    T -= (np.einsum("i,kl->ikl", m1, eye) + np.einsum("k,il->ikl", m1, eye) + np.einsum("l,ik->ikl", m1, eye))
    return T


def _second_moment(X, y):
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


def refit_test_error(net: TwoLayerNet, U: np.ndarray, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
                     y_test: np.ndarray) -> float:
    """Relative test error of ``sum_j (c_j+ s(|w_j| u_j^T x + b_j) + c_j- s(-|w_j| u_j^T x + b_j))``
    with ``c`` by least squares on ``(X, y)``; the matched neuron's norm and bias are oracle values."""
    _, pi = recovery_error(net.W, U)
    Wf = np.asarray(net.W, dtype=float)
    b = np.asarray(net.b, dtype=float)
    scale = np.linalg.norm(Wf, axis=0)

    def feats(Z):
        cols = []
        for j in range(net.k):
            z = scale[j] * (Z @ U[:, pi[j]])
            cols += [net.activation.fn(z + b[j]), net.activation.fn(-z + b[j])]
        return np.column_stack(cols)

    c = np.linalg.lstsq(feats(X), y, rcond=None)[0]
    return float(np.linalg.norm(feats(X_test) @ c - y_test) / max(np.linalg.norm(y_test), np.finfo(float).tiny))


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


@dataclass
class LearnResult:
    """Outcome of :func:`learn` (status ``numerical``)."""

    recovery_error: float
    test_error: float
    n: int
    d: int
    k: int
    method: str
    matching: list
    recovered: np.ndarray
    warnings: list = dc_field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready errors, sizes, method, matching and warnings; the status is always ``numerical``."""
        return {"status": "numerical", "recovery_error": self.recovery_error, "test_error": self.test_error,
                "samples": self.n, "inputs": self.d, "hidden": self.k, "method": self.method,
                "matching": self.matching, "warnings": self.warnings, "seconds": round(self.seconds, 4)}


def learn(net: TwoLayerNet, n: int, *, seed: int = 0, method: str = "jennrich", n_test: int = 2000,
          warnings: list | None = None) -> LearnResult:
    """Draw ``n`` samples, estimate ``M3`` (and ``M2``), decompose, and score the recovery.

    ``M3 = (1/n) sum_i y_i He_3(x_i)`` estimates ``sum_j lambda_j w_j^{(x)3}`` (Stein's identity,
    module docstring); :func:`recover` decomposes it, :func:`recovery_error` and
    :func:`refit_test_error` score the directions. Needs k <= d (independent w_j). Cost
    O(n d^3) for the moment plus the decomposition; the result is ``numerical``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InputError(f"expected an integer number of samples, got {n!r}")
    if n < min_samples(net.d):
        raise InputError(f"expected at least {min_samples(net.d)} samples for the moment estimate with {net.d} "
                         f"inputs, got {n}")
    if net.k > net.d:
        raise ShapeError(f"{net.k} hidden units > {net.d} inputs: the tensor methods here need independent w_j")
    memory, work = learn_cost(net.d, net.k, n, n_test)
    budget.require(f"learning from {n} samples with {net.d} inputs", memory=memory, work=work)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    X, y = sample(net, n, rng)
    M3 = empirical_moment(X, y)
    M2 = _second_moment(X, y) if method == "power" else None
    U = recover(M3, net.k, method=method, seed=rng, M2=M2)
    err, pi = recovery_error(net.W, U)
    Xt, yt = sample(net, n_test, rng)
    te = refit_test_error(net, U, X, y, Xt, yt)
    w = identifiability_warnings(net) if warnings is None else warnings
    return LearnResult(err, te, n, net.d, net.k, method, pi, U, w, time.perf_counter() - t0)


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


# ------------------------------------------------------------------ sweep
def sweep(net: TwoLayerNet, ns, *, seed: int = 0, method: str = "jennrich", progress: bool = False) -> list[dict]:
    """Recovery and test error against the sample size, one row per n (the faces write CSV and figures)."""
    ns = [int(n) for n in ns]
    tally = budget.Tally(f"the sweep over {len(ns)} sample sizes up to {max(ns, default=0)}")
    for n in ns:  # the whole sweep, before the first point
        memory, work = learn_cost(net.d, net.k, n)
        tally.add(memory=memory, work=work)
    warn = identifiability_warnings(net)
    rows = []
    it = ns
    if progress:
        from tqdm import tqdm

        it = tqdm(ns, desc="sweep", file=sys.stderr)
    for t, n in enumerate(it):
        r = learn(net, n, seed=seed + t, method=method, warnings=warn)
        rows.append({"samples": n, "recovery_error": r.recovery_error, "test_error": r.test_error,
                     "seconds": round(r.seconds, 4)})
    return rows
