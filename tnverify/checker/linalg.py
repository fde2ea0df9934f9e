"""The checker's own exact linear algebra (no tnverify prover code).

Small inputs use pure Python: fraction-free Bareiss elimination over Z and
Gaussian elimination mod p. Large modular determinants and ranks use
python-flint's ``nmod_mat`` (FLINT, an independent and widely used library).
"""
from __future__ import annotations

try:  # optional accelerator for large modular problems
    import flint
except ImportError:  # pragma: no cover - flint is a dependency of the package
    flint = None

#: Above this many multiply-adds, modular work goes to FLINT.
PURE_PYTHON_WORK = 2_000_000


def det_bareiss(M: list) -> int:
    """Exact determinant of a square integer matrix by Bareiss' fraction-free elimination.

    O(n^3) operations on integers whose size is bounded by Hadamard's bound.
    """
    n = len(M)
    A = [list(r) for r in M]
    sign, prev = 1, 1
    for k in range(n - 1):
        if A[k][k] == 0:
            for i in range(k + 1, n):
                if A[i][k] != 0:
                    A[k], A[i] = A[i], A[k]
                    sign = -sign
                    break
            else:
                return 0
        akk = A[k][k]
        for i in range(k + 1, n):
            aik = A[i][k]
            row_i, row_k = A[i], A[k]
            for j in range(k + 1, n):
                row_i[j] = (row_i[j] * akk - aik * row_k[j]) // prev
        prev = akk
    return sign * A[n - 1][n - 1] if n else 1


def rank_mod_p(M: list, p: int) -> int:
    """Rank of an integer matrix over GF(p)."""
    m = len(M)
    n = len(M[0]) if m else 0
    if flint is not None and m * n * min(m, n) > PURE_PYTHON_WORK:
        return flint.nmod_mat(m, n, [x % p for row in M for x in row], p).rank()
    A = [[x % p for x in row] for row in M]
    r = 0
    for c in range(n):
        piv = next((i for i in range(r, m) if A[i][c]), None)
        if piv is None:
            continue
        A[r], A[piv] = A[piv], A[r]
        inv = pow(A[r][c], -1, p)
        rowr = A[r]
        for i in range(r + 1, m):
            f = A[i][c]
            if f:
                f = f * inv % p
                rowi = A[i]
                for j in range(c, n):
                    rowi[j] = (rowi[j] - f * rowr[j]) % p
        r += 1
        if r == m:
            break
    return r


def det_mod_p(M: list, p: int) -> int:
    """Determinant of a square integer matrix mod p, in [0, p)."""
    n = len(M)
    if flint is not None and n**3 > PURE_PYTHON_WORK:
        return int(flint.nmod_mat(n, n, [x % p for row in M for x in row], p).det())
    A = [[x % p for x in row] for row in M]
    d = 1
    for c in range(n):
        piv = next((i for i in range(c, n) if A[i][c]), None)
        if piv is None:
            return 0
        if piv != c:
            A[c], A[piv] = A[piv], A[c]
            d = -d
        d = d * A[c][c] % p
        inv = pow(A[c][c], -1, p)
        for i in range(c + 1, n):
            f = A[i][c] * inv % p
            if f:
                for j in range(c, n):
                    A[i][j] = (A[i][j] - f * A[c][j]) % p
    return d % p


def det_mod(entries: list, r: int, p: int) -> int:
    """Determinant mod p of the r x r matrix given by its flat row-major ``entries`` (FLINT when large)."""
    if flint is not None and r**3 > PURE_PYTHON_WORK:
        return int(flint.nmod_mat(r, r, [x % p for x in entries], p).det())
    return det_mod_p([entries[i * r:(i + 1) * r] for i in range(r)], p)


def det_int(M: list) -> int:
    """Exact integer determinant (Bareiss; FLINT's fmpz_mat for large n)."""
    n = len(M)
    if flint is not None and n**3 > PURE_PYTHON_WORK:
        return int(flint.fmpz_mat(M).det())
    return det_bareiss(M)
