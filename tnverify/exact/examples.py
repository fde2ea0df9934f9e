"""Example matrices and tensors of the literature, in one place, with one registry.

:data:`EXAMPLES` maps a name to its constructor; :func:`get` looks a name up and, on a
miss, lists the valid names. The theorem families (``matrix-rank``, ``cp-rank``,
``w-border-rank``) and the CLI build their objects here.

* ``vandermonde`` -- V[i, j] = (i+1)^(n-1-j): rank n over Q (Vandermonde determinant);
* ``hilbert`` -- H[i, j] = 1 / (i + j + 1): nonsingular over Q;
* ``product`` -- a random integer m x inner times inner x n product: rank <= inner;
* ``matmul`` -- the matrix multiplication tensor <n, n, n> [1]_;
* ``w-state`` -- the W tensor (rank 3, border rank 2) [2]_; :func:`w_curve` its degeneration.

Every constructor estimates the memory and work of its sizes (:func:`cost`) and checks them
against the budget (:func:`tnverify.budget.require`) before it allocates anything, so a
request such as ``vandermonde(10**9)`` is refused at once with a
:class:`~tnverify.errors.BudgetError`, from the CLI and from a catalog instance alike.

References
----------
.. [1] V. Strassen, "Gaussian elimination is not optimal", Numer. Math. 13 (1969).
.. [2] V. de Silva, L.-H. Lim, "Tensor rank and the ill-posedness of the best low-rank
   approximation problem", SIAM J. Matrix Anal. Appl. 30(3) (2008).
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from tnverify import budget
from tnverify.errors import ShapeError, UnknownNameError

__all__ = ["EXAMPLES", "get", "cost", "vandermonde", "hilbert", "product", "matmul_tensor", "strassen_2x2",
           "w_tensor", "w_curve"]

#: Bytes of a small Python integer in an object array (the object and its pointer).
_INT_BYTES = 36
#: Bytes of a Fraction of small integers in an object array.
_FRACTION_BYTES = 160
#: Operations charged per entry made by a Python loop (interpreter overhead).
_PY_OPS = 100


def _positive(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise ShapeError(f"expected a positive integer {name}, got {x!r}")
    return x


def cost(name: str, *sizes) -> tuple[float, float]:
    """``(bytes, operations)`` of building the example ``name`` with the constructor's size arguments.

    * ``vandermonde(n)``: n^2 integers of up to (n - 1) log2 n bits (half that on average);
    * ``hilbert(n)``: n^2 Fractions;
    * ``product(m, inner, n)``: the int64 factors and product, m inner n multiply-adds;
    * ``matmul(n)``: n^6 int64 entries, an n^3 Python loop;
    * ``w-state(order)``: 2^order int64 entries.

    Floats (``inf`` when astronomically large), from the sizes alone.
    """
    f = [float(x) for x in sizes]
    if name == "vandermonde":
        n = f[0]
        words = 1.0 + (n - 1.0) * math.log2(max(n, 2.0)) / 128  # 64-bit words of an average entry
        return n * n * (_INT_BYTES + 8 * words), n * n * (_PY_OPS + words)
    if name == "hilbert":
        return f[0] * f[0] * _FRACTION_BYTES, f[0] * f[0] * _PY_OPS
    if name == "product":
        m, inner, n = f[:3]
        return 8 * (m * inner + inner * n + m * n), m * inner * n
    if name == "matmul":
        entries = budget.power(f[0], 6)
        return 8 * entries, entries + _PY_OPS * budget.power(f[0], 3)
    if name == "w-state":
        entries = budget.power(2, f[0])
        return 8 * entries, entries
    raise UnknownNameError("example", name, EXAMPLES)


def _require(name: str, *sizes) -> None:
    memory, work = cost(name, *sizes)
    budget.require(f"the {name} example of size {' x '.join(map(str, sizes))}", memory=memory, work=work)


def vandermonde(n: int) -> np.ndarray:
    """The n x n Vandermonde matrix on 1..n, V[i, j] = (i+1)^(n-1-j) (object dtype, exact). O(n^2)."""
    n = _positive(n, "n")
    _require("vandermonde", n)
    return np.array([[x ** (n - 1 - j) for j in range(n)] for x in range(1, n + 1)], dtype=object)


def hilbert(n: int) -> np.ndarray:
    """The n x n Hilbert matrix H[i, j] = 1 / (i + j + 1) (Fractions). O(n^2)."""
    n = _positive(n, "n")
    _require("hilbert", n)
    return np.array([[Fraction(1, i + j + 1) for j in range(n)] for i in range(n)], dtype=object)


def product(m: int, inner: int, n: int, seed: int = 0) -> np.ndarray:
    """A random integer (m x inner)(inner x n) product, entries of the factors in [-100, 100]: rank <= inner."""
    m, inner, n = _positive(m, "m"), _positive(inner, "inner"), _positive(n, "n")
    _require("product", m, inner, n)
    rng = np.random.default_rng(seed)
    return rng.integers(-100, 101, (m, inner)) @ rng.integers(-100, 101, (inner, n))


def matmul_tensor(n: int) -> np.ndarray:
    """<n, n, n>: T[(i,j), (j,k), (k,i)] = 1, the trilinear form tr(ABC) ."""
    n = _positive(n, "n")
    _require("matmul", n)
    T = np.zeros((n * n,) * 3, dtype=np.int64)
    for i, j, k in itertools.product(range(n), repeat=3):
        T[i * n + j, j * n + k, k * n + i] = 1
    return T


def strassen_2x2() -> list:
    """Strassen's 7 products as factors (A, B, C) of shape (4, 7) with <2,2,2> = [[A, B, C]].

    Product r is ``(u_r : A)(v_r : B)`` and contributes ``W_r`` to ``C = AB``; in the trilinear
    form tr(A B C') the third factor of term r is ``W_r^T`` flattened (index k*2 + i holds
    ``W_r[i, k]``). Index ``i*2 + j`` is the entry (i, j).
    """
    E = {"11": 0, "12": 1, "21": 2, "22": 3}

    def vec(**c):
        v = [0] * 4
        for k, x in c.items():
            v[E[k[1:]]] = x
        return v

    U = [vec(a11=1, a22=1), vec(a21=1, a22=1), vec(a11=1), vec(a22=1), vec(a11=1, a12=1), vec(a21=1, a11=-1),
         vec(a12=1, a22=-1)]
    V = [vec(b11=1, b22=1), vec(b11=1), vec(b12=1, b22=-1), vec(b21=1, b11=-1), vec(b22=1), vec(b11=1, b12=1),
         vec(b21=1, b22=1)]
    # C11 = M1 + M4 - M5 + M7, C12 = M3 + M5, C21 = M2 + M4, C22 = M1 - M2 + M3 + M6
    Wc = [vec(c11=1, c22=1), vec(c21=1, c22=-1), vec(c12=1, c22=1), vec(c11=1, c21=1), vec(c11=-1, c12=1),
          vec(c22=1), vec(c11=1)]
    Cf = [[w[E[f"{i + 1}{k + 1}"]] for k in range(2) for i in range(2)] for w in Wc]  # index k*2+i <- W[i, k]
    return [np.array(U, dtype=np.int64).T, np.array(V, dtype=np.int64).T, np.array(Cf, dtype=np.int64).T]


def w_tensor(order: int = 3) -> np.ndarray:
    """The W tensor sum_n e1 (x) .. e2 (position n) .. (x) e1; order 3: e1e1e2 + e1e2e1 + e2e1e1
    (rank 3, border rank 2; de Silva and Lim 2008)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 3:
        raise ShapeError(f"expected a W tensor of order >= 3, got {order!r}")
    _require("w-state", order)
    T = np.zeros((2,) * order, dtype=np.int64)
    for n in range(order):
        idx = [0] * order
        idx[n] = 1
        T[tuple(idx)] = 1
    return T


def w_curve(order: int = 3) -> tuple[list, list, int]:
    """``(factors, weights, degree)`` of ``((e1 + t e2)^{(x)N} - e1^{(x)N}) / t = W + O(t)``.

    Polynomials are coefficient lists from degree 0: column 0 of every factor is e1 + t e2,
    column 1 is e1, the weights are 1 and -1, and the curve vanishes to order 1 in t.
    """
    F = [[[1], [1]], [[0, 1], [0]]]  # rows: entry e1, entry e2; columns: the two rank-one terms
    return [F] * order, [[1], [-1]], 1


EXAMPLES = {"vandermonde": vandermonde, "hilbert": hilbert, "product": product, "matmul": matmul_tensor,
            "w-state": w_tensor}


def get(name: str):
    """The constructor of the example ``name``; :class:`UnknownNameError` lists the valid names."""
    if name not in EXAMPLES:
        raise UnknownNameError("example", name, EXAMPLES)
    return EXAMPLES[name]
